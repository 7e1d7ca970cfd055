//! libFuzzer entry of `checks::decode_region` (see that module for what it feeds and checks).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wayray_fuzz::checks::decode_region::check(data));
