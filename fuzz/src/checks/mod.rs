//! What each fuzz target feeds and checks, one module per target, each with `check(data)`:
//! called by libFuzzer from `fuzz_targets/`, and by the workspace's `fuzz_regressions` test
//! for the inputs kept in `fuzz/regressions/` (which includes this folder by path, so both run
//! the same code).

pub mod audio_playout;
pub mod config_files;
pub mod decode;
pub mod decode_region;
pub mod h264;
pub mod local_sockets;
pub mod session_ops;
