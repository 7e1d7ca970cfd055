//! Placement, life cycle and focus-rule tests.
//!
//! Owns tests for centring, cascading, ack-gated focus, click to focus and
//! focus fallback. Must never bypass the `H` harness.

use super::*;

#[test]
fn new_window_is_centred_and_configured() {
    let mut h = H::new();
    h.add(1, 400, 300);
    assert_eq!(h.geo(1), Rect::new(440, 210, 400, 300));
    let expected = vec![
        configure(1, 400, 300, false, false, false),
        moved(1, 440, 210),
    ];
    assert_eq!(h.actions(), expected);
}

#[test]
fn client_sized_window_is_recentred_on_first_commit_only() {
    let mut h = H::new();
    h.add(1, 0, 0);
    assert_eq!(h.geo(1), Rect::new(214, 120, 853, 480));
    assert_eq!(h.actions()[0], configure(1, 0, 0, false, false, false));
    h.commit(1, 200, 100);
    assert_eq!(h.geo(1), Rect::new(540, 310, 200, 100));
    h.commit(1, 300, 100);
    assert_eq!(h.geo(1), Rect::new(540, 310, 300, 100));
}

#[test]
fn a_client_larger_than_the_output_starts_at_its_top_left() {
    let mut h = H::new();
    h.add(1, 0, 0);
    h.commit(1, 1400, 300);
    assert_eq!(h.geo(1), Rect::new(0, 210, 1400, 300));
    h.add(2, 0, 0);
    h.commit(2, 300, 800);
    assert_eq!(h.geo(2).loc.y, 0);
}

#[test]
fn oversized_preference_is_shrunk_to_the_output() {
    let mut h = H::new();
    h.add(1, 5000, 5000);
    assert_eq!(h.geo(1), Rect::new(0, 0, 1280, 720));
    assert_eq!(h.actions()[0], configure(1, 1280, 720, false, false, false));
}

#[test]
fn several_windows_cascade() {
    let mut h = H::new();
    for id in 1..=3 {
        h.add(id, 400, 300);
    }
    assert_eq!(h.geo(1).loc, Point::new(440, 210));
    assert_eq!(h.geo(2).loc, Point::new(472, 242));
    assert_eq!(h.geo(3).loc, Point::new(504, 274));
}

#[test]
fn cascade_wraps_when_it_would_leave_the_output() {
    let mut h = H::new();
    h.add(1, 1200, 700);
    h.add(2, 1200, 700);
    assert_eq!(h.geo(1).loc, Point::new(40, 10));
    assert_eq!(h.geo(2).loc, Point::new(0, 0));
}

#[test]
fn keyboard_focus_only_after_first_configure_is_acked() {
    let mut h = H::new();
    h.add(1, 400, 300);
    h.actions();
    assert_eq!(h.focus(), None);
    h.ack(1);
    assert_eq!(h.focus(), Some(1));
    let expected = vec![
        configure(1, 400, 300, false, false, true),
        Action::FocusChanged(Some(Win(1))),
    ];
    assert_eq!(h.actions(), expected);
    h.ack(1);
    assert_eq!(h.actions(), vec![]);
}

#[test]
fn new_window_takes_focus_on_ack_not_before() {
    let mut h = H::new();
    h.add_acked(1);
    h.add(2, 400, 300);
    assert_eq!(h.focus(), Some(1));
    h.actions();
    h.ack(2);
    assert_eq!(h.focus(), Some(2));
    let expected = vec![
        configure(1, 400, 300, false, false, false),
        configure(2, 400, 300, false, false, true),
        Action::FocusChanged(Some(Win(2))),
    ];
    assert_eq!(h.actions(), expected);
}

#[test]
fn click_focuses_and_raises_and_is_forwarded() {
    let mut h = H::new();
    h.add_acked(1);
    h.add_acked(2);
    // (450, 220) is only covered by window 1; window 2 starts at 472.
    assert!(!h.button(450, 220, Button::Left, true, Modifiers::NONE));
    assert_eq!((h.focus(), h.order()), (Some(1), vec![2, 1]));
    assert_eq!(h.actions()[0], Action::Raise(Win(1)));
    assert!(!h.button(450, 220, Button::Left, false, Modifiers::NONE));
    let (w, local) = h.wm.window_at(Point::new(500, 300)).expect("hit");
    assert_eq!((w, local), (&Win(1), Point::new(60, 90)));
    // Clicking the focused top window again changes nothing.
    h.button(500, 300, Button::Left, true, Modifiers::NONE);
    assert_eq!(h.actions(), vec![]);
}

#[test]
fn click_on_unacked_window_raises_but_focus_waits_for_ack() {
    let mut h = H::new();
    h.add_acked(1);
    h.add_acked(2);
    h.add(3, 400, 300);
    h.button(450, 220, Button::Left, true, Modifiers::NONE);
    assert_eq!(h.focus(), Some(1));
    // (880, 560) is only covered by window 3.
    h.button(880, 560, Button::Left, true, Modifiers::NONE);
    assert_eq!((h.focus(), h.order()), (Some(1), vec![2, 1, 3]));
    h.ack(3);
    assert_eq!(h.focus(), Some(3));
}

#[test]
fn click_on_empty_space_does_nothing() {
    let mut h = H::new();
    h.add_acked(1);
    assert!(!h.button(10, 10, Button::Left, true, Modifiers::ALT));
    assert_eq!(h.actions(), vec![]);
    assert!(!h.wm.is_grabbing());
}

#[test]
fn focus_falls_back_to_topmost_acked_window_on_remove() {
    let mut h = H::new();
    for id in 1..=3 {
        h.add_acked(id);
    }
    h.add(4, 400, 300);
    h.remove(3);
    assert_eq!(h.focus(), Some(2));
    h.remove(4);
    assert_eq!(h.focus(), Some(2));
    h.remove(2);
    h.remove(1);
    assert_eq!(h.focus(), None);
    assert_eq!(h.actions().last(), Some(&Action::FocusChanged(None)));
}

#[test]
fn activation_raises_and_focuses_once_acked() {
    let mut h = H::new();
    h.add_acked(1);
    h.add_acked(2);
    h.wm.activate(&Win(1));
    h.check();
    assert_eq!((h.focus(), h.order()), (Some(1), vec![2, 1]));
    h.add(3, 400, 300);
    h.wm.activate(&Win(3));
    h.check();
    assert_eq!(h.focus(), Some(1), "an unacked window cannot take focus");
    h.wm.activate(&Win(99));
    h.check();
}
