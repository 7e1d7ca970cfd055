//! Decoders fed random, truncated and oversize input return errors and never panic.

use proptest::prelude::*;
use wayray_protocol::framing::{FrameDecoder, LENGTH_PREFIX, decode_frame, encode_frame_to_vec};
use wayray_protocol::messages::control::{Hello, PeerInfo};
use wayray_protocol::messages::input::{ButtonState, Key, PointerMotion};
use wayray_protocol::{
    Capabilities, Channel, ClipboardMessage, ControlMessage, DecodeError, DisplayMessage,
    InputMessage, WireMessage,
};

/// Feeds `bytes` to both decoders of message type `M`; only checks that nothing panics and that
/// the two agree on whether a lone frame is acceptable.
fn feed<M: WireMessage + std::fmt::Debug>(bytes: &[u8]) {
    let whole = decode_frame::<M>(bytes);
    let mut decoder = FrameDecoder::<M>::new();
    let mut messages = 0;
    let streamed = decoder.decode_all(bytes, |_| messages += 1);
    if whole.is_ok() {
        assert!(streamed.is_ok());
        assert_eq!(messages, 1);
        assert!(decoder.finish().is_ok());
    }
}

fn hello_frame() -> Vec<u8> {
    encode_frame_to_vec(&ControlMessage::Hello(Hello {
        protocol_version: 1,
        capabilities: Capabilities::empty(),
        client: PeerInfo {
            name: "viewer".into(),
            version: "1".into(),
        },
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        feed::<ControlMessage>(&bytes);
        feed::<DisplayMessage>(&bytes);
        feed::<InputMessage>(&bytes);
        feed::<ClipboardMessage>(&bytes);
    }

    #[test]
    fn random_bodies_behind_a_correct_prefix_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..512)
    ) {
        let mut bytes = (body.len() as u32).to_le_bytes().to_vec();
        bytes.extend_from_slice(&body);
        feed::<ControlMessage>(&bytes);
        feed::<DisplayMessage>(&bytes);
        feed::<InputMessage>(&bytes);
        feed::<ClipboardMessage>(&bytes);
    }

    #[test]
    fn every_truncation_of_a_valid_frame_is_an_error(cut in 1usize..27) {
        let frame = hello_frame();
        let cut = cut.min(frame.len() - 1);
        let err = decode_frame::<ControlMessage>(&frame[..cut]).unwrap_err();
        prop_assert!(matches!(err, DecodeError::Truncated { .. }), "{err}");
        let mut decoder = FrameDecoder::<ControlMessage>::new();
        decoder.decode_all(&frame[..cut], |_| panic!("no message from a truncated frame")).unwrap();
        prop_assert!(decoder.finish().is_err());
    }

    #[test]
    fn single_byte_corruption_never_panics(pos in 0usize..27, value in any::<u8>()) {
        let mut frame = hello_frame();
        let pos = pos.min(frame.len() - 1);
        frame[pos] = value;
        feed::<ControlMessage>(&frame);
    }
}

#[test]
fn oversize_length_is_refused_before_the_body_arrives() {
    let declared = (Channel::Input.max_message_size() + 1) as u32;
    let mut decoder = FrameDecoder::<InputMessage>::new();
    // Only the 4-byte prefix: the decoder must refuse it without waiting for (or reserving room
    // for) the body.
    let err = decoder.handle_bytes(&declared.to_le_bytes());
    assert!(matches!(err, Err(DecodeError::TooLarge { .. })), "{err:?}");
    let mut decoder = FrameDecoder::<DisplayMessage>::new();
    let err = decoder.handle_bytes(&u32::MAX.to_le_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "peer announced a 4294967295-byte display message; the limit is {} bytes",
            Channel::Display.max_message_size()
        )
    );
    // A broken stream stays broken.
    assert!(matches!(
        decoder.handle_bytes(&[0]),
        Err(DecodeError::AfterError { .. })
    ));
}

#[test]
fn a_declared_length_reserves_nothing_before_its_bytes_arrive() {
    // The largest display message a peer may announce, then a trickle of its body.
    let declared = Channel::Display.max_message_size() as u32;
    let mut decoder = FrameDecoder::<DisplayMessage>::new();
    decoder.handle_bytes(&declared.to_le_bytes()).unwrap();
    assert!(
        decoder.reserved_bytes() <= 64 * 1024,
        "{} bytes reserved for a prefix",
        decoder.reserved_bytes()
    );
    decoder.handle_bytes(&[0; 1000]).unwrap();
    assert!(decoder.reserved_bytes() <= 64 * 1024);
}

#[test]
fn trailing_bytes_inside_a_frame_are_refused() {
    let mut frame = encode_frame_to_vec(&InputMessage::Key(Key {
        code: 30,
        state: ButtonState::Pressed,
        time_ms: 0,
    }))
    .unwrap();
    frame.push(0);
    let declared = (frame.len() - LENGTH_PREFIX) as u32;
    frame[..LENGTH_PREFIX].copy_from_slice(&declared.to_le_bytes());
    let err = decode_frame::<InputMessage>(&frame).unwrap_err();
    assert!(
        matches!(err, DecodeError::TrailingBytes { extra: 1, .. }),
        "{err}"
    );
}

#[test]
fn non_finite_coordinates_are_refused() {
    let frame = encode_frame_to_vec(&InputMessage::PointerMotion(PointerMotion {
        x: f64::NAN,
        y: 0.0,
        time_ms: 0,
    }))
    .unwrap();
    let err = decode_frame::<InputMessage>(&frame).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid input message: pointer x is not a finite number"
    );
}

#[test]
fn encoding_an_oversize_message_fails_and_leaves_the_buffer_alone() {
    use wayray_protocol::messages::clipboard::DataChunk;
    use wayray_protocol::secret::SecretBytes;
    let msg = ClipboardMessage::Data(DataChunk {
        transfer_id: 1,
        data: SecretBytes(vec![0; Channel::Clipboard.max_message_size()]),
        last: true,
    });
    let mut out = vec![1, 2, 3];
    let err = wayray_protocol::encode_frame(&msg, &mut out).unwrap_err();
    assert!(err.to_string().contains("exceeds"), "{err}");
    assert_eq!(out, [1, 2, 3]);
}
