//! The viewer's jitter buffer: packets come in as they arrive (any order, some lost, some
//! late), one packet's worth of sound goes out per tick of the player's clock.
//!
//! - **Start:** after silence the first packet waits a little (three times the measured
//!   jitter, at least [`MIN_WAIT_US`]) so that its followers are there when their turn comes.
//! - **Loss:** a packet missing while later ones are queued is concealed (the decoder's loss
//!   concealment); one arriving after its turn is dropped, never played late.
//! - **Latency stays small:** more queued than the target (the wait plus one packet, plus two
//!   packets of slack) and the oldest are dropped, so a burst after a stall or a sender clock
//!   a little faster than the player's never adds up to growing delay.
//! - **Silence:** the sender sends nothing while silent; an empty queue is concealed for
//!   [`CONCEAL_EMPTY`] ticks (a late packet may still come) and the player then goes idle
//!   until the next packet.
//!
//! Times are microseconds on the caller's clock (arrival) and the sender's (capture); only
//! differences of each are used.

use std::collections::BTreeMap;

use super::PACKET_US;
use crate::messages::audio::AudioPacket;

/// The shortest wait before playing the first packet after silence.
pub const MIN_WAIT_US: u64 = 2_000;
/// The longest wait (a very jittery link), which bounds the added latency.
pub const MAX_WAIT_US: u64 = 100_000;
/// Ticks concealed on an empty queue before going idle.
pub const CONCEAL_EMPTY: u32 = 2;
/// The most packets ever queued (a flood drops the oldest).
pub const MAX_QUEUED: usize = 64;
/// A gap of more lost packets than this is skipped instead of concealed tick by tick.
const MAX_CONCEAL_GAP: u64 = 5;
/// Queued packets allowed beyond the target before the oldest are dropped.
const SLACK_PACKETS: usize = 2;

/// What to play for one tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Playout {
    /// This packet.
    Packet(Vec<u8>),
    /// A packet is missing: conceal it.
    Conceal,
    /// Nothing to play (silence).
    Idle,
}

/// Counters, for the viewer's stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets pushed.
    pub received: u64,
    /// Packets played.
    pub played: u64,
    /// Ticks concealed.
    pub concealed: u64,
    /// Packets dropped: late, duplicated, or trimmed to keep the delay small.
    pub dropped: u64,
    /// Packets queued now.
    pub queued: usize,
    /// The wait before the first packet after silence, microseconds.
    pub wait_us: u64,
    /// How long the packet played last waited here, microseconds.
    pub last_wait_us: u64,
}

#[derive(Debug)]
struct Entry {
    arrival_us: u64,
    payload: Vec<u8>,
}

/// The jitter buffer.
#[derive(Debug, Default)]
pub struct JitterBuffer {
    queue: BTreeMap<u64, Entry>,
    /// The sequence number to play next, while playing.
    next: Option<u64>,
    /// Packets up to this one were played or given up: later arrivals of them are dropped.
    done_through: Option<u64>,
    /// Ticks concealed in a row on an empty queue.
    empty_ticks: u32,
    /// RFC 3550's interarrival jitter estimate, microseconds.
    jitter_us: f64,
    last_transit: Option<i128>,
    stats: JitterStats,
}

impl JitterBuffer {
    /// An empty, idle buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts afresh: a new sender (another viewer, another session) counts from its own
    /// start.
    pub fn reset(&mut self) {
        *self = Self {
            stats: self.stats,
            ..Self::default()
        };
    }

