//! The phone metadata the app reads at run time, made from the `phonenumber`
//! crate's own (libphonenumber's rules): every region, in the crate's order,
//! with two changes that keep its answers and drop most of its memory.
//! - No formats. The app writes numbers in E.164 only; the one number it
//!   shows formatted, a region's example, is formatted here, at build time
//!   (`phone_examples.rs`). The formats were 40% of the loaded database.
//! - `\d` is spelt `[0-9]`. The crate compiles each pattern it runs with
//!   Unicode classes, where `\d` is every script's digits: an automaton many
//!   times the size of one for ten digits. The app reads only ASCII digits
//!   (it turns the others into them first), so the two match alike.
//!
//! Loaded from the crate as it is built, so a new version of the crate
//! brings its new rules here too.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use phonenumber::metadata::{DATABASE, Descriptor, Metadata, loader};

/// `pattern` with every `\d` spelt `[0-9]` (inside a class, `[[0-9]]`: a
/// class in a class is the same class to the regex crate).
pub fn ascii_digits(pattern: &str) -> String {
    // No `\\` in the rules, so every `\d` is the digit class.
    assert!(
        !pattern.contains(r"\\"),
        "a phone rule with an escaped backslash: {pattern}"
    );
    pattern.replace(r"\d", "[0-9]")
}

fn descriptor(descriptor: Option<&Descriptor>) -> Option<loader::Descriptor> {
    let descriptor = descriptor?;
    Some(loader::Descriptor {
        national_number: Some(ascii_digits(descriptor.national_number().as_str())),
        possible_length: descriptor.possible_length().to_vec(),
        possible_local_length: descriptor.possible_local_length().to_vec(),
        example: descriptor.example().map(str::to_owned),
    })
}

/// One region as the crate's loader reads it from the XML, but for the
/// formats and the spelling of `\d`.
fn region(metadata: &Metadata) -> loader::Metadata {
    let rules = metadata.descriptors();
    loader::Metadata {
        general: descriptor(Some(rules.general())),
        fixed_line: descriptor(rules.fixed_line()),
        mobile: descriptor(rules.mobile()),
        toll_free: descriptor(rules.toll_free()),
        premium_rate: descriptor(rules.premium_rate()),
        shared_cost: descriptor(rules.shared_cost()),
        personal_number: descriptor(rules.personal_number()),
        voip: descriptor(rules.voip()),
        pager: descriptor(rules.pager()),
        uan: descriptor(rules.uan()),
        emergency: descriptor(rules.emergency()),
        voicemail: descriptor(rules.voicemail()),
        short_code: descriptor(rules.short_code()),
        standard_rate: descriptor(rules.standard_rate()),
        carrier: descriptor(rules.carrier()),
        no_international: descriptor(rules.no_international()),
        id: Some(metadata.id().to_owned()),
        country_code: Some(metadata.country_code()),
        international_prefix: metadata
            .international_prefix()
            .map(|r| ascii_digits(r.as_str())),
        preferred_international_prefix: metadata
            .preferred_international_prefix()
            .map(str::to_owned),
        national_prefix: metadata.national_prefix().map(str::to_owned),
        preferred_extension_prefix: metadata.preferred_extension_prefix().map(str::to_owned),
        national_prefix_for_parsing: metadata
            .national_prefix_for_parsing()
            .map(|r| ascii_digits(r.as_str())),
        national_prefix_transform_rule: metadata
            .national_prefix_transform_rule()
            .map(str::to_owned),
        formats: vec![],
        international_formats: vec![],
        main_country_for_code: metadata.is_main_country_for_code(),
        leading_digits: metadata.leading_digits().map(|r| ascii_digits(r.as_str())),
        mobile_number_portable: metadata.is_mobile_number_portable(),
        defaults: loader::Defaults::default(),
    }
}

/// A region's example mobile number as people there write it:
/// `(201) 555-0123`.
fn example(metadata: &Metadata) -> Option<String> {
    let region: phonenumber::country::Id = metadata.id().parse().ok()?;
    let example = metadata.descriptors().mobile()?.example()?;
    let number = phonenumber::parse(Some(region), example).ok()?;
    Some(
        number
            .format()
            .mode(phonenumber::Mode::National)
            .to_string(),
    )
}

/// Writes `phone-metadata.bin` (postcard, as the crate stores its own) and
/// `phone_examples.rs` into `out`.
pub fn write(out: &Path) {
    let mut regions = vec![];
    let mut examples = String::from(
        "/// Each region's example mobile number, as people there write it.\n\
         pub const EXAMPLES: &[(&str, &str)] = &[\n",
    );
    // Every region, by calling code, each code's regions in the crate's
    // order (its main region first).
    for code in 1..=999u16 {
        for metadata in DATABASE.by_code(&code).unwrap_or_default() {
            regions.push(region(metadata));
            if let Some(example) = example(metadata) {
                let _ = writeln!(examples, "    ({:?}, {example:?}),", metadata.id());
            }
        }
    }
    examples.push_str("];\n");
    let bytes =
        postcard::to_stdvec(&regions).unwrap_or_else(|error| panic!("phone metadata: {error}"));
    for (name, contents) in [
        ("phone-metadata.bin", bytes),
        ("phone_examples.rs", examples.into_bytes()),
    ] {
        let path = out.join(name);
        fs::write(&path, contents).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    }
}
