//! The states of a session and the moves between them:
//!
//! ```text
//!   starting ──attach──▶ attached ◀──attach── detached
//!      │                   │  ▲ attach          ▲ │
//!      │                   │  └─(moved)─┘       │ │
//!      │                   └──viewer leaves─────┘ │
//!      └──────────── process exits / kill ────────┴──▶ ended
//! ```
//!
//! `ended` is final: the session's processes are gone. The registry stores the state's name;
//! the states themselves are part of the admin wire (`wayray_protocol::admin::SessionState`).

pub use wayray_protocol::admin::SessionState;

/// Something that happens to a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A viewer attached (also when it replaces another viewer).
    Attach,
    /// The viewer left or was detached.
    ViewerLeft,
    /// A running session was found again after a daemon restart (it has no viewer).
    Adopted,
    /// The process exited or was stopped.
    Exit,
}

/// The moves between states.
pub trait Lifecycle: Sized {
    /// The state after `event`, or `None` when the move is not allowed.
    fn next(self, event: Event) -> Option<Self>;
}

impl Lifecycle for SessionState {
    fn next(self, event: Event) -> Option<Self> {
        use SessionState::{Attached, Detached, Ended, Starting};
        match (self, event) {
            (Ended, _) => None,
            (_, Event::Exit) => Some(Ended),
            (Starting | Attached | Detached, Event::Attach) => Some(Attached),
            (Attached, Event::ViewerLeft) => Some(Detached),
            (Starting | Detached, Event::ViewerLeft) => None,
            (Starting | Attached | Detached, Event::Adopted) => Some(Detached),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for state in SessionState::ALL {
            assert_eq!(SessionState::from_name(state.name()), Some(state));
        }
        assert_eq!(SessionState::from_name("bogus"), None);
    }

    #[test]
    fn ended_is_final_and_reachable_from_everywhere() {
        for state in SessionState::ALL {
            for event in [
                Event::Attach,
                Event::ViewerLeft,
                Event::Adopted,
                Event::Exit,
            ] {
                if state == SessionState::Ended {
                    assert_eq!(state.next(event), None);
                }
            }
            if state != SessionState::Ended {
                assert_eq!(state.next(Event::Exit), Some(SessionState::Ended));
            }
        }
    }

    #[test]
    fn hot_desking_keeps_a_session_attached() {
        let s = SessionState::Starting.next(Event::Attach).unwrap();
        assert_eq!(s.next(Event::Attach), Some(SessionState::Attached));
        let detached = s.next(Event::ViewerLeft).unwrap();
        assert_eq!(detached, SessionState::Detached);
        assert_eq!(detached.next(Event::ViewerLeft), None);
        assert_eq!(detached.next(Event::Attach), Some(SessionState::Attached));
    }
}
