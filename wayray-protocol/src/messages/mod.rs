//! The messages of each channel. One file per channel; each enum lists its variants in wire
//! order (a variant's wire tag is its position), which docs/protocol.md mirrors.

pub mod audio;
pub mod clipboard;
pub mod control;
pub mod display;
pub mod input;
pub mod link;

use crate::ValidationError;

/// Longest name or version string in a hello.
pub const MAX_NAME: usize = 256;
/// Longest human-readable text (disconnect messages).
pub const MAX_TEXT: usize = 4096;

pub(crate) fn check_len(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<(), ValidationError> {
    if value.len() > max {
        return Err(ValidationError::TooLong {
            field,
            len: value.len(),
            max,
        });
    }
    Ok(())
}

pub(crate) fn check_finite(field: &'static str, value: f64) -> Result<(), ValidationError> {
    if !value.is_finite() {
        return Err(ValidationError::NotFinite { field });
    }
    Ok(())
}

pub(crate) fn check_range<T: PartialOrd + std::fmt::Display>(
    field: &'static str,
    value: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<(), ValidationError> {
    if !range.contains(&value) {
        return Err(ValidationError::OutOfRange {
            field,
            detail: format!("{value} is not in {}..={}", range.start(), range.end()),
        });
    }
    Ok(())
}
