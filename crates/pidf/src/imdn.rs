//! Instant Message Disposition Notifications (RFC 5438 §7).
//!
//! smartchat sends `delivered` when an IM reached the recipient (SIP 200 or an SMS delivery
//! receipt) and `failed` when neither path worked (patent claims C3, C8); it reads the
//! notifications clients send back, including display notifications it only relays. The XML
//! rides inside a message/cpim body ([`crate::parse_cpim`], [`crate::build_cpim`]). Parsing shares the bounded,
//! namespace-resolving reader of the PIDF code; unknown elements (Linphone's `<reason>`, GSMA
//! RCS extensions) are skipped.

use crate::error::{ImdnError, XmlError};
use crate::time::Timestamp;
use crate::xml::{escape_into, push_bounded, Events, Item, Limits, Ns};
use crate::NS_IMDN;

/// `<delivery-notification>` status values (RFC 5438 §7.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    Delivered,
    Failed,
    Forbidden,
    Error,
}

/// `<display-notification>` status values (RFC 5438 §7.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisplayStatus {
    Displayed,
    Forbidden,
    Error,
}

/// `<processing-notification>` status values (RFC 5438 §7.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessingStatus {
    Processed,
    Stored,
    Forbidden,
    Error,
}

/// Which notification the document carries and its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notification {
    Delivery(DeliveryStatus),
    Display(DisplayStatus),
    Processing(ProcessingStatus),
}

/// A parsed IMDN document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imdn {
    /// `<message-id>`: the `imdn.Message-ID` of the message this reports on.
    pub message_id: String,
    /// `<datetime>`: when the original message was sent, as written.
    pub datetime: String,
    /// `<recipient-uri>`.
    pub recipient_uri: Option<String>,
    /// `<original-recipient-uri>`.
    pub original_recipient_uri: Option<String>,
    /// `<subject>`.
    pub subject: Option<String>,
    /// The notification.
    pub notification: Notification,
}

/// A delivery notification to build (RFC 5438 §7.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport<'a> {
    /// `imdn.Message-ID` of the message being reported on.
    pub message_id: &'a str,
    /// The original message's `DateTime` (RFC 5438 §7.2.1: the time it was *sent*).
    pub datetime: Timestamp<'a>,
    /// The recipient (`<recipient-uri>`), if known.
    pub recipient_uri: Option<&'a str>,
    /// The original recipient (`<original-recipient-uri>`), if known.
    pub original_recipient_uri: Option<&'a str>,
    /// What happened.
    pub status: DeliveryStatus,
}

/// Appends an IMDN `<delivery-notification>` document to `out`. RFC 5438 §7.2.1.1.
pub fn build_imdn(report: &DeliveryReport<'_>, out: &mut String) {
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<imdn xmlns=\"");
    out.push_str(NS_IMDN);
    out.push_str("\"><message-id>");
    escape_into(report.message_id, out);
    out.push_str("</message-id><datetime>");
    escape_into(&report.datetime.to_rfc3339(), out);
    out.push_str("</datetime>");
    if let Some(r) = report.recipient_uri {
        out.push_str("<recipient-uri>");
        escape_into(r, out);
        out.push_str("</recipient-uri>");
    }
    if let Some(r) = report.original_recipient_uri {
        out.push_str("<original-recipient-uri>");
        escape_into(r, out);
        out.push_str("</original-recipient-uri>");
    }
    out.push_str("<delivery-notification><status><");
    out.push_str(match report.status {
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Failed => "failed",
        DeliveryStatus::Forbidden => "forbidden",
        DeliveryStatus::Error => "error",
    });
    out.push_str("/></status></delivery-notification></imdn>\n");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Delivery,
    Display,
    Processing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Root,
    Field(Field),
    Notification(Kind),
    Status(Kind),
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    MessageId,
    DateTime,
    Recipient,
    OriginalRecipient,
    Subject,
}

