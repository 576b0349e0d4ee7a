//! The documents stay true: what SECURITY.md and BENCHMARKS.md cite must be
//! what the code and the committed measurements hold. (The settings table and
//! `config.example.toml` are held against the settings in `settings::tests`.)

use std::path::{Path, PathBuf};

use crate::bench_report;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: impl AsRef<Path>) -> String {
    let path = root().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                found.push((path, text));
            }
        }
    }
    found
}

/// Whether `text` defines a function called `name` (or, for a name cited as
/// `prefix...`, one whose name starts so).
fn defines(text: &str, name: &str) -> bool {
    match name.strip_suffix("...") {
        Some(prefix) => text.contains(&format!("fn {prefix}")),
        None => text.contains(&format!("fn {name}(")) || text.contains(&format!("fn {name}<")),
    }
}

/// Where a cited test must be: `limits.rs::x` in tests/api/limits.rs,
/// `store::memory::tests::x` under src/store/memory(.rs|/).
fn may_hold(file: &Path, prefix: &str) -> bool {
    let file = file.to_string_lossy().replace('\\', "/");
    if let Some(test_file) = prefix.strip_suffix(".rs") {
        return file.ends_with(&format!("tests/api/{test_file}.rs"));
    }
    let module = prefix.trim_end_matches("::tests").replace("::", "/");
    file.contains(&format!("/src/{module}.rs")) || file.contains(&format!("/src/{module}/"))
}

#[test]
fn every_test_security_md_cites_exists_where_it_says() {
    let security = read("SECURITY.md");
    let mut all = sources(&root().join("src"));
    all.extend(sources(&root().join("tests/api")));
    let mut missing = Vec::new();
    let mut cited = 0;
    for token in security.split('`').skip(1).step_by(2) {
        let is_name = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        let (prefix, name) = match token.rsplit_once("::") {
            Some((prefix, name)) => (Some(prefix), name),
            None => (None, token),
        };
        let bare = name.trim_end_matches("...");
        // Test names are sentences; settings (`min_sends`) are short.
        if !is_name(bare) || (prefix.is_none() && bare.matches('_').count() < 3) || name == "tests"
        {
            continue;
        }
        cited += 1;
        let found = all.iter().any(|(file, text)| {
            prefix.is_none_or(|prefix| may_hold(file, prefix)) && defines(text, name)
        });
        if !found {
            missing.push(token.to_owned());
        }
    }
    assert!(
        cited > 40,
        "SECURITY.md should cite its tests ({cited} found)"
    );
    assert!(
        missing.is_empty(),
        "SECURITY.md cites tests that are not where it says: {missing:?}"
    );
}

#[test]
fn benchmarks_md_holds_exactly_the_tables_the_committed_raw_measurements_give() {
    let raw = read("bench/results/raw.jsonl");
    let made = bench_report::report(&raw)
        .expect("raw.jsonl reads")
        .markdown;
    let document = read("BENCHMARKS.md");
    let committed =
        bench_report::generated(&document).expect("BENCHMARKS.md has the generated part");
    assert_eq!(
        committed,
        made.trim_matches('\n'),
        "BENCHMARKS.md's tables differ from what bench/results/raw.jsonl gives: run \
         `cargo run --example bench_report` and commit the result"
    );
    assert_eq!(
        read("bench/results/summary.md"),
        made,
        "summary.md is stale"
    );
}

#[test]
fn the_text_order_lists_each_function_once_and_covers_the_pages_and_the_verify_api() {
    let order = read("text-order.txt");
    assert!(
        order.starts_with("# Written by bench/text_order"),
        "text-order.txt says how it is made"
    );
    let names: Vec<&str> = order.lines().filter(|l| !l.starts_with('#')).collect();
    let unique: std::collections::HashSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "a function is listed twice");
    assert!(
        names
            .iter()
            .all(|name| !name.is_empty() && !name.contains(char::is_whitespace)),
        "one symbol a line"
    );
    // With fat LTO a handler is inlined into its callers, but the drop glue
    // of its future keeps its whole path in the name.
    for handler in [
        "telnyx_2fa..routes..phone..show_form",
        "telnyx_2fa..routes..phone..request_code",
        "telnyx_2fa..routes..verify..check_code",
        "telnyx_2fa..api..verifications..trigger_sms",
        "telnyx_2fa..api..verifications..verify_by_id",
    ] {
        assert!(
            names.iter().any(|name| name.contains(handler)),
            "text-order.txt has nothing of `{handler}`: run bench/text_order"
        );
    }
    assert!(
        read("build.rs").contains("--symbol-ordering-file"),
        "build.rs hands the file to the linker"
    );
}
