//! Golden byte vectors: the exact bytes of a handful of messages. If one of these fails, the wire
//! format changed: that needs a new `PROTOCOL_VERSION` and an entry in docs/protocol.md, never a
//! silent update of the vector.

use wayray_protocol::framing::{decode_frame, encode_frame_to_vec};
use wayray_protocol::messages::clipboard::{DataChunk, Offer, Selection};
use wayray_protocol::messages::control::{
    Attach, Disconnect, DisconnectReason, FrameAck, Hello, OutputMode, PeerInfo,
};
use wayray_protocol::messages::display::{
    Codec, CursorShape, FrameAfter, FrameUpdate, RegionUpdate,
};
use wayray_protocol::messages::input::{ButtonState, Key, PointerMotion};
use wayray_protocol::secret::{SecretBytes, Token};
use wayray_protocol::{
    Capabilities, ClipboardMessage, ControlMessage, DisplayMessage, InputMessage, Rect, WireMessage,
};

fn check<M: WireMessage + PartialEq + std::fmt::Debug>(msg: M, expected_hex: &str) {
    let bytes = encode_frame_to_vec(&msg).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        expected_hex,
        "wire bytes of {msg:?} changed"
    );
    let decoded: M = decode_frame(&hex::decode(expected_hex).unwrap()).unwrap();
    assert_eq!(decoded, msg);
}

#[test]
fn hello() {
    check(
        ControlMessage::Hello(Hello {
            protocol_version: 1,
            capabilities: Capabilities::H264 | Capabilities::CURSOR,
            client: PeerInfo {
                name: "wayray-client".into(),
                version: "0.1.0".into(),
            },
        }),
        "170000000001030d7761797261792d636c69656e7405302e312e30",
    );
}

#[test]
fn attach() {
    check(
        ControlMessage::Attach(Attach {
            token: Token::new("wr1_abc".into()),
            preferred_mode: Some(OutputMode {
                width: 1920,
                height: 1080,
                scale_120: 180,
            }),
        }),
        "1000000002077772315f61626301800fb808b401",
    );
}

#[test]
fn frame_ack_and_disconnect() {
    check(
        ControlMessage::FrameAck(FrameAck { sequence: 300 }),
        "0300000006ac02",
    );
    check(
        ControlMessage::Disconnect(Disconnect {
            reason: DisconnectReason::SessionMoved,
            message: "session moved to another viewer".into(),
        }),
        "2200000009041f73657373696f6e206d6f76656420746f20616e6f7468657220766965776572",
    );
}

#[test]
fn frame_update() {
    check(
        DisplayMessage::FrameUpdate(FrameUpdate {
            sequence: 7,
            output_width: 640,
            output_height: 480,
            keyframe: false,
            regions: vec![
                RegionUpdate {
                    rect: Rect::new(0, 0, 64, 64),
                    codec: Codec::Solid,
                    payload: vec![0x20, 0x20, 0x20, 0xff],
                },
                RegionUpdate {
                    rect: Rect::new(64, 0, 64, 16),
                    codec: Codec::CopyRect,
                    payload: vec![64, 16],
                },
            ],
        }),
        "1a00000000078005e0030002000040400004202020ff4000401004024010",
    );
    check(
        DisplayMessage::CursorShape(CursorShape::Text),
        "020000000209",
    );
    check(
        DisplayMessage::FrameAfter(FrameAfter {
            after: 5,
            update: FrameUpdate {
                sequence: 9,
                output_width: 640,
                output_height: 480,
                keyframe: false,
                regions: vec![RegionUpdate {
                    rect: Rect::new(0, 0, 64, 64),
                    codec: Codec::Solid,
                    payload: vec![0x20, 0x20, 0x20, 0xff],
                }],
            },
        }),
        "130000000405098005e0030001000040400004202020ff",
    );
}

#[test]
fn input() {
    check(
        InputMessage::Key(Key {
            code: 30,
            state: ButtonState::Pressed,
            time_ms: 1000,
        }),
        "05000000011e01e807",
    );
    check(
        InputMessage::PointerMotion(PointerMotion {
            x: 10.5,
            y: 20.25,
            time_ms: 1,
        }),
        "12000000020000000000002540000000000040344001",
    );
}

#[test]
fn clipboard() {
    check(
        ClipboardMessage::Offer(Offer {
            selection: Selection::Primary,
            offer_id: 1,
            mime_types: vec!["text/plain".into()],
        }),
        "0f000000000101010a746578742f706c61696e",
    );
    check(
        ClipboardMessage::Data(DataChunk {
            transfer_id: 2,
            data: SecretBytes(b"hi".to_vec()),
            last: true,
        }),
        "06000000020202686901",
    );
}
