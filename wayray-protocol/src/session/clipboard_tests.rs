use super::*;
use crate::messages::clipboard::Selection;
use crate::secret::SecretBytes;

fn offer(id: u64) -> ClipboardMessage {
    ClipboardMessage::Offer(Offer {
        selection: Selection::Clipboard,
        offer_id: id,
        mime_types: vec!["text/plain;charset=utf-8".into()],
    })
}

fn request(transfer_id: u64) -> ClipboardMessage {
    ClipboardMessage::Request(Request {
        offer_id: 1,
        transfer_id,
        mime_type: "text/plain;charset=utf-8".into(),
    })
}

fn data(transfer_id: u64, len: usize, last: bool) -> ClipboardMessage {
    ClipboardMessage::Data(DataChunk {
        transfer_id,
        data: SecretBytes(vec![b'x'; len]),
        last,
    })
}

fn cancel(transfer_id: u64) -> ClipboardMessage {
    ClipboardMessage::Cancel { transfer_id }
}

#[test]
fn both_directions_pass_with_the_default_policy() {
    let mut gate = ClipboardGate::new(ClipboardPolicy::default());
    assert_eq!(gate.viewer_sent(offer(1)).to_session, vec![offer(1)]);
    assert_eq!(gate.session_sent(offer(7)).to_viewer, vec![offer(7)]);
    // The viewer reads the session's selection: even id.
    assert_eq!(gate.viewer_sent(request(2)).to_session, vec![request(2)]);
    assert_eq!(gate.session_sent(data(2, 10, false)).to_viewer.len(), 1);
    assert_eq!(gate.session_sent(data(2, 10, true)).to_viewer.len(), 1);
    assert_eq!(gate.open(), 0);
    // The session reads the desk's: odd id.
    assert_eq!(gate.session_sent(request(3)).to_viewer, vec![request(3)]);
    assert_eq!(gate.viewer_sent(data(3, 5, true)).to_session.len(), 1);
    assert_eq!(gate.open(), 0);
}

#[test]
fn a_forbidden_direction_sends_nothing_across() {
    let to_desk_only = ClipboardPolicy {
        to_session: false,
        ..ClipboardPolicy::default()
    };
    let mut gate = ClipboardGate::new(to_desk_only);
    assert_eq!(gate.viewer_sent(offer(1)), Routed::default());
    // The session may not read the desk: its request is cancelled back to it.
    let routed = gate.session_sent(request(1));
    assert!(routed.to_viewer.is_empty());
    assert_eq!(routed.to_session, vec![cancel(1)]);
    // Data the session never asked for does not pass.
    assert_eq!(gate.viewer_sent(data(1, 5, true)), Routed::default());
    // The other way still works.
    assert_eq!(gate.session_sent(offer(2)).to_viewer.len(), 1);
    assert_eq!(gate.viewer_sent(request(0)).to_session.len(), 1);

    let none = ClipboardPolicy {
        to_session: false,
        to_desk: false,
        ..ClipboardPolicy::default()
    };
    assert!(!none.enabled());
    let mut gate = ClipboardGate::new(none);
    assert_eq!(gate.session_sent(offer(2)), Routed::default());
    assert_eq!(gate.viewer_sent(request(0)).to_viewer, vec![cancel(0)]);
}

#[test]
fn an_entry_over_the_limit_is_cancelled_at_both_ends() {
    let policy = ClipboardPolicy {
        max_bytes: 100,
        ..ClipboardPolicy::default()
    };
    let mut gate = ClipboardGate::new(policy);
    gate.viewer_sent(request(4));
    assert_eq!(gate.session_sent(data(4, 60, false)).to_viewer.len(), 1);
    let routed = gate.session_sent(data(4, 60, false));
    assert!(routed.too_large);
    assert_eq!(routed.to_viewer, vec![cancel(4)]);
    assert_eq!(routed.to_session, vec![cancel(4)]);
    // Later chunks of the cancelled transfer are dropped.
    assert_eq!(gate.session_sent(data(4, 1, true)), Routed::default());
    assert_eq!(gate.open(), 0);
    // Exactly the limit passes.
    gate.session_sent(request(5));
    let routed = gate.viewer_sent(data(5, 100, true));
    assert!(!routed.too_large);
    assert_eq!(routed.to_session.len(), 1);
}

#[test]
fn ids_of_the_wrong_side_and_too_many_transfers_are_refused() {
    let mut gate = ClipboardGate::new(ClipboardPolicy::default());
    // An odd id is the session's: a viewer may not use it.
    assert_eq!(gate.viewer_sent(request(1)).to_viewer, vec![cancel(1)]);
    // A chunk for one's own request is not an answer.
    gate.viewer_sent(request(2));
    assert_eq!(gate.viewer_sent(data(2, 1, true)), Routed::default());
    assert_eq!(gate.viewer_sent(request(2)).to_viewer, vec![cancel(2)]);
    for n in 2..MAX_TRANSFERS as u64 + 1 {
        assert_eq!(gate.viewer_sent(request(n * 2)).to_session.len(), 1);
    }
    let extra = (MAX_TRANSFERS as u64 + 1) * 2;
    assert_eq!(
        gate.viewer_sent(request(extra)).to_viewer,
        vec![cancel(extra)]
    );
    // The session's own transfers are counted apart.
    assert_eq!(gate.session_sent(request(1)).to_viewer.len(), 1);
}

#[test]
fn a_cancel_names_one_transfer_and_is_forwarded_once() {
    let mut gate = ClipboardGate::new(ClipboardPolicy::default());
    gate.viewer_sent(request(6));
    assert_eq!(gate.viewer_sent(cancel(6)).to_session, vec![cancel(6)]);
    assert_eq!(gate.viewer_sent(cancel(6)), Routed::default());
    gate.session_sent(request(7));
    assert_eq!(gate.viewer_sent(cancel(7)).to_session, vec![cancel(7)]);
}

#[test]
fn transfer_ids_carry_their_requester() {
    for n in [0, 1, 2, 1000] {
        assert_eq!(Requester::of(Requester::Viewer.id(n)), Requester::Viewer);
        assert_eq!(Requester::of(Requester::Session.id(n)), Requester::Session);
    }
}

#[test]
fn text_is_preferred_over_images() {
    let mut offered = Offer {
        selection: Selection::Primary,
        offer_id: 1,
        mime_types: vec!["image/png".into(), "text/html".into(), "STRING".into()],
    };
    assert_eq!(preferred_mime_type(&offered), Some("STRING"));
    offered.mime_types.push("text/plain;charset=utf-8".into());
    assert_eq!(
        preferred_mime_type(&offered),
        Some("text/plain;charset=utf-8")
    );
    offered.mime_types = vec!["image/png".into()];
    assert_eq!(preferred_mime_type(&offered), Some("image/png"));
    offered.mime_types = vec!["application/x-foo".into()];
    assert_eq!(preferred_mime_type(&offered), None);
}
