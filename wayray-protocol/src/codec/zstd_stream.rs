//! One zstd stream from each keyframe on (capability `zstd-stream`, docs/adr/0039): the
//! zstd-coded payloads (palette, raw, delta) of a keyframe and of every frame update after it
//! are consecutive parts of one zstd stream, in the order the viewer applies them. Each part
//! is flushed, so it decodes given the parts before it; a keyframe starts the stream again.
//!
//! Compressed one by one, a tile cannot refer to the tile beside it; in one stream the
//! glyphs, rows and widgets that repeat across tiles and frames cost a reference each. Both
//! ends already apply every frame in order from a keyframe on (the shadow and the content
//! cache depend on it), so the stream adds no new ordering rule.

use zstd::stream::raw::{Decoder, Encoder, InBuffer, Operation, OutBuffer};
use zstd::zstd_safe::{CParameter, DParameter};

use super::CodecError;
use crate::messages::display::Codec;

/// zstd level of the stream: the fastest, as for payloads compressed alone.
const LEVEL: i32 = 1;

/// log2 of the stream's window: a part may refer back this far (1 MiB). The viewer refuses
/// streams that ask for more, so a peer cannot make it hold a larger window.
pub const WINDOW_LOG: u32 = 20;

/// The stream state of one end: the server compresses, the viewer decompresses (each
/// creates its half on first use).
#[derive(Default)]
pub(super) struct ZstdStream {
    compressor: Option<Encoder<'static>>,
    decompressor: Option<Decoder<'static>>,
}

fn io_error(e: std::io::Error) -> CodecError {
    CodecError::Compress(e.to_string())
}

impl ZstdStream {
    /// Starts a new stream: the next part depends on nothing before it.
    pub(super) fn restart(&mut self) -> Result<(), CodecError> {
        if let Some(compressor) = self.compressor.as_mut() {
            compressor.reinit().map_err(io_error)?;
        }
        if let Some(decompressor) = self.decompressor.as_mut() {
            decompressor.reinit().map_err(io_error)?;
        }
        Ok(())
    }

