//! Makes the list of languages from `locales/*.ftl`: adding a language is
//! adding its file. English comes first: it is the reference every other
//! file is held to, and what a missing message falls back on.

use std::path::Path;
use std::{env, fs};

fn main() {
    println!("cargo::rerun-if-changed=locales");
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    order_the_text(Path::new(&manifest));
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

/// In a release build for x86-64 Linux, where Rust links with its own LLD,
/// lays out the functions listed in `text-order.txt` (written by
/// `bench/text_order`: what the app runs to start and serve its first
/// visitors) together at the start of the text. The kernel maps the 64 KiB
/// around each page a process touches, so scattered, they kept most of
/// the 9 MB text resident; together they fill about a third of it. Left
/// out when the build chooses its own linker, which may not know the flag.
fn order_the_text(manifest: &Path) {
    println!("cargo::rerun-if-changed=text-order.txt");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    println!("cargo::rerun-if-env-changed=RUSTC_LINKER");
    let release = env::var("PROFILE").is_ok_and(|profile| profile == "release");
    let lld = env::var("TARGET").is_ok_and(|target| target == "x86_64-unknown-linux-gnu");
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    // A `linker` in Cargo's configuration, or flags that pick one.
    let own_linker = env::var_os("RUSTC_LINKER").is_some()
        || ["fuse-ld", "linker", "link-self-contained"]
            .iter()
            .any(|flag| flags.contains(flag));
    let order = manifest.join("text-order.txt");
    if release && lld && !own_linker && order.is_file() {
        println!(
            "cargo::rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo::rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
