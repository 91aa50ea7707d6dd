//! What a presence document means to smartchat.
//!
//! Two directions, two shapes. Outgoing, smartchat only ever says one of four things (patent
//! claims C1, C4, C7): [`Status`], rendered through the flat [`PresenceView`]. Incoming, clients
//! say far more than we need; [`PidfDocument`] keeps the parts that matter (tuples with their
//! basic status, contact, priority and notes; persons with RPID activities and notes;
//! document notes) and [`interpret`] reduces a PUBLISH to [`PublishedState`].

/// RFC 3863 §4.1.4 `<basic>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Basic {
    /// `open`: the contact can accept instant messages.
    Open,
    /// `closed`.
    Closed,
}

/// RFC 3863 §4.1.5 `priority` qvalue, kept in thousandths so it compares exactly
/// (`"0.5"` → 500, `"1"` → 1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Qvalue(pub u16);

impl Qvalue {
    /// Parses RFC 3261 §25.1 `qvalue` = `"0" ["." 0*3DIGIT] / "1" ["." 0*3("0")]`.
    pub fn parse(s: &str) -> Option<Qvalue> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut thousandths: u16 = 0;
        for (i, b) in frac.bytes().enumerate() {
            thousandths += u16::from(b - b'0') * [100, 10, 1][i];
        }
        match int {
            "0" => Some(Qvalue(thousandths)),
            "1" if thousandths == 0 => Some(Qvalue(1000)),
            _ => None,
        }
    }
}

/// RFC 4480 §3.2 activities. Pre-RFC RPID tokens map onto the same values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Activity {
    Appointment,
    Away,
    Breakfast,
    Busy,
    Dinner,
    Holiday,
    InTransit,
    LookingForWork,
    Meal,
    Meeting,
    OnThePhone,
    Performance,
    PermanentAbsence,
    Playing,
    Presentation,
    Shopping,
    Sleeping,
    Spectator,
    Steering,
    Travel,
    Tv,
    Unknown,
    Vacation,
    Working,
    Worship,
    /// `<rpid:other>text</rpid:other>`, or an element/token we do not know (its local name).
    Other(String),
}

impl Activity {
    /// Maps an RFC 4480 element name (or a pre-RFC token) to an activity.
    pub fn from_name(name: &str) -> Activity {
        use Activity::*;
        match name {
            "appointment" => Appointment,
            "away" => Away,
            "breakfast" => Breakfast,
            "busy" => Busy,
            "dinner" => Dinner,
            "holiday" => Holiday,
            "in-transit" => InTransit,
            "looking-for-work" => LookingForWork,
            "meal" | "lunch" => Meal,
            "meeting" => Meeting,
            "on-the-phone" | "onthephone" => OnThePhone,
            "performance" => Performance,
            "permanent-absence" => PermanentAbsence,
            "playing" => Playing,
            "presentation" => Presentation,
            "shopping" => Shopping,
            "sleeping" => Sleeping,
            "spectator" => Spectator,
            "steering" => Steering,
            "travel" => Travel,
            "tv" => Tv,
            "unknown" => Unknown,
            "vacation" => Vacation,
            "working" => Working,
            "worship" => Worship,
            other => Other(other.to_string()),
        }
    }
}

/// One `<tuple>` (RFC 3863 §4.1.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tuple {
    /// The `id` attribute (empty if a non-conforming client left it out).
    pub id: String,
    /// `<status><basic>`; `None` if absent or neither `open` nor `closed`.
    pub basic: Option<Basic>,
    /// `<contact>` (RFC 3863 §4.1.5).
    pub contact: Option<String>,
    /// The contact's `priority` attribute, if present and valid.
    pub priority: Option<Qvalue>,
    /// `<note>`s of this tuple.
    pub notes: Vec<String>,
    /// RPID activities found inside the tuple (pre-RFC 4479 clients put them there).
    pub activities: Vec<Activity>,
}

/// One `<dm:person>` (RFC 4479 §3.2), with its RPID activities (RFC 4480 §3.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// The `id` attribute (empty if absent).
    pub id: String,
    /// `<rpid:activities>` children.
    pub activities: Vec<Activity>,
    /// `<dm:note>`s.
    pub notes: Vec<String>,
}

/// A parsed PIDF document: what [`crate::parse_pidf`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PidfDocument {
    /// `<presence entity=...>` (RFC 3863 §4.1.1).
    pub entity: String,
    /// Tuples in document order.
    pub tuples: Vec<Tuple>,
    /// Persons in document order.
    pub persons: Vec<Person>,
    /// Presence-level `<note>`s (RFC 3863 §4.1.6).
    pub notes: Vec<String>,
}

impl PidfDocument {
    /// Every activity in the document, from persons and tuples.
    pub fn activities(&self) -> impl Iterator<Item = &Activity> {
        self.persons
            .iter()
            .flat_map(|p| p.activities.iter())
            .chain(self.tuples.iter().flat_map(|t| t.activities.iter()))
    }
}

