//! GSM 03.38 default alphabet (3GPP TS 23.038 §6.2.1), its extension table (§6.2.1.1) and
//! 7-bit packing (§6.1.2.1.1, with the fill bits of TS 23.040 §9.2.3.24).
//!
//! Why two representations: over the air septets are packed eight to seven octets, but most
//! SMSCs want `data_coding` 0 over SMPP *unpacked* (one septet per octet) and pack themselves.
//! Both are offered so the runtime can follow whichever its SMSC expects; the splitter in
//! [`crate::concat`] counts septets, never octets, so both give the same part boundaries.
//!
//! Why lookup tables instead of a `match`: encoding sits on the hot path of every SMS sent
//! (choosing the coding, splitting), so the Latin-1 range is a 256-entry table built at compile
//! time from the same 128-entry alphabet that decoding uses; there is only one source of truth.

use crate::SmsError;

/// The escape septet that selects the extension table (TS 23.038 §6.2.1.1).
pub const ESC: u8 = 0x1B;
/// Carriage return; also the pad for 7 spare bits (TS 23.038 §6.1.2.3.1).
pub const CR: u8 = 0x0D;

/// TS 23.038 §6.2.1 default alphabet, indexed by septet. 0x1B (escape) decodes to a space
/// when it is not followed by anything, as the table's note allows ("shall display a space").
pub const DEFAULT_ALPHABET: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// TS 23.038 §6.2.1.1 extension table: (septet after 0x1B, character).
pub const EXTENSION_TABLE: [(u8, char); 10] = [
    (0x0A, '\u{000C}'), // form feed
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

const NONE: u16 = 0xFFFF;
const EXT: u16 = 0x100;

/// Encoding of U+0000..=U+00FF: a septet, `EXT | septet` for an extension character, or NONE.
static LATIN1_TO_GSM: [u16; 256] = build_latin1_table();

const fn build_latin1_table() -> [u16; 256] {
    let mut t = [NONE; 256];
    let mut i = 0;
    while i < 128 {
        let c = DEFAULT_ALPHABET[i] as u32;
        // 0x1B is the escape, not a space; the real space is 0x20.
        if c < 256 && i != ESC as usize {
            t[c as usize] = i as u16;
        }
        i += 1;
    }
    let mut j = 0;
    while j < EXTENSION_TABLE.len() {
        let (s, c) = EXTENSION_TABLE[j];
        if (c as u32) < 256 {
            t[c as usize] = EXT | s as u16;
        }
        j += 1;
    }
    t
}

/// The GSM encoding of one character: one septet, or the escape plus one septet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GsmChar {
    /// A character of the default alphabet (§6.2.1).
    Basic(u8),
    /// A character of the extension table (§6.2.1.1), sent as `0x1B, septet`.
    Extended(u8),
}

impl GsmChar {
    /// Number of septets this character takes (1 or 2).
    #[inline]
    pub fn septets(self) -> usize {
        match self {
            GsmChar::Basic(_) => 1,
            GsmChar::Extended(_) => 2,
        }
    }
}

/// Looks `ch` up in the default alphabet and the extension table (TS 23.038 §6.2.1, §6.2.1.1).
#[inline]
pub fn gsm7_char(ch: char) -> Option<GsmChar> {
    let cp = ch as u32;
    if cp < 256 {
        let v = LATIN1_TO_GSM[cp as usize];
        return match v {
            NONE => None,
            v if v & EXT != 0 => Some(GsmChar::Extended((v & 0x7F) as u8)),
            v => Some(GsmChar::Basic(v as u8)),
        };
    }
    let s = match ch {
        'Δ' => 0x10,
        'Φ' => 0x12,
        'Γ' => 0x13,
        'Λ' => 0x14,
        'Ω' => 0x15,
        'Π' => 0x16,
        'Ψ' => 0x17,
        'Σ' => 0x18,
        'Θ' => 0x19,
        'Ξ' => 0x1A,
        '€' => return Some(GsmChar::Extended(0x65)),
        _ => return None,
    };
    Some(GsmChar::Basic(s))
}

/// Septets `text` needs in the default alphabet, counting extension characters as two
/// (TS 23.038 §6.2.1.1); `None` when some character cannot be represented.
pub fn gsm7_septet_len(text: &str) -> Option<usize> {
    let mut n = 0usize;
    for ch in text.chars() {
        n += gsm7_char(ch)?.septets();
    }
    Some(n)
}

