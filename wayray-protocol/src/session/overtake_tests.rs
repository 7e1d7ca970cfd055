use std::collections::BTreeMap;

use super::*;
use crate::codec::encode_copy_rect;
use crate::messages::display::RegionUpdate;

fn region(codec: Codec, rect: Rect, payload: Vec<u8>) -> RegionUpdate {
    RegionUpdate {
        rect,
        codec,
        payload,
    }
}

fn frame(sequence: u64, keyframe: bool, regions: Vec<RegionUpdate>) -> FrameUpdate {
    FrameUpdate {
        sequence,
        output_width: 1280,
        output_height: 800,
        keyframe,
        regions,
    }
}

const VIDEO: Rect = Rect::new(0, 0, 640, 360);
const LINE: Rect = Rect::new(0, 700, 1280, 20);

fn video(sequence: u64) -> FrameUpdate {
    frame(
        sequence,
        false,
        vec![region(Codec::H264, VIDEO, vec![0; 100])],
    )
}

fn typed(sequence: u64) -> FrameUpdate {
    frame(
        sequence,
        false,
        vec![region(Codec::Palette, LINE, vec![1; 10])],
    )
}

/// The first frame, a keyframe.
fn keyframe() -> FrameUpdate {
    frame(1, true, vec![region(Codec::Solid, VIDEO, vec![0; 4])])
}

/// A planner whose keyframe was sent and acknowledged.
fn keyframe_applied() -> Planner {
    let mut planner = Planner::default();
    planner.sent(&keyframe());
    planner.acked(1);
    planner
}

#[test]
fn a_frame_away_from_the_video_overtakes_the_video_frames_in_flight() {
    let mut planner = keyframe_applied();
    planner.sent(&video(2));
    planner.sent(&video(3));
    assert_eq!(
        planner.after(&typed(4)),
        Some(1),
        "waits only for the keyframe"
    );
    planner.acked(2);
    assert_eq!(planner.after(&typed(4)), Some(2));
    // A lossless frame in flight is not overtaken, nor what came before it.
    planner.sent(&typed(4));
    planner.sent(&video(5));
    assert_eq!(planner.after(&typed(6)), Some(4));
    planner.sent(&typed(6));
    assert_eq!(
        planner.after(&typed(7)),
        Some(6),
        "right after a lossless frame that may go ahead of the video in flight: follows it"
    );
    planner.acked(5);
    assert_eq!(
        planner.after(&typed(7)),
        None,
        "no video in flight: in sequence"
    );
    planner.sent(&video(7));
    planner.sent(&typed(8));
    planner.sent(&typed(9));
    assert_eq!(planner.after(&typed(11)), None, "not the next frame");
}

#[test]
fn a_frame_stays_apart_from_every_video_frame_in_flight() {
    let mut planner = keyframe_applied();
    planner.sent(&video(2));
    planner.sent(&typed(3));
    planner.sent(&frame(
        4,
        false,
        vec![region(Codec::H264, LINE, vec![0; 4])],
    ));
    // 5 would overtake 4 (apart) and wait for 3, which may go ahead of 2: it must be apart
    // from 2 as well.
    let over_video = frame(5, false, vec![region(Codec::Palette, VIDEO, vec![1; 4])]);
    assert_eq!(planner.after(&over_video), None);
}

#[test]
fn a_frame_that_touches_the_video_or_plays_it_goes_in_sequence() {
    let mut planner = Planner::default();
    planner.sent(&keyframe());
    planner.sent(&video(2));
    let over = frame(
        3,
        false,
        vec![region(
            Codec::Palette,
            Rect::new(600, 300, 100, 100),
            vec![],
        )],
    );
    assert_eq!(planner.after(&over), None, "writes into the video");
    let copy_from_video = frame(
        3,
        false,
        vec![region(
            Codec::CopyRect,
            Rect::new(0, 400, 100, 100),
            encode_copy_rect(10, 10),
        )],
    );
    assert_eq!(
        planner.after(&copy_from_video),
        None,
        "copies from the video"
    );
    let broken_copy = frame(3, false, vec![region(Codec::CopyRect, LINE, vec![1, 2])]);
    assert_eq!(planner.after(&broken_copy), None);
    assert_eq!(
        planner.after(&video(3)),
        None,
        "video frames keep their order"
    );
    assert_eq!(
        planner.after(&frame(3, true, vec![])),
        None,
        "keyframes wait for nothing"
    );
    let copy_elsewhere = frame(
        3,
        false,
        vec![region(Codec::CopyRect, LINE, encode_copy_rect(0, 680))],
    );
    assert_eq!(planner.after(&copy_elsewhere), Some(1));
}

/// Runs the viewer's side over frames arriving in `order`, applying each frame handed out
/// at once; returns the sequences handed out and the acknowledgements, in order.
fn viewer(frames: &[(FrameUpdate, Option<u64>)], order: &[usize]) -> (Vec<u64>, Vec<u64>) {
    let mut ahead = Ahead::default();
    let mut pending = BTreeMap::new();
    let mut shown: Option<u64> = None;
    let (mut out, mut acks) = (Vec::new(), Vec::new());
    for &i in order {
        let (update, after) = frames[i].clone();
        if let Some(after) = after {
            ahead.arrived(update.sequence, after);
        }
        pending.insert(update.sequence, update);
        loop {
            if let Some(s) = shown
                && ahead.pass(s + 1)
            {
                shown = Some(s + 1);
                continue;
            }
            let Some(next) = pending.first_key_value().map(|(k, f)| (*k, f.keyframe)) else {
                break;
            };
            if !(next.1 || shown.is_some_and(|s| next.0 == s + 1)) {
                break;
            }
            pending.remove(&next.0);
            shown = Some(next.0);
            out.push(next.0);
            acks.extend(ahead.acknowledge(next.0));
        }
        if let Some(s) = shown {
            for frame in ahead.release(s, &mut pending) {
                out.push(frame.sequence);
                acks.extend(ahead.acknowledge(frame.sequence));
            }
        }
    }
    (out, acks)
}

#[test]
fn the_viewer_applies_an_overtaking_frame_early_and_acknowledges_it_with_the_frames_before() {
    let frames = [
        (frame(1, true, vec![]), None),
        (video(2), None),
        (video(3), None),
        (typed(4), Some(1)),
        (video(5), None),
    ];
    // The echo (4) arrives before the two video frames it overtakes.
    let (out, acks) = viewer(&frames, &[0, 3, 1, 2, 4]);
    assert_eq!(out, [1, 4, 2, 3, 5]);
    assert_eq!(acks, [1, 2, 4, 5], "4 is covered once 3 is applied");
    // In order, nothing changes.
    let (out, acks) = viewer(&frames, &[0, 1, 2, 3, 4]);
    assert_eq!(out, [1, 2, 3, 4, 5]);
    assert_eq!(acks, [1, 2, 3, 4, 5]);
    // Before the frame it waits for, it waits.
    let (out, _) = viewer(&frames, &[3, 2, 0, 1, 4]);
    assert_eq!(out, [1, 4, 2, 3, 5]);
}

#[test]
fn a_keyframe_forgets_frames_that_went_ahead_before_it() {
    let mut ahead = Ahead::default();
    let mut pending = BTreeMap::from([(4, typed(4))]);
    ahead.arrived(4, 1);
    assert_eq!(ahead.release(1, &mut pending).len(), 1);
    assert_eq!(ahead.acknowledge(4), None, "frames 2 and 3 are missing");
    ahead.restart(Some(6));
    assert!(!ahead.pass(4));
    assert_eq!(ahead.acknowledge(3), Some(3), "4 is forgotten");
}
