//! The viewer's machine with frames that overtake video (`FrameAfter`).

use std::time::Instant;

use super::ViewerEvent;
use super::login_tests::attached_viewer;
use crate::messages::control::FrameAck;
use crate::messages::display::{Codec, FrameAfter, FrameUpdate, RegionUpdate};
use crate::{ControlMessage, DisplayMessage, Rect};

fn update(sequence: u64, keyframe: bool, codec: Codec, rect: Rect) -> FrameUpdate {
    FrameUpdate {
        sequence,
        output_width: 800,
        output_height: 600,
        keyframe,
        regions: vec![RegionUpdate {
            rect,
            codec,
            payload: vec![1, 2, 3],
        }],
    }
}

const VIDEO: Rect = Rect::new(0, 0, 400, 300);
const LINE: Rect = Rect::new(0, 500, 800, 20);

fn attached() -> super::ViewerConnection {
    let mut viewer = attached_viewer(Instant::now());
    while viewer.poll_event().is_some() {}
    viewer
}

/// The frames handed out, as (sequence, ahead), applying each at once; and the acks sent.
fn drain(viewer: &mut super::ViewerConnection) -> (Vec<(u64, bool)>, Vec<u64>) {
    let now = Instant::now();
    let mut frames = Vec::new();
    while let Some(event) = viewer.poll_event() {
        let (frame, ahead) = match event {
            ViewerEvent::Frame(f) => (f, false),
            ViewerEvent::FrameAhead(f) => (f, true),
            _ => continue,
        };
        frames.push((frame.sequence, ahead));
        viewer.frame_applied(now, frame.sequence, frame.keyframe);
    }
    viewer.sending_input();
    let acks = std::iter::from_fn(|| viewer.poll_transmit())
        .filter_map(|m| match m {
            ControlMessage::FrameAck(FrameAck { sequence }) => Some(sequence),
            _ => None,
        })
        .collect();
    (frames, acks)
}

#[test]
fn an_echo_overtakes_the_video_frames_before_it_and_is_acknowledged_after_them() {
    let now = Instant::now();
    let mut viewer = attached();
    let show = |viewer: &mut super::ViewerConnection, msg: DisplayMessage, stream| {
        viewer.handle_display(now, msg, stream);
        drain(viewer)
    };
    let key = DisplayMessage::FrameUpdate(update(1, true, Codec::Solid, Rect::new(0, 0, 800, 600)));
    assert_eq!(show(&mut viewer, key, 0), (vec![(1, false)], vec![1]));
    // Frames 2 and 3 play video; the echo (4) comes first and waits only for frame 1.
    let echo = DisplayMessage::FrameAfter(FrameAfter {
        after: 1,
        update: update(4, false, Codec::Palette, LINE),
    });
    assert_eq!(
        show(&mut viewer, echo, 3),
        (vec![(4, true)], vec![]),
        "applied, not acked"
    );
    let video = |seq| DisplayMessage::FrameUpdate(update(seq, false, Codec::H264, VIDEO));
    assert_eq!(
        show(&mut viewer, video(3), 2),
        (vec![], vec![]),
        "3 waits for 2"
    );
    assert_eq!(
        show(&mut viewer, video(2), 1),
        (vec![(2, false), (3, false)], vec![2, 4]),
        "2 and 3 in order; the ack of 3 covers the echo too"
    );
    assert_eq!(show(&mut viewer, video(5), 4), (vec![(5, false)], vec![5]));
}

#[test]
fn an_echo_waits_for_the_frame_it_names_and_a_keyframe_drops_it() {
    let now = Instant::now();
    let mut viewer = attached();
    let key = |seq| {
        DisplayMessage::FrameUpdate(update(seq, true, Codec::Solid, Rect::new(0, 0, 800, 600)))
    };
    viewer.handle_display(now, key(1), 0);
    drain(&mut viewer);
    let echo = DisplayMessage::FrameAfter(FrameAfter {
        after: 2,
        update: update(4, false, Codec::Palette, LINE),
    });
    viewer.handle_display(now, echo, 3);
    assert_eq!(drain(&mut viewer).0, vec![], "frame 2 is not applied yet");
    // A keyframe after it supersedes it.
    viewer.handle_display(now, key(5), 4);
    assert_eq!(drain(&mut viewer).0, vec![(5, false)]);
    // A frame naming itself or a later frame is a protocol error.
    let bad = DisplayMessage::FrameAfter(FrameAfter {
        after: 7,
        update: update(7, false, Codec::Palette, LINE),
    });
    assert!(crate::WireMessage::validate(&bad).is_err());
}

#[test]
fn a_frame_follows_one_that_went_ahead_of_the_video() {
    let now = Instant::now();
    let mut viewer = attached();
    let key = DisplayMessage::FrameUpdate(update(1, true, Codec::Solid, Rect::new(0, 0, 800, 600)));
    viewer.handle_display(now, key, 0);
    drain(&mut viewer);
    let after = |after, seq| {
        DisplayMessage::FrameAfter(FrameAfter {
            after,
            update: update(seq, false, Codec::Palette, LINE),
        })
    };
    // 2 plays video; 3 overtakes it; 4 (right after 3) and 6 (after 3, over the video in 5)
    // follow 3 ahead of 2 and 5, arriving before 3.
    viewer.handle_display(now, after(3, 6), 6);
    viewer.handle_display(now, after(3, 4), 4);
    assert_eq!(drain(&mut viewer), (vec![], vec![]), "3 has not come");
    viewer.handle_display(now, after(1, 3), 3);
    assert_eq!(
        drain(&mut viewer),
        (vec![(3, true), (4, true), (6, true)], vec![]),
        "each once the frame it names went, in order; none acknowledged before 2"
    );
    let video = |seq| DisplayMessage::FrameUpdate(update(seq, false, Codec::H264, VIDEO));
    viewer.handle_display(now, video(2), 2);
    assert_eq!(drain(&mut viewer), (vec![(2, false)], vec![4]));
    viewer.handle_display(now, video(5), 5);
    assert_eq!(drain(&mut viewer), (vec![(5, false)], vec![6]));
}
