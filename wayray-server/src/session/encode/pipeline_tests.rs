//! The pipeline's staging frame: whatever order captures, frames and keyframe requests come
//! in, what the encoder sends ends up as the newest capture on a decoder.

use std::time::Duration;

use smithay::reexports::pixman::{Box32, Color, FormatCode, Image, Operation};
use smithay::utils::{Physical, Rectangle};
use wayray_protocol::codec::{PixelViewMut, ZstdContext, decode_region};

use super::{Encoded, Pipeline};
use crate::session::capture::{CapturedFrame, FrameSink};

const SIZE: i32 = 128;

fn paint(image: &mut Image<'static, 'static>, (x, y, w, h): (i32, i32, i32, i32), rgb: u16) {
    let colour = Color::new(rgb, rgb / 2, 0xffff - rgb, 0xffff);
    let area = Box32 {
        x1: x,
        y1: y,
        x2: x + w,
        y2: y + h,
    };
    image
        .fill_boxes(Operation::Src, colour, &[area])
        .expect("fill");
}

/// Paints `area`, captures it as the frame's damage and applies the frame that comes out.
fn frame(
    image: &mut Image<'static, 'static>,
    sink: &mut dyn FrameSink,
    frames: &std::sync::mpsc::Receiver<Encoded>,
    fb: &mut [u8],
    area: (i32, i32, i32, i32),
    rgb: u16,
) {
    paint(image, area, rgb);
    let damage = [Rectangle::<i32, Physical>::new(
        (area.0, area.1).into(),
        (area.2, area.3).into(),
    )];
    sink.frame(&CapturedFrame::new(image, &damage));
    apply(frames, fb);
}

fn apply(frames: &std::sync::mpsc::Receiver<Encoded>, fb: &mut [u8]) {
    take_frame(frames, fb);
}

fn pixels(image: &Image<'static, 'static>) -> Vec<u8> {
    CapturedFrame::new(image, &[]).to_bgra()
}

/// A pipeline, an output image and a decoder's framebuffer after a first, whole frame.
fn started() -> (
    Pipeline,
    super::PipelineSink,
    std::sync::mpsc::Receiver<Encoded>,
    Image<'static, 'static>,
    Vec<u8>,
) {
    let (pipeline, mut sink, frames) = Pipeline::start(4, false).expect("encoder thread");
    let mut image =
        Image::new(FormatCode::A8R8G8B8, SIZE as usize, SIZE as usize, true).expect("image");
    let mut fb = vec![0u8; (SIZE * SIZE * 4) as usize];
    let whole = (0, 0, SIZE, SIZE);
    frame(&mut image, &mut sink, &frames, &mut fb, whole, 0x4000);
    (pipeline, sink, frames, image, fb)
}

#[test]
fn captures_in_other_places_than_the_last_frame_keep_the_encoded_frame_whole() {
    let (pipeline, mut sink, frames, mut image, mut fb) = started();
    assert!(fb == pixels(&image), "the first frame");
    // Each frame's damage lies elsewhere than the one before, or covers part of it: the
    // staging frame swapped in must still get the earlier frame's change.
    let areas = [
        (0, 0, 128, 80),
        (0, 48, 128, 80),
        (0, 0, 20, 20),
        (32, 0, 96, 128),
        (0, 0, 96, 128),
        (16, 16, 30, 30),
        (0, 0, 128, 128),
        (16, 16, 96, 96),
    ];
    for (i, area) in areas.into_iter().enumerate() {
        frame(
            &mut image,
            &mut sink,
            &frames,
            &mut fb,
            area,
            0x2000 + 0x1000 * i as u16,
        );
        assert!(fb == pixels(&image), "frame {i} decodes to the capture");
    }
    // A keyframe without a capture since is the newest frame too, and so is one after it.
    for _ in 0..2 {
        fb.fill(0);
        pipeline.request_keyframe();
        apply(&frames, &mut fb);
        assert!(fb == pixels(&image), "a keyframe holds the newest capture");
    }
    frame(
        &mut image,
        &mut sink,
        &frames,
        &mut fb,
        (32, 32, 64, 64),
        0xf000,
    );
    fb.fill(0);
    pipeline.request_keyframe();
    apply(&frames, &mut fb);
    assert!(fb == pixels(&image), "a keyframe after a capture");
}

#[test]
fn a_new_size_starts_again_from_the_whole_capture() {
    let (_pipeline, mut sink, frames, mut image, mut fb) = started();
    frame(
        &mut image,
        &mut sink,
        &frames,
        &mut fb,
        (0, 0, SIZE, 96),
        0x6000,
    );
    // Swapped and stale where the last frame changed; now the output is turned on its side
    // (the same number of bytes) and the capture names only a corner as damage.
    let (w, h) = (SIZE / 2, SIZE * 2);
    let mut turned = Image::new(FormatCode::A8R8G8B8, w as usize, h as usize, true).expect("image");
    paint(&mut turned, (0, 0, w, h), 0x8000);
    paint(&mut turned, (0, 0, 8, 8), 0xa000);
    let corner = [Rectangle::<i32, Physical>::new(
        (0, 0).into(),
        (8, 8).into(),
    )];
    sink.frame(&CapturedFrame::new(&turned, &corner));
    let encoded = frames
        .recv_timeout(Duration::from_secs(10))
        .expect("a frame is encoded");
    assert!(encoded.update.keyframe, "a new size is a keyframe");
    let mut fb = vec![0u8; (w * h * 4) as usize];
    let mut view = PixelViewMut::packed(&mut fb, w as u32, h as u32).expect("view");
    let mut ctx = ZstdContext::new().expect("zstd");
    for region in &encoded.update.regions {
        decode_region(&mut view, region, &mut ctx).expect("region decodes");
    }
    assert!(
        fb == pixels(&turned),
        "the keyframe holds the whole new capture"
    );
}

