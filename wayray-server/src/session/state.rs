//! The compositor's state: the Wayland protocol states (`Core`), the windows, the output, and
//! the render/capture target. One `State` per session process; it lives on the compositor
//! thread and is never shared.
//!
//! Must never block: rendering happens in an idle callback after commits, capture hands pixels
//! to a sink that does not wait on the network.

use std::sync::Arc;
use std::time::{Duration, Instant};

use smithay::desktop::{PopupManager, Space};
use smithay::input::keyboard::XkbConfig;
use smithay::input::{Seat, SeatState};
use smithay::output::Output;
use smithay::reexports::calloop::LoopHandle;
use smithay::reexports::wayland_server::DisplayHandle;
use smithay::reexports::wayland_server::backend::{ClientData, ClientId, DisconnectReason};
use smithay::wayland::compositor::{CompositorClientState, CompositorState};
use smithay::wayland::cursor_shape::CursorShapeManagerState;
use smithay::wayland::fractional_scale::FractionalScaleManagerState;
use smithay::wayland::keyboard_shortcuts_inhibit::KeyboardShortcutsInhibitState;
use smithay::wayland::output::OutputManagerState;
use smithay::wayland::pointer_constraints::PointerConstraintsState;
use smithay::wayland::presentation::PresentationState;
use smithay::wayland::relative_pointer::RelativePointerManagerState;
use smithay::wayland::selection::data_device::DataDeviceState;
use smithay::wayland::selection::primary_selection::PrimarySelectionState;
use smithay::wayland::shell::xdg::XdgShellState;
use smithay::wayland::shell::xdg::decoration::XdgDecorationState;
use smithay::wayland::shm::ShmState;
use smithay::wayland::single_pixel_buffer::SinglePixelBufferState;
use smithay::wayland::viewporter::ViewporterState;
use smithay::wayland::xdg_activation::XdgActivationState;

use crate::session::command::{SessionConfig, SessionError};
use crate::session::output::OutputConfig;
use crate::session::render::RenderTarget;
use crate::session::window::AppWindow;
use crate::session::wm::{Size, WindowManager};

/// The protocol states of every global the compositor offers.
#[derive(Debug)]
pub struct Core {
    pub compositor: CompositorState,
    pub xdg_shell: XdgShellState,
    pub xdg_decoration: XdgDecorationState,
    pub shm: ShmState,
    pub seat_state: SeatState<State>,
    pub output_manager: OutputManagerState,
    pub data_device: DataDeviceState,
    pub primary_selection: PrimarySelectionState,
    pub viewporter: ViewporterState,
    pub fractional_scale: FractionalScaleManagerState,
    pub presentation: PresentationState,
    pub cursor_shape: CursorShapeManagerState,
    pub single_pixel_buffer: SinglePixelBufferState,
    pub xdg_activation: XdgActivationState,
    pub relative_pointer: RelativePointerManagerState,
    pub pointer_constraints: PointerConstraintsState,
    pub keyboard_shortcuts_inhibit: KeyboardShortcutsInhibitState,
    /// xwayland-shell (Xwayland ≥ 23.1 tells which surface shows which X11 window).
    pub xwayland_shell: smithay::wayland::xwayland_shell::XWaylandShellState,
    pub data_control: smithay::wayland::selection::wlr_data_control::DataControlState,
    pub security_context: smithay::wayland::security_context::SecurityContextState,
    pub idle_inhibit: smithay::wayland::idle_inhibit::IdleInhibitManagerState,
    pub xdg_foreign: smithay::wayland::xdg_foreign::XdgForeignState,
    pub content_type: smithay::wayland::content_type::ContentTypeState,
    /// wlr-layer-shell (panels, launchers, notifications); not for sandboxed clients.
    pub layer_shell: smithay::wayland::shell::wlr_layer::WlrLayerShellState,
    /// text-input-v3 (applications) and input-method-v2 (input methods; not for sandboxed
    /// clients).
    pub text_input: smithay::wayland::text_input::TextInputManagerState,
    pub input_method: smithay::wayland::input_method::InputMethodManagerState,
    /// virtual-keyboard-v1 (not for sandboxed clients): an input method sends the keys it
    /// does not compose on to the application through it (fcitx5 binds it with
    /// input-method-v2 and needs both).
    pub virtual_keyboard: smithay::wayland::virtual_keyboard::VirtualKeyboardManagerState,
}

