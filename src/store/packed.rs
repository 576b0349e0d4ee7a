//! A verification as Redis keeps it: one string, each field at a fixed
//! place, so a script reads and changes what it needs with `string.sub`
//! and one `GET` and one `SET` instead of a hash's fourteen fields (Redis
//! spent more on finding those fields in the hash than on the rest of a
//! check, and the app as much on reading fourteen replies).
//!
//! Numbers are zero-padded decimal, text is padded with spaces, the code's
//! digest is its 32 bytes; the profile, of any length, is what is left.
//! `Field::lua` puts the places into the scripts, so Rust and Lua read the
//! same layout.

use crate::clock::Timestamp;
use crate::otp::CodeDigest;
use crate::phone::PhoneNumber;
use crate::verification::{Delivery, ProfileId, Status, Verification};

/// The fixed fields, in the order they are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Expires,
    Status,
    WrongTries,
    Updated,
    Sent,
    Created,
    Delivery,
    CustomCode,
    CountryCode,
    Region,
    Phone,
    Digest,
    /// Where builds before receipt links (`sms::ReceiptLinks`) kept the
    /// last Telnyx message's id (a UUID). Written blank, and blanked again
    /// by a resend, and read by nothing: kept so that those builds and this
    /// one can share a Redis during a rolling upgrade. The next change of
    /// layout can drop it.
    Message,
}

/// Milliseconds are 15 digits: time runs out in the year 33658.
const MILLIS: usize = 15;

impl Field {
    pub(super) const ALL: [Field; 13] = [
        Field::Expires,
        Field::Status,
        Field::WrongTries,
        Field::Updated,
        Field::Sent,
        Field::Created,
        Field::Delivery,
        Field::CustomCode,
        Field::CountryCode,
        Field::Region,
        Field::Phone,
        Field::Digest,
        Field::Message,
    ];

    pub(super) const fn width(self) -> usize {
        match self {
            Field::Expires | Field::Updated | Field::Sent | Field::Created => MILLIS,
            Field::Status | Field::Delivery | Field::CustomCode => 1,
            // `u32::MAX` has ten digits.
            Field::WrongTries => 10,
            Field::CountryCode | Field::Region => 3,
            // `+` and at most 15 digits.
            Field::Phone => 16,
            Field::Digest => 32,
            Field::Message => 36,
        }
    }

    /// Where it starts, from 0.
    const fn start(self) -> usize {
        let mut at = 0;
        let mut i = 0;
        while Field::ALL[i] as usize != self as usize {
            at += Field::ALL[i].width();
            i += 1;
        }
        at
    }

    fn range(self) -> std::ops::Range<usize> {
        self.start()..self.start() + self.width()
    }

    /// How the scripts name it: `$STATUS` stands for its place and width,
    /// `16, 1`, as `field(v, …)` and `put(v, …, text)` take them.
    pub(super) fn token(self) -> &'static str {
        match self {
            Field::Expires => "$EXPIRES",
            Field::Status => "$STATUS",
            Field::WrongTries => "$WRONG",
            Field::Updated => "$UPDATED",
            Field::Sent => "$SENT",
            Field::Created => "$CREATED",
            Field::Delivery => "$DELIVERY",
            Field::CustomCode => "$CUSTOM",
            Field::CountryCode => "$COUNTRY_CODE",
            Field::Region => "$REGION",
            Field::Phone => "$PHONE",
            Field::Digest => "$DIGEST",
            Field::Message => "$MESSAGE",
        }
    }

    /// Its place (from 1, as Lua counts) and width.
    pub(super) fn lua(self) -> String {
        format!("{}, {}", self.start() + 1, self.width())
    }
}

/// What a try at a code writes: the status, the wrong tries and the last
/// change. They lie side by side, so a script writes them as one piece:
/// this is its place (from 1, as Lua counts) and width, as `Field::lua`.
pub(super) fn try_record_lua() -> String {
    let start = Field::Status.start();
    let end = Field::Updated.start() + Field::Updated.width();
    format!("{}, {}", start + 1, end - start)
}

const _: () = assert!(
    Field::Status.width() == 1
        && Field::Status.start() + Field::Status.width() == Field::WrongTries.start()
        && Field::WrongTries.start() + Field::WrongTries.width() == Field::Updated.start(),
    "a try's fields must lie side by side, in this order"
);