/// Every character of `text` that GSM 03.38 cannot represent, with its byte offset.
pub fn gsm7_unrepresentable(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    text.char_indices().filter(|&(_, c)| gsm7_char(c).is_none())
}

/// Encodes `text` as unpacked septets (one per octet, as SMPP `data_coding` 0 usually
/// expects), appending to `out`. Returns the number of septets written. On the first
/// unrepresentable character `out` is restored to its previous length and the error names it.
pub fn gsm7_encode_unpacked(text: &str, out: &mut Vec<u8>) -> Result<usize, SmsError> {
    let start = out.len();
    out.reserve(text.len());
    for (index, ch) in text.char_indices() {
        match gsm7_char(ch) {
            Some(GsmChar::Basic(s)) => out.push(s),
            Some(GsmChar::Extended(s)) => out.extend_from_slice(&[ESC, s]),
            None => {
                out.truncate(start);
                return Err(SmsError::Unrepresentable { ch, index });
            }
        }
    }
    Ok(out.len() - start)
}

/// Decodes unpacked septets (TS 23.038 §6.2.1). An escape followed by a septet missing from
/// the extension table decodes as the default-alphabet character, as §6.2.1.1 prescribes; a
/// trailing lone escape decodes as a space. Octets above 0x7F are an error.
pub fn gsm7_decode_unpacked(septets: &[u8]) -> Result<String, SmsError> {
    let mut s = String::with_capacity(septets.len());
    let mut escaped = false;
    for (index, &value) in septets.iter().enumerate() {
        if value > 0x7F {
            return Err(SmsError::InvalidSeptet { value, index });
        }
        if escaped {
            escaped = false;
            s.push(extension_char(value).unwrap_or(DEFAULT_ALPHABET[usize::from(value)]));
        } else if value == ESC {
            escaped = true;
        } else {
            s.push(DEFAULT_ALPHABET[usize::from(value)]);
        }
    }
    if escaped {
        s.push(' ');
    }
    Ok(s)
}

/// The extension-table character for `septet` (TS 23.038 §6.2.1.1).
#[inline]
pub fn extension_char(septet: u8) -> Option<char> {
    EXTENSION_TABLE
        .iter()
        .find(|&&(s, _)| s == septet)
        .map(|&(_, c)| c)
}

/// Packs septets LSB-first into octets (TS 23.038 §6.1.2.1.1), appending to `out`. The first
/// `fill_bits` (0..=6; taken modulo 8) bits are zero so the text starts on a septet boundary
/// after a UDH (TS 23.040 §9.2.3.24). When the last octet would carry 7 spare bits they are
/// filled with CR, not zeros, so a receiver does not read a spurious '@' (TS 23.038
/// §6.1.2.3.1). Empty input writes nothing.
pub fn gsm7_pack(septets: &[u8], fill_bits: u8, out: &mut Vec<u8>) {
    out.reserve((septets.len() * 7 + 7).div_ceil(8));
    let mut p = Packer::new(out, fill_bits);
    for &s in septets {
        p.push(s);
    }
    p.finish();
}

/// Streaming septet packer shared by [`gsm7_pack`] and [`gsm7_encode_packed`].
struct Packer<'a> {
    out: &'a mut Vec<u8>,
    acc: u32,
    nbits: u32,
    count: usize,
    last: u8,
}

impl<'a> Packer<'a> {
    fn new(out: &'a mut Vec<u8>, fill_bits: u8) -> Self {
        Packer {
            out,
            acc: 0,
            nbits: u32::from(fill_bits & 7),
            count: 0,
            last: 0,
        }
    }

    #[inline]
    fn push(&mut self, septet: u8) {
        self.acc |= u32::from(septet & 0x7F) << self.nbits;
        self.nbits += 7;
        if self.nbits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.nbits -= 8;
        }
        self.count += 1;
        self.last = septet;
    }

    fn finish(mut self) {
        if self.count > 0 && self.nbits > 0 {
            if self.nbits == 1 {
                self.acc |= u32::from(CR) << 1;
            }
            self.out.push(self.acc as u8);
        }
    }
}

