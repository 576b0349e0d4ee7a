//! Phone numbers: read the way the tutorial reads them, checked by
//! libphonenumber's rules (the `phonenumber` crate), kept in E.164.

use std::fmt;
use std::str::FromStr;

use phonenumber::country;
use phonenumber::metadata::DATABASE;

/// Longer input than this is not a phone number; refuse it before parsing.
const MAX_INPUT_CHARS: usize = 64;

/// A valid phone number in E.164 form. `Debug` and `Display` show it masked
/// (`+1201•••0123`), so logging one never leaks the whole number.
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    e164: String,
    country_code: u16,
}

/// Why typed text is not a phone number we can text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("Enter your phone number.")]
    Empty,
    #[error("That doesn't look like a phone number. Check the digits and try again.")]
    NotANumber,
}

/// The calling code numbers without a `+` belong to, e.g. `+1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultCountry {
    code: u16,
    region: country::Id,
}

impl FromStr for DefaultCountry {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let problem = || format!("must be a calling code such as \"+1\" or \"+44\" (got {text:?})");
        let code: u16 = text
            .strip_prefix('+')
            .filter(|digits| (1..=3).contains(&digits.len()))
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(problem)?;
        // The first region listed for a calling code is its main one (US for +1).
        let region = DATABASE
            .region(&code)
            .and_then(|regions| regions.first().and_then(|id| id.parse().ok()))
            .ok_or_else(problem)?;
        Ok(Self { code, region })
    }
}

impl DefaultCountry {
    pub fn code(&self) -> u16 {
        self.code
    }
}

impl PhoneNumber {
    /// Drops the separators people type (`-`, `.`, `(`, `)`, spaces), then
    /// reads the number as international when it starts with `+`, else as a
    /// national number of `default`'s country.
    pub fn parse(typed: &str, default: &DefaultCountry) -> Result<Self, PhoneError> {
        if typed.chars().count() > MAX_INPUT_CHARS {
            return Err(PhoneError::NotANumber);
        }
        let compact: String = typed
            .chars()
            .filter(|c| !matches!(c, '-' | '.' | '(' | ')') && !c.is_whitespace())
            .collect();
        if compact.is_empty() {
            return Err(PhoneError::Empty);
        }
        let all_digits = compact
            .strip_prefix('+')
            .unwrap_or(&compact)
            .bytes()
            .all(|b| b.is_ascii_digit());
        if !all_digits {
            return Err(PhoneError::NotANumber);
        }
        let region = (!compact.starts_with('+')).then_some(default.region);
        let number = phonenumber::parse(region, &compact).map_err(|_| PhoneError::NotANumber)?;
        if !number.is_valid() {
            return Err(PhoneError::NotANumber);
        }
        Ok(Self {
            e164: number.format().mode(phonenumber::Mode::E164).to_string(),
            country_code: number.code().value(),
        })
    }

    /// `+12015550123`: what is stored and sent to Telnyx.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// For the pages: `+1 ••• ••• 0123`.
    pub fn masked(&self) -> String {
        format!("+{} ••• ••• {}", self.country_code, self.last_four())
    }

    fn national(&self) -> &str {
        let code_digits = self.country_code.to_string().len();
        &self.e164[1 + code_digits..]
    }

    fn last_four(&self) -> &str {
        let national = self.national();
        &national[national.len().saturating_sub(4)..]
    }
}

/// For the logs: `+1201•••0123`, enough to tell numbers apart in an incident.
impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let national = self.national();
        let head = &national[..national.len().saturating_sub(7).min(3)];
        write!(f, "+{}{}•••{}", self.country_code, head, self.last_four())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> DefaultCountry {
        "+1".parse().expect("+1 is a calling code")
    }

    fn parse(typed: &str) -> Result<String, PhoneError> {
        PhoneNumber::parse(typed, &us()).map(|n| n.e164().to_owned())
    }

    #[test]
    fn the_tutorials_formats_all_become_e164() {
        for typed in [
            "(201) 555-0123",
            "201.555.0123",
            "201-555-0123",
            "2015550123",
            "+1 201 555 0123",
            "+1 (201) 555-0123",
            "1 201 555 0123",
            " 201 555 0123\t",
        ] {
            assert_eq!(parse(typed), Ok("+12015550123".to_owned()), "{typed:?}");
        }
    }

    #[test]
    fn numbers_with_a_plus_keep_their_own_country() {
        assert_eq!(parse("+44 7400 123456"), Ok("+447400123456".to_owned()));
    }

    #[test]
    fn a_national_number_takes_the_configured_country() {
        let gb: DefaultCountry = "+44".parse().expect("+44 is a calling code");
        let number = PhoneNumber::parse("07400 123456", &gb).map(|n| n.e164().to_owned());
        assert_eq!(number, Ok("+447400123456".to_owned()));
    }

    #[test]
    fn invalid_numbers_are_refused() {
        for typed in [
            "(555) 123-4567",
            "123",
            "2015550123456789",
            "+999 1234567",
            "phone",
            "201555012a",
            "201-555-0123 ext 5",
            "++12015550123",
            "+",
            "٢٠١٥٥٥٠١٢٣",
        ] {
            assert_eq!(parse(typed), Err(PhoneError::NotANumber), "{typed:?}");
        }
    }

    #[test]
    fn empty_and_separator_only_input_asks_for_a_number() {
        for typed in ["", "   ", "-().", "\u{a0}"] {
            assert_eq!(parse(typed), Err(PhoneError::Empty), "{typed:?}");
        }
    }

    #[test]
    fn very_long_input_is_refused_without_parsing() {
        assert_eq!(parse(&"1".repeat(10_000)), Err(PhoneError::NotANumber));
    }

    #[test]
    fn numbers_are_masked_for_pages_and_logs() {
        let number = PhoneNumber::parse("(201) 555-0123", &us()).expect("valid");
        assert_eq!(number.masked(), "+1 ••• ••• 0123");
        assert_eq!(number.to_string(), "+1201•••0123");
        assert_eq!(format!("{number:?}"), "PhoneNumber(+1201•••0123)");
    }

    #[test]
    fn a_default_country_must_be_a_real_calling_code() {
        for good in ["+1", "+44", "+353"] {
            assert!(good.parse::<DefaultCountry>().is_ok(), "{good}");
        }
        for bad in ["1", "+", "+0", "+1234", "+999", "US", "+1a"] {
            assert!(bad.parse::<DefaultCountry>().is_err(), "{bad}");
        }
    }
}
