//! The frame's copies: window moves the compositor reported and scrolls found in the damage
//! are applied to the shadow and sent as `CopyRect`s, and the tiles are compared with the
//! viewer's copy around them.

use wayray_protocol::Rect;
use wayray_protocol::codec::{PixelView, PixelViewMut, copy_rect, encode_copy_rect};
use wayray_protocol::messages::display::{Codec, RegionUpdate};

use super::{Encoder, FrameStats, clip, scroll, tiles, video};
use crate::session::capture::MoveHint;

impl Encoder {
    /// Finds, applies and sends this frame's copies, then returns each changed tile of
    /// `tiles` with the part of it that changed against the viewer's copy as the copies left
    /// it.
    ///
    /// Where most of the damage's rows changed (a scroll, a new page) all of the damage is
    /// searched first and only the tiles no copy covers are compared: one pass over the
    /// frame instead of two. Elsewhere the tiles are compared first and only the rows that
    /// changed are searched (a player damages its whole surface for a few changed rows).
    pub(super) fn copies_then_changes(
        &mut self,
        src: &PixelView<'_>,
        damage: &[Rect],
        tiles: &[Rect],
        moves: &[MoveHint],
        regions: &mut Vec<RegionUpdate>,
        stats: &mut FrameStats,
    ) -> Vec<(Rect, Rect)> {
        let search_first = scroll::mostly_changed(src, &self.shadow_view(), damage);
        let (bands, parts) = if search_first {
            (damage.to_vec(), None)
        } else {
            let parts = self.compare_tiles(src, tiles, false);
            (tiles::changed_bands(damage, &parts), Some(parts))
        };
        let copied = self.detect_copies(src, &bands, moves, regions, stats);
        // The damaged rectangles end this frame holding the frame's pixels.
        self.rows.frame_done();
        // A tile wholly inside a copy's destination equals the frame (the copy was verified
        // row by row); a lossy tile is resent whole all the same.
        let covered =
            |t: &Rect| !self.motion.is_lossy(*t) && copied.iter().any(|c| video::contains(*c, *t));
        match parts {
            None => {
                let rest: Vec<Rect> = tiles.iter().copied().filter(|t| !covered(t)).collect();
                self.compare_tiles(src, &rest, false)
            }
            Some(parts) if copied.is_empty() => parts,
            Some(mut parts) => {
                // The viewer's copy changed where the copies land: those tiles again.
                let again: Vec<Rect> = tiles
                    .iter()
                    .copied()
                    .filter(|t| copied.iter().any(|c| clip(*c, *t).is_some()))
                    .collect();
                parts.retain(|(t, _)| !again.contains(t));
                let again: Vec<Rect> = again.into_iter().filter(|t| !covered(t)).collect();
                parts.extend(self.compare_tiles(src, &again, false));
                // In the grid's order, as `cover` gives them.
                parts.sort_unstable_by_key(|(t, _)| (t.y, t.x));
                parts
            }
        }
    }

    /// Finds and applies this frame's copies (window moves, scrolls in `damage`); returns
    /// where they landed.
    fn detect_copies(
        &mut self,
        src: &PixelView<'_>,
        damage: &[Rect],
        moves: &[MoveHint],
        regions: &mut Vec<RegionUpdate>,
        stats: &mut FrameStats,
    ) -> Vec<Rect> {
        let (width, height) = (self.width, self.height);
        // Window moves the compositor reported, then scrolls found by searching the damage.
        let shadow = PixelView::packed(&self.shadow, width, height).expect("shadow size");
        let mut copies: Vec<((u32, u32), Rect)> = moves
            .iter()
            .filter_map(|hint| scroll::verify_move(src, &shadow, *hint))
            .collect();
        let memo = &mut self.rows;
        // A band a reported move lands in holds that window's old and new place: searching it
        // for a scroll as well costs a hash of every row. A scroll elsewhere in the same band
        // (one damage rectangle over both) goes as tiles that frame, exact but dearer.
        let moved: Vec<Rect> = copies.iter().map(|(_, dst)| *dst).collect();
        copies.extend(
            damage
                .iter()
                .filter(|band| !moved.iter().any(|dst| clip(*dst, **band).is_some()))
                .filter_map(|rect| {
                    scroll::detect(src, &shadow, *rect, memo)
                        .map(|(src_y, dst)| ((dst.x, src_y), dst))
                }),
        );
        // Each copy was found against the shadow as it was; once one is applied, the next are
        // checked again against the shadow as the copies before them left it.
        let mut shadow_moved = false;
        let mut landed = Vec::new();
        for (source, dst) in copies {
            let shift = (
                i64::from(dst.x) - i64::from(source.0),
                i64::from(dst.y) - i64::from(source.1),
            );
            if shadow_moved
                && scroll::longest_run(src, &self.shadow_view(), dst, shift) != Some(dst)
            {
                continue;
            }
            shadow_moved = true;
            let mut shadow =
                PixelViewMut::packed(&mut self.shadow, width, height).expect("shadow size");
            if copy_rect(&mut shadow, source, dst).is_ok() {
                regions.push(RegionUpdate {
                    rect: dst,
                    codec: Codec::CopyRect,
                    payload: encode_copy_rect(source.0, source.1),
                });
                stats.copies += 1;
                landed.push(dst);
            }
        }
        landed
    }
}
