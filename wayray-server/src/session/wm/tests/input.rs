//! Pointer gesture and keyboard shortcut tests.
//!
//! Owns tests for Alt+drag move, Alt+right-drag resize, event consumption,
//! Alt+Tab, Alt+F4 and Super+Up/Down. Must never bypass the `H` harness.

use super::*;

const L: Button = Button::Left;
const R: Button = Button::Right;

#[test]
fn alt_drag_moves_window_by_pointer_delta() {
    let mut h = H::new();
    h.add_acked(1);
    assert!(h.button(500, 300, L, true, Modifiers::ALT));
    assert!(h.wm.is_grabbing());
    assert!(h.motion(600, 350));
    assert_eq!(h.geo(1), Rect::new(540, 260, 400, 300));
    assert!(h.motion(450, 250));
    assert_eq!(h.geo(1), Rect::new(390, 160, 400, 300));
    assert_eq!(h.actions().last(), Some(&moved(1, 390, 160)));
    assert!(h.button(450, 250, L, false, Modifiers::NONE));
    assert!(!h.wm.is_grabbing());
    assert!(!h.motion(700, 700));
    assert_eq!(h.geo(1).loc, Point::new(390, 160));
}

#[test]
fn alt_drag_keeps_window_reachable() {
    let mut h = H::new();
    h.add_acked(1);
    h.button(500, 300, L, true, Modifiers::ALT);
    h.motion(-5000, -5000);
    assert_eq!(h.geo(1).loc, Point::new(-368, -268));
    h.motion(5000, 5000);
    assert_eq!(h.geo(1).loc, Point::new(1248, 688));
}

#[test]
fn other_buttons_during_a_grab_are_swallowed() {
    let mut h = H::new();
    h.add_acked(1);
    h.button(500, 300, L, true, Modifiers::ALT);
    assert!(h.button(500, 300, R, true, Modifiers::NONE));
    assert!(h.button(500, 300, R, false, Modifiers::NONE));
    assert!(h.wm.is_grabbing());
    assert!(h.button(500, 300, L, false, Modifiers::NONE));
    assert!(!h.wm.is_grabbing());
}

#[test]
fn non_alt_or_other_buttons_are_forwarded() {
    let mut h = H::new();
    h.add_acked(1);
    let ctrl = Modifiers {
        ctrl: true,
        ..Modifiers::NONE
    };
    assert!(!h.button(500, 300, L, true, ctrl));
    assert!(!h.button(500, 300, Button::Middle, true, Modifiers::ALT));
    assert!(!h.wm.is_grabbing());
}

#[test]
fn alt_right_drag_resizes_from_bottom_right_respecting_min_size() {
    let mut h = H::new();
    h.add_acked(1);
    assert!(h.button(800, 500, R, true, Modifiers::ALT));
    assert!(h.motion(900, 550));
    assert_eq!(h.geo(1), Rect::new(440, 210, 500, 350));
    let mut during = configure(1, 500, 350, false, false, true);
    if let Action::Configure { resizing, .. } = &mut during {
        *resizing = true;
    }
    assert_eq!(h.actions(), vec![during]);
    h.motion(0, 0);
    assert_eq!(h.geo(1), Rect::new(440, 210, 50, 40));
    assert!(h.button(0, 0, R, false, Modifiers::ALT));
    assert!(!h.wm.is_grabbing());
}

#[test]
fn removing_the_grabbed_window_ends_the_grab() {
    let mut h = H::new();
    h.add_acked(1);
    h.button(500, 300, L, true, Modifiers::ALT);
    h.remove(1);
    assert!(!h.wm.is_grabbing());
    assert!(!h.motion(10, 10));
    assert!(!h.button(10, 10, L, false, Modifiers::NONE));
}

#[test]
fn alt_drag_on_maximised_window_is_swallowed_without_moving() {
    let mut h = H::new();
    h.add_acked(1);
    h.maximize(1, true);
    assert!(h.button(100, 100, L, true, Modifiers::ALT));
    assert!(h.motion(300, 300));
    assert_eq!(h.geo(1), Rect::new(0, 0, 1280, 720));
    assert!(h.button(300, 300, L, false, Modifiers::NONE));
}

