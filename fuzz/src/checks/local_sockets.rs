//! The JSON lines of WayRay's local sockets, each read by a process that trusts the writer less
//! than itself: admin requests (from any member of the admin group, read by the daemon), admin
//! replies (read by `wayray-ctl`), and the session helper's requests (from the daemon's
//! unprivileged user, read by the root helper) and replies. Any panic is a bug, and whatever
//! parses must survive a round trip through its own serialization unchanged.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wayray_protocol::admin::{AdminReply, AdminRequest};
use wayray_server::sessiond_wire::{HelperReply, HelperRequest, MAX_REQUEST};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(line: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(line) else {
        return;
    };
    let again = serde_json::to_vec(&value).expect("a parsed value serializes");
    let back: T = serde_json::from_slice(&again).expect("its own serialization parses");
    // Floats may lose their last bit through text; compare the serializations instead.
    if back != value {
        assert_eq!(serde_json::to_vec(&back).unwrap(), again);
    }
}

/// One input; panics on a bug.
pub fn check(data: &[u8]) {
    let Some((&selector, line)) = data.split_first() else {
        return;
    };
    match selector % 4 {
        0 => round_trip::<AdminRequest>(line),
        1 => round_trip::<AdminReply>(line),
        2 => round_trip::<HelperRequest>(&line[..line.len().min(MAX_REQUEST)]),
        _ => round_trip::<HelperReply>(line),
    }
}