impl Core {
    /// Creates every global on `dh`; sandboxed clients (see [`ClientState`]) do not see the
    /// privileged ones.
    pub fn new(dh: &DisplayHandle) -> Self {
        let primary_selection = PrimarySelectionState::new::<State>(dh);
        let data_control = smithay::wayland::selection::wlr_data_control::DataControlState::new::<
            State,
            _,
        >(dh, Some(&primary_selection), not_sandboxed);
        Self {
            compositor: CompositorState::new::<State>(dh),
            xdg_shell: XdgShellState::new::<State>(dh),
            xdg_decoration: XdgDecorationState::new::<State>(dh),
            shm: ShmState::new::<State>(dh, vec![]),
            seat_state: SeatState::new(),
            output_manager: OutputManagerState::new_with_xdg_output::<State>(dh),
            data_device: DataDeviceState::new::<State>(dh),
            primary_selection,
            viewporter: ViewporterState::new::<State>(dh),
            fractional_scale: FractionalScaleManagerState::new::<State>(dh),
            // CLOCK_MONOTONIC: what presentation times are measured in.
            presentation: PresentationState::new::<State>(dh, 1),
            cursor_shape: CursorShapeManagerState::new::<State>(dh),
            single_pixel_buffer: SinglePixelBufferState::new::<State>(dh),
            xdg_activation: XdgActivationState::new::<State>(dh),
            relative_pointer: RelativePointerManagerState::new::<State>(dh),
            pointer_constraints: PointerConstraintsState::new::<State>(dh),
            keyboard_shortcuts_inhibit: KeyboardShortcutsInhibitState::new::<State>(dh),
            xwayland_shell: smithay::wayland::xwayland_shell::XWaylandShellState::new::<State>(dh),
            data_control,
            security_context: smithay::wayland::security_context::SecurityContextState::new::<
                State,
                _,
            >(dh, not_sandboxed),
            idle_inhibit: smithay::wayland::idle_inhibit::IdleInhibitManagerState::new::<State>(dh),
            xdg_foreign: smithay::wayland::xdg_foreign::XdgForeignState::new::<State>(dh),
            content_type: smithay::wayland::content_type::ContentTypeState::new::<State>(dh),
            layer_shell: smithay::wayland::shell::wlr_layer::WlrLayerShellState::new_with_filter::<
                State,
                _,
            >(dh, not_sandboxed),
            text_input: smithay::wayland::text_input::TextInputManagerState::new::<State>(dh),
            input_method: smithay::wayland::input_method::InputMethodManagerState::new::<State, _>(
                dh,
                not_sandboxed,
            ),
            virtual_keyboard: smithay::wayland::virtual_keyboard::VirtualKeyboardManagerState::new::<
                State,
                _,
            >(dh, not_sandboxed),
        }
    }
}

