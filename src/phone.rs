//! Phone numbers: read the way the tutorial reads them, checked by
//! libphonenumber's rules (the `phonenumber` crate), kept in E.164.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use icu_experimental::displaynames::multi::RegionDisplayNames;
use icu_list::ListFormatter;
use icu_list::options::ListFormatterOptions;
use icu_locale_core::Locale;
use icu_locale_core::subtags::Region;
use phonenumber::metadata::Database;
use phonenumber::{Type, country};
use regex::{Regex, RegexBuilder};
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, PatternID, meta};

use crate::i18n::{self, Language, args};

/// Longer input than this is not a phone number; refuse it before parsing.
const MAX_INPUT_CHARS: usize = 64;

/// libphonenumber's rules as the app reads them: the `phonenumber` crate's
/// own, every region in its order, made into `phone-metadata.bin` when the
/// app is built (`build/phone_metadata.rs`) without the formats, which only
/// formatting reads, and with `\d` spelt `[0-9]`, which compiles to a far
/// smaller automaton where the crate turns on Unicode classes. The crate's
/// own database is never loaded: 1.2 MB less at rest, and the regexes its
/// parse compiles about a third of their size.
static METADATA: LazyLock<Database> = LazyLock::new(|| {
    let regions = postcard::from_bytes(include_bytes!(concat!(
        env!("OUT_DIR"),
        "/phone-metadata.bin"
    )))
    .expect("build.rs writes the phone metadata in the crate's own form");
    Database::from(regions).expect("the phone metadata is the crate's own, which loads")
});

/// Each region's example mobile number, formatted by the crate when the app
/// is built (`build/phone_metadata.rs`).
mod examples {
    include!(concat!(env!("OUT_DIR"), "/phone_examples.rs"));
}

/// A valid phone number in E.164 form. `Debug` and `Display` show it masked
/// (`+1••••••0123 [3f9a21]`: the calling code, the last four digits, and a
/// short keyed tag that lets one number's log lines be followed), so
/// logging one never leaks the whole number.
///
/// Kept inline (20 bytes, `Copy`) rather than as a `String`: every pending
/// verification holds one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    /// `+` and at most 15 digits (ITU-T E.164), ASCII.
    e164: [u8; 16],
    len: u8,
    country_code: u16,
    /// `None` for numbers that belong to no single country (+800, +881...).
    region: Option<country::Id>,
}

/// What parsing learns beyond the number: what kind of line.
struct Classified {
    number: PhoneNumber,
    line_type: Type,
}

/// The kind of line a national number is, by the region's rules: the
/// `phonenumber` crate's own classification (its `number_type`, which it
/// does not export for a region's metadata), in its order. `Unknown` if the
/// number is not valid there.
fn line_type(metadata: &phonenumber::Metadata, national: &str) -> Type {
    let rules = metadata.descriptors();
    let matches = |descriptor: Option<&phonenumber::metadata::Descriptor>| {
        descriptor.is_some_and(|d| d.is_match(national))
    };
    if !rules.general().is_match(national) {
        return Type::Unknown;
    }
    for (descriptor, kind) in special_rules(rules) {
        if matches(descriptor) {
            return kind;
        }
    }
    if matches(rules.fixed_line()) {
        let same_rules = rules.fixed_line().map(|d| d.national_number().as_str())
            == rules.mobile().map(|d| d.national_number().as_str());
        if same_rules || matches(rules.mobile()) {
            return Type::FixedLineOrMobile;
        }
        return Type::FixedLine;
    }
    if matches(rules.mobile()) {
        return Type::Mobile;
    }
    Type::Unknown
}

/// The rules of the special kinds of line, in the order the crate tries
/// them, before fixed line and mobile.
fn special_rules(
    rules: &phonenumber::metadata::Descriptors,
) -> [(Option<&phonenumber::metadata::Descriptor>, Type); 8] {
    [
        (rules.premium_rate(), Type::PremiumRate),
        (rules.toll_free(), Type::TollFree),
        (rules.shared_cost(), Type::SharedCost),
        (rules.voip(), Type::Voip),
        (rules.personal_number(), Type::PersonalNumber),
        (rules.pager(), Type::Pager),
        (rules.uan(), Type::Uan),
        (rules.voicemail(), Type::Voicemail),
    ]
}

/// A pattern of the metadata, compiled as the crate compiles it.
fn pattern(source: &str) -> Option<Regex> {
    // Without Unicode classes: the numbers are ASCII digits, so `\d` means
    // the same, and the automata are smaller.
    RegexBuilder::new(source)
        .ignore_whitespace(true)
        .unicode(false)
        .build()
        .ok()
}

/// A region's rule patterns, compiled as `pattern` compiles one, into one
/// automaton: a regex apiece kept ~14 KB each, 23 MB with every region
/// read (1,652 patterns), against 7 MB as one automaton a region.
fn patterns(sources: &[&str]) -> Option<meta::Regex> {
    meta::Regex::builder()
        .syntax(syntax::Config::new().ignore_whitespace(true).unicode(false))
        .configure(meta::Config::new().which_captures(WhichCaptures::Implicit))
        .build_many(sources)
        .ok()
}

/// One of a region's rules as the crate's `Descriptor::is_match` applies
/// it (a possible length, then the pattern from the number's start), its
/// pattern one of the region's `patterns`.
struct Rule {
    lengths: &'static [u16],
    pattern: PatternID,
}

impl Rule {
    /// The rule of `descriptor`, its pattern added to `sources`.
    fn new(
        descriptor: &'static phonenumber::metadata::Descriptor,
        sources: &mut Vec<&'static str>,
    ) -> Option<Self> {
        let pattern = PatternID::new(sources.len()).ok()?;
        sources.push(descriptor.national_number().as_str());
        Some(Self {
            lengths: descriptor.possible_length(),
            pattern,
        })
    }

    fn matches(&self, patterns: &meta::Regex, national: &str) -> bool {
        let length_fits = u16::try_from(national.len()).is_ok_and(|n| self.lengths.contains(&n));
        // A match that begins at the start, as the crate's (a leftmost
        // match begins there exactly when an anchored one exists).
        let from_start = Input::new(national).anchored(Anchored::Pattern(self.pattern));
        (self.lengths.is_empty() || length_fits) && patterns.is_match(from_start)
    }
}

