//! Where a new session goes: one of the live servers that are not draining, chosen by the
//! `[pool] placement` policy; among equals the server the viewer reached. The policies are plain functions of the servers' records, so a
//! new one is one more match arm and its test.

use super::config::PlacementPolicy;
use super::records::ServerRecord;

/// The server a new session should start on, among `candidates` (live, not draining);
/// `here` is the server the viewer reached: among equals it wins, which saves a redirect.
pub fn choose<'a>(
    policy: PlacementPolicy,
    candidates: &'a [ServerRecord],
    here: &str,
) -> Option<&'a ServerRecord> {
    let elsewhere = |s: &ServerRecord| s.id != here;
    match policy {
        PlacementPolicy::LeastSessions => candidates
            .iter()
            .min_by_key(|s| (s.sessions, elsewhere(s), s.load_centi, s.id.clone())),
        PlacementPolicy::LeastLoad => candidates
            .iter()
            .min_by_key(|s| (s.load_centi, elsewhere(s), s.sessions, s.id.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(id: &str, sessions: usize, load_centi: u32) -> ServerRecord {
        ServerRecord {
            id: id.into(),
            address: format!("{id}:1"),
            fingerprint: String::new(),
            sessions,
            load_centi,
            memory_available_mib: 1024,
        }
    }

    #[test]
    fn least_sessions_then_the_server_reached_then_load_then_id() {
        let servers = [server("b", 2, 10), server("a", 2, 10), server("c", 3, 0)];
        assert_eq!(
            choose(PlacementPolicy::LeastSessions, &servers, "x")
                .unwrap()
                .id,
            "a"
        );
        assert_eq!(
            choose(PlacementPolicy::LeastSessions, &servers, "b")
                .unwrap()
                .id,
            "b"
        );
        assert_eq!(
            choose(PlacementPolicy::LeastSessions, &servers, "c")
                .unwrap()
                .id,
            "a"
        );
        let servers = [server("b", 1, 50), server("a", 1, 90)];
        assert_eq!(
            choose(PlacementPolicy::LeastSessions, &servers, "x")
                .unwrap()
                .id,
            "b"
        );
    }

    #[test]
    fn least_load_then_sessions() {
        let servers = [server("a", 0, 300), server("b", 9, 20), server("c", 4, 20)];
        assert_eq!(
            choose(PlacementPolicy::LeastLoad, &servers, "b")
                .unwrap()
                .id,
            "b"
        );
        assert_eq!(
            choose(PlacementPolicy::LeastLoad, &servers, "a")
                .unwrap()
                .id,
            "c"
        );
    }

    #[test]
    fn no_candidates_no_choice() {
        assert!(choose(PlacementPolicy::LeastSessions, &[], "a").is_none());
    }
}
