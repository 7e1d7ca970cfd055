//! Property tests: every message survives encode → decode, and a message that breaks a rule is
//! refused by the decoder instead of being delivered.

use proptest::prelude::*;

use crate::framing::{FrameDecoder, LENGTH_PREFIX, decode_frame, encode_frame_to_vec};
use crate::messages::display::{Codec, CursorImage, FrameUpdate, RegionUpdate};
use crate::{
    ClipboardMessage, ControlMessage, DecodeError, DisplayMessage, InputMessage, Rect, WireMessage,
};

fn region_in(width: u32, height: u32) -> impl Strategy<Value = RegionUpdate> {
    (0..width, 0..height)
        .prop_flat_map(move |(x, y)| (Just(x), Just(y), 1..=width - x, 1..=height - y))
        .prop_flat_map(|(x, y, w, h)| {
            (
                Just(Rect::new(x, y, w, h)),
                any::<Codec>(),
                proptest::collection::vec(any::<u8>(), 0..64),
            )
        })
        .prop_map(|(rect, codec, payload)| RegionUpdate {
            rect,
            codec,
            payload,
        })
}

impl Arbitrary for FrameUpdate {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    /// Mostly valid frames (regions inside the output), sometimes arbitrary ones.
    fn arbitrary_with((): ()) -> Self::Strategy {
        let valid = (1..4096u32, 1..4096u32)
            .prop_flat_map(|(w, h)| {
                (
                    any::<u64>(),
                    Just(w),
                    Just(h),
                    any::<bool>(),
                    proptest::collection::vec(region_in(w, h), 0..6),
                )
            })
            .prop_map(
                |(sequence, output_width, output_height, keyframe, regions)| FrameUpdate {
                    sequence,
                    output_width,
                    output_height,
                    keyframe,
                    regions,
                },
            );
        let any_frame = (
            any::<u64>(),
            any::<u32>(),
            any::<u32>(),
            any::<(u32, u32, u32, u32)>(),
        )
            .prop_map(
                |(sequence, output_width, output_height, (x, y, w, h))| FrameUpdate {
                    sequence,
                    output_width,
                    output_height,
                    keyframe: false,
                    regions: vec![RegionUpdate {
                        rect: Rect::new(x, y, w, h),
                        codec: Codec::RawZstd,
                        payload: vec![],
                    }],
                },
            );
        prop_oneof![4 => valid, 1 => any_frame].boxed()
    }
}

impl Arbitrary for CursorImage {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        (1..=32u32, 1..=32u32)
            .prop_flat_map(|(w, h)| {
                (
                    Just(w),
                    Just(h),
                    0..w,
                    0..h,
                    proptest::collection::vec(any::<u8>(), (w * h * 4) as usize),
                )
            })
            .prop_map(
                |(width, height, hotspot_x, hotspot_y, pixels)| CursorImage {
                    width,
                    height,
                    hotspot_x,
                    hotspot_y,
                    pixels,
                },
            )
            .boxed()
    }
}

/// The round-trip property for one message type.
fn check<M: WireMessage + PartialEq + std::fmt::Debug>(msg: &M) -> Result<(), TestCaseError> {
    let bytes = encode_frame_to_vec(msg).expect("every generated message fits its channel");
    let tag = bytes[LENGTH_PREFIX] as usize;
    prop_assert_eq!(
        M::VARIANTS[tag],
        msg.name(),
        "VARIANTS is out of wire order"
    );
    match (msg.validate(), decode_frame::<M>(&bytes)) {
        (Ok(()), Ok(decoded)) => {
            prop_assert_eq!(&decoded, msg);
            prop_assert_eq!(encode_frame_to_vec(&decoded).unwrap(), bytes.clone());
        }
        (Err(_), Err(DecodeError::Invalid { .. })) => {}
        (valid, decoded) => {
            prop_assert!(false, "validate: {valid:?}, decode: {decoded:?}");
        }
    }
    // The stream decoder agrees, whatever way the bytes are split.
    if msg.validate().is_ok() {
        for split in [1, 3, bytes.len() / 2 + 1] {
            let mut decoder = FrameDecoder::<M>::new();
            let mut out = Vec::new();
            for piece in bytes.chunks(split) {
                decoder.decode_all(piece, |m| out.push(m)).unwrap();
            }
            prop_assert!(decoder.finish().is_ok());
            prop_assert_eq!(out.len(), 1);
            prop_assert_eq!(&out[0], msg);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn control_round_trips(msg in any::<ControlMessage>()) {
        check(&msg)?;
    }

    #[test]
    fn display_round_trips(msg in any::<DisplayMessage>()) {
        check(&msg)?;
    }

    #[test]
    fn input_round_trips(msg in any::<InputMessage>()) {
        check(&msg)?;
    }

    #[test]
    fn clipboard_round_trips(msg in any::<ClipboardMessage>()) {
        check(&msg)?;
    }

    #[test]
    fn audio_datagrams_round_trip(msg in any::<crate::messages::audio::AudioMessage>()) {
        let body = crate::framing::encode_body(&msg).unwrap();
        let back = crate::framing::decode_datagram::<crate::messages::audio::AudioMessage>(&body);
        match msg.validate() {
            Ok(()) => prop_assert_eq!(back.unwrap(), msg),
            Err(_) => prop_assert!(back.is_err()),
        }
    }

    #[test]
    fn any_datagram_decodes_or_errs(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = crate::framing::decode_datagram::<crate::messages::audio::AudioMessage>(&bytes);
    }

    #[test]
    fn link_requests_round_trip(msg in any::<crate::messages::link::LinkRequest>()) {
        check(&msg)?;
    }

    #[test]
    fn link_replies_round_trip(msg in any::<crate::messages::link::LinkReply>()) {
        check(&msg)?;
    }

    #[test]
    fn a_stream_of_many_messages_decodes_in_order(
        msgs in proptest::collection::vec(any::<InputMessage>(), 0..40),
        split in 1usize..64,
    ) {
        let valid: Vec<_> = msgs.into_iter().filter(|m| m.validate().is_ok()).collect();
        let mut stream = Vec::new();
        for m in &valid {
            crate::encode_frame(m, &mut stream).unwrap();
        }
        let mut decoder = FrameDecoder::<InputMessage>::new();
        let mut out = Vec::new();
        for piece in stream.chunks(split) {
            decoder.decode_all(piece, |m| out.push(m)).unwrap();
        }
        prop_assert!(decoder.is_idle());
        prop_assert_eq!(out, valid);
    }
}
