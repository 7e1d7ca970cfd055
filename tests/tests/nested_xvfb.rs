//! Nested mode under Xvfb (Mesa llvmpipe): an X screenshot of the nested window contains the
//! client's pixels where the window manager put them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wayray_tests::pixels::{background, same_rgb};
use wayray_tests::programs::{in_ci, require};
use wayray_tests::runtime_dir::RuntimeDir;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `target/<profile>/wayray-server`, built by `cargo test --workspace`.
fn server_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("wayray-server");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        !in_ci(),
        "{} is missing: run `cargo test --workspace`",
        path.display()
    );
    eprintln!("skipping: build wayray-server first (cargo test --workspace does)");
    None
}

/// Decodes an RGB(A) PNG into (width, height, rgb bytes per pixel as [r, g, b]).
fn read_png(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, pixels)
}

#[test]
fn nested_window_shows_the_client() {
    let (Some(xvfb), Some(ffmpeg), Some(shm)) = (
        require("Xvfb"),
        require("ffmpeg"),
        require("weston-simple-shm"),
    ) else {
        return;
    };
    let Some(server) = server_binary() else {
        return;
    };
    let dir = RuntimeDir::new("nested").unwrap();
    let display = format!(":{}", 100 + std::process::id() % 800);
    let _xvfb = Killed(
        Command::new(xvfb)
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let x_socket = format!("/tmp/.X11-unix/X{}", &display[1..]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !Path::new(&x_socket).exists() {
        assert!(Instant::now() < deadline, "Xvfb did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _server = Killed(
        Command::new(server)
            .args(["nested", "--size", "640x480", "--"])
            .arg(shm)
            .env("DISPLAY", &display)
            .env("XDG_RUNTIME_DIR", dir.path())
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let shot = dir.path().join("x.png");
    let [b, g, r, _] = background();
    let bg = [r, g, b];
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
        let status = Command::new(&ffmpeg)
            .args([
                "-loglevel",
                "error",
                "-y",
                "-f",
                "x11grab",
                "-video_size",
                "1024x768",
                "-i",
            ])
            .arg(&display)
            .args(["-frames:v", "1"])
            .arg(&shot)
            .status()
            .unwrap();
        if !status.success() {
            continue;
        }
        let (width, _, pixels) = read_png(&shot);
        let at = |x: u32, y: u32| pixels[(y * width + x) as usize];
        let is_bg = |p: [u8; 3]| same_rgb([p[2], p[1], p[0], 255], [bg[2], bg[1], bg[0], 255]);
        // The nested window sits at the X screen's origin; simple-shm's 250x250 window is
        // centred in its 640x480 output: (195, 115) to (445, 365).
        let outside_ok = is_bg(at(5, 5)) && is_bg(at(190, 240)) && is_bg(at(450, 240));
        let inside_ok = !is_bg(at(320, 240)) && !is_bg(at(200, 120)) && !is_bg(at(440, 360));
        if outside_ok && inside_ok {
            return;
        }
        last = format!(
            "(5,5)={:?} (190,240)={:?} (320,240)={:?} (200,120)={:?}",
            at(5, 5),
            at(190, 240),
            at(320, 240),
            at(200, 120)
        );
    }
    panic!("the nested window never showed the client: {last}");
}