/// Parses an IMDN document (RFC 5438 §7.2) with default [`Limits`] (16 KiB).
pub fn parse_imdn(doc: &[u8]) -> Result<Imdn, ImdnError> {
    let limits = Limits {
        max_bytes: 16 * 1024,
        max_text: 1024,
        ..Limits::default()
    };
    let mut ev = Events::new(doc, &limits)?;
    let mut stack: Vec<Frame> = Vec::with_capacity(6);
    let mut text = String::new();
    let mut fields: [Option<String>; 5] = Default::default();
    let mut notification: Option<Notification> = None;
    let mut saw_kind: Option<Kind> = None;
    loop {
        match ev.next()? {
            Item::Start { ns, local, .. } => {
                let frame = match stack.last() {
                    None if ns == Ns::Imdn && local == b"imdn" => Frame::Root,
                    None => return Err(ImdnError::NotImdn),
                    Some(&parent) => child(parent, ns, &local),
                };
                match frame {
                    Frame::Field(_) => text.clear(),
                    Frame::Notification(k) => saw_kind = saw_kind.or(Some(k)),
                    Frame::Skip => {
                        if let (Some(&Frame::Status(k)), Ns::Imdn) = (stack.last(), ns) {
                            notification = notification.or_else(|| status_of(k, &local));
                        }
                    }
                    _ => {}
                }
                stack.push(frame);
            }
            Item::Text(t) => {
                if let Some(Frame::Field(_)) = stack.last() {
                    push_bounded(&mut text, &t, limits.max_text)?;
                }
            }
            Item::End => match stack.pop() {
                Some(Frame::Field(f)) => {
                    let slot = &mut fields[f as usize];
                    if slot.is_none() {
                        *slot = Some(text.trim().to_string());
                    }
                }
                Some(Frame::Root) => break,
                Some(_) => {}
                None => return Err(XmlError::Truncated.into()),
            },
            Item::Eof => return Err(XmlError::Truncated.into()),
        }
    }
    let [message_id, datetime, recipient_uri, original_recipient_uri, subject] = fields;
    Ok(Imdn {
        message_id: message_id.ok_or(ImdnError::Missing("message-id"))?,
        datetime: datetime.ok_or(ImdnError::Missing("datetime"))?,
        recipient_uri,
        original_recipient_uri,
        subject,
        notification: match (notification, saw_kind) {
            (Some(n), _) => n,
            (None, Some(_)) => return Err(ImdnError::NoStatus),
            (None, None) => return Err(ImdnError::Missing("delivery-notification")),
        },
    })
}

fn child(parent: Frame, ns: Ns, local: &[u8]) -> Frame {
    match (parent, ns, local) {
        (Frame::Root, Ns::Imdn, b"message-id") => Frame::Field(Field::MessageId),
        (Frame::Root, Ns::Imdn, b"datetime") => Frame::Field(Field::DateTime),
        (Frame::Root, Ns::Imdn, b"recipient-uri") => Frame::Field(Field::Recipient),
        (Frame::Root, Ns::Imdn, b"original-recipient-uri") => {
            Frame::Field(Field::OriginalRecipient)
        }
        (Frame::Root, Ns::Imdn, b"subject") => Frame::Field(Field::Subject),
        (Frame::Root, Ns::Imdn, b"delivery-notification") => Frame::Notification(Kind::Delivery),
        (Frame::Root, Ns::Imdn, b"display-notification") => Frame::Notification(Kind::Display),
        (Frame::Root, Ns::Imdn, b"processing-notification") => {
            Frame::Notification(Kind::Processing)
        }
        (Frame::Notification(k), Ns::Imdn, b"status") => Frame::Status(k),
        _ => Frame::Skip,
    }
}

fn status_of(kind: Kind, local: &[u8]) -> Option<Notification> {
    use Notification as N;
    Some(match (kind, local) {
        (Kind::Delivery, b"delivered") => N::Delivery(DeliveryStatus::Delivered),
        (Kind::Delivery, b"failed") => N::Delivery(DeliveryStatus::Failed),
        (Kind::Delivery, b"forbidden") => N::Delivery(DeliveryStatus::Forbidden),
        (Kind::Delivery, b"error") => N::Delivery(DeliveryStatus::Error),
        (Kind::Display, b"displayed") => N::Display(DisplayStatus::Displayed),
        (Kind::Display, b"forbidden") => N::Display(DisplayStatus::Forbidden),
        (Kind::Display, b"error") => N::Display(DisplayStatus::Error),
        (Kind::Processing, b"processed") => N::Processing(ProcessingStatus::Processed),
        (Kind::Processing, b"stored") => N::Processing(ProcessingStatus::Stored),
        (Kind::Processing, b"forbidden") => N::Processing(ProcessingStatus::Forbidden),
        (Kind::Processing, b"error") => N::Processing(ProcessingStatus::Error),
        _ => return None,
    })
}
