//! xdg-activation: a client that holds a fresh token may raise and focus its window.

use std::time::Duration;

use smithay::delegate_xdg_activation;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::wayland::xdg_activation::{
    XdgActivationHandler, XdgActivationState, XdgActivationToken, XdgActivationTokenData,
};

use crate::session::state::State;

/// Tokens older than this are ignored, so a stale token cannot steal focus later.
const TOKEN_LIFETIME: Duration = Duration::from_secs(10);

impl XdgActivationHandler for State {
    fn activation_state(&mut self) -> &mut XdgActivationState {
        &mut self.core.xdg_activation
    }

    fn request_activation(
        &mut self,
        token: XdgActivationToken,
        token_data: XdgActivationTokenData,
        surface: WlSurface,
    ) {
        if token_data.timestamp.elapsed() < TOKEN_LIFETIME
            && let Some(window) = self.window_for_surface(&surface)
        {
            self.wm_activate(&window);
        }
        self.core.xdg_activation.remove_token(&token);
    }
}

delegate_xdg_activation!(State);
