//! `H264`: video regions through FFmpeg — libx264 (ultrafast, zerolatency, no B-frames, one
//! packet per frame) to encode, FFmpeg's native h264 decoder to decode. Lossy: the encoder
//! refreshes a region losslessly once its motion stops.
//!
//! Built with the `h264` feature; without it `h264_stub.rs` provides the same API, whose
//! constructors fail with [`CodecError::Unsupported`].

use std::sync::Once;

use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg_next as ffmpeg;

use super::{Chroma, CodecError, PixelView, PixelViewMut};
use crate::Rect;
use crate::messages::display::Codec;

fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // A failed init shows up as "encoder not found" when a stream is created.
        let _ = ffmpeg::init();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}

fn err(detail: impl std::fmt::Display) -> CodecError {
    CodecError::malformed(Codec::H264, detail.to_string())
}

/// Whether this build can encode and decode H.264.
pub fn available() -> bool {
    init();
    ffmpeg::encoder::find_by_name("libx264").is_some()
        && ffmpeg::decoder::find(ffmpeg::codec::Id::H264).is_some()
}

/// An H.264 stream for one region size.
pub struct H264Encoder {
    encoder: ffmpeg::encoder::Video,
    scaler: scaling::Context,
    bgra: ffmpeg::frame::Video,
    yuv: ffmpeg::frame::Video,
    packet: ffmpeg::Packet,
    width: u32,
    height: u32,
    /// The last timestamp given to the encoder, ms.
    pts: Option<i64>,
    /// The rate cap, kbit/s, where one is set.
    max_kbps: Option<u32>,
    /// The frame rate seen, to turn the cap into x264's per-frame budget.
    scale: RateScale,
    chroma: Chroma,
}

/// The conversion from BGRA for a chroma format. For 4:4:4, every pixel's own colour
/// (without `FULL_CHR_H_INP` swscale averages pixel pairs' colour even for 4:4:4) through
/// the exact path (`FAST_BILINEAR`'s loses: BGRA → 4:4:4 → BGRA gives 36.6 dB on testsrc2
/// with it, 52.4 dB with `BICUBIC`, at the same speed when nothing is scaled).
fn input_flags(chroma: Chroma) -> scaling::Flags {
    match chroma {
        Chroma::Half => scaling::Flags::FAST_BILINEAR,
        Chroma::Full => scaling::Flags::BICUBIC | scaling::Flags::FULL_CHR_H_INP,
    }
}

/// The conversion to BGRA for a decoded picture's format: a 4:4:4 picture's colour for every
/// pixel (without `FULL_CHR_H_INT` swscale gives pixel pairs one colour), exactly.
fn output_flags(format: Pixel) -> scaling::Flags {
    if matches!(format, Pixel::YUV444P | Pixel::YUVJ444P) {
        scaling::Flags::BICUBIC | scaling::Flags::FULL_CHR_H_INT
    } else {
        scaling::Flags::FAST_BILINEAR
    }
}

/// What a decoded picture is converted to: 4:4:4 to planar RGB, which swscale converts in
/// half the time of packed BGRA with full chroma (interleaved here), 4:2:0 to BGRA.
fn target(format: Pixel) -> Pixel {
    if matches!(format, Pixel::YUV444P | Pixel::YUVJ444P) {
        Pixel::GBRP
    } else {
        Pixel::BGRA
    }
}

/// FFmpeg's planar format for a chroma format.
fn planar(chroma: Chroma) -> Pixel {
    match chroma {
        Chroma::Half => Pixel::YUV420P,
        Chroma::Full => Pixel::YUV444P,
    }
}

/// The frame rate x264 is told (zerolatency: constant frame rate).
const ASSUMED_FPS: u32 = 30;

/// The frame rate a stream's frames really come at (a moving average of their intervals),
/// and the rate handed to x264 for it: a cap of `kbps` at `fps` frames a second is
/// `kbps × 30 / fps` at the 30 x264 assumes.
#[derive(Clone, Copy, Debug)]
struct RateScale {
    /// Average interval between frames, ms.
    interval_ms: f64,
    /// The rate x264 was last given, kbit/s.
    applied_kbps: u32,
}

