//! A film playing in a session, for tests and benchmarks of video: test clips made with
//! FFmpeg, and a session with mpv playing one and a terminal beside it to type into.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::fixture::{Fixture, run_with_timeout};

/// A test clip of `source` (an FFmpeg lavfi graph), `seconds` long, as `name` in `dir`.
pub fn make_clip(ffmpeg: &Path, dir: &Path, name: &str, source: &str, seconds: u32) -> PathBuf {
    let clip = dir.join(name);
    let mut make = std::process::Command::new(ffmpeg);
    make.args(["-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(source)
        .args(["-t", &seconds.to_string(), "-c:v", "libx264"])
        .args([
            "-preset",
            "ultrafast",
            "-crf",
            "18",
            "-pix_fmt",
            "yuv420p",
            "-y",
        ])
        .arg(&clip);
    let out = run_with_timeout(make, Duration::from_secs(120));
    assert!(out.status.success(), "cannot make the test clip");
    clip
}

/// mpv plays `clip` in a loop in `fixture`'s session, then foot opens (1280×160, a plain
/// shell, no blinking cursor); both windows are up when this returns. foot opens centred,
/// over the film.
pub fn film_and_terminal(fixture: &mut Fixture, mpv: &Path, foot: &Path, clip: &Path) {
    let mut command = fixture.command(mpv);
    command
        .args(["--vo=wlshm", "--no-audio", "--really-quiet", "--loop=inf"])
        .arg(clip);
    fixture.spawn(command);
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    let shell = [
        "--window-size-pixels=1280x160",
        "sh",
        "-c",
        "PS1='$ ' exec sh",
    ];
    fixture.spawn_foot(foot, "[cursor]\nblink=no\n", &shell);
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 2);
    std::thread::sleep(Duration::from_secs(1));
}
