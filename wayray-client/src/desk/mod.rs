//! The desk's own keyboard layout, so that the session turns key codes into the characters
//! printed on this desk's keycaps without any configuration: on a Wayland desk from the keymap
//! its compositor hands every client (`wayland.rs`, names from `registry.rs`), on an X11 desk
//! from the names its X server publishes (`x11.rs`). A Wayland desk is asked first, as the
//! window opens there too.

pub mod registry;
mod wayland;
mod x11;

pub use wayland::{layout_from_keymap, socket_from_env, wayland_keymap};
pub use x11::{parse_rules_names, x11_keymap};

use wayray_protocol::messages::input::KeymapLayout;

/// The layout in effect on this desk (from `WAYLAND_DISPLAY`, else `DISPLAY`), if any.
pub fn keymap() -> Option<KeymapLayout> {
    if let Some(layout) = socket_from_env().and_then(|socket| wayland_keymap(&socket)) {
        return Some(layout);
    }
    let display = std::env::var("DISPLAY").ok().filter(|d| !d.is_empty())?;
    x11_keymap(&display)
}
