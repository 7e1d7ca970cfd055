//! A UDP relay between a viewer and a server that throttles the server → viewer direction to a
//! fixed rate, like a slow link: datagrams wait their turn and the socket buffer overflows when
//! the sender is too fast (QUIC sees loss and slows down).

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

/// Relays to `server`, passing at most `bytes_per_second` towards the viewer.
pub async fn start(server: SocketAddr, bytes_per_second: u64) -> Relay {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind relay"));
    let back = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind relay"));
    back.connect(server).await.expect("connect relay");
    let addr = front.local_addr().expect("relay address");
    let viewer: Arc<tokio::sync::Mutex<Option<SocketAddr>>> = Arc::default();
    let (f, b, v) = (front.clone(), back.clone(), viewer.clone());
    let upstream = async move {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = f.recv_from(&mut buf).await {
            *v.lock().await = Some(from);
            let _ = b.send(&buf[..n]).await;
        }
    };
    let downstream = async move {
        let mut buf = vec![0u8; 65536];
        let mut next_free = Instant::now();
        while let Ok(n) = back.recv(&mut buf).await {
            // Pace: each datagram occupies the link for n / rate seconds.
            let now = Instant::now();
            if next_free > now {
                tokio::time::sleep(next_free - now).await;
            }
            next_free =
                next_free.max(now) + Duration::from_secs_f64(n as f64 / bytes_per_second as f64);
            if let Some(to) = *viewer.lock().await {
                let _ = front.send_to(&buf[..n], to).await;
            }
        }
    };
    let task = tokio::spawn(async move {
        tokio::join!(upstream, downstream);
    });
    Relay { addr, task }
}
