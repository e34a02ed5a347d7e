//! Writes `docs/amplification.md` and its charts: how much of the crisis is the fire
//! sale? `subprime_compute` at `scale=4` over seeds 1 to 20 at each starting leverage of
//! the operators (loan-to-cost of the debt that financed their fleets), once with every
//! lender marking collateral at the last trade (market marks: fire-sale prices feed
//! straight into LTV covenants, calls, more sales) and once at the model value (the
//! roadmap forecast: fire sales cannot move a mark, so the loop from sales to marks to
//! calls is switched off). Everything else (seeds, rents, BTC, buyers) is the same in
//! the two, so the difference at a leverage is the loop's part.
//!
//! Run from the repository root: `cargo run --release --example amplification`.

use firesale_report::{Quantiles, SweepChart, SweepLine, plot_sweep};
use firesale_sim::{Simulation, Summary};
use firesale_world::WorldFile;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

const WORLD: &str = "subprime_compute";
const SCALE: f64 = 4.0;
const SEEDS: u64 = 20;
const LEVERAGES: [f64; 6] = [0.3, 0.45, 0.6, 0.7, 0.8, 0.85];
/// (label, the mark rule every lender class uses; None: the world's own marks).
const MARKS: [(&str, Option<&str>); 3] = [
    ("market marks (last trade)", Some("last_trade")),
    ("shipped marks (book for banks)", None),
    ("model marks (loop off)", Some("model")),
];

fn summary(world: &WorldFile) -> Result<Summary, String> {
    let mut sim = Simulation::new(world).map_err(|e| e.to_string())?;
    for tick in 0..world.ticks {
        sim.step(tick)
            .map_err(|e| format!("seed {}: {e}", world.seed))?;
    }
    Ok(sim.summary())
}

