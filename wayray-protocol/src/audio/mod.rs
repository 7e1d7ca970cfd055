//! The session's sound on its way to the viewer: the format both ends use and the viewer's
//! jitter buffer ([`jitter`]), sans-IO like the rest of the crate (the Opus codec itself lives
//! with the server's capture and the viewer's playback).

pub mod jitter;

/// Samples per second per channel.
pub const SAMPLE_RATE: u32 = 48_000;
/// Interleaved channels (stereo).
pub const CHANNELS: usize = 2;
/// Length of one packet in milliseconds.
pub const PACKET_MS: u64 = 10;
/// Samples per channel in one packet.
pub const PACKET_SAMPLES: usize = (SAMPLE_RATE as usize) * (PACKET_MS as usize) / 1000;
/// Length of one packet in microseconds.
pub const PACKET_US: u64 = PACKET_MS * 1000;
