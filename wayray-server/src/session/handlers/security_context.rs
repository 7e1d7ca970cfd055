//! security-context: a sandbox (Flatpak, for one) asks for a socket of its own; clients that
//! connect through it are marked sandboxed (`ClientState::security_context`) and do not see
//! the privileged globals (wlr-data-control, which reads every copy, and security-context
//! itself). The socket serves until the sandbox closes its end.

use std::sync::Arc;

use smithay::delegate_security_context;
use smithay::wayland::security_context::{
    SecurityContext, SecurityContextHandler, SecurityContextListenerSource,
};

use crate::session::state::{ClientState, State};

impl SecurityContextHandler for State {
    fn context_created(&mut self, source: SecurityContextListenerSource, context: SecurityContext) {
        let inserted = self
            .loop_handle
            .insert_source(source, move |stream, _, state| {
                let data = ClientState {
                    security_context: Some(context.clone()),
                    ..ClientState::default()
                };
                if let Err(err) = state.display_handle.insert_client(stream, Arc::new(data)) {
                    tracing::warn!(%err, "cannot accept a sandboxed client");
                }
            });
        if let Err(err) = inserted {
            tracing::warn!(%err, "cannot listen for a security context's clients");
        }
    }
}

delegate_security_context!(State);
