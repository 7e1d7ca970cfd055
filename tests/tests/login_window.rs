//! The window viewer's login screen under Xvfb (lavapipe), against a real multi-user server
//! with real accounts and PAM: the form is drawn, a wrong password shows the error line and
//! the form again, the right one turns the window into the user's session, and the desk card
//! is kept when asked.

use std::process::{Command, Stdio};
use std::time::Duration;

use wayray_tests::accounts::TestAccounts;
use wayray_tests::multi_user::MultiUserServer;
use wayray_tests::programs::{KillOnDrop, require};
use wayray_tests::wait::poll_every;
use wayray_tests::xvfb::Xvfb;

const W: u32 = 640;
const H: u32 = 480;

/// Runs xdotool on `display` (keys go to the window holding the keyboard).
fn xdotool(display: &str, args: &[&str]) {
    assert!(xdotool_once(display, args), "xdotool {args:?}");
}

fn xdotool_once(display: &str, args: &[&str]) -> bool {
    Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .status()
        .expect("xdotool runs")
        .success()
}

/// How many pixels of a screenshot are within `tolerance` of `rgb` in each channel.
fn count_near(shot: &[[u8; 3]], rgb: [u8; 3], tolerance: u8) -> usize {
    shot.iter()
        .filter(|p| (0..3).all(|i| p[i].abs_diff(rgb[i]) <= tolerance))
        .count()
}

#[test]
fn the_login_screen_refuses_a_wrong_password_then_shows_the_session() {
    let Some(accounts) = TestAccounts::create(&["wr-alice"], "wr-daemon", "wayray-test") else {
        return;
    };
    let (Some(_), Some(xvfb)) = (require("xdotool"), Xvfb::start()) else {
        return;
    };
    let Some(server) = MultiUserServer::start("login-window", &accounts, "") else {
        return;
    };
    let alice = accounts.user_named("wr-alice");
    let config_home = server.dir.join("desk-config");
    let log = std::fs::File::create(server.dir.join("window-viewer.log")).unwrap();
    let mut viewer = server.viewer_window();
    let _viewer = KillOnDrop(
        viewer
            .env("DISPLAY", &xvfb.display)
            .env("XDG_CONFIG_HOME", &config_home)
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("viewer starts"),
    );
    let shots = server.dir.join("shots");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = || xvfb.screenshot(&shots, W, H).unwrap_or_default();
    // What failed stays for a person to look at: the last screenshot, in the temp dir.
    let log = || {
        let last = shots.join("x11grab.png");
        let kept = std::env::temp_dir().join("wayray-login-window-failure.png");
        let _ = std::fs::copy(&last, &kept);
        let viewer = std::fs::read_to_string(server.dir.join("window-viewer.log"));
        format!(
            "{}\n(last screenshot: {})",
            viewer.unwrap_or_default(),
            kept.display()
        )
    };

    // The form: the login screen's background with text on it.
    let background = [20, 23, 28];
    poll_every(Duration::from_secs(30), Duration::from_millis(300), || {
        let s = shot();
        (count_near(&s, background, 4) > 50_000 && count_near(&s, [255, 255, 255], 40) > 20)
            .then_some(())
            .ok_or(())
    })
    .unwrap_or_else(|_| panic!("no login screen; viewer log:\n{}", log()));

    // No window manager gives the window the keyboard: the test does. xdotool's search
    // reads every window's name and dies of an X error when one goes away meanwhile (seen
    // once, as the viewer started): a few tries.
    let focus = [
        "search",
        "--sync",
        "--name",
        "WayRay",
        "windowfocus",
        "--sync",
    ];
    let focused = (0..5).any(|_| {
        xdotool_once(&xvfb.display, &focus) || {
            std::thread::sleep(Duration::from_millis(200));
            false
        }
    });
    assert!(focused, "xdotool {focus:?}");
    xdotool(&xvfb.display, &["type", "--delay", "30", &alice.name]);
    xdotool(&xvfb.display, &["key", "Tab"]);
    xdotool(
        &xvfb.display,
        &["type", "--delay", "30", "not-the-password"],
    );
    xdotool(&xvfb.display, &["key", "Return"]);
    let error_red = [255, 120, 120];
    poll_every(Duration::from_secs(20), Duration::from_millis(300), || {
        (count_near(&shot(), error_red, 40) > 30)
            .then_some(())
            .ok_or(())
    })
    .unwrap_or_else(|_| panic!("no error line after a wrong password; log:\n{}", log()));
    assert!(
        server
            .ctl_json(&["sessions"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The form again, with the user name kept and the password field focused.
    xdotool(&xvfb.display, &["type", "--delay", "30", &alice.password]);
    xdotool(&xvfb.display, &["key", "Return"]);
    poll_every(Duration::from_secs(30), Duration::from_millis(300), || {
        let s = shot();
        // foot: a black screen with a white prompt, no login background left.
        (count_near(&s, background, 4) < 1_000 && count_near(&s, [0, 0, 0], 4) > 200_000)
            .then_some(())
            .ok_or(())
    })
    .unwrap_or_else(|_| panic!("the session was not shown after the login; log:\n{}", log()));
    let sessions = server.ctl_json(&["sessions"]);
    let session = &sessions.as_array().unwrap()[0];
    assert_eq!(session["user"], alice.name.as_str());
    assert_eq!(session["attached"], true, "{session}");
}
