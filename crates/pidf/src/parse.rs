//! Reading PIDF documents from clients (RFC 3863, RFC 4479, RFC 4480), tolerantly.
//!
//! Clients disagree on almost everything except the namespace URIs, so that is what we match on.
//! The parser is a small stack machine: each open element pushes a [`Frame`] saying what it is
//! (or [`Frame::Skip`] for anything we do not use: timestamps, `<caps:servcaps>`, OMA service
//! descriptions, `<dm:device>`, unknown `<status>` extensions), and text is only collected inside
//! the few elements whose value we keep. Where RPID activities appear (in `<dm:person>`, in a
//! `<tuple>`, inside `<status>`, or in the pre-RFC `rpid-person` / `pidf:im` forms that
//! X-Lite/eyeBeam still send) they are all read, because "busy" must not depend on the client.
//!
//! Bounds ([`crate::Limits`]): document size, element depth, number of tuples, persons, notes
//! and activities, and text length, all checked before anything grows.

use crate::error::{PidfError, XmlError};
use crate::model::{Activity, Basic, Person, PidfDocument, Qvalue, Tuple};
use crate::xml::{attr, push_bounded, Events, Item, Limits, Ns};

/// Parses a PIDF document with the default [`Limits`]. RFC 3863 §4.
pub fn parse_pidf(doc: &[u8]) -> Result<PidfDocument, PidfError> {
    parse_pidf_with(doc, &Limits::default())
}

/// Parses a PIDF document with explicit bounds. RFC 3863 §4.
pub fn parse_pidf_with(doc: &[u8], limits: &Limits) -> Result<PidfDocument, PidfError> {
    let mut ev = Events::new(doc, limits)?;
    let mut p = Parser {
        doc: PidfDocument::default(),
        stack: Vec::with_capacity(8),
        text: String::new(),
        notes: 0,
        activities: 0,
        limits,
    };
    loop {
        match ev.next()? {
            Item::Start { ns, local, el } => {
                let frame = match p.stack.last() {
                    None => {
                        if ns != Ns::Pidf || local != b"presence" {
                            return Err(PidfError::NotPidf);
                        }
                        p.doc.entity = attr(&el, b"entity")?.ok_or(PidfError::MissingEntity)?;
                        Frame::Presence
                    }
                    Some(&parent) => {
                        let frame = Parser::child(parent, ns, &local);
                        p.on_open(frame, ns, &local, &el)?;
                        frame
                    }
                };
                if frame.captures_text() {
                    p.text.clear();
                }
                p.stack.push(frame);
            }
            Item::Text(t) => {
                if p.stack.last().is_some_and(|f| f.captures_text()) {
                    push_bounded(&mut p.text, &t, limits.max_text)?;
                }
            }
            Item::End => {
                let Some(frame) = p.stack.pop() else {
                    return Err(XmlError::Truncated.into());
                };
                p.on_close(frame)?;
                if p.stack.is_empty() {
                    return Ok(p.doc);
                }
            }
            Item::Eof => return Err(XmlError::Truncated.into()),
        }
    }
}

/// Whose activities / notes an element contributes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Tuple,
    Person,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Presence,
    Tuple,
    Person,
    /// `<status>` of a tuple (holds `<basic>`) or, in pre-RFC documents, of a person.
    Status(Owner),
    Basic,
    Contact,
    /// A note of the presence (`None`), a tuple or a person.
    Note(Option<Owner>),
    /// `<rpid:activities>` or the pre-RFC `<ep:activities>`.
    Activities(Owner, bool),
    /// `<rpid:other>`: its text is the activity.
    OtherActivity(Owner),
    /// Pre-RFC activity carried as text: `<ep:activity>busy</ep:activity>`, `<im:im>busy</im:im>`.
    TextActivity(Owner),
    Skip,
}

impl Frame {
    fn captures_text(self) -> bool {
        matches!(
            self,
            Frame::Basic
                | Frame::Contact
                | Frame::Note(_)
                | Frame::OtherActivity(_)
                | Frame::TextActivity(_)
        )
    }
}

struct Parser<'l> {
    doc: PidfDocument,
    stack: Vec<Frame>,
    text: String,
    notes: usize,
    activities: usize,
    limits: &'l Limits,
}