/// Unpacks `septet_count` septets from `octets`, skipping `fill_bits` (taken modulo 8) leading
/// bits, appending one septet per octet to `out` (TS 23.038 §6.1.2.1.1).
pub fn gsm7_unpack(
    octets: &[u8],
    fill_bits: u8,
    septet_count: usize,
    out: &mut Vec<u8>,
) -> Result<(), SmsError> {
    let fill = usize::from(fill_bits & 7);
    let available_bits = octets.len().saturating_mul(8);
    // With no septets the fill bits are moot: nothing is needed.
    let needed_bits = match septet_count {
        0 => 0,
        n => n.saturating_mul(7).saturating_add(fill),
    };
    if needed_bits > available_bits {
        return Err(SmsError::Truncated {
            needed_bits,
            available_bits,
        });
    }
    out.reserve(septet_count);
    let mut acc: u32 = 0;
    let mut nbits: u32 = 0;
    let mut bytes = octets.iter();
    let mut remaining = septet_count;
    // Drop the fill bits first.
    if fill > 0 {
        if let Some(&b) = bytes.next() {
            acc = u32::from(b) >> fill;
            nbits = 8 - fill as u32;
        }
    }
    while remaining > 0 {
        if nbits < 7 {
            match bytes.next() {
                Some(&b) => {
                    acc |= u32::from(b) << nbits;
                    nbits += 8;
                }
                None => break, // unreachable given the length check above
            }
        }
        out.push((acc & 0x7F) as u8);
        acc >>= 7;
        nbits -= 7;
        remaining -= 1;
    }
    Ok(())
}

/// Septets carried by `octet_len` packed octets after `fill_bits`, when no septet count
/// travels with them (SMPP `sm_length` counts octets).
#[inline]
pub fn packed_septet_capacity(octet_len: usize, fill_bits: u8) -> usize {
    octet_len
        .saturating_mul(8)
        .saturating_sub(usize::from(fill_bits & 7))
        / 7
}

/// Unpacks a whole packed payload whose septet count is implied by its length, then drops a
/// final CR when the septets end exactly on an octet boundary: that CR is either the pad for
/// 7 spare bits or the doubled CR a sender adds for a message that really ends in CR
/// (TS 23.038 §6.1.2.3.1).
pub fn gsm7_unpack_implied(
    octets: &[u8],
    fill_bits: u8,
    out: &mut Vec<u8>,
) -> Result<(), SmsError> {
    let start = out.len();
    let count = packed_septet_capacity(octets.len(), fill_bits);
    gsm7_unpack(octets, fill_bits, count, out)?;
    let bits = octets
        .len()
        .saturating_mul(8)
        .saturating_sub(usize::from(fill_bits & 7));
    if count > 0 && bits % 7 == 0 && out.len() > start && out.last() == Some(&CR) {
        out.pop();
    }
    Ok(())
}

/// True when packing `septet_count` septets after `fill_bits` ends exactly on an octet
/// boundary, i.e. when a final CR must be doubled (TS 23.038 §6.1.2.3.1).
#[inline]
pub fn ends_on_octet_boundary(septet_count: usize, fill_bits: u8) -> bool {
    (septet_count * 7 + usize::from(fill_bits & 7)).is_multiple_of(8)
}

/// Encodes `text` and packs it with `fill_bits`, appending octets to `out`; returns the
/// septet count. When the text ends in CR exactly on an octet boundary a second CR is added,
/// as TS 23.038 §6.1.2.3.1 requires, so the receiver's pad-stripping (see
/// [`gsm7_unpack_implied`]) leaves the wanted CR: the receiver then sees CR CR, which the spec
/// defines as equivalent to one CR. On error `out` is restored to its previous length.
pub fn gsm7_encode_packed(text: &str, fill_bits: u8, out: &mut Vec<u8>) -> Result<usize, SmsError> {
    let start = out.len();
    out.reserve(text.len());
    let mut p = Packer::new(out, fill_bits);
    for (index, ch) in text.char_indices() {
        match gsm7_char(ch) {
            Some(GsmChar::Basic(s)) => p.push(s),
            Some(GsmChar::Extended(s)) => {
                p.push(ESC);
                p.push(s);
            }
            None => {
                p.out.truncate(start);
                return Err(SmsError::Unrepresentable { ch, index });
            }
        }
    }
    if p.count > 0 && p.last == CR && ends_on_octet_boundary(p.count, fill_bits) {
        p.push(CR);
    }
    let count = p.count;
    p.finish();
    Ok(count)
}
