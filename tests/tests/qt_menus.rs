//! A Qt application's menus, driven from a viewer over real QUIC: FeatherPad (Qt 5 on
//! Wayland) opens its Edit menu where it was clicked, the pointer picks an item in it, the menu
//! leaves the screen when it closes, and the keys typed afterwards reach the editor (its file,
//! saved with Ctrl+S, says so).

use std::time::Duration;

use wayray_client::Viewer;
use wayray_protocol::messages::input::ButtonState;
use wayray_server::session::Screenshot;
use wayray_tests::fixture::Fixture;
use wayray_tests::keys::type_codes;
use wayray_tests::pixels::window_box;
use wayray_tests::pointer::{key, left_button, motion, send};
use wayray_tests::programs::require;
use wayray_tests::remote::{connect_settled, serve};

const WAIT: Duration = Duration::from_secs(30);
const KEY_X: u32 = 45;
const KEY_S: u32 = 31;
const KEY_LEFTCTRL: u32 = 29;
/// Where things are in FeatherPad's window (Qt 5.15's own title bar, default font), from its
/// top-left corner: the Edit menu, its Select All item, and the part of the editor's empty
/// page that the open menu covers (left, top, right, bottom).
const EDIT: (u32, u32) = (59, 39);
const SELECT_ALL: (u32, u32) = (99, 203);
const UNDER_MENU: (u32, u32, u32, u32) = (120, 250, 360, 420);

/// Pixels of `area` that differ between two screenshots.
fn differing(a: &Screenshot, b: &Screenshot, area: (u32, u32, u32, u32)) -> usize {
    let (x0, y0, x1, y1) = area;
    (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .filter(|&(x, y)| a.pixel(x, y) != b.pixel(x, y))
        .count()
}

/// Moves the pointer from `from` to `to` in steps, as a hand on a mouse does (Qt's menus pick
/// the item under a moving pointer, not one that only appeared under it), then clicks.
async fn glide_and_click(viewer: &mut Viewer, from: (u32, u32), to: (u32, u32)) {
    for step in 1..=8 {
        let along =
            |a: u32, b: u32| f64::from(a) + (f64::from(b) - f64::from(a)) * step as f64 / 8.0;
        send(viewer, motion(along(from.0, to.0), along(from.1, to.1))).await;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    send(viewer, left_button(ButtonState::Pressed)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    send(viewer, left_button(ButtonState::Released)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qt_menu_opens_in_place_takes_the_pointer_and_leaves_the_screen() {
    let Some(featherpad) = require("featherpad") else {
        return;
    };
    let mut fixture = Fixture::new("qt-menus", 800, 600);
    let file = fixture.dir.path().join("note.txt");
    std::fs::write(&file, "hello\n").expect("note");
    let mut command = fixture.qt_command(&featherpad);
    command.arg(&file);
    fixture.spawn(command);
    let (shown, _) = fixture.wait_for(WAIT, |s| s.windows == 1 && window_box(s).2 > 400);
    assert!(shown, "FeatherPad never showed its window");
    // Let it finish drawing its toolbar and editor.
    std::thread::sleep(Duration::from_secs(2));
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    let mut viewer = connect_settled(&served, &fixture, "tok", WAIT).await;
    let before = fixture.session.screenshot().expect("screenshot");
    let (left, top, _, _) = window_box(&before);
    let at = |(x, y): (u32, u32)| (left + x, top + y);
    let (x0, y0, x1, y1) = UNDER_MENU;
    let menu_area = (left + x0, top + y0, left + x1, top + y1);

    glide_and_click(&mut viewer, at((300, 300)), at(EDIT)).await;
    // Its items' text over the empty page.
    let (opened, _) = fixture.wait_for(WAIT, |s| differing(s, &before, menu_area) > 500);
    assert!(opened, "the Edit menu did not open below its title");

    glide_and_click(&mut viewer, at(EDIT), at(SELECT_ALL)).await;
    let (closed, _) = fixture.wait_for(WAIT, |s| differing(s, &before, menu_area) == 0);
    assert!(
        closed,
        "the menu stayed on the screen after its item was chosen"
    );

    // Everything selected: a typed x replaces it, and Ctrl+S saves that.
    type_codes(&mut viewer, &[KEY_X]).await.expect("key");
    send(&mut viewer, key(KEY_LEFTCTRL, ButtonState::Pressed)).await;
    type_codes(&mut viewer, &[KEY_S]).await.expect("key");
    send(&mut viewer, key(KEY_LEFTCTRL, ButtonState::Released)).await;
    let saved = wayray_tests::wait::file_holding(&file, "x", WAIT);
    assert_eq!(
        saved.trim(),
        "x",
        "Select All from the menu, then x and Ctrl+S, did not leave just x in the file"
    );
}
