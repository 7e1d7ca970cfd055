//! WayRay's side of the comparison: a session compositor, its encoder and QUIC front end in
//! this process (the server side), foot running the workload, and the headless viewer program
//! (the desk side) connecting through a relay that counts the UDP payload each way.

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use wayray_protocol::messages::input::ButtonState;
use wayray_server::session::SessionHandle;

use super::{Cost, DRAG_START, Workload, cpu_of, foot_ini, run_workload, thread_cpu};
use crate::fixture::Fixture;
use crate::pixels::read_png_rgb;
use crate::pointer::{key, left_button, motion};
use crate::programs::{require, workspace_binary};
use crate::relay::{Shape, start_shaped};
use crate::remote::serve;
use crate::wait::wait_until;

/// A relay on a thread of its own, so that its CPU time can be told from the server's.
struct CountingRelay {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    done: mpsc::Receiver<((u64, u64), Duration)>,
}

impl CountingRelay {
    fn start(server: std::net::SocketAddr) -> Self {
        let (addr_tx, addr_rx) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("relay runtime");
            runtime.block_on(async move {
                let relay = start_shaped(server, Shape::default()).await;
                let _ = addr_tx.send(relay.addr);
                let _ = stopped.await;
                let _ = done_tx.send((relay.bytes.get(), thread_cpu()));
            });
        });
        let addr = addr_rx.recv().expect("relay started");
        Self { addr, stop, done }
    }

    /// (down, up) bytes and the relay thread's CPU time.
    fn finish(self) -> ((u64, u64), Duration) {
        let _ = self.stop.send(());
        self.done.recv().expect("relay finished")
    }
}

/// evdev's left Alt.
const ALT: u32 = 56;

/// The pointer to `at`, then Alt and the left button held: the window manager's move.
fn grab(session: &SessionHandle, (x, y): (f64, f64)) {
    session.input(motion(x, y));
    session.input(key(ALT, ButtonState::Pressed));
    session.input(left_button(ButtonState::Pressed));
}

/// The button and Alt let go.
fn release(session: &SessionHandle) {
    session.input(left_button(ButtonState::Released));
    session.input(key(ALT, ButtonState::Released));
}

/// Runs `workload` through WayRay; `None` (skip) without foot or the viewer program built
/// outside CI.
pub fn run(workload: Workload) -> Option<Cost> {
    let foot = require("foot")?;
    let client = workspace_binary("wayray-client")?;
    let mut fixture = Fixture::new("side-by-side", 1920, 1080);
    let dir = fixture.dir.path().to_owned();
    let script = dir.join("work.sh");
    std::fs::write(&script, workload.script(&dir)).expect("script");
    fixture.spawn_foot(
        &foot,
        &foot_ini(workload),
        &["sh", script.to_str().expect("utf-8 path")],
    );
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    std::thread::sleep(Duration::from_secs(1));
    // The window is centred: Alt+drag it to where the other stacks place it before anyone
    // watches; during the run, Alt+drag it by its centre along the path.
    let centre = |(x, y): (i32, i32)| (f64::from(x + 400), f64::from(y + 300));
    if workload == Workload::Drag {
        grab(&fixture.session, (960.0, 540.0));
        let (x, y) = centre(DRAG_START);
        fixture.session.input(motion(x, y));
        release(&fixture.session);
    }
    let served = serve(&fixture, "bench", &dir.join("state"), 2);
    let relay = CountingRelay::start(served.addr);
    let token = dir.join("token");
    std::fs::write(&token, "bench").expect("token file");
    let mut viewer = Command::new(client)
        .args(["connect", &relay.addr.to_string(), "--token-file"])
        .arg(&token)
        .arg("--known-servers")
        .arg(dir.join("known_servers"))
        .args(["--accept-new", "--headless", "--screenshot"])
        .arg(dir.join("viewer.png"))
        .arg("--report")
        .arg(dir.join("report.json"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("viewer starts");
    let frames = &served.link.stats.frames_sent;
    wait_until("the viewer's first frame", Duration::from_secs(20), || {
        (frames.load(std::sync::atomic::Ordering::Relaxed) > 0).then_some(())
    });
    std::thread::sleep(Duration::from_millis(500));
    let (server0, desk0) = (cpu_of(std::process::id()), cpu_of(viewer.id()));
    let mut dragging = false;
    run_workload(&dir, workload, |to| match to {
        Some(point) => {
            if !dragging {
                grab(&fixture.session, centre(DRAG_START));
                dragging = true;
            }
            let (x, y) = centre(point);
            fixture.session.input(motion(x, y));
        }
        None => release(&fixture.session),
    });
    let (server1, desk1) = (cpu_of(std::process::id()), cpu_of(viewer.id()));
    // The viewer says goodbye on SIGTERM; its last packets reach the relay.
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(viewer.id() as i32, libc::SIGTERM) };
    let _ = viewer.wait();
    std::thread::sleep(Duration::from_millis(300));
    let ((down, up), relay_cpu) = relay.finish();
    let shot = fixture.session.screenshot().expect("the session's picture");
    let desk = read_png_rgb(&dir.join("viewer.png"));
    let differing = shot
        .bgra
        .chunks_exact(4)
        .zip(&desk)
        .filter(|(s, d)| [s[2], s[1], s[0]] != **d)
        .count()
        + shot.bgra.len().abs_diff(desk.len() * 4) / 4;
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap_or_default())
            .unwrap_or_default();
    Some(Cost {
        down,
        up,
        updates: report["frames"].as_u64(),
        server_cpu: (server1 - server0).saturating_sub(relay_cpu),
        desk_cpu: Some(desk1 - desk0),
        differing: Some(differing),
    })
}
