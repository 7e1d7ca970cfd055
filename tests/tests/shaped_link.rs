//! The shaping relay that benchmarks and tests use as a slow link carries the rate it is
//! given, keeps the datagrams' order, and delivers each when the link would (never sooner, by
//! the median less than a millisecond later): a server sends numbered, time-stamped datagrams
//! through it, and a viewer checks what arrives.

use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use wayray_tests::relay::{Shape, start_shaped};

const SIZE: usize = 1200;

/// One datagram as the viewer saw it: its number, when it was sent and when it arrived.
struct Seen {
    number: u32,
    sent: Instant,
    arrived: Instant,
}

/// Sends `count` datagrams of `SIZE` bytes through a relay shaped by `shape`, `per_ms` every
/// millisecond (or one every `gap` when `per_ms` is 0), and returns what arrived.
async fn send_through(shape: Shape, count: u32, per_ms: u32, gap: Duration) -> Vec<Seen> {
    let server = UdpSocket::bind("127.0.0.1:0").await.expect("bind server");
    let relay = start_shaped(server.local_addr().expect("server address"), shape).await;
    let viewer = UdpSocket::bind("127.0.0.1:0").await.expect("bind viewer");
    viewer.send_to(b"hello", relay.addr).await.expect("hello");
    let mut buf = [0u8; 2048];
    let (_, back) = server.recv_from(&mut buf).await.expect("the hello arrives");
    let base = Instant::now();
    let sender = tokio::spawn(async move {
        let mut datagram = [7u8; SIZE];
        for number in 0..count {
            let at = match number.checked_div(per_ms) {
                Some(ms) => Duration::from_millis(u64::from(ms)),
                None => gap * number,
            };
            tokio::time::sleep_until((base + at).into()).await;
            let nanos = base.elapsed().as_nanos() as u64;
            datagram[..4].copy_from_slice(&number.to_le_bytes());
            datagram[4..12].copy_from_slice(&nanos.to_le_bytes());
            let _ = server.send_to(&datagram, back).await;
        }
        server
    });
    let mut seen = Vec::new();
    while let Ok(Ok((n, _))) =
        tokio::time::timeout(Duration::from_millis(500), viewer.recv_from(&mut buf)).await
    {
        let arrived = Instant::now();
        assert_eq!(n, SIZE);
        let number = u32::from_le_bytes(buf[..4].try_into().expect("4 bytes"));
        let nanos = u64::from_le_bytes(buf[4..12].try_into().expect("8 bytes"));
        let sent = base + Duration::from_nanos(nanos);
        seen.push(Seen {
            number,
            sent,
            arrived,
        });
    }
    let _server = sender.await.expect("sender");
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shaped_link_carries_its_rate_in_order_and_never_early() {
    let delay = Duration::from_millis(20);
    for mbit in [5u32, 20] {
        let rate = u64::from(mbit) * 125_000;
        let shape = Shape {
            rate: Some(rate),
            delay,
            loss: 0.0,
        };
        let on_link = Duration::from_secs_f64(SIZE as f64 / rate as f64);
        // One second offered at about twice the link's rate: the link stays busy.
        let per_ms = (mbit * 2 * 125).div_ceil(SIZE as u32);
        let seen = send_through(shape, per_ms * 1000, per_ms, Duration::ZERO).await;
        let (first, last) = (
            seen.first().expect("arrivals"),
            seen.last().expect("arrivals"),
        );
        let carried = (seen.len() - 1) as f64 * SIZE as f64 * 8.0
            / (last.arrived - first.arrived).as_secs_f64();
        let carried = carried / 1e6;
        assert!(
            (0.95 * f64::from(mbit)..=1.02 * f64::from(mbit)).contains(&carried),
            "a {mbit} Mbit/s link carried {carried:.2} Mbit/s"
        );
        assert!(
            seen.windows(2).all(|w| w[0].number < w[1].number),
            "datagrams were reordered"
        );
        // Sparse: the link is idle a little between datagrams. None may come sooner than its
        // time on the link and the delay allow, and none much later.
        let gap = on_link + Duration::from_micros(500);
        let seen = send_through(shape, 200, 0, gap).await;
        assert_eq!(seen.len(), 200, "a sparse datagram was lost");
        // How much later than due they came, by the median: the link's delay is what it is
        // given, not a millisecond more (a timer counting whole milliseconds adds about one).
        let mut late: Vec<Duration> = seen
            .iter()
            .map(|s| (s.arrived - s.sent).saturating_sub(delay + on_link))
            .collect();
        late.sort();
        assert!(
            late[late.len() / 2] < Duration::from_millis(1),
            "datagrams came {:?} late by the median",
            late[late.len() / 2]
        );
        for s in &seen {
            let took = s.arrived - s.sent;
            assert!(
                took >= delay + on_link,
                "datagram {} came after {took:?}",
                s.number
            );
            assert!(
                took < delay + Duration::from_millis(15),
                "datagram {} took {took:?}",
                s.number
            );
        }
    }
}