/// What a PUBLISH says, as far as the presence server cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishedState {
    /// Some tuple is `open`; `busy` if any RPID `busy` activity is present.
    Open { busy: bool, note: Option<String> },
    /// No tuple is `open`.
    Closed,
}

/// Reduces a published document to open/closed, busy, and the note to show watchers.
///
/// Open if any tuple's basic status is `open` (RFC 3863 §4.1.4); busy if any person or tuple
/// carries the RPID `busy` activity (RFC 4480 §3.2). The note is the first non-empty one found
/// in this order: presence-level, person, the open tuples, any tuple.
///
/// An open `tel:` tuple counts as open here (RFC 3863 does not distinguish contacts by scheme);
/// use [`Status::from_document`] to tell "online" from "mobile".
pub fn interpret(doc: &PidfDocument) -> PublishedState {
    if !doc.tuples.iter().any(|t| t.basic == Some(Basic::Open)) {
        return PublishedState::Closed;
    }
    let busy = doc.activities().any(|a| *a == Activity::Busy);
    let open_tuple_notes = doc
        .tuples
        .iter()
        .filter(|t| t.basic == Some(Basic::Open))
        .flat_map(|t| t.notes.iter());
    let note = doc
        .notes
        .iter()
        .chain(doc.persons.iter().flat_map(|p| p.notes.iter()))
        .chain(open_tuple_notes)
        .chain(doc.tuples.iter().flat_map(|t| t.notes.iter()))
        .find(|n| !n.is_empty())
        .cloned();
    PublishedState::Open { busy, note }
}

/// smartchat's published statuses (patent claims C1, C4, C7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    /// Online, IM deliverable: an `open` IM tuple.
    Available,
    /// Online but busy: an `open` IM tuple plus RPID `busy`.
    Busy,
    /// IM offline but reachable by SMS at `tel` (an E.164 number such as `+8613800000001`;
    /// a `tel:` prefix is accepted and not doubled).
    Mobile { tel: String },
    /// Offline: the IM tuple `closed`.
    Offline,
}

impl Status {
    /// Recovers the [`Status`] a smartchat-shaped document expresses (the inverse of
    /// [`crate::build_pidf`]); also a sensible reading of any client's document.
    ///
    /// An open tuple whose contact is not a `tel:` URI means online (busy if any `busy`
    /// activity); otherwise an open `tel:` tuple means mobile; otherwise offline.
    pub fn from_document(doc: &PidfDocument) -> Status {
        let is_tel = |t: &Tuple| t.contact.as_deref().is_some_and(has_tel_scheme);
        let open = |t: &&Tuple| t.basic == Some(Basic::Open);
        if doc.tuples.iter().filter(open).any(|t| !is_tel(t)) {
            return if doc.activities().any(|a| *a == Activity::Busy) {
                Status::Busy
            } else {
                Status::Available
            };
        }
        match doc.tuples.iter().filter(open).find(|t| is_tel(t)) {
            Some(t) => Status::Mobile {
                tel: t
                    .contact
                    .as_deref()
                    .map(strip_tel)
                    .unwrap_or_default()
                    .to_string(),
            },
            None => Status::Offline,
        }
    }
}

/// The tuples smartchat publishes, flat: one IM tuple (open or closed, contact = the entity's
/// SIP AOR), an optional busy activity, an optional open SMS tuple, an optional note.
///
/// Build one from a [`Status`] (`PresenceView::from(&status)`) and add a note with
/// [`PresenceView::with_note`]; [`crate::build_pidf`] takes either.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PresenceView<'a> {
    /// Basic status of the IM tuple.
    pub im_open: bool,
    /// Add a `<dm:person>` with `<rpid:busy/>`.
    pub busy: bool,
    /// Number (or `tel:` URI) of an open SMS tuple.
    pub sms: Option<&'a str>,
    /// Presence-level note (RFC 3863 §4.1.6); trimmed, omitted when empty.
    pub note: Option<&'a str>,
}

impl<'a> PresenceView<'a> {
    /// The same view with a presence-level note.
    pub fn with_note(self, note: &'a str) -> Self {
        PresenceView {
            note: Some(note),
            ..self
        }
    }
}

impl<'a> From<&'a Status> for PresenceView<'a> {
    fn from(s: &'a Status) -> Self {
        match s {
            Status::Available => PresenceView {
                im_open: true,
                ..Default::default()
            },
            Status::Busy => PresenceView {
                im_open: true,
                busy: true,
                ..Default::default()
            },
            Status::Mobile { tel } => PresenceView {
                sms: Some(tel),
                ..Default::default()
            },
            Status::Offline => PresenceView::default(),
        }
    }
}

impl<'a> From<&PresenceView<'a>> for PresenceView<'a> {
    fn from(v: &PresenceView<'a>) -> Self {
        *v
    }
}

pub(crate) fn has_tel_scheme(uri: &str) -> bool {
    uri.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("tel:"))
}

pub(crate) fn strip_tel(uri: &str) -> &str {
    if has_tel_scheme(uri) {
        &uri[4..]
    } else {
        uri
    }
}