impl RateScale {
    fn new() -> Self {
        Self {
            interval_ms: 1000.0 / f64::from(ASSUMED_FPS),
            applied_kbps: 0,
        }
    }

    /// A frame came `interval_ms` after the previous one.
    fn frame(&mut self, interval_ms: f64) {
        // Between 2 and 1000 ms: a pause in the video does not count as a slow frame rate.
        let interval = interval_ms.clamp(2.0, 1000.0);
        self.interval_ms += (interval - self.interval_ms) / 8.0;
    }

    /// The rate to give x264 for a cap of `kbps`, if it moved by 10 % or more.
    fn update(&mut self, kbps: u32) -> Option<u32> {
        let fps = 1000.0 / self.interval_ms;
        let scaled = (f64::from(kbps) * f64::from(ASSUMED_FPS) / fps)
            .round()
            .max(1.0) as u32;
        let moved =
            scaled.abs_diff(self.applied_kbps) as f64 >= f64::from(self.applied_kbps) / 10.0;
        if moved {
            self.applied_kbps = scaled;
            Some(scaled)
        } else {
            None
        }
    }
}

impl std::fmt::Debug for H264Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Encoder")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

// SAFETY: the FFmpeg contexts are only ever used by the one thread that owns the encoder at a
// time; they hold no thread-affine state.
unsafe impl Send for H264Encoder {}

impl H264Encoder {
    /// A stream for `width` × `height` regions (both even), at constant quality (CRF 23).
    pub fn new(width: u32, height: u32) -> Result<Self, CodecError> {
        Self::open(width, height, None, Chroma::Half)
    }

    /// A stream for `width` × `height` regions at constant quality, but never above
    /// `max_kbps` kbit/s (capped CRF: an x264 VBV of a tenth of a second at that rate).
    /// [`H264Encoder::set_max_rate`] moves the cap while it runs.
    pub fn with_max_rate(width: u32, height: u32, max_kbps: u32) -> Result<Self, CodecError> {
        Self::open(width, height, Some(max_kbps.max(1)), Chroma::Half)
    }

    /// As [`H264Encoder::with_max_rate`], in the chroma format `chroma` (4:4:4 is the High
    /// 4:4:4 Predictive profile, which only viewers announcing `h264-444` are sent).
    pub fn with_chroma(
        width: u32,
        height: u32,
        max_kbps: u32,
        chroma: Chroma,
    ) -> Result<Self, CodecError> {
        Self::open(width, height, Some(max_kbps.max(1)), chroma)
    }

    fn open(
        width: u32,
        height: u32,
        max_kbps: Option<u32>,
        chroma: Chroma,
    ) -> Result<Self, CodecError> {
        init();
        if width % 2 != 0 || height % 2 != 0 || width == 0 || height == 0 {
            return Err(err(format!("{width}x{height} is not an even size")));
        }
        let codec = ffmpeg::encoder::find_by_name("libx264")
            .ok_or(CodecError::Unsupported { codec: Codec::H264 })?;
        let mut encoder = ffmpeg::codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(err)?;
        encoder.set_width(width);
        encoder.set_height(height);
        encoder.set_format(planar(chroma));
        encoder.set_time_base((1, 1000));
        // zerolatency's rate control assumes a constant frame rate (taking the real one from
        // the timestamps would hold every frame back until the next): this one, with the cap
        // scaled by the rate the frames really come at (`RateScale`).
        encoder.set_frame_rate(Some((ASSUMED_FPS as i32, 1)));
        encoder.set_max_b_frames(0);
        // Keyframes only at the start: a viewer that joins gets a lossless keyframe and the
        // video stream restarts.
        encoder.set_gop(i32::MAX as u32);
        let mut scale = RateScale::new();
        if let Some(kbps) = max_kbps.and_then(|kbps| scale.update(kbps)) {
            // SAFETY: the context is not open yet and owned here.
            set_vbv(unsafe { encoder.as_mut_ptr() }, kbps);
        }
        let mut options = ffmpeg::Dictionary::new();
        options.set("preset", "ultrafast");
        options.set("tune", "zerolatency");
        options.set("crf", "23");
        let encoder = encoder.open_with(options).map_err(err)?;
        let scaler = scaling::Context::get(
            Pixel::BGRA,
            width,
            height,
            planar(chroma),
            width,
            height,
            input_flags(chroma),
        )
        .map_err(err)?;
        Ok(Self {
            encoder,
            scaler,
            bgra: ffmpeg::frame::Video::new(Pixel::BGRA, width, height),
            yuv: ffmpeg::frame::Video::new(planar(chroma), width, height),
            packet: ffmpeg::Packet::empty(),
            width,
            height,
            pts: None,
            max_kbps,
            scale,
            chroma,
        })
    }