    fn compressor(&mut self) -> Result<&mut Encoder<'static>, CodecError> {
        if self.compressor.is_none() {
            let mut encoder = Encoder::new(LEVEL).map_err(io_error)?;
            encoder
                .set_parameter(CParameter::WindowLog(WINDOW_LOG))
                .map_err(io_error)?;
            self.compressor = Some(encoder);
        }
        self.compressor
            .as_mut()
            .ok_or_else(|| CodecError::Compress("no compressor".into()))
    }

    fn decompressor(&mut self) -> Result<&mut Decoder<'static>, CodecError> {
        if self.decompressor.is_none() {
            let mut decoder = Decoder::new().map_err(io_error)?;
            decoder
                .set_parameter(DParameter::WindowLogMax(WINDOW_LOG))
                .map_err(io_error)?;
            self.decompressor = Some(decoder);
        }
        self.decompressor
            .as_mut()
            .ok_or_else(|| CodecError::Compress("no decompressor".into()))
    }

    /// The next part of the stream: `data`, compressed and flushed.
    pub(super) fn compress(&mut self, data: &[u8]) -> Result<Vec<u8>, CodecError> {
        let compressor = self.compressor()?;
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(data.len()) + 16);
        let mut input = InBuffer::around(data);
        while input.pos() < data.len() {
            if out.capacity() == out.len() {
                out.reserve(data.len() - input.pos() + 16);
            }
            let pos = out.len();
            compressor
                .run(&mut input, &mut OutBuffer::around_pos(&mut out, pos))
                .map_err(io_error)?;
        }
        loop {
            if out.capacity() == out.len() {
                out.reserve(64);
            }
            let pos = out.len();
            let left = compressor
                .flush(&mut OutBuffer::around_pos(&mut out, pos))
                .map_err(io_error)?;
            if left == 0 {
                return Ok(out);
            }
        }
    }

    /// Decompresses the next part, `payload`, into `out` (emptied first); it must give at
    /// most `max` bytes.
    pub(super) fn decompress(
        &mut self,
        codec: Codec,
        payload: &[u8],
        max: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), CodecError> {
        let error = |detail: String| CodecError::Decompress {
            codec,
            expected: max,
            detail,
        };
        let decompressor = self.decompressor()?;
        out.clear();
        // One byte more than allowed: a part that fills it is too long.
        out.reserve_exact(max + 1);
        let room = max + 1;
        let mut input = InBuffer::around(payload);
        loop {
            let (read, written) = (input.pos(), out.len());
            let pos = out.len();
            decompressor
                .run(&mut input, &mut OutBuffer::around_pos(out, pos))
                .map_err(|e| error(e.to_string()))?;
            if out.len() > max {
                return Err(error(format!("more than {max} bytes")));
            }
            // Everything a flushed part holds comes out once it is read, while there is room.
            if input.pos() == payload.len() && out.len() < room {
                return Ok(());
            }
            if (input.pos(), out.len()) == (read, written) {
                return Err(error("the stream stopped".into()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(seed: u8, len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8 / 7).wrapping_mul(seed) ^ (i % 13) as u8)
            .collect()
    }

    fn decode(stream: &mut ZstdStream, payload: &[u8], max: usize) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::new();
        stream.decompress(Codec::RawZstd, payload, max, &mut out)?;
        Ok(out)
    }

    #[test]
    fn parts_decode_in_order_and_repeats_cost_little() {
        let (mut server, mut viewer) = (ZstdStream::default(), ZstdStream::default());
        let bodies = [body(3, 5000), body(5, 3000), body(3, 5000), body(3, 5000)];
        let parts: Vec<Vec<u8>> = bodies.iter().map(|b| server.compress(b).unwrap()).collect();
        for (part, body) in parts.iter().zip(&bodies) {
            assert_eq!(&decode(&mut viewer, part, body.len()).unwrap(), body);
        }
        // The third body is the first again: a reference, not its bytes.
        let alone = zstd::bulk::compress(&bodies[2], LEVEL).unwrap();
        assert!(
            parts[2].len() * 4 < alone.len(),
            "{} vs {}",
            parts[2].len(),
            alone.len()
        );
        // After a restart on both ends the first part stands alone again.
        server.restart().unwrap();
        viewer.restart().unwrap();
        let part = server.compress(&bodies[0]).unwrap();
        assert_eq!(decode(&mut viewer, &part, 5000).unwrap(), bodies[0]);
        let mut fresh = ZstdStream::default();
        assert_eq!(decode(&mut fresh, &part, 5000).unwrap(), bodies[0]);
    }

    #[test]
    fn whole_zstd_frames_read_as_parts() {
        // A server that compresses each payload on its own still makes a readable stream.
        let mut viewer = ZstdStream::default();
        for seed in [1, 2, 1] {
            let b = body(seed, 2000);
            let alone = zstd::bulk::compress(&b, LEVEL).unwrap();
            assert_eq!(decode(&mut viewer, &alone, 2000).unwrap(), b);
        }
    }

    #[test]
    fn bad_parts_are_errors() {
        let mut server = ZstdStream::default();
        let part = server.compress(&body(7, 4000)).unwrap();
        // Longer than the region allows.
        assert!(decode(&mut ZstdStream::default(), &part, 3999).is_err());
        // Garbage, and a part cut short.
        assert!(decode(&mut ZstdStream::default(), &[0x55; 40], 4000).is_err());
        let short = decode(&mut ZstdStream::default(), &part[..part.len() / 2], 4000);
        assert!(short.is_err() || short.unwrap().len() < 4000);
        // Nothing at all gives nothing (the codec's length check refuses it).
        assert_eq!(decode(&mut ZstdStream::default(), &[], 10).unwrap(), b"");
    }

    #[test]
    fn a_stream_asking_for_a_larger_window_is_refused() {
        let mut wide = Encoder::new(LEVEL).unwrap();
        wide.set_parameter(CParameter::WindowLog(WINDOW_LOG + 4))
            .unwrap();
        let data = body(9, 100);
        let mut out = Vec::with_capacity(1024);
        let mut input = InBuffer::around(&data[..]);
        wide.run(&mut input, &mut OutBuffer::around(&mut out))
            .unwrap();
        let pos = out.len();
        wide.flush(&mut OutBuffer::around_pos(&mut out, pos))
            .unwrap();
        // A reader allowing the window reads it; the viewer's does not.
        let mut open = Decoder::new().unwrap();
        open.set_parameter(DParameter::WindowLogMax(WINDOW_LOG + 4))
            .unwrap();
        let mut plain = Vec::with_capacity(200);
        open.run(
            &mut InBuffer::around(&out),
            &mut OutBuffer::around(&mut plain),
        )
        .unwrap();
        assert_eq!(plain, data);
        let mut viewer = ZstdStream::default();
        assert!(decode(&mut viewer, &out, 100).is_err());
    }
}
