//! Configuration of one relay shard, with defaults a carrier can start from.
//!
//! Why everything is bounded here rather than in the runtime: the shard owns its tables, so the
//! shard enforces their size (TigerBeetle style: a limit on every queue, chosen at start-up).
//! [`RelayConfig::validate`] rejects combinations that would make a rule meaningless (a
//! template without `{text}`, an extension width the numbering plan cannot carry, ...).

use crate::error::ConfigError;

/// A token bucket: `burst` tokens, refilled at `per_minute` tokens per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained rate.
    pub per_minute: u32,
    /// Bucket size (what an idle key may send at once).
    pub burst: u32,
}

/// Retry policy for temporary `submit_sm` failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay before the first retry; doubles per attempt.
    pub base_ms: u64,
    /// Upper bound of one delay.
    pub max_backoff_ms: u64,
    /// Submissions per part, the first included, before the message fails.
    pub max_attempts: u16,
    /// Delay after `ESME_RTHROTTLED` / `ESME_RMSGQFUL` (back-pressure, not counted as an
    /// attempt).
    pub throttle_delay_ms: u64,
}

impl RetryPolicy {
    /// Delay after `attempts` failed submissions (1-based): `base * 2^(attempts-1)`, capped,
    /// plus up to 1/8 of it as jitter derived from `salt` (deterministic, so a replay from a
    /// seed is exact, yet parts failed by one SMSC outage do not all come back in one tick).
    pub fn backoff_ms(&self, attempts: u16, salt: u64) -> u64 {
        let shift = u32::from(attempts.saturating_sub(1)).min(40);
        let delay = self
            .base_ms
            .saturating_mul(1u64 << shift)
            .min(self.max_backoff_ms);
        let jitter_span = delay / 8;
        let jitter = if jitter_span == 0 {
            0
        } else {
            splitmix64(salt ^ u64::from(attempts)) % jitter_span
        };
        delay.saturating_add(jitter)
    }
}

pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Everything a relay shard needs to know up front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayConfig {
    /// Domain for `@user` addressing: `@bob` means `sip:bob@{domain}`.
    pub domain: String,
    /// The service access number SMS leave from (digits only), e.g. `10659`.
    pub access_number: String,
    /// Digits of the per-conversation extension appended to `access_number` (2..=4).
    pub extension_digits: u8,
    /// Correspondents remembered per phone (at most `10^extension_digits`); the least
    /// recently used one gives up its extension when a new one needs it.
    pub max_extensions_per_phone: u16,
    /// Phones whose conversation table is kept; the least recently used is forgotten.
    pub max_phones: usize,
    /// How long the last correspondent of a phone is a valid reply target.
    pub last_correspondent_window_ms: u64,
    /// SMS text for an IM; `{from_user}` (user part of the sender's AOR), `{from}` (the AOR)
    /// and `{text}` are replaced. Must contain `{text}`.
    pub template: String,
    /// Most concatenated parts an IM may become.
    pub max_sms_parts: u8,
    /// Most UTF-8 bytes of an IM or MO text (bounds work before encoding).
    pub max_text_bytes: usize,
    /// Pack GSM 7-bit septets (otherwise one septet per octet, what most SMSCs expect).
    pub packed_gsm7: bool,
    /// SMS validity: after `accepted_at + validity_ms` an unsent message is `Expired`.
    pub validity_ms: u64,
    /// After validity, how long to wait for receipts of submitted parts before the message is
    /// final as `Unconfirmed` (the SMSC sends `EXPIRED` receipts at validity end; this covers
    /// lost ones).
    pub receipt_grace_ms: u64,
    /// Temporary-failure retries.
    pub retry: RetryPolicy,
    /// How long a held IM waits for its recipient to register.
    pub hold_ms: u64,
    /// Send a `Notice` to the sender when a held IM expires (IMDN `failed` is sent regardless
    /// when the sender asked for it).
    pub notice_on_hold_expiry: bool,
    /// Text of that notice; `{to}` is replaced by the recipient's AOR.
    pub hold_expiry_text: String,
    /// How long a `DeliverIm` may stay unanswered before the message is held.
    pub im_delivery_timeout_ms: u64,
    /// Non-final messages (SMS in flight, IMs being delivered, held IMs) per shard.
    pub max_messages: usize,
    /// Held IMs per recipient.
    pub max_held_per_recipient: usize,
    /// Token bucket per recipient MSISDN (every SMS we originate to it, help included).
    pub msisdn_rate: RateLimit,
    /// Token bucket per sender AOR (IMs that become SMS).
    pub sender_rate: RateLimit,
    /// Entries per token-bucket table.
    pub max_rate_entries: usize,
    /// Help SMS for an MO that names no recipient.
    pub help_text: String,
    /// Reply to an MO from a number that is not a subscriber.
    pub not_subscribed_text: String,
    /// Reply to an MO whose recipient does not exist; `{to}` is replaced.
    pub no_such_user_text: String,
    /// At most one help SMS per phone per this interval (stops loops with auto-responders).
    pub help_cooldown_ms: u64,
    /// Receipts that arrive before their `submit_sm_resp` are kept this many ...
    pub max_early_receipts: usize,
    /// ... for this long.
    pub early_receipt_ttl_ms: u64,
}

