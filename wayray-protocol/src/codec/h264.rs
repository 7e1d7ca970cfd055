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

use super::{CodecError, PixelView, PixelViewMut};
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
    pts: i64,
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
    /// A stream for `width` × `height` regions (both even).
    pub fn new(width: u32, height: u32) -> Result<Self, CodecError> {
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
        encoder.set_format(Pixel::YUV420P);
        encoder.set_time_base((1, 1000));
        encoder.set_max_b_frames(0);
        // Keyframes only at the start: a viewer that joins gets a lossless keyframe and the
        // video stream restarts.
        encoder.set_gop(i32::MAX as u32);
        let mut options = ffmpeg::Dictionary::new();
        options.set("preset", "ultrafast");
        options.set("tune", "zerolatency");
        options.set("crf", "23");
        let encoder = encoder.open_with(options).map_err(err)?;
        let scaler = scaling::Context::get(
            Pixel::BGRA,
            width,
            height,
            Pixel::YUV420P,
            width,
            height,
            scaling::Flags::FAST_BILINEAR,
        )
        .map_err(err)?;
        Ok(Self {
            encoder,
            scaler,
            bgra: ffmpeg::frame::Video::new(Pixel::BGRA, width, height),
            yuv: ffmpeg::frame::Video::new(Pixel::YUV420P, width, height),
            packet: ffmpeg::Packet::empty(),
            width,
            height,
            pts: 0,
        })
    }

    /// The region size this stream encodes.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Encodes `rect` of `src` (its size must be the stream's) into one access unit.
    pub fn encode(&mut self, src: &PixelView<'_>, rect: Rect) -> Result<Vec<u8>, CodecError> {
        if (rect.width, rect.height) != (self.width, self.height) {
            return Err(err("region size does not match the stream"));
        }
        let stride = self.bgra.stride(0);
        let data = self.bgra.data_mut(0);
        for (y, row) in src.rows(rect).enumerate() {
            data[y * stride..y * stride + row.len()].copy_from_slice(row);
        }
        self.scaler.run(&self.bgra, &mut self.yuv).map_err(err)?;
        self.yuv.set_pts(Some(self.pts));
        self.pts += 1;
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

/// Decodes one H.264 stream into framebuffer rectangles.
pub struct H264Decoder {
    decoder: ffmpeg::decoder::Video,
    scaler: Option<(scaling::Context, u32, u32)>,
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
        let reuse = matches!(&self.scaler, Some((_, sw, sh)) if (*sw, *sh) == (w, h));
        if !reuse {
            let scaler = scaling::Context::get(
                format,
                w,
                h,
                Pixel::BGRA,
                w,
                h,
                scaling::Flags::FAST_BILINEAR,
            )
            .map_err(err)?;
            self.scaler = Some((scaler, w, h));
        }
        if let Some((scaler, _, _)) = self.scaler.as_mut() {
            scaler.run(&self.yuv, &mut self.bgra).map_err(err)?;
        }
        let stride = self.bgra.stride(0);
        let data = self.bgra.data(0);
        let row_bytes = w as usize * 4;
        for y in 0..h {
            let start = y as usize * stride;
            fb.row_mut(rect, y)
                .copy_from_slice(&data[start..start + row_bytes]);
        }
        Ok(())
    }
}