/// A region's rules, compiled once, when a number of the region is first
/// read: the crate keeps its patterns behind one locked LRU cache that
/// SipHashes a pattern's whole source (hundreds of bytes) on every use,
/// which was a tenth of a send. `line_type` applies the crate's own, in
/// the same order; a test holds the two to the same answers.
struct RegionRules {
    leading_digits: Option<Regex>,
    /// Every rule's pattern; each rule names its own.
    patterns: meta::Regex,
    general: Rule,
    /// Premium rate to voicemail, in `line_type`'s order.
    special: Vec<(Rule, Type)>,
    fixed_line: Option<Rule>,
    mobile: Option<Rule>,
    fixed_line_is_mobile: bool,
}

impl RegionRules {
    fn new(metadata: &'static phonenumber::Metadata) -> Option<Self> {
        let rules = metadata.descriptors();
        let leading_digits = match metadata.leading_digits() {
            Some(leading) => Some(pattern(leading.as_str())?),
            None => None,
        };
        let mut sources = vec![];
        let general = Rule::new(rules.general(), &mut sources)?;
        let mut special = vec![];
        for (descriptor, kind) in special_rules(rules) {
            if let Some(descriptor) = descriptor {
                special.push((Rule::new(descriptor, &mut sources)?, kind));
            }
        }
        let mut optional = |d: Option<&'static phonenumber::metadata::Descriptor>| match d {
            Some(d) => Rule::new(d, &mut sources).map(Some),
            None => Some(None),
        };
        let fixed_line = optional(rules.fixed_line())?;
        let mobile = optional(rules.mobile())?;
        Some(Self {
            leading_digits,
            patterns: patterns(&sources)?,
            general,
            special,
            fixed_line,
            mobile,
            fixed_line_is_mobile: rules.fixed_line().map(|d| d.national_number().as_str())
                == rules.mobile().map(|d| d.national_number().as_str()),
        })
    }

    /// As `line_type`.
    fn line_type(&self, national: &str) -> Type {
        let applies = |rule: &Rule| rule.matches(&self.patterns, national);
        let matches = |rule: &Option<Rule>| rule.as_ref().is_some_and(applies);
        if !applies(&self.general) {
            return Type::Unknown;
        }
        if let Some((_, kind)) = self.special.iter().find(|(rule, _)| applies(rule)) {
            return *kind;
        }
        if matches(&self.fixed_line) {
            if self.fixed_line_is_mobile || matches(&self.mobile) {
                return Type::FixedLineOrMobile;
            }
            return Type::FixedLine;
        }
        if matches(&self.mobile) {
            return Type::Mobile;
        }
        Type::Unknown
    }
}

/// Every region's compiled rules, each made on first use; keyed by the
/// address of its metadata (non-geographic codes share the id `001`).
static REGION_RULES: LazyLock<HashMap<usize, OnceLock<Option<RegionRules>>>> =
    LazyLock::new(|| {
        (1..=999u16)
            .flat_map(|code| METADATA.by_code(&code).unwrap_or_default())
            .map(|metadata| (std::ptr::from_ref(metadata) as usize, OnceLock::new()))
            .collect()
    });

fn compiled(metadata: &'static phonenumber::Metadata) -> Option<&'static RegionRules> {
    REGION_RULES
        .get(&(std::ptr::from_ref(metadata) as usize))?
        .get_or_init(|| RegionRules::new(metadata))
        .as_ref()
}

/// A number's line type by its region's compiled rules, else the crate's.
fn line_type_in(metadata: &'static phonenumber::Metadata, national: &str) -> Type {
    match compiled(metadata) {
        Some(rules) => rules.line_type(national),
        None => line_type(metadata, national),
    }
}

/// Whether a region's leading digits begin `national` (`false` if it has
/// none).
fn leading_digits_begin(metadata: &'static phonenumber::Metadata, national: &str) -> bool {
    let at_start = |m: regex::Match| m.start() == 0;
    match compiled(metadata) {
        Some(rules) => rules
            .leading_digits
            .as_ref()
            .and_then(|r| r.find(national))
            .is_some_and(at_start),
        None => metadata
            .leading_digits()
            .and_then(|r| r.find(national))
            .is_some_and(at_start),
    }
}

/// The rules of the region a number of calling `code` belongs to, found as
/// the crate's `PhoneNumber::metadata` finds them (its `source_for`: the
/// only region of the code, else the first whose leading digits begin the
/// number or, lacking those, whose rules know it), with the number's line
/// type there. The crate's search runs a region's rules to choose it and
/// then drops the answer: here it is kept, one pass instead of two.
fn region_rules(code: u16, national: &str) -> Option<(&'static phonenumber::Metadata, Type)> {
    let regions = METADATA.region(&code)?;
    if let [only] = regions.as_slice() {
        let metadata = if *only == "001" {
            METADATA.by_code(&code)?.into_iter().next()?
        } else {
            METADATA.by_id(*only)?
        };
        return Some((metadata, line_type_in(metadata, national)));
    }
    for region in regions {
        let Some(metadata) = METADATA.by_id(region) else {
            continue;
        };
        match metadata.leading_digits() {
            Some(_) => {
                if leading_digits_begin(metadata, national) {
                    return Some((metadata, line_type_in(metadata, national)));
                }
            }
            None => {
                let kind = line_type_in(metadata, national);
                if kind != Type::Unknown {
                    return Some((metadata, kind));
                }
            }
        }
    }
    None
}

/// A `+` number's region, its rules, and its line type there, found from
/// its digits before the crate's parse as that parse would find them (the
/// calling code is the shortest prefix that is one; the region is searched
/// for with the national number's leading zeros dropped).
struct FoundRegion {
    region: country::Id,
    metadata: &'static phonenumber::Metadata,
    line_type: Type,
    /// The national number searched with: if the parse reads another one
    /// (it stripped a national prefix), the search is made again.
    national: String,
}

fn found_by_calling_code(compact: &str) -> Option<FoundRegion> {
    let digits = compact.strip_prefix('+')?;
    if digits.starts_with('0') {
        return None;
    }
    let (code, national) = (1..=3).find_map(|len| {
        let code: u16 = digits.get(..len)?.parse().ok()?;
        METADATA.by_code(&code).map(|_| (code, digits.get(len..)))
    })?;
    let national = national?.trim_start_matches('0');
    let (metadata, line_type) = region_rules(code, national)?;
    // Given a region, the crate's parse also strips that region's
    // international prefix from after the `+`: only one that must begin
    // with a 0 cannot match a calling code's digits, so only then is the
    // region handed over.
    let prefix = metadata.international_prefix().map(|p| p.as_str());
    if !prefix.is_none_or(begins_with_a_zero) {
        return None;
    }
    Some(FoundRegion {
        region: metadata.id().parse().ok()?,
        metadata,
        line_type,
        national: national.to_owned(),
    })
}

/// Whether every text `pattern` matches (from its start) begins with `0`:
/// it starts with a literal 0 that is neither optional nor repeated, and
/// has no alternative outside its groups.
fn begins_with_a_zero(pattern: &str) -> bool {
    let (mut depth, mut in_class) = (0u32, false);
    for c in pattern.chars() {
        match c {
            // Inside `[...]`, brackets and bars are characters.
            ']' if in_class => in_class = false,
            _ if in_class => {}
            '[' => in_class = true,
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => return false,
            '\\' => return false,
            _ => {}
        }
    }
    let mut chars = pattern.chars();
    chars.next() == Some('0') && !matches!(chars.next(), Some('?' | '*' | '{'))
}

/// Why typed text is not a phone number we will text. `Display` says it
/// in English (the Verify API's `detail`); `message` in any language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    Empty,
    NotANumber,
    CountryNotAllowed {
        /// `None`: a number of no single country (+800).
        region: Option<country::Id>,
        /// The calling code, when other countries share it (+44 7911 is
        /// Guernsey's): it is named with the country.
        shared_calling_code: Option<u16>,
        /// The countries allowed; `None`: any.
        allowed: Option<Vec<country::Id>>,
    },
    ServiceNumber,
    NotTextable,
}

