//! A real input method in the session: fcitx5 with its Hangul engine (input-method-v2 through
//! its Wayland frontend) composes what a desk types over QUIC into Korean syllables for foot
//! (text-input-v3); foot hands the committed text to the program in its terminal.

use std::path::Path;
use std::time::Duration;

use wayray_tests::fixture::Fixture;
use wayray_tests::keys::type_codes;
use wayray_tests::programs::require;
use wayray_tests::remote::{connect_settled, serve};

const WAIT: Duration = Duration::from_secs(30);
/// evdev codes: g k s r m f (두벌식: ㅎ ㅏ ㄴ ㄱ ㅡ ㄹ), then Enter.
const HANGUL_KEYS: [u32; 7] = [34, 37, 31, 19, 50, 33, 28];

/// fcitx5's configuration: one group with the US layout and Hangul, Hangul active at once.
fn fcitx5_config(home: &Path) {
    let dir = home.join("fcitx5");
    std::fs::create_dir_all(dir.join("conf")).unwrap();
    std::fs::write(
        dir.join("profile"),
        "[Groups/0]\nName=Default\nDefault Layout=us\nDefaultIM=hangul\n\n\
         [Groups/0/Items/0]\nName=keyboard-us\nLayout=\n\n\
         [Groups/0/Items/1]\nName=hangul\nLayout=\n\n\
         [GroupOrder]\n0=Default\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("config"),
        "[Behavior]\nActiveByDefault=True\nShareInputState=All\n",
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fcitx5_composes_hangul_typed_at_the_desk_into_foot() {
    let (Some(fcitx5), Some(foot)) = (require("fcitx5"), require("foot")) else {
        return;
    };
    let mut fixture = Fixture::new("ime-fcitx5", 800, 600);
    let config = fixture.dir.path().join("config");
    fcitx5_config(&config);
    let mut ime = fixture.command(&fcitx5);
    ime.env("XDG_CONFIG_HOME", &config)
        .env("HOME", fixture.dir.path())
        // Only what this needs: no D-Bus, no X11 frontends, no tray.
        .args([
            "--disable=all",
            "--enable=wayland,waylandim,keyboard,hangul",
        ]);
    fixture.spawn(ime);
    let out = fixture.dir.path().join("typed");
    let script = format!("read line; printf '%s' \"$line\" > '{}'", out.display());
    fixture.spawn_foot(&foot, "[cursor]\nblink=no\n", &["sh", "-c", &script]);
    let (shown, _) = fixture.wait_for(WAIT, |s| s.windows == 1);
    assert!(shown, "foot never showed a window");
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    let mut viewer = connect_settled(&served, &fixture, "tok", WAIT).await;
    // The input method binds a moment after the window maps.
    std::thread::sleep(Duration::from_secs(2));
    // At a fast typist's pace: keys sent all at once race foot's own text-input commits (it
    // moves its cursor rectangle as the preedit grows), and foot drops text whose serial is
    // already old, under any compositor.
    for code in HANGUL_KEYS {
        type_codes(&mut viewer, &[code]).await.expect("keys sent");
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let typed = wayray_tests::wait::file_holding(&out, "한글", WAIT);
    assert_eq!(typed.trim(), "한글", "foot did not get the composed text");
}