/// Everything the compositor thread owns.
pub struct State {
    pub core: Core,
    pub display_handle: DisplayHandle,
    pub loop_handle: LoopHandle<'static, State>,
    pub seat: Seat<State>,
    pub space: Space<AppWindow>,
    pub popups: PopupManager,
    /// The last popup grab started (an open menu's chain), to dismiss it when another window
    /// takes the keyboard.
    pub menu_grab: Option<smithay::desktop::PopupGrab<State>>,
    pub wm: WindowManager<AppWindow>,
    pub output: Output,
    pub output_config: OutputConfig,
    pub target: RenderTarget,
    /// A render is queued as an idle callback; commits in the meantime join it.
    pub render_scheduled: bool,
    /// When clients last got their frame callbacks, and whether a timer will send the next.
    pub frame_pacing: Pacing,
    pub start: Instant,
    /// The clock presentation feedback is measured in (CLOCK_MONOTONIC).
    pub clock: smithay::utils::Clock<smithay::utils::Monotonic>,
    /// Counts rendered frames (tests and stats read it).
    pub frames: u64,
    /// Where each window was at the last render, to tell the encoder about moves.
    pub window_rects: std::collections::HashMap<u64, wayray_protocol::Rect>,
    /// Time spent rendering and capturing, summed over all frames (benchmarks read it).
    pub render_time: Duration,
    pub running: bool,
    /// The cursor the focused client asked for; sent to the viewer, never drawn.
    pub cursor: smithay::input::pointer::CursorImageStatus,
    /// Where cursor changes go (the link to the viewer), if anywhere.
    pub cursor_sink: Option<crate::session::cursor::CursorSink>,
    /// The cursor last sent to the sink.
    pub cursor_sent: Option<crate::session::cursor::Cursor>,
    /// Keys whose press was a compositor shortcut: their release is not sent to clients either.
    pub intercepted_keys: std::collections::HashSet<u32>,
    /// The applications started in this session.
    pub apps: crate::session::apps::Apps,
    /// The session's X server, when X11 apps are on.
    pub x11: Option<crate::session::xwayland::X11>,
    /// Where the session's selections go and pastes of the desk's come from (the link).
    pub clipboard: Option<crate::session::clipboard::ClipboardSink>,
    /// Where the pointer's focused surface was when the pointer last moved or was re-targeted
    /// (`pointer_focus.rs`).
    pub pointer_origin: Option<smithay::utils::Point<f64, smithay::utils::Logical>>,
    /// The surface whose pointer constraint is active (`pointer_lock.rs`).
    pub constrained: Option<smithay::reexports::wayland_server::protocol::wl_surface::WlSurface>,
    /// Where the viewer last put the pointer (a locked pointer stays elsewhere).
    pub viewer_pointer: Option<smithay::utils::Point<f64, smithay::utils::Logical>>,
    /// The surface each touch point is down on (`touch.rs`).
    pub touch_points: std::collections::HashMap<
        u32,
        smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
    >,
    /// Clients an embedding harness knows by a number (`SessionCommand::InsertTaggedClient`).
    pub tagged_clients: std::collections::HashMap<i32, smithay::reexports::wayland_server::Client>,
    /// Positioners whose anchor rectangle has a zero side (`handlers/positioner.rs`).
    pub zero_anchors: crate::session::handlers::ZeroAnchors,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("output_config", &self.output_config)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl State {
    /// The compositor's state for `config`: every global, the output and its render target,
    /// the seat with keyboard, pointer and touch, and no window yet.
    pub fn new(
        dh: DisplayHandle,
        loop_handle: LoopHandle<'static, State>,
        config: &SessionConfig,
        apps: crate::session::apps::Apps,
    ) -> Result<Self, SessionError> {
        let mut core = Core::new(&dh);
        let output = config.output.create_output();
        let _global = output.create_global::<State>(&dh);
        let mut space = Space::default();
        space.map_output(&output, (0, 0));
        let target = RenderTarget::new(
            &output,
            config.output.width,
            config.output.height,
            Box::new(crate::session::capture::NullSink),
        )?;
        let mut seat = core.seat_state.new_wl_seat(&dh, "seat0");
        let xkb = XkbConfig {
            layout: &config.keyboard_layout,
            ..XkbConfig::default()
        };
        if seat.add_keyboard(xkb, 400, 30).is_err() {
            tracing::warn!(layout = %config.keyboard_layout, "unknown keyboard layout, using us");
            seat.add_keyboard(XkbConfig::default(), 400, 30)
                .map_err(|e| SessionError::Display(format!("no usable keymap: {e:?}")))?;
        }
        seat.add_pointer();
        seat.add_touch();
        let logical = config.output.logical_size();
        Ok(State {
            core,
            display_handle: dh,
            loop_handle,
            seat,
            space,
            popups: PopupManager::default(),
            menu_grab: None,
            wm: WindowManager::new(Size::new(logical.w, logical.h)),
            output,
            output_config: config.output,
            target,
            render_scheduled: false,
            frame_pacing: Pacing::default(),
            start: Instant::now(),
            clock: smithay::utils::Clock::new(),
            frames: 0,
            window_rects: std::collections::HashMap::new(),
            render_time: std::time::Duration::ZERO,
            running: true,
            cursor: smithay::input::pointer::CursorImageStatus::default_named(),
            cursor_sink: None,
            cursor_sent: None,
            intercepted_keys: std::collections::HashSet::new(),
            apps,
            x11: None,
            clipboard: None,
            pointer_origin: None,
            touch_points: Default::default(),
            constrained: None,
            viewer_pointer: None,
            tagged_clients: std::collections::HashMap::new(),
            zero_anchors: Default::default(),
        })
    }

    /// Time since the compositor started, for frame callbacks.
    pub fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

/// Per-client data smithay needs.
#[derive(Debug, Default)]
pub struct ClientState {
    pub compositor_state: CompositorClientState,
    /// The sandbox this client connected through (security-context), if any.
    pub security_context: Option<smithay::wayland::security_context::SecurityContext>,
}

/// Whether `client` may see privileged globals: every client but those that connected
/// through a security context.
fn not_sandboxed(client: &smithay::reexports::wayland_server::Client) -> bool {
    client
        .get_data::<ClientState>()
        .is_none_or(|data| data.security_context.is_none())
}

impl ClientData for ClientState {
    fn initialized(&self, _client_id: ClientId) {}
    fn disconnected(&self, client_id: ClientId, reason: DisconnectReason) {
        tracing::debug!(?client_id, ?reason, "client disconnected");
    }
}

/// Shared handle type for client data.
pub fn new_client_data() -> Arc<ClientState> {
    Arc::new(ClientState::default())
}

/// The frame-callback clock (`frame.rs` paces callbacks to the output's refresh).
#[derive(Debug, Default)]
pub struct Pacing {
    /// When clients last got their frame callbacks.
    pub last: Option<Instant>,
    /// A timer will send the next ones.
    pub waiting: bool,
    /// The viewer's link has a frame waiting for room in the frames in flight.
    pub backlogged: bool,
    /// Frame callbacks were due while backlogged; they go out when the backlog clears.
    pub held: bool,
}
