//! Moves and resizes a client asks for from its own title bar and borders: only while a press
//! it received is held, the window follows the pointer, and the client gets the release.

use super::*;

const L: Button = Button::Left;
const NONE: Modifiers = Modifiers::NONE;

#[test]
fn a_client_move_follows_the_pointer_and_the_client_gets_the_release() {
    let mut h = H::new();
    h.add_acked(1);
    assert_eq!(h.geo(1), Rect::new(440, 210, 400, 300));
    assert!(
        !h.button(500, 220, L, true, NONE),
        "the title bar's press is the client's"
    );
    assert!(h.client_move(1));
    assert!(h.wm.is_grabbing());
    assert!(h.motion(600, 270), "the move takes the motion");
    assert_eq!(h.geo(1), Rect::new(540, 260, 400, 300));
    assert!(
        !h.button(600, 270, L, false, NONE),
        "the client gets its release"
    );
    assert!(!h.wm.is_grabbing());
    assert!(!h.motion(700, 400));
    assert_eq!(h.geo(1).loc, Point::new(540, 260));
}

#[test]
fn the_window_follows_the_pointer_from_where_it_was_pressed() {
    let mut h = H::new();
    h.add_acked(1);
    h.button(500, 220, L, true, NONE);
    // The client sees some motion first (its drag threshold), then asks.
    assert!(!h.motion(506, 223));
    assert!(h.client_move(1));
    h.motion(600, 270);
    assert_eq!(h.geo(1), Rect::new(540, 260, 400, 300));
}

#[test]
fn a_client_move_needs_a_press_on_that_window_still_held() {
    let mut h = H::new();
    h.add_acked(1);
    h.add_acked(2);
    assert!(!h.client_move(1), "no button is held");
    let top = h.geo(2);
    h.button(top.loc.x + 5, top.loc.y + 5, L, true, NONE);
    assert!(!h.client_move(1), "the press went to the other window");
    h.button(top.loc.x + 5, top.loc.y + 5, L, false, NONE);
    assert!(!h.client_move(2), "the press was released");
    assert!(!h.wm.is_grabbing());
}

#[test]
fn a_client_resize_from_the_top_left_keeps_the_opposite_corner() {
    let mut h = H::new();
    h.add_acked(1);
    h.button(445, 215, L, true, NONE);
    let top_left = ResizeEdges {
        left: true,
        top: true,
        ..ResizeEdges::default()
    };
    assert!(h.client_resize(1, top_left));
    h.motion(405, 195);
    assert_eq!(h.geo(1), Rect::new(400, 190, 440, 320));
    assert!(
        h.actions()
            .iter()
            .any(|a| matches!(a, Action::Configure { size, .. } if *size == Size::new(440, 320))),
        "the client is asked for the new size"
    );
    // Never below the minimum size, the bottom-right corner staying where it was.
    h.motion(2000, 2000);
    assert_eq!(h.geo(1), Rect::new(790, 470, 50, 40));
    assert!(!h.button(2000, 2000, L, false, NONE));
}

#[test]
fn a_maximized_window_is_not_moved_by_its_title_bar() {
    let mut h = H::new();
    h.add_acked(1);
    h.maximize(1, true);
    h.button(500, 10, L, true, NONE);
    assert!(!h.client_move(1));
    assert!(!h.motion(600, 100), "the client keeps its motion");
    assert_eq!(h.geo(1), Rect::new(0, 0, 1280, 720));
}

#[test]
fn a_resize_in_progress_is_told_to_the_client_and_its_end_too() {
    let mut h = H::new();
    h.add_acked(1);
    h.actions();
    h.button(445, 215, L, true, NONE);
    let right = ResizeEdges {
        right: true,
        ..ResizeEdges::default()
    };
    assert!(h.client_resize(1, right));
    h.motion(465, 215);
    let during = h.actions();
    assert!(
        during
            .iter()
            .any(|a| matches!(a, Action::Configure { resizing: true, .. })),
        "configures during the resize carry the resizing state: {during:?}"
    );
    h.button(465, 215, L, false, NONE);
    let after = h.actions();
    assert!(
        matches!(after.last(), Some(Action::Configure { resizing: false, size, .. }) if *size == Size::new(420, 300)),
        "the end of the resize is configured: {after:?}"
    );
}
