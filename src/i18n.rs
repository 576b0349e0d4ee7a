//! The languages the pages and the SMS speak: one Fluent file each in
//! `locales/` (the build script lists them; English is the reference), the
//! person's language chosen from what they asked for, and the language of
//! the page being answered.
//!
//! Messages are looked up by id in the person's language, then in English.
//! Plurals follow each language's CLDR rules (Fluent's selectors). Ids
//! ending in `-html` may hold markup; their arguments are escaped.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use askama::Template;
use fluent::concurrent::FluentBundle;
use fluent::{FluentArgs, FluentResource, FluentValue};
use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
use unic_langid::LanguageIdentifier;

use crate::FastMap;

/// One file of `locales/`, as the build script read it.
struct Source {
    tag: &'static str,
    /// Its `language-name` and `language-direction`: what the language
    /// switcher and `<html dir>` need of every language offered, without
    /// its messages being made ready.
    name: &'static str,
    rtl: bool,
    messages: &'static str,
}

mod sources {
    include!(concat!(env!("OUT_DIR"), "/locales.rs"));
}

/// One of the languages in `locales/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Language(u8);

/// A language's messages, ready to format: made the first time the
/// language is spoken (about 80 KB each). A process that speaks only its
/// default language makes that one, and English, which answers for any
/// message the default lacks and outside a request.
struct Loaded {
    bundle: FluentBundle<FluentResource>,
    /// For the page's countdown: `("seconds-few", "{n} ثوانٍ")`, one for
    /// each unit and plural category the language uses.
    countdown: Vec<(String, String)>,
    /// `COUNTED`'s messages for every count up to their bound, made once:
    /// `counted[i][n]`.
    counted: Vec<Vec<String>>,
    /// And above it: for each plural category the language has there, the
    /// text before and after the count. `beyond[i]`.
    beyond: Vec<Vec<(PluralCategory, String, String)>>,
    /// The language's plural rules, as Fluent finds them.
    plurals: Option<PluralRules>,
    /// `FILLED`'s messages, made once around their arguments: `filled[i]`
    /// (`None` where this file lacks the message: English then answers).
    filled: Vec<Option<Vec<Piece>>>,
    /// Every message of plain text (no placeable), escaped for HTML once:
    /// what the templates put in most (`h`).
    html: FastMap<Box<str>, Box<str>>,
}

/// Messages of text arguments put in as they are (no selector reads them:
/// a test holds it), with their arguments' names: made once per language
/// with a stand-in for each argument, then filled in by copying. Fluent's
/// formatting of them was most of what the code page still cost.
const FILLED: [(&str, &[&str]); 11] = [
    ("code-lead-sent-html", &["phone", "valid_for"]),
    ("code-lead-resent-html", &["phone", "valid_for"]),
    ("code-lead-uncertain-html", &["phone", "valid_for"]),
    ("resend-countdown", &["wait"]),
    ("code-uncertain", &["wait"]),
    ("phone-hint", &["example"]),
    ("client-asks-html", &["client"]),
    ("verified-body-html", &["phone"]),
    ("support-html", &["url"]),
    ("sms-code", &["code"]),
    ("sms-code-from", &["app", "code"]),
];

/// A piece of a `FILLED` message: its own text, or where its `i`th
/// argument goes.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Argument(usize),
}

/// Where `FILLED` messages' arguments go while they are made: characters
/// of Unicode's private use area, which no message and no argument holds.
const STAND_IN: char = '\u{F8F0}';

/// A `FILLED` message, formatted with stand-ins, cut into its pieces.
fn pieces(bundle: &FluentBundle<FluentResource>, id: &str, names: &[&str]) -> Option<Vec<Piece>> {
    let pattern = bundle.get_message(id)?.value()?;
    let stand_ins: FluentArgs = names
        .iter()
        .enumerate()
        .map(|(i, name)| (*name, FluentValue::from(format!("{STAND_IN}{i}{STAND_IN}"))))
        .collect();
    let mut errors = vec![];
    let made = bundle.format_pattern(pattern, Some(&stand_ins), &mut errors);
    let mut pieces = vec![];
    // Text, then (stand-in, index, stand-in, text) repeated.
    let mut parts = made.split(STAND_IN);
    pieces.push(Piece::Text(parts.next()?.to_owned()));
    while let Some(index) = parts.next() {
        pieces.push(Piece::Argument(
            index.parse().ok().filter(|i| *i < names.len())?,
        ));
        pieces.push(Piece::Text(parts.next()?.to_owned()));
    }
    pieces.retain(|piece| *piece != Piece::Text(String::new()));
    Some(pieces)
}

/// Messages of one number that the pages say on most requests (durations,
/// the code's length), with the name of their number and the highest count
/// made at start; formatting one through Fluent (its number as an `f64`)
/// was 8% of a wrong code's answer.
const COUNTED: [(&str, &str, u64); 9] = [
    ("duration-seconds", "count", 119),
    ("duration-minutes", "count", 60),
    ("code-wrong", "tries", 10),
    ("code-malformed-digits", "length", 10),
    ("code-malformed-characters", "length", 10),
    ("code-label-digits", "length", 10),
    ("code-label-characters", "length", 10),
    ("code-field-hint-digits", "length", 10),
    ("code-field-hint-characters", "length", 10),
];

static CATALOG: [OnceLock<Loaded>; sources::SOURCES.len()] =
    [const { OnceLock::new() }; sources::SOURCES.len()];

/// Each language's identifier, by `Language::index`: what negotiation
/// compares, for every offered language on every request that asks.
static IDS: LazyLock<Vec<LanguageIdentifier>> = LazyLock::new(|| {
    sources::SOURCES
        .iter()
        .map(|source| source.tag.parse().unwrap_or_default())
        .collect()
});

/// Makes `language`'s messages ready.
fn load(language: Language) -> Loaded {
    let Source { tag, messages, .. } = language.source();
    let id = language.id();
    let resource =
        FluentResource::try_new((*messages).to_owned()).unwrap_or_else(|(resource, errors)| {
            tracing::error!("locales/{tag}.ftl: {errors:?}");
            resource
        });
    let plain_ids = plain_messages(&resource);
    let mut bundle = FluentBundle::new_concurrent(vec![id.clone()]);
    // No invisible isolation marks: they would make every SMS
    // UCS-2. The pages isolate what needs it (`left_to_right`, and
    // the stylesheet for names in bold).
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!("locales/{tag}.ftl: {errors:?}");
    }
    let plain = |id: &str| {
        let message = bundle.get_message(id)?;
        let mut errors = vec![];
        let text = bundle.format_pattern(message.value()?, None, &mut errors);
        Some(text.into_owned())
    };
    let html = plain_ids
        .iter()
        .filter_map(|id| Some((id.as_str().into(), escape(&plain(id)?).into())))
        .collect();
    let countdown = countdown_forms(&bundle, id);
    let counted = COUNTED
        .iter()
        .map(|(message, arg, most)| {
            let Some(pattern) = bundle.get_message(message).and_then(|m| m.value()) else {
                return vec![];
            };
            (0..=*most)
                .map(|n| {
                    let mut errors = vec![];
                    let args = args([(*arg, n.into())]);
                    bundle
                        .format_pattern(pattern, Some(&args), &mut errors)
                        .into_owned()
                })
                .collect()
        })
        .collect();
    let filled = FILLED
        .iter()
        .map(|(message, names)| pieces(&bundle, message, names))
        .collect();
    let plurals = cardinal_rules(id);
    let beyond = COUNTED
        .iter()
        .map(|(message, arg, most)| match &plurals {
            Some(rules) => beyond_forms(&bundle, rules, message, arg, *most),
            None => vec![],
        })
        .collect();
    Loaded {
        bundle,
        countdown,
        counted,
        beyond,
        plurals,
        filled,
        html,
    }
}

