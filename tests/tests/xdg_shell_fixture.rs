//! Protocol-level xdg_shell tests: the compositor and a wayland-client on one thread
//! ([`OneLoop`]: a client's `roundtrip()` turns the compositor's loop), and insta snapshots of
//! the configure sequences the compositor sends. No sleeps: every run sees the same events.

use wayray_tests::one_loop::OneLoop;
use wayray_tests::pixels::{bbox, rgb, same_rgb};
use wayray_tests::wl_client::{ShmSurface, WlClient};

/// A toplevel that has acked its first configure and shows a 400x300 buffer of `argb`; the
/// event log is cleared.
fn mapped(c: &mut WlClient, argb: u32) -> ShmSurface {
    let window = c.mapped_window("window", 400, 300, argb);
    c.events.log.clear();
    window
}

#[test]
fn toplevel_configure_sequence() {
    let fixture = OneLoop::new("xdg-toplevel", 1280, 720);
    let mut c = fixture.client();
    let mut window = c.toplevel("first");
    c.roundtrip();
    c.ack(&window, 0);
    c.draw(&mut window, 400, 300, 0xffcc0000);
    c.roundtrip();
    c.wait_frames();
    c.roundtrip();
    insta::assert_snapshot!("toplevel_lifecycle", c.events.log.join("\n"));

    // The window is centred on the output and shows its colour.
    let shot = fixture.screenshot();
    assert_eq!(
        bbox(&shot, |p| same_rgb(p, rgb(0xcc0000))),
        Some((440, 210, 400, 300))
    );
}

#[test]
fn maximize_and_fullscreen_requests_are_honoured_and_undone() {
    let fixture = OneLoop::new("xdg-modes", 1280, 720);
    let mut c = fixture.client();
    let window = mapped(&mut c, 0xff00aa00);
    let toplevel = window.toplevel.clone().expect("toplevel");
    toplevel.set_maximized();
    c.roundtrip();
    toplevel.unset_maximized();
    c.roundtrip();
    toplevel.set_fullscreen(None);
    c.roundtrip();
    toplevel.unset_fullscreen();
    c.roundtrip();
    insta::assert_snapshot!("maximize_fullscreen", c.events.log.join("\n"));
}

/// The window's first popup, anchored at `anchor`, `size` large, acked and drawn blue.
fn drawn_popup(
    c: &mut WlClient,
    window: &ShmSurface,
    anchor: (i32, i32),
    size: (i32, i32),
) -> ShmSurface {
    let mut popup = c.popup(window, anchor, size);
    c.roundtrip();
    c.ack(&popup, 1);
    c.draw(&mut popup, size.0, size.1, 0xff0000ff);
    c.roundtrip();
    c.wait_frames();
    popup
}

#[test]
fn popup_is_constrained_to_the_output_and_drawn() {
    let fixture = OneLoop::new("xdg-popup", 1280, 720);
    let mut c = fixture.client();
    let window = mapped(&mut c, 0xff202020);
    // Anchored at the parent's bottom-right corner and growing down-right: at (840, 510) a
    // 300x300 popup would leave the 1280x720 output, so it must slide back inside.
    let _popup = drawn_popup(&mut c, &window, (399, 299), (300, 300));
    insta::assert_snapshot!("popup_constrained", c.events.log.join("\n"));
    let blue = rgb(0x0000ff);
    let shot = fixture.screenshot();
    let (x, y, w, h) = bbox(&shot, |p| same_rgb(p, blue)).expect("the popup is drawn");
    assert_eq!((w, h), (300, 300));
    assert!(
        x + w <= 1280 && y + h <= 720,
        "popup at {x},{y} leaves the output"
    );
}

/// A menu taller than the output (LibreOffice's Format menu on a short screen) slides up to
/// the output's top and is shortened to its height: every item stays reachable by the menu's
/// own scrolling instead of running off the bottom edge.
#[test]
fn a_menu_taller_than_the_output_is_shortened_to_fit() {
    let fixture = OneLoop::new("xdg-popup-tall", 1280, 720);
    let mut c = fixture.client();
    let window = mapped(&mut c, 0xff202020);
    let mut popup = c.popup(&window, (50, 50), (200, 1000));
    c.roundtrip();
    let configured = c
        .events
        .log
        .iter()
        .rev()
        .find_map(|line| line.strip_prefix("popup 1: at "))
        .expect("the popup was configured")
        .to_owned();
    let size = configured.split(" size ").nth(1).expect("a size");
    let (w, h) = size.split_once('x').expect("WxH");
    let (w, h): (i32, i32) = (w.parse().expect("width"), h.parse().expect("height"));
    assert_eq!((w, h), (200, 720), "configured {configured}");
    c.ack(&popup, 1);
    c.draw(&mut popup, w, h, 0xff0000ff);
    c.roundtrip();
    c.wait_frames();
    let shot = fixture.screenshot();
    let blue = rgb(0x0000ff);
    let (_, y, bw, bh) = bbox(&shot, |p| same_rgb(p, blue)).expect("the popup is drawn");
    assert_eq!(
        (y, bw, bh),
        (0, 200, 720),
        "the whole menu is on the output"
    );
}

