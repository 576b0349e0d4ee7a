//! The tables of BENCHMARKS.md, made from `bench/run`'s raw measurements
//! (JSON lines) and nothing else. Shared by the `bench_report` example, which
//! writes them, and by the test that checks the committed tables still equal
//! what the committed raw lines give.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

/// Where the generated part of BENCHMARKS.md starts and ends.
pub const BEGIN: &str =
    "<!-- made by examples/bench_report from bench/results/raw.jsonl: do not edit by hand -->";
pub const END: &str = "<!-- end of what examples/bench_report made -->";

/// One wrk run: a scenario against one target, in one round.
struct Run {
    scenario: String,
    target: String,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    non_2xx: u64,
}

/// A scenario's throughput as a share of its ceiling (or bound), for the plot.
pub struct Bar {
    pub scenario: String,
    pub ratio: f64,
    pub target: Option<f64>,
}

pub struct Report {
    /// The results and targets tables, in Markdown.
    pub markdown: String,
    pub bars: Vec<Bar>,
}

/// The app's share of its ceiling (or of the bound) each scenario must reach.
fn ceiling_target(scenario: &str) -> Option<f64> {
    match scenario {
        "GET /" => Some(0.80),
        s if s.starts_with("verify flood") => Some(0.65),
        "API verify flood" => Some(0.65),
        "request, 0 ms Telnyx" => Some(0.70),
        s if s.starts_with("request") => Some(0.90),
        _ => None,
    }
}

/// The Redis backend's share of the memory backend each scenario must reach.
fn redis_target(scenario: &str) -> Option<f64> {
    (scenario == "verify flood, answering").then_some(0.70)
}

/// What each scenario's app is measured against, in words.
fn ceiling_words(scenario: &str) -> &'static str {
    match scenario {
        "request, 0 ms Telnyx" => "the send-path ceiling",
        s if s.starts_with("request") => "in-flight ÷ latency",
        _ => "the same-bytes ceiling",
    }
}

