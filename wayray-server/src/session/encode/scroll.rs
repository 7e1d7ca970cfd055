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
    // FNV-style fold over 8-byte words: fast, and good enough to propose a candidate.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = row.chunks_exact(8);
    for w in &mut words {
        let v = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        h = (h ^ v).wrapping_mul(0x0100_0000_01b3);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
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
