//! Subsurfaces: their place among their siblings changes with their parent's commit, as
//! wl_subsurface says, so a client restacks and redraws its window in one step. The compositor
//! and the client run on one thread (`OneLoop`); pixels are read from the compositor's frame.

use wayray_tests::one_loop::OneLoop;
use wayray_tests::pixels::{rgb, same_rgb};

/// The colour the compositor drew at (`x`, `y`).
fn colour_at(fixture: &OneLoop, x: usize, y: usize) -> [u8; 4] {
    let shot = fixture.screenshot();
    let at = (y * shot.width as usize + x) * 4;
    shot.bgra[at..at + 4].try_into().expect("a pixel")
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

    // Many requests before a commit (more than wait at once): applied in order all the same.
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
