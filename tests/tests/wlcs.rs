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
    // Popups get the pointer, give it back when they go, a grabbing one the keyboard, and a
    // grabbing one is dismissed when another window takes the keyboard.
    "XdgPopupStable/XdgPopupTest*",
    // A popup anchored at a point (an anchor rectangle of no size) is placed there.
    "XdgPopupTest.*",
    // get_xdg_surface refuses a surface with another role or a buffer.
    "XdgSurfaceStableTest*",
    // Layer surfaces: configured, given the keyboard (an exclusive one keeps it from new
    // windows and gives it back when it lets go; an on-demand one above the windows when it
    // appears), placed by anchors, margins and others' exclusive zones whatever order they
    // were mapped in, stacked by layer, and their popups.
    "LayerSurfaceTest*",
    "Anchor/LayerSurfaceLayoutTest*",
    "Layer/LayerSurfaceLayerTest*",
    "LayerShellPopup/XdgPopupTest*",
    // Locked and confined pointers, held while their window has the pointer and keyboard.
    "PointerConstraints*",
    // A subsurface's position takes effect with its parent's commit (sync or desync).
    "XdgShellStableSubsurfaces/*",
];

/// Tests of those groups WayRay fails, for reasons docs/compat.md gives.
const EXCLUDED: &[&str] = &[
    // The 1.5 test body commits its popup's buffer before the popup's first configure.
    "Anchor/LayerSurfaceLayoutTest.simple_popup_positioned_correctly/*",
    // The body never commits, yet expects the configure that answers the first commit.
    "XdgSurfaceStableTest.gets_configure_event",
    // Expects an error at wl_surface.attach before the first configure; WayRay takes such a
    // buffer (the suite's own windows commit one).
    "XdgSurfaceStableTest.attaching_buffer_to_unconfigured_xdg_surface_is_an_error",
    // The suite moves its pointer relatively; a viewer's pointer is absolute, so a confined
    // pointer pushed far out comes back only when the position does.
    "PointerConstraints.confined_pointer_movement_is_constrained",
    // These two assert that neither of the two subsurfaces is on top after a restack, which
    // no order satisfies (wlcs issue 396); WayRay restacks with the parent's commit.
    "XdgShellStableSubsurfaces/SubsurfaceTest.place_above_simple/*",
    "XdgShellStableSubsurfaces/SubsurfaceTest.place_below_simple/*",
    // A subsurface left or above its surface grows a window without set geometry, whose
    // place WayRay keeps: the surface moves instead (compat.md).
    "XdgShellStableSubsurfaces/SubsurfaceTest.subsurface_extends_parent_input_region/*",
    "XdgShellStableSubsurfaces/SubsurfaceTest.subsurface_moves_under_input_device_once/*",
    "XdgShellStableSubsurfaces/SubsurfaceTest.subsurface_moves_under_input_device_twice/*",
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
        .arg(format!(
            "--gtest_filter={}-{}",
            GATED.join(":"),
            EXCLUDED.join(":")
        ))
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
    assert!(passed >= 630, "only {passed} tests passed:\n{text}");
}
