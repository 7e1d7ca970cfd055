//! Where the session's output is shown besides capture: nothing (headless, the default, in
//! `crate::session`) or a window on the developer's desktop (`nested`).

pub mod nested;
