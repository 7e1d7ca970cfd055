//! Firefox's menus, driven from a viewer over real QUIC: a page's `<select>` opens its list
//! below itself and a key picks an item in it; a right click opens the context menu at the
//! pointer, and its Select All (by its access key) selects the page. The page turns its
//! background a colour of its own for each thing that happened, so the checks read pixels.

use std::time::{Duration, Instant};

use wayray_client::Viewer;
use wayray_protocol::messages::input::{ButtonState, InputMessage, PointerButton, PointerMotion};
use wayray_server::session::Screenshot;
use wayray_tests::fixture::Fixture;
use wayray_tests::keys::type_codes;
use wayray_tests::pixels::{bbox, count_in, rgb, same_rgb};
use wayray_tests::programs::require;
use wayray_tests::remote::{connect_settled, serve};

const WAIT: Duration = Duration::from_secs(60);
const KEY_DOWN: u32 = 108;
const KEY_ENTER: u32 = 28;
const KEY_A: u32 = 30;
const BTN_LEFT: u32 = 0x110;
const BTN_RIGHT: u32 = 0x111;

/// The select is magenta; the page turns blue when banana is chosen and green when more than
/// its heading is selected.
const PAGE: &str = r##"<!doctype html><html><body style="margin:0;background:#ffffff">
<select id="fruit" style="position:absolute;left:100px;top:60px;width:240px;font-size:20px;background:#c000c0;color:#ffffff">
<option>apple</option><option>banana</option><option>cherry</option></select>
<p style="position:absolute;left:100px;top:420px;font-size:30px">text to select on the page</p>
<script>
document.getElementById("fruit").onchange = (e) => {
  if (e.target.value === "banana") document.body.style.background = "#0000c0";
};
document.onselectionchange = () => {
  if (String(document.getSelection()).includes("text to select")) document.body.style.background = "#00c000";
};
</script></body></html>"##;

/// Firefox's settings for a quiet first start: no first-run pages, no default-browser question.
const USER_JS: &str = r#"user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("browser.startup.firstrunSkipsHomepage", true);
"#;

/// Keeps taking the viewer's frames (Firefox shows a menu only once its window's frame was
/// presented) until a screenshot satisfies `pred` or `timeout` passes.
async fn wait_with(
    viewer: &mut Viewer,
    fixture: &Fixture,
    pred: impl Fn(&Screenshot) -> bool,
    timeout: Duration,
) -> (bool, Screenshot) {
    let deadline = Instant::now() + timeout;
    loop {
        let _ = viewer
            .settle(
                Duration::from_millis(100),
                Instant::now() + Duration::from_millis(200),
            )
            .await;
        let shot = fixture.session.screenshot().expect("screenshot");
        if pred(&shot) || Instant::now() > deadline {
            return (pred(&shot), shot);
        }
    }
}

/// Moves the pointer to `to` in steps from 40 pixels away and clicks `button`, with the
/// event times a desk would give.
async fn click(viewer: &mut Viewer, started: Instant, to: (u32, u32), button: u32) {
    let time = || started.elapsed().as_millis() as u32;
    for step in (0..=8).rev() {
        let (x, y) = (
            f64::from(to.0) - 5.0 * step as f64,
            f64::from(to.1) + 5.0 * step as f64,
        );
        let motion = InputMessage::PointerMotion(PointerMotion {
            x,
            y,
            time_ms: time(),
        });
        viewer.send_input(&motion).await.expect("motion");
        let _ = viewer
            .settle(
                Duration::from_millis(30),
                Instant::now() + Duration::from_millis(30),
            )
            .await;
    }
    for state in [ButtonState::Pressed, ButtonState::Released] {
        let _ = viewer
            .settle(
                Duration::from_millis(60),
                Instant::now() + Duration::from_millis(60),
            )
            .await;
        let event = InputMessage::PointerButton(PointerButton {
            button,
            state,
            time_ms: time(),
        });
        viewer.send_input(&event).await.expect("button");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_menus_open_in_place_and_pick_with_pointer_and_keys() {
    let Some(firefox) = require("firefox-esr") else {
        return;
    };
    let mut fixture = Fixture::new("firefox-menus", 1280, 720);
    let page = fixture.dir.path().join("page.html");
    std::fs::write(&page, PAGE).expect("page");
    let profile = fixture.dir.path().join("profile");
    std::fs::create_dir_all(&profile).expect("profile");
    std::fs::write(profile.join("user.js"), USER_JS).expect("user.js");
    let mut command = fixture.command(&firefox);
    command
        .env("MOZ_ENABLE_WAYLAND", "1")
        .env("HOME", fixture.dir.path())
        .arg("--new-instance")
        .arg("--profile")
        .arg(&profile)
        .arg(format!("file://{}", page.display()));
    fixture.spawn(command);
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    let mut viewer = connect_settled(&served, &fixture, "tok", WAIT).await;
    let started = Instant::now();
    let magenta = |p| same_rgb(p, rgb(0xc000c0));
    let (shown, shot) = wait_with(
        &mut viewer,
        &fixture,
        |s| bbox(s, magenta).is_some_and(|(_, _, w, _)| w >= 200),
        WAIT,
    )
    .await;
    assert!(shown, "Firefox never showed the page's select");
    let (x, y, w, h) = bbox(&shot, magenta).expect("the select");
    // Below the select, where its list opens: white page until then.
    let below = (x, y + h + 4, w, 60);
    let white = |p| same_rgb(p, rgb(0xffffff));
    let blank = count_in(&shot, below, white);

    click(&mut viewer, started, (x + w / 2, y + h / 2), BTN_LEFT).await;
    let (opened, _) = wait_with(
        &mut viewer,
        &fixture,
        |s| count_in(s, below, white) < blank / 2,
        WAIT,
    )
    .await;
    assert!(opened, "the select's list did not open below it");
    // Down in the open list moves its highlight and chooses nothing yet (a closed select would
    // change at once); Enter chooses.
    type_codes(&mut viewer, &[KEY_DOWN]).await.expect("key");
    let blue = |p| same_rgb(p, rgb(0x0000c0));
    let corner = (1000, 600, 100, 60);
    let (_, shot) = wait_with(&mut viewer, &fixture, |_| false, Duration::from_secs(1)).await;
    assert!(
        count_in(&shot, below, white) < blank / 2 && count_in(&shot, corner, blue) == 0,
        "Down did not go to the open list"
    );
    type_codes(&mut viewer, &[KEY_ENTER]).await.expect("key");
    let (picked, _) = wait_with(
        &mut viewer,
        &fixture,
        |s| count_in(s, corner, blue) > 5000,
        WAIT,
    )
    .await;
    assert!(
        picked,
        "Down and Enter in the open list did not choose banana"
    );

    // The context menu at the pointer, over the page's blue.
    let at = (600, 300);
    let menu_area = (at.0 + 10, at.1 + 10, 150, 100);
    click(&mut viewer, started, at, BTN_RIGHT).await;
    let (menu, _) = wait_with(
        &mut viewer,
        &fixture,
        |s| count_in(s, menu_area, blue) < 1000,
        WAIT,
    )
    .await;
    assert!(menu, "the context menu did not open at the pointer");
    type_codes(&mut viewer, &[KEY_A]).await.expect("key");
    let green = |p| same_rgb(p, rgb(0x00c000));
    let (selected, _) = wait_with(
        &mut viewer,
        &fixture,
        |s| count_in(s, corner, green) > 5000,
        WAIT,
    )
    .await;
    assert!(
        selected,
        "Select All from the context menu did not select the page"
    );
}
