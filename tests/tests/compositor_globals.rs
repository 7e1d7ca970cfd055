//! `wayland-info` against the session compositor lists every global WayRay offers.

use std::time::Duration;

use wayray_tests::fixture::{Fixture, run_with_timeout};
use wayray_tests::programs::require;
use wayray_tests::wl_client::WlClient;

const GLOBALS: &[&str] = &[
    "wl_compositor",
    "wl_subcompositor",
    "xdg_wm_base",
    "wl_shm",
    "wl_seat",
    "wl_output",
    "zxdg_output_manager_v1",
    "wl_data_device_manager",
    "zwp_primary_selection_device_manager_v1",
    "wp_viewporter",
    "wp_fractional_scale_manager_v1",
    "zxdg_decoration_manager_v1",
    "wp_presentation",
    "wp_cursor_shape_manager_v1",
    "wp_single_pixel_buffer_manager_v1",
    "xdg_activation_v1",
    "zwp_relative_pointer_manager_v1",
    "zwp_pointer_constraints_v1",
    "zwp_keyboard_shortcuts_inhibit_manager_v1",
    "zwlr_data_control_manager_v1",
    "wp_security_context_manager_v1",
    "zwp_idle_inhibit_manager_v1",
    "zxdg_exporter_v2",
    "zxdg_importer_v2",
    "wp_content_type_manager_v1",
    "zwlr_layer_shell_v1",
    "zwp_text_input_manager_v3",
    "zwp_input_method_manager_v2",
    "zwp_virtual_keyboard_manager_v1",
];

/// Globals a sandboxed client (one that connected through a security context) must not see.
const PRIVILEGED: &[&str] = &[
    "zwlr_data_control_manager_v1",
    "wp_security_context_manager_v1",
    "zwlr_layer_shell_v1",
    "zwp_input_method_manager_v2",
    "zwp_virtual_keyboard_manager_v1",
];

#[test]
fn wayland_info_lists_every_global() {
    let Some(wayland_info) = require("wayland-info") else {
        return;
    };
    let fixture = Fixture::new("globals", 1280, 720);
    let output = run_with_timeout(fixture.command(&wayland_info), Duration::from_secs(20));
    assert!(
        output.status.success(),
        "wayland-info failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let missing: Vec<_> = GLOBALS
        .iter()
        .filter(|global| !text.contains(&format!("'{global}'")))
        .collect();
    assert!(missing.is_empty(), "globals missing: {missing:?}\n{text}");
    // The output reports the configured mode.
    assert!(text.contains("width: 1280 px, height: 720 px"), "{text}");
}

#[test]
fn a_sandboxed_client_sees_no_privileged_global() {
    let Some(wayland_info) = require("wayland-info") else {
        return;
    };
    let fixture = Fixture::new("sandbox", 640, 480);
    let mut sandbox = WlClient::connect(
        fixture.session.connect_client().expect("connect"),
        fixture.dir.path(),
    );
    let path = fixture.dir.path().join("sandboxed-0");
    let listener = std::os::unix::net::UnixListener::bind(&path).expect("listener");
    let (close_read, _close_write) = std::io::pipe().expect("pipe");
    sandbox.create_security_context(&listener, std::os::fd::AsFd::as_fd(&close_read));
    drop(listener);

    let list = |display: &std::ffi::OsStr| {
        let mut command = fixture.command(&wayland_info);
        command.env("WAYLAND_DISPLAY", display);
        let output = run_with_timeout(command, Duration::from_secs(20));
        assert!(output.status.success(), "wayland-info failed");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let inside = list(path.as_os_str());
    let outside = list(fixture.session.socket_name().as_ref());
    assert!(inside.contains("'wl_compositor'"), "{inside}");
    for global in PRIVILEGED {
        let name = format!("'{global}'");
        assert!(
            outside.contains(&name),
            "{global} missing outside the sandbox"
        );
        assert!(
            !inside.contains(&name),
            "{global} offered inside the sandbox"
        );
    }
}
