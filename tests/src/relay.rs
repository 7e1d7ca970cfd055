//! A UDP relay between a viewer and a server that shapes the link like a real network (these
//! kernels have no netem): a rate limit towards the viewer (datagrams wait their turn, so QUIC
//! sees queueing and loss when it sends too fast), a one-way delay in both directions, and
//! random loss in both directions (a fixed seed, so a run is repeatable).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;

/// A running relay; it stops when dropped.
pub struct Relay {
    /// Where the viewer connects instead of the server.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How the relay shapes the link.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shape {
    /// Most bytes per second towards the viewer (`None`: no limit).
    pub rate: Option<u64>,
    /// Added to each datagram, each way.
    pub delay: Duration,
    /// Share of datagrams dropped, each way (0.05: 5 %).
    pub loss: f64,
}

/// A small deterministic generator for the loss decisions.
struct Dice(u64);

impl Dice {
    fn drops(&mut self, loss: f64) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - loss
    }
}

/// Relays to `server`, passing at most `bytes_per_second` towards the viewer.
pub async fn start(server: SocketAddr, bytes_per_second: u64) -> Relay {
    let shape = Shape {
        rate: Some(bytes_per_second),
        ..Shape::default()
    };
    start_shaped(server, shape).await
}

/// Sends `bytes` to `to` on `socket` after the shape's delay (on a task of its own, so later
/// datagrams are not held up by earlier ones' delay).
async fn deliver(socket: &Arc<UdpSocket>, bytes: &[u8], to: SocketAddr, delay: Duration) {
    if delay.is_zero() {
        let _ = socket.send_to(bytes, to).await;
        return;
    }
    let (socket, bytes) = (socket.clone(), bytes.to_vec());
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let _ = socket.send_to(&bytes, to).await;
    });
}

/// Relays to `server` through a link shaped by `shape`.
pub async fn start_shaped(server: SocketAddr, shape: Shape) -> Relay {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind relay"));
    let back = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind relay"));
    let addr = front.local_addr().expect("relay address");
    let viewer: Arc<tokio::sync::Mutex<Option<SocketAddr>>> = Arc::default();
    let (f, b, v) = (front.clone(), back.clone(), viewer.clone());
    let upstream = async move {
        let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = f.recv_from(&mut buf).await {
            *v.lock().await = Some(from);
            if !dice.drops(shape.loss) {
                deliver(&b, &buf[..n], server, shape.delay).await;
            }
        }
    };
    let downstream = async move {
        let mut dice = Dice(0x2545_f491_4f6c_dd1d);
        let mut buf = vec![0u8; 65536];
        let mut next_free = Instant::now();
        while let Ok((n, _)) = back.recv_from(&mut buf).await {
            if let Some(rate) = shape.rate {
                // Pace: each datagram occupies the link for n / rate seconds.
                let now = Instant::now();
                if next_free > now {
                    tokio::time::sleep(next_free - now).await;
                }
                next_free = next_free.max(now) + Duration::from_secs_f64(n as f64 / rate as f64);
            }
            if dice.drops(shape.loss) {
                continue;
            }
            if let Some(to) = *viewer.lock().await {
                deliver(&front, &buf[..n], to, shape.delay).await;
            }
        }
    };
    let task = tokio::spawn(async move {
        tokio::join!(upstream, downstream);
    });
    Relay { addr, task }
}