    /// Moves the rate cap of a stream opened [`H264Encoder::with_max_rate`] to `max_kbps`
    /// from the next frame on (x264 reconfigures its VBV); a stream without a cap keeps none.
    pub fn set_max_rate(&mut self, max_kbps: u32) {
        if self.max_kbps.is_some() {
            self.max_kbps = Some(max_kbps.max(1));
            self.apply_rate();
        }
    }

    /// Hands x264 the cap for the frame rate seen, where it moved enough.
    fn apply_rate(&mut self) {
        if let Some(kbps) = self.max_kbps.and_then(|kbps| self.scale.update(kbps)) {
            // SAFETY: the context is open and owned by this encoder; libx264 reads these
            // fields at the next frame and reconfigures itself.
            set_vbv(unsafe { self.encoder.as_mut_ptr() }, kbps);
        }
    }

    /// The rate cap in effect, kbit/s.
    pub fn max_rate(&self) -> Option<u32> {
        self.max_kbps
    }

    /// The region size this stream encodes.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The stream's chroma format.
    pub fn chroma(&self) -> Chroma {
        self.chroma
    }

    /// Encodes `rect` of `src` (its size must be the stream's), captured `at` after the
    /// stream began, into one access unit.
    pub fn encode(
        &mut self,
        src: &PixelView<'_>,
        rect: Rect,
        at: std::time::Duration,
    ) -> Result<Vec<u8>, CodecError> {
        if (rect.width, rect.height) != (self.width, self.height) {
            return Err(err("region size does not match the stream"));
        }
        let stride = self.bgra.stride(0);
        let data = self.bgra.data_mut(0);
        for (y, row) in src.rows(rect).enumerate() {
            data[y * stride..y * stride + row.len()].copy_from_slice(row);
        }
        self.scaler.run(&self.bgra, &mut self.yuv).map_err(err)?;
        // Timestamps in ms, strictly increasing.
        let at = i64::try_from(at.as_millis()).unwrap_or(i64::MAX);
        let pts = self.pts.map_or(at, |last| at.max(last.saturating_add(1)));
        if let Some(last) = self.pts {
            self.scale.frame((pts - last) as f64);
            self.apply_rate();
        }
        self.pts = Some(pts);
        self.yuv.set_pts(Some(pts));
        self.encoder.send_frame(&self.yuv).map_err(err)?;
        let mut out = Vec::new();
        while self.encoder.receive_packet(&mut self.packet).is_ok() {
            if let Some(bytes) = self.packet.data() {
                out.extend_from_slice(bytes);
            }
        }
        Ok(out)
    }
}

/// Sets the VBV of `ctx` for `kbps`: that rate at most, over a buffer of a tenth of a second
/// (a frame may not take much longer than that on a link of that rate).
fn set_vbv(ctx: *mut ffmpeg::ffi::AVCodecContext, kbps: u32) {
    let bits = i64::from(kbps) * 1000;
    // SAFETY: `ctx` is a live codec context owned by the caller, used by this thread only.
    unsafe {
        (*ctx).rc_max_rate = bits;
        (*ctx).rc_buffer_size = i32::try_from(bits / 10).unwrap_or(i32::MAX);
    }
}

