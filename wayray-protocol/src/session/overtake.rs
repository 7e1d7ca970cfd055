//! Frames that overtake video (capability `overtake`, docs/adr/0044): a typed character's
//! echo need not wait for the video frames sent just before it to cross a slow link and be
//! decoded.
//!
//! The server sends a frame as [`FrameAfter`](crate::messages::display::FrameAfter) when every
//! frame between the one it names and itself only plays video (H.264 regions) in rectangles
//! the frame neither writes nor copies from; such frames touch neither the zstd stream nor the
//! content cache, so applying them later leaves the same picture ([`Planner`]). The viewer
//! hands such a frame out once the frame it names is applied ([`Ahead`]), and acknowledges it
//! only once the frames before it are applied too: an acknowledgement still covers every frame
//! up to its sequence.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::Rect;
use crate::messages::display::{Codec, FrameUpdate, RegionUpdate};

/// The viewer's side: frames that may go ahead, and those that went.
#[derive(Clone, Debug, Default)]
pub struct Ahead {
    /// Frames waiting that may go ahead, with the frame each waits for.
    waits_for: BTreeMap<u64, u64>,
    /// Frames handed out ahead of the sequence, until the sequence passes them.
    went: BTreeSet<u64>,
    /// Frames handed out ahead, until an acknowledgement covers them.
    unacknowledged: BTreeSet<u64>,
}

/// At most this many frames handed out ahead are remembered (the server keeps fewer in
/// flight); beyond, frames simply wait for their turn.
const MAX_AHEAD: usize = 64;

impl Ahead {
    /// Frame `sequence`, arrived, may go once `after` is applied.
    pub fn arrived(&mut self, sequence: u64, after: u64) {
        if self.waits_for.len() < MAX_AHEAD {
            self.waits_for.insert(sequence, after);
        }
    }

    /// A keyframe `sequence` was handed out (or a failure restarts everything): what came
    /// before it is forgotten.
    pub fn restart(&mut self, sequence: Option<u64>) {
        match sequence {
            Some(keyframe) => {
                self.waits_for.retain(|seq, _| *seq > keyframe);
                self.went.retain(|seq| *seq > keyframe);
                self.unacknowledged.retain(|seq| *seq > keyframe);
            }
            None => {
                self.waits_for.clear();
                self.went.clear();
                self.unacknowledged.clear();
            }
        }
    }

    /// Whether frame `sequence`, next in sequence, was handed out ahead already: the sequence
    /// passes over it.
    pub fn pass(&mut self, sequence: u64) -> bool {
        self.went.remove(&sequence)
    }

    /// The waiting frames that may go now that every frame up to `shown` is handed out, in
    /// order: those whose frame is handed out, in sequence or ahead (a frame may wait for one
    /// that overtook the video itself); each is taken out of `pending` and remembered as gone
    /// ahead.
    pub fn release(
        &mut self,
        shown: u64,
        pending: &mut BTreeMap<u64, FrameUpdate>,
    ) -> Vec<FrameUpdate> {
        let mut out = Vec::new();
        loop {
            let ready: Vec<u64> = self
                .waits_for
                .iter()
                .filter(|(seq, after)| {
                    (**after <= shown || self.went.contains(after)) && **seq > shown.wrapping_add(1)
                })
                .map(|(seq, _)| *seq)
                .collect();
            if ready.is_empty() {
                break;
            }
            for seq in ready {
                self.waits_for.remove(&seq);
                if self.went.len() < MAX_AHEAD
                    && self.unacknowledged.len() < MAX_AHEAD
                    && let Some(frame) = pending.remove(&seq)
                {
                    self.went.insert(seq);
                    self.unacknowledged.insert(seq);
                    out.push(frame);
                }
            }
        }
        // Frames that went in sequence no longer wait.
        self.waits_for.retain(|seq, _| *seq > shown);
        out
    }

    /// Frame `sequence` was applied: the sequence an acknowledgement may cover now (the frame
    /// and the frames right after it that were applied ahead), or `None` for a frame applied
    /// ahead (frames before it are still missing).
    pub fn acknowledge(&mut self, sequence: u64) -> Option<u64> {
        if self.unacknowledged.contains(&sequence) {
            return None;
        }
        let mut through = sequence;
        while self.unacknowledged.remove(&through.wrapping_add(1)) {
            through = through.wrapping_add(1);
        }
        self.unacknowledged.retain(|seq| *seq > through);
        Some(through)
    }
}