impl PhoneError {
    /// What the phone form says, in `language`.
    pub fn message(&self, language: Language) -> String {
        match self {
            PhoneError::Empty => language.text("phone-empty").into_owned(),
            PhoneError::NotANumber => language.text("phone-not-a-number").into_owned(),
            PhoneError::ServiceNumber => language.text("phone-service-number").into_owned(),
            PhoneError::NotTextable => language.text("phone-not-textable").into_owned(),
            PhoneError::CountryNotAllowed {
                region,
                shared_calling_code,
                allowed,
            } => {
                let Some(allowed) = allowed else {
                    return language.text("phone-no-country").into_owned();
                };
                let allowed = country_list(allowed, language);
                match region {
                    None => language.text_with(
                        "phone-no-country-not-allowed",
                        &args([("allowed", allowed.into())]),
                    ),
                    Some(region) => {
                        let name = country_name(*region, language);
                        let region = match shared_calling_code {
                            // "(+44)", not "(44+)", in a right-to-left sentence.
                            Some(code) if language.dir() == "rtl" => {
                                format!("{name} {}", i18n::left_to_right(&format!("(+{code})")))
                            }
                            Some(code) => format!("{name} (+{code})"),
                            None => name,
                        };
                        language.text_with(
                            "phone-country-not-allowed",
                            &args([("region", region.into()), ("allowed", allowed.into())]),
                        )
                    }
                }
            }
        }
    }
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Language::ENGLISH))
    }
}

impl std::error::Error for PhoneError {}

/// Line types that can receive an SMS. libphonenumber cannot tell mobile from
/// landline in the US and Canada, so those numbers are `FixedLineOrMobile`.
const TEXTABLE: &[Type] = &[
    Type::Mobile,
    Type::FixedLineOrMobile,
    Type::Voip,
    Type::PersonalNumber,
];

/// Line types that cost the sender extra or reach a service, not a person:
/// the numbers SMS-pumping fraud sends to.
const SERVICE_NUMBERS: &[Type] = &[
    Type::PremiumRate,
    Type::SharedCost,
    Type::TollFree,
    Type::Pager,
    Type::Voicemail,
    Type::Uan,
    Type::ShortCode,
    Type::StandardRate,
    Type::Carrier,
    Type::Emergency,
];

/// Which countries codes may be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryPolicy {
    scope: Scope,
    /// Numbers of no country (+881, +882, +883: satellite and international
    /// networks, favourites of SMS pumping): only when listed as `001`.
    non_geographic: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Any,
    Only(Vec<country::Id>),
}

/// libphonenumber's region code for numbers of no country.
const NON_GEOGRAPHIC: &str = "001";

impl CountryPolicy {
    /// From ISO codes (`["US", "CA"]`), `["*"]` for every country, and
    /// `001` for numbers of no country.
    pub fn parse(codes: &[String]) -> Result<Self, String> {
        if codes.is_empty() {
            return Err("must list at least one country code, or \"*\" for all".into());
        }
        let non_geographic = codes.iter().any(|c| c.trim() == NON_GEOGRAPHIC);
        if codes.iter().any(|c| c.trim() == "*") {
            return Ok(Self {
                scope: Scope::Any,
                non_geographic,
            });
        }
        codes
            .iter()
            .filter(|c| c.trim() != NON_GEOGRAPHIC)
            .map(|code| {
                code.trim()
                    .to_ascii_uppercase()
                    .parse::<country::Id>()
                    .map_err(|_| {
                        format!("must be ISO country codes such as US or GB (got {code:?})")
                    })
            })
            .collect::<Result<_, _>>()
            .map(|only| Self {
                scope: Scope::Only(only),
                non_geographic,
            })
    }

    /// Every country (`*`).
    pub fn is_any(&self) -> bool {
        self.scope == Scope::Any
    }

    fn allows(&self, region: Option<country::Id>) -> bool {
        match (region, &self.scope) {
            (None, _) => self.non_geographic,
            (Some(_), Scope::Any) => true,
            (Some(region), Scope::Only(allowed)) => allowed.contains(&region),
        }
    }

    /// The countries allowed, `None` for any.
    fn allowed(&self) -> Option<Vec<country::Id>> {
        match &self.scope {
            Scope::Any => None,
            Scope::Only(allowed) => Some(allowed.clone()),
        }
    }
}

/// One of `make`'s for each language, by `Language::index` (`None` where
/// CLDR has no data for it).
fn per_language<T>(make: impl Fn(&Locale) -> Option<T>) -> Vec<Option<T>> {
    Language::all()
        .map(|language| make(&language.tag().parse::<Locale>().ok()?))
        .collect()
}

/// Each language's names of countries, from CLDR.
static REGION_NAMES: LazyLock<Vec<Option<RegionDisplayNames>>> = LazyLock::new(|| {
    per_language(|locale| RegionDisplayNames::try_new(locale.into(), Default::default()).ok())
});

