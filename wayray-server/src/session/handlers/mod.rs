//! One file per Wayland protocol: the `impl XHandler for State` and its `delegate_*!` macro.
//! Handlers translate protocol requests into calls on the state or the window manager; policy
//! (where a window goes, who gets focus) lives in `crate::session::wm`, not here. Where
//! smithay's handling of an interface falls short of its protocol, a file here dispatches that
//! interface itself and hands every request on to smithay (`subsurface`, `stacking`,
//! `positioner`, `xdg_wm_base`).

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
mod positioner;
mod presentation;
mod seat;
mod security_context;
mod selection;
mod stacking;
mod subsurface;
mod xdg_activation;
mod xdg_shell;
mod xdg_wm_base;

pub use positioner::ZeroAnchors;