/// The ids of `resource`'s messages whose value is text alone: the same
/// whatever the arguments, so they can be escaped once.
fn plain_messages(resource: &FluentResource) -> Vec<String> {
    use fluent_syntax::ast::{Entry, PatternElement};
    resource
        .entries()
        .filter_map(|entry| match entry {
            Entry::Message(message) => Some(message),
            _ => None,
        })
        .filter(|message| {
            message.value.as_ref().is_some_and(|value| {
                value
                    .elements
                    .iter()
                    .all(|element| matches!(element, PatternElement::TextElement { .. }))
            })
        })
        .map(|message| message.id.name.to_owned())
        .collect()
}

/// The duration messages as the page's script needs them: for each unit
/// and each CLDR plural category of the language (found by trying counts
/// until each category has turned up), the message with `{n}` where its
/// number goes. The script picks one with the browser's `Intl.PluralRules`,
/// so its countdown says what the page said, word for word.
fn countdown_forms(
    bundle: &FluentBundle<FluentResource>,
    id: &LanguageIdentifier,
) -> Vec<(String, String)> {
    let Some(rules) = cardinal_rules(id) else {
        return vec![];
    };
    let mut forms = vec![];
    for (unit, message) in [
        ("seconds", "duration-seconds"),
        ("minutes", "duration-minutes"),
    ] {
        let Some(pattern) = bundle.get_message(message).and_then(|m| m.value()) else {
            continue;
        };
        let mut seen = vec![];
        for count in 0..=200u32 {
            let Ok(category) = rules.select(count) else {
                continue;
            };
            let name = category_name(category);
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let mut errors = vec![];
            let text =
                bundle.format_pattern(pattern, Some(&args([("count", count.into())])), &mut errors);
            let form = text.replacen(&count.to_string(), "{n}", 1);
            forms.push((format!("{unit}-{name}"), form));
        }
    }
    forms
}

/// A `COUNTED` message for counts above `most`, by plural category: made
/// with a count of that category (ten digits, so it cannot be mistaken for
/// other text) and cut where the count is. None if a variant names a
/// number above `most` (`[12]`, which a category cannot stand for); a
/// category the samples miss, or a message that does not say its count
/// once, is left to Fluent.
fn beyond_forms(
    bundle: &FluentBundle<FluentResource>,
    rules: &PluralRules,
    message: &str,
    arg: &'static str,
    most: u64,
) -> Vec<(PluralCategory, String, String)> {
    let Some(pattern) = bundle.get_message(message).and_then(|m| m.value()) else {
        return vec![];
    };
    if names_a_number_above(pattern, most) {
        return vec![];
    }
    let mut forms: Vec<(PluralCategory, String, String)> = vec![];
    // Counts ending in every two digits, and a multiple of a million
    // (French, Spanish and Portuguese say "de" after one: `many`).
    for sample in (0..200).map(|k| 1_000_000_000 + k) {
        let Ok(category) = rules.select(sample) else {
            continue;
        };
        if forms.iter().any(|(c, _, _)| *c == category) {
            continue;
        }
        let mut errors = vec![];
        let text = bundle.format_pattern(pattern, Some(&args([(arg, sample.into())])), &mut errors);
        let digits = sample.to_string();
        if !errors.is_empty() || text.matches(digits.as_str()).count() != 1 {
            continue;
        }
        if let Some((before, after)) = text.split_once(digits.as_str()) {
            forms.push((category, before.to_owned(), after.to_owned()));
        }
    }
    forms
}

/// Whether a pattern may have a variant for a number above `most`: one
/// it selects itself, or (to be safe) any it could reach through another
/// message, a term, a function or a nested placeable.
fn names_a_number_above(pattern: &fluent_syntax::ast::Pattern<&str>, most: u64) -> bool {
    use fluent_syntax::ast::{Expression, InlineExpression, PatternElement, VariantKey};
    let opaque = |inline: &InlineExpression<&str>| {
        !matches!(
            inline,
            InlineExpression::VariableReference { .. }
                | InlineExpression::StringLiteral { .. }
                | InlineExpression::NumberLiteral { .. }
        )
    };
    pattern.elements.iter().any(|element| match element {
        PatternElement::TextElement { .. } => false,
        PatternElement::Placeable { expression } => match expression {
            Expression::Inline(inline) => opaque(inline),
            Expression::Select { selector, variants } => {
                opaque(selector)
                    || variants.iter().any(|variant| {
                        let above = match &variant.key {
                            VariantKey::NumberLiteral { value } => {
                                value.parse::<f64>().map_or(true, |n| n > most as f64)
                            }
                            VariantKey::Identifier { .. } => false,
                        };
                        above || names_a_number_above(&variant.value, most)
                    })
            }
        },
    })
}

/// A language's rules for counting things, found as Fluent finds them
/// (`pt-BR` has the rules of `pt`).
fn cardinal_rules(id: &LanguageIdentifier) -> Option<PluralRules> {
    let known = PluralRules::get_locales(PluralRuleType::CARDINAL);
    let found = negotiate_languages(
        std::slice::from_ref(id),
        &known,
        None,
        NegotiationStrategy::Lookup,
    );
    PluralRules::create((*found.first()?).clone(), PluralRuleType::CARDINAL).ok()
}

/// CLDR's name of a plural category, as `Intl.PluralRules` gives it.
fn category_name(category: PluralCategory) -> &'static str {
    // By value: `PluralCategory` is not `Copy`.
    match category {
        PluralCategory::ZERO => "zero",
        PluralCategory::ONE => "one",
        PluralCategory::TWO => "two",
        PluralCategory::FEW => "few",
        PluralCategory::MANY => "many",
        PluralCategory::OTHER => "other",
    }
}

/// Arguments of a message: `args([("count", 3.into())])`.
pub fn args<'a, const N: usize>(pairs: [(&'static str, FluentValue<'a>); N]) -> FluentArgs<'a> {
    pairs.into_iter().collect()
}

