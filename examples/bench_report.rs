//! Turns `bench/run`'s raw measurements (JSON lines) into the tables of
//! BENCHMARKS.md and a plot of throughput against the ceiling.
//!
//! `cargo run --release --example bench_report -- bench/results/raw.jsonl bench/results`

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plotters::prelude::*;
use serde_json::Value;

/// One wrk run: a scenario against the app or the ceiling, in one round.
struct Run {
    scenario: String,
    target: String,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    non_2xx: u64,
}

/// The targets of issue 5, by scenario.
fn target(scenario: &str) -> Option<f64> {
    match scenario {
        "GET /" => Some(0.7),
        s if s.starts_with("verify flood") => Some(0.5),
        s if s.starts_with("request") && !s.contains(" 0 ms") => Some(0.9),
        _ => None,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let raw = args
        .next()
        .unwrap_or_else(|| "bench/results/raw.jsonl".into());
    let out = args.next().unwrap_or_else(|| "bench/results".into());
    let mut runs = Vec::new();
    let mut extras = Vec::new();
    for line in std::fs::read_to_string(&raw)?.lines() {
        let v: Value = serde_json::from_str(line)?;
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

    let mut table = String::from(
        "| scenario | target | requests/s | p50 ms | p99 ms | socket errors | non-2xx | ratio (median of rounds) |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut bars: Vec<(String, f64, Option<f64>)> = Vec::new();
    for scenario in &order {
        let app = grouped
            .get(&(scenario.clone(), "app".into()))
            .cloned()
            .unwrap_or_default();
        let ceiling = grouped
            .get(&(scenario.clone(), "ceiling".into()))
            .cloned()
            .unwrap_or_default();
        let bound = extras
            .iter()
            .find(|e| e["bound_for"].as_str() == Some(scenario))
            .and_then(|e| e["rps"].as_f64());
        // Rounds alternate app and ceiling, so the i-th of each share a moment.
        let ratios: Vec<f64> = match bound {
            Some(bound) => app.iter().map(|a| a.rps / bound).collect(),
            None => app
                .iter()
                .zip(&ceiling)
                .map(|(a, c)| a.rps / c.rps)
                .collect(),
        };
        let ratio = median(ratios.clone());
        let redis = grouped
            .get(&(scenario.clone(), "redis".into()))
            .cloned()
            .unwrap_or_default();
        // The Redis backend against the memory backend, round by round.
        let redis_ratios: Vec<f64> = redis.iter().zip(&app).map(|(r, a)| r.rps / a.rps).collect();
        let each = |ratios: &[f64]| {
            ratios
                .iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (target, list) in [("app", &app), ("ceiling", &ceiling), ("redis", &redis)] {
            if list.is_empty() {
                continue;
            }
            let rps = median(list.iter().map(|r| r.rps).collect());
            let p50 = median(list.iter().map(|r| r.p50_ms).collect());
            let p99 = median(list.iter().map(|r| r.p99_ms).collect());
            let errors: u64 = list.iter().map(|r| r.errors).sum();
            let non_2xx: u64 = list.iter().map(|r| r.non_2xx).sum();
            let ratio_cell = match target {
                "app" if bound.is_some() => {
                    format!("**{ratio:.2}** of in-flight ÷ latency ({})", each(&ratios))
                }
                "app" => format!("**{ratio:.2}** of ceiling ({})", each(&ratios)),
                "redis" => format!(
                    "**{:.2}** of the memory backend ({})",
                    median(redis_ratios.clone()),
                    each(&redis_ratios)
                ),
                _ => String::new(),
            };
            let label = match target {
                "app" => "app (memory)",
                "redis" => "app (redis)",
                other => other,
            };
            writeln!(
                table,
                "| {scenario} | {label} | {rps:.0} | {p50:.2} | {p99:.2} | {errors} | {non_2xx} | {ratio_cell} |"
            )?;
        }
        if let Some(bound) = bound {
            writeln!(table, "| {scenario} | bound | {bound:.0} | | | | | |")?;
        }
        bars.push((scenario.clone(), ratio, target(scenario)));
    }
    for extra in &extras {
        if extra.get("bound_for").is_none() {
            writeln!(table, "\n`{extra}`")?;
        }
    }
    std::fs::write(format!("{out}/summary.md"), &table)?;
    print!("{table}");

    // Throughput per scenario as a share of its ceiling (or bound), with the
    // target where there is one.
    let svg_path = format!("{out}/throughput.svg");
    let root = SVGBackend::new(&svg_path, (960, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "telnyx-2fa: throughput as a share of the ceiling (bars) and the targets (black)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(10)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..bars.len() as f64, 0.0..1.15)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("app ÷ ceiling (median of rounds)")
        .draw()?;
    for (i, (name, ratio, target)) in bars.iter().enumerate() {
        let x = i as f64;
        chart.draw_series([Rectangle::new(
            [(x + 0.15, 0.0), (x + 0.85, *ratio)],
            RGBColor(0, 112, 79).filled(),
        )])?;
        chart.draw_series([Text::new(
            format!("{ratio:.2}"),
            (x + 0.4, ratio + 0.03),
            ("sans-serif", 15),
        )])?;
        if let Some(target) = target {
            chart.draw_series(LineSeries::new(
                [(x + 0.1, *target), (x + 0.9, *target)],
                BLACK.stroke_width(3),
            ))?;
        }
        chart.draw_series([Text::new(
            name.clone(),
            (x + 0.05, 1.12),
            ("sans-serif", 13),
        )])?;
    }
    root.present()?;
    println!("\nplot: {svg_path}");
    Ok(())
}
