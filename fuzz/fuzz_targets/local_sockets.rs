//! libFuzzer entry of `checks::local_sockets` (see that module for what it feeds and checks).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wayray_fuzz::checks::local_sockets::check(data));
