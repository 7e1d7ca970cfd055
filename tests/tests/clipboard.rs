//! Clipboard between the session's clients: `wl-copy` then `wl-paste`, for text and a PNG, on
//! the regular clipboard and the primary selection.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use wayray_tests::fixture::{Fixture, run_with_timeout};
use wayray_tests::programs::require;

const WAIT: Duration = Duration::from_secs(20);

fn copy_then_paste(fixture: &Fixture, extra: &[&str], data: &[u8]) -> Vec<u8> {
    let (Some(wl_copy), Some(wl_paste)) = (require("wl-copy"), require("wl-paste")) else {
        return data.to_vec();
    };
    let mut last = Vec::new();
    // A second wl-copy is started if the first has not claimed the selection within half the
    // time (on a loaded machine its surface can miss the first focus change).
    for _attempt in 0..2 {
        let mut copy = fixture.command(&wl_copy);
        // --foreground keeps wl-copy serving until it is killed below.
        copy.arg("--foreground")
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut copier = copy.spawn().expect("wl-copy starts");
        {
            let mut stdin = copier.stdin.take().expect("stdin");
            stdin.write_all(data).unwrap();
        }
        // Paste until the new selection is there (wl-copy needs a moment to claim it).
        let deadline = std::time::Instant::now() + WAIT / 2;
        while std::time::Instant::now() < deadline {
            let mut paste = fixture.command(&wl_paste);
            paste.arg("--no-newline").args(extra);
            let output = run_with_timeout(paste, WAIT);
            last = output.stdout;
            if output.status.success() && last == data {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = copier.kill();
        let _ = copier.wait();
        if last == data {
            break;
        }
    }
    last
}

#[test]
fn text_round_trips_through_the_clipboard() {
    let fixture = Fixture::new("clip-text", 640, 480);
    let text = b"hello from WayRay \xe2\x9c\x93";
    assert_eq!(copy_then_paste(&fixture, &[], text), text);
}

#[test]
fn png_round_trips_through_the_clipboard() {
    let fixture = Fixture::new("clip-png", 640, 480);
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, 3, 2);
        encoder.set_color(png::ColorType::Rgb);
        let mut writer = encoder.write_header().unwrap();
        writer
            .write_image_data(&[255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9])
            .unwrap();
    }
    let pasted = copy_then_paste(&fixture, &["--type", "image/png"], &png);
    assert_eq!(pasted, png);
}

#[test]
fn text_round_trips_through_the_primary_selection() {
    let fixture = Fixture::new("clip-primary", 640, 480);
    let text = b"middle-click me";
    assert_eq!(copy_then_paste(&fixture, &["--primary"], text), text);
}

/// A clipboard manager (wlr-data-control) sees every new selection without a window of its
/// own: `wl-paste --watch` gets both copies.
#[test]
fn a_clipboard_watcher_sees_every_copy_without_a_window() {
    let (Some(wl_copy), Some(wl_paste)) = (require("wl-copy"), require("wl-paste")) else {
        return;
    };
    let mut fixture = Fixture::new("clipboard-watch", 320, 240);
    let log = fixture.dir.path().join("watched");
    let mut watch = fixture.command(&wl_paste);
    watch.args(["--watch", "sh", "-c"]).arg(format!(
        "cat >> '{}'; echo >> '{}'",
        log.display(),
        log.display()
    ));
    fixture.spawn(watch);
    for text in ["first copy", "second copy"] {
        // wl-copy forks a process that serves the copy until the next one replaces it.
        let mut copy = fixture.command(&wl_copy);
        copy.arg(text).stdout(Stdio::null()).stderr(Stdio::null());
        let status = copy.status().expect("wl-copy runs");
        assert!(status.success(), "wl-copy failed");
        let deadline = std::time::Instant::now() + WAIT;
        let mut seen = String::new();
        while std::time::Instant::now() < deadline && !seen.lines().any(|l| l == text) {
            std::thread::sleep(Duration::from_millis(50));
            seen = std::fs::read_to_string(&log).unwrap_or_default();
        }
        assert!(
            seen.lines().any(|l| l == text),
            "the watcher did not see {text:?}: {seen:?}"
        );
    }
}
