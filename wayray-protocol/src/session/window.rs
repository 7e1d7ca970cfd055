//! The server's in-flight window: which frames went to the viewer and are not acknowledged
//! yet, whether the next frame may go, and whether an acknowledgement makes sense.
//!
//! An acknowledgement covers every frame up to its sequence number. Acknowledging a frame that
//! was never sent is a protocol error (a peer must not be able to open the window past its
//! bound); acknowledging an old frame again is harmless. After a keyframe request the frames
//! in flight are given up: they build on a picture the viewer no longer has, so the window
//! opens at once for the keyframe, and frames before it are not sent at all.

use std::collections::VecDeque;

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

/// Frames sent and not acknowledged, at most `limit` of them.
#[derive(Clone, Debug)]
pub struct FrameWindow {
    limit: usize,
    in_flight: VecDeque<u64>,
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
            in_flight: VecDeque::new(),
            newest_sent: None,
            acked: None,
            needs_keyframe: true,
        }
    }

    /// Whether a frame may go now.
    pub fn has_room(&self) -> bool {
        self.in_flight.len() < self.limit
    }

    /// Whether a frame is worth sending at all: frames that build on a picture the viewer has
    /// not got (before its keyframe) are skipped.
    pub fn wants(&self, keyframe: bool) -> bool {
        keyframe || !self.needs_keyframe
    }

    /// Records a frame as sent. Sequences must increase; a frame out of order is not recorded
    /// and `false` is returned.
    pub fn sent(&mut self, sequence: u64, keyframe: bool) -> bool {
        if self.newest_sent.is_some_and(|newest| sequence <= newest) {
            return false;
        }
        self.newest_sent = Some(sequence);
        self.in_flight.push_back(sequence);
        if keyframe {
            self.needs_keyframe = false;
        }
        true
    }

    /// An acknowledgement of every frame up to `sequence`.
    pub fn ack(&mut self, sequence: u64) -> Result<(), AckError> {
        if self.newest_sent.is_none_or(|newest| sequence > newest) {
            return Err(AckError::NeverSent {
                acked: sequence,
                sent: self.newest_sent,
            });
        }
        if self.acked.is_none_or(|acked| sequence > acked) {
            self.acked = Some(sequence);
        }
        self.in_flight.retain(|s| *s > sequence);
        Ok(())
    }

    /// The viewer asked for a keyframe: the frames in flight are given up and the next frame
    /// sent must be a keyframe.
    pub fn restart(&mut self) {
        self.in_flight.clear();
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

    /// The most frames in flight.
    pub fn limit(&self) -> usize {
        self.limit
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
