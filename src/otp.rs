//! One-time codes: how they are made, and how what a user types is read.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The symbols a code is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// `0`-`9`, the default: easy to type on a phone's number pad.
    Digits,
    /// `0`-`9A`-`F`, the tutorial's; read case-insensitively.
    Hex,
}

impl Alphabet {
    fn symbols(self) -> &'static [u8] {
        match self {
            Alphabet::Digits => b"0123456789",
            Alphabet::Hex => b"0123456789ABCDEF",
        }
    }
}

/// The shape every code of this app has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeFormat {
    pub alphabet: Alphabet,
    pub length: usize,
}

impl CodeFormat {
    pub const LENGTHS: std::ops::RangeInclusive<usize> = 4..=10;
    /// NIST SP 800-63B asks for 20 bits; six digits (19.93 bits) is the
    /// accepted reading of that, so the floor is a million codes.
    pub const MIN_CODE_SPACE: u64 = 1_000_000;

    /// How many different codes this format can make.
    pub fn code_space(self) -> u64 {
        (self.alphabet.symbols().len() as u64).saturating_pow(self.length as u32)
    }

    pub fn is_weak(self) -> bool {
        self.code_space() < Self::MIN_CODE_SPACE
    }

    /// A fresh code, each symbol drawn uniformly from the thread-local CSPRNG.
    pub fn generate(self) -> OtpCode {
        let symbols = self.alphabet.symbols();
        let mut rng = rand::rng();
        let code = (0..self.length)
            .map(|_| char::from(symbols[rng.random_range(0..symbols.len())]))
            .collect();
        OtpCode(code)
    }

    /// Reads what the user typed (`typed_symbols`: spaces and dashes
    /// dropped, Arabic and full-width digits as ASCII, hex upper-cased).
    /// Anything that cannot be a code of this format is refused before it
    /// reaches a verification, so a typo costs no try.
    pub fn read_attempt(self, typed: &str) -> Result<OtpCode, MalformedCode> {
        let code = typed_symbols(typed);
        let well_formed =
            code.len() == self.length && code.bytes().all(|b| self.alphabet.symbols().contains(&b));
        if well_formed {
            Ok(OtpCode(code))
        } else {
            Err(MalformedCode)
        }
    }
}

/// A typed code's symbols: spaces, dashes and direction marks dropped,
/// Arabic and full-width digits as the ASCII ones they mean, letters
/// upper-cased.
fn typed_symbols(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && !crate::i18n::is_direction_mark(*c))
        .map(|c| crate::i18n::western_digit(c).to_ascii_uppercase())
        .collect()
}

/// What the user typed could not be a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedCode;

/// A one-time code. Its `Debug` hides it, so it cannot slip into a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl OtpCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads a code back from this app's own cookie; `None` if it is not one.
    pub fn from_cookie(text: &str, format: CodeFormat) -> Option<Self> {
        format.read_attempt(text).ok()
    }

    /// A code a caller chose (the Verify API's `custom_code`): 4 to 10 digits.
    pub fn custom(text: &str) -> Option<Self> {
        let well_formed =
            CodeFormat::LENGTHS.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
        well_formed.then(|| Self(text.to_owned()))
    }

    /// What a program typed, read without knowing the code's format (as
    /// `read_attempt` reads it), 1 to 16 letters and digits.
    pub fn read_loosely(typed: &str) -> Result<Self, MalformedCode> {
        let code = typed_symbols(typed);
        let well_formed =
            (1..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
        if well_formed {
            Ok(Self(code))
        } else {
            Err(MalformedCode)
        }
    }
}

/// The secret that keys code digests. Only digests are stored, so a copy of
/// the store does not give away a single code. Held as HMAC's keyed state
/// (the key's inner and outer pads already hashed), which each digest
/// copies: half the SHA-256 work of keying it again per code.
#[derive(Clone)]
pub struct CodeKey(Hmac<Sha256>);

/// HMAC-SHA256 of a code, bound to the verification it was issued for (its
/// id), or, for a check by number, to its number and profile.
#[derive(Clone, Copy)]
pub struct CodeDigest([u8; 32]);

