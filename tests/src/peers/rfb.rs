//! A small RFB 3.8 reader, the VNC side of the comparison: security None, 32-bit true
//! colour, encodings ZRLE, CopyRect, cursor and desktop size (what a VNC viewer asks of
//! wayvnc), and an incremental update request after each update, as a viewer that keeps up
//! sends. It parses just enough to find where each message ends and counts the bytes each way;
//! it does not decode pixels.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

const ZRLE: i32 = 16;
const COPY_RECT: i32 = 1;
const RAW: i32 = 0;
const CURSOR: i32 = -239;
const DESKTOP_SIZE: i32 = -223;

/// Bytes the reader received and sent, and updates received.
#[derive(Debug, Default)]
pub struct Counts {
    /// Server → reader.
    pub down: AtomicU64,
    /// Reader → server.
    pub up: AtomicU64,
    /// Framebuffer updates received.
    pub updates: AtomicU64,
}

/// A reader running on its own thread until [`Reader::stop`].
pub struct Reader {
    /// What it counted so far.
    pub counts: Arc<Counts>,
    stream: TcpStream,
    thread: Option<JoinHandle<Result<(), String>>>,
}

struct Counted {
    stream: TcpStream,
    counts: Arc<Counts>,
}

impl Counted {
    fn bytes(&mut self, n: usize) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0; n];
        self.stream.read_exact(&mut buf)?;
        self.counts.down.fetch_add(n as u64, Ordering::Relaxed);
        Ok(buf)
    }

    fn skip(&mut self, mut n: u64) -> std::io::Result<()> {
        let mut buf = [0u8; 16384];
        while n > 0 {
            let take = n.min(buf.len() as u64) as usize;
            self.stream.read_exact(&mut buf[..take])?;
            self.counts.down.fetch_add(take as u64, Ordering::Relaxed);
            n -= take as u64;
        }
        Ok(())
    }

    fn u8(&mut self) -> std::io::Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    fn u16(&mut self) -> std::io::Result<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> std::io::Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)?;
        self.counts
            .up
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

impl Reader {
    /// Connects to `addr` and reads until stopped.
    pub fn start(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let counts = Arc::new(Counts::default());
        let mut counted = Counted {
            stream: stream.try_clone()?,
            counts: counts.clone(),
        };
        let thread = std::thread::spawn(move || read(&mut counted).map_err(|e| e.to_string()));
        Ok(Self {
            counts,
            stream,
            thread: Some(thread),
        })
    }

    /// Updates received so far.
    pub fn updates(&self) -> u64 {
        self.counts.updates.load(Ordering::Relaxed)
    }

    /// (down, up) bytes so far.
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.counts.down.load(Ordering::Relaxed),
            self.counts.up.load(Ordering::Relaxed),
        )
    }

    /// Closes the connection; the reader's error, if it failed before.
    pub fn stop(mut self) -> Result<(), String> {
        // Read before closing: the reader ends with an error once the socket is shut.
        let finished = self.thread.as_ref().is_some_and(|t| t.is_finished());
        let _ = self.stream.shutdown(Shutdown::Both);
        let result = self.thread.take().map(|t| t.join());
        match result {
            Some(Ok(Err(err))) if finished => Err(err),
            Some(Err(_)) => Err("the reader panicked".into()),
            _ => Ok(()),
        }
    }
}

fn request(c: &mut Counted, incremental: bool, width: u16, height: u16) -> std::io::Result<()> {
    let mut msg = vec![3, u8::from(incremental), 0, 0, 0, 0];
    msg.extend(width.to_be_bytes());
    msg.extend(height.to_be_bytes());
    c.send(&msg)
}

fn read(c: &mut Counted) -> std::io::Result<()> {
    let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let version = c.bytes(12)?;
    if !version.starts_with(b"RFB 003.") {
        return Err(invalid(format!("not RFB: {version:?}")));
    }
    c.send(b"RFB 003.008\n")?;
    let n = c.u8()?;
    let types = c.bytes(n as usize)?;
    if !types.contains(&1) {
        return Err(invalid(format!("no security type None in {types:?}")));
    }
    c.send(&[1])?;
    if c.u32()? != 0 {
        return Err(invalid("security refused".into()));
    }
    c.send(&[1])?; // shared
    let (mut width, mut height) = (c.u16()?, c.u16()?);
    c.skip(16)?; // the server's pixel format
    let name = c.u32()?;
    c.skip(u64::from(name))?;
    // 32 bits a pixel, depth 24, little-endian, true colour, 8 bits each, B G R order.
    c.send(&[
        0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0,
    ])?;
    let encodings = [ZRLE, COPY_RECT, CURSOR, DESKTOP_SIZE];
    let mut msg = vec![2, 0];
    msg.extend((encodings.len() as u16).to_be_bytes());
    for e in encodings {
        msg.extend(e.to_be_bytes());
    }
    c.send(&msg)?;
    request(c, false, width, height)?;
    loop {
        match c.u8()? {
            0 => {
                c.skip(1)?;
                let rects = c.u16()?;
                for _ in 0..rects {
                    let (_x, _y, w, h) = (c.u16()?, c.u16()?, c.u16()?, c.u16()?);
                    let encoding = c.u32()? as i32;
                    let (w64, h64) = (u64::from(w), u64::from(h));
                    match encoding {
                        ZRLE => {
                            let len = c.u32()?;
                            c.skip(u64::from(len))?;
                        }
                        COPY_RECT => c.skip(4)?,
                        RAW => c.skip(w64 * h64 * 4)?,
                        CURSOR => c.skip(w64 * h64 * 4 + w64.div_ceil(8) * h64)?,
                        DESKTOP_SIZE => (width, height) = (w, h),
                        other => return Err(invalid(format!("encoding {other} not asked for"))),
                    }
                }
                c.counts.updates.fetch_add(1, Ordering::Relaxed);
                request(c, true, width, height)?;
            }
            2 => {} // bell
            3 => {
                c.skip(3)?;
                let len = c.u32()?;
                c.skip(u64::from(len))?;
            }
            other => return Err(invalid(format!("message type {other}"))),
        }
    }
}
