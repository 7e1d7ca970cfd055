//! Holding back a frame's acknowledgement, so that it travels with the viewer's next packet
//! instead of in one of its own (which the server's QUIC stack would acknowledge in turn: two
//! packets per typed character for nothing).
//!
//! An acknowledgement covers every frame up to its sequence, and the server keeps two frames
//! in flight: one frame's acknowledgement may wait without holding any frame back. It goes
//! when a second frame is applied (covering both), when the viewer sends input anyway, or
//! when the hold is up. A keyframe's acknowledgement never waits.

use std::time::{Duration, Instant};

/// At most one acknowledgement held back, for at most `hold`.
#[derive(Clone, Copy, Debug)]
pub struct AckHold {
    hold: Option<Duration>,
    held: Option<(u64, Instant)>,
}

impl AckHold {
    /// Holds acknowledgements for at most `hold`; `None` sends each at once.
    pub fn new(hold: Option<Duration>) -> Self {
        Self { hold, held: None }
    }

    /// Frame `sequence` was applied at `now`: the acknowledgement to send now, if any.
    pub fn applied(&mut self, now: Instant, sequence: u64, keyframe: bool) -> Option<u64> {
        match (self.hold, self.held.take()) {
            (Some(hold), None) if !keyframe => {
                self.held = Some((sequence, now + hold));
                None
            }
            _ => Some(sequence),
        }
    }

    /// The held acknowledgement, to go with a packet the viewer sends anyway.
    pub fn release(&mut self) -> Option<u64> {
        self.held.take().map(|(sequence, _)| sequence)
    }

    /// The held acknowledgement once its time is up.
    pub fn due(&mut self, now: Instant) -> Option<u64> {
        match self.held {
            Some((_, at)) if now >= at => self.release(),
            _ => None,
        }
    }

    /// When the held acknowledgement must go.
    pub fn deadline(&self) -> Option<Instant> {
        self.held.map(|(_, at)| at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_acknowledgement_waits_and_a_second_frame_sends_both() {
        let t = Instant::now();
        let ms = Duration::from_millis;
        let mut hold = AckHold::new(Some(ms(250)));
        assert_eq!(
            hold.applied(t, 1, true),
            Some(1),
            "keyframes are acknowledged at once"
        );
        assert_eq!(hold.applied(t, 2, false), None);
        assert_eq!(hold.deadline(), Some(t + ms(250)));
        assert_eq!(hold.applied(t + ms(5), 3, false), Some(3));
        assert_eq!(hold.deadline(), None);
        assert_eq!(hold.applied(t + ms(10), 4, false), None);
        assert_eq!(hold.due(t + ms(100)), None);
        assert_eq!(hold.due(t + ms(260)), Some(4));
        assert_eq!(hold.applied(t + ms(300), 5, false), None);
        assert_eq!(hold.release(), Some(5));
        assert_eq!(hold.release(), None);
        let mut at_once = AckHold::new(None);
        assert_eq!(at_once.applied(t, 6, false), Some(6));
    }
}
