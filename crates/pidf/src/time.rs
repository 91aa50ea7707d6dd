//! Date-times for IMDN `<datetime>` and CPIM `DateTime:` (RFC 3339 `date-time`).
//!
//! The crate has no clock: the caller passes either a string it already formatted or unix
//! seconds, which we format as UTC (`Z`) with the proleptic Gregorian calendar.

use std::borrow::Cow;
use std::fmt::Write as _;

/// A point in time supplied by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp<'a> {
    /// An RFC 3339 string, written as given (e.g. `2008-04-04T12:16:49-05:00`).
    Rfc3339(&'a str),
    /// Seconds since 1970-01-01T00:00:00Z, formatted as `YYYY-MM-DDThh:mm:ssZ`.
    Unix(u64),
}

impl Timestamp<'_> {
    /// The RFC 3339 text of this timestamp.
    pub fn to_rfc3339(&self) -> Cow<'_, str> {
        match *self {
            Timestamp::Rfc3339(s) => Cow::Borrowed(s),
            Timestamp::Unix(secs) => {
                let mut s = String::with_capacity(20);
                format_rfc3339(secs, &mut s);
                Cow::Owned(s)
            }
        }
    }
}

/// Appends `unix_secs` as an RFC 3339 §5.6 UTC date-time, e.g. `2024-02-29T23:59:59Z`.
///
/// Days to civil date by H. Hinnant's `civil_from_days`; total for every `u64` (years past 9999
/// simply get more digits).
pub fn format_rfc3339(unix_secs: u64, out: &mut String) {
    let days = unix_secs / 86_400;
    let rem = unix_secs % 86_400;
    let (h, mi, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // days <= u64::MAX / 86400 < 2^48: fits in i64 with room for the offset.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z");
}
