//! A layer surface that takes the keyboard exclusively (a lock screen, a launcher) keeps it
//! while a window is clicked and opens its menu, and hands it back when it unmaps with a null
//! buffer; a lock screen on the overlay layer takes it from such a launcher and gives it back.
//! Two clients of the session: a panel asking for the keyboard exclusively, and a
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

#[test]
fn a_lock_screen_takes_the_keyboard_from_a_launcher_and_gives_it_back() {
    use wayland_protocols_wlr::layer_shell::v1::client::zwlr_layer_shell_v1::Layer;
    use wayland_protocols_wlr::layer_shell::v1::client::zwlr_layer_surface_v1::Anchor;
    let fixture = OneLoop::new("layer-lock-over-launcher", 1280, 720);
    let mut launcher_client = fixture.client();
    let _launcher_seat = launcher_client.record_keys();
    let mut launcher = launcher_client.layer_surface(Layer::Top, Anchor::empty(), (400, 300), 0);
    launcher
        .layer
        .set_keyboard_interactivity(KeyboardInteractivity::Exclusive);
    launcher_client.draw_panel(&mut launcher, 0xff202020);

    let mut lock_client = fixture.client();
    let _lock_seat = lock_client.record_keys();
    type_key(&fixture, 30, [&mut launcher_client, &mut lock_client]);
    assert!(
        got(&launcher_client, 30),
        "the launcher did not get the keyboard"
    );

    // A lock screen on the overlay layer takes it, and keeps it while the launcher redraws.
    let mut lock = lock_client.layer_surface(Layer::Overlay, Anchor::all(), (0, 0), -1);
    lock.layer
        .set_keyboard_interactivity(KeyboardInteractivity::Exclusive);
    lock_client.draw_panel(&mut lock, 0xff000000);
    launcher_client.events.layer_configure = None;
    launcher.surface.damage(0, 0, 10, 10);
    launcher.surface.commit();
    launcher_client.roundtrip();
    type_key(&fixture, 31, [&mut launcher_client, &mut lock_client]);
    assert!(
        got(&lock_client, 31),
        "the lock screen did not get the keyboard"
    );
    assert!(!got(&launcher_client, 31), "the launcher kept the keyboard");

    // Unlocked (unmapped), the keyboard goes back to the launcher, not to nothing.
    lock.surface.attach(None, 0, 0);
    lock.surface.commit();
    lock_client.roundtrip();
    type_key(&fixture, 32, [&mut launcher_client, &mut lock_client]);
    assert!(
        got(&launcher_client, 32),
        "the launcher did not get the keyboard back"
    );
    assert!(
        !got(&lock_client, 32),
        "the unmapped lock screen kept the keyboard"
    );
}
