//! Maximise/fullscreen requests, output resizes, popups and robustness.
//!
//! Owns tests for client state requests, output changes, popup constraint
//! and ignoring bogus input. Must never bypass the `H` harness.

use super::*;

#[test]
fn maximize_request_is_honoured_and_always_answered() {
    let mut h = H::new();
    h.add_acked(1);
    h.add_acked(2);
    h.maximize(1, true);
    assert_eq!(h.geo(1), Rect::new(0, 0, 1280, 720));
    assert_eq!(h.focus(), Some(2), "maximise does not steal focus");
    h.actions();
    h.maximize(1, true);
    assert_eq!(
        h.actions(),
        vec![configure(1, 1280, 720, true, false, false)]
    );
    h.maximize(1, false);
    assert_eq!(h.geo(1), Rect::new(440, 210, 400, 300));
}

#[test]
fn fullscreen_request_is_honoured_raised_and_restored() {
    let mut h = H::new();
    h.add_acked(1);
    h.add_acked(2);
    h.fullscreen(1, true);
    assert!(h.wm.is_fullscreen(&Win(1)));
    assert_eq!((h.focus(), h.order()), (Some(1), vec![2, 1]));
    assert_eq!(h.geo(1), Rect::new(0, 0, 1280, 720));
    let actions = h.actions();
    assert_eq!(actions[0], Action::Raise(Win(1)));
    assert!(actions.contains(&configure(1, 1280, 720, false, true, true)));
    h.fullscreen(1, false);
    assert_eq!(h.geo(1), Rect::new(440, 210, 400, 300));
    assert_eq!(h.order(), vec![2, 1]);
}

#[test]
fn leaving_fullscreen_returns_to_maximised() {
    let mut h = H::new();
    h.add_acked(1);
    h.maximize(1, true);
    h.fullscreen(1, true);
    h.fullscreen(1, false);
    assert!(h.wm.is_maximized(&Win(1)));
    assert_eq!(h.geo(1), Rect::new(0, 0, 1280, 720));
    h.maximize(1, false);
    assert_eq!(h.geo(1), Rect::new(440, 210, 400, 300));
}

#[test]
fn output_resize_moves_maximised_and_keeps_floating_reachable() {
    let mut h = H::new();
    h.add_acked(1);
    h.add_acked(2);
    h.maximize(2, true);
    h.actions();
    h.output(800, 600);
    assert_eq!(h.geo(2), Rect::new(0, 0, 800, 600));
    assert_eq!(h.geo(1), Rect::new(440, 210, 400, 300));
    assert_eq!(h.actions(), vec![configure(2, 800, 600, true, false, true)]);
    h.output(300, 200);
    assert_eq!(h.geo(1), Rect::new(268, 168, 400, 300));
    h.maximize(2, false);
    assert_eq!(h.geo(2), Rect::new(268, 168, 400, 300));
    h.output(0, -5);
    assert_eq!(h.wm.output_size(), Size::new(1, 1));
}

#[test]
fn commits_track_the_drawn_size() {
    let mut h = H::new();
    h.add_acked(1);
    h.commit(1, 500, 400);
    assert_eq!(h.geo(1), Rect::new(440, 210, 500, 400));
    h.commit(1, 0, 0);
    h.commit(1, -3, 10);
    assert_eq!(h.geo(1).size, Size::new(500, 400));
    h.maximize(1, true);
    h.commit(1, 10, 10);
    assert_eq!(h.geo(1), Rect::new(0, 0, 1280, 720));
}

#[test]
fn popups_are_constrained_at_every_edge() {
    let h = H::new();
    let c = |x, y, w, ht| h.wm.constrain_popup(Rect::new(x, y, w, ht));
    assert_eq!(c(100, 100, 200, 150), Rect::new(100, 100, 200, 150));
    assert_eq!(c(-50, 100, 200, 150), Rect::new(0, 100, 200, 150));
    assert_eq!(c(1200, 100, 200, 150), Rect::new(1080, 100, 200, 150));
    assert_eq!(c(100, -30, 200, 150), Rect::new(100, 0, 200, 150));
    assert_eq!(c(100, 700, 200, 150), Rect::new(100, 570, 200, 150));
    assert_eq!(c(-10, -10, 2000, 100), Rect::new(0, 0, 1280, 100));
    assert_eq!(c(1300, 800, 0, -4), Rect::new(1279, 719, 1, 1));
}

#[test]
fn requests_for_unknown_windows_and_duplicates_are_ignored() {
    let mut h = H::new();
    h.ack(9);
    h.commit(9, 10, 10);
    h.remove(9);
    h.maximize(9, true);
    h.fullscreen(9, true);
    assert_eq!(h.actions(), vec![]);
    h.add(1, 400, 300);
    h.actions();
    h.add(1, 100, 100);
    assert_eq!(h.actions(), vec![]);
    assert_eq!(h.geo(1), Rect::new(440, 210, 400, 300));
}

#[test]
fn extreme_values_do_not_panic() {
    let mut h = H::new();
    h.add(1, i32::MAX, i32::MIN);
    h.ack(1);
    h.commit(1, i32::MAX, i32::MAX);
    h.button(i32::MIN, i32::MIN, Button::Left, true, Modifiers::ALT);
    h.button(1279, 719, Button::Right, true, Modifiers::ALT);
    h.motion(i32::MAX, i32::MAX);
    h.motion(i32::MIN, i32::MIN);
    h.output(i32::MAX, i32::MAX);
    h.output(1, 1);
}

#[test]
fn panels_leave_maximised_windows_the_rest_and_fullscreen_the_whole() {
    let mut h = H::new();
    h.add_acked(1);
    h.add_acked(2);
    h.maximize(1, true);
    h.fullscreen(2, true);
    h.actions();
    // A 30 px panel along the top.
    h.wm.set_work_area(Rect::new(0, 30, 1280, 690));
    h.check();
    assert_eq!(h.geo(1), Rect::new(0, 30, 1280, 690));
    assert_eq!(h.geo(2), Rect::new(0, 0, 1280, 720));
    assert!(
        h.actions()
            .contains(&configure(1, 1280, 690, true, false, false))
    );
    // New windows are placed below it.
    h.add_acked(3);
    assert!(h.geo(3).loc.y >= 30, "{:?}", h.geo(3));
    // A smaller output keeps the panel's strip; the work area never leaves the output.
    h.output(800, 600);
    assert_eq!(h.geo(1), Rect::new(0, 30, 800, 570));
    h.wm.set_work_area(Rect::new(5000, 5000, 10, 10));
    h.check();
    assert_eq!(h.geo(1), Rect::new(0, 0, 800, 600));
    h.maximize(1, false);
    h.check();
}
