//! presentation-time: feedback is sent after a frame has been rendered and captured
//! (see `render.rs`).

use smithay::delegate_presentation;

use crate::session::state::State;

delegate_presentation!(State);
