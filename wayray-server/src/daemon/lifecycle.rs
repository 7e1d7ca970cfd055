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
//! `ended` is final: the session's processes are gone. The registry stores the state's name.

/// A session's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// The process is being started; no viewer yet.
    Starting,
    /// A viewer is attached.
    Attached,
    /// Running without a viewer (until its idle timeout).
    Detached,
    /// Gone.
    Ended,
}

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

impl SessionState {
    /// Every state.
    pub const ALL: [Self; 4] = [Self::Starting, Self::Attached, Self::Detached, Self::Ended];

    /// The name stored in the registry and shown by `wayray-ctl`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Attached => "attached",
            Self::Detached => "detached",
            Self::Ended => "ended",
        }
    }

    /// The state named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The state after `event`, or `None` when the move is not allowed.
    pub fn next(self, event: Event) -> Option<Self> {
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
