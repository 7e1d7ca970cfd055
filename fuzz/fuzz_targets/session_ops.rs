//! libFuzzer entry of `checks::session_ops` (see that module for what it feeds and checks).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wayray_fuzz::checks::session_ops::check(data));
