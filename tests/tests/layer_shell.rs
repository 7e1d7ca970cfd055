//! wlr-layer-shell clients: a background (swaybg) under the windows, a launcher (fuzzel) that
//! takes the keyboard as soon as it shows and keeps it while a window opens, a panel whose
//! reserved strip maximised windows leave free, and layers stacked by layer, not by the order
//! they appeared in.

use std::io::{Read, Write};
use std::process::Stdio;
use std::time::Duration;

use wayray_client::keys::{Stroke, stroke_events};
use wayray_server::session::Screenshot;
use wayray_tests::fixture::Fixture;
use wayray_tests::pixels::{background, bbox, rgb, same_rgb};
use wayray_tests::programs::require;
use wayray_tests::wl_client::WlClient;

const WAIT: Duration = Duration::from_secs(20);

fn pixels(shot: &Screenshot) -> impl Iterator<Item = [u8; 4]> + '_ {
    shot.bgra.chunks_exact(4).map(|p| [p[0], p[1], p[2], p[3]])
}

#[test]
fn a_background_layer_lies_under_the_windows() {
    let (Some(swaybg), Some(shm)) = (require("swaybg"), require("weston-simple-shm")) else {
        return;
    };
    let mut fixture = Fixture::new("layer-bg", 640, 480);
    let mut command = fixture.command(&swaybg);
    command.args(["--color", "#ff0000", "--mode", "solid_color"]);
    fixture.spawn(command);
    let red = rgb(0xff0000);
    let (covered, shot) = fixture.wait_for(WAIT, |shot| pixels(shot).all(|p| same_rgb(p, red)));
    let reds = pixels(&shot).filter(|p| same_rgb(*p, red)).count();
    assert!(covered, "the background covers {reds} of 640×480 pixels");

    // A window maps above the background, which stays around it.
    fixture.spawn(fixture.command(&shm));
    let (above, shot) = fixture.wait_for(WAIT, |shot| {
        bbox(shot, |p| !same_rgb(p, red)).is_some_and(|(_, _, w, h)| w >= 200 && h >= 200)
    });
    assert!(
        above,
        "no window above the background: {:?}",
        bbox(&shot, |p| !same_rgb(p, red))
    );
    assert!(
        pixels(&shot).any(|p| same_rgb(p, red)),
        "the window hides the whole background"
    );
}

fn type_keys(fixture: &Fixture, codes: &[u32]) {
    for &code in codes {
        for event in stroke_events(Stroke { code, shift: false }) {
            fixture.session.input(event);
        }
    }
}

