//! The renderer lending its pictures to the encoder's pipeline: whatever order frames are
//! drawn and encoded in (coalesced, after a new size, with a keyframe between), each frame is
//! whole — the same as drawn for a sink that keeps nothing — and the viewer's copy ends up as
//! the newest frame.

use smithay::backend::renderer::Color32F;
use smithay::backend::renderer::element::solid::SolidColorRenderElement;
use smithay::backend::renderer::element::{Id, Kind};
use smithay::backend::renderer::utils::CommitCounter;
use smithay::utils::{Physical, Rectangle};

use super::RenderTarget;
use crate::session::capture::NullSink;
use crate::session::encode::pipeline::Pipeline;
use crate::session::encode::pipeline::tests::take_frame;
use crate::session::output::OutputConfig;

const W: u32 = 160;
const H: u32 = 120;

/// A solid rectangle that is new in this frame (its old place is damaged when it goes).
fn solid(x: i32, y: i32, w: i32, h: i32, shade: f32) -> SolidColorRenderElement {
    SolidColorRenderElement::new(
        Id::new(),
        Rectangle::<i32, Physical>::new((x, y).into(), (w, h).into()),
        CommitCounter::default(),
        Color32F::new(shade, 1.0 - shade, 0.5, 1.0),
        Kind::Unspecified,
    )
}

/// Draws `elements` and hands the frame to the sink; whether anything changed.
fn render(target: &mut RenderTarget, elements: &[SolidColorRenderElement], n: u64) -> bool {
    let damage = target.draw(elements).expect("draw");
    match damage.filter(|d| !d.is_empty()) {
        Some(damage) => {
            target.capture(&damage, n, &[], &[]);
            true
        }
        None => false,
    }
}

#[test]
fn lent_pictures_give_the_viewer_every_frame_and_the_renderer_the_newest() {
    let mut config = OutputConfig {
        width: W,
        height: H,
        ..OutputConfig::default()
    };
    let output = config.create_output();
    let (pipeline, sink, frames) = Pipeline::start(4, false).expect("encoder thread");
    // Frames are encoded only when granted: several drawn in between coalesce, so pictures
    // come back both straight from the staging frame and from the encoder's older copy.
    pipeline.set_gated(true);
    let mut target = RenderTarget::new(&output, W, H, Box::new(sink)).expect("target");
    // The same frames drawn for a sink that only reads them: what every frame must look like.
    let mut reference = RenderTarget::new(&output, W, H, Box::new(NullSink)).expect("target");
    let mut fb = vec![0u8; (W * H * 4) as usize];
    let back = solid(0, 0, 2 * W as i32, 2 * H as i32, 0.1);
    let mut seed = 7u32;
    let mut next = |m: u32| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (seed >> 16) % m
    };
    let mut drawn = 0u64;
    for step in 0..90u32 {
        if step == 45 {
            // A new output size, drawn whole into new pictures.
            (config.width, config.height) = (H, W);
            config.apply(&output);
            target.resize(&output, H, W);
            reference.resize(&output, H, W);
            fb = vec![0u8; (W * H * 4) as usize];
        }
        if step == 70 {
            // A keyframe asked for between frames.
            pipeline.request_keyframe();
        }
        let (w, h) = (config.width, config.height);
        // Two rectangles somewhere new each frame, over a background that stays.
        let a = solid(
            next(w - 16) as i32,
            next(h - 16) as i32,
            (8 + next(60)) as i32,
            (8 + next(40)) as i32,
            step as f32 / 90.0,
        );
        let b = solid(
            next(w / 2) as i32,
            next(h / 2) as i32,
            (4 + next(w)) as i32,
            (2 + next(12)) as i32,
            1.0 - step as f32 / 90.0,
        );
        drawn += 1;
        let elements = [a, b, back.clone()];
        assert!(render(&mut target, &elements, drawn), "damage");
        assert!(render(&mut reference, &elements, drawn), "damage");
        let newest = target.frame().to_bgra();
        assert!(
            newest == reference.frame().to_bgra(),
            "frame {step} drawn whole"
        );
        // Encoded after 1, 2 or 3 frames drawn.
        if next(3) == 0 || step == 89 {
            pipeline.grant();
            take_frame(&frames, &mut fb);
            assert!(fb == newest, "the viewer's copy is frame {step}");
        }
    }
    // Screenshots read the newest frame, and so does the picture drawn into once settled.
    let newest = target.frame().to_bgra();
    target.settle();
    assert!(target.newest.is_none(), "no share kept after settling");
    assert!(
        target.frame().to_bgra() == newest,
        "the settled picture is the newest"
    );
    assert!(fb == newest);
}
