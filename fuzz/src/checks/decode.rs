//! Feeds arbitrary bytes to every channel's decoders, whole and as a stream split at a point
//! chosen by the input, and as an audio datagram (one bare message). Any panic is a bug: peer
//! bytes must only ever produce errors.

use wayray_protocol::framing::{FrameDecoder, decode_datagram, decode_frame};
use wayray_protocol::messages::audio::AudioMessage;
use wayray_protocol::messages::link::{LinkReply, LinkRequest};
use wayray_protocol::{
    ClipboardMessage, ControlMessage, DisplayMessage, InputMessage, WireMessage,
};

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

/// One input; panics on a bug.
pub fn check(data: &[u8]) {
    // Audio datagrams come whole, each one message: every input is also one.
    let _ = decode_datagram::<AudioMessage>(data);
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(selector >> 3);
    match selector & 7 {
        0 | 6 => run::<ControlMessage>(split, rest),
        1 | 7 => run::<DisplayMessage>(split, rest),
        2 => run::<InputMessage>(split, rest),
        3 => run::<ClipboardMessage>(split, rest),
        // The link between the daemon and a session process: each side decodes what the
        // other sends, and the session process runs as the session's user.
        4 => run::<LinkRequest>(split, rest),
        _ => run::<LinkReply>(split, rest),
    }
}
