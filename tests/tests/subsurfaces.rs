//! Subsurfaces: their place among their siblings changes with their parent's commit, as
//! wl_subsurface says, so a client restacks and redraws its window in one step. The compositor
//! and the client run on one thread (`OneLoop`); pixels are read from the compositor's frame.

use wayray_tests::one_loop::OneLoop;
use wayray_tests::pixels::{bbox, rgb, same_rgb};

/// The colour the compositor drew at (`x`, `y`).
fn colour_at(fixture: &OneLoop, x: u32, y: u32) -> [u8; 4] {
    fixture.screenshot().pixel(x, y)
}

#[test]
fn a_subsurface_is_restacked_with_its_parents_commit() {
    let fixture = OneLoop::new("subsurface-stack", 1280, 720);
    let mut c = fixture.client();
    let mut window = c.mapped_window("window", 400, 300, 0xff202020);
    let (red, green) = (rgb(0xcc0000), rgb(0x00cc00));
    // Two desynchronized subsurfaces on the same spot; the newer is on top.
    let below = c.subsurface(&window.surface, (10, 10), (100, 100), 0xffcc0000, true);
    let mut above = c.subsurface(&window.surface, (10, 10), (100, 100), 0xff00cc00, true);
    c.draw(&mut window, 400, 300, 0xff202020);
    c.roundtrip();
    c.wait_frames();
    // The window is centred: its top-left corner is at (440, 210).
    let (x, y) = (440 + 50, 210 + 50);
    assert!(same_rgb(colour_at(&fixture, x, y), green));

    // Moved below its sibling; its own commit draws the window again, in the old order.
    above.role.place_below(&below.surface);
    c.redraw_subsurface(&mut above, (100, 100), 0xff00cc00);
    c.roundtrip();
    c.wait_frames();
    assert!(
        same_rgb(colour_at(&fixture, x, y), green),
        "the new order took effect before the parent's commit"
    );

    // The parent's commit brings the new order.
    c.draw(&mut window, 400, 300, 0xff202020);
    c.roundtrip();
    c.wait_frames();
    assert!(same_rgb(colour_at(&fixture, x, y), red));

    // Above the parent itself, then below it: the parent's pixels cover it.
    above.role.place_above(&below.surface);
    above.role.place_below(&window.surface);
    below.role.place_below(&window.surface);
    c.draw(&mut window, 400, 300, 0xff202020);
    c.roundtrip();
    c.wait_frames();
    assert!(same_rgb(colour_at(&fixture, x, y), rgb(0x202020)));

    // Many requests before a commit (more than wait at once, the oldest applied early): all
    // applied in order. The first puts a third subsurface under the parent; only the early
    // batch says so.
    let third = c.subsurface(&window.surface, (200, 10), (100, 100), 0xff0000cc, true);
    c.draw(&mut window, 400, 300, 0xff202020);
    c.roundtrip();
    c.wait_frames();
    let (tx, ty) = (440 + 250, 210 + 50);
    assert!(same_rgb(colour_at(&fixture, tx, ty), rgb(0x0000cc)));
    third.role.place_below(&window.surface);
    above.role.place_above(&window.surface);
    below.role.place_above(&window.surface);
    for _ in 0..100 {
        above.role.place_above(&below.surface);
        above.role.place_below(&below.surface);
    }
    above.role.place_above(&below.surface);
    c.draw(&mut window, 400, 300, 0xff202020);
    c.roundtrip();
    c.wait_frames();
    assert!(same_rgb(colour_at(&fixture, x, y), green));
    assert!(same_rgb(colour_at(&fixture, tx, ty), rgb(0x202020)));
}

/// Under a synchronized subsurface, whose state is applied with its own parent's commit, the
/// new order waits for that commit too.
#[test]
fn under_a_synchronized_subsurface_the_order_waits_for_the_window() {
    let fixture = OneLoop::new("subsurface-nested", 1280, 720);
    let mut c = fixture.client();
    let mut window = c.mapped_window("window", 400, 300, 0xff202020);
    let mut elsewhere = c.mapped_window("elsewhere", 100, 100, 0xff404040);
    let middle = c.subsurface(&window.surface, (10, 10), (200, 200), 0xff808080, false);
    let below = c.subsurface(&middle.surface, (0, 0), (100, 100), 0xffcc0000, true);
    let above = c.subsurface(&middle.surface, (0, 0), (100, 100), 0xff00cc00, true);
    middle.surface.commit();
    c.draw(&mut window, 400, 300, 0xff202020);
    c.roundtrip();
    c.wait_frames();
    // The window was centred, then the second window took the middle: find the first by its
    // colours instead. The middle subsurface starts 10 px inside it.
    let shot = fixture.screenshot();
    let (wx, wy, _, _) = bbox(&shot, |p| same_rgb(p, rgb(0x808080))).expect("the middle");
    let (x, y) = (wx + 50, wy + 50);
    assert!(same_rgb(colour_at(&fixture, x, y), rgb(0x00cc00)));

    above.role.place_below(&below.surface);
    middle.surface.commit();
    // Something else draws the screen again meanwhile.
    c.draw(&mut elsewhere, 100, 100, 0xff404040);
    c.roundtrip();
    c.wait_frames();
    assert!(
        same_rgb(colour_at(&fixture, x, y), rgb(0x00cc00)),
        "the new order took effect before the window's commit"
    );
    c.draw(&mut window, 400, 300, 0xff202020);
    c.roundtrip();
    c.wait_frames();
    assert!(same_rgb(colour_at(&fixture, x, y), rgb(0xcc0000)));
}

/// A surface that is neither a sibling nor the parent is refused at once (a protocol error),
/// as before.
#[test]
fn restacking_next_to_a_stranger_is_refused() {
    let fixture = OneLoop::new("subsurface-stranger", 1280, 720);
    let mut c = fixture.client();
    let window = c.mapped_window("window", 400, 300, 0xff202020);
    let other = c.mapped_window("other", 200, 200, 0xff404040);
    let sub = c.subsurface(&window.surface, (10, 10), (100, 100), 0xffcc0000, true);
    sub.role.place_above(&other.surface);
    let error = c.protocol_error().expect("the request was refused");
    assert!(error.starts_with("wl_subsurface@"), "{error}");
    assert!(error.ends_with("error 0"), "bad_surface: {error}");
}
