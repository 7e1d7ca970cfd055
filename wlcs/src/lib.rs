//! The WayRay session compositor as a WLCS integration: the conformance suite's runner loads
//! this library, starts a headless session per test, hands it clients over socket pairs, puts
//! windows where a test wants them and drives a pointer and touch through the session's own
//! input path (the one viewers use). `docs/compat.md` has the results;
//! `tests/tests/wlcs.rs` gates the groups CI requires.

mod devices;

use std::io::{Error, ErrorKind};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use wayland_sys::client::{wayland_client_handle, wl_display, wl_proxy};
use wayland_sys::ffi_dispatch;
use wayray_server::session::output::OutputConfig;
use wayray_server::session::{SessionCommand, SessionConfig, SessionHandle};
use wlcs::ffi_display_server_api::{
    WlcsExtensionDescriptor, WlcsIntegrationDescriptor, WlcsServerIntegration,
};
use wlcs::ffi_wrappers::wlcs_server;
use wlcs::{Wlcs, extension_list, wlcs_server_integration};

use devices::{Devices, PointerDevice, TouchDevice};

wlcs_server_integration!(WayRaySubject);

/// What the suite may test: the globals the session offers, at the versions it offers.
static EXTENSIONS: &[WlcsExtensionDescriptor] = extension_list!(
    ("wl_compositor", 6),
    ("wl_subcompositor", 1),
    ("wl_shm", 1),
    ("wl_seat", 7),
    ("wl_output", 4),
    ("wl_data_device_manager", 3),
    ("xdg_wm_base", 6),
    ("zxdg_output_manager_v1", 3),
    ("zwp_relative_pointer_manager_v1", 1),
    ("zwp_pointer_constraints_v1", 1),
    ("zwp_primary_selection_device_manager_v1", 1),
    ("wp_viewporter", 1),
    ("zwlr_layer_shell_v1", 4),
    ("zwp_text_input_manager_v3", 1),
    ("zwp_input_method_manager_v2", 1),
);

static DESCRIPTOR: WlcsIntegrationDescriptor = WlcsIntegrationDescriptor {
    version: 1,
    num_extensions: EXTENSIONS.len(),
    supported_extensions: EXTENSIONS.as_ptr(),
};

/// The output every test runs on.
const OUTPUT: (u32, u32) = (1920, 1080);

struct WayRaySubject {
    session: Option<SessionHandle>,
    dir: Option<PathBuf>,
    devices: Devices,
}

impl Wlcs for WayRaySubject {
    type Pointer = PointerDevice;
    type Touch = TouchDevice;

    fn new() -> Self {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
        Self {
            session: None,
            dir: None,
            devices: Devices::default(),
        }
    }

    fn start(&mut self) {
        let dir = private_dir().expect("a private runtime directory");
        let config = SessionConfig {
            output: OutputConfig {
                width: OUTPUT.0,
                height: OUTPUT.1,
                ..OutputConfig::default()
            },
            runtime_dir: Some(dir.clone()),
            ..SessionConfig::default()
        };
        let session = SessionHandle::spawn(config).expect("the session compositor starts");
        self.devices = Devices::new(session.command_sender());
        self.session = Some(session);
        self.dir = Some(dir);
    }

    fn stop(&mut self) {
        drop(self.session.take());
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    fn create_client_socket(&self) -> std::io::Result<OwnedFd> {
        let session = self.session.as_ref().ok_or(ErrorKind::NotConnected)?;
        let (client, server) = UnixStream::pair()?;
        // The suite names a client by its connection's file descriptor.
        let tag = client.as_raw_fd();
        if !session.send(SessionCommand::InsertTaggedClient(server, tag)) {
            return Err(Error::from(ErrorKind::ConnectionReset));
        }
        Ok(client.into())
    }

    fn position_window_absolute(
        &self,
        display: *mut wl_display,
        surface: *mut wl_proxy,
        x: i32,
        y: i32,
    ) {
        // SAFETY: the suite passes its live display and surface proxies.
        let tag = unsafe { ffi_dispatch!(wayland_client_handle(), wl_display_get_fd, display) };
        // SAFETY: as above.
        let surface_id =
            unsafe { ffi_dispatch!(wayland_client_handle(), wl_proxy_get_id, surface) };
        if let Some(session) = &self.session {
            session.send(SessionCommand::PlaceSurface {
                tag,
                surface_id,
                x,
                y,
            });
            devices::applied(&session.command_sender());
        }
    }

    fn create_pointer(&mut self) -> Option<Self::Pointer> {
        self.session.as_ref()?;
        Some(self.devices.pointer())
    }

    fn create_touch(&mut self) -> Option<Self::Touch> {
        self.session.as_ref()?;
        Some(self.devices.touch())
    }

    fn get_descriptor(&self) -> &WlcsIntegrationDescriptor {
        &DESCRIPTOR
    }
}

/// A runtime directory of our own (mode 0700) for the session's socket.
fn private_dir() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("wayray-wlcs-{}-{n}", std::process::id()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}