#[test]
fn a_launcher_takes_the_keyboard_and_gives_it_back() {
    let Some(fuzzel) = require("fuzzel") else {
        return;
    };
    let mut fixture = Fixture::new("layer-launcher", 800, 600);
    let mut command = fixture.command(&fuzzel);
    command
        .args(["--dmenu", "--no-icons"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut launcher = command.spawn().expect("fuzzel starts");
    let mut stdin = launcher.stdin.take().expect("stdin");
    stdin.write_all(b"alpha\nbeta\ngamma\n").expect("choices");
    drop(stdin);
    let mut stdout = launcher.stdout.take().expect("stdout");

    // It shows over the output (an overlay in the middle)…
    let (shown, _) = fixture.wait_for(WAIT, |shot| {
        bbox(shot, |p| !same_rgb(p, background())).is_some()
    });
    assert!(shown, "fuzzel drew nothing");
    // A window opening meanwhile does not take the keyboard from it…
    if let Some(foot) = require("foot") {
        let mut window = fixture.command(&foot);
        window.stdout(Stdio::null()).stderr(Stdio::null());
        fixture.spawn(window);
        let (opened, _) = fixture.wait_for(WAIT, |shot| shot.windows == 1);
        assert!(opened, "foot's window did not open");
    }
    // … and it has the keyboard without a click: "gam" and Enter choose gamma.
    std::thread::sleep(Duration::from_millis(300));
    type_keys(&fixture, &[34, 30, 50, 28]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut chosen = String::new();
        let _ = stdout.read_to_string(&mut chosen);
        let _ = tx.send(chosen);
    });
    let chosen = rx.recv_timeout(WAIT);
    let _ = launcher.kill();
    let _ = launcher.wait();
    assert_eq!(
        chosen.as_deref(),
        Ok("gamma\n"),
        "the launcher did not get the keys"
    );

    // Closed (and the window gone), it leaves nothing behind.
    fixture.spawn_kill_all();
    let (gone, _) = fixture.wait_for(WAIT, |shot| pixels(shot).all(|p| same_rgb(p, background())));
    assert!(gone, "the launcher's surface stayed on the output");
}

#[test]
fn a_panel_keeps_maximised_windows_below_it() {
    let fixture = Fixture::new("layer-panel", 640, 480);
    let stream = fixture.session.connect_client().expect("connect");
    let mut client = WlClient::connect(stream, fixture.dir.path());
    let mut panel = client.panel(30);
    client.draw_panel(&mut panel, 0xff00_ff00);
    assert_eq!(
        client.events.layer_configure.map(|c| (c.1, c.2)),
        Some((640, 30))
    );

    let window = client.toplevel("maximised");
    window.toplevel.as_ref().expect("toplevel").set_maximized();
    let maximised = wayray_tests::wait::poll_until(WAIT, || {
        client.roundtrip();
        let log = client.events.log.join("\n");
        if log.contains("toplevel 0: 640x450 [Maximized") {
            Ok(())
        } else {
            Err(log)
        }
    });
    assert!(maximised.is_ok(), "{maximised:?}");
    let green = rgb(0x00ff00);
    let (shown, shot) = fixture.wait_for(WAIT, |shot| {
        bbox(shot, |p| same_rgb(p, green)) == Some((0, 0, 640, 30))
    });
    assert!(shown, "panel at {:?}", bbox(&shot, |p| same_rgb(p, green)));
}

#[test]
fn a_panel_menu_opens_below_the_panel_inside_the_output() {
    let fixture = Fixture::new("layer-menu", 640, 480);
    let stream = fixture.session.connect_client().expect("connect");
    let mut client = WlClient::connect(stream, fixture.dir.path());
    let mut panel = client.panel(30);
    client.draw_panel(&mut panel, 0xff00_ff00);
    // From the panel's right end, growing down-right: 100 px wide from x = 631 would leave
    // the 640 px output, so the menu slides back inside, just below the panel.
    let index = client.events.serials.len();
    let mut menu = client.panel_menu(&panel, (630, 29), (100, 120));
    let configured = wayray_tests::wait::poll_until(WAIT, || {
        client.roundtrip();
        let log = client.events.log.join("\n");
        if log.contains(&format!("popup {index}: at 540,30 size 100x120")) {
            Ok(())
        } else {
            Err(log)
        }
    });
    assert!(configured.is_ok(), "{configured:?}");
    client.ack(&menu, index);
    client.draw(&mut menu, 100, 120, 0xffff_0000);
    client.roundtrip();
    let red = rgb(0xff0000);
    let (shown, shot) = fixture.wait_for(WAIT, |shot| {
        bbox(shot, |p| same_rgb(p, red)) == Some((540, 30, 100, 120))
    });
    assert!(shown, "menu at {:?}", bbox(&shot, |p| same_rgb(p, red)));
}

#[test]
fn an_overlay_stays_above_the_top_layer_whatever_order_they_appear_in() {
    use wayland_protocols_wlr::layer_shell::v1::client::{
        zwlr_layer_shell_v1, zwlr_layer_surface_v1,
    };
    let fixture = Fixture::new("layer-order", 640, 480);
    let stream = fixture.session.connect_client().expect("connect");
    let mut client = WlClient::connect(stream, fixture.dir.path());
    // An overlay of a given size, not anchored: centred, 200×100.
    let mut overlay = client.layer_surface(
        zwlr_layer_shell_v1::Layer::Overlay,
        zwlr_layer_surface_v1::Anchor::empty(),
        (200, 100),
        0,
    );
    client.draw_panel(&mut overlay, 0xffff_0000);
    assert_eq!(
        client.events.layer_configure.map(|c| (c.1, c.2)),
        Some((200, 100))
    );
    // Then a surface of the top layer over the whole output, mapped after it.
    client.events.layer_configure = None;
    let mut cover = client.layer_surface(
        zwlr_layer_shell_v1::Layer::Top,
        zwlr_layer_surface_v1::Anchor::all(),
        (0, 0),
        0,
    );
    client.draw_panel(&mut cover, 0xff00_ff00);
    assert_eq!(
        client.events.layer_configure.map(|c| (c.1, c.2)),
        Some((640, 480))
    );
    let (red, green) = (rgb(0xff0000), rgb(0x00ff00));
    let (stacked, shot) = fixture.wait_for(WAIT, |shot| {
        bbox(shot, |p| same_rgb(p, red)) == Some((220, 190, 200, 100))
            && pixels(shot).filter(|p| same_rgb(*p, green)).count() == 640 * 480 - 200 * 100
    });
    assert!(
        stacked,
        "overlay at {:?}, cover at {:?}",
        bbox(&shot, |p| same_rgb(p, red)),
        bbox(&shot, |p| same_rgb(p, green))
    );
}
