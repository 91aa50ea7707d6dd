//! The small XML toolkit shared by the PIDF and IMDN code: a namespace-resolving event source
//! with the bounds applied, and an escaper for the builders.
//!
//! Elements are matched by (namespace URI, local name), never by prefix: `<presence
//! xmlns="urn:ietf:params:xml:ns:pidf">` and `<pidf:presence xmlns:pidf="...">` are the same
//! element, and `<op:basic>` in the OMA namespace is not PIDF's `<basic>`.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::error::XmlError;

/// Bounds applied to a document before and while parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting (the root is depth 1).
    pub max_depth: usize,
    /// Most `<tuple>` elements (PIDF).
    pub max_tuples: usize,
    /// Most `<dm:person>` elements (PIDF).
    pub max_persons: usize,
    /// Most notes in the whole document.
    pub max_notes: usize,
    /// Most activities in the whole document.
    pub max_activities: usize,
    /// Longest text value we keep (a note, a contact, an id), in bytes.
    pub max_text: usize,
}

impl Default for Limits {
    /// Generous for real clients, whose PUBLISH bodies are a few KiB (an aggregated NOTIFY
    /// for a user with several devices somewhat more).
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024,
            max_depth: 32,
            max_tuples: 32,
            max_persons: 8,
            max_notes: 32,
            max_activities: 32,
            max_text: 4096,
        }
    }
}

/// One element start or end, with its namespace resolved.
pub(crate) enum Item<'i> {
    Start {
        ns: Ns,
        local: Vec<u8>,
        el: BytesStart<'i>,
    },
    End,
    Text(Cow<'i, str>),
    Eof,
}

/// Namespaces this crate understands; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    Pidf,
    DataModel,
    Rpid,
    /// `urn:ietf:params:xml:ns:pidf:im` (pre-RFC `<im:im>busy</im:im>`, eyeBeam/X-Lite).
    LegacyIm,
    /// `urn:ietf:params:xml:ns:pidf:person` (pre-RFC 4479 `<pp:person>`, X-Lite 3).
    LegacyPerson,
    /// `...:pidf:rpid:rpid-person` and `...:pidf:rpid:status:rpid-status` (pre-RFC RPID,
    /// X-Lite 3): activities as text, `<ep:activity>busy</ep:activity>`.
    LegacyRpid,
    Imdn,
    Other,
}

impl Ns {
    fn of(uri: &[u8]) -> Ns {
        match uri {
            b"urn:ietf:params:xml:ns:pidf" => Ns::Pidf,
            b"urn:ietf:params:xml:ns:pidf:data-model" => Ns::DataModel,
            b"urn:ietf:params:xml:ns:pidf:rpid" => Ns::Rpid,
            b"urn:ietf:params:xml:ns:pidf:im" => Ns::LegacyIm,
            b"urn:ietf:params:xml:ns:pidf:person" => Ns::LegacyPerson,
            b"urn:ietf:params:xml:ns:pidf:rpid:rpid-person"
            | b"urn:ietf:params:xml:ns:pidf:rpid:status:rpid-status" => Ns::LegacyRpid,
            b"urn:ietf:params:xml:ns:imdn" => Ns::Imdn,
            _ => Ns::Other,
        }
    }
}

/// A bounded event source: start/end/text only, depth tracked, DOCTYPE refused.
pub(crate) struct Events<'i> {
    reader: NsReader<&'i [u8]>,
    depth: usize,
    max_depth: usize,
}

impl<'i> Events<'i> {
    pub(crate) fn new(doc: &'i [u8], limits: &Limits) -> Result<Self, XmlError> {
        if doc.len() > limits.max_bytes {
            return Err(XmlError::TooLarge {
                len: doc.len(),
                max: limits.max_bytes,
            });
        }
        let mut reader = NsReader::from_reader(doc);
        let cfg = reader.config_mut();
        cfg.expand_empty_elements = true;
        cfg.check_end_names = true;
        Ok(Events {
            reader,
            depth: 0,
            max_depth: limits.max_depth,
        })
    }

    pub(crate) fn next(&mut self) -> Result<Item<'i>, XmlError> {
        loop {
            let (res, ev) = self.reader.read_resolved_event()?;
            return Ok(match ev {
                Event::Start(el) => {
                    self.depth += 1;
                    if self.depth > self.max_depth {
                        return Err(XmlError::TooDeep {
                            max: self.max_depth,
                        });
                    }
                    let ns = match res {
                        ResolveResult::Bound(n) => Ns::of(n.as_ref()),
                        _ => Ns::Other,
                    };
                    let local = el.local_name().as_ref().to_vec();
                    Item::Start { ns, local, el }
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    Item::End
                }
                Event::Text(t) => Item::Text(t.unescape()?),
                Event::CData(c) => Item::Text(c.decode().map_err(quick_xml::Error::from)?),
                Event::DocType(_) => return Err(XmlError::DocType),
                Event::Eof => {
                    if self.depth > 0 {
                        return Err(XmlError::Truncated);
                    }
                    Item::Eof
                }
                // Empty is expanded to Start+End by the config; Decl, PI, Comment carry nothing.
                Event::Empty(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            });
        }
    }
}

/// The value of the unprefixed attribute `name`, unescaped. Every attribute is checked, so a
/// duplicated or malformed attribute anywhere on the element is an error.
pub(crate) fn attr(el: &BytesStart<'_>, name: &[u8]) -> Result<Option<String>, XmlError> {
    let mut found = None;
    for a in el.attributes() {
        let a = a?;
        if found.is_none() && a.key.prefix().is_none() && a.key.local_name().as_ref() == name {
            found = Some(a.unescape_value()?.into_owned());
        }
    }
    Ok(found)
}

/// Appends `text` to `buf`, refusing to grow past `max` bytes.
pub(crate) fn push_bounded(buf: &mut String, text: &str, max: usize) -> Result<(), XmlError> {
    if buf.len() + text.len() > max {
        return Err(XmlError::TextTooLong { max });
    }
    buf.push_str(text);
    Ok(())
}

/// Writes `s` escaped for both element content and double- or single-quoted attribute values
/// (XML 1.0 §2.4, §3.3.3). Characters XML 1.0 cannot carry at all (most C0 controls, U+FFFE,
/// U+FFFF) become U+FFFD so the output is always well-formed. CR, LF and TAB are written as
/// character references so neither end-of-line nor attribute-value normalisation alters them.
pub fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}
