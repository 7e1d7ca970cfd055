//! The zstd stream of a viewer with `zstd-stream`: tiles are chosen as ever, each candidate
//! compressed on its own (in parallel), then the chosen payloads are compressed again, in the
//! order the viewer applies them, as the parts of one stream that a keyframe starts.

use wayray_protocol::codec::{CodecError, PixelView, ZstdContext};
use wayray_protocol::messages::display::RegionUpdate;

use super::choose::{self, Rules};

/// The server's end of the stream.
pub struct Stream(ZstdContext);

impl Stream {
    /// A stream, or `None` (logged) where zstd cannot make one: regions then go one by one.
    pub fn new() -> Option<Self> {
        match ZstdContext::stream() {
            Ok(ctx) => Some(Self(ctx)),
            Err(err) => {
                tracing::warn!(%err, "no zstd stream: regions go one by one");
                None
            }
        }
    }

    /// Compresses the zstd-coded `regions` of a frame (the viewer applies them in this order)
    /// as the stream's next parts; a keyframe starts the stream again. `shadow` is the
    /// viewer's content before the frame, as the deltas were made against it.
    pub fn compress(
        &mut self,
        keyframe: bool,
        src: &PixelView<'_>,
        shadow: &PixelView<'_>,
        regions: &mut [RegionUpdate],
    ) -> Result<(), CodecError> {
        if keyframe {
            self.0.restart_stream()?;
        }
        for region in regions {
            if let Some(payload) =
                choose::encode_as(&mut self.0, region.codec, src, shadow, region.rect)?
            {
                region.payload = payload;
            }
        }
        Ok(())
    }
}

/// How tiles are chosen with or without a stream.
pub fn rules(stream: Option<&Stream>) -> Rules {
    match stream {
        Some(_) => Rules::STREAM,
        None => Rules::ONE_BY_ONE,
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
