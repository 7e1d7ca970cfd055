//! xdg_wm_base.get_xdg_surface refuses a surface that has another role or a buffer, as
//! xdg-shell says, and takes a surface that was a window before (applications hide and show
//! windows that way). The compositor and the client run on one thread (`OneLoop`).

use wayray_tests::one_loop::OneLoop;
use wayray_tests::pixels::{bbox, rgb, same_rgb};

/// xdg_wm_base's error codes. Only `get_xdg_surface` is sent: a role would be refused at
/// `get_toplevel` anyway.
const ROLE: u32 = 0;
const INVALID_SURFACE_STATE: u32 = 4;

fn assert_refused(error: Option<String>, code: u32) {
    let error = error.expect("the request was refused");
    assert!(error.starts_with("xdg_wm_base@"), "{error}");
    assert!(error.ends_with(&format!("error {code}")), "{error}");
}

#[test]
fn a_subsurface_cannot_become_a_window() {
    let fixture = OneLoop::new("xdg-role-sub", 1280, 720);
    let mut c = fixture.client();
    let window = c.mapped_window("window", 400, 300, 0xff202020);
    let sub = c.subsurface(&window.surface, (10, 10), (50, 50), 0xffcc0000, false);
    let _ = c.xdg_surface_for(&sub.surface);
    assert_refused(c.protocol_error(), ROLE);
}

#[test]
fn a_surface_with_a_buffer_attached_cannot_become_a_window() {
    let fixture = OneLoop::new("xdg-role-attached", 1280, 720);
    let mut c = fixture.client();
    let bare = c.bare_surface((50, 50), 0xffcc0000, false);
    let _ = c.xdg_surface_for(&bare.surface);
    assert_refused(c.protocol_error(), INVALID_SURFACE_STATE);
}

#[test]
fn a_surface_with_a_buffer_committed_cannot_become_a_window() {
    let fixture = OneLoop::new("xdg-role-committed", 1280, 720);
    let mut c = fixture.client();
    let bare = c.bare_surface((50, 50), 0xffcc0000, true);
    c.roundtrip();
    let _ = c.xdg_surface_for(&bare.surface);
    assert_refused(c.protocol_error(), INVALID_SURFACE_STATE);
}

#[test]
fn a_window_hidden_and_shown_again_on_its_surface_is_taken() {
    let fixture = OneLoop::new("xdg-role-again", 1280, 720);
    let mut c = fixture.client();
    let first = c.mapped_window("window", 400, 300, 0xff00cc00);
    // Hidden: its role objects go, the surface (and what it last showed) stays.
    first.toplevel.as_ref().expect("a toplevel").destroy();
    first.xdg.destroy();
    c.roundtrip();
    let index = c.events.serials.len();
    let mut again = c.toplevel_for(&first.surface, "again");
    assert_eq!(c.protocol_error(), None);
    c.roundtrip();
    c.ack(&again, index);
    c.draw(&mut again, 400, 300, 0xff0000cc);
    c.roundtrip();
    c.wait_frames();
    assert_eq!(
        bbox(&fixture.screenshot(), |p| same_rgb(p, rgb(0x0000cc))),
        Some((440, 210, 400, 300))
    );
}
