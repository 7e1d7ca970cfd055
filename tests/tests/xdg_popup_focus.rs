//! Popups and focus: a popup that goes from under a still pointer gives the pointer back at
//! once (a tooltip vanishing under it: the next click reaches the window), and a grabbed
//! menu is dismissed when another window takes the keyboard.

use wayray_protocol::messages::input::ButtonState;
use wayray_tests::one_loop::OneLoop;
use wayray_tests::pointer::{left_button, motion};
use wayray_tests::wl_client::{ShmSurface, WlClient};

/// A 400×300 window with the keyboard, centred on the 1280×720 output at (440, 210).
fn mapped(c: &mut WlClient) -> ShmSurface {
    c.mapped_window("window", 400, 300, 0xff336699)
}

/// The window's first popup: 100×100 at (51, 51) in the window, acked and drawn.
fn popup(c: &mut WlClient, window: &ShmSurface) -> ShmSurface {
    let mut popup = c.popup(window, (50, 50), (100, 100));
    c.roundtrip();
    c.ack(&popup, 1);
    c.draw(&mut popup, 100, 100, 0xffcc0000);
    c.roundtrip();
    popup
}

/// A window of `c` (as [`mapped`]) clicked near its corner, then its menu (anchored at
/// `anchor`, `size` large), which grabs with that click, acked and drawn.
fn window_with_menu(
    fixture: &OneLoop,
    c: &mut WlClient,
    anchor: (i32, i32),
    size: (i32, i32),
) -> (ShmSurface, ShmSurface) {
    let held = c.hold_pointer();
    let window = mapped(c);
    fixture.input(motion(440.0 + 10.0, 210.0 + 10.0));
    fixture.input(left_button(ButtonState::Pressed));
    fixture.input(left_button(ButtonState::Released));
    c.roundtrip();
    let mut menu = c.grabbing_popup(&window, anchor, size, &held);
    c.roundtrip();
    c.ack(&menu, 1);
    c.draw(&mut menu, size.0, size.1, 0xffcc0000);
    c.roundtrip();
    (window, menu)
}

#[test]
fn a_popup_that_goes_from_under_a_still_pointer_gives_the_pointer_to_the_window_at_once() {
    let fixture = OneLoop::new("popup-pointer", 1280, 720);
    let mut c = fixture.client();
    let _held = c.hold_pointer();
    let window = mapped(&mut c);
    let mut tooltip = popup(&mut c, &window);
    fixture.input(motion(440.0 + 60.0, 210.0 + 60.0));
    c.roundtrip();
    assert_eq!(
        c.events.log.last().map(String::as_str),
        Some("pointer at 9,9")
    );

    c.events.log.clear();
    tooltip.popup.take().expect("a popup").destroy();
    tooltip.xdg.destroy();
    c.roundtrip();
    // No motion since: the window learns it has the pointer, where it is.
    assert!(
        c.events.log.iter().any(|l| l == "pointer at 60,60"),
        "the window did not get the pointer back: {:?}",
        c.events.log
    );
}

#[test]
fn a_grabbed_menu_is_dismissed_when_another_window_takes_the_keyboard() {
    let fixture = OneLoop::new("popup-grab-new-window", 1280, 720);
    let mut c = fixture.client();
    // A click in the window opens its menu, which grabs.
    let _menu = window_with_menu(&fixture, &mut c, (50, 50), (100, 100));
    assert!(!c.events.log.iter().any(|l| l == "popup 1: done"));

    // Another application's window appears and takes the keyboard.
    let mut other = fixture.client();
    let _dialog = mapped(&mut other);
    c.roundtrip();
    assert!(
        c.events.log.iter().any(|l| l == "popup 1: done"),
        "the menu stayed open: {:?}",
        c.events.log
    );
}

#[test]
fn a_click_on_a_menu_item_over_another_window_reaches_the_menu() {
    let fixture = OneLoop::new("popup-over-window", 1280, 720);
    // A large window of another application below (800×600 at (240, 60)).
    let mut other = fixture.client();
    let _below = other.mapped_window("below", 800, 600, 0xff00cc00);
    // The window on top (400×300 at (440, 210)) opens a menu reaching past its right edge.
    let mut c = fixture.client();
    let _menu = window_with_menu(&fixture, &mut c, (350, 250), (200, 40));
    let opened = c.events.button_serial;

    // An item of the menu where only the other window is below it.
    fixture.input(motion(950.0, 475.0));
    fixture.input(left_button(ButtonState::Pressed));
    c.roundtrip();
    other.roundtrip();
    assert!(
        !c.events.log.iter().any(|l| l == "popup 1: done"),
        "the menu closed under the click: {:?}",
        c.events.log
    );
    assert_ne!(
        c.events.button_serial, opened,
        "the menu did not get the click"
    );
}
