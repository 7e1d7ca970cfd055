//! The Wayland conformance suite (Debian's `wlcs`) against the session compositor, through
//! the integration library in `wlcs/` (`scripts/test` builds it). CI requires these groups
//! to pass: the ones Smithay's CI requires of its own compositor, and more that WayRay passes
//! whole. `scripts/wlcs-report` runs the whole suite; docs/compat.md has its results.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use wayray_tests::fixture::run_with_timeout;
use wayray_tests::programs::{in_ci, workspace_binary};

const GATED: &[&str] = &[
    "SelfTest*",
    "FrameSubmission*",
    "XdgOutputV1Test*",
    "*/SurfacePointerMotionTest*",
    "RelativePointer*",
    "BadBufferTest*",
    "*/XdgPopupPositionerTest*",
    "Anchors/LayerSurfaceErrorsTest*",
    "WlOutputTest*",
    "XdgToplevelStableConfigurationTest*",
    // A surface appearing, moving or resizing under a still pointer gets enter and leave.
    "ClientSurfaceEventsTest.surface_*",
    // Pointer and touch land on the right surface: input regions, subsurfaces, windows whose
    // geometry starts inside their surface; a touch point goes up when its surface goes.
    "*/RegionSurfaceInputCombinations*",
    "ToplevelInputRegions/*",
    "AllSurfaceTypes/TouchTest*",
    // Interactive move and resize (the pointer leaves the window meanwhile), parents.
    "XdgToplevelStableTest*",
    // Popups get the pointer, give it back when they go, and a grabbing one the keyboard.
    "XdgPopupStable/XdgPopupTest.pointer_focus_goes_to_popup/*",
    "XdgPopupStable/XdgPopupTest.popup_gives_up_pointer_focus_when_gone/*",
    "XdgPopupStable/XdgPopupTest.grabbed_popup_gets_keyboard_focus/*",
    "XdgPopupStable/XdgPopupTest.does_not_get_popup_done_event_before_button_press/*",
    "XdgPopupStable/XdgPopupTest.popup_configure_is_valid/*",
];

/// The runner, where `pkg-config wlcs` says it is; `None` (skip) without it outside CI.
fn runner() -> Option<PathBuf> {
    let found = Command::new("pkg-config")
        .args(["--variable=test_runner", "wlcs"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .filter(|path| path.is_file());
    if found.is_none() {
        assert!(
            !in_ci(),
            "the wlcs runner is missing: install Debian's wlcs"
        );
        eprintln!("skipping: wlcs is not installed");
    }
    found
}

#[test]
fn the_gated_conformance_groups_pass() {
    let (Some(runner), Some(library)) = (runner(), workspace_binary("libwayray_wlcs.so")) else {
        return;
    };
    let mut command = Command::new(runner);
    command
        .arg(library)
        .arg(format!("--gtest_filter={}", GATED.join(":")))
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DISPLAY");
    let out = run_with_timeout(command, Duration::from_secs(300));
    let text = String::from_utf8_lossy(&out.stdout);
    let failed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("[  FAILED  ]"))
        .collect();
    assert!(out.status.success(), "failed:\n{}", failed.join("\n"));
    // The filter must have matched the groups: at least this many tests ran and passed.
    let passed = text
        .lines()
        .find_map(|l| l.strip_prefix("[  PASSED  ] "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    assert!(passed >= 345, "only {passed} tests passed:\n{text}");
}
