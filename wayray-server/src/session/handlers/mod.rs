//! One file per Wayland protocol: the `impl XHandler for State` and its `delegate_*!` macro.
//! Handlers translate protocol requests into calls on the state or the window manager; policy
//! (where a window goes, who gets focus) lives in `crate::session::wm`, not here.

mod compositor;
mod data_control;
mod decoration;
mod desk_clipboard;
mod input_method;
mod keyboard_shortcuts_inhibit;
mod layer_shell;
mod misc;
mod output;
mod pointer;
mod presentation;
mod seat;
mod security_context;
mod selection;
mod subsurface;
mod xdg_activation;
mod xdg_shell;
