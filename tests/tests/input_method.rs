//! An input method in the session (input-method-v2) composes text for the focused
//! application (text-input-v3): it is activated when the application's text field has focus,
//! its text reaches the field (also when the field changed its state meanwhile), and with its
//! keyboard grab the keys go to it instead of the application. Both sides are test clients on
//! the compositor's own loop.

use wayray_client::keys::{Stroke, stroke_events};
use wayray_tests::one_loop::OneLoop;
use wayray_tests::wl_client::WlClient;

const KEY_A: u32 = 30;

fn mapped(c: &mut WlClient) -> wayray_tests::wl_client::ShmSurface {
    let mut window = c.toplevel("text field");
    c.roundtrip();
    c.ack(&window, 0);
    c.draw(&mut window, 400, 300, 0xff30_3030);
    c.roundtrip();
    window
}

#[test]
fn an_input_method_composes_text_for_the_focused_field() {
    let fixture = OneLoop::new("ime", 1280, 720);
    let mut ime = fixture.client();
    let input_method = ime.input_method();
    assert!(!ime.events.ime.active, "active with nothing focused");

    let mut app = fixture.client();
    let _window = mapped(&mut app);
    let _field = app.text_input();
    app.roundtrip();
    ime.roundtrip();
    assert!(
        ime.events.ime.active,
        "the focused field did not activate the input method"
    );

    ime.ime_commit(&input_method, "héllo 世界");
    app.roundtrip();
    assert_eq!(app.events.ime.texts, vec!["héllo 世界".to_owned()]);

    // With the keyboard grabbed, keys go to the input method and not to the application.
    app.record_keys();
    ime.ime_grab_keyboard(&input_method);
    for event in stroke_events(Stroke {
        code: KEY_A,
        shift: false,
    }) {
        fixture.input(event);
    }
    ime.roundtrip();
    app.roundtrip();
    assert_eq!(ime.events.ime.keys, vec![(KEY_A, true), (KEY_A, false)]);
    assert!(app.events.keys.is_empty(), "{:?}", app.events.keys);
}

/// The field commits its own state (foot moves its cursor as the preedit grows) while the input
/// method composes: the input method's commit then carries the count of `done` events from
/// before, and its text must still reach the field, with the field's own serial.
#[test]
fn text_committed_while_the_field_changed_still_reaches_it() {
    let fixture = OneLoop::new("ime-serial", 1280, 720);
    let mut ime = fixture.client();
    let input_method = ime.input_method();
    let mut app = fixture.client();
    let _window = mapped(&mut app);
    let field = app.text_input();
    app.roundtrip();
    ime.roundtrip();
    assert!(ime.events.ime.active);

    let seen = ime.events.ime.done;
    app.field_moves_cursor(&field, 16);
    ime.roundtrip();
    assert!(
        ime.events.ime.done > seen,
        "the field's commit told the input method nothing"
    );
    ime.ime_commit_at(&input_method, "한", seen);
    app.roundtrip();
    assert_eq!(app.events.ime.texts, vec!["한".to_owned()]);
}
