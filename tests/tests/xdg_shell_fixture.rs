//! Protocol-level xdg_shell tests: a wayland-client over a socket pair, `roundtrip()`, and insta
//! snapshots of the configure sequences the compositor sends.

use std::time::Duration;

use wayray_tests::fixture::Fixture;
use wayray_tests::pixels::{bbox, rgb, same_rgb};
use wayray_tests::wl_client::WlClient;

fn client(fixture: &Fixture) -> WlClient {
    let stream = fixture.session.connect_client().expect("socket pair");
    WlClient::connect(stream, fixture.dir.path())
}

#[test]
fn toplevel_configure_sequence() {
    let fixture = Fixture::new("xdg-toplevel", 1280, 720);
    let mut c = client(&fixture);
    let mut window = c.toplevel("first");
    c.roundtrip();
    c.ack(&window, 0);
    c.draw(&mut window, 400, 300, 0xffcc0000);
    c.roundtrip();
    c.wait_frames();
    c.roundtrip();
    insta::assert_snapshot!("toplevel_lifecycle", c.events.log.join("\n"));

    // The window is centred on the output and shows its colour.
    let (ok, shot) = fixture.wait_for(Duration::from_secs(10), |s| {
        bbox(s, |p| same_rgb(p, rgb(0xcc0000))).is_some()
    });
    assert!(ok, "the toplevel was not drawn");
    assert_eq!(
        bbox(&shot, |p| same_rgb(p, rgb(0xcc0000))),
        Some((440, 210, 400, 300))
    );
}

#[test]
fn maximize_and_fullscreen_requests_are_honoured_and_undone() {
    let fixture = Fixture::new("xdg-modes", 1280, 720);
    let mut c = client(&fixture);
    let mut window = c.toplevel("modes");
    c.roundtrip();
    c.ack(&window, 0);
    c.draw(&mut window, 400, 300, 0xff00aa00);
    c.roundtrip();
    c.events.log.clear();
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

#[test]
fn popup_is_constrained_to_the_output_and_drawn() {
    let fixture = Fixture::new("xdg-popup", 1280, 720);
    let mut c = client(&fixture);
    let mut window = c.toplevel("parent");
    c.roundtrip();
    c.ack(&window, 0);
    c.draw(&mut window, 400, 300, 0xff202020);
    c.roundtrip();
    c.events.log.clear();
    // Anchored at the parent's bottom-right corner and growing down-right: at (840, 510) a
    // 300x300 popup would leave the 1280x720 output, so it must slide back inside.
    let mut popup = c.popup(&window, (399, 299), (300, 300));
    c.roundtrip();
    c.ack(&popup, 1);
    c.draw(&mut popup, 300, 300, 0xff0000ff);
    c.roundtrip();
    c.wait_frames();
    insta::assert_snapshot!("popup_constrained", c.events.log.join("\n"));
    let blue = rgb(0x0000ff);
    let (ok, shot) = fixture.wait_for(Duration::from_secs(10), |s| {
        bbox(s, |p| same_rgb(p, blue)).is_some()
    });
    assert!(ok, "the popup was not drawn");
    let (x, y, w, h) = bbox(&shot, |p| same_rgb(p, blue)).unwrap();
    assert_eq!((w, h), (300, 300));
    assert!(
        x + w <= 1280 && y + h <= 720,
        "popup at {x},{y} leaves the output"
    );
}
