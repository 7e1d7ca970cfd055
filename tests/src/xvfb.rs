//! An X server without a screen (Xvfb, rendering with Mesa's llvmpipe/lavapipe) for tests of
//! windows, with screenshots through FFmpeg's x11grab.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::pixels::read_png_rgb;
use crate::programs::require;

/// Displays the tests' X servers use; sessions' Xwayland counts up from 0.
const FIRST_DISPLAY: u32 = 200;
const LAST_DISPLAY: u32 = 999;

/// Display numbers to try, starting at one that depends on the process so that test
/// programs running side by side rarely try the same one.
fn candidate_displays() -> impl Iterator<Item = u32> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let span = LAST_DISPLAY - FIRST_DISPLAY + 1;
    let start = std::process::id().wrapping_mul(37) + NEXT.fetch_add(13, Ordering::Relaxed);
    (0..span).map(move |i| FIRST_DISPLAY + (start + i) % span)
}

/// A running Xvfb, killed on drop.
pub struct Xvfb {
    /// `DISPLAY` for clients, e.g. `:123`.
    pub display: String,
    child: Child,
    /// Kept open so that a late write from Xvfb never meets a closed pipe.
    _stdout: BufReader<ChildStdout>,
    ffmpeg: PathBuf,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Xvfb {
    /// Starts a 1600×1000 screen on a free display; `None` (skip) when Xvfb or FFmpeg is
    /// missing outside CI.
    ///
    /// The display is chosen here, from numbers far above the ones sessions' Xwayland takes
    /// (those count up from 0 and listen on a socket file only, which an Xvfb scanning for a
    /// free display would take over). Xvfb names the display (`-displayfd`) only once it
    /// accepts connections: a socket file left behind by an earlier X server proves nothing.
    pub fn start() -> Option<Self> {
        let (xvfb, ffmpeg) = (require("Xvfb")?, require("ffmpeg")?);
        for number in candidate_displays() {
            if Path::new(&format!("/tmp/.X{number}-lock")).exists()
                || Path::new(&format!("/tmp/.X11-unix/X{number}")).exists()
            {
                continue;
            }
            let mut child = Command::new(&xvfb)
                .arg(format!(":{number}"))
                .args([
                    "-displayfd",
                    "1",
                    "-screen",
                    "0",
                    "1600x1000x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb starts");
            let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
            let mut named = String::new();
            let _ = stdout.read_line(&mut named);
            if named.trim() == number.to_string() {
                return Some(Self {
                    display: format!(":{number}"),
                    child,
                    _stdout: stdout,
                    ffmpeg,
                });
            }
            // Another X server took this display between the check and the start.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("Xvfb found no free display between :{FIRST_DISPLAY} and :{LAST_DISPLAY}");
    }

    /// A screenshot of the top-left `width` × `height` of the screen, as RGB pixels.
    pub fn screenshot(&self, dir: &Path, width: u32, height: u32) -> Option<Vec<[u8; 3]>> {
        let path = dir.join("x11grab.png");
        let status = Command::new(&self.ffmpeg)
            .args(["-loglevel", "error", "-y", "-f", "x11grab", "-video_size"])
            .arg(format!("{width}x{height}"))
            .arg("-i")
            .arg(&self.display)
            .args(["-frames:v", "1"])
            .arg(&path)
            .status()
            .ok()?;
        status.success().then(|| read_png_rgb(&path))
    }
}

impl Xvfb {
    /// Whether some program holds the keyboard: a test client's own grab is refused.
    pub fn keyboard_is_grabbed(&self) -> bool {
        use x11rb::connection::Connection;
        use x11rb::protocol::xproto::{ConnectionExt, GrabMode, GrabStatus};
        let (conn, screen) = x11rb::connect(Some(&self.display)).expect("X connection");
        let root = conn.setup().roots[screen].root;
        let status = conn
            .grab_keyboard(
                false,
                root,
                x11rb::CURRENT_TIME,
                GrabMode::ASYNC,
                GrabMode::ASYNC,
            )
            .expect("grab request")
            .reply()
            .expect("grab reply")
            .status;
        if status == GrabStatus::SUCCESS {
            let _ = conn.ungrab_keyboard(x11rb::CURRENT_TIME);
            let _ = conn.flush();
        }
        status == GrabStatus::ALREADY_GRABBED
    }
}