/// Where the profile starts: after every fixed field.
pub(super) const PROFILE_START: usize = Field::Message.start() + Field::Message.width();

/// A status as one letter.
pub(super) fn status_letter(status: Status) -> u8 {
    match status {
        Status::Pending => b'p',
        Status::Used => b'u',
        Status::Locked => b'l',
    }
}

/// A delivery as one letter.
pub(super) fn delivery_letter(delivery: Delivery) -> u8 {
    match delivery {
        Delivery::Unknown => b'?',
        Delivery::Sent => b's',
        Delivery::Delivered => b'd',
        Delivery::Failed => b'f',
    }
}

/// The latest time a verification can hold: 15 digits of milliseconds.
/// Later ones (past the year 33658, which no clock gives) are written as
/// this, here and in the scripts' `millis`.
pub(super) const LAST_MILLIS: u64 = 999_999_999_999_999;

fn time(at: Timestamp) -> u64 {
    at.as_millis().min(LAST_MILLIS)
}

/// A time as its field holds it, for a script to compare with.
pub(super) fn millis_text(at: Timestamp) -> String {
    format!("{:0MILLIS$}", time(at))
}

/// `n` in `width` digits; `None` if it needs more.
fn digits(out: &mut Vec<u8>, n: u64, width: usize) -> Option<()> {
    let text = format!("{n:0width$}");
    (text.len() == width).then(|| out.extend_from_slice(text.as_bytes()))
}

/// `text` and spaces to `width`; `None` if it is longer.
fn padded(out: &mut Vec<u8>, text: &[u8], width: usize) -> Option<()> {
    let spaces = width.checked_sub(text.len())?;
    out.extend_from_slice(text);
    out.resize(out.len() + spaces, b' ');
    Some(())
}

/// `v` as one string, with no message. `None` only if a field is
/// wider than its place, which no number, country code or region is.
pub(super) fn pack(v: &Verification) -> Option<Vec<u8>> {
    let profile = v.profile.as_ref().map_or("", ProfileId::as_str);
    let mut out = Vec::with_capacity(PROFILE_START + profile.len());
    for field in Field::ALL {
        let width = field.width();
        match field {
            Field::Expires => digits(&mut out, time(v.expires), width)?,
            Field::Status => out.push(status_letter(v.status)),
            Field::WrongTries => digits(&mut out, v.wrong_tries.into(), width)?,
            Field::Updated => digits(&mut out, time(v.updated), width)?,
            Field::Sent => digits(&mut out, time(v.sent), width)?,
            Field::Created => digits(&mut out, time(v.created), width)?,
            Field::Delivery => out.push(delivery_letter(v.delivery)),
            Field::CustomCode => out.push(if v.custom_code { b'1' } else { b'0' }),
            Field::CountryCode => digits(&mut out, v.phone.country_code().into(), width)?,
            Field::Region => padded(&mut out, v.phone.region_code().as_bytes(), width)?,
            Field::Phone => padded(&mut out, v.phone.e164().as_bytes(), width)?,
            Field::Digest => out.extend_from_slice(v.digest.as_bytes()),
            Field::Message => padded(&mut out, b"", width)?,
        }
    }
    out.extend_from_slice(profile.as_bytes());
    Some(out)
}

fn slice(bytes: &[u8], field: Field) -> Option<&[u8]> {
    bytes.get(field.range())
}

fn text(bytes: &[u8], field: Field) -> Option<&str> {
    std::str::from_utf8(slice(bytes, field)?).ok()
}

fn number<T: std::str::FromStr>(bytes: &[u8], field: Field) -> Option<T> {
    text(bytes, field)?.parse().ok()
}

fn millis(bytes: &[u8], field: Field) -> Option<Timestamp> {
    number(bytes, field).map(Timestamp::from_millis)
}

fn letter(bytes: &[u8], field: Field) -> Option<u8> {
    slice(bytes, field)?.first().copied()
}

