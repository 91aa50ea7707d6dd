//! Output sinks for the encoders.
//!
//! Every encoder writes through [`Sink`], so `encoded_len()` runs the very
//! same code as `encode()` into a byte counter: the two can never disagree,
//! which matters because the runtime sizes its send buffers from it.

/// Something bytes can be written to.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);

    fn put_str(&mut self, s: &str) {
        self.put(s.as_bytes());
    }

    /// Writes a decimal number without allocating.
    fn put_u64(&mut self, mut v: u64) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        loop {
            i -= 1;
            if let Some(slot) = buf.get_mut(i) {
                *slot = b'0' + (v % 10) as u8;
            }
            v /= 10;
            if v == 0 || i == 0 {
                break;
            }
        }
        self.put(buf.get(i..).unwrap_or_default());
    }
}

impl Sink for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Counts bytes instead of writing them.
#[derive(Default)]
pub(crate) struct Counter(pub usize);

impl Sink for Counter {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.0 = self.0.saturating_add(bytes.len());
    }
}

/// Writes `value` with every CR and LF replaced by SP, so a value handed to a
/// builder can never inject a header line (RFC 3261 §7.3: values are one line
/// once unfolded).
pub(crate) fn put_line_safe<S: Sink>(out: &mut S, value: &str) {
    let b = value.as_bytes();
    let mut start = 0;
    while let Some(off) = b
        .get(start..)
        .and_then(|r| memchr::memchr2(b'\r', b'\n', r))
    {
        out.put(b.get(start..start + off).unwrap_or_default());
        out.put(b" ");
        start += off + 1;
    }
    out.put(b.get(start..).unwrap_or_default());
}
