//! docs/protocol.md documents the version and the message tables of the code.

use wayray_protocol::{
    Capabilities, ClipboardMessage, ControlMessage, DisplayMessage, InputMessage, PROTOCOL_VERSION,
    WireMessage,
};

fn spec() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md");
    std::fs::read_to_string(path).expect("docs/protocol.md exists")
}

/// The `(tag, name)` rows of the first table after `heading`.
fn table_after(spec: &str, heading: &str) -> Vec<(usize, String)> {
    let start = spec
        .find(heading)
        .unwrap_or_else(|| panic!("docs/protocol.md has no heading {heading:?}"));
    spec[start..]
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| {
            let cells: Vec<_> = line.split('|').map(str::trim).collect();
            Some((cells.get(1)?.parse().ok()?, cells.get(2)?.to_string()))
        })
        .collect()
}

fn expected<M: WireMessage>() -> Vec<(usize, String)> {
    M::VARIANTS
        .iter()
        .enumerate()
        .map(|(i, n)| (i, n.to_string()))
        .collect()
}

#[test]
fn version_matches() {
    assert!(
        spec().contains(&format!("Protocol version: **{PROTOCOL_VERSION}**")),
        "docs/protocol.md must state `Protocol version: **{PROTOCOL_VERSION}**`"
    );
}

#[test]
fn message_tables_match() {
    let spec = spec();
    assert_eq!(
        table_after(&spec, "### Control messages"),
        expected::<ControlMessage>()
    );
    assert_eq!(
        table_after(&spec, "### Display messages"),
        expected::<DisplayMessage>()
    );
    assert_eq!(
        table_after(&spec, "### Input messages"),
        expected::<InputMessage>()
    );
    assert_eq!(
        table_after(&spec, "### Link requests"),
        expected::<wayray_protocol::messages::link::LinkRequest>()
    );
    assert_eq!(
        table_after(&spec, "### Link replies"),
        expected::<wayray_protocol::messages::link::LinkReply>()
    );
    assert_eq!(
        table_after(&spec, "### Clipboard messages"),
        expected::<ClipboardMessage>()
    );
    assert_eq!(
        table_after(&spec, "### Audio messages"),
        expected::<wayray_protocol::messages::audio::AudioMessage>()
    );
}

#[test]
fn capability_bits_match() {
    let spec = spec();
    let rows = table_after(&spec, "Capabilities are a `u64` bit set");
    let code: Vec<_> = Capabilities::KNOWN
        .iter()
        .map(|(cap, name)| (cap.bits().trailing_zeros() as usize, name.to_string()))
        .collect();
    assert_eq!(rows, code);
}
