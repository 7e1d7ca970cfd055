//! A layer surface that takes the keyboard exclusively (a lock screen, a launcher) keeps it
//! while a window is clicked and opens its menu, and hands it back when it unmaps with a null
//! buffer. Two clients of the session: a panel asking for the keyboard exclusively, and a
//! window with a grabbing menu; keys typed go to whichever has the keyboard.

use wayland_protocols_wlr::layer_shell::v1::client::zwlr_layer_surface_v1::KeyboardInteractivity;
use wayray_protocol::messages::input::ButtonState;
use wayray_tests::one_loop::OneLoop;
use wayray_tests::pointer::{key, left_button, motion};
use wayray_tests::wl_client::WlClient;

/// Presses and releases evdev key `code`, then lets both clients read what came.
fn type_key(fixture: &OneLoop, code: u32, clients: [&mut WlClient; 2]) {
    fixture.input(key(code, ButtonState::Pressed));
    fixture.input(key(code, ButtonState::Released));
    for client in clients {
        client.roundtrip();
    }
}

fn got(client: &WlClient, code: u32) -> bool {
    client.events.keys.contains(&(code, true))
}

#[test]
fn an_exclusive_layer_keeps_the_keyboard_from_a_menu_and_gives_it_back_when_unmapped() {
    let fixture = OneLoop::new("layer-exclusive-keyboard", 1280, 720);
    let mut panel_client = fixture.client();
    let _panel_seat = panel_client.record_keys();
    let mut panel = panel_client.panel(40);
    panel
        .layer
        .set_keyboard_interactivity(KeyboardInteractivity::Exclusive);
    panel_client.draw_panel(&mut panel, 0xff202020);

    let mut c = fixture.client();
    let _seat = c.record_keys();
    type_key(&fixture, 30, [&mut panel_client, &mut c]);
    assert!(got(&panel_client, 30), "the panel did not get the keyboard");

    // A window, clicked, opens a menu that grabs with that click.
    let held = c.hold_pointer();
    let window = c.mapped_window("window", 400, 300, 0xff336699);
    fixture.input(motion(640.0, 380.0));
    fixture.input(left_button(ButtonState::Pressed));
    fixture.input(left_button(ButtonState::Released));
    c.roundtrip();
    let mut menu = c.grabbing_popup(&window, (50, 50), (100, 100), &held);
    c.roundtrip();
    c.ack(&menu, 1);
    c.draw(&mut menu, 100, 100, 0xffcc0000);
    c.roundtrip();
    type_key(&fixture, 31, [&mut panel_client, &mut c]);
    assert!(got(&panel_client, 31), "the panel lost the keyboard");
    assert!(!got(&c, 31), "the window or its menu took the keyboard");

    // Unmapped with a null buffer, the panel gives the keyboard back to the window.
    panel.surface.attach(None, 0, 0);
    panel.surface.commit();
    panel_client.roundtrip();
    type_key(&fixture, 32, [&mut panel_client, &mut c]);
    assert!(got(&c, 32), "the window did not get the keyboard back");
    assert!(
        !got(&panel_client, 32),
        "the unmapped panel kept the keyboard"
    );
}
