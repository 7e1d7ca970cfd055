//! The server's rules for the clipboard channel, without I/O: which directions are allowed,
//! how large one entry may be, how many transfers may run at once.
//!
//! Every clipboard message between a viewer and its session passes through a
//! [`ClipboardGate`]. It forwards what the policy allows, answers the rest with `Cancel`, and
//! counts each transfer's bytes: a transfer that passes [`ClipboardPolicy::max_bytes`] is
//! cancelled at both ends (neither side ever holds a partial entry as complete).
//!
//! Transfer ids carry their requester in the lowest bit, like QUIC stream ids: the viewer's
//! are even, the session's odd. A `Cancel` therefore names one transfer without ambiguity.

use std::collections::HashMap;

use crate::messages::clipboard::{ClipboardMessage, DataChunk, Offer, Request};

/// Most transfers one side may have asked for and not finished.
pub const MAX_TRANSFERS: usize = 8;

/// Which way clipboard contents may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClipboardPolicy {
    /// The desk's selections reach the session's applications.
    pub to_session: bool,
    /// The session's selections reach the desk.
    pub to_desk: bool,
    /// The largest entry, in bytes, in either direction.
    pub max_bytes: u64,
}

impl Default for ClipboardPolicy {
    fn default() -> Self {
        Self {
            to_session: true,
            to_desk: true,
            max_bytes: 16 << 20,
        }
    }
}

impl ClipboardPolicy {
    /// Whether any clipboard traffic is allowed (the capability is offered only then).
    pub fn enabled(&self) -> bool {
        self.to_session || self.to_desk
    }
}

/// Who asked for a transfer (its id's lowest bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Requester {
    /// The viewer reads the session's selection: even ids.
    Viewer,
    /// The session reads the desk's selection: odd ids.
    Session,
}

impl Requester {
    /// Whose transfer `transfer_id` is.
    pub fn of(transfer_id: u64) -> Self {
        if transfer_id % 2 == 0 {
            Self::Viewer
        } else {
            Self::Session
        }
    }

    /// The `n`th transfer id of this requester.
    pub fn id(self, n: u64) -> u64 {
        let bit = match self {
            Self::Viewer => 0,
            Self::Session => 1,
        };
        n.wrapping_mul(2) | bit
    }
}

/// What to do with one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routed {
    /// For the viewer.
    pub to_viewer: Vec<ClipboardMessage>,
    /// For the session.
    pub to_session: Vec<ClipboardMessage>,
    /// A transfer was cancelled for being larger than the policy allows.
    pub too_large: bool,
}

/// The policy applied to one viewer connection.
#[derive(Debug)]
pub struct ClipboardGate {
    policy: ClipboardPolicy,
    /// Open transfers and the bytes they carried so far.
    transfers: HashMap<u64, u64>,
}

impl ClipboardGate {
    /// A gate with no transfer open.
    pub fn new(policy: ClipboardPolicy) -> Self {
        Self {
            policy,
            transfers: HashMap::new(),
        }
    }

    /// The policy in effect.
    pub fn policy(&self) -> ClipboardPolicy {
        self.policy
    }

    /// Open transfers (for tests and stats).
    pub fn open(&self) -> usize {
        self.transfers.len()
    }

    /// A message from the viewer.
    pub fn viewer_sent(&mut self, msg: ClipboardMessage) -> Routed {
        self.route(Requester::Viewer, msg)
    }

    /// A message from the session.
    pub fn session_sent(&mut self, msg: ClipboardMessage) -> Routed {
        self.route(Requester::Session, msg)
    }

    fn route(&mut self, from: Requester, msg: ClipboardMessage) -> Routed {
        let mut routed = Routed::default();
        match msg {
            ClipboardMessage::Offer(offer) => {
                if self.allowed_from(from) {
                    push(&mut routed, other(from), ClipboardMessage::Offer(offer));
                }
            }
            ClipboardMessage::Request(request) => self.request(from, request, &mut routed),
            ClipboardMessage::Data(chunk) => self.data(from, chunk, &mut routed),
            ClipboardMessage::Cancel { transfer_id } => {
                if self.transfers.remove(&transfer_id).is_some() {
                    let cancel = ClipboardMessage::Cancel { transfer_id };
                    push(&mut routed, other(from), cancel);
                }
            }
        }
        routed
    }

    /// Whether `from`'s selections may go to the other side.
    fn allowed_from(&self, from: Requester) -> bool {
        match from {
            Requester::Viewer => self.policy.to_session,
            Requester::Session => self.policy.to_desk,
        }
    }

    /// `from` asks for the other side's selection: allowed if the other side's contents may
    /// come to `from`, the id is `from`'s, new, and not one too many.
    fn request(&mut self, from: Requester, request: Request, routed: &mut Routed) {
        let id = request.transfer_id;
        let open = self
            .transfers
            .keys()
            .filter(|id| Requester::of(**id) == from)
            .count();
        let allowed = self.allowed_from(other(from))
            && Requester::of(id) == from
            && !self.transfers.contains_key(&id)
            && open < MAX_TRANSFERS;
        if allowed {
            self.transfers.insert(id, 0);
            push(routed, other(from), ClipboardMessage::Request(request));
        } else {
            push(routed, from, ClipboardMessage::Cancel { transfer_id: id });
        }
    }

    /// `from` answers the other side's request with a chunk.
    fn data(&mut self, from: Requester, chunk: DataChunk, routed: &mut Routed) {
        let id = chunk.transfer_id;
        // Data answers the other side's request; anything else (a transfer cancelled
        // meanwhile, a made-up id) is dropped.
        if Requester::of(id) == from {
            return;
        }
        let Some(carried) = self.transfers.get_mut(&id) else {
            return;
        };
        *carried += chunk.data.expose().len() as u64;
        if *carried > self.policy.max_bytes {
            self.transfers.remove(&id);
            routed.too_large = true;
            push(routed, from, ClipboardMessage::Cancel { transfer_id: id });
            push(
                routed,
                other(from),
                ClipboardMessage::Cancel { transfer_id: id },
            );
            return;
        }
        if chunk.last {
            self.transfers.remove(&id);
        }
        push(routed, other(from), ClipboardMessage::Data(chunk));
    }
}

fn other(side: Requester) -> Requester {
    match side {
        Requester::Viewer => Requester::Session,
        Requester::Session => Requester::Viewer,
    }
}

fn push(routed: &mut Routed, to: Requester, msg: ClipboardMessage) {
    match to {
        Requester::Viewer => routed.to_viewer.push(msg),
        Requester::Session => routed.to_session.push(msg),
    }
}

/// The MIME types offered for text, best first.
pub const TEXT_MIME_TYPES: &[&str] = &[
    "text/plain;charset=utf-8",
    "UTF8_STRING",
    "text/plain",
    "TEXT",
    "STRING",
];

/// The MIME type of images.
pub const PNG_MIME_TYPE: &str = "image/png";

/// The MIME type to ask for from an offer: UTF-8 text first, then PNG; `None` when the offer
/// has neither.
pub fn preferred_mime_type(offer: &Offer) -> Option<&str> {
    TEXT_MIME_TYPES
        .iter()
        .chain(std::iter::once(&PNG_MIME_TYPE))
        .find(|wanted| offer.mime_types.iter().any(|m| m == *wanted))
        .copied()
}

#[cfg(test)]
#[path = "clipboard_tests.rs"]
mod tests;
