//! Clipboard channel: offers of MIME types and chunked data transfers, both ways.
//!
//! One side announces what it holds with [`Offer`]; the other asks for one MIME type with
//! [`Request`]; the holder answers with [`DataChunk`]s of at most [`MAX_CHUNK`] bytes, the last
//! one flagged. Contents are secret: their `Debug` is redacted.

use serde::{Deserialize, Serialize};

use super::{MAX_NAME, check_len};
use crate::{Channel, ValidationError, WireMessage};

/// Largest data chunk.
pub const MAX_CHUNK: usize = 64 * 1024;
/// Most MIME types in one offer.
pub const MAX_MIME_TYPES: usize = 128;

/// A message on the clipboard stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum ClipboardMessage {
    /// The sender's selection now holds data in these MIME types (none: cleared).
    Offer(Offer),
    /// Send the data of an offer in one MIME type.
    Request(Request),
    /// A piece of the requested data.
    Data(DataChunk),
    /// Abandon a transfer (either side).
    Cancel {
        /// The transfer.
        transfer_id: u64,
    },
}

/// Which selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum Selection {
    /// The regular clipboard (wl_data_device).
    Clipboard,
    /// The primary selection (middle-click paste).
    Primary,
}

/// New selection contents are available.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Offer {
    /// Which selection.
    pub selection: Selection,
    /// Identifies this offer; a newer offer replaces older ones.
    pub offer_id: u64,
    /// Available MIME types, e.g. `text/plain;charset=utf-8`, `image/png`.
    pub mime_types: Vec<String>,
}

/// Ask for an offer's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Request {
    /// The offer.
    pub offer_id: u64,
    /// Chosen by the requester; the chunks carry it.
    pub transfer_id: u64,
    /// One of the offer's MIME types.
    pub mime_type: String,
}

/// A piece of clipboard data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct DataChunk {
    /// The transfer.
    pub transfer_id: u64,
    /// The bytes; redacted in `Debug`.
    pub data: crate::secret::SecretBytes,
    /// This is the last chunk.
    pub last: bool,
}

impl WireMessage for ClipboardMessage {
    const CHANNEL: Channel = Channel::Clipboard;
    const VARIANTS: &'static [&'static str] = &["Offer", "Request", "Data", "Cancel"];

    fn name(&self) -> &'static str {
        match self {
            Self::Offer(_) => "Offer",
            Self::Request(_) => "Request",
            Self::Data(_) => "Data",
            Self::Cancel { .. } => "Cancel",
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Offer(offer) => {
                if offer.mime_types.len() > MAX_MIME_TYPES {
                    return Err(ValidationError::OutOfRange {
                        field: "mime types",
                        detail: format!(
                            "{} offered, at most {MAX_MIME_TYPES}",
                            offer.mime_types.len()
                        ),
                    });
                }
                offer
                    .mime_types
                    .iter()
                    .try_for_each(|m| check_len("mime type", m, MAX_NAME))
            }
            Self::Request(request) => check_len("mime type", &request.mime_type, MAX_NAME),
            Self::Data(chunk) => {
                let len = chunk.data.expose().len();
                if len > MAX_CHUNK {
                    return Err(ValidationError::TooLong {
                        field: "clipboard chunk",
                        len,
                        max: MAX_CHUNK,
                    });
                }
                Ok(())
            }
            Self::Cancel { .. } => Ok(()),
        }
    }
}