impl Language {
    /// The reference language, and the fallback for a missing message.
    pub const ENGLISH: Language = Language(0);

    /// Every language in `locales/`, English first.
    pub fn all() -> impl Iterator<Item = Language> {
        (0..sources::SOURCES.len()).filter_map(|i| u8::try_from(i).ok().map(Language))
    }

    /// The language a file is named for: `es`, `pt-BR` (any case).
    pub fn from_tag(tag: &str) -> Option<Language> {
        Self::all().find(|l| l.tag().eq_ignore_ascii_case(tag))
    }

    /// Its place in `all()`, for tables kept per language.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// Its messages, made ready the first time it is spoken.
    fn loaded(self) -> &'static Loaded {
        CATALOG[self.index()].get_or_init(|| load(self))
    }

    fn source(self) -> &'static Source {
        &sources::SOURCES[self.index()]
    }

    fn id(self) -> &'static LanguageIdentifier {
        &IDS[self.index()]
    }

    /// Its BCP 47 tag, for `<html lang>`: `pt-BR`.
    pub fn tag(self) -> &'static str {
        self.source().tag
    }

    /// Its own name for itself: "Español".
    pub fn name(self) -> &'static str {
        self.source().name
    }

    /// `rtl` or `ltr`, for `<html dir>`.
    pub fn dir(self) -> &'static str {
        if self.source().rtl { "rtl" } else { "ltr" }
    }

    /// A message without arguments.
    /// `data-` attributes for the page's countdown (see `countdown_forms`).
    pub fn countdown_forms(self) -> &'static [(String, String)] {
        &self.loaded().countdown
    }

    /// A plain message is borrowed from the catalog, not copied.
    pub fn text(self, id: &str) -> Cow<'static, str> {
        self.format(id, None)
    }

    /// A message without arguments, escaped for HTML: the copy made at
    /// start for a message of plain text, else escaped now.
    pub fn text_as_html(self, id: &str) -> Cow<'static, str> {
        for language in [self, Language::ENGLISH] {
            if let Some(html) = language.loaded().html.get(id) {
                return Cow::Borrowed(html);
            }
            if language.loaded().bundle.has_message(id) {
                break;
            }
        }
        escaped(self.text(id))
    }

    /// A message with arguments.
    pub fn text_with(self, id: &str, args: &FluentArgs) -> String {
        self.format(id, Some(args)).into_owned()
    }

    /// A message of text arguments, `pairs` (name, value), put in as they
    /// are: from `FILLED` when it is one (and this file has it), else
    /// formatted.
    pub fn fill(self, id: &str, pairs: &[(&'static str, &str)]) -> String {
        let made = FILLED
            .iter()
            .position(|(message, _)| *message == id)
            .and_then(|i| Some((FILLED[i].1, self.loaded().filled.get(i)?.as_ref()?)));
        let Some((names, pieces)) = made else {
            let args: FluentArgs = pairs
                .iter()
                .map(|(name, value)| (*name, FluentValue::from(*value)))
                .collect();
            return self.format(id, Some(&args)).into_owned();
        };
        let value = |i: usize| {
            let name = names.get(i)?;
            pairs.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
        };
        let mut text = String::with_capacity(256);
        for piece in pieces {
            match piece {
                Piece::Text(own) => text.push_str(own),
                // An argument not given reads as Fluent reads it: `{$name}`.
                Piece::Argument(i) => match value(*i) {
                    Some(value) => text.push_str(value),
                    None => {
                        text.push_str("{$");
                        text.push_str(names.get(*i).copied().unwrap_or_default());
                        text.push('}');
                    }
                },
            }
        }
        text
    }

    /// A message that holds markup (its id ends in `-html`), its arguments
    /// (text) escaped: HTML to put in a page as it is.
    pub fn html(self, id: &str, pairs: &[(&'static str, &str)]) -> String {
        debug_assert!(id.ends_with("-html"), "{id} is not a markup message");
        let escaped: Vec<Cow<str>> = pairs.iter().map(|(_, value)| escape(value)).collect();
        let pairs: Vec<(&'static str, &str)> = pairs
            .iter()
            .zip(&escaped)
            .map(|((name, _), value)| (*name, value.as_ref()))
            .collect();
        self.fill(id, &pairs)
    }

    /// A message of one number (`id` one of `COUNTED`, whose argument it
    /// fills): made at start for the usual counts, formatted for others.
    pub fn counted(self, id: &str, n: u64) -> Cow<'static, str> {
        let Some(i) = COUNTED.iter().position(|(message, _, _)| *message == id) else {
            debug_assert!(false, "{id} is not a counted message");
            return self.format(id, None);
        };
        let made = usize::try_from(n)
            .ok()
            .and_then(|n| self.loaded().counted.get(i)?.get(n));
        if let Some(text) = made {
            return Cow::Borrowed(text.as_str());
        }
        // Above the bound: the form of the count's plural category, for
        // counts Fluent writes exactly (it holds them as `f64`).
        let loaded = self.loaded();
        let category = loaded.plurals.as_ref().and_then(|r| r.select(n).ok());
        let form = category.and_then(|category| {
            let forms = loaded.beyond.get(i)?;
            forms.iter().find(|(c, _, _)| *c == category)
        });
        match form {
            Some((_, before, after)) if n < 1 << 53 => {
                let mut text = String::with_capacity(before.len() + 20 + after.len());
                text.push_str(before);
                let _ = write!(text, "{n}");
                text.push_str(after);
                Cow::Owned(text)
            }
            _ => self.format(id, Some(&args([(COUNTED[i].1, n.into())]))),
        }
    }

    /// "10 minutes", "1 minute", "45 seconds", in this language: rounded
    /// up, never "0 seconds".
    pub fn duration(self, wait: Duration) -> Cow<'static, str> {
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let (count, id) = if secs >= 120 {
            (secs.div_ceil(60), "duration-minutes")
        } else if secs >= 60 && secs.is_multiple_of(60) {
            (secs / 60, "duration-minutes")
        } else {
            (secs, "duration-seconds")
        };
        self.counted(id, count)
    }

    fn format(self, id: &str, args: Option<&FluentArgs>) -> Cow<'static, str> {
        for language in [self, Language::ENGLISH] {
            let bundle = &language.loaded().bundle;
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = vec![];
                let text = bundle.format_pattern(pattern, args, &mut errors);
                debug_assert!(errors.is_empty(), "{id} in {}: {errors:?}", language.tag());
                return text;
            }
        }
        debug_assert!(false, "no message {id} in locales/en.ftl");
        tracing::error!("no message {id} in locales/en.ftl");
        Cow::Owned(id.to_owned())
    }
}

