//! An X server without a screen (Xvfb, rendering with Mesa's llvmpipe/lavapipe) for tests of
//! windows, with screenshots through FFmpeg's x11grab.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use crate::pixels::read_png_rgb;
use crate::programs::require;

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
    /// Xvfb picks the display itself (`-displayfd`) and names it only once it accepts
    /// connections: a socket file left behind by an earlier X server proves nothing.
    pub fn start() -> Option<Self> {
        let (xvfb, ffmpeg) = (require("Xvfb")?, require("ffmpeg")?);
        let mut child = Command::new(xvfb)
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
        let mut number = String::new();
        stdout
            .read_line(&mut number)
            .expect("Xvfb's display number");
        let number = number.trim();
        assert!(
            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
            "Xvfb did not start (it named no display: {number:?})"
        );
        Some(Self {
            display: format!(":{number}"),
            child,
            _stdout: stdout,
            ffmpeg,
        })
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
