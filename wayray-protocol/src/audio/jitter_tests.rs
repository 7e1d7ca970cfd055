use proptest::prelude::*;

use super::*;

fn packet(sequence: u64) -> AudioPacket {
    AudioPacket {
        sequence,
        capture_us: sequence * PACKET_US,
        payload: vec![sequence as u8],
    }
}

/// Ticks every 10 ms from `start_us`, `n` times; what was played.
fn ticks(buffer: &mut JitterBuffer, start_us: u64, n: u64) -> Vec<Playout> {
    (0..n)
        .map(|i| buffer.pop(start_us + i * PACKET_US))
        .collect()
}

#[test]
fn a_steady_stream_plays_every_packet_in_order() {
    let mut buffer = JitterBuffer::new();
    let mut played = Vec::new();
    for seq in 0..50 {
        let now = seq * PACKET_US + 1_000;
        buffer.push(now, packet(seq));
        played.push(buffer.pop(now + 4_000));
    }
    let want: Vec<_> = (0..50).map(|s| Playout::Packet(vec![s as u8])).collect();
    assert_eq!(played, want);
    assert_eq!(buffer.stats().concealed, 0);
    assert_eq!(buffer.stats().dropped, 0);
}

#[test]
fn the_first_packet_waits_for_the_jitter() {
    let mut buffer = JitterBuffer::new();
    buffer.push(0, packet(0));
    assert_eq!(buffer.pop(MIN_WAIT_US - 1), Playout::Idle);
    assert_eq!(buffer.pop(MIN_WAIT_US), Playout::Packet(vec![0]));
}

#[test]
fn reordered_packets_play_in_order() {
    let mut buffer = JitterBuffer::new();
    buffer.push(0, packet(1));
    buffer.push(100, packet(0));
    buffer.push(200, packet(2));
    let played = ticks(&mut buffer, 10_000, 3);
    assert_eq!(
        played,
        vec![
            Playout::Packet(vec![0]),
            Playout::Packet(vec![1]),
            Playout::Packet(vec![2])
        ]
    );
}

#[test]
fn a_lost_packet_is_concealed_and_a_late_one_dropped() {
    let mut buffer = JitterBuffer::new();
    buffer.push(0, packet(0));
    buffer.push(0, packet(2));
    let played = ticks(&mut buffer, 10_000, 2);
    assert_eq!(played, vec![Playout::Packet(vec![0]), Playout::Conceal]);
    buffer.push(30_000, packet(1));
    assert_eq!(buffer.pop(30_000), Playout::Packet(vec![2]));
    let stats = buffer.stats();
    assert_eq!((stats.concealed, stats.dropped, stats.played), (1, 1, 2));
}

#[test]
fn silence_goes_idle_and_the_next_packet_starts_again() {
    let mut buffer = JitterBuffer::new();
    buffer.push(0, packet(0));
    let played = ticks(&mut buffer, 10_000, 5);
    assert_eq!(
        played,
        vec![
            Playout::Packet(vec![0]),
            Playout::Conceal,
            Playout::Conceal,
            Playout::Idle,
            Playout::Idle
        ]
    );
    // The next packet after a second of silence has the next sequence number.
    let mut next = packet(1);
    next.capture_us += 1_000_000;
    buffer.push(1_000_000, next);
    assert_eq!(
        buffer.pop(1_000_000 + MIN_WAIT_US),
        Playout::Packet(vec![1])
    );
}

#[test]
fn a_burst_after_a_stall_is_trimmed_to_the_target() {
    let mut buffer = JitterBuffer::new();
    buffer.push(0, packet(0));
    assert_eq!(buffer.pop(MIN_WAIT_US), Playout::Packet(vec![0]));
    // 30 packets arrive at once, 300 ms late.
    for seq in 1..=30 {
        buffer.push(310_000, packet(seq));
    }
    let out = buffer.pop(310_000);
    let Playout::Packet(first) = out else {
        panic!("expected a packet, got {out:?}")
    };
    assert!(first[0] > 20, "played {first:?}: the delay was not trimmed");
    assert!(buffer.stats().queued <= buffer.max_depth());
}

#[test]
fn a_flood_stays_bounded() {
    let mut buffer = JitterBuffer::new();
    for seq in 0..10_000 {
        buffer.push(0, packet(seq));
    }
    assert!(buffer.stats().queued <= MAX_QUEUED);
}

#[test]
fn a_long_gap_of_losses_is_skipped() {
    let mut buffer = JitterBuffer::new();
    buffer.push(0, packet(0));
    // Sent on time after 999 were lost.
    buffer.push(
        0,
        AudioPacket {
            capture_us: 0,
            ..packet(1000)
        },
    );
    let played = ticks(&mut buffer, 10_000, 3);
    assert_eq!(
        played,
        vec![
            Playout::Packet(vec![0]),
            Playout::Conceal,
            Playout::Packet(vec![(1000 % 256) as u8])
        ]
    );
}

#[test]
fn a_sender_that_starts_counting_again_is_heard() {
    let mut buffer = JitterBuffer::new();
    for seq in 1_000..1_100 {
        buffer.push(seq * PACKET_US, packet(seq));
        buffer.pop(seq * PACKET_US + MIN_WAIT_US);
    }
    // A new viewer's microphone, or a new session's sound, from sequence 0.
    buffer.push(2_000_000, packet(0));
    assert_eq!(
        buffer.pop(2_000_000 + MIN_WAIT_US),
        Playout::Packet(vec![0])
    );
}

#[test]
fn extreme_numbers_from_a_peer_do_not_break_the_buffer() {
    let mut buffer = JitterBuffer::new();
    for (i, (sequence, capture_us)) in [(u64::MAX, u64::MAX), (0, 0), (u64::MAX - 1, 1 << 63)]
        .into_iter()
        .enumerate()
    {
        let now = i as u64 * PACKET_US;
        buffer.push(
            now,
            AudioPacket {
                sequence,
                capture_us,
                payload: vec![1],
            },
        );
        let _ = buffer.pop(now + MAX_WAIT_US);
    }
    buffer.push(u64::MAX, packet(5));
    let _ = buffer.pop(u64::MAX);
}

proptest! {
    /// Whatever arrives, in whatever order and timing: nothing panics, the queue stays
    /// bounded, nothing plays twice, and what plays comes out in sequence order.
    #[test]
    fn any_arrivals_play_in_order_once(
        events in proptest::collection::vec((0u64..60, 0u64..50_000, any::<bool>()), 0..400),
        base in prop_oneof![Just(0u64), Just(u64::MAX - 100), any::<u64>()],
    ) {
        let mut buffer = JitterBuffer::new();
        let mut now = 0;
        let mut last = None;
        for (sequence, delay, tick) in events {
            now += delay / 10;
            let sequence = base.saturating_add(sequence);
            let packet = AudioPacket {
                sequence,
                capture_us: sequence.wrapping_mul(PACKET_US),
                payload: sequence.to_le_bytes().to_vec(),
            };
            buffer.push(now, packet);
            prop_assert!(buffer.stats().queued <= MAX_QUEUED);
            if tick {
                if let Playout::Packet(bytes) = buffer.pop(now) {
                    let seq = u64::from_le_bytes(bytes.try_into().unwrap());
                    prop_assert!(last.is_none_or(|l| seq > l), "{seq} after {last:?}");
                    last = Some(seq);
                }
            }
        }
        let stats = buffer.stats();
        prop_assert!(stats.played + stats.dropped + stats.queued as u64 <= stats.received);
    }
}