/// `text` kept left to right inside a sentence of any direction: a phone
/// number in an Arabic sentence reads `+1 ••• ••• 0123`, not `0123 ••• ••• 1+`
/// (Unicode's left-to-right isolate, which every browser and phone knows).
pub fn left_to_right(text: &str) -> String {
    // Not `format!`: its machinery is most of the cost of something this small.
    const ISOLATE: &str = "\u{2066}";
    const POP: &str = "\u{2069}";
    let mut isolated = String::with_capacity(ISOLATE.len() + text.len() + POP.len());
    isolated.push_str(ISOLATE);
    isolated.push_str(text);
    isolated.push_str(POP);
    isolated
}

/// A digit as typed on an Arabic, Persian or Urdu keyboard (`٠`–`٩`,
/// `۰`–`۹`) or by a full-width input method (`０`–`９`), as the ASCII digit
/// it means; any other character unchanged. Codes and phone numbers are
/// read through it, so a person may type them in the digits they use.
pub fn western_digit(c: char) -> char {
    let zero = match c {
        '\u{0660}'..='\u{0669}' => 0x0660,
        '\u{06F0}'..='\u{06F9}' => 0x06F0,
        '\u{FF10}'..='\u{FF19}' => 0xFF10,
        _ => return c,
    };
    char::from(b'0' + (u32::from(c) - zero) as u8)
}

/// An invisible mark that sets the direction of the text around it (left-
/// or right-to-left marks, embeddings, isolates): text pasted from a page or
/// an app in Arabic script often carries them around numbers. Codes and
/// phone numbers are read without them.
pub fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text made safe to put in HTML.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !needs_escaping(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// As `escape`, for text that may live as long as the app (a message
/// without arguments): kept as it came when nothing needs escaping.
pub fn escaped(text: Cow<'static, str>) -> Cow<'static, str> {
    if needs_escaping(&text) {
        Cow::Owned(escape(&text).into_owned())
    } else {
        text
    }
}

/// Byte by byte: every character `escape` replaces is ASCII.
fn needs_escaping(text: &str) -> bool {
    text.bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\''))
}

/// The languages this app offers (`[i18n] languages`) and the one it
/// speaks when a person asks for none of them (`[i18n] default_language`).
#[derive(Debug, Clone)]
pub struct Languages {
    offered: Vec<Language>,
    default: Language,
    /// Each offered language's switchers, one for each page they come back
    /// to: the default language's made at start, another's the first time
    /// a page speaks it (its label is in its own messages).
    switchers: Vec<(Language, OnceLock<Switchers>)>,
}

/// A language's switchers: for each page they come back to, its HTML.
type Switchers = Vec<(&'static str, Arc<str>)>;

/// Most entries of an `Accept-Language` read: real ones have a handful.
const MAX_ACCEPTED: usize = 32;

/// An `Accept-Language` header read.
struct Accepted<'a> {
    /// Most wanted first: by q-value, then in the order given.
    wanted: Vec<&'a str>,
    /// The ranges given `q=0`: "not this one" (RFC 9110, 12.4.2).
    refused: Vec<&'a str>,
}

/// How long `range` is if it matches `tag`: the whole tag, or its first
/// subtags (`pt` matches `pt-BR`, `p` does not), in any case, `_` read as
/// `-`; 0 if it does not match.
fn matched(range: &str, tag: &str) -> usize {
    let same = |a: &[u8], b: &[u8]| {
        a.iter().zip(b).all(|(x, y)| {
            let dash = |c: u8| {
                if c == b'_' {
                    b'-'
                } else {
                    c.to_ascii_lowercase()
                }
            };
            dash(*x) == dash(*y)
        })
    };
    let (range, tag) = (range.as_bytes(), tag.as_bytes());
    let fits = range.len() <= tag.len()
        && same(range, tag)
        && matches!(tag.get(range.len()), None | Some(b'-' | b'_'));
    if fits { range.len() } else { 0 }
}

impl Accepted<'_> {
    /// Whether `tag` was refused: the longest range that matches it was
    /// given `q=0` (`es;q=0` refuses `es`, which `es-MX` would fall back
    /// to; `pt-BR, pt;q=0` still wants `pt-BR`).
    fn refuses(&self, tag: &str) -> bool {
        let longest = |ranges: &[&str]| ranges.iter().map(|r| matched(r, tag)).max().unwrap_or(0);
        longest(&self.refused) > longest(&self.wanted)
    }
}

/// The tags of an `Accept-Language` header, most wanted first; an entry
/// whose q is 0 is refused, one whose q is negative or unreadable (`NaN`,
/// `1e400`) is left out. (The `accept-language` crate sorts `NaN` with a
/// partial order, which panics in a sort since Rust 1.81.)
fn accepted(header: &str) -> Accepted<'_> {
    let mut entries: Vec<(&str, f32)> = header
        .split(',')
        .take(MAX_ACCEPTED)
        .filter_map(|entry| {
            let mut parts = entry.split(';');
            let tag = parts.next()?.trim();
            let q = match parts.find_map(|p| {
                let p = p.trim();
                p.strip_prefix("q=").or_else(|| p.strip_prefix("Q="))
            }) {
                Some(q) => q.trim().parse::<f32>().ok()?,
                None => 1.0,
            };
            (!tag.is_empty() && q.is_finite() && q >= 0.0).then_some((tag, q))
        })
        .collect();
    // Stable: equal q-values keep the header's order.
    entries.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (wanted, refused): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(_, q)| *q > 0.0);
    Accepted {
        wanted: wanted.into_iter().map(|(tag, _)| tag).collect(),
        refused: refused.into_iter().map(|(tag, _)| tag).collect(),
    }
}

impl Languages {
    /// `default` is offered whatever `offered` says.
    pub fn new(mut offered: Vec<Language>, default: Language) -> Self {
        if !offered.contains(&default) {
            offered.push(default);
        }
        offered.sort_by_key(|l| l.0);
        offered.dedup();
        let switchers = offered.iter().map(|&l| (l, OnceLock::new())).collect();
        let languages = Self {
            offered,
            default,
            switchers,
        };
        languages.switchers_of(default);
        languages
    }

    /// `language`'s switchers, made the first time it is asked for.
    fn switchers_of(&self, language: Language) -> Option<&[(&'static str, Arc<str>)]> {
        let (_, made) = self.switchers.iter().find(|(l, _)| *l == language)?;
        Some(made.get_or_init(|| switchers(language, &self.offered)))
    }

    /// What a page in `language` speaks, with its switcher leading back to
    /// `here` (one of `SWITCHER_PAGES`; else `/verify`).
    pub fn page(&self, language: Language, here: &str) -> PageLanguage {
        let made = self.switchers_of(language).unwrap_or_default();
        let found = |here: &str| {
            made.iter()
                .find(|(page, _)| *page == here)
                .map(|(_, html)| html.clone())
        };
        PageLanguage {
            language,
            switcher: found(here)
                .or_else(|| found("/verify"))
                .unwrap_or_else(|| Arc::from("")),
        }
    }

    pub fn offered(&self) -> &[Language] {
        &self.offered
    }

    pub fn default_language(&self) -> Language {
        self.default
    }

    pub fn offers(&self, language: Language) -> bool {
        self.offered.contains(&language)
    }

    /// The offered language that best matches `requested` (in order of
    /// preference), by Fluent's negotiation: `es-MX` finds `es`, `pt` and
    /// `pt-PT` find `pt-BR`.
    pub fn best<'a>(&self, requested: impl IntoIterator<Item = &'a str>) -> Option<Language> {
        self.best_allowed(requested, |_| true)
    }

