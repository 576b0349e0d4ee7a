//! Makes the list of languages from `locales/*.ftl`: adding a language is
//! adding its file. English comes first: it is the reference every other
//! file is held to, and what a missing message falls back on.

use std::path::Path;
use std::{env, fs};

fn main() {
    println!("cargo::rerun-if-changed=locales");
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&manifest).join("locales");
    let mut tags: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "ftl").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    for tag in &tags {
        // The tag goes into `<html lang>` and a `Content-Language` header.
        assert!(
            tag.split('-').all(|part| {
                (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
            }),
            "locales/{tag}.ftl: the file's name must be a BCP 47 tag such as es or pt-BR"
        );
    }
    tags.sort_by_key(|tag| (tag != "en", tag.clone()));
    assert!(
        tags.first().is_some_and(|tag| tag == "en"),
        "locales/en.ftl is the reference language and must exist"
    );
    let entries: String = tags
        .iter()
        .map(|tag| {
            let path = dir.join(format!("{tag}.ftl"));
            format!(
                "    ({tag:?}, include_str!({:?})),\n",
                path.display().to_string()
            )
        })
        .collect();
    let out = Path::new(&env::var("OUT_DIR").unwrap_or_default()).join("locales.rs");
    let code = format!(
        "/// Each language's tag (its file's name) and messages.\n\
         pub const SOURCES: &[(&str, &str)] = &[\n{entries}];\n"
    );
    fs::write(&out, code).unwrap_or_else(|error| panic!("{}: {error}", out.display()));
}
