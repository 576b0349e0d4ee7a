//! Makes the list of languages from `locales/*.ftl`: adding a language is
//! adding its file. English comes first: it is the reference every other
//! file is held to, and what a missing message falls back on.

use std::path::Path;
use std::{env, fs};

#[path = "build/phone_metadata.rs"]
mod phone_metadata;

fn main() {
    println!("cargo::rerun-if-changed=locales");
    println!("cargo::rerun-if-changed=build");
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let out_dir = env::var("OUT_DIR").unwrap_or_default();
    phone_metadata::write(Path::new(&out_dir));
    link_for_a_small_process(Path::new(&manifest));
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
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            // What the language switcher and `<html dir>` need of every
            // offered language, without making its messages ready.
            let said = |id: &str| {
                plain_value(&text, id).unwrap_or_else(|| {
                    panic!("locales/{tag}.ftl must say `{id} = …` on one line")
                })
            };
            let (name, direction) = (said("language-name"), said("language-direction"));
            assert!(
                matches!(direction.as_str(), "ltr" | "rtl"),
                "locales/{tag}.ftl: language-direction is ltr or rtl"
            );
            format!(
                "    super::Source {{ tag: {tag:?}, name: {name:?}, rtl: {}, messages: include_str!({:?}) }},\n",
                direction == "rtl",
                path.display().to_string()
            )
        })
        .collect();
    let out = Path::new(&out_dir).join("locales.rs");
    let code = format!(
        "/// Each language's file: its tag (the file's name), its name for\n\
         /// itself, its direction and its messages.\n\
         pub const SOURCES: &[super::Source] = &[\n{entries}];\n"
    );
    fs::write(&out, code).unwrap_or_else(|error| panic!("{}: {error}", out.display()));
}

/// The text of message `id` in a Fluent file, where it is written on one
/// line as `id = text`.
fn plain_value(ftl: &str, id: &str) -> Option<String> {
    ftl.lines().find_map(|line| {
        let value = line.strip_prefix(id)?.trim_start().strip_prefix('=')?;
        Some(value.trim().to_owned())
    })
}

/// Links a release build for x86-64 Linux, where Rust (1.90 and later)
/// links with its own LLD, for a smaller process at rest:
/// - lays out the functions listed in `text-order.txt` (written by
///   `bench/text_order`: what the app runs to start and serve its first
///   visitors) together at the start of the text. The kernel maps the 64 KiB
///   around each page a process touches, so scattered, they kept most of
///   the 9 MB text resident; together they fill about a third of it;
/// - packs the relocations (`DT_RELR`) when the glibc it builds on reads
///   them (2.36 and later): the loader reads every one at start to place a
///   position-independent binary, 24 bytes a pointer, 0.6 MB in all, and
///   packed they are a few KB. The binary then needs such a glibc to start,
///   and says so (`GLIBC_ABI_DT_RELR`): an older one refuses it by name.
///
/// Left out where the linker may be another (GNU ld does not know the
/// ordering flag): an older Rust, a toolchain without its LLD, a `linker`
/// in Cargo's configuration, or flags that choose one. Cargo reruns this
/// script when the flags or the compiler change.
fn link_for_a_small_process(manifest: &Path) {
    println!("cargo::rerun-if-changed=text-order.txt");
    let order = manifest.join("text-order.txt");
    let release = env::var("PROFILE").is_ok_and(|profile| profile == "release");
    let target = env::var("TARGET").is_ok_and(|target| target == "x86_64-unknown-linux-gnu");
    if !(release && target && links_with_rust_lld()) {
        return;
    }
    // `-Xlinker` pairs, not `-Wl,`: a path may hold a comma.
    let mut args = vec![];
    if order.is_file() {
        args.extend([
            format!("--symbol-ordering-file={}", order.display()),
            "--no-warn-symbol-ordering".to_owned(),
        ]);
    }
    if glibc_reads_packed_relocations() {
        args.push("-zpack-relative-relocs".to_owned());
    }
    for arg in args {
        println!("cargo::rustc-link-arg-bins=-Xlinker");
        println!("cargo::rustc-link-arg-bins={arg}");
    }
}

/// Whether the glibc this builds on (the one the binary is linked against)
/// is 2.36 or later, the first to read packed relocations.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn glibc_reads_packed_relocations() -> bool {
    unsafe extern "C" {
        fn gnu_get_libc_version() -> *const std::ffi::c_char;
    }
    // SAFETY: glibc's own function, which returns a static C string.
    let version = unsafe { std::ffi::CStr::from_ptr(gnu_get_libc_version()) };
    let mut parts = version
        .to_str()
        .unwrap_or_default()
        .split('.')
        .map(str::parse::<u32>);
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) >= (2, 36),
        _ => false,
    }
}

/// Built elsewhere than on glibc: the binary is not linked here.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn glibc_reads_packed_relocations() -> bool {
    false
}

/// Whether the binary will be linked by the LLD that ships with Rust: a
/// Rust of 1.90 or later that has it, with no linker chosen for it.
fn links_with_rust_lld() -> bool {
    if env::var_os("RUSTC_LINKER").is_some() {
        return false;
    }
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let mut previous = "";
    for flag in flags.split('\x1f') {
        // `-C linker=x` arrives as two flags, `-Clinker=x` as one.
        let option = if previous == "-C" {
            flag
        } else {
            flag.trim_start_matches("-C")
        };
        if option.starts_with("linker=")
            || option.starts_with("linker-flavor")
            || option.starts_with("link-self-contained")
            || flag.contains("linker-features")
            || flag.contains("fuse-ld")
        {
            return false;
        }
        previous = flag;
    }
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let ask = |args: &[&str]| {
        std::process::Command::new(&rustc)
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .and_then(|output| String::from_utf8(output.stdout).ok())
    };
    let recent = ask(&["-vV"]).is_some_and(|version| {
        version
            .lines()
            .find_map(|line| line.strip_prefix("release: "))
            .and_then(|release| {
                let mut parts = release.split(['.', '-']).map(str::parse::<u32>);
                Some((parts.next()?.ok()?, parts.next()?.ok()?))
            })
            .is_some_and(|version| version >= (1, 90))
    });
    let has_lld = ask(&["--print", "sysroot"]).is_some_and(|sysroot| {
        Path::new(sysroot.trim())
            .join("lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld/ld.lld")
            .is_file()
    });
    recent && has_lld
}
