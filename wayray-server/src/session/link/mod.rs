//! The session process's side of the link to the daemon: a Unix socket in the runtime dir
//! (mode 0600) where the daemon manages the session and relays its viewer. Frames leave here
//! already framed for the viewer, with at most `frames_in_flight` unacknowledged; the encoder
//! coalesces damage meanwhile.
//!
//! Runs on its own thread with a tokio runtime; it never blocks the compositor: requests go to
//! the session through its command channel, frames come from the encoder pipeline's bounded
//! channel.

mod audio;
mod clipboard;
mod gate;
mod manage;
mod overtake;
mod viewer;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::session::clipboard::{ClipboardSink, Selections, WANTED_QUEUE, Wanted};
use crate::session::cursor::{Cursor, CursorSink};
use smithay::reexports::calloop::channel::SyncSender as Sender;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Notify, mpsc, watch};
use wayray_protocol::messages::control::OutputMode;
use wayray_protocol::messages::link::{LinkReply, LinkRequest};

pub use crate::link_io::{LinkError, LinkReader, write_link};
use crate::session::SessionCommand;
use crate::session::encode::pipeline::{Encoded, Pipeline};

/// The most frames a viewer's link keeps in flight however long its loop (the daemon queues
/// eight display messages, cursors included); `frames_in_flight` is the floor.
pub const MAX_IN_FLIGHT: usize = 6;

/// What the link serves.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// The Unix socket to listen on (created mode 0600; an old one is replaced).
    pub path: PathBuf,
    /// Unacknowledged frames always allowed on the wire; up to [`MAX_IN_FLIGHT`] while the
    /// acknowledgements show a long loop and the link carries the bytes (ADR 0037).
    pub frames_in_flight: usize,
    /// The output mode at start.
    pub mode: OutputMode,
    /// The session's `WAYLAND_DISPLAY`.
    pub wayland_display: String,
    /// The session's sound, for viewers that negotiated audio.
    pub audio: Option<crate::session::audio::AudioFeed>,
    /// The session's microphone, for viewers that negotiated one.
    pub microphone: Option<crate::session::audio::MicrophoneFeed>,
}

/// Counters of the link, for tests and stats.
#[derive(Debug, Default)]
pub struct LinkStats {
    /// Frames sent towards viewers.
    pub frames_sent: AtomicU64,
    /// Of those, frames sent to overtake video frames in flight (`FrameAfter`).
    pub frames_overtaking: AtomicU64,
    /// The most frames ever sent and not yet acknowledged at once.
    pub max_in_flight: AtomicU64,
    /// When the session's sound last went to a viewer, milliseconds after the link started
    /// (0: never).
    pub sound_sent_ms: AtomicU64,
    /// When a viewer's microphone last arrived, likewise.
    pub microphone_ms: AtomicU64,
    /// When the link started.
    pub started: std::sync::OnceLock<std::time::Instant>,
}

impl LinkStats {
    /// Milliseconds since the link started (at least 1, so that 0 means never).
    pub fn now_ms(&self) -> u64 {
        let started = self.started.get_or_init(std::time::Instant::now);
        started.elapsed().as_millis() as u64 + 1
    }

    /// Whether `at` (from [`LinkStats::now_ms`]) lies within the last second.
    pub fn recent(&self, at: &AtomicU64) -> bool {
        let at = at.load(Ordering::Relaxed);
        at != 0 && self.now_ms().saturating_sub(at) <= 1000
    }
}

/// The running link server.
#[derive(Debug)]
pub struct LinkServer {
    /// Counters.
    pub stats: Arc<LinkStats>,
    cursor: Arc<watch::Sender<Cursor>>,
    clipboard: Option<ClipboardSink>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
}

impl LinkServer {
    /// Where the session sends its cursor (`SessionCommand::SetCursorSink`).
    pub fn cursor_sink(&self) -> CursorSink {
        let cursor = self.cursor.clone();
        Box::new(move |change| {
            cursor.send_replace(change);
        })
    }

    /// Where the session sends its selections and pastes of the desk's
    /// (`SessionCommand::SetClipboardSink`); there is one.
    pub fn take_clipboard_sink(&mut self) -> Option<ClipboardSink> {
        self.clipboard.take()
    }
}

impl Drop for LinkServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// State shared by the link's connections.
struct Shared {
    config: LinkConfig,
    frames: tokio::sync::Mutex<mpsc::Receiver<Encoded>>,
    pipeline: Arc<Pipeline>,
    session: Sender<SessionCommand>,
    /// The attached viewer connection: its id and how to tell it that it was replaced.
    viewer: Mutex<Option<(u64, Arc<Notify>)>>,
    next_connection: AtomicU64,
    /// Keyframes taken from the encoder, by any viewer connection or the drain: a viewer that
    /// asked for a keyframe and sees this change before it gets the frames asks again (a
    /// replaced viewer or the drain may have taken its keyframe).
    keyframes_taken: AtomicU64,
    stats: Arc<LinkStats>,
    cursor: Arc<watch::Sender<Cursor>>,
    /// The output mode now in effect (a viewer may have changed it).
    mode: Mutex<OutputMode>,
    /// The refresh rate the session paces its clients to, in millihertz (the attached
    /// viewer's desk, or the default).
    refresh_mhz: AtomicU32,
    /// The session's selections, as the compositor announces them.
    announced: watch::Receiver<Selections>,
    /// Pastes of the desk's selections, for the attached viewer.
    wanted: tokio::sync::Mutex<mpsc::Receiver<Wanted>>,
}

