//! libFuzzer entry of `checks::h264` (see that module for what it feeds and checks).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wayray_fuzz::checks::h264::check(data));
