//! Feeds arbitrary bytes to every channel's decoders, whole and as a stream split at a point
//! chosen by the input. Any panic is a bug: peer bytes must only ever produce errors.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wayray_protocol::framing::{FrameDecoder, decode_frame};
use wayray_protocol::{ClipboardMessage, ControlMessage, DisplayMessage, InputMessage, WireMessage};

fn run<M: WireMessage>(split: usize, data: &[u8]) {
    let _ = decode_frame::<M>(data);
    let _ = wayray_protocol::version::peek_hello_version(data);
    let mut decoder = FrameDecoder::<M>::new();
    let (a, b) = data.split_at(split.min(data.len()));
    let result = decoder
        .decode_all(a, |m| drop(m.validate()))
        .and_then(|()| decoder.decode_all(b, |m| drop(m.validate())));
    if result.is_ok() {
        let _ = decoder.finish();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(selector >> 2);
    match selector & 3 {
        0 => run::<ControlMessage>(split, rest),
        1 => run::<DisplayMessage>(split, rest),
        2 => run::<InputMessage>(split, rest),
        _ => run::<ClipboardMessage>(split, rest),
    }
});