/// Starts serving the link on `config.path`.
pub fn start(
    config: LinkConfig,
    frames: std::sync::mpsc::Receiver<Encoded>,
    pipeline: Arc<Pipeline>,
    session: Sender<SessionCommand>,
) -> Result<LinkServer, LinkError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("wayray-link")
        .enable_all()
        .build()?;
    if let Some(dir) = config.path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _ = std::fs::remove_file(&config.path);
    let listener = {
        let _guard = runtime.enter();
        UnixListener::bind(&config.path)?
    };
    // Owner and group: in multi-user mode the socket's directory gives it the daemon's group
    // (and shuts everyone else out); otherwise the directory is private to this user.
    std::fs::set_permissions(&config.path, std::fs::Permissions::from_mode(0o660))?;
    tracing::info!(path = %config.path.display(), "link listening");

    // Frames cross from the encoder thread into the runtime through a one-slot channel: while
    // no viewer takes them the bridge waits, and the encoder coalesces.
    let (frame_tx, frame_rx) = mpsc::channel::<Encoded>(1);
    std::thread::Builder::new()
        .name("wayray-frame-bridge".into())
        .spawn(move || {
            while let Ok(frame) = frames.recv() {
                if frame_tx.blocking_send(frame).is_err() {
                    return;
                }
            }
        })?;

    // No viewer yet: the encoder waits without holding copies of the output.
    let _ = pipeline.set_active(false);
    let stats = Arc::new(LinkStats::default());
    let cursor = Arc::new(watch::Sender::new(Cursor::default()));
    let path = config.path.clone();
    let (announced_tx, announced) = watch::channel(Selections::default());
    let (wanted_tx, wanted) = mpsc::channel(WANTED_QUEUE);
    let shared = Arc::new(Shared {
        announced,
        wanted: tokio::sync::Mutex::new(wanted),
        mode: Mutex::new(config.mode),
        refresh_mhz: AtomicU32::new(crate::session::output::DEFAULT_REFRESH_MHZ),
        config,
        frames: tokio::sync::Mutex::new(frame_rx),
        pipeline,
        session,
        viewer: Mutex::new(None),
        next_connection: AtomicU64::new(1),
        keyframes_taken: AtomicU64::new(0),
        stats: stats.clone(),
        cursor: cursor.clone(),
    });
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("wayray-link".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    () = accept_loop(listener, shared) => {}
                    _ = shutdown_rx => {}
                }
            });
        })?;
    Ok(LinkServer {
        stats,
        cursor,
        clipboard: Some(ClipboardSink {
            announced: announced_tx,
            wanted: wanted_tx,
        }),
        shutdown: Some(shutdown_tx),
        thread: Some(thread),
        path,
    })
}

async fn accept_loop(listener: UnixListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, shared.clone()));
            }
            Err(err) => {
                tracing::warn!(%err, "accepting a link connection failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// One connection from the daemon: management requests until it attaches a viewer.
async fn connection(stream: UnixStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut reader = LinkReader::<LinkRequest, _>::new(read);
    // Replies go through one writer task; the channel is small, so a daemon that stops reading
    // stops this connection's display loop (and the encoder coalesces), nothing piles up.
    let (replies, mut outgoing) = mpsc::channel::<LinkReply>(4);
    let writer = tokio::spawn(async move {
        while let Some(reply) = outgoing.recv().await {
            if let Err(err) = write_link(&mut write, &reply).await {
                tracing::debug!(%err, "link write failed");
                return;
            }
        }
    });
    let result = loop {
        match reader.next().await {
            Ok(Some(LinkRequest::AttachViewer(attach))) => {
                let id = shared.next_connection.fetch_add(1, Ordering::Relaxed);
                break viewer::serve(id, &mut reader, &replies, &shared, attach).await;
            }
            Ok(Some(request)) => {
                let reply = manage::answer(&shared, request).await;
                if replies.send(reply).await.is_err() {
                    break Ok(());
                }
            }
            Ok(None) => break Ok(()),
            Err(err) => break Err(err),
        }
    };
    if let Err(err) = result {
        tracing::info!(%err, "link connection closed");
        let _ = replies.send(LinkReply::Error(err.to_string())).await;
    }
    drop(replies);
    let _ = writer.await;
}

/// Queues a command for the compositor without blocking the runtime's workers: when the
/// compositor's queue is full the caller waits here (backpressure), never in a system call.
/// `Err` when the compositor has stopped.
pub(super) async fn send_command(
    session: &Sender<SessionCommand>,
    mut command: SessionCommand,
) -> Result<(), ()> {
    loop {
        match session.try_send(command) {
            Ok(()) => return Ok(()),
            Err(std::sync::mpsc::TrySendError::Full(back)) => {
                command = back;
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return Err(()),
        }
    }
}