/// The server's side: which frames in flight a new frame may overtake.
#[derive(Clone, Debug, Default)]
pub struct Planner {
    /// Frames sent and not acknowledged, oldest first: their sequence and, for one that only
    /// plays video, the rectangles it writes.
    in_flight: VecDeque<(u64, Option<Vec<Rect>>)>,
    /// The newest sequence acknowledged.
    acked: Option<u64>,
}

impl Planner {
    /// Frame `sequence` went out.
    pub fn sent(&mut self, update: &FrameUpdate) {
        if update.keyframe {
            self.in_flight.clear();
        }
        let video = video_only(update).then(|| update.regions.iter().map(|r| r.rect).collect());
        self.in_flight.push_back((update.sequence, video));
        // Bounded like the window it follows.
        while self.in_flight.len() > 64 {
            self.in_flight.pop_front();
        }
    }

    /// Every frame up to `sequence` was applied.
    pub fn acked(&mut self, sequence: u64) {
        self.acked = Some(self.acked.map_or(sequence, |a| a.max(sequence)));
        while self
            .in_flight
            .front()
            .is_some_and(|(seq, _)| *seq <= sequence)
        {
            self.in_flight.pop_front();
        }
    }

    /// The frame `update` (numbered next) may wait for instead of the one just before it, if
    /// it may overtake any; `None`: it goes in sequence. The frame it waits for may itself go
    /// ahead of video frames before it, so `update` must be apart from every video frame in
    /// flight, not only from those it overtakes.
    pub fn after(&self, update: &FrameUpdate) -> Option<u64> {
        if update.keyframe || update.regions.iter().any(|r| r.codec == Codec::H264) {
            return None;
        }
        let touched = touched(&update.regions);
        let apart = self
            .in_flight
            .iter()
            .filter_map(|(_, video)| video.as_ref())
            .all(|rects| disjoint(rects, &touched));
        if !apart {
            return None;
        }
        let mut after = None;
        for (seq, video) in self.in_flight.iter().rev() {
            match video {
                Some(rects) if disjoint(rects, &touched) => after = Some(*seq),
                _ => break,
            }
        }
        let Some(oldest) = after else {
            // Nothing right before it to overtake, but the frame just before it may itself go
            // ahead of video frames: then this one follows it there.
            let newest = self.in_flight.back().map(|(seq, _)| *seq)?;
            let video = self.in_flight.iter().any(|(_, video)| video.is_some());
            return (video && newest.checked_add(1) == Some(update.sequence)).then_some(newest);
        };
        // `oldest` is the oldest frame it overtakes: it waits for the one before that.
        let before = oldest.checked_sub(1)?;
        (self.acked.is_some_and(|a| a >= before)
            || self.in_flight.iter().any(|(seq, _)| *seq == before))
        .then_some(before)
    }
}

/// Whether a frame only plays video (the frames others may overtake).
pub fn video_only(update: &FrameUpdate) -> bool {
    !update.keyframe
        && !update.regions.is_empty()
        && update.regions.iter().all(|r| r.codec == Codec::H264)
}

/// The rectangles `regions` write or copy from (a copy whose source cannot be read touches
/// everything).
pub fn touched(regions: &[RegionUpdate]) -> Vec<Rect> {
    let mut rects = Vec::with_capacity(regions.len());
    for region in regions {
        rects.push(region.rect);
        if region.codec == Codec::CopyRect {
            match crate::codec::copy_source(&region.payload) {
                Some((x, y)) => rects.push(Rect::new(x, y, region.rect.width, region.rect.height)),
                // A copy whose source cannot be read overtakes nothing.
                None => rects.push(Rect::new(0, 0, u32::MAX, u32::MAX)),
            }
        }
    }
    rects
}

/// Whether no rectangle of `a` shares a pixel with one of `b`.
pub fn disjoint(a: &[Rect], b: &[Rect]) -> bool {
    a.iter().all(|x| b.iter().all(|y| !x.intersects(y)))
}

#[cfg(test)]
#[path = "overtake_tests.rs"]
mod tests;