/// The runs at one leverage with one mark rule, seeds 1 to `SEEDS`.
fn runs(leverage: f64, mark: Option<&str>) -> Result<Vec<Summary>, String> {
    let mut sets = vec![
        format!("scale={SCALE}"),
        format!("operators[*].leverage=Fixed({leverage})"),
    ];
    if let Some(mark) = mark {
        sets.push(format!("lenders[*].rules.mark=Rule(\"{mark}\", {{}})"));
    }
    let worlds: Vec<WorldFile> = (1..=SEEDS)
        .map(|seed| {
            firesale_world::load(WORLD, Some(seed), None, &sets)
                .map(|(_, w)| w)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    worlds.par_iter().map(summary).collect()
}

/// p5, p25, p50, p75, p95 of the values present (None where no run has one).
fn quantiles(values: impl Iterator<Item = Option<f64>>) -> Quantiles {
    let mut v: Vec<f64> = values.flatten().collect();
    if v.is_empty() {
        return [None; 5];
    }
    v.sort_by(f64::total_cmp);
    let at = |p: f64| Some(v[((v.len() - 1) as f64 * p).round() as usize]);
    [at(0.05), at(0.25), at(0.5), at(0.75), at(0.95)]
}

fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let v: Vec<f64> = values.flatten().collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The three figures of the page, each read from a run's summary.
type Figure = (
    &'static str,
    &'static str,
    bool,
    fn(&Summary) -> Option<f64>,
);
const FIGURES: [Figure; 3] = [
    ("default_rate", "default rate", true, |s| {
        Some(s.default_rate)
    }),
    ("lender_losses", "lender losses, $M", false, |s| {
        Some(s.lender_losses_usd / 1e6)
    }),
    ("distressed_discount", "distressed discount", true, |s| {
        s.distressed_discount
    }),
];

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{:.1}%", x * 100.0))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // results[m][l]: the runs with mark rule m at leverage l.
    let mut results: Vec<Vec<Vec<Summary>>> = Vec::new();
    for (label, mark) in MARKS {
        let mut by_leverage = Vec::new();
        for leverage in LEVERAGES {
            eprintln!("{label}, leverage {leverage}");
            by_leverage.push(runs(leverage, mark)?);
        }
        results.push(by_leverage);
    }
    let mut text = format!(
        "# Fire-sale amplification: how much of the crisis is the fire sale?\n\n\
         Written by `cargo run --release --example amplification`: `{WORLD}` at \
         `scale={SCALE}` over seeds 1 to {SEEDS} at each starting leverage of the operators \
         (`operators[*].leverage`, the loan-to-cost of the debt on their starting fleets; \
         new loans still follow the lenders' own terms), with every lender class marking \
         collateral at the last trade (`lenders[*].rules.mark=Rule(\"last_trade\", {{}})`: \
         market marks), with the world's own marks (book for banks, last trade for the \
         others) and at the model value (`Rule(\"model\", {{}})`: the roadmap forecast, \
         which no sale moves, so the loop from fire sales to marks to calls to fire sales \
         is switched off). The seeds, and so the rent, BTC and demand paths, are the same \
         in all three; the difference between market and model marks at a leverage is the \
         loop's part of the crisis (`loop's part`: one less the model-mark figure over the \
         market-mark figure, where the market-mark figure is at least 1% or $10M).\n\n\
         What stays on in all three: lenders' liquidation reserves read the market (a \
         lender sells repossessed lots against the non-distressed reference price), repo \
         desks haircut on observed liquidity, and operators keep cash back for the calls a \
         fall in last prices would bring before they bid for used lots. The loop switched \
         off is the marks of loans, the channel through which fire-sale prices call \
         performing loans.\n\n\
         Means over the {SEEDS} seeds (the discount's mean is over the runs that had \
         distressed sales); the charts show medians and bands.\n"
    );
    let m = |runs: &[Summary], f: fn(&Summary) -> Option<f64>| mean(runs.iter().map(f));
    // Where the loop starts to matter: the first leverage at which market marks add at
    // least 5 points of defaults to model marks.
    let start = LEVERAGES.iter().enumerate().find(|(l, _)| {
        let (a, b) = (
            m(&results[0][*l], FIGURES[0].3),
            m(&results[2][*l], FIGURES[0].3),
        );
        matches!((a, b), (Some(a), Some(b)) if a - b >= 0.05)
    });
    match start {
        Some((l, leverage)) => writeln!(
            text,
            "\n**Where the loop starts to matter:** from a starting leverage of {leverage}, \
             market marks add {:.1} points of defaults to model marks ({} against {}).\n",
            (m(&results[0][l], FIGURES[0].3).unwrap_or(0.0)
                - m(&results[2][l], FIGURES[0].3).unwrap_or(0.0))
                * 100.0,
            pct(m(&results[0][l], FIGURES[0].3)),
            pct(m(&results[2][l], FIGURES[0].3)),
        )?,
        None => writeln!(
            text,
            "\n**Where the loop starts to matter:** at no leverage tried do market marks add 5 \
             points of defaults to model marks.\n"
        )?,
    }
    type Row = (&'static str, bool, fn(&Summary) -> Option<f64>);
    let rows: [Row; 5] = [
        ("Default rate", true, FIGURES[0].3),
        ("Lender losses, $M", false, FIGURES[1].3),
        ("Distressed discount", true, FIGURES[2].3),
        ("Recovery rate", true, |s| s.recovery_rate),
        ("Lender failures", false, |s| {
            Some(f64::from(s.lender_failures))
        }),
    ];
    for (title, percent, figure) in rows {
        let show = |x: Option<f64>| match x {
            None => "-".to_string(),
            Some(x) if percent => format!("{:.1}%", x * 100.0),
            Some(x) => format!("{x:.1}"),
        };
        writeln!(
            text,
            "\n## {title}\n\n| leverage | market marks | shipped marks | model marks | loop's part |\n|---|---|---|---|---|"
        )?;
        for (l, leverage) in LEVERAGES.iter().enumerate() {
            let [market, shipped, model] = [0, 1, 2].map(|k| m(&results[k][l], figure));
            let floor = if percent { 0.01 } else { 10.0 };
            // A loop's part of a recovery rate or of failures says nothing: left out.
            let counts_crisis =
                !title.starts_with("Recovery") && !title.starts_with("Lender failures");
            let part = match (market, model) {
                (Some(a), Some(b)) if counts_crisis && a >= floor => {
                    format!("{:.0}%", (1.0 - b / a) * 100.0)
                }
                _ => "-".into(),
            };
            writeln!(
                text,
                "| {leverage} | {} | {} | {} | {part} |",
                show(market),
                show(shipped),
                show(model)
            )?;
        }
    }
    let docs = Path::new("docs");
    for (name, desc, percent, figure) in FIGURES {
        let chart = SweepChart {
            name: format!("amplification_{name}"),
            page_title: format!("{WORLD} at scale {SCALE}: {desc} against leverage"),
            caption: format!(
                "median across {SEEDS} seeds, 25-75% and 5-95% bands; market, shipped and model marks"
            ),
            x_desc: "operators' starting leverage (loan-to-cost)".into(),
            y_desc: desc.into(),
            percent,
            x: LEVERAGES.to_vec(),
            x_labels: LEVERAGES.iter().map(|l| l.to_string()).collect(),
            lines: MARKS
                .iter()
                .enumerate()
                .map(|(m, (label, _))| SweepLine {
                    label: (*label).into(),
                    quantiles: results[m]
                        .iter()
                        .map(|runs| quantiles(runs.iter().map(figure)))
                        .collect(),
                })
                .collect(),
        };
        plot_sweep(docs, &chart)?;
        writeln!(text, "\n![{desc}](amplification_{name}.png)")?;
    }
    std::fs::write(docs.join("amplification.md.tmp"), &text)?;
    std::fs::rename(
        docs.join("amplification.md.tmp"),
        docs.join("amplification.md"),
    )?;
    eprintln!("wrote docs/amplification.md and its charts");
    Ok(())
}