/// Each language's "A, B and C", by CLDR's rules.
static AND_LISTS: LazyLock<Vec<Option<ListFormatter>>> = LazyLock::new(|| {
    per_language(|locale| {
        ListFormatter::try_new_and(locale.into(), ListFormatterOptions::default()).ok()
    })
});

/// A country as a sentence names it: "the United Kingdom", "Canada"; in
/// other languages, CLDR's name (their messages are worded for a bare name).
pub fn country_name(id: country::Id, language: Language) -> String {
    let code = id.as_ref();
    let Some(name) = code
        .parse::<Region>()
        .ok()
        .and_then(|region| REGION_NAMES.get(language.index())?.as_ref()?.of(region))
    else {
        return code.to_owned();
    };
    if language != Language::ENGLISH {
        return name.to_owned();
    }
    // English says "the" before names that are plural or a kind of state.
    let takes_the = ["United", "Republic", "Islands", "Kingdom", "Emirates"]
        .iter()
        .any(|word| name.contains(word))
        || [
            "Bahamas",
            "Gambia",
            "Netherlands",
            "Philippines",
            "Maldives",
            "Comoros",
            "Seychelles",
        ]
        .contains(&name);
    if takes_the {
        format!("the {name}")
    } else {
        name.to_owned()
    }
}

/// "the United States and Canada", in `language`.
fn country_list(allowed: &[country::Id], language: Language) -> String {
    let names: Vec<String> = allowed
        .iter()
        .map(|id| country_name(*id, language))
        .collect();
    match AND_LISTS.get(language.index()).and_then(Option::as_ref) {
        Some(list) => list.format_to_string(names.iter().map(String::as_str)),
        None => names.join(", "),
    }
}

/// Everything that decides whether typed text is a number we will text.
#[derive(Debug, Clone)]
pub struct PhoneRules {
    pub default_country: DefaultCountry,
    pub countries: CountryPolicy,
}

impl PhoneRules {
    /// Reads the number, then refuses countries not allowed and numbers that
    /// cannot receive an SMS or are service numbers.
    pub fn parse(&self, typed: &str) -> Result<PhoneNumber, PhoneError> {
        let Classified { number, line_type } = PhoneNumber::classify(typed, &self.default_country)?;
        let region = number.region;
        if !self.countries.allows(region) {
            // +44 7911 is Guernsey's: say it is a +44 number of its own.
            let shared = METADATA.region(&number.country_code).map(|r| r.len());
            return Err(PhoneError::CountryNotAllowed {
                region,
                shared_calling_code: matches!(shared, Some(2..)).then_some(number.country_code),
                allowed: self.countries.allowed(),
            });
        }
        if SERVICE_NUMBERS.contains(&line_type) {
            return Err(PhoneError::ServiceNumber);
        }
        if !TEXTABLE.contains(&line_type) {
            return Err(PhoneError::NotTextable);
        }
        Ok(number)
    }
}

/// The calling code numbers without a `+` belong to, e.g. `+1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultCountry {
    code: u16,
    region: country::Id,
    /// libphonenumber's example mobile number, as people there write it.
    example: String,
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
        let region = METADATA
            .region(&code)
            .and_then(|regions| regions.first().and_then(|id| id.parse().ok()))
            .ok_or_else(problem)?;
        let example = example_number(region).unwrap_or_else(|| format!("+{code} …"));
        Ok(Self {
            code,
            region,
            example,
        })
    }
}

fn example_number(region: country::Id) -> Option<String> {
    examples::EXAMPLES
        .iter()
        .find(|(id, _)| *id == region.as_ref())
        .map(|(_, example)| (*example).to_owned())
}

impl DefaultCountry {
    pub fn code(&self) -> u16 {
        self.code
    }

    /// A number as people in this country write it: `(201) 555-0123`.
    pub fn example(&self) -> &str {
        &self.example
    }
}

/// Whether `digits` begin with calling code `code`, without writing it
/// out (reading a stored number is on every request of a browser with a
/// code pending).
fn begins_with_code(digits: &str, code: u16) -> bool {
    let length = code_digits(code);
    digits.get(..length).and_then(|p| p.parse::<u16>().ok()) == Some(code)
}

/// How many digits calling code `code` has.
fn code_digits(code: u16) -> usize {
    code.checked_ilog10().unwrap_or(0) as usize + 1
}

/// The region of a two-letter code as stored: looked up in a table made
/// once, where `country::Id`'s own parse tries its 245 names in turn (460
/// instructions for `US`, on every request of a browser with a code
/// pending). Anything else is parsed.
fn region_by_code(code: &str) -> Option<country::Id> {
    const LETTERS: usize = 26;
    static REGIONS: LazyLock<[Option<country::Id>; LETTERS * LETTERS]> = LazyLock::new(|| {
        std::array::from_fn(|i| {
            let pair = [b'A' + (i / LETTERS) as u8, b'A' + (i % LETTERS) as u8];
            std::str::from_utf8(&pair).ok()?.parse().ok()
        })
    });
    match *code.as_bytes() {
        [first @ b'A'..=b'Z', second @ b'A'..=b'Z'] => {
            REGIONS[usize::from(first - b'A') * LETTERS + usize::from(second - b'A')]
        }
        _ => code.parse().ok(),
    }
}

impl PhoneNumber {
    /// Drops the separators people type (`-`, `.`, `(`, `)`, spaces), then
    /// reads the number as international when it starts with `+`, else as a
    /// national number of `default`'s country.
    pub fn parse(typed: &str, default: &DefaultCountry) -> Result<Self, PhoneError> {
        Self::classify(typed, default).map(|classified| classified.number)
    }

