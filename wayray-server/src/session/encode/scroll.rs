//! Scroll and move detection: when the new content of a damaged rectangle is the old content
//! shifted vertically, the viewer can copy it (`CopyRect`) and only the newly exposed strip is
//! encoded. A one-line terminal scroll then costs about one line of pixels.
//!
//! Row hashes propose a shift; an exact comparison of every row confirms it, so a hash
//! collision can cost time but never a wrong pixel.

use std::collections::HashMap;

use wayray_protocol::Rect;
use wayray_protocol::codec::PixelView;

use crate::session::capture::MoveHint;

/// Rectangles smaller than this are not worth a search.
const MIN_WIDTH: u32 = 64;
const MIN_HEIGHT: u32 = 32;
/// The shortest run of moved rows worth a copy.
const MIN_RUN: u32 = 16;

fn row_hash(row: &[u8]) -> u64 {
    // FNV-style folds over 8-byte words in four independent lanes (a single chain of
    // multiplications is bound by their latency), joined at the end: fast, and good enough to
    // propose a candidate.
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut lanes: [u64; 4] = [
        0xcbf2_9ce4_8422_2325,
        0x8422_2325_cbf2_9ce4,
        0x9ce4_cbf2_2325_8422,
        0x2325_8422_9ce4_cbf2,
    ];
    let word = |w: &[u8]| u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
    let mut blocks = row.chunks_exact(32);
    for block in &mut blocks {
        for (lane, w) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            *lane = (*lane ^ word(w)).wrapping_mul(PRIME);
        }
    }
    let mut h = lanes.iter().fold(0u64, |h, lane| {
        (h ^ lane).wrapping_mul(PRIME).rotate_left(29)
    });
    for &b in blocks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(PRIME);
    }
    h
}

/// Whether every pixel of `row` is the same: each pixel equals the one before it (one
/// comparison of the row with itself a pixel on).
fn uniform(row: &[u8]) -> bool {
    row.len() <= 4 || row[4..] == row[..row.len() - 4]
}

/// A row's hash for the vote; `None` for a uniform row (blank lines match anywhere and prove
/// nothing).
fn vote_hash(row: &[u8]) -> Option<u64> {
    (!uniform(row)).then(|| row_hash(row))
}

/// The rows' vote hashes of the rectangles searched in the last frame: after a frame the
/// viewer's copy of a damaged rectangle is the frame's, so the next search in the same
/// rectangle need not hash the viewer's rows again. Only a proposal: every move is still
/// checked row by row against the viewer's pixels.
#[derive(Debug, Default)]
pub struct RowMemo {
    last: Vec<(Rect, Vec<Option<u64>>)>,
    next: Vec<(Rect, Vec<Option<u64>>)>,
}

impl RowMemo {
    /// The frame's searches are done: what they hashed is the viewer's copy from now on.
    pub fn frame_done(&mut self) {
        self.last = std::mem::take(&mut self.next);
    }

    /// The viewer's copy changed otherwise (a keyframe, a frame without a search).
    pub fn forget(&mut self) {
        self.last.clear();
        self.next.clear();
    }
}

/// Rows sampled in each damaged rectangle by [`mostly_changed`].
const SAMPLES: u32 = 16;

/// Whether more than half of the rows sampled in the damaged rectangles big enough for a
/// search differ from the viewer's copy (a scroll or a new page rather than a few changed
/// rows).
pub fn mostly_changed(current: &PixelView<'_>, previous: &PixelView<'_>, damage: &[Rect]) -> bool {
    let (mut sampled, mut changed) = (0u32, 0u32);
    for rect in damage
        .iter()
        .filter(|r| r.width >= MIN_WIDTH && r.height >= MIN_HEIGHT)
    {
        let step = (rect.height / SAMPLES).max(1) as usize;
        for y in (0..rect.height).step_by(step).take(SAMPLES as usize) {
            sampled += 1;
            if current.row(*rect, y) != previous.row(*rect, y) {
                changed += 1;
            }
        }
    }
    changed * 2 > sampled
}