impl CodeKey {
    /// A key from 32 secret bytes (see `keys`: derived from the master key,
    /// so every instance sharing that key agrees).
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(Hmac::<Sha256>::new_from_slice(&bytes).expect("HMAC takes a key of any length"))
    }

    /// A key for this process only.
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
        Self::new(bytes)
    }

    /// The digest of `code` for the verification `context` (its id), so equal
    /// codes in two verifications have unrelated digests.
    pub fn digest(&self, context: &[u8], code: &OtpCode) -> CodeDigest {
        let mut mac = self.0.clone();
        mac.update(context);
        mac.update(b"\0");
        mac.update(code.0.as_bytes());
        CodeDigest(mac.finalize().into_bytes().into())
    }

    /// The digest of `code` for the newest verification of number `e164`
    /// under Verify API profile `profile`: what a check by number can
    /// compute before it knows which verification that is. Kept beside the
    /// number's index in Redis, whose scripts cannot compute HMACs. Its
    /// context starts `number`, which keeps it apart from a digest keyed by
    /// a verification's (random) id.
    pub fn number_digest(&self, e164: &str, profile: &str, code: &OtpCode) -> CodeDigest {
        let mut context = Vec::with_capacity(8 + e164.len() + profile.len());
        context.extend_from_slice(b"number\0");
        context.extend_from_slice(e164.as_bytes());
        context.push(0);
        context.extend_from_slice(profile.as_bytes());
        self.digest(&context, code)
    }
}

/// A code someone typed, with every key that may have digested it (the
/// first keys new codes; the others are being rotated out): its digests
/// for whichever verification the store finds it is for.
#[derive(Debug, Clone, Copy)]
pub struct Typed<'a> {
    keys: &'a [CodeKey],
    code: &'a OtpCode,
}

impl<'a> Typed<'a> {
    pub fn new(keys: &'a [CodeKey], code: &'a OtpCode) -> Self {
        Self { keys, code }
    }

    /// Its digests for the verification whose id is `id`.
    pub fn for_id(&self, id: &[u8]) -> Vec<CodeDigest> {
        self.keys.iter().map(|k| k.digest(id, self.code)).collect()
    }

    /// Its digests for a verification found by number (`number_digest`).
    pub fn for_number(&self, e164: &str, profile: &str) -> Vec<CodeDigest> {
        self.keys
            .iter()
            .map(|k| k.number_digest(e164, profile, self.code))
            .collect()
    }
}

impl CodeDigest {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A digest read back from a shared store.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// Compares in time that does not depend on where the digests differ.
    pub fn matches(&self, other: &CodeDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// Equal digests, compared in constant time.
impl PartialEq for CodeDigest {
    fn eq(&self, other: &Self) -> bool {
        self.matches(other)
    }
}

impl Eq for CodeDigest {}

impl fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeKey(••••)")
    }
}

