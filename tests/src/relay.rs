//! A UDP relay between a viewer and a server that shapes the link like a real network (these
//! kernels have no netem): a rate limit towards the viewer (datagrams wait their turn, so QUIC
//! sees queueing and loss when it sends too fast), a one-way delay in both directions, and
//! random loss in both directions (a fixed seed, so a run is repeatable). Each viewer address
//! gets a socket of its own towards the server, as behind a NAT, so a viewer that has just left
//! (still sending its last packets) never takes the replies meant for the next one.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;

/// A running relay; it stops taking datagrams when dropped (those already on the link are
/// still delivered, within the delay and the link's queue).
pub struct Relay {
    /// Where the viewer connects instead of the server.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    /// The tasks carrying the server's datagrams back, one per viewer address.
    downstream: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    /// UDP payload bytes that reached the relay, each way.
    pub bytes: Arc<Bytes>,
}

/// UDP payload bytes a relay was handed, each way (before any loss).
#[derive(Debug, Default)]
pub struct Bytes {
    /// From the server towards the viewers.
    pub down: AtomicU64,
    /// From the viewers towards the server.
    pub up: AtomicU64,
}

impl Bytes {
    /// (down, up) so far.
    pub fn get(&self) -> (u64, u64) {
        (
            self.down.load(Ordering::Relaxed),
            self.up.load(Ordering::Relaxed),
        )
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
        for task in self.downstream.lock().expect("relay tasks").drain(..) {
            task.abort();
        }
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

/// A datagram on its way: when it is due, its bytes, and where it goes.
type InFlight = (Instant, Vec<u8>, SocketAddr);

/// Bytes that may wait for a shaped link; a datagram that would wait behind more is dropped,
/// as a full router queue drops it (about what the relay's socket held when the socket was the
/// queue).
const QUEUE_BYTES: f64 = 96.0 * 1024.0;

/// Datagrams that queue at most this many deep on one socket's way are dropped, as a router's
/// queue would drop them.
const QUEUE: usize = 4096;

/// The way datagrams take to one socket's peers: they wait there until due.
type Link = std::sync::mpsc::SyncSender<InFlight>;

/// A sender of datagrams on `socket`, each when it is due and in the order they were handed
/// over (a link delays, it does not reorder). A thread of its own sleeps until each is due:
/// tokio's timer counts whole milliseconds and woke 1.3 ms late by the median, which added about
/// 2.6 ms to a link's round trip. The thread ends with the last sender.
fn delayed(socket: &UdpSocket) -> Link {
    let (send, queue) = std::sync::mpsc::sync_channel::<InFlight>(QUEUE);
    // The same socket (a second descriptor of it), written from that thread. It is
    // non-blocking, as tokio set it up.
    let out: std::net::UdpSocket = socket
        .as_fd()
        .try_clone_to_owned()
        .expect("relay socket")
        .into();
    std::thread::Builder::new()
        .name("relay-link".into())
        .spawn(move || {
            while let Ok((due, bytes, to)) = queue.recv() {
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                // A full socket buffer is waited out briefly, then the datagram is lost.
                for _ in 0..100 {
                    match out.send_to(&bytes, to) {
                        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_micros(50));
                        }
                        _ => break,
                    }
                }
            }
        })
        .expect("relay thread");
    send
}

/// Hands `bytes` for `to` to `link`, due at `due` (lost if `QUEUE` wait already).
fn deliver(link: &Link, bytes: &[u8], to: SocketAddr, due: Instant) {
    let _ = link.try_send((due, bytes.to_vec(), to));
}

/// Relays to `server` through a link shaped by `shape`.
pub async fn start_shaped(server: SocketAddr, shape: Shape) -> Relay {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind relay"));
    let addr = front.local_addr().expect("relay address");
    let downstream: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
    let tasks = downstream.clone();
    // The link towards the viewers is one, whoever uses it: one rate limit and one die.
    let link = Arc::new(tokio::sync::Mutex::new((
        Dice(0x2545_f491_4f6c_dd1d),
        Instant::now(),
    )));
    let to_viewers = delayed(&front);
    let bytes = Arc::new(Bytes::default());
    let counted = bytes.clone();
    let upstream = async move {
        let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
        let mut backs: HashMap<SocketAddr, Link> = HashMap::new();
        let mut buf = vec![0u8; 65536];
        while let Ok((n, viewer)) = front.recv_from(&mut buf).await {
            counted.up.fetch_add(n as u64, Ordering::Relaxed);
            let back = match backs.get(&viewer) {
                Some(back) => back.clone(),
                None => {
                    let socket =
                        Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind relay"));
                    let back = delayed(&socket);
                    backs.insert(viewer, back.clone());
                    let task = tokio::spawn(down(
                        socket,
                        to_viewers.clone(),
                        viewer,
                        shape,
                        link.clone(),
                        counted.clone(),
                    ));
                    tasks.lock().expect("relay tasks").push(task);
                    back
                }
            };
            if !dice.drops(shape.loss) {
                deliver(&back, &buf[..n], server, Instant::now() + shape.delay);
            }
        }
    };
    let task = tokio::spawn(upstream);
    Relay {
        addr,
        task,
        downstream,
        bytes,
    }
}

/// Carries what the server sends on `back` to `viewer`, through the shared link.
async fn down(
    back: Arc<UdpSocket>,
    front: Link,
    viewer: SocketAddr,
    shape: Shape,
    link: Arc<tokio::sync::Mutex<(Dice, Instant)>>,
    bytes: Arc<Bytes>,
) {
    let mut buf = vec![0u8; 65536];
    while let Ok((n, _)) = back.recv_from(&mut buf).await {
        // Read as soon as it comes: the link's queue is counted here, not left in the socket.
        let arrived = Instant::now();
        bytes.down.fetch_add(n as u64, Ordering::Relaxed);
        let mut link = link.lock().await;
        let mut sent = arrived;
        if let Some(rate) = shape.rate {
            // The datagram occupies the link for n / rate seconds once the ones before it have
            // left (never before it arrived). Only its delivery waits on a timer, so a timer
            // that wakes late costs the link nothing.
            let start = link.1.max(arrived);
            if (start - arrived).as_secs_f64() * rate as f64 > QUEUE_BYTES {
                continue;
            }
            sent = start + Duration::from_secs_f64(n as f64 / rate as f64);
            link.1 = sent;
        }
        if link.0.drops(shape.loss) {
            continue;
        }
        deliver(&front, &buf[..n], viewer, sent + shape.delay);
    }
}