/// Finds a vertical move inside `rect`: returns the source row (in output coordinates) and
/// the destination rectangle of the longest run of rows that moved by the most common shift.
pub fn detect(
    current: &PixelView<'_>,
    previous: &PixelView<'_>,
    rect: Rect,
    memo: &mut RowMemo,
) -> Option<(u32, Rect)> {
    if rect.width < MIN_WIDTH || rect.height < MIN_HEIGHT {
        return None;
    }
    let new: Vec<Option<u64>> = (0..rect.height)
        .map(|y| vote_hash(current.row(rect, y)))
        .collect();
    let remembered = memo.last.iter().position(|(r, _)| *r == rect);
    let old = match remembered {
        Some(i) => memo.last.swap_remove(i).1,
        None => (0..rect.height)
            .map(|y| vote_hash(previous.row(rect, y)))
            .collect(),
    };
    let mut old_rows: HashMap<u64, u32> = HashMap::with_capacity(rect.height as usize);
    for (y, hash) in old.iter().enumerate() {
        if let Some(hash) = hash {
            old_rows.entry(*hash).or_insert(y as u32);
        }
    }
    let mut votes: HashMap<i64, u32> = HashMap::new();
    for (y, hash) in new.iter().enumerate() {
        if let Some(&old_y) = hash.and_then(|h| old_rows.get(&h))
            && old_y != y as u32
        {
            *votes.entry(y as i64 - i64::from(old_y)).or_default() += 1;
        }
    }
    memo.next.push((rect, new));
    let (&shift, &count) = votes
        .iter()
        .max_by_key(|(shift, count)| (**count, -shift.abs()))?;
    if count < MIN_RUN / 2 {
        return None;
    }
    // Only rows whose source lies inside the rectangle can have moved within it.
    let moved = rect
        .height
        .checked_sub(shift.unsigned_abs() as u32)
        .filter(|h| *h > 0)?;
    let dst = Rect::new(rect.x, rect.y + shift.max(0) as u32, rect.width, moved);
    let run = longest_run(current, previous, dst, (0, shift))?;
    Some(((i64::from(run.y) - shift) as u32, run))
}

/// The longest run of full-width rows of `dst` whose pixels equal `previous` at the same place
/// minus `shift` (a move by `shift`), at least [`MIN_RUN`] rows; `None` when the source would
/// leave the output or nothing matches.
pub fn longest_run(
    current: &PixelView<'_>,
    previous: &PixelView<'_>,
    dst: Rect,
    shift: (i64, i64),
) -> Option<Rect> {
    let src_x = i64::from(dst.x) - shift.0;
    let src_y0 = i64::from(dst.y) - shift.1;
    if src_x < 0
        || src_y0 < 0
        || src_x + i64::from(dst.width) > i64::from(previous.width())
        || src_y0 + i64::from(dst.height) > i64::from(previous.height())
    {
        return None;
    }
    let source = Rect::new(src_x as u32, src_y0 as u32, dst.width, dst.height);
    let (mut best_start, mut best_len, mut start, mut len) = (0u32, 0u32, 0u32, 0u32);
    for y in 0..dst.height {
        if current.row(dst, y) == previous.row(source, y) {
            if len == 0 {
                start = y;
            }
            len += 1;
            if len > best_len {
                (best_start, best_len) = (start, len);
            }
        } else {
            len = 0;
        }
    }
    (best_len >= MIN_RUN).then(|| Rect::new(dst.x, dst.y + best_start, dst.width, best_len))
}

/// Verifies a window move against what the viewer has: returns the source top-left and the
/// destination rows that really are the old pixels moved.
pub fn verify_move(
    current: &PixelView<'_>,
    previous: &PixelView<'_>,
    hint: MoveHint,
) -> Option<((u32, u32), Rect)> {
    let shift = (
        i64::from(hint.to.x) - i64::from(hint.from.x),
        i64::from(hint.to.y) - i64::from(hint.from.y),
    );
    if shift == (0, 0) || hint.to.width < MIN_WIDTH || hint.to.height < MIN_RUN {
        return None;
    }
    let bounds = Rect::new(0, 0, current.width(), current.height());
    let dst = super::clip(hint.to, bounds)?;
    let run = longest_run(current, previous, dst, shift)?;
    Some((
        (
            (i64::from(run.x) - shift.0) as u32,
            (i64::from(run.y) - shift.1) as u32,
        ),
        run,
    ))
}
