//! The shaping relay that benchmarks and tests use as a slow link carries the rate it is
//! given, and delays datagrams by the delay it is given: a server floods it with datagrams
//! faster than the link, and a viewer counts what arrives.

use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use wayray_tests::relay::{Shape, start_shaped};

/// What the viewer received: bytes, and the first and last arrival.
async fn flood(shape: Shape, offered_per_ms: usize) -> (usize, Instant, Instant, Duration) {
    let server = UdpSocket::bind("127.0.0.1:0").await.expect("bind server");
    let relay = start_shaped(server.local_addr().expect("server address"), shape).await;
    let viewer = UdpSocket::bind("127.0.0.1:0").await.expect("bind viewer");
    let hello = Instant::now();
    viewer.send_to(b"hello", relay.addr).await.expect("hello");
    let mut buf = [0u8; 2048];
    let (_, back) = server.recv_from(&mut buf).await.expect("the hello arrives");
    let one_way = hello.elapsed();
    // One second of 1,200-byte datagrams, offered faster than the link.
    let sender = tokio::spawn(async move {
        let datagram = [7u8; 1200];
        let start = Instant::now();
        for ms in 0..1000u64 {
            for _ in 0..offered_per_ms {
                let _ = server.send_to(&datagram, back).await;
            }
            tokio::time::sleep_until((start + Duration::from_millis(ms + 1)).into()).await;
        }
        server
    });
    let (mut bytes, mut first, mut last) = (0, None, Instant::now());
    while let Ok(Ok((n, _))) =
        tokio::time::timeout(Duration::from_millis(500), viewer.recv_from(&mut buf)).await
    {
        last = Instant::now();
        first.get_or_insert(last);
        bytes += n;
    }
    let _server = sender.await.expect("sender");
    (bytes, first.expect("datagrams arrived"), last, one_way)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shaped_link_carries_its_rate() {
    for mbit in [5u64, 20] {
        let shape = Shape {
            rate: Some(mbit * 125_000),
            delay: Duration::from_millis(20),
            loss: 0.0,
        };
        // Offered at about 1.5 times the link's rate.
        let per_ms = (mbit as usize * 125 * 3 / 2).div_ceil(1200);
        let (bytes, first, last, one_way) = flood(shape, per_ms).await;
        let rate = bytes as f64 * 8.0 / (last - first).as_secs_f64() / 1e6;
        assert!(
            (0.92 * mbit as f64..=1.05 * mbit as f64).contains(&rate),
            "a {mbit} Mbit/s link carried {rate:.2} Mbit/s"
        );
        assert!(
            one_way >= Duration::from_millis(20) && one_way < Duration::from_millis(30),
            "one way took {one_way:?}"
        );
    }
}
