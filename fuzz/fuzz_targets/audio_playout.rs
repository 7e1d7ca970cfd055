//! libFuzzer entry of `checks::audio_playout` (see that module for what it feeds and checks).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wayray_fuzz::checks::audio_playout::check(data));