impl Parser<'_> {
    /// What a child element `(ns, local)` of `parent` is.
    fn child(parent: Frame, ns: Ns, local: &[u8]) -> Frame {
        use Frame::*;
        match (parent, ns, local) {
            (Presence, Ns::Pidf, b"tuple") => Tuple,
            (Presence, Ns::Pidf, b"note") => Note(None),
            (Presence, Ns::DataModel | Ns::LegacyPerson, b"person") => Person,
            (Tuple, Ns::Pidf, b"status") => Status(Owner::Tuple),
            (Tuple, Ns::Pidf, b"contact") => Contact,
            (Tuple, Ns::Pidf, b"note") => Note(Some(Owner::Tuple)),
            (Tuple, Ns::Rpid, b"activities") => Activities(Owner::Tuple, false),
            (Status(Owner::Tuple), Ns::Pidf, b"basic") => Basic,
            (Status(o), Ns::Rpid, b"activities") => Activities(o, false),
            (Status(o), Ns::LegacyRpid, b"activities") => Activities(o, true),
            (Status(o), Ns::LegacyIm, b"im") => TextActivity(o),
            (Person, Ns::Rpid, b"activities") => Activities(Owner::Person, false),
            (Person, Ns::LegacyRpid, b"activities") => Activities(Owner::Person, true),
            (Person, Ns::DataModel | Ns::Pidf | Ns::Rpid, b"note") => Note(Some(Owner::Person)),
            (Person, Ns::Pidf, b"status") => Status(Owner::Person),
            (Activities(o, true), Ns::LegacyRpid, b"activity") => TextActivity(o),
            (Activities(o, false), Ns::Rpid, b"other") => OtherActivity(o),
            // Known RFC 4480 activities and extension elements inside <activities> are
            // recorded by `on_open`; everything else is skipped with its subtree.
            _ => Skip,
        }
    }

    fn check_activity(&self) -> Result<(), PidfError> {
        if self.activities >= self.limits.max_activities {
            return Err(PidfError::TooMany {
                what: "activity",
                max: self.limits.max_activities,
            });
        }
        Ok(())
    }

    /// Side effects of opening `frame`: new tuple/person, element-only activities.
    fn on_open(
        &mut self,
        frame: Frame,
        ns: Ns,
        local: &[u8],
        el: &quick_xml::events::BytesStart<'_>,
    ) -> Result<(), PidfError> {
        let l = self.limits;
        match frame {
            Frame::Tuple => {
                if self.doc.tuples.len() >= l.max_tuples {
                    return Err(PidfError::TooMany {
                        what: "tuple",
                        max: l.max_tuples,
                    });
                }
                let id = bounded(attr(el, b"id")?, l.max_text)?;
                self.doc.tuples.push(Tuple {
                    id,
                    ..Tuple::default()
                });
            }
            Frame::Person => {
                if self.doc.persons.len() >= l.max_persons {
                    return Err(PidfError::TooMany {
                        what: "person",
                        max: l.max_persons,
                    });
                }
                let id = bounded(attr(el, b"id")?, l.max_text)?;
                self.doc.persons.push(Person {
                    id,
                    ..Person::default()
                });
            }
            Frame::Contact => {
                let prio = attr(el, b"priority")?;
                if let Some(t) = self.doc.tuples.last_mut() {
                    t.priority = prio.as_deref().and_then(|p| Qvalue::parse(p.trim()));
                }
            }
            Frame::Skip => {
                // An element directly inside <activities> is itself an activity.
                if let Some(&Frame::Activities(owner, false)) = self.stack.last() {
                    let name = String::from_utf8_lossy(local);
                    let a = if ns == Ns::Rpid {
                        Activity::from_name(&name)
                    } else {
                        Activity::Other(name.into_owned())
                    };
                    self.add_activity(owner, a)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn on_close(&mut self, frame: Frame) -> Result<(), PidfError> {
        let text = self.text.trim();
        match frame {
            Frame::Basic => {
                let basic = if text.eq_ignore_ascii_case("open") {
                    Some(Basic::Open)
                } else if text.eq_ignore_ascii_case("closed") {
                    Some(Basic::Closed)
                } else {
                    None
                };
                if let Some(t) = self.doc.tuples.last_mut() {
                    t.basic = basic;
                }
            }
            Frame::Contact => {
                if let Some(t) = self.doc.tuples.last_mut() {
                    t.contact = (!text.is_empty()).then(|| text.to_string());
                }
            }
            Frame::Note(owner) => {
                if text.is_empty() {
                    return Ok(());
                }
                if self.notes >= self.limits.max_notes {
                    return Err(PidfError::TooMany {
                        what: "note",
                        max: self.limits.max_notes,
                    });
                }
                self.notes += 1;
                let note = text.to_string();
                match owner {
                    None => self.doc.notes.push(note),
                    Some(Owner::Tuple) => push_last(&mut self.doc.tuples, |t| &mut t.notes, note),
                    Some(Owner::Person) => push_last(&mut self.doc.persons, |p| &mut p.notes, note),
                }
            }
            Frame::OtherActivity(owner) => {
                let a = Activity::Other(text.to_string());
                self.add_activity(owner, a)?;
            }
            Frame::TextActivity(owner) if !text.is_empty() => {
                let a = Activity::from_name(&text.to_ascii_lowercase());
                self.add_activity(owner, a)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn add_activity(&mut self, owner: Owner, a: Activity) -> Result<(), PidfError> {
        self.check_activity()?;
        self.activities += 1;
        match owner {
            Owner::Tuple => push_last(&mut self.doc.tuples, |t| &mut t.activities, a),
            Owner::Person => push_last(&mut self.doc.persons, |p| &mut p.activities, a),
        }
        Ok(())
    }
}

fn push_last<T, V>(items: &mut [T], field: impl FnOnce(&mut T) -> &mut Vec<V>, v: V) {
    if let Some(last) = items.last_mut() {
        field(last).push(v);
    }
}

fn bounded(v: Option<String>, max: usize) -> Result<String, XmlError> {
    let v = v.unwrap_or_default();
    if v.len() > max {
        return Err(XmlError::TextTooLong { max });
    }
    Ok(v)
}
