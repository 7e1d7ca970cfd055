//! Frames that overtake video for a viewer that takes them (capability `overtake`,
//! docs/adr/0044): an encoded frame that plays video and changes pixels elsewhere (a typed
//! character while a film plays) goes as two frames, the change away from the video first, and
//! a frame away from the video waits only for the frames before the video frames it overtakes
//! (`wayray_protocol::session::overtake`). Frames are numbered here, one by one as they go.

use wayray_protocol::DisplayMessage;
use wayray_protocol::Rect;
use wayray_protocol::messages::display::{Codec, FrameAfter, FrameUpdate, RegionUpdate};
use wayray_protocol::messages::link::LinkFrame;
use wayray_protocol::session::overtake::{Planner, disjoint, touched, video_only};

/// Numbering and planning of one viewer's frames.
#[derive(Debug, Default)]
pub(super) struct Overtaking {
    enabled: bool,
    planner: Planner,
    next: Option<u64>,
}

impl Overtaking {
    /// For a viewer that takes overtaking frames (`enabled`) or not (frames go as encoded).
    pub(super) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            ..Self::default()
        }
    }

    /// The messages that carry `update`, numbered, given the newest acknowledgement.
    pub(super) fn messages(&mut self, update: FrameUpdate, acked: Option<u64>) -> Vec<Outgoing> {
        if !self.enabled {
            let frame = LinkFrame {
                sequence: update.sequence,
                keyframe: update.keyframe,
            };
            let msg = DisplayMessage::FrameUpdate(update);
            return vec![Outgoing::new(msg, frame, false)];
        }
        if let Some(acked) = acked {
            self.planner.acked(acked);
        }
        split(update)
            .into_iter()
            .map(|mut update| {
                update.sequence = *self.next.get_or_insert(update.sequence);
                self.next = Some(update.sequence.wrapping_add(1));
                let frame = LinkFrame {
                    sequence: update.sequence,
                    keyframe: update.keyframe,
                };
                let after = self.planner.after(&update);
                self.planner.sent(&update);
                // Frames may overtake only frames that play video alone: those are paced.
                let paced = video_only(&update);
                let msg = match after {
                    Some(after) => DisplayMessage::FrameAfter(FrameAfter { after, update }),
                    None => DisplayMessage::FrameUpdate(update),
                };
                Outgoing::new(msg, frame, paced)
            })
            .collect()
    }
}

/// A message for the viewer, its frame, and whether it may be paced (`session::pace`).
#[derive(Debug)]
pub(super) struct Outgoing {
    pub msg: DisplayMessage,
    pub frame: LinkFrame,
    pub paced: bool,
}

impl Outgoing {
    fn new(msg: DisplayMessage, frame: LinkFrame, paced: bool) -> Self {
        Self { msg, frame, paced }
    }
}

/// A frame as one or two: where it plays video and changes pixels away from the video too,
/// the change elsewhere first, then the video (their rectangles apart, the order makes no
/// difference to the picture). Regions are moved, not copied.
fn split(update: FrameUpdate) -> Vec<FrameUpdate> {
    let is_video = |r: &&RegionUpdate| r.codec == Codec::H264;
    let video_rects: Vec<Rect> = update
        .regions
        .iter()
        .filter(is_video)
        .map(|r| r.rect)
        .collect();
    let rest = update.regions.iter().filter(|r| !is_video(r));
    let touched_rest: Vec<Rect> = rest
        .flat_map(|r| touched(std::slice::from_ref(r)))
        .collect();
    if update.keyframe
        || video_rects.is_empty()
        || touched_rest.is_empty()
        || !disjoint(&touched_rest, &video_rects)
    {
        return vec![update];
    }
    let FrameUpdate {
        sequence,
        output_width,
        output_height,
        keyframe,
        regions,
    } = update;
    let (video, other): (Vec<RegionUpdate>, Vec<RegionUpdate>) =
        regions.into_iter().partition(|r| r.codec == Codec::H264);
    let frame = |regions| FrameUpdate {
        sequence,
        output_width,
        output_height,
        keyframe,
        regions,
    };
    vec![frame(other), frame(video)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(codec: Codec, rect: Rect) -> RegionUpdate {
        RegionUpdate {
            rect,
            codec,
            payload: vec![1, 2, 3],
        }
    }

    fn update(sequence: u64, keyframe: bool, regions: Vec<RegionUpdate>) -> FrameUpdate {
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

    #[test]
    fn a_typed_character_during_a_film_goes_first_and_overtakes_the_film() {
        let mut overtaking = Overtaking::new(true);
        let sent = overtaking.messages(update(7, true, vec![region(Codec::Solid, VIDEO)]), None);
        assert_eq!(
            sent[0].frame.sequence, 7,
            "numbering starts where the encoder's does"
        );
        let film = overtaking.messages(update(9, false, vec![region(Codec::H264, VIDEO)]), Some(7));
        assert_eq!(film[0].frame.sequence, 8, "numbered as they go");
        assert!(film[0].paced, "a frame of video alone may be paced");
        let both = vec![region(Codec::H264, VIDEO), region(Codec::Palette, LINE)];
        let sent = overtaking.messages(update(10, false, both), Some(7));
        assert_eq!(sent.len(), 2);
        let DisplayMessage::FrameAfter(echo) = &sent[0].msg else {
            panic!("the echo goes first, overtaking: {:?}", sent[0].msg);
        };
        assert_eq!((echo.after, echo.update.sequence), (7, 9));
        assert_eq!(echo.update.regions[0].codec, Codec::Palette);
        let DisplayMessage::FrameUpdate(film) = &sent[1].msg else {
            panic!("then the film in sequence");
        };
        assert_eq!((film.sequence, film.regions[0].codec), (10, Codec::H264));
        assert!(
            !sent[0].paced && sent[1].paced,
            "the film is paced, the echo is not"
        );
    }

    #[test]
    fn frames_stay_whole_where_the_change_touches_the_video_or_the_viewer_does_not_overtake() {
        let mut overtaking = Overtaking::new(true);
        overtaking.messages(update(1, true, vec![]), None);
        let over_video = vec![
            region(Codec::Palette, LINE),
            region(Codec::H264, VIDEO),
            region(Codec::Palette, Rect::new(600, 300, 100, 100)),
        ];
        let sent = overtaking.messages(update(2, false, over_video.clone()), None);
        assert_eq!(sent.len(), 1);
        assert!(
            !sent[0].paced,
            "a frame that is not video alone is not paced"
        );
        assert!(
            matches!(&sent[0].msg, DisplayMessage::FrameUpdate(u) if u.regions == over_video),
            "kept whole, in the encoder's order"
        );
        let mut old = Overtaking::new(false);
        let both = vec![region(Codec::H264, VIDEO), region(Codec::Palette, LINE)];
        let sent = old.messages(update(5, false, both), None);
        assert_eq!(sent.len(), 1);
        assert!(matches!(&sent[0].msg, DisplayMessage::FrameUpdate(u) if u.sequence == 5));
        let film = old.messages(update(6, false, vec![region(Codec::H264, VIDEO)]), None);
        assert!(!film[0].paced, "nothing can pass it: not paced");
    }
}
