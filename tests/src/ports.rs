//! Ports for the servers a test starts (etcd members, wayvnc, a daemon that is restarted):
//! chosen below the kernel's ephemeral range, so an outgoing connection of another test can
//! never take one between the choice and the server's bind (or between a daemon's stop and its
//! restart), and never the same port twice in one test process.

use std::net::{TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};

/// Below Linux's default ephemeral range (32768–60999).
const FIRST: u32 = 20_000;
const LAST: u32 = 32_000;

/// The next port to try: starts at a point that differs between test processes.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A port on 127.0.0.1 that nothing listens on now, for TCP and UDP alike, and this process has not handed out
/// before.
pub fn listen_port() -> u16 {
    let span = LAST - FIRST;
    let _ = NEXT.compare_exchange(
        0,
        (std::process::id() * 97) % span + 1,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    for _ in 0..span {
        let step = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (FIRST + step % span) as u16;
        let free = TcpListener::bind(("127.0.0.1", port)).is_ok()
            && UdpSocket::bind(("127.0.0.1", port)).is_ok();
        if free {
            return port;
        }
    }
    panic!("no free port in {FIRST}..{LAST} on 127.0.0.1");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_free_and_below_the_ephemeral_range() {
        let ports: Vec<u16> = (0..50).map(|_| listen_port()).collect();
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            unique.len(),
            ports.len(),
            "a port handed out twice: {ports:?}"
        );
        for port in ports {
            assert!((FIRST..LAST).contains(&u32::from(port)), "{port}");
            TcpListener::bind(("127.0.0.1", port)).expect("still free");
        }
    }
}