    /// `best`, among the offered languages `allowed` lets through.
    fn best_allowed<'a>(
        &self,
        requested: impl IntoIterator<Item = &'a str>,
        allowed: impl Fn(Language) -> bool,
    ) -> Option<Language> {
        let requested: Vec<LanguageIdentifier> = requested
            .into_iter()
            .take(16)
            .filter_map(|tag| tag.trim().parse().ok())
            .collect();
        let available: Vec<&LanguageIdentifier> = self.offered.iter().map(|l| l.id()).collect();
        let found =
            negotiate_languages(&requested, &available, None, NegotiationStrategy::Filtering);
        found.iter().find_map(|best| {
            self.offered
                .iter()
                .copied()
                .find(|l| l.id() == **best)
                .filter(|l| allowed(*l))
        })
    }

    /// From an `Accept-Language` header: by its q-values (`q=0` is "not
    /// this one" for each tag it is the longest match of), then the order
    /// it lists them in.
    pub fn for_accept_language(&self, header: &str) -> Option<Language> {
        let accepted = accepted(header);
        self.best_allowed(accepted.wanted.iter().copied(), |l| {
            !accepted.refuses(l.tag())
        })
    }

    /// From OpenID Connect's `ui_locales`: tags separated by spaces, the
    /// preferred first.
    pub fn for_ui_locales(&self, ui_locales: &str) -> Option<Language> {
        self.best(ui_locales.split_ascii_whitespace())
    }

    /// What a page speaks: the language the person chose (on the page, or
    /// by the website that sent them) if offered, else the browser's, else
    /// the default.
    pub fn choose(&self, chosen: Option<Language>, accept_language: Option<&str>) -> Language {
        chosen
            .filter(|l| self.offers(*l))
            .or_else(|| accept_language.and_then(|h| self.for_accept_language(h)))
            .unwrap_or(self.default)
    }
}

impl Default for Languages {
    fn default() -> Self {
        Self::new(Language::all().collect(), Language::ENGLISH)
    }
}

/// The pages a switcher can come back to: those a `GET` shows. From any
/// other (a refused form, an error), it goes to `/verify`, which shows the
/// code page if a code is pending and the phone form if not.
pub const SWITCHER_PAGES: [&str; 4] = ["/", "/sign-in", "/verify", "/verified"];

/// The language switcher of one page in one language, rendered once.
#[derive(Template)]
#[template(path = "switcher.html")]
struct Switcher {
    label: Cow<'static, str>,
    links: Vec<SwitchTo>,
}

/// One link of the language switcher.
struct SwitchTo {
    tag: &'static str,
    name: &'static str,
    href: String,
    current: bool,
}

/// The switchers the pages show in `language`: for each page it comes back
/// to, its HTML (empty with one language offered). A page takes its
/// switcher as it is, rather than making it per request.
fn switchers(language: Language, offered: &[Language]) -> Switchers {
    SWITCHER_PAGES
        .iter()
        .map(|&here| {
            let html = if offered.len() < 2 {
                String::new()
            } else {
                let links = offered
                    .iter()
                    .map(|l| SwitchTo {
                        tag: l.tag(),
                        name: l.name(),
                        href: format!("/language/{}?back={here}", l.tag()),
                        current: *l == language,
                    })
                    .collect();
                let label = language.text("language-switcher");
                Switcher { label, links }.render().unwrap_or_default()
            };
            (here, Arc::from(html))
        })
        .collect()
}

/// What a page being answered speaks, and its language switcher.
#[derive(Debug, Clone)]
pub struct PageLanguage {
    pub language: Language,
    /// HTML, made by `switchers`.
    pub switcher: Arc<str>,
}

tokio::task_local! {
    /// Changed in place by `speak_from_here`: a layer that chooses the
    /// person's language needs no scope (and no copy of the request's
    /// future) of its own.
    static PAGE: RefCell<PageLanguage>;
}

/// Answers `request` in `page`'s language.
pub fn speaking<F: Future>(page: PageLanguage, request: F) -> impl Future<Output = F::Output> {
    PAGE.scope(RefCell::new(page), request)
}

/// The rest of the request being answered speaks `page`'s language (the
/// pages' layer, which runs inside `speaking`). Outside `speaking`,
/// nothing changes and `page` comes back.
pub fn speak_from_here(page: PageLanguage) -> Result<(), PageLanguage> {
    let mut page = Some(page);
    // Outside a scope the closure is not run, and `page` is still there.
    let _ = PAGE.try_with(|current| {
        if let Some(page) = page.take() {
            *current.borrow_mut() = page;
        }
    });
    page.map_or(Ok(()), Err)
}

/// The language of the page being answered (the default outside one).
pub fn current() -> Language {
    PAGE.try_with(|page| page.borrow().language)
        .unwrap_or(Language::ENGLISH)
}

/// A message in the current page's language: for templates.
pub fn t(id: &str) -> Cow<'static, str> {
    current().text(id)
}

/// A message in the current page's language, escaped for HTML: for
/// templates, which then leave it as it is.
pub fn h(id: &str) -> askama::filters::Safe<Cow<'static, str>> {
    askama::filters::Safe(current().text_as_html(id))
}

