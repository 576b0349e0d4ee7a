//! Turns `bench/run`'s raw measurements (JSON lines) into the tables of
//! BENCHMARKS.md (written in place between its markers, and to summary.md)
//! and a plot of throughput against the ceilings.
//!
//! `cargo run --release --example bench_report -- bench/results/raw.jsonl bench/results BENCHMARKS.md`

use plotters::prelude::*;

mod report;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let raw = args
        .next()
        .unwrap_or_else(|| "bench/results/raw.jsonl".into());
    let out = args.next().unwrap_or_else(|| "bench/results".into());
    let document = args.next().unwrap_or_else(|| "BENCHMARKS.md".into());
    let report = report::report(&std::fs::read_to_string(&raw)?)?;
    std::fs::write(format!("{out}/summary.md"), &report.markdown)?;
    print!("{}", report.markdown);
    match std::fs::read_to_string(&document) {
        Ok(text) => match report::replace_generated(&text, &report.markdown) {
            Some(updated) => {
                if report::generated(&text) != Some(report.markdown.trim_matches('\n')) {
                    println!("{document}: tables updated");
                }
                std::fs::write(&document, updated)?
            }
            None => eprintln!("{document} has no generated part: left alone"),
        },
        Err(e) => eprintln!("{document}: {e}: left alone"),
    }
    plot(&report.bars, &format!("{out}/throughput.svg"))
}

/// Throughput per scenario as a share of its ceiling (or bound), with the
/// target where there is one.
fn plot(bars: &[report::Bar], path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (960, 420)).into_drawing_area();
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
    for (i, bar) in bars.iter().enumerate() {
        let x = i as f64;
        chart.draw_series([Rectangle::new(
            [(x + 0.15, 0.0), (x + 0.85, bar.ratio)],
            RGBColor(0, 112, 79).filled(),
        )])?;
        chart.draw_series([Text::new(
            format!("{:.2}", bar.ratio),
            (x + 0.4, bar.ratio + 0.03),
            ("sans-serif", 15),
        )])?;
        if let Some(target) = bar.target {
            chart.draw_series(LineSeries::new(
                [(x + 0.1, target), (x + 0.9, target)],
                BLACK.stroke_width(3),
            ))?;
        }
        chart.draw_series([Text::new(
            bar.scenario.clone(),
            (x + 0.05, 1.12),
            ("sans-serif", 13),
        )])?;
    }
    root.present()?;
    println!("\nplot: {path}");
    Ok(())
}