/// A menu opened at a point (an anchor rectangle of no size, which xdg-shell allows: GTK 4
/// passes its popover's pointing rectangle as it is) is placed at that point, and may be
/// moved to another point; the client is not cut off for it.
#[test]
fn a_popup_anchored_at_a_point_is_placed_there() {
    let fixture = OneLoop::new("xdg-popup-point", 1280, 720);
    let mut c = fixture.client();
    let window = mapped(&mut c, 0xff202020);
    let mut popup = c.point_popup(&window, (120, 80), (100, 100));
    c.roundtrip();
    assert!(
        c.events
            .log
            .iter()
            .any(|l| l == "popup 1: at 120,80 size 100x100"),
        "{:?}",
        c.events.log
    );
    c.ack(&popup, 1);
    c.draw(&mut popup, 100, 100, 0xff0000ff);
    c.roundtrip();
    c.wait_frames();
    let blue = rgb(0x0000ff);
    // The window is centred: its geometry starts at (440, 210).
    assert_eq!(
        bbox(&fixture.screenshot(), |p| same_rgb(p, blue)),
        Some((560, 290, 100, 100))
    );

    c.events.log.clear();
    c.reposition_at_point(&popup, (10, 20), (100, 100), 7);
    c.roundtrip();
    assert_eq!(
        c.events.log,
        [
            "popup 1: repositioned 7",
            "popup 1: at 10,20 size 100x100",
            "surface 1: configure"
        ]
    );
    c.ack(&popup, 1);
    c.draw(&mut popup, 100, 100, 0xff0000ff);
    c.roundtrip();
    c.wait_frames();
    assert_eq!(
        bbox(&fixture.screenshot(), |p| same_rgb(p, blue)),
        Some((450, 230, 100, 100))
    );
}

/// An application that closes its menu destroys the popup and may commit nothing else (Qt
/// repaints its menu bar before): the menu must still leave the screen at once.
#[test]
fn a_destroyed_popup_leaves_the_screen_without_another_commit() {
    let fixture = OneLoop::new("xdg-popup-gone", 1280, 720);
    let mut c = fixture.client();
    let window = mapped(&mut c, 0xff202020);
    let mut popup = drawn_popup(&mut c, &window, (50, 50), (100, 100));
    let blue = rgb(0x0000ff);
    assert!(bbox(&fixture.screenshot(), |p| same_rgb(p, blue)).is_some());
    popup.popup.take().expect("a popup").destroy();
    popup.xdg.destroy();
    popup.surface.destroy();
    c.roundtrip();
    assert_eq!(
        bbox(&fixture.screenshot(), |p| same_rgb(p, blue)),
        None,
        "the destroyed menu is still on the screen"
    );
}

#[test]
fn output_mode_changes_at_run_time_and_maximized_windows_follow() {
    use wayray_server::session::SessionCommand;
    use wayray_server::session::output::OutputConfig;
    let fixture = OneLoop::new("xdg-resize", 1280, 720);
    let mut c = fixture.client();
    let window = mapped(&mut c, 0xff00aa00);
    window.toplevel.clone().expect("toplevel").set_maximized();
    c.roundtrip();
    c.events.log.clear();
    fixture.command(SessionCommand::SetOutput(OutputConfig {
        width: 1024,
        height: 768,
        ..OutputConfig::default()
    }));
    c.roundtrip();
    insta::assert_snapshot!("output_resized", c.events.log.join("\n"));
    let shot = fixture.screenshot();
    assert_eq!((shot.width, shot.height), (1024, 768));
}

const KEY_LEFTALT: u32 = 56;
const KEY_TAB: u32 = 15;

/// Presses Alt+Tab and lets go, through the session's input path.
fn alt_tab(fixture: &OneLoop) {
    use wayray_protocol::InputMessage;
    use wayray_protocol::messages::input::{ButtonState, Key};
    use wayray_server::session::SessionCommand;
    let key = |code, state| {
        SessionCommand::Input(InputMessage::Key(Key {
            code,
            state,
            time_ms: 0,
        }))
    };
    for (code, state) in [
        (KEY_LEFTALT, ButtonState::Pressed),
        (KEY_TAB, ButtonState::Pressed),
        (KEY_TAB, ButtonState::Released),
        (KEY_LEFTALT, ButtonState::Released),
    ] {
        fixture.command(key(code, state));
    }
}

#[test]
fn a_compositor_shortcut_is_kept_from_clients_press_and_release() {
    let fixture = OneLoop::new("xdg-shortcut", 1280, 720);
    let mut c = fixture.client();
    let _window = mapped(&mut c, 0xff20_4060);
    c.record_keys();
    c.roundtrip();
    alt_tab(&fixture);
    c.roundtrip();
    // Alt is a modifier and reaches the window; Tab, press and release, was the window
    // manager's.
    assert_eq!(
        c.events.keys,
        vec![(KEY_LEFTALT, true), (KEY_LEFTALT, false)]
    );
}

#[test]
fn a_window_that_inhibits_shortcuts_gets_their_keys() {
    let fixture = OneLoop::new("xdg-inhibit", 1280, 720);
    let mut c = fixture.client();
    let window = mapped(&mut c, 0xff20_4060);
    let seat = c.record_keys();
    c.inhibit_shortcuts(&window, &seat);
    assert!(
        c.events.shortcuts_inhibited,
        "the compositor did not grant the inhibitor"
    );
    c.roundtrip();
    alt_tab(&fixture);
    c.roundtrip();
    assert_eq!(
        c.events.keys,
        vec![
            (KEY_LEFTALT, true),
            (KEY_TAB, true),
            (KEY_TAB, false),
            (KEY_LEFTALT, false)
        ]
    );
}
