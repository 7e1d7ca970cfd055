//! Pointer constraints as a game uses them: a locked pointer stays where it is while the
//! viewer's positions become relative motion, a confined one stays on its window, and both
//! are given up when the window loses the keyboard. Compositor and client on one thread
//! ([`OneLoop`]): no sleeps.

use wayray_protocol::InputMessage;
use wayray_protocol::messages::input::PointerMotion;
use wayray_tests::one_loop::OneLoop;
use wayray_tests::wl_client::{Constraint, ShmSurface, WlClient};

/// A 400×300 window that has the keyboard, centred at (440, 210) on the 1280×720 output.
fn mapped(c: &mut WlClient, argb: u32) -> ShmSurface {
    c.mapped_window("game", 400, 300, argb)
}

fn move_to(fixture: &OneLoop, c: &mut WlClient, x: f64, y: f64) {
    fixture.input(InputMessage::PointerMotion(PointerMotion {
        x,
        y,
        time_ms: 1,
    }));
    c.roundtrip();
}

#[test]
fn a_locked_pointer_stays_moves_relatively_and_is_released_with_the_keyboard() {
    let fixture = OneLoop::new("pointer-lock", 1280, 720);
    let mut c = fixture.client();
    let held = c.hold_pointer();
    let game = mapped(&mut c, 0xff33_6699);
    move_to(&fixture, &mut c, 640.0, 360.0);
    assert!(
        c.events.log.iter().any(|l| l == "pointer at 200,150"),
        "{:?}",
        c.events.log
    );

    c.events.log.clear();
    c.constrain(&held, &game, Constraint::Lock);
    assert_eq!(c.events.log, ["locked"]);

    // The viewer's pointer moves on: the game's stays, and learns how far it went.
    c.events.log.clear();
    move_to(&fixture, &mut c, 660.0, 370.0);
    move_to(&fixture, &mut c, 650.0, 400.0);
    assert_eq!(c.events.log, ["relative 20,10", "relative -10,30"]);

    // Another window takes the keyboard: the lock is given up.
    c.events.log.clear();
    let _other = mapped(&mut c, 0xff99_3366);
    assert!(
        c.events.log.iter().any(|l| l == "unlocked"),
        "{:?}",
        c.events.log
    );
}

#[test]
fn a_confined_pointer_stays_on_its_window() {
    let fixture = OneLoop::new("pointer-confine", 1280, 720);
    let mut c = fixture.client();
    let held = c.hold_pointer();
    let game = mapped(&mut c, 0xff33_6699);
    move_to(&fixture, &mut c, 640.0, 360.0);
    c.events.log.clear();
    c.constrain(&held, &game, Constraint::Confine);
    assert_eq!(c.events.log, ["confined"]);

    // Far past each corner, the pointer stops at the window's edge.
    c.events.log.clear();
    move_to(&fixture, &mut c, 1270.0, 710.0);
    assert!(
        c.events.log.iter().any(|l| l == "pointer at 399,299"),
        "{:?}",
        c.events.log
    );
    c.events.log.clear();
    move_to(&fixture, &mut c, 5.0, 5.0);
    assert!(
        c.events.log.iter().any(|l| l == "pointer at 0,0"),
        "{:?}",
        c.events.log
    );
    assert!(
        !c.events.log.iter().any(|l| l == "unconfined"),
        "{:?}",
        c.events.log
    );
}