/// The current page's language switcher, as HTML.
pub fn switcher() -> Arc<str> {
    PAGE.try_with(|page| page.borrow().switcher.clone())
        .unwrap_or_else(|_| Arc::from(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
    use std::collections::BTreeSet;

    fn lang(tag: &str) -> Language {
        Language::from_tag(tag).unwrap_or_else(|| panic!("no locales/{tag}.ftl"))
    }

    #[test]
    fn each_languages_name_and_direction_as_the_build_read_them_are_its_messages() {
        for language in Language::all() {
            assert_eq!(language.name(), language.text("language-name"));
            assert_eq!(language.dir(), language.text("language-direction"));
        }
        assert_eq!((lang("ar").dir(), lang("es").name()), ("rtl", "Español"));
    }

    #[test]
    fn the_default_languages_switchers_are_made_at_start_and_anothers_when_a_page_speaks_it() {
        let languages = Languages::new(Language::all().collect(), lang("es"));
        let made = |language: Language| {
            languages
                .switchers
                .iter()
                .any(|(l, made)| *l == language && made.get().is_some())
        };
        assert!(made(lang("es")));
        assert!(!made(lang("en")) && !made(lang("de")));
        let page = languages.page(lang("de"), "/verify");
        assert!(made(lang("de")) && !made(lang("fr")));
        assert!(page.switcher.contains("Español") && page.switcher.contains("العربية"));
        assert!(
            page.switcher
                .contains(lang("de").text("language-switcher").as_ref())
        );
    }

    #[test]
    fn the_six_languages_the_product_promises_are_there_and_arabic_reads_right_to_left() {
        for tag in ["en", "es", "fr", "de", "pt-BR", "ar"] {
            let language = lang(tag);
            assert_eq!(language.tag(), tag);
            assert_eq!(language.dir(), if tag == "ar" { "rtl" } else { "ltr" });
            assert_ne!(language.name(), tag, "{tag} names itself");
        }
    }

    /// The variables a pattern uses, through selectors.
    fn variables(pattern: &Pattern<&str>, into: &mut BTreeSet<String>) {
        for element in &pattern.elements {
            if let PatternElement::Placeable { expression } = element {
                expression_variables(expression, into);
            }
        }
    }

    fn expression_variables(expression: &Expression<&str>, into: &mut BTreeSet<String>) {
        match expression {
            Expression::Select { selector, variants } => {
                inline_variables(selector, into);
                for variant in variants {
                    variables(&variant.value, into);
                }
            }
            Expression::Inline(inline) => inline_variables(inline, into),
        }
    }

    fn inline_variables(inline: &InlineExpression<&str>, into: &mut BTreeSet<String>) {
        match inline {
            InlineExpression::VariableReference { id } => {
                into.insert(id.name.to_owned());
            }
            InlineExpression::Placeable { expression } => expression_variables(expression, into),
            _ => {}
        }
    }

    /// Each message's id and the variables it uses.
    fn messages(source: &str) -> Vec<(String, BTreeSet<String>)> {
        let resource = match FluentResource::try_new(source.to_owned()) {
            Ok(resource) => resource,
            Err((_, errors)) => panic!("does not parse: {errors:?}"),
        };
        resource
            .entries()
            .filter_map(|entry| match entry {
                Entry::Message(message) => {
                    let mut used = BTreeSet::new();
                    if let Some(value) = &message.value {
                        variables(value, &mut used);
                    }
                    Some((message.id.name.to_owned(), used))
                }
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn a_language_chosen_inside_a_page_holds_for_the_rest_of_it_and_nowhere_else() {
        let page = |language| PageLanguage {
            language,
            switcher: Arc::from(""),
        };
        let other = Language::all()
            .find(|l| *l != Language::ENGLISH)
            .expect("a second language");
        let outside = speak_from_here(page(other));
        assert_eq!(
            outside.map_err(|p| p.language),
            Err(other),
            "outside a page"
        );
        assert_eq!(current(), Language::ENGLISH);
        // Two requests answered at once on one task, as a connection's
        // futures are: one switching must not reach the other.
        let switching = speaking(page(Language::ENGLISH), async {
            let before = current();
            assert!(speak_from_here(page(other)).is_ok());
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
            (before, current())
        });
        let staying = speaking(page(Language::ENGLISH), async {
            tokio::task::yield_now().await;
            let between = current();
            tokio::task::yield_now().await;
            (between, current())
        });
        let (switched, stayed) = tokio::join!(switching, staying);
        assert_eq!(switched, (Language::ENGLISH, other));
        assert_eq!(stayed, (Language::ENGLISH, Language::ENGLISH));
        assert_eq!(current(), Language::ENGLISH);
    }

    #[test]
    fn a_plain_message_escaped_once_at_start_reads_as_escaping_it_now() {
        let mut escaped_something = false;
        for language in Language::all() {
            for (id, text) in &language.loaded().html {
                assert_eq!(
                    **text,
                    *escape(&language.text(id)),
                    "{id} in {}",
                    language.tag()
                );
                // What the templates ask for is that copy.
                assert_eq!(language.text_as_html(id), **text, "{id}");
                escaped_something |= **text != *language.text(id);
            }
            let page = PageLanguage {
                language,
                switcher: Arc::from(""),
            };
            assert_eq!(
                PAGE.sync_scope(RefCell::new(page), || h("phone-lead").to_string()),
                *escape(&language.text("phone-lead"))
            );
        }
        assert!(
            escaped_something,
            "no message needed escaping: the test proves nothing"
        );
    }

    #[test]
    fn every_language_file_parses_and_has_every_message_with_its_variables() {
        let english = sources::SOURCES[0].messages;
        let reference = messages(english);
        assert!(reference.len() > 80, "{} messages", reference.len());
        for &Source {
            tag,
            messages: source,
            ..
        } in sources::SOURCES
        {
            let found = messages(source);
            let ids: BTreeSet<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
            for (id, used) in &reference {
                assert!(ids.contains(id.as_str()), "locales/{tag}.ftl lacks {id}");
                let theirs = found.iter().find(|(i, _)| i == id).map(|(_, u)| u);
                // A selector may name the count in one variant only.
                let theirs = theirs.cloned().unwrap_or_default();
                assert!(
                    theirs.is_subset(used)
                        && used
                            .iter()
                            .all(|v| theirs.contains(v) || v == "count" || v == "tries"),
                    "locales/{tag}.ftl: {id} uses {theirs:?}, English {used:?}"
                );
            }
            for (id, _) in &found {
                assert!(
                    reference.iter().any(|(r, _)| r == id),
                    "locales/{tag}.ftl has {id}, which English does not"
                );
            }
        }
    }

    #[test]
    fn markup_is_only_where_the_id_says_and_the_same_tags_as_in_english() {
        let tags = |text: &str| -> Vec<String> {
            let mut found: Vec<String> = text
                .match_indices('<')
                .map(|(at, _)| text[at..].chars().take_while(|c| *c != '>').collect())
                .collect();
            found.sort();
            found
        };
        for language in Language::all() {
            for (id, _) in messages(sources::SOURCES[0].messages) {
                let english = Language::ENGLISH.format(&id, Some(&dummy_args()));
                let theirs = language.format(&id, Some(&dummy_args()));
                if id.ends_with("-html") {
                    assert_eq!(tags(&theirs), tags(&english), "{} {id}", language.tag());
                } else {
                    assert!(!theirs.contains('<'), "{} {id}: {theirs}", language.tag());
                }
            }
        }
    }

    fn dummy_args() -> FluentArgs<'static> {
        args([
            ("count", 3.into()),
            ("tries", 3.into()),
            ("length", 6.into()),
            ("wait", "30 s".into()),
            ("valid_for", "10 min".into()),
            ("phone", "+1 •••-•••-0123".into()),
            ("example", "(201) 555-0123".into()),
            ("client", "Acme".into()),
            ("app", "Acme".into()),
            ("code", "123456".into()),
            ("region", "X".into()),
            ("allowed", "Y".into()),
            ("url", "https://example.com/help".into()),
        ])
    }

    #[test]
    fn counted_messages_made_at_start_read_as_formatting_them_would_below_and_above_their_bound() {
        let counts = (0..=1_000u64)
            .chain((1..=120).map(|k| 1_000_000 * k))
            .chain((0..=300).map(|k| 999_999_850 + k))
            .chain([1 << 40, (1 << 53) - 1, 1 << 53, u64::MAX]);
        let counts: Vec<u64> = counts.collect();
        for language in Language::all() {
            for (i, (id, arg, most)) in COUNTED.into_iter().enumerate() {
                // Every language has a form above the bound for each message.
                assert!(
                    !language.loaded().beyond[i].is_empty(),
                    "{} {id} at {most}",
                    language.tag()
                );
                for &n in &counts {
                    let formatted = language.text_with(id, &args([(arg, n.into())]));
                    assert_eq!(
                        language.counted(id, n),
                        formatted,
                        "{} {id} {n}",
                        language.tag()
                    );
                }
            }
        }
    }

    #[test]
    fn a_counted_message_with_a_variant_for_a_number_above_its_bound_is_left_to_fluent() {
        let source = "tries = { $n ->\n    [12] a dozen\n    [one] one\n   *[other] { $n } left\n}\nthrough = { tries }\n";
        let mut bundle = FluentBundle::new_concurrent(vec![lang("en").id().clone()]);
        bundle.set_use_isolating(false);
        let resource = FluentResource::try_new(source.to_owned()).expect("parses");
        bundle.add_resource(resource).expect("adds");
        let rules = cardinal_rules(lang("en").id()).expect("rules");
        assert!(beyond_forms(&bundle, &rules, "tries", "n", 10).is_empty());
        // Nor one that could reach such a variant through another message.
        assert!(beyond_forms(&bundle, &rules, "through", "n", 12).is_empty());
        // Above 12, English has only `other`.
        let forms = beyond_forms(&bundle, &rules, "tries", "n", 12);
        assert_eq!(forms.len(), 1);
        assert_eq!((forms[0].1.as_str(), forms[0].2.as_str()), ("", " left"));
    }

    #[test]
    fn filled_messages_made_at_start_read_as_formatting_them_would() {
        let values = [
            "+1 ••• ••• 0123",
            "<b>A&B</b> \"quoted\" 'too'",
            "",
            "10 minutes",
            "\u{2066}(201) 555-0123\u{2069}",
            "{$phone}",
        ];
        for language in Language::all() {
            for (id, names) in FILLED {
                assert!(
                    language.loaded().filled
                        [FILLED.iter().position(|(m, _)| *m == id).unwrap_or(0)]
                    .is_some()
                        || language.loaded().bundle.get_message(id).is_none(),
                    "{} {id}: not made",
                    language.tag()
                );
                for value in values {
                    let pairs: Vec<(&'static str, &str)> =
                        names.iter().map(|n| (*n, value)).collect();
                    let args: FluentArgs = names
                        .iter()
                        .map(|n| (*n, FluentValue::from(value)))
                        .collect();
                    let formatted = language.text_with(id, &args);
                    assert_eq!(
                        language.fill(id, &pairs),
                        formatted,
                        "{} {id} {value:?}",
                        language.tag()
                    );
                }
                // Each argument in its own place, and one left out as Fluent leaves it.
                let pairs: Vec<(&'static str, &str)> = names
                    .iter()
                    .zip(["first", "second"])
                    .map(|(n, v)| (*n, v))
                    .collect();
                let args: FluentArgs = pairs
                    .iter()
                    .map(|(n, v)| (*n, FluentValue::from(*v)))
                    .collect();
                assert_eq!(language.fill(id, &pairs), language.text_with(id, &args));
                if names.len() > 1 {
                    let some = &pairs[..1];
                    let args: FluentArgs = some
                        .iter()
                        .map(|(n, v)| (*n, FluentValue::from(*v)))
                        .collect();
                    let mut errors = vec![];
                    let bundle = &language.loaded().bundle;
                    if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                        let fluent = bundle.format_pattern(pattern, Some(&args), &mut errors);
                        assert_eq!(language.fill(id, some), fluent, "{} {id}", language.tag());
                    }
                }
            }
        }
    }

    /// Whether a pattern chooses among variants by one of `names`.
    fn selects_on(pattern: &Pattern<&str>, names: &[&str]) -> bool {
        pattern.elements.iter().any(|element| match element {
            PatternElement::Placeable { expression } => expression_selects_on(expression, names),
            PatternElement::TextElement { .. } => false,
        })
    }

    fn expression_selects_on(expression: &Expression<&str>, names: &[&str]) -> bool {
        match expression {
            Expression::Select { selector, variants } => {
                let mut read = BTreeSet::new();
                inline_variables(selector, &mut read);
                read.iter().any(|r| names.contains(&r.as_str()))
                    || variants.iter().any(|v| selects_on(&v.value, names))
            }
            Expression::Inline(InlineExpression::Placeable { expression }) => {
                expression_selects_on(expression, names)
            }
            // A function (NUMBER, say) would format the text it is given.
            Expression::Inline(InlineExpression::FunctionReference { arguments, .. }) => {
                let mut read = BTreeSet::new();
                for argument in &arguments.positional {
                    inline_variables(argument, &mut read);
                }
                read.iter().any(|r| names.contains(&r.as_str()))
            }
            Expression::Inline(_) => false,
        }
    }

    #[test]
    fn no_locale_file_chooses_by_or_reformats_an_argument_of_a_filled_message() {
        for &Source {
            tag,
            messages: source,
            ..
        } in sources::SOURCES
        {
            let resource = match FluentResource::try_new(source.to_string()) {
                Ok(resource) => resource,
                Err((_, errors)) => panic!("{tag} does not parse: {errors:?}"),
            };
            for entry in resource.entries() {
                let Entry::Message(message) = entry else {
                    continue;
                };
                let Some((_, names)) = FILLED.iter().find(|(id, _)| *id == message.id.name) else {
                    continue;
                };
                if let Some(value) = &message.value {
                    assert!(!selects_on(value, names), "{tag}: {}", message.id.name);
                }
            }
        }
    }

    #[test]
    fn plurals_follow_each_languages_rules() {
        let en = Language::ENGLISH;
        assert_eq!(en.duration(Duration::from_secs(1)), "1 second");
        assert_eq!(en.duration(Duration::from_secs(29)), "29 seconds");
        let tries = |l: Language, n: u32| l.text_with("code-wrong", &args([("tries", n.into())]));
        assert!(tries(en, 1).contains("1 try left"));
        assert!(tries(en, 2).contains("2 tries left"));
        // Arabic has a form for two, for a few and for many.
        let ar = lang("ar");
        let forms: BTreeSet<String> = [1, 2, 3, 11, 100]
            .iter()
            .map(|n| ar.duration(Duration::from_secs(*n)).into_owned())
            .collect();
        assert!(forms.len() >= 4, "{forms:?}");
        for tag in ["es", "fr", "de", "pt-BR"] {
            let l = lang(tag);
            assert_ne!(
                l.duration(Duration::from_secs(1)).replace('1', ""),
                l.duration(Duration::from_secs(29)).replace("29", ""),
                "{tag}: one and other are the same"
            );
        }
        // "1 try left" and "2 tries left" in every language; Arabic's dual
        // and few forms too.
        for language in Language::all().filter(|l| *l != en) {
            let one = tries(language, 1).replace('1', "");
            let two = tries(language, 2).replace('2', "");
            assert_ne!(one, two, "{}: one try and two", language.tag());
        }
        let forms: BTreeSet<String> = [1, 2, 3, 11]
            .iter()
            .map(|n| tries(ar, *n).replace(&n.to_string(), ""))
            .collect();
        assert_eq!(forms.len(), 4, "{forms:?}");
    }

    #[test]
    fn the_scripts_countdown_forms_say_every_wait_as_the_page_does() {
        for language in Language::all() {
            let rules = cardinal_rules(language.id()).expect("plural rules");
            let forms = language.countdown_forms();
            let say = |unit: &str, n: u64| {
                let category = category_name(rules.select(n).expect("a category"));
                let (_, form) = forms
                    .iter()
                    .find(|(name, _)| *name == format!("{unit}-{category}"))
                    .unwrap_or_else(|| panic!("{}: no {unit}-{category}", language.tag()));
                form.replace("{n}", &n.to_string())
            };
            for secs in 1..120 {
                if secs >= 60 && secs % 60 == 0 {
                    continue;
                }
                assert_eq!(
                    say("seconds", secs),
                    language.duration(Duration::from_secs(secs)),
                    "{} {secs}",
                    language.tag()
                );
            }
            for minutes in 1..=60 {
                assert_eq!(
                    say("minutes", minutes),
                    language.duration(Duration::from_secs(minutes * 60)),
                    "{} {minutes} min",
                    language.tag()
                );
            }
        }
    }

    #[test]
    fn waits_read_naturally_and_round_up() {
        let en = Language::ENGLISH;
        let secs = Duration::from_secs;
        assert_eq!(en.duration(secs(600)), "10 minutes");
        assert_eq!(en.duration(secs(60)), "1 minute");
        assert_eq!(en.duration(secs(90)), "90 seconds");
        assert_eq!(en.duration(secs(1)), "1 second");
        assert_eq!(en.duration(Duration::from_millis(1_500)), "2 seconds");
        assert_eq!(en.duration(Duration::ZERO), "1 second");
        assert_eq!(en.duration(secs(3_599)), "60 minutes");
        // A no-break space between a number and its unit is good typography.
        let spaced = |l: &str| lang(l).duration(secs(29)).replace('\u{a0}', " ");
        assert_eq!(spaced("es"), "29 segundos");
        assert_eq!(spaced("de"), "29 Sekunden");
    }

    #[test]
    fn arguments_of_markup_messages_are_escaped() {
        let html = Language::ENGLISH.html("client-asks-html", &[("client", "<b>A&B</b>")]);
        assert!(
            html.contains("<strong>&lt;b&gt;A&amp;B&lt;/b&gt;</strong>"),
            "{html}"
        );
    }

    #[test]
    fn accept_language_is_read_by_q_values_and_falls_back_to_the_base_language() {
        let all = Languages::default();
        let pick = |header: &str| all.for_accept_language(header).map(Language::tag);
        assert_eq!(pick("es-MX,es;q=0.9,en;q=0.8"), Some("es"));
        assert_eq!(pick("en;q=0.5, fr-CA"), Some("fr"));
        assert_eq!(pick("pt"), Some("pt-BR"));
        assert_eq!(pick("pt-PT, en;q=0.1"), Some("pt-BR"));
        assert_eq!(pick("ar-EG"), Some("ar"));
        assert_eq!(pick("de-AT;q=0, it, en-GB;q=0.3"), Some("en"));
        assert_eq!(pick("it, ja"), None);
        assert_eq!(pick("*"), None);
        assert_eq!(pick(""), None);
        assert_eq!(pick(&"x-bogus;q=0.9, ".repeat(1000)), None);
        // A q that is not a number is no reason to fall over.
        let hostile =
            "a;q=0.0,a;q=0.5,a;q=NaN,a;q=1,a;q=0.8,".repeat(5) + "de;q=nan, fr;q=1e400, es;q=0.2";
        assert_eq!(pick(&hostile), Some("es"));
        assert_eq!(pick("de;Q=0.1, fr;q=0.05"), Some("de"));
        assert_eq!(all.choose(None, Some("it")).tag(), "en");
    }

    #[test]
    fn a_language_given_q_0_is_not_chosen_even_as_the_fallback_of_another() {
        let all = Languages::default();
        let pick = |header: &str| all.for_accept_language(header).map(Language::tag);
        assert_eq!(pick("es-MX, es;q=0"), None);
        assert_eq!(pick("es-MX, ES;q=0, fr;q=0.5"), Some("fr"));
        assert_eq!(
            pick("pt-PT, pt;q=0, en;q=0.1"),
            Some("en"),
            "pt refuses pt-BR"
        );
        // A narrower range refuses only itself: `es-MX;q=0` leaves `es`.
        assert_eq!(pick("es-MX;q=0, es"), Some("es"));
        assert_eq!(pick("e;q=0, es"), Some("es"), "a range is a whole subtag");
        // The longest range that matches a tag speaks for it.
        assert_eq!(pick("pt-BR, pt;q=0"), Some("pt-BR"));
        assert_eq!(pick("pt-br;q=0.5, pt;q=0, en;q=0.1"), Some("pt-BR"));
        assert_eq!(pick("pt_BR;q=0, pt, en;q=0.1"), Some("en"));
        assert_eq!(pick("pt_BR, pt;q=0"), Some("pt-BR"));
        assert_eq!(all.choose(None, Some("es-MX, es;q=0")).tag(), "en");
    }

    #[test]
    fn only_offered_languages_are_chosen_and_the_default_is_always_offered() {
        let some = Languages::new(vec![lang("es")], lang("fr"));
        assert_eq!(some.offered().len(), 2);
        assert_eq!(
            some.for_accept_language("de, es;q=0.5").map(Language::tag),
            Some("es")
        );
        assert_eq!(some.choose(Some(lang("de")), Some("ar")).tag(), "fr");
        assert_eq!(some.choose(Some(lang("es")), Some("fr")).tag(), "es");
        assert_eq!(
            some.for_ui_locales("ar fr-CA es").map(Language::tag),
            Some("fr")
        );
    }
}
