//! The server's in-flight window: which frames went to the viewer and are not acknowledged
//! yet, whether the next frame may go, and whether an acknowledgement makes sense.
//!
//! An acknowledgement covers every frame up to its sequence number. Acknowledging a frame that
//! was never sent is a protocol error (a peer must not be able to open the window past its
//! bound); acknowledging an old frame again is harmless. After a keyframe request the frames
//! in flight are given up: they build on a picture the viewer no longer has, so the window
//! opens at once for the keyframe, and frames before it are not sent at all.
//!
//! A window is fixed (at most `limit` frames) or adaptive: at least a floor of frames, more
//! while the acknowledgements show a long loop and the link delivers the bytes
//! ([`InFlightBudget`]).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::budget::InFlightBudget;

/// An acknowledgement the window cannot accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// The peer acknowledged a frame that was never sent.
    #[error("acknowledged frame {acked}, but the newest frame sent is {sent:?}")]
    NeverSent {
        /// The sequence acknowledged.
        acked: u64,
        /// The newest sequence sent, if any.
        sent: Option<u64>,
    },
}

/// One frame sent and not acknowledged.
#[derive(Clone, Copy, Debug)]
struct Flight {
    sequence: u64,
    sent_at: Option<Instant>,
    bytes: u64,
}

/// Frames that went beside the window and are not acknowledged, at most.
pub const MAX_BESIDE: usize = 4;

/// Frames sent and not acknowledged, at most `limit` of them (or as the budget allows).
#[derive(Clone, Debug)]
pub struct FrameWindow {
    limit: usize,
    budget: Option<InFlightBudget>,
    in_flight: VecDeque<Flight>,
    /// Sequences of frames beside the window, not acknowledged.
    beside: VecDeque<u64>,
    newest_sent: Option<u64>,
    acked: Option<u64>,
    needs_keyframe: bool,
}