    /// A packet arrived at `now_us`.
    pub fn push(&mut self, now_us: u64, packet: AudioPacket) {
        self.stats.received += 1;
        // Far behind what was played: a sender that started counting again.
        if self
            .done_through
            .is_some_and(|done| packet.sequence.saturating_add(MAX_QUEUED as u64) < done)
        {
            self.reset();
        }
        let transit = i128::from(now_us) - i128::from(packet.capture_us);
        if let Some(last) = self.last_transit {
            let d = (transit - last).unsigned_abs() as f64;
            self.jitter_us += (d - self.jitter_us) / 16.0;
        }
        self.last_transit = Some(transit);
        let stale = self
            .done_through
            .is_some_and(|done| packet.sequence <= done);
        if stale || self.queue.contains_key(&packet.sequence) {
            self.stats.dropped += 1;
            return;
        }
        self.queue.insert(
            packet.sequence,
            Entry {
                arrival_us: now_us,
                payload: packet.payload,
            },
        );
        while self.queue.len() > MAX_QUEUED {
            self.drop_oldest();
        }
    }

    /// What to play for the tick at `now_us`.
    pub fn pop(&mut self, now_us: u64) -> Playout {
        let out = match self.next {
            None => self.start(now_us),
            Some(_) => self.play(now_us),
        };
        self.stats.queued = self.queue.len();
        self.stats.wait_us = self.wait_us();
        out
    }

    /// The counters.
    pub fn stats(&self) -> JitterStats {
        JitterStats {
            queued: self.queue.len(),
            wait_us: self.wait_us(),
            ..self.stats
        }
    }

    /// The wait before the first packet after silence: three times the jitter, bounded.
    pub fn wait_us(&self) -> u64 {
        ((3.0 * self.jitter_us) as u64).clamp(MIN_WAIT_US, MAX_WAIT_US)
    }

    /// Packets the queue may hold while playing before the oldest are dropped.
    fn max_depth(&self) -> usize {
        self.wait_us().div_ceil(PACKET_US) as usize + 1 + SLACK_PACKETS
    }

    fn start(&mut self, now_us: u64) -> Playout {
        let Some((&first, entry)) = self.queue.first_key_value() else {
            return Playout::Idle;
        };
        if now_us.saturating_sub(entry.arrival_us) < self.wait_us() {
            return Playout::Idle;
        }
        self.next = Some(first);
        self.empty_ticks = 0;
        self.play(now_us)
    }

    fn play(&mut self, now_us: u64) -> Playout {
        while self.queue.len() > self.max_depth() {
            self.drop_oldest();
        }
        let next = self.next.unwrap_or(0);
        let next = match self.queue.first_key_value() {
            Some((&first, _)) if first > next.saturating_add(MAX_CONCEAL_GAP) => {
                self.stats.concealed += 1;
                self.finish(first - 1);
                return Playout::Conceal;
            }
            _ => next.max(self.done_through.map_or(0, |d| d.saturating_add(1))),
        };
        if let Some(entry) = self.queue.remove(&next) {
            self.stats.played += 1;
            self.stats.last_wait_us = now_us.saturating_sub(entry.arrival_us);
            self.empty_ticks = 0;
            self.finish(next);
            return Playout::Packet(entry.payload);
        }
        self.stats.concealed += 1;
        if self.queue.is_empty() {
            // Late, or silence: the packet is not given up (after silence it is the first to
            // come). Concealed a few ticks, then idle until the next packet, which waits again.
            self.empty_ticks += 1;
            if self.empty_ticks > CONCEAL_EMPTY {
                self.stats.concealed -= 1;
                self.next = None;
                return Playout::Idle;
            }
            return Playout::Conceal;
        }
        // Later packets are here: this one is lost.
        self.finish(next);
        Playout::Conceal
    }

    /// Packets through `sequence` are played or given up; play the one after next.
    fn finish(&mut self, sequence: u64) {
        self.done_through = Some(sequence);
        self.next = Some(sequence.saturating_add(1));
    }

    fn drop_oldest(&mut self) {
        if let Some((sequence, _)) = self.queue.pop_first() {
            self.stats.dropped += 1;
            if self.next.is_some() {
                self.finish(sequence);
            }
        }
    }
}

#[cfg(test)]
#[path = "jitter_tests.rs"]
mod tests;
