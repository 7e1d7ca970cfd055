//! Scroll and move detection: when the new content of a damaged rectangle is the old content
//! shifted vertically, the viewer can copy it (`CopyRect`) and only the newly exposed strip is
//! encoded. A one-line terminal scroll then costs about one line of pixels.
//!
//! Row hashes propose a shift; an exact comparison of every row confirms it, so a hash
//! collision can cost time but never a wrong pixel.

use std::collections::HashMap;

use wayray_protocol::Rect;
use wayray_protocol::codec::PixelView;

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

fn uniform(row: &[u8]) -> bool {
    row.chunks_exact(4).all(|p| p == &row[..4])
}

/// Finds a vertical move inside `rect`: returns the source row (in output coordinates) and
/// the destination rectangle of the longest run of rows that moved by the most common shift.
pub fn detect(
    current: &PixelView<'_>,
    previous: &PixelView<'_>,
    rect: Rect,
) -> Option<(u32, Rect)> {
    if rect.width < MIN_WIDTH || rect.height < MIN_HEIGHT {
        return None;
    }
    // Uniform rows (blank lines) match anywhere and prove nothing: leave them out of the vote.
    let mut old_rows: HashMap<u64, u32> = HashMap::with_capacity(rect.height as usize);
    for y in 0..rect.height {
        let row = previous.row(rect, y);
        if !uniform(row) {
            old_rows.entry(row_hash(row)).or_insert(y);
        }
    }
    let mut votes: HashMap<i64, u32> = HashMap::new();
    for y in 0..rect.height {
        let row = current.row(rect, y);
        if uniform(row) {
            continue;
        }
        if let Some(&old_y) = old_rows.get(&row_hash(row))
            && old_y != y
        {
            *votes.entry(i64::from(y) - i64::from(old_y)).or_default() += 1;
        }
    }
    let (&shift, &count) = votes
        .iter()
        .max_by_key(|(shift, count)| (**count, -shift.abs()))?;
    if count < MIN_RUN / 2 {
        return None;
    }
    // The longest run of rows y (destination) whose content equals old row y - shift.
    let (mut best_start, mut best_len, mut start, mut len) = (0u32, 0u32, 0u32, 0u32);
    for y in 0..rect.height {
        let source = i64::from(y) - shift;
        let moved = (0..i64::from(rect.height)).contains(&source)
            && current.row(rect, y) == previous.row(rect, source as u32);
        if moved {
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
    if best_len < MIN_RUN {
        return None;
    }
    let dst = Rect::new(rect.x, rect.y + best_start, rect.width, best_len);
    let src_y = (i64::from(dst.y) - shift) as u32;
    Some((src_y, dst))
}