impl FrameWindow {
    /// A window of at most `limit` (at least one) frames; the first frame sent must be a
    /// keyframe.
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            budget: None,
            in_flight: VecDeque::new(),
            beside: VecDeque::new(),
            newest_sent: None,
            acked: None,
            needs_keyframe: true,
        }
    }

    /// An adaptive window: at least `floor` frames, at most `ceiling`, as the acknowledgements
    /// of frames sent with [`FrameWindow::sent_at`] allow at a desk refreshing every
    /// `interval` (see [`InFlightBudget`]).
    pub fn adaptive(floor: usize, ceiling: usize, interval: Duration) -> Self {
        let budget = InFlightBudget::new(floor, ceiling, interval);
        Self {
            budget: Some(budget),
            ..Self::new(floor)
        }
    }

    /// The desk's refresh changed (adaptive windows only).
    pub fn set_interval(&mut self, interval: Duration) {
        if let Some(budget) = &mut self.budget {
            budget.set_interval(interval);
        }
    }

    /// Whether a frame may go now.
    pub fn has_room(&self) -> bool {
        match &self.budget {
            Some(budget) => budget.has_room(self.in_flight.len(), self.bytes_in_flight()),
            None => self.in_flight.len() < self.limit,
        }
    }

    /// Whether a frame may go beside the window now ([`FrameWindow::sent_beside`]).
    pub fn has_room_beside(&self) -> bool {
        !self.needs_keyframe && self.beside.len() < MAX_BESIDE
    }

    /// Bytes of the frames in flight (as given to [`FrameWindow::sent_at`]).
    pub fn bytes_in_flight(&self) -> u64 {
        self.in_flight.iter().map(|f| f.bytes).sum()
    }

    /// Whether a frame is worth sending at all: frames that build on a picture the viewer has
    /// not got (before its keyframe) are skipped.
    pub fn wants(&self, keyframe: bool) -> bool {
        keyframe || !self.needs_keyframe
    }

    /// Records a frame as sent. Sequences must increase; a frame out of order is not recorded
    /// and `false` is returned.
    pub fn sent(&mut self, sequence: u64, keyframe: bool) -> bool {
        self.record(sequence, keyframe, None, 0)
    }

    /// Records a frame of `bytes` as sent at `now`: what an adaptive window measures.
    pub fn sent_at(&mut self, now: Instant, sequence: u64, keyframe: bool, bytes: u64) -> bool {
        self.record(sequence, keyframe, Some(now), bytes)
    }

    fn record(
        &mut self,
        sequence: u64,
        keyframe: bool,
        sent_at: Option<Instant>,
        bytes: u64,
    ) -> bool {
        if self.newest_sent.is_some_and(|newest| sequence <= newest) {
            return false;
        }
        self.newest_sent = Some(sequence);
        self.in_flight.push_back(Flight {
            sequence,
            sent_at,
            bytes,
        });
        if keyframe {
            self.needs_keyframe = false;
        }
        true
    }

    /// Records a frame that goes beside the window: one that overtakes the frames in flight
    /// (`super::overtake`) and is acknowledged with them. It takes no room in the window, but
    /// at most [`MAX_BESIDE`] go beside it unacknowledged, and its sequence counts: the next
    /// must be newer, and acknowledging it is no error. `false` (not recorded) for a sequence
    /// out of order or without room beside.
    pub fn sent_beside(&mut self, sequence: u64) -> bool {
        if self.newest_sent.is_some_and(|newest| sequence <= newest) || !self.has_room_beside() {
            return false;
        }
        self.newest_sent = Some(sequence);
        self.beside.push_back(sequence);
        true
    }

    /// An acknowledgement of every frame up to `sequence`.
    pub fn ack(&mut self, sequence: u64) -> Result<(), AckError> {
        self.ack_at(None, sequence)
    }

    /// The same, arrived at `now`: an adaptive window learns the loop and the delivery rate
    /// from it.
    pub fn ack_at(&mut self, now: Option<Instant>, sequence: u64) -> Result<(), AckError> {
        if self.newest_sent.is_none_or(|newest| sequence > newest) {
            return Err(AckError::NeverSent {
                acked: sequence,
                sent: self.newest_sent,
            });
        }
        if self.acked.is_none_or(|acked| sequence > acked) {
            self.acked = Some(sequence);
        }
        while self.beside.front().is_some_and(|&s| s <= sequence) {
            self.beside.pop_front();
        }
        let mut bytes = 0;
        let mut newest = None;
        while let Some(flight) = self.in_flight.front().filter(|f| f.sequence <= sequence) {
            bytes += flight.bytes;
            newest = flight.sent_at;
            self.in_flight.pop_front();
        }
        if let (Some(budget), Some(now), Some(sent_at)) = (&mut self.budget, now, newest) {
            budget.acked(now, now.saturating_duration_since(sent_at), bytes);
        }
        Ok(())
    }

    /// The viewer asked for a keyframe: the frames in flight are given up and the next frame
    /// sent must be a keyframe.
    pub fn restart(&mut self) {
        self.in_flight.clear();
        self.beside.clear();
        self.needs_keyframe = true;
    }

    /// Frames sent and not acknowledged.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The newest sequence acknowledged.
    pub fn acked(&self) -> Option<u64> {
        self.acked
    }

    /// The most frames in flight now.
    pub fn limit(&self) -> usize {
        self.budget
            .as_ref()
            .map_or(self.limit, InFlightBudget::frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_bounds_frames_and_acks_cover_everything_before() {
        let mut w = FrameWindow::new(2);
        assert!(!w.wants(false) && w.wants(true));
        assert!(w.sent(10, true));
        assert!(w.sent(11, false));
        assert!(!w.has_room());
        w.ack(11).unwrap();
        assert_eq!(w.in_flight(), 0);
        w.ack(10).unwrap(); // an old ack again is harmless
        assert_eq!(w.acked(), Some(11));
    }

    #[test]
    fn frames_beside_the_window_are_bounded_and_freed_by_acks() {
        let mut w = FrameWindow::new(1);
        assert!(
            !w.has_room_beside(),
            "nothing goes beside before a keyframe"
        );
        assert!(!w.sent_beside(1));
        assert!(w.sent(1, true));
        assert!(!w.has_room());
        for seq in 2..2 + MAX_BESIDE as u64 {
            assert!(w.sent_beside(seq), "frame {seq} beside a full window");
        }
        assert!(!w.has_room_beside());
        assert!(!w.sent_beside(10), "at most {MAX_BESIDE} beside");
        assert!(!w.sent_beside(3), "out of order");
        // An acknowledgement of frame 3 covers frames 1 to 3: two beside are freed.
        w.ack(3).unwrap();
        assert!(w.has_room() && w.has_room_beside());
        assert!(w.sent_beside(6) && w.sent_beside(7));
        assert!(!w.sent_beside(8));
        w.restart();
        assert!(
            !w.has_room_beside(),
            "after a keyframe request, not before the keyframe"
        );
        assert!(w.sent(8, true));
        assert!(w.sent_beside(9));
    }

    #[test]
    fn an_ack_for_a_frame_never_sent_is_refused() {
        let mut w = FrameWindow::new(2);
        assert_eq!(
            w.ack(0),
            Err(AckError::NeverSent {
                acked: 0,
                sent: None
            })
        );
        w.sent(3, true);
        assert!(w.ack(u64::MAX).is_err());
        assert!(w.ack(4).is_err());
        assert_eq!(w.in_flight(), 1);
    }

    #[test]
    fn an_adaptive_window_grows_with_a_long_loop_and_stays_bounded_by_bytes() {
        let ms = Duration::from_millis;
        let t = Instant::now();
        let mut w = FrameWindow::adaptive(2, 6, ms(16));
        let mut seq = 0;
        // 10 kB frames every 33 ms, each acknowledged 66 ms after it left (four refreshes).
        for i in 0..40u64 {
            let at = t + ms(33 * i);
            if i >= 2 {
                w.ack_at(Some(at), seq - 1).unwrap();
            }
            seq += 1;
            assert!(w.has_room(), "frame {seq} at {i}");
            w.sent_at(at, seq, seq == 1, 10_000);
        }
        assert_eq!(w.limit(), 6);
        assert!(w.has_room(), "{} in flight", w.in_flight());
        // Big frames stop at the bytes a couple of loops carry (~2 × 300 kB/s × 66 ms).
        let at = t + ms(33 * 40);
        for big in 1..=3 {
            if !w.has_room() {
                assert!(big > 1, "not even one big frame");
                break;
            }
            seq += 1;
            w.sent_at(at, seq, false, 30_000);
        }
        assert!(!w.has_room(), "{} bytes in flight", w.bytes_in_flight());
        assert!(w.in_flight() < w.limit());
        // A fixed window ignores the timing.
        let mut fixed = FrameWindow::new(2);
        fixed.sent_at(t, 1, true, 1);
        fixed.sent_at(t, 2, false, 1);
        assert!(!fixed.has_room());
    }

    #[test]
    fn a_restart_opens_the_window_for_a_keyframe_only() {
        let mut w = FrameWindow::new(1);
        w.sent(1, true);
        assert!(!w.has_room());
        w.restart();
        assert!(w.has_room() && !w.wants(false) && w.wants(true));
        assert!(!w.sent(1, true), "sequences must increase");
        assert!(w.sent(2, true));
        w.ack(1).unwrap(); // the abandoned frame's ack still arrives
        assert_eq!(w.in_flight(), 1);
    }
}
