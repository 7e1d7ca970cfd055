//! Real wlr-layer-shell programs in the session: waybar (a panel reserving a strip along the
//! top) and mako (notifications anchored to the top-right corner with a margin).

use std::process::Stdio;
use std::time::Duration;

use wayray_server::session::Screenshot;
use wayray_tests::fixture::Fixture;
use wayray_tests::pixels::{bbox, rgb, same_rgb};
use wayray_tests::programs::require;

const WAIT: Duration = Duration::from_secs(30);

fn green_box(shot: &Screenshot) -> Option<(u32, u32, u32, u32)> {
    bbox(shot, |p| same_rgb(p, rgb(0x00ff00)))
}

#[test]
fn waybar_reserves_its_strip_and_windows_open_below_it() {
    let (Some(waybar), Some(foot)) = (require("waybar"), require("foot")) else {
        return;
    };
    let mut fixture = Fixture::new("layer-waybar", 800, 600);
    fixture.spawn(waybar_command(&fixture, &waybar));
    // The bar spans the top of the output, 30 px high (its text is black on green).
    let (shown, shot) = fixture.wait_for(WAIT, |shot| green_box(shot) == Some((0, 0, 800, 30)));
    assert!(shown, "waybar at {:?}", green_box(&shot));

    // A maximised window (foot) covers the rest of the output, not the strip the bar reserves.
    let mut window = fixture.command(&foot);
    window
        .args([
            "--maximized",
            "-o",
            "colors.background=0000ff",
            "-o",
            "cursor.blink=no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    fixture.spawn(window);
    // Its terminal is blue; foot draws its own title bar in its foreground colour.
    let blue = |shot: &Screenshot| {
        bbox(shot, |p| {
            same_rgb(p, rgb(0x0000ff)) || same_rgb(p, rgb(0xdcdccc))
        })
    };
    let (maximised, shot) = fixture.wait_for(WAIT, |shot| {
        blue(shot) == Some((0, 30, 800, 570)) && green_box(shot) == Some((0, 0, 800, 30))
    });
    assert!(
        maximised,
        "window at {:?}, bar at {:?}",
        blue(&shot),
        green_box(&shot)
    );
}

/// A waybar command showing a 30 px green bar along the top.
fn waybar_command(fixture: &Fixture, waybar: &std::path::Path) -> std::process::Command {
    let config = fixture.dir.path().join("waybar.json");
    let style = fixture.dir.path().join("waybar.css");
    std::fs::write(
        &config,
        r#"{ "layer": "top", "position": "top", "height": 30,
             "modules-left": ["custom/name"], "custom/name": { "format": "WayRay" } }"#,
    )
    .expect("config");
    std::fs::write(
        &style,
        "* { font-family: monospace; font-size: 13px; min-height: 0; }\n\
         window#waybar { background: #00ff00; color: #000000; }\n",
    )
    .expect("style");
    let mut command = fixture.command(waybar);
    command
        .arg("--config")
        .arg(&config)
        .arg("--style")
        .arg(&style)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

#[test]
fn a_notification_sits_in_its_corner_and_moves_out_of_a_bar_that_starts_later() {
    let (Some(waybar), Some(mako), Some(_), Some(dbus)) = (
        require("waybar"),
        require("mako"),
        require("notify-send"),
        require("dbus-run-session"),
    ) else {
        return;
    };
    let mut fixture = Fixture::new("layer-mako", 800, 600);
    // mako on a bus of its own, showing one red notification that stays.
    let mut command = fixture.command(&dbus);
    command
        .arg("--")
        .arg("sh")
        .arg("-c")
        .arg(format!(
            "{} --background-color '#ff0000' --text-color '#ff0000' --border-size 0 \
             --default-timeout 0 & sleep 0.5; notify-send Hello WayRay; wait",
            mako.display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    fixture.spawn(command);
    let red = |shot: &Screenshot| bbox(shot, |p| same_rgb(p, rgb(0xff0000)));
    // mako's defaults: the top-right corner, 10 px from both edges.
    let (shown, shot) = fixture.wait_for(WAIT, |shot| {
        red(shot).is_some_and(|(x, y, w, _)| x + w == 790 && y == 10)
    });
    assert!(shown, "notification at {:?}", red(&shot));

    // A bar starting after it reserves the top: the notification moves below it.
    fixture.spawn(waybar_command(&fixture, &waybar));
    let (moved, shot) = fixture.wait_for(WAIT, |shot| {
        green_box(shot) == Some((0, 0, 800, 30))
            && red(shot).is_some_and(|(x, y, w, _)| x + w == 790 && y == 40)
    });
    assert!(
        moved,
        "notification at {:?}, bar at {:?}",
        red(&shot),
        green_box(&shot)
    );
}