/// A verification read back; `None` for anything not in this layout.
pub(super) fn unpack(bytes: &[u8]) -> Option<Verification> {
    let status = letter(bytes, Field::Status)?;
    let delivery = letter(bytes, Field::Delivery)?;
    let profile = std::str::from_utf8(bytes.get(PROFILE_START..)?).ok()?;
    Some(Verification {
        phone: PhoneNumber::from_stored(
            text(bytes, Field::Phone)?.trim_end(),
            number(bytes, Field::CountryCode)?,
            text(bytes, Field::Region)?.trim_end(),
        )?,
        digest: CodeDigest::from_bytes(slice(bytes, Field::Digest)?)?,
        created: millis(bytes, Field::Created)?,
        expires: millis(bytes, Field::Expires)?,
        sent: millis(bytes, Field::Sent)?,
        wrong_tries: number(bytes, Field::WrongTries)?,
        status: [Status::Pending, Status::Used, Status::Locked]
            .into_iter()
            .find(|s| status_letter(*s) == status)?,
        profile: Some(profile).filter(|p| !p.is_empty()).map(ProfileId::new),
        custom_code: match letter(bytes, Field::CustomCode)? {
            b'1' => true,
            b'0' => false,
            _ => return None,
        },
        updated: millis(bytes, Field::Updated)?,
        delivery: Delivery::ALL
            .into_iter()
            .find(|d| delivery_letter(*d) == delivery)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fields_follow_one_another_without_gaps_or_overlaps() {
        let mut at = 0;
        for field in Field::ALL {
            assert_eq!(field.start(), at, "{field:?}");
            at += field.width();
        }
        assert_eq!(PROFILE_START, at);
        assert_eq!(Field::Status.lua(), "16, 1");
        assert_eq!(try_record_lua(), "16, 26");
    }

    fn verification(profile: Option<&str>) -> Verification {
        Verification {
            phone: PhoneNumber::from_stored("+447700900123", 44, "GB").expect("a stored number"),
            digest: CodeDigest::from_bytes(&[7; 32]).expect("32 bytes"),
            created: Timestamp::from_millis(1_764_680_000_000),
            expires: Timestamp::from_millis(1_764_680_600_000),
            sent: Timestamp::from_millis(1_764_680_030_000),
            wrong_tries: 4,
            status: Status::Locked,
            profile: profile.map(ProfileId::new),
            custom_code: true,
            updated: Timestamp::from_millis(1_764_680_040_000),
            delivery: Delivery::Failed,
        }
    }

    #[test]
    fn a_verification_reads_back_as_it_was_packed() {
        for profile in [None, Some("login | signup")] {
            let v = verification(profile);
            let packed = pack(&v).expect("fits");
            assert_eq!(packed.len(), PROFILE_START + profile.map_or(0, str::len));
            assert_eq!(unpack(&packed), Some(v));
        }
        let mut odd = verification(None);
        odd.phone = PhoneNumber::from_stored("+80012345678", 800, "").expect("a stored number");
        odd.status = Status::Pending;
        odd.delivery = Delivery::Unknown;
        odd.custom_code = false;
        odd.wrong_tries = u32::MAX;
        assert_eq!(unpack(&pack(&odd).expect("fits")), Some(odd));
    }

    #[test]
    fn a_string_not_in_the_layout_reads_as_nothing() {
        assert_eq!(unpack(b"pending"), None);
        assert_eq!(unpack(&[b'x'; PROFILE_START]), None);
        assert_eq!(unpack(&[b' '; PROFILE_START]), None);
        let packed = pack(&verification(Some("acme"))).expect("fits");
        for cut in 0..PROFILE_START {
            assert_eq!(unpack(&packed[..cut]), None, "cut at {cut}");
        }
        for field in Field::ALL {
            if matches!(field, Field::Digest | Field::Message) {
                continue; // any 32 bytes; not read
            }
            let mut spoilt = packed.clone();
            spoilt[field.start()] = 0xff;
            assert_eq!(unpack(&spoilt), None, "{field:?}");
        }
        let mut spoilt = packed.clone();
        spoilt.push(0xff);
        assert_eq!(unpack(&spoilt), None, "a profile that is not UTF-8");
    }

    #[test]
    fn a_time_past_what_fits_is_written_as_the_last_that_does() {
        let mut v = verification(None);
        v.expires = Timestamp::from_millis(u64::MAX);
        let read = unpack(&pack(&v).expect("fits")).expect("reads");
        assert_eq!(read.expires, Timestamp::from_millis(LAST_MILLIS));
    }
}