const MINUTE_MS: u64 = 60_000;
const HOUR_MS: u64 = 60 * MINUTE_MS;

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            domain: "example.com".to_owned(),
            access_number: "10659".to_owned(),
            extension_digits: 2,
            max_extensions_per_phone: 100,
            max_phones: 100_000,
            last_correspondent_window_ms: 24 * HOUR_MS,
            template: "{from_user}: {text}".to_owned(),
            max_sms_parts: 6,
            max_text_bytes: 4096,
            packed_gsm7: false,
            validity_ms: 24 * HOUR_MS,
            receipt_grace_ms: HOUR_MS,
            retry: RetryPolicy {
                base_ms: 5_000,
                max_backoff_ms: 10 * MINUTE_MS,
                max_attempts: 10,
                throttle_delay_ms: 1_000,
            },
            hold_ms: 72 * HOUR_MS,
            notice_on_hold_expiry: true,
            hold_expiry_text: "Your message to {to} could not be delivered.".to_owned(),
            im_delivery_timeout_ms: MINUTE_MS,
            max_messages: 100_000,
            max_held_per_recipient: 100,
            msisdn_rate: RateLimit {
                per_minute: 6,
                burst: 10,
            },
            sender_rate: RateLimit {
                per_minute: 20,
                burst: 30,
            },
            max_rate_entries: 100_000,
            help_text: "Start your message with @name to choose a recipient.".to_owned(),
            not_subscribed_text: "This number is not registered for the chat service.".to_owned(),
            no_such_user_text: "No user {to}. Start your message with @name.".to_owned(),
            help_cooldown_ms: 10 * MINUTE_MS,
            max_early_receipts: 1024,
            early_receipt_ttl_ms: MINUTE_MS,
        }
    }
}

impl RelayConfig {
    /// Checks ranges and templates.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m| Err(ConfigError::Invalid(m));
        if self.domain.is_empty() || self.domain.contains(['@', ' ', ':']) {
            return bad("domain must be a non-empty host name");
        }
        let access_ok = !self.access_number.is_empty()
            && self.access_number.bytes().all(|b| b.is_ascii_digit());
        if !access_ok {
            return bad("access_number must be digits");
        }
        if !(2..=4).contains(&self.extension_digits) {
            return bad("extension_digits must be 2..=4");
        }
        // SMPP 3.4 §5.2.8: source_addr holds at most 20 digits.
        if self.access_number.len() + usize::from(self.extension_digits) > 20 {
            return bad("access_number plus extension exceeds 20 digits");
        }
        let capacity = 10u32.pow(u32::from(self.extension_digits));
        if self.max_extensions_per_phone == 0 || u32::from(self.max_extensions_per_phone) > capacity
        {
            return bad("max_extensions_per_phone must be 1..=10^extension_digits");
        }
        if !self.template.contains("{text}") {
            return bad("template must contain {text}");
        }
        if self.max_sms_parts == 0 {
            return bad("max_sms_parts must be at least 1");
        }
        if self.max_messages == 0 || self.max_phones == 0 || self.max_held_per_recipient == 0 {
            return bad("table bounds must be at least 1");
        }
        if self.max_rate_entries == 0 {
            return bad("max_rate_entries must be at least 1");
        }
        for r in [self.msisdn_rate, self.sender_rate] {
            if r.per_minute == 0 || r.burst == 0 {
                return bad("rate limits need per_minute >= 1 and burst >= 1");
            }
        }
        if self.retry.max_attempts == 0 || self.retry.base_ms == 0 {
            return bad("retry needs max_attempts >= 1 and base_ms >= 1");
        }
        if self.validity_ms == 0 || self.hold_ms == 0 || self.im_delivery_timeout_ms == 0 {
            return bad("validity_ms, hold_ms and im_delivery_timeout_ms must be positive");
        }
        if self.help_text.is_empty() {
            return bad("help_text must not be empty (an MO is never answered with silence)");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        assert_eq!(RelayConfig::default().validate(), Ok(()));
    }

    #[test]
    fn rejects_template_without_text_and_wide_extensions() {
        let mut c = RelayConfig {
            template: "{from_user}".into(),
            ..RelayConfig::default()
        };
        assert!(c.validate().is_err());
        c.template = "{text}".into();
        c.extension_digits = 5;
        assert!(c.validate().is_err());
        c.extension_digits = 2;
        c.max_extensions_per_phone = 101;
        assert!(c.validate().is_err());
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            base_ms: 1000,
            max_backoff_ms: 8000,
            max_attempts: 10,
            throttle_delay_ms: 100,
        };
        let d1 = p.backoff_ms(1, 7);
        let d2 = p.backoff_ms(2, 7);
        let d9 = p.backoff_ms(9, 7);
        assert!((1000..1125).contains(&d1), "{d1}");
        assert!((2000..2250).contains(&d2), "{d2}");
        assert!((8000..9000).contains(&d9), "{d9}");
        assert_eq!(p.backoff_ms(3, 99), p.backoff_ms(3, 99));
    }
}