const MAX_BYTES_PER_VERIFICATION: f64 = 256.0;
const MAX_IDLE_MB: f64 = 12.0;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn each(ratios: &[f64]) -> String {
    ratios
        .iter()
        .map(|r| format!("{r:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn met(yes: bool) -> &'static str {
    if yes { "yes" } else { "**no**" }
}

/// KiB as decimal megabytes, the unit of the targets.
fn megabytes(kib: f64) -> f64 {
    kib * 1024.0 / 1e6
}

pub fn report(raw: &str) -> Result<Report, String> {
    let mut runs = Vec::new();
    let mut extras = Vec::new();
    for (n, line) in raw.lines().enumerate() {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let Some(requests) = v["requests"].as_f64() else {
            extras.push(v);
            continue;
        };
        runs.push(Run {
            scenario: v["scenario"].as_str().unwrap_or("?").to_owned(),
            target: v["target"].as_str().unwrap_or("?").to_owned(),
            rps: requests / (v["duration_us"].as_f64().unwrap_or(1.0) / 1e6),
            p50_ms: v["p50_us"].as_f64().unwrap_or(0.0) / 1e3,
            p99_ms: v["p99_us"].as_f64().unwrap_or(0.0) / 1e3,
            errors: v["socket_errors"].as_u64().unwrap_or(0),
            non_2xx: v["non_2xx"].as_u64().unwrap_or(0),
        });
    }

    // Scenario → (target → runs), in first-seen order of scenarios.
    let mut order: Vec<String> = Vec::new();
    let mut grouped: BTreeMap<(String, String), Vec<&Run>> = BTreeMap::new();
    for run in &runs {
        if !order.contains(&run.scenario) {
            order.push(run.scenario.clone());
        }
        grouped
            .entry((run.scenario.clone(), run.target.clone()))
            .or_default()
            .push(run);
    }
    let runs_of = |scenario: &str, target: &str| {
        grouped
            .get(&(scenario.to_owned(), target.to_owned()))
            .cloned()
            .unwrap_or_default()
    };

    let mut table = String::from(
        "| scenario | target | requests/s | p50 ms | p99 ms | socket errors | non-2xx | ratio (median of rounds) |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut targets = String::from("| target | median | rounds | met |\n|---|---:|---|---|\n");
    let mut bars = Vec::new();
    for scenario in &order {
        let (app, ceiling, redis) = (
            runs_of(scenario, "app"),
            runs_of(scenario, "ceiling"),
            runs_of(scenario, "redis"),
        );
        let bound = extras
            .iter()
            .find(|e| e["bound_for"].as_str() == Some(scenario))
            .and_then(|e| e["rps"].as_f64());
        // Rounds alternate the targets, so the i-th of each share a moment.
        let ratios: Vec<f64> = match bound {
            Some(bound) => app.iter().map(|a| a.rps / bound).collect(),
            None => app
                .iter()
                .zip(&ceiling)
                .map(|(a, c)| a.rps / c.rps)
                .collect(),
        };
        let ratio = median(ratios.clone());
        let redis_ratios: Vec<f64> = redis.iter().zip(&app).map(|(r, a)| r.rps / a.rps).collect();
        let redis_ratio = median(redis_ratios.clone());
        for (target, list) in [("app", &app), ("ceiling", &ceiling), ("redis", &redis)] {
            if list.is_empty() {
                continue;
            }
            let rps = median(list.iter().map(|r| r.rps).collect());
            let p50 = median(list.iter().map(|r| r.p50_ms).collect());
            let p99 = median(list.iter().map(|r| r.p99_ms).collect());
            let errors: u64 = list.iter().map(|r| r.errors).sum();
            let non_2xx: u64 = list.iter().map(|r| r.non_2xx).sum();
            let (label, ratio_cell) = match target {
                "app" => (
                    "app (memory)",
                    format!(
                        "**{ratio:.2}** of {} ({})",
                        ceiling_words(scenario),
                        each(&ratios)
                    ),
                ),
                "redis" => (
                    "app (redis)",
                    format!(
                        "**{redis_ratio:.2}** of the memory backend ({})",
                        each(&redis_ratios)
                    ),
                ),
                _ => ("ceiling", String::new()),
            };
            writeln!(
                table,
                "| {scenario} | {label} | {rps:.0} | {p50:.2} | {p99:.2} | {errors} | {non_2xx} | {ratio_cell} |"
            )
            .map_err(|e| e.to_string())?;
        }
        if let Some(bound) = bound {
            writeln!(table, "| {scenario} | bound | {bound:.0} | | | | | |")
                .map_err(|e| e.to_string())?;
        }
        let target = ceiling_target(scenario);
        if let Some(goal) = target {
            writeln!(
                targets,
                "| {scenario}: app ≥ {goal:.2} of {} | {ratio:.2} | {} ({}) | {} |",
                ceiling_words(scenario),
                ratios.len(),
                each(&ratios),
                met(ratio >= goal)
            )
            .map_err(|e| e.to_string())?;
        }
        if let Some(goal) = redis_target(scenario) {
            writeln!(
                targets,
                "| {scenario}: Redis backend ≥ {goal:.2} of the memory backend | {redis_ratio:.2} | {} ({}) | {} |",
                redis_ratios.len(),
                each(&redis_ratios),
                met(redis_ratio >= goal)
            )
            .map_err(|e| e.to_string())?;
        }
        bars.push(Bar {
            scenario: scenario.clone(),
            ratio,
            target,
        });
    }

    let mut memory = String::new();
    for extra in &extras {
        if let Some(kib) = extra["idle_rss_kib"].as_f64() {
            let mb = megabytes(kib);
            // How much of `text-order.txt` the binary has, and the stretch
            // of text those functions span (their size, when laid out together).
            let order = match (
                extra["text_order_found"].as_u64(),
                extra["text_order_listed"].as_u64(),
            ) {
                (Some(found), Some(listed)) => {
                    let stretch = match (
                        extra["text_order_kib"].as_f64(),
                        extra["text_order_span_kib"].as_f64(),
                    ) {
                        (Some(size), Some(span)) => format!(
                            ", {:.1} MB of them in {:.1} MB",
                            megabytes(size),
                            megabytes(span)
                        ),
                        _ => String::new(),
                    };
                    format!("; text order: {found} of {listed} functions found{stretch}")
                }
                _ => String::new(),
            };
            writeln!(
                targets,
                "| idle resident size ≤ {MAX_IDLE_MB:.0} MB | {mb:.1} MB ({kib:.0} KiB{order}) | 1 | {} |",
                met(mb <= MAX_IDLE_MB)
            )
            .map_err(|e| e.to_string())?;
        }
        if let (Some(pending), Some(bytes)) = (
            extra["pending"].as_f64(),
            extra["bytes_per_verification"].as_f64(),
        ) {
            writeln!(
                memory,
                "| {pending:.0} | {:.1} MB | {:.1} MB | **{bytes:.0} B** | {} |",
                megabytes(extra["rss_before_kib"].as_f64().unwrap_or(f64::NAN)),
                megabytes(extra["rss_after_kib"].as_f64().unwrap_or(f64::NAN)),
                extra["limit_subjects"].as_u64().unwrap_or(0)
            )
            .map_err(|e| e.to_string())?;
            if pending >= 1e6 {
                writeln!(
                    targets,
                    "| memory per pending verification at {pending:.0}, limits included ≤ {MAX_BYTES_PER_VERIFICATION:.0} B | {bytes:.0} B | 1 | {} |",
                    met(bytes <= MAX_BYTES_PER_VERIFICATION)
                )
                .map_err(|e| e.to_string())?;
            }
        }
    }
    let mut markdown = format!("### Throughput\n\n{table}\n### Targets\n\n{targets}");
    if !memory.is_empty() {
        markdown.push_str(&format!(
            "\n### Memory\n\n| pending | resident before | after | per pending verification | limit subjects |\n|---:|---:|---:|---:|---:|\n{memory}"
        ));
    }
    markdown.push_str("\n### Everything else the run noted\n\n");
    for extra in &extras {
        let after_slow = extra["rss_after_slow_telnyx_kib"]
            .as_f64()
            .or(extra["rss_after_load_kib"].as_f64());
        if let Some(kib) = after_slow {
            writeln!(
                markdown,
                "- resident size of the process started for the 300 ms scenario, after it: {:.1} MB ({kib:.0} KiB)",
                megabytes(kib)
            )
            .map_err(|e| e.to_string())?;
        } else if extra.get("bound_for").is_none() {
            writeln!(markdown, "- `{extra}`").map_err(|e| e.to_string())?;
        }
    }
    Ok(Report { markdown, bars })
}

/// `document` with its generated part replaced by `made`.
pub fn replace_generated(document: &str, made: &str) -> Option<String> {
    let start = document.find(BEGIN)? + BEGIN.len();
    let end = document[start..].find(END)? + start;
    Some(format!(
        "{}\n\n{made}\n{}",
        &document[..start],
        &document[end..]
    ))
}

/// The generated part of `document`, as `replace_generated` wrote it.
pub fn generated(document: &str) -> Option<&str> {
    let start = document.find(BEGIN)? + BEGIN.len();
    let end = document[start..].find(END)? + start;
    Some(document[start..end].trim_matches('\n'))
}