impl fmt::Debug for CodeDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeDigest(••••)")
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(••••)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGITS_6: CodeFormat = CodeFormat {
        alphabet: Alphabet::Digits,
        length: 6,
    };

    fn hex(length: usize) -> CodeFormat {
        CodeFormat {
            alphabet: Alphabet::Hex,
            length,
        }
    }

    #[test]
    fn a_generated_code_has_the_configured_length_and_alphabet() {
        for format in [DIGITS_6, hex(4), hex(5), hex(7), hex(10)] {
            let code = format.generate();
            assert_eq!(code.as_str().len(), format.length);
            assert!(format.read_attempt(code.as_str()).is_ok(), "{format:?}");
        }
    }

    #[test]
    fn hex_codes_are_upper_case() {
        let code = hex(9).generate();
        assert!(
            code.as_str()
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        );
    }

    #[test]
    fn every_symbol_turns_up_about_equally_often() {
        // 20,000 hex symbols: each of the 16 is expected 1,250 times; a
        // uniform draw lands within 1,100..1,400 with overwhelming odds.
        let mut counts = [0usize; 16];
        for _ in 0..2_000 {
            for b in hex(10).generate().as_str().bytes() {
                let value = (b as char).to_digit(16).unwrap_or(99) as usize;
                counts[value] += 1;
            }
        }
        assert!(
            counts.iter().all(|&n| (1_100..1_400).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn codes_do_not_repeat() {
        let codes: std::collections::HashSet<String> = (0..1_000)
            .map(|_| hex(10).generate().as_str().to_owned())
            .collect();
        assert_eq!(codes.len(), 1_000);
    }

    #[test]
    fn spaces_dashes_and_case_in_a_typed_code_are_ignored() {
        let typed = hex(6)
            .read_attempt(" ab-12 9f ")
            .map(|c| c.as_str().to_owned());
        assert_eq!(typed, Ok("AB129F".to_owned()));
        let typed = DIGITS_6
            .read_attempt("123 456")
            .map(|c| c.as_str().to_owned());
        assert_eq!(typed, Ok("123456".to_owned()));
    }

    #[test]
    fn a_code_typed_in_arabic_persian_or_full_width_digits_reads_as_the_same_code() {
        for typed in [
            "١٢٣ ٤٥٦",
            "۱۲۳۴۵۶",
            "１２３４５６",
            "12٣4۵６",
            "\u{200F}١٢٣٤٥٦\u{200F}",
        ] {
            let code = DIGITS_6.read_attempt(typed).map(|c| c.as_str().to_owned());
            assert_eq!(code, Ok("123456".to_owned()), "{typed:?}");
        }
    }

    #[test]
    fn typed_codes_of_the_wrong_length_or_symbols_are_malformed() {
        for typed in ["", "12345", "1234567", "12a456", "١٢٣٤٥", "12345\u{0}"] {
            assert_eq!(
                DIGITS_6.read_attempt(typed),
                Err(MalformedCode),
                "{typed:?}"
            );
        }
        assert_eq!(hex(4).read_attempt("ABCG"), Err(MalformedCode));
    }

    #[test]
    fn codes_under_a_million_possibilities_are_weak() {
        assert_eq!(DIGITS_6.code_space(), 1_000_000);
        assert!(!DIGITS_6.is_weak());
        assert!(!hex(5).is_weak());
        assert!(hex(4).is_weak());
        assert!(
            CodeFormat {
                alphabet: Alphabet::Digits,
                length: 5
            }
            .is_weak()
        );
    }

    #[test]
    fn a_digest_matches_only_the_same_code_for_the_same_verification() {
        let key = CodeKey::new([1; 32]);
        let code = OtpCode("123456".into());
        let digest = key.digest(b"verification-1", &code);
        assert!(digest.matches(&key.digest(b"verification-1", &code)));
        assert!(!digest.matches(&key.digest(b"verification-1", &OtpCode("123457".into()))));
        assert!(!digest.matches(&key.digest(b"verification-2", &code)));
        let other_key = CodeKey::new([2; 32]);
        assert!(!digest.matches(&other_key.digest(b"verification-1", &code)));
    }

    #[test]
    fn a_digest_is_hmac_sha256_of_the_verification_a_zero_byte_and_the_code() {
        // What every instance, and every digest already stored, agrees on
        // (RFC 4231's test key 2 and a fresh HMAC of the same bytes).
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(b"Jefe");
        let key = CodeKey::new(bytes);
        let code = OtpCode("123456".into());
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").expect("any length");
        mac.update(b"verification-1\x00123456");
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        // A key of 32 bytes is zero-padded to the block as "Jefe" alone is.
        assert_eq!(key.digest(b"verification-1", &code).as_bytes(), &expected);
        assert_eq!(
            key.digest(b"verification-1", &code).as_bytes(),
            &expected,
            "and again"
        );
    }

    #[test]
    fn a_number_digest_speaks_for_one_code_one_number_and_one_profile_and_no_id() {
        let key = CodeKey::new([3; 32]);
        let code = |text: &str| OtpCode(text.into());
        let digest = key.number_digest("+12015550123", "acme", &code("123456"));
        assert_eq!(
            digest,
            key.number_digest("+12015550123", "acme", &code("123456"))
        );
        let others = [
            key.number_digest("+12015550123", "acme", &code("123457")),
            key.number_digest("+12015550124", "acme", &code("123456")),
            key.number_digest("+12015550123", "acmf", &code("123456")),
            key.number_digest("+12015550123", "", &code("123456")),
            CodeKey::new([4; 32]).number_digest("+12015550123", "acme", &code("123456")),
            key.digest(b"+12015550123", &code("123456")),
        ];
        for other in others {
            assert_ne!(digest, other);
        }
        let typed = code("123456");
        let keys = [CodeKey::new([4; 32]), key];
        let typed = Typed::new(&keys, &typed);
        assert!(typed.for_number("+12015550123", "acme")[1].matches(&digest));
        assert!(!typed.for_number("+12015550123", "acme")[0].matches(&digest));
    }

    proptest::proptest! {
        #[test]
        fn any_typed_text_is_read_as_a_well_formed_code_or_refused(typed in "\\PC{0,30}") {
            for format in [DIGITS_6, hex(5), hex(10)] {
                if let Ok(code) = format.read_attempt(&typed) {
                    proptest::prop_assert_eq!(code.as_str().len(), format.length);
                    proptest::prop_assert_eq!(format.read_attempt(code.as_str()), Ok(code));
                }
            }
        }
    }
}
