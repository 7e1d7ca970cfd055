//! What one viewer may cost the server before and after it proves who it is: QUIC streams and
//! flow-control windows sized to what the channels carry (ADR 0001), and how many connections
//! may be between their first packet and their attach, overall and per source address.
//!
//! A peer that has not attached gets one bidirectional stream (control) and nothing else; an
//! attached viewer one unidirectional stream (input) and a second bidirectional one
//! (clipboard). Everything a viewer sends is small (input events, acks, a keymap name,
//! clipboard chunks of at most 64 KiB), so the receive windows are a fraction of quinn's
//! defaults (1.25 MB per stream). Beyond [`RETRY_ABOVE`] pending connections, a source must
//! prove its address with a QUIC Retry before it costs a TLS handshake; beyond
//! [`MAX_PENDING`] (or [`MAX_PENDING_PER_SOURCE`] from one address) new connections are
//! refused until pending ones attach or time out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quinn::{Connection, VarInt};

/// Connections between their first packet and their attach, at most.
pub const MAX_PENDING: usize = 128;
/// Pending connections from one source address, at most.
pub const MAX_PENDING_PER_SOURCE: usize = 16;
/// Pending connections above which a source must pass a Retry (address validation) first.
pub const RETRY_ABOVE: usize = 32;
/// The whole way from the first packet to an attach (TLS, hello, attach or login) may take
/// this long; then the connection is closed.
pub const PENDING_DEADLINE: Duration = Duration::from_secs(10);
/// Receive window of one stream (a clipboard chunk and its framing fit).
pub const STREAM_WINDOW: u32 = 128 * 1024;
/// Receive window of a whole connection.
pub const CONNECTION_WINDOW: u32 = 256 * 1024;
/// The congestion window a connection starts with: enough for a typical keyframe in the first
/// flight, where quinn's 10 datagrams would need two more round trips of slow start.
pub const INITIAL_WINDOW: u64 = 64 * 1024;
/// A connection that hears nothing (not even a keep-alive) for this long is gone.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Audio datagrams waiting for the congestion window, at most (about 30 packets, 300 ms of
/// sound): when full, quinn drops the oldest, so a congested link loses sound instead of
/// delaying it.
const AUDIO_SEND_BUFFER: usize = 4 * 1024;

/// Microphone datagrams a connection holds unread, at most (about 100 ms of sound).
const MICROPHONE_RECEIVE_BUFFER: usize = 8 * 1024;

/// The transport rules every connection starts with: one control stream, no others.
pub fn transport_config() -> quinn::TransportConfig {
    let mut transport = quinn::TransportConfig::default();
    transport
        .max_concurrent_bidi_streams(VarInt::from_u32(1))
        .max_concurrent_uni_streams(VarInt::from_u32(0))
        .stream_receive_window(VarInt::from_u32(STREAM_WINDOW))
        .receive_window(VarInt::from_u32(CONNECTION_WINDOW))
        // Datagrams carry sound: the session's to the viewer, the desk's microphone back.
        // What a viewer sends waits in a small buffer (the oldest dropped) until its relay
        // reads it, only once attached with the microphone negotiated.
        .datagram_receive_buffer_size(Some(MICROPHONE_RECEIVE_BUFFER))
        .datagram_send_buffer_size(AUDIO_SEND_BUFFER);
    wayray_protocol::quic::shared_transport(&mut transport);
    let mut cubic = quinn::congestion::CubicConfig::default();
    cubic.initial_window(INITIAL_WINDOW);
    transport.congestion_controller_factory(Arc::new(cubic));
    if let Ok(idle) = quinn::IdleTimeout::try_from(IDLE_TIMEOUT) {
        transport.max_idle_timeout(Some(idle));
    }
    transport
}

/// What an attached viewer may open on top: its input stream and its clipboard stream.
pub fn grant_attached(conn: &Connection) {
    conn.set_max_concurrent_uni_streams(VarInt::from_u32(1));
    conn.set_max_concurrent_bi_streams(VarInt::from_u32(2));
}

/// What to do with a new connection.
#[derive(Debug)]
pub enum Verdict {
    /// Go on; the pending slot is freed when the [`Admission`] drops.
    Admit(Admission),
    /// Ask the peer to prove its address first.
    Retry,
    /// Too many pending: refuse without a handshake.
    Refuse,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_source: HashMap<IpAddr, usize>,
}

/// Pending connections, overall and per source.
#[derive(Debug, Clone, Default)]
pub struct Pending {
    counts: Arc<Mutex<Counts>>,
}

impl Pending {
    /// Admits a connection from `source`, or says why not. `validated`: the peer has already
    /// passed a Retry.
    pub fn admit(&self, source: IpAddr, validated: bool) -> Verdict {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let from_source = counts.by_source.get(&source).copied().unwrap_or(0);
        if counts.total >= MAX_PENDING || from_source >= MAX_PENDING_PER_SOURCE {
            return Verdict::Refuse;
        }
        if counts.total >= RETRY_ABOVE && !validated {
            return Verdict::Retry;
        }
        counts.total += 1;
        *counts.by_source.entry(source).or_default() += 1;
        Verdict::Admit(Admission {
            counts: self.counts.clone(),
            source,
        })
    }

    /// Connections pending now.
    pub fn count(&self) -> usize {
        self.counts.lock().map(|c| c.total).unwrap_or(0)
    }
}

/// A pending connection's slot.
#[derive(Debug)]
pub struct Admission {
    counts: Arc<Mutex<Counts>>,
    source: IpAddr,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_source.get_mut(&self.source) {
            *n -= 1;
            if *n == 0 {
                counts.by_source.remove(&self.source);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn one_source_gets_at_most_its_share() {
        let pending = Pending::default();
        let held: Vec<_> = (0..MAX_PENDING_PER_SOURCE)
            .map(|_| pending.admit(ip(1), true))
            .collect();
        assert!(held.iter().all(|v| matches!(v, Verdict::Admit(_))));
        assert!(matches!(pending.admit(ip(1), true), Verdict::Refuse));
        assert!(matches!(pending.admit(ip(2), true), Verdict::Admit(_)));
        drop(held);
        assert_eq!(pending.count(), 0);
        assert!(matches!(pending.admit(ip(1), true), Verdict::Admit(_)));
    }

    #[test]
    fn many_pending_ask_for_a_retry_then_refuse() {
        let pending = Pending::default();
        let mut held = Vec::new();
        for n in 0..RETRY_ABOVE {
            held.push(pending.admit(ip((n % 200) as u8), false));
        }
        assert!(held.iter().all(|v| matches!(v, Verdict::Admit(_))));
        assert!(matches!(pending.admit(ip(250), false), Verdict::Retry));
        while pending.count() < MAX_PENDING {
            let source = IpAddr::from([10, 1, (pending.count() / 8) as u8, 1]);
            held.push(pending.admit(source, true));
        }
        assert!(matches!(pending.admit(ip(251), true), Verdict::Refuse));
    }
}