#[test]
fn maximise_during_move_freezes_the_grab() {
    let mut h = H::new();
    h.add_acked(1);
    h.button(500, 300, L, true, Modifiers::ALT);
    h.motion(510, 300);
    h.maximize(1, true);
    assert!(h.motion(900, 600));
    assert_eq!(h.geo(1), Rect::new(0, 0, 1280, 720));
    assert!(h.button(900, 600, L, false, Modifiers::NONE));
    h.maximize(1, false);
    assert_eq!(h.geo(1), Rect::new(450, 210, 400, 300));
}

#[test]
fn alt_tab_cycles_through_acked_windows_and_shift_reverses() {
    let mut h = H::new();
    for id in 1..=3 {
        h.add_acked(id);
    }
    assert_eq!(h.focus(), Some(3));
    let mut seen = vec![];
    for _ in 0..3 {
        h.key(Shortcut::AltTab);
        seen.push(h.focus().unwrap_or_default());
    }
    assert_eq!(seen, vec![1, 2, 3]);
    assert_eq!(h.order(), vec![1, 2, 3]);
    h.actions();
    h.key(Shortcut::AltShiftTab);
    assert_eq!((h.focus(), h.order()), (Some(2), vec![3, 1, 2]));
    let expected = vec![
        Action::Raise(Win(1)),
        Action::Raise(Win(2)),
        configure(3, 400, 300, false, false, false),
        configure(2, 400, 300, false, false, true),
        Action::FocusChanged(Some(Win(2))),
    ];
    assert_eq!(h.actions(), expected);
    h.key(Shortcut::AltShiftTab);
    assert_eq!((h.focus(), h.order()), (Some(1), vec![2, 3, 1]));
}

#[test]
fn alt_tab_skips_unacked_windows_and_needs_two() {
    let mut h = H::new();
    h.add_acked(1);
    h.key(Shortcut::AltTab);
    h.key(Shortcut::AltShiftTab);
    assert_eq!(h.actions(), vec![]);
    h.add_acked(2);
    h.add(3, 400, 300);
    for expected in [1, 2, 1, 2] {
        h.key(Shortcut::AltTab);
        assert_eq!(h.focus(), Some(expected));
    }
}

#[test]
fn alt_f4_closes_only_the_focused_window() {
    let mut h = H::new();
    h.key(Shortcut::AltF4);
    h.add(1, 400, 300);
    h.actions();
    h.key(Shortcut::AltF4);
    assert_eq!(h.actions(), vec![]);
    h.ack(1);
    h.add_acked(2);
    h.key(Shortcut::AltF4);
    assert_eq!(h.actions(), vec![Action::Close(Win(2))]);
    assert_eq!(h.order(), vec![1, 2]);
}

#[test]
fn super_up_toggles_maximise_and_super_down_restores() {
    let mut h = H::new();
    h.key(Shortcut::SuperUp);
    h.add_acked(1);
    h.key(Shortcut::SuperUp);
    assert!(h.wm.is_maximized(&Win(1)));
    assert_eq!(h.geo(1), Rect::new(0, 0, 1280, 720));
    let expected = vec![moved(1, 0, 0), configure(1, 1280, 720, true, false, true)];
    assert_eq!(h.actions(), expected);
    h.key(Shortcut::SuperUp);
    assert_eq!(h.geo(1), Rect::new(440, 210, 400, 300));
    assert_eq!(h.actions()[1], configure(1, 400, 300, false, false, true));
    h.key(Shortcut::SuperDown);
    assert_eq!(h.actions(), vec![]);
    h.key(Shortcut::SuperUp);
    h.key(Shortcut::SuperDown);
    assert!(!h.wm.is_maximized(&Win(1)));
    assert_eq!(h.geo(1), Rect::new(440, 210, 400, 300));
}