    fn classify(typed: &str, default: &DefaultCountry) -> Result<Classified, PhoneError> {
        if typed.chars().count() > MAX_INPUT_CHARS {
            return Err(PhoneError::NotANumber);
        }
        let compact: String = typed
            .chars()
            .filter(|c| {
                !matches!(c, '-' | '.' | '(' | ')')
                    && !c.is_whitespace()
                    && !i18n::is_direction_mark(*c)
            })
            .map(i18n::western_digit)
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
        // A number with its calling code: its region's rules are found here
        // first and the region handed to the crate's parse, which would
        // otherwise search for it with a pass of the rules of its own and
        // drop the answer (its `source_for`); the answer is kept below.
        let found = region
            .is_none()
            .then(|| found_by_calling_code(&compact))
            .flatten();
        let number = phonenumber::parse_with(
            &METADATA,
            region.or(found.as_ref().map(|f| f.region)),
            &compact,
        )
        .map_err(|_| PhoneError::NotANumber)?;
        // One region lookup and one pass of the number-type rules: the
        // crate's `is_valid`, `number_type` and `country().id()` would each
        // look the region up again (a pass of the rules per candidate
        // region) and run the rules once more. The crate judges validity on
        // the national number with its leading zeros (Italy's 02…) but
        // looks the region up without them; for such a number its own three
        // answers are kept, as they were.
        let (valid, line_type, region) = match number.national().zeros() {
            0 => {
                let national = number.national().value().to_string();
                let found = match found {
                    Some(f) if f.national == national => Some((f.metadata, f.line_type)),
                    _ => region_rules(number.code().value(), &national),
                };
                let line_type = found.map_or(Type::Unknown, |(_, kind)| kind);
                let region = found.and_then(|(m, _)| m.id().parse().ok());
                (line_type != Type::Unknown, line_type, region)
            }
            _ => (
                phonenumber::is_valid_with(&METADATA, &number),
                number.number_type(&METADATA),
                number.metadata(&METADATA).and_then(|m| m.id().parse().ok()),
            ),
        };
        if !valid {
            return Err(PhoneError::NotANumber);
        }
        // E.164 as the crate's formatter writes it, without the national
        // formats it looks up first (for the other modes).
        let mut formatted = String::with_capacity(16);
        let _ = write!(formatted, "+{}{}", number.code().value(), number.national());
        let mut e164 = [0u8; 16];
        let digits = formatted.len();
        if !(2..=e164.len()).contains(&digits) {
            return Err(PhoneError::NotANumber);
        }
        e164[..digits].copy_from_slice(formatted.as_bytes());
        Ok(Classified {
            number: Self {
                e164,
                len: digits as u8,
                country_code: number.code().value(),
                region,
            },
            line_type,
        })
    }

    /// A number this app stored itself (in E.164, with its calling code and
    /// region, `""` for none), read back without parsing it again. `None`
    /// if it is not E.164.
    pub fn from_stored(e164: &str, country_code: u16, region: &str) -> Option<Self> {
        let digits = e164.strip_prefix('+')?;
        let well_formed = (1..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && begins_with_code(digits, country_code);
        if !well_formed {
            return None;
        }
        let region = match region {
            "" => None,
            code => Some(region_by_code(code)?),
        };
        let mut stored = [0u8; 16];
        stored[..e164.len()].copy_from_slice(e164.as_bytes());
        Some(Self {
            e164: stored,
            len: e164.len() as u8,
            country_code,
            region,
        })
    }

    pub fn country_code(&self) -> u16 {
        self.country_code
    }

    /// Its country, as an ISO code; `None` for numbers of no country.
    pub fn region(&self) -> Option<country::Id> {
        self.region
    }

    /// `US`, or `""` for numbers of no country: how it is stored.
    pub fn region_code(&self) -> &str {
        self.region.as_ref().map_or("", |id| id.as_ref())
    }

    /// `+12015550123`: what is stored and sent to Telnyx.
    pub fn e164(&self) -> &str {
        // Only the ASCII of libphonenumber's E.164 formatting is ever stored.
        std::str::from_utf8(&self.e164[..usize::from(self.len)]).unwrap_or("+")
    }

    /// For the pages: `+1 ••• ••• 0123`.
    pub fn masked(&self) -> String {
        // Not `format!`: on every code page, whose making it was a fifth of.
        const HIDDEN: &str = " ••• ••• ";
        let mut code = itoa::Buffer::new();
        let (code, last_four) = (code.format(self.country_code), self.last_four());
        let mut masked = String::with_capacity(1 + code.len() + HIDDEN.len() + last_four.len());
        masked.push('+');
        masked.push_str(code);
        masked.push_str(HIDDEN);
        masked.push_str(last_four);
        masked
    }

    fn national(&self) -> &str {
        self.e164()
            .get(1 + code_digits(self.country_code)..)
            .unwrap_or("")
    }

    fn last_four(&self) -> &str {
        let national = self.national();
        &national[national.len().saturating_sub(4)..]
    }
}

/// For the logs: `+1••••••0123 [3f9a21]`: the calling code, the last four
/// digits, and a tag keyed by this process's secret (see `log_tag_key`), so
/// one number's lines can be followed without showing it.
impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Made whole, then written once: a log line's writer checks what it
        // is given for escapes write by write, and this was eleven writes.
        let hidden = self.national().len().saturating_sub(4);
        let mut shown = String::with_capacity(48);
        shown.push('+');
        let _ = write!(shown, "{}", self.country_code);
        for _ in 0..hidden {
            shown.push('•');
        }
        shown.push_str(self.last_four());
        shown.push_str(" [");
        self.push_log_tag(&mut shown);
        shown.push(']');
        f.write_str(&shown)
    }
}

/// The key of the tags numbers carry in logs, as HMAC's keyed state; set
/// once at start from the master key, so instances sharing a key tag a
/// number alike.
static LOG_TAG_KEY: std::sync::OnceLock<Hmac<Sha256>> = std::sync::OnceLock::new();

fn log_tag_mac(key: &[u8; 32]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes a key of any length")
}

/// Keys the log tags of phone numbers; the first call wins.
pub fn set_log_tag_key(key: [u8; 32]) {
    let _ = LOG_TAG_KEY.set(log_tag_mac(&key));
}