/// Decodes one H.264 stream into framebuffer rectangles.
pub struct H264Decoder {
    decoder: ffmpeg::decoder::Video,
    /// The conversion to BGRA for the pictures' format and size.
    scaler: Option<(scaling::Context, Pixel, u32, u32)>,
    yuv: ffmpeg::frame::Video,
    bgra: ffmpeg::frame::Video,
}

impl std::fmt::Debug for H264Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Decoder").finish_non_exhaustive()
    }
}

// SAFETY: as for the encoder, used by one thread at a time.
unsafe impl Send for H264Decoder {}

impl H264Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Result<Self, CodecError> {
        init();
        let codec = ffmpeg::decoder::find(ffmpeg::codec::Id::H264)
            .ok_or(CodecError::Unsupported { codec: Codec::H264 })?;
        let decoder = ffmpeg::codec::context::Context::new_with_codec(codec)
            .decoder()
            .video()
            .map_err(err)?;
        Ok(Self {
            decoder,
            scaler: None,
            yuv: ffmpeg::frame::Video::empty(),
            bgra: ffmpeg::frame::Video::empty(),
        })
    }

    /// The chroma format of the last picture decoded, if any.
    pub fn chroma(&self) -> Option<Chroma> {
        match self.scaler.as_ref()?.1 {
            Pixel::YUV444P | Pixel::YUVJ444P => Some(Chroma::Full),
            Pixel::YUV420P | Pixel::YUVJ420P => Some(Chroma::Half),
            _ => None,
        }
    }

    /// Decodes one access unit and writes the picture into `rect` of `fb`. The picture must
    /// have the rectangle's size.
    pub fn decode(
        &mut self,
        fb: &mut PixelViewMut<'_>,
        rect: Rect,
        payload: &[u8],
    ) -> Result<(), CodecError> {
        let packet = ffmpeg::Packet::copy(payload);
        self.decoder.send_packet(&packet).map_err(err)?;
        self.decoder.receive_frame(&mut self.yuv).map_err(err)?;
        let (w, h) = (self.yuv.width(), self.yuv.height());
        if (w, h) != (rect.width, rect.height) {
            return Err(err(format!(
                "picture is {w}x{h}, region is {}x{}",
                rect.width, rect.height
            )));
        }
        let format = self.yuv.format();
        // A stream may change format at a new sequence parameter set (4:2:0 to 4:4:4).
        let reuse =
            matches!(&self.scaler, Some((_, f, sw, sh)) if (*f, *sw, *sh) == (format, w, h));
        if !reuse {
            let scaler =
                scaling::Context::get(format, w, h, target(format), w, h, output_flags(format))
                    .map_err(err)?;
            self.scaler = Some((scaler, format, w, h));
            // The converted picture's format may change with the stream's.
            self.bgra = ffmpeg::frame::Video::empty();
        }
        if let Some((scaler, ..)) = self.scaler.as_mut() {
            scaler.run(&self.yuv, &mut self.bgra).map_err(err)?;
        }
        let row_bytes = w as usize * 4;
        if self.bgra.format() == Pixel::GBRP {
            let (g, b, r) = (self.bgra.data(0), self.bgra.data(1), self.bgra.data(2));
            let strides = [
                self.bgra.stride(0),
                self.bgra.stride(1),
                self.bgra.stride(2),
            ];
            for y in 0..h as usize {
                let row = fb.row_mut(rect, y as u32);
                let g = &g[y * strides[0]..][..w as usize];
                let b = &b[y * strides[1]..][..w as usize];
                let r = &r[y * strides[2]..][..w as usize];
                for (((px, b), g), r) in row.chunks_exact_mut(4).zip(b).zip(g).zip(r) {
                    px.copy_from_slice(&[*b, *g, *r, 0xff]);
                }
            }
            return Ok(());
        }
        let stride = self.bgra.stride(0);
        let data = self.bgra.data(0);
        for y in 0..h {
            let start = y as usize * stride;
            fb.row_mut(rect, y)
                .copy_from_slice(&data[start..start + row_bytes]);
        }
        Ok(())
    }
}
