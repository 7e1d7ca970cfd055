//! Shared fixtures for WayRay's end-to-end tests: private runtime dirs, finding real programs
//! (a missing one skips a test on a developer's machine but fails it in CI), a running session
//! with real clients, and pixel helpers.

pub mod accounts;
pub mod daemon;
pub mod desk_sound;
pub mod etcd;
pub mod film;
pub mod fixture;
pub mod keys;
pub mod load;
pub mod multi_user;
pub mod one_loop;
pub mod peers;
pub mod pixels;
pub mod pointer;
pub mod ports;
pub mod programs;
pub mod raw_quic;
pub mod relay;
pub mod remote;
pub mod runtime_dir;
pub mod tone;
pub mod viewing;
pub mod wait;
pub mod wl_client;
pub mod xvfb;