impl PhoneNumber {
    /// Six hex digits of HMAC-SHA256(key, number), onto `out`.
    fn push_log_tag(&self, out: &mut String) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let key = LOG_TAG_KEY.get_or_init(|| {
            let mut key = [0u8; 32];
            rand::Rng::fill_bytes(&mut rand::rng(), &mut key);
            log_tag_mac(&key)
        });
        let mut mac = key.clone();
        mac.update(self.e164().as_bytes());
        for b in &mac.finalize().into_bytes()[..3] {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
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
    // The crate's own database: what the app's answers are held to.
    use phonenumber::metadata::DATABASE;

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

    /// A calling code's regions in the app's metadata beside the crate's,
    /// in the order both keep them (the main region first).
    fn same_regions(
        code: u16,
    ) -> Vec<(
        &'static phonenumber::Metadata,
        &'static phonenumber::Metadata,
    )> {
        let ours = METADATA.by_code(&code).unwrap_or_default();
        let crates = DATABASE.by_code(&code).unwrap_or_default();
        assert_eq!(ours.len(), crates.len(), "+{code}");
        ours.into_iter().zip(crates).collect()
    }

    #[test]
    fn the_apps_phone_metadata_is_the_crates_without_formats_and_with_ascii_digits() {
        let ascii = |pattern: &str| pattern.replace(r"\d", "[0-9]");
        let same_rule =
            |ours: Option<&phonenumber::metadata::Descriptor>,
             crates: Option<&phonenumber::metadata::Descriptor>| {
                assert_eq!(ours.is_some(), crates.is_some());
                if let (Some(ours), Some(crates)) = (ours, crates) {
                    let pattern = ours.national_number().as_str();
                    assert_eq!(pattern, ascii(crates.national_number().as_str()));
                    assert!(!pattern.contains(r"\d"), "{pattern}");
                    assert_eq!(ours.possible_length(), crates.possible_length());
                    assert_eq!(ours.possible_local_length(), crates.possible_local_length());
                    assert_eq!(ours.example(), crates.example());
                }
            };
        let mut regions = 0;
        for code in 1..=999u16 {
            assert_eq!(METADATA.region(&code), DATABASE.region(&code), "+{code}");
            for (ours, crates) in same_regions(code) {
                let context = format!("+{code} {}", crates.id());
                assert_eq!(ours.id(), crates.id(), "{context}");
                assert_eq!(ours.country_code(), crates.country_code(), "{context}");
                assert!(ours.formats().is_empty() && ours.international_formats().is_empty());
                let patterns = |m: &'static phonenumber::Metadata| {
                    [
                        m.international_prefix(),
                        m.national_prefix_for_parsing(),
                        m.leading_digits(),
                    ]
                    .map(|p| p.map(|p| p.as_str().to_owned()))
                };
                let expected = patterns(crates).map(|p| p.map(|p| ascii(&p)));
                assert_eq!(patterns(ours), expected, "{context}");
                let texts = |m: &'static phonenumber::Metadata| {
                    [
                        m.preferred_international_prefix(),
                        m.national_prefix(),
                        m.preferred_extension_prefix(),
                        m.national_prefix_transform_rule(),
                    ]
                };
                assert_eq!(texts(ours), texts(crates), "{context}");
                assert_eq!(
                    (
                        ours.is_main_country_for_code(),
                        ours.is_mobile_number_portable()
                    ),
                    (
                        crates.is_main_country_for_code(),
                        crates.is_mobile_number_portable()
                    ),
                    "{context}"
                );
                let (o, c) = (ours.descriptors(), crates.descriptors());
                same_rule(Some(o.general()), Some(c.general()));
                for kind in [
                    Type::FixedLine,
                    Type::Mobile,
                    Type::TollFree,
                    Type::PremiumRate,
                    Type::SharedCost,
                    Type::Voip,
                    Type::PersonalNumber,
                    Type::Pager,
                    Type::Uan,
                    Type::Emergency,
                    Type::Voicemail,
                    Type::ShortCode,
                    Type::StandardRate,
                    Type::Carrier,
                    Type::NoInternational,
                ] {
                    same_rule(o.get(kind), c.get(kind));
                }
                regions += 1;
            }
        }
        assert!(regions > 240, "{regions}");
        for id in ["US", "GB", "GG", "001"] {
            assert_eq!(
                METADATA.by_id(id).map(|m| m.country_code()),
                DATABASE.by_id(id).map(|m| m.country_code()),
                "{id}"
            );
        }
    }

    #[test]
    fn every_regions_example_reads_as_the_crate_formats_it() {
        let mut compared = 0;
        for metadata in (1..=999u16).flat_map(|code| DATABASE.by_code(&code).unwrap_or_default()) {
            let Ok(region) = metadata.id().parse::<country::Id>() else {
                continue;
            };
            let formatted = metadata
                .descriptors()
                .mobile()
                .and_then(|mobile| mobile.example())
                .and_then(|example| phonenumber::parse(Some(region), example).ok())
                .map(|number| {
                    number
                        .format()
                        .mode(phonenumber::Mode::National)
                        .to_string()
                });
            assert_eq!(example_number(region), formatted, "{}", metadata.id());
            compared += usize::from(formatted.is_some());
        }
        assert!(compared > 200, "{compared}");
        let us: DefaultCountry = "+1".parse().expect("+1 is a calling code");
        assert_eq!(us.example(), "(201) 555-0123");
    }

    /// The example numbers of every rule of a region.
    fn example_numbers(metadata: &'static phonenumber::Metadata) -> Vec<&'static str> {
        let rules = metadata.descriptors();
        [Some(rules.general()), rules.fixed_line(), rules.mobile()]
            .into_iter()
            .chain(special_rules(rules).into_iter().map(|(rule, _)| rule))
            .flatten()
            .filter_map(|d| d.example())
            .collect()
    }

    #[test]
    fn one_pass_of_the_rules_classifies_every_example_number_as_the_crate_does() {
        let default: DefaultCountry = "+1".parse().expect("+1 is a calling code");
        let mut compared = 0;
        for code in 1..=999u16 {
            for metadata in DATABASE.by_code(&code).unwrap_or_default() {
                let examples = example_numbers(metadata);
                let prefix = metadata.national_prefix().unwrap_or_default();
                for example in examples {
                    for national in [
                        example.to_owned(),
                        format!("{example}9"),
                        example.get(1..).unwrap_or_default().to_owned(),
                        // Dialled as at home, after the calling code.
                        format!("{prefix}{example}"),
                        format!("0{example}"),
                    ] {
                        let Ok(number) = phonenumber::parse(None, format!("+{code}{national}"))
                        else {
                            continue;
                        };
                        let typed = format!("+{code}{national}");
                        if typed.len() > 16 {
                            continue; // longer than E.164 allows: refused before
                        }
                        let ours = PhoneNumber::classify(&typed, &default);
                        assert_eq!(ours.is_ok(), number.is_valid(), "{typed}");
                        if let Ok(ours) = ours {
                            let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
                            assert_eq!(ours.number.e164(), e164, "{typed}");
                            assert_eq!(ours.line_type, number.number_type(&DATABASE), "{typed}");
                            assert_eq!(ours.number.region, number.country().id(), "{typed}");
                        }
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 2_000, "{compared}");
    }

    #[test]
    fn every_regions_rules_compiled_together_stay_small() {
        // A client can make the app read a number of every region; what
        // that compiles stays a few megabytes (a regex a rule held 9 MB by
        // this count, and 23 MB resident).
        let held: usize = (1..=999u16)
            .flat_map(|code| METADATA.by_code(&code).unwrap_or_default())
            .filter_map(compiled)
            .map(|rules| rules.patterns.memory_usage())
            .sum();
        assert!(held < 6 << 20, "{held} bytes");
    }

    #[test]
    fn every_regions_compiled_rules_answer_as_the_crates_own() {
        let mut compared = 0;
        for code in 1..=999u16 {
            for (ours, metadata) in same_regions(code) {
                let rules = compiled(ours).expect("every region's patterns compile");
                for example in example_numbers(metadata) {
                    for national in [
                        example.to_owned(),
                        format!("{example}9"),
                        example.get(1..).unwrap_or_default().to_owned(),
                        format!("9{example}"),
                    ] {
                        assert_eq!(
                            rules.line_type(&national),
                            line_type(metadata, &national),
                            "+{code} {} {national}",
                            metadata.id()
                        );
                        let crates = metadata
                            .leading_digits()
                            .and_then(|r| r.find(&national))
                            .is_some_and(|m| m.start() == 0);
                        assert_eq!(leading_digits_begin(ours, &national), crates);
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 4_000, "{compared}");
    }

    #[test]
    fn a_region_is_handed_to_the_parse_only_if_its_international_prefix_must_begin_with_a_zero() {
        for safe in [
            "00",
            "011",
            "0011",
            "0(?:0|1[14])",
            "00(?:[126-9]|30|5[09])?",
        ] {
            assert!(begins_with_a_zero(safe), "{safe}");
        }
        for unsafe_ in [
            "0[(]|8",
            "810",
            "8~10",
            "0?1",
            "0*1",
            "0{0,1}1",
            "00|810",
            "(?:00|810)",
            "[08]0",
            "\\d0",
            "",
        ] {
            assert!(!begins_with_a_zero(unsafe_), "{unsafe_}");
        }
        let mut handed = 0;
        for code in 1..=999u16 {
            for metadata in DATABASE.by_code(&code).unwrap_or_default() {
                let rules = metadata.descriptors();
                let Some(example) = rules
                    .mobile()
                    .or(rules.fixed_line())
                    .and_then(|d| d.example())
                else {
                    continue;
                };
                if let Some(found) = found_by_calling_code(&format!("+{code}{example}")) {
                    let prefix = found.metadata.international_prefix().map(|p| p.as_str());
                    assert!(
                        prefix.is_none_or(|p| p.starts_with('0')),
                        "{code}: {prefix:?}"
                    );
                    handed += 1;
                }
            }
        }
        assert!(handed > 150, "{handed}");
    }

    #[test]
    fn a_number_typed_in_arabic_or_persian_digits_is_the_same_number() {
        assert_eq!(parse("٢٠١ ٥٥٥ ٠١٢٣"), Ok("+12015550123".to_owned()));
        assert_eq!(parse("+۴۴ ۷۴۰۰ ۱۲۳۴۵۶"), Ok("+447400123456".to_owned()));
        // As pasted from a page in Arabic script: inside direction marks.
        assert_eq!(
            parse("\u{2066}+1 201 555 0123\u{2069}"),
            Ok("+12015550123".to_owned())
        );
        assert_eq!(
            parse("\u{200F}٢٠١٥٥٥٠١٢٣\u{200E}"),
            Ok("+12015550123".to_owned())
        );
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
    fn a_stored_number_reads_back_as_itself_and_nothing_else_does() {
        let number = PhoneNumber::parse("(201) 555-0123", &us()).expect("valid");
        assert_eq!(
            PhoneNumber::from_stored(number.e164(), number.country_code(), number.region_code()),
            Some(number)
        );
        for (bad, code, region) in [
            ("12015550123", 1, "US"),
            ("+1201555012a", 1, "US"),
            ("+12015550123", 44, "US"),
            ("+1234567890123456", 1, "US"),
            ("+12015550123", 1, "Narnia"),
        ] {
            assert_eq!(PhoneNumber::from_stored(bad, code, region), None, "{bad}");
        }
    }

    #[test]
    fn the_region_table_reads_every_code_as_the_crates_own_parse_does() {
        for first in b'A'..=b'Z' {
            for second in b'A'..=b'Z' {
                let pair = [first, second];
                let code = std::str::from_utf8(&pair).expect("ASCII");
                assert_eq!(region_by_code(code), code.parse().ok(), "{code}");
            }
        }
        for odd in ["", "U", "us", "USA", "001", "Ü1"] {
            assert_eq!(region_by_code(odd), odd.parse().ok(), "{odd}");
        }
    }

    #[test]
    fn a_calling_code_begins_the_digits_only_as_the_whole_code() {
        for (digits, code, begins) in [
            ("12015550123", 1, true),
            ("447400123456", 44, true),
            ("447400123456", 4, true),
            ("447400123456", 447, true),
            ("447400123456", 45, false),
            ("12015550123", 12, true),
            ("12015550123", 2, false),
            ("0123", 1, false),
            ("1", 12, false),
            ("", 1, false),
            ("9995", 999, true),
        ] {
            assert_eq!(begins_with_code(digits, code), begins, "{digits} {code}");
            assert_eq!(
                digits.starts_with(&code.to_string()),
                begins,
                "{digits} {code}"
            );
        }
    }

    #[test]
    fn numbers_are_masked_for_pages_and_logs() {
        let number = PhoneNumber::parse("(201) 555-0123", &us()).expect("valid");
        assert_eq!(number.masked(), "+1 ••• ••• 0123");
        for (typed, masked) in [
            ("+44 7400 123456", "+44 ••• ••• 3456"),
            ("+353 85 123 4567", "+353 ••• ••• 4567"),
        ] {
            let number = PhoneNumber::parse(typed, &us()).expect("valid");
            assert_eq!(number.masked(), masked);
        }
        let logged = number.to_string();
        assert!(logged.starts_with("+1••••••0123 ["), "{logged}");
        // The tag is six hex digits of HMAC-SHA256 under the log tag key.
        let mut mac = LOG_TAG_KEY.get().expect("keyed by the first tag").clone();
        mac.update(b"+12015550123");
        let digest = mac.finalize().into_bytes();
        let expected: String = digest[..3].iter().map(|b| format!("{b:02x}")).collect();
        assert!(logged.ends_with(&format!(" [{expected}]")), "{logged}");
        assert_eq!(
            logged.chars().count(),
            "+1••••••0123 [3f9a21]".chars().count()
        );
        assert_eq!(format!("{number:?}"), format!("PhoneNumber({logged})"));
        let tag = |text: &str| text.split('[').nth(1).map(str::to_owned);
        let other = PhoneNumber::parse("(201) 555-0199", &us()).expect("valid");
        assert_ne!(
            tag(&other.to_string()),
            tag(&logged),
            "tags tell numbers apart"
        );
        let again = PhoneNumber::parse("+1 201 555 0123", &us()).expect("valid");
        assert_eq!(again.to_string(), logged, "and follow one number");
    }

    fn rules(countries: &[&str]) -> PhoneRules {
        let codes: Vec<String> = countries.iter().map(|c| c.to_string()).collect();
        PhoneRules {
            default_country: us(),
            countries: CountryPolicy::parse(&codes).expect("valid codes"),
        }
    }

    #[test]
    fn refusals_name_countries_as_people_say_them() {
        let us_and_canada = rules(&["US", "CA"]);
        let refusal = us_and_canada
            .parse("+44 7911 123456")
            .expect_err("not allowed")
            .to_string();
        assert_eq!(
            refusal,
            "We can't send codes to numbers in Guernsey (+44). We can text numbers in the United States and Canada."
        );
        let three = rules(&["GB", "DE", "FR"]);
        let refusal = three
            .parse("(201) 555-0123")
            .expect_err("not allowed")
            .to_string();
        assert!(
            refusal.ends_with("We can text numbers in the United Kingdom, Germany, and France."),
            "{refusal}"
        );
        assert!(refusal.contains("in the United States (+1)."), "{refusal}");
    }

    #[test]
    fn refusals_name_countries_in_the_persons_language() {
        let refusal = rules(&["US", "CA"])
            .parse("+44 7911 123456")
            .expect_err("not allowed");
        let say = |tag: &str| refusal.message(Language::from_tag(tag).expect("a language"));
        assert!(say("es").contains("Guernesey (+44)"), "{}", say("es"));
        assert!(
            say("es").contains("Estados Unidos y Canadá"),
            "{}",
            say("es")
        );
        assert!(say("fr").contains("États-Unis et Canada"), "{}", say("fr"));
        assert!(
            say("de").contains("Vereinigte Staaten und Kanada"),
            "{}",
            say("de")
        );
        assert!(!say("ar").contains("United"), "{}", say("ar"));
        assert!(say("ar").contains("\u{2066}(+44)\u{2069}"), "{}", say("ar"));
    }

    #[test]
    fn only_allowed_countries_pass_including_caribbean_numbers_under_plus_one() {
        let us_and_canada = rules(&["US", "CA"]);
        assert!(us_and_canada.parse("(201) 555-0123").is_ok());
        assert!(us_and_canada.parse("+1 613 555 0123").is_ok(), "Ottawa");
        for (typed, region) in [
            ("+1 242 359 1234", "the Bahamas (+1)"),
            ("+1 876 210 1234", "Jamaica (+1)"),
            ("+44 7400 123456", "the United Kingdom (+44)"),
        ] {
            match us_and_canada.parse(typed) {
                Err(refusal @ PhoneError::CountryNotAllowed { .. }) => {
                    let said = refusal.to_string();
                    assert!(said.contains(&format!(" in {region}.")), "{typed}: {said}")
                }
                other => panic!("{typed}: {other:?}"),
            }
        }
        assert!(rules(&["*"]).parse("+44 7400 123456").is_ok());
    }

    #[test]
    fn numbers_of_no_country_are_refused_even_for_every_country_unless_listed_as_001() {
        for typed in ["+881 612 345 678", "+882 342 1234", "+883 510 012 345"] {
            match PhoneNumber::parse(typed, &us()) {
                Ok(number) => {
                    assert_eq!(number.region(), None, "{typed}");
                    assert!(
                        matches!(
                            rules(&["*"]).parse(typed),
                            Err(PhoneError::CountryNotAllowed { .. })
                        ),
                        "{typed}"
                    );
                    let with_001 = rules(&["*", "001"]).parse(typed);
                    assert!(
                        !matches!(with_001, Err(PhoneError::CountryNotAllowed { .. })),
                        "{typed}: {with_001:?}"
                    );
                }
                Err(error) => panic!("{typed} should be a valid number: {error:?}"),
            }
        }
    }

    #[test]
    fn service_numbers_are_refused() {
        let rules = rules(&["*"]);
        for typed in [
            "+1 900 555 0123",  // US premium rate
            "+1 800 555 0123",  // US toll free
            "+44 909 876 5432", // GB premium rate
            "+44 843 123 4567", // GB shared cost
            "+44 7640 123456",  // GB pager
            "+44 55 1234 5678", // GB UAN
        ] {
            assert_eq!(
                rules.parse(typed),
                Err(PhoneError::ServiceNumber),
                "{typed}"
            );
        }
    }

    #[test]
    fn landlines_that_cannot_take_a_text_are_refused() {
        assert_eq!(
            rules(&["GB"]).parse("+44 20 7031 3000"),
            Err(PhoneError::NotTextable)
        );
    }

    #[test]
    fn country_lists_must_be_iso_codes() {
        assert_eq!(
            CountryPolicy::parse(&["us".into(), "GB".into(), "001".into()])
                .map(|p| country_list(&p.allowed().unwrap_or_default(), Language::ENGLISH)),
            Ok("the United States and the United Kingdom".into())
        );
        assert!(CountryPolicy::parse(&["USA".into()]).is_err());
        assert!(CountryPolicy::parse(&[]).is_err());
    }

    #[test]
    fn the_hint_shows_a_number_the_way_the_country_writes_it() {
        assert_eq!(us().example(), "(201) 555-0123");
        let gb: DefaultCountry = "+44".parse().expect("+44");
        assert_eq!(gb.example(), "07400 123456");
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

    proptest::proptest! {
        #[test]
        fn any_text_either_parses_to_a_valid_e164_number_or_is_refused(typed in "\\PC{0,40}|[0-9 ()+.-]{0,20}") {
            if let Ok(number) = PhoneNumber::parse(&typed, &us()) {
                let again = PhoneNumber::parse(number.e164(), &us());
                proptest::prop_assert_eq!(again.as_ref().map(|n| n.e164()), Ok(number.e164()));
                proptest::prop_assert!(number.e164().starts_with('+'));
                proptest::prop_assert!(number.e164()[1..].bytes().all(|b| b.is_ascii_digit()));
            }
            let _ = rules(&["US", "CA"]).parse(&typed);
        }
    }
}