/// Receives a frame; decodes its lossless regions into `fb`; returns its regions' codecs
/// and rectangles.
/// Applies the next encoded frame to `fb` (its lossless regions); what it held.
pub(crate) fn take_frame(
    frames: &std::sync::mpsc::Receiver<Encoded>,
    fb: &mut [u8],
) -> Vec<(
    wayray_protocol::messages::display::Codec,
    wayray_protocol::Rect,
)> {
    use wayray_protocol::messages::display::Codec;
    let encoded = frames
        .recv_timeout(Duration::from_secs(10))
        .expect("a frame is encoded");
    let update = &encoded.update;
    let mut view = PixelViewMut::packed(fb, update.output_width, update.output_height).unwrap();
    let mut ctx = ZstdContext::new().unwrap();
    for region in update.regions.iter().filter(|r| r.codec != Codec::H264) {
        decode_region(&mut view, region, &mut ctx).expect("region decodes");
    }
    update.regions.iter().map(|r| (r.codec, r.rect)).collect()
}

#[test]
fn a_frame_beside_the_video_leaves_the_video_damage_for_the_next_whole_frame() {
    use wayray_protocol::Rect;
    use wayray_protocol::codec::h264_available;
    use wayray_protocol::messages::display::Codec;
    if !h264_available() {
        assert!(std::env::var("CI").is_err(), "libx264 missing in CI");
        return;
    }
    let (pipeline, mut sink, frames) = Pipeline::start(4, true).expect("encoder thread");
    let size = 256;
    let mut image = Image::new(FormatCode::A8R8G8B8, size, size, true).expect("image");
    let mut fb = vec![0u8; size * size * 4];
    let window = [Rect::new(0, 0, 128, 128)];
    let capture = |image: &Image<'static, 'static>,
                   sink: &mut super::PipelineSink,
                   areas: &[(i32, i32, i32, i32)]| {
        let damage: Vec<Rectangle<i32, Physical>> = areas
            .iter()
            .map(|a| Rectangle::new((a.0, a.1).into(), (a.2, a.3).into()))
            .collect();
        sink.frame(&CapturedFrame::new(image, &damage).with_video(&window));
    };
    let whole = (0, 0, size as i32, size as i32);
    paint(&mut image, whole, 0x4000);
    capture(&image, &mut sink, &[whole]);
    take_frame(&frames, &mut fb);
    pipeline.set_gated(true);
    // The video window plays: its frame streams.
    let video = (0, 0, 128, 128);
    paint(&mut image, video, 0x1000);
    capture(&image, &mut sink, &[video]);
    pipeline.grant();
    let first = take_frame(&frames, &mut fb);
    assert!(first.iter().all(|(c, _)| *c == Codec::H264), "{first:?}");
    // Video and a typed line change; only the line may go beside.
    let line = (0, 200, 256, 16);
    paint(&mut image, video, 0x2000);
    paint(&mut image, line, 0x9000);
    capture(&image, &mut sink, &[video, line]);
    pipeline.grant_beside();
    let beside = take_frame(&frames, &mut fb);
    assert!(!beside.is_empty());
    assert!(
        beside
            .iter()
            .all(|(c, r)| *c != Codec::H264 && !r.intersects(&window[0])),
        "only the line: {beside:?}"
    );
    // A change beside the video that leaves its pixels as they were: nothing to send, and
    // the credit stays one for a frame beside the video (the video's damage waits).
    paint(&mut image, video, 0x2800);
    capture(&image, &mut sink, &[video, line]);
    pipeline.grant_beside();
    assert!(frames.recv_timeout(Duration::from_millis(300)).is_err());
    capture(&image, &mut sink, &[video]);
    assert!(
        frames.recv_timeout(Duration::from_millis(300)).is_err(),
        "video alone goes with a whole frame's credit only"
    );
    // A whole frame's credit takes the video's damage left pending.
    pipeline.grant();
    let rest = take_frame(&frames, &mut fb);
    assert!(rest.iter().all(|(c, _)| *c == Codec::H264), "{rest:?}");
    // Later frames away from the video still decode to the newest capture there.
    for (i, area) in [(130, 0, 126, 100), (0, 150, 200, 100), (128, 128, 128, 128)]
        .into_iter()
        .enumerate()
    {
        paint(&mut image, area, 0x5000 + 0x1000 * i as u16);
        capture(&image, &mut sink, &[area]);
        if i == 1 {
            pipeline.grant_beside();
        } else {
            pipeline.grant();
        }
        take_frame(&frames, &mut fb);
    }
    let want = pixels(&image);
    let row = size * 4;
    let differing = (0..size * size)
        .filter(|i| {
            let (x, y) = (i % size, i / size);
            !(x < 128 && y < 128) && fb[y * row + x * 4..][..4] != want[y * row + x * 4..][..4]
        })
        .count();
    assert_eq!(differing, 0, "pixels away from the video differ");
}
