//! Writing the PIDF documents smartchat sends in NOTIFY (RFC 3863, RFC 4479, RFC 4480).
//!
//! Elements follow the RFC 3863 schema order (tuples, then presence notes, then extension
//! elements such as `<dm:person>`), so strict validators at the watcher accept them. Tuple ids
//! are fixed (`im`, `sms`): they are unique inside the document, which is all RFC 3863 §4.1.2
//! asks, and stable ids let watchers that diff successive NOTIFYs see a change of state rather
//! than a new device. The builder appends to a caller-owned `String` so a shard can reuse one
//! buffer for every NOTIFY.

use crate::model::{has_tel_scheme, PresenceView};
use crate::xml::escape_into;
use crate::{NS_DATA_MODEL, NS_PIDF, NS_RPID};

/// Note written on the SMS tuple of a [`crate::Status::Mobile`] document.
pub const SMS_NOTE: &str = "reachable by SMS";

/// Appends a PIDF document for `entity` to `out`.
///
/// `entity` is the presentity URI (`sip:alice@example.com` or `pres:alice@example.com`); the IM
/// tuple's contact is its SIP AOR (a `pres:` URI becomes `sip:`). `view` is a
/// [`crate::PresenceView`], a `&PresenceView`, or a `&Status`:
///
/// ```
/// use smartchat_pidf::{build_pidf, PresenceView, Status};
/// let mut out = String::new();
/// build_pidf("sip:alice@example.com", &Status::Mobile { tel: "+8613800000001".into() }, &mut out);
/// build_pidf("sip:alice@example.com", PresenceView::from(&Status::Busy).with_note("in a call"), &mut out);
/// ```
///
/// Shapes (RFC 3863 §4.1, RFC 4480 §3.2):
/// - Available: IM tuple `open`.
/// - Busy: IM tuple `open` + `<dm:person><rpid:activities><rpid:busy/>`.
/// - Mobile: IM tuple `closed` + tuple `sms` `open` with `<contact>tel:…</contact>` and the
///   note [`SMS_NOTE`].
/// - Offline: IM tuple `closed`.
pub fn build_pidf<'a>(entity: &str, view: impl Into<PresenceView<'a>>, out: &mut String) {
    let v: PresenceView<'a> = view.into();
    out.reserve(512);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<presence xmlns=\"");
    out.push_str(NS_PIDF);
    out.push_str("\" xmlns:dm=\"");
    out.push_str(NS_DATA_MODEL);
    out.push_str("\" xmlns:rpid=\"");
    out.push_str(NS_RPID);
    out.push_str("\" entity=\"");
    escape_into(entity, out);
    out.push_str("\">\n");

    out.push_str("<tuple id=\"im\"><status><basic>");
    out.push_str(if v.im_open { "open" } else { "closed" });
    out.push_str("</basic></status><contact>");
    match entity.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("pres:") => {
            out.push_str("sip:");
            escape_into(&entity[5..], out);
        }
        _ => escape_into(entity, out),
    }
    out.push_str("</contact></tuple>\n");

    if let Some(tel) = v.sms {
        out.push_str("<tuple id=\"sms\"><status><basic>open</basic></status><contact>");
        if !has_tel_scheme(tel) {
            out.push_str("tel:");
        }
        escape_into(tel, out);
        out.push_str("</contact><note>");
        out.push_str(SMS_NOTE);
        out.push_str("</note></tuple>\n");
    }

    if let Some(note) = v.note.map(str::trim).filter(|n| !n.is_empty()) {
        out.push_str("<note>");
        escape_into(note, out);
        out.push_str("</note>\n");
    }

    if v.busy {
        out.push_str(
            "<dm:person id=\"p\"><rpid:activities><rpid:busy/></rpid:activities></dm:person>\n",
        );
    }
    out.push_str("</presence>\n");
}
