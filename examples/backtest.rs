//! Writes the ensemble part of `docs/backtest.md`: `miners_2022` over seeds 1 to 50 (the
//! replayed BTC price and hashrate are the same in every seed; everything the agents
//! draw is not). Outputs:
//!
//! - `docs/backtest_fan_25_38.png` and `.svg`: a fan chart of the simulated rig price
//!   index of the 25-38 J/TH tier (the S19 class), week by week;
//! - `docs/backtest_ensemble.md`: the index's peak, trough and drawdown across seeds,
//!   and the spread of default and hosting-loss dates per miner.
//!
//! Run from the repository root: `cargo run --release --example backtest`.

use firesale_core::EventKind;
use firesale_ensemble::Band;
use firesale_report::{FanChart, plot_fan};
use firesale_sim::{RIG_TIERS, RigWeek, Simulation, Summary};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

const SEEDS: u64 = 50;
/// The tier of the fan chart: 25-38 J/TH, the S19 class.
const TIER: usize = 1;

/// What one seed leaves: its index weeks, who defaulted or lost hosting and when.
struct Run {
    weeks: Vec<RigWeek>,
    defaults: Vec<(String, String)>,
    hosting_lost: Vec<(String, String)>,
    summary: Summary,
}

fn simulate(world: &firesale_world::WorldFile) -> Result<Run, String> {
    let mut sim = Simulation::new(world).map_err(|e| e.to_string())?;
    let mut defaults = Vec::new();
    let mut hosting_lost = Vec::new();
    for tick in 0..world.ticks {
        for event in sim.step(tick).map_err(|e| e.to_string())? {
            let who = (event.agents[0].clone(), event.date.clone());
            match event.kind {
                EventKind::Default => defaults.push(who),
                EventKind::HostingLost => hosting_lost.push(who),
                _ => {}
            }
        }
    }
    Ok(Run {
        weeks: sim.rig_index().weeks.clone(),
        defaults,
        hosting_lost,
        summary: sim.summary(),
    })
}

/// Peak of the tier's index, then its trough after the peak: (peak, trough, trough date).
fn peak_to_trough(weeks: &[RigWeek]) -> Option<(f64, f64, String)> {
    let values: Vec<(f64, &str)> = weeks
        .iter()
        .filter_map(|w| w.tiers[TIER].usd_per_th.map(|v| (v, w.date.as_str())))
        .collect();
    let peak_at = (0..values.len()).max_by(|&a, &b| values[a].0.total_cmp(&values[b].0))?;
    let (trough, date) = values[peak_at..]
        .iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .copied()?;
    Some((values[peak_at].0, trough, date.to_string()))
}

fn band_row(label: &str, values: &[f64], fmt: impl Fn(f64) -> String) -> String {
    match Band::of(values) {
        Some(b) => format!(
            "| {label} | {} of {} | {} | {} | {} | {} | {} |",
            b.n,
            values.len(),
            fmt(b.q[0]),
            fmt(b.q[1]),
            fmt(b.q[2]),
            fmt(b.q[3]),
            fmt(b.q[4])
        ),
        None => format!("| {label} | 0 of {} | - | - | - | - | - |", values.len()),
    }
}

/// Days since 1970-01-01 of an ISO date, and back (for quantiles of dates).
fn day(date: &str) -> f64 {
    let d: chrono::NaiveDate = date.parse().expect("ISO date");
    (d - chrono::NaiveDate::default()).num_days() as f64
}

fn date(day: f64) -> String {
    (chrono::NaiveDate::default() + chrono::Duration::days(day.round() as i64)).to_string()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (_, base) = firesale_world::load("miners_2022", None, None, &[])?;
    eprintln!("running miners_2022 over seeds 1..={SEEDS}");
    let runs = (1..=SEEDS)
        .into_par_iter()
        .map(|seed| {
            let mut world = base.clone();
            world.seed = seed;
            simulate(&world)
        })
        .collect::<Result<Vec<Run>, String>>()?;

    // The fan chart of the S19-class index.
    let dates: Vec<String> = runs[0].weeks.iter().map(|w| w.date.clone()).collect();
    let quantiles = (0..dates.len())
        .map(|i| {
            let values: Vec<f64> = runs
                .iter()
                .map(|r| r.weeks[i].tiers[TIER].usd_per_th.unwrap_or(f64::NAN))
                .collect();
            // A week's band needs half the seeds to have traded the tier by then: a
            // fan drawn from two or three seeds would read as the ensemble's.
            let band = Band::of(&values).filter(|b| b.n as u64 * 2 >= SEEDS);
            Band::quantiles(band.as_ref())
        })
        .collect();
    let tier = RIG_TIERS[TIER].0.replace('_', "-");
    let chart = FanChart {
        name: "backtest_fan_25_38".into(),
        page_title: format!("miners_2022, seeds 1-{SEEDS}: simulated rig price index"),
        caption: format!(
            "{tier} J/TH tier (S19 class), median with 25-75% and 5-95% bands (weeks where half the seeds have a value)"
        ),
        y_desc: "USD per TH/s".into(),
        percent: false,
        dates,
        quantiles,
    };
    plot_fan(Path::new("docs"), &chart)?;

    let mut doc = format!(
        "<!-- Generated by `cargo run --release --example backtest`; do not edit by hand. -->\n\n\
         `miners_2022` over seeds 1 to {SEEDS}. Quantiles are across seeds (p5, p25, median, \
         p75, p95), over the seeds that have the figure.\n\n"
    );
    doc.push_str(
        "| figure | seeds | p5 | p25 | median | p75 | p95 |\n|---|---|---|---|---|---|---|\n",
    );
    let moves: Vec<Option<(f64, f64, String)>> =
        runs.iter().map(|r| peak_to_trough(&r.weeks)).collect();
    let pick = |f: &dyn Fn(&(f64, f64, String)) -> f64| -> Vec<f64> {
        moves
            .iter()
            .map(|m| m.as_ref().map_or(f64::NAN, f))
            .collect()
    };
    let usd = |v: f64| format!("${v:.1}/TH");
    writeln!(
        doc,
        "{}",
        band_row(&format!("{tier} J/TH index: peak"), &pick(&|m| m.0), usd)
    )?;
    writeln!(
        doc,
        "{}",
        band_row(
            &format!("{tier} J/TH index: trough after the peak"),
            &pick(&|m| m.1),
            usd
        )
    )?;
    writeln!(
        doc,
        "{}",
        band_row(
            &format!("{tier} J/TH index: peak-to-trough change"),
            &pick(&|m| m.1 / m.0 - 1.0),
            |v| format!("{:.0}%", v * 100.0)
        )
    )?;
    writeln!(
        doc,
        "{}",
        band_row("trough date", &pick(&|m| day(&m.2)), date)
    )?;
    let defaults: Vec<f64> = runs.iter().map(|r| r.defaults.len() as f64).collect();
    writeln!(
        doc,
        "{}",
        band_row("miners defaulting", &defaults, |v| format!("{v:.1}"))
    )?;
    let first: Vec<f64> = runs
        .iter()
        .map(|r| r.defaults.first().map_or(f64::NAN, |d| day(&d.1)))
        .collect();
    writeln!(doc, "{}", band_row("first default", &first, date))?;
    let discount: Vec<f64> = runs
        .iter()
        .map(|r| r.summary.distressed_discount.unwrap_or(f64::NAN))
        .collect();
    writeln!(
        doc,
        "{}",
        band_row(
            "fire-sale discount of distressed rig sales",
            &discount,
            |v| format!("{:.1}%", v * 100.0)
        )
    )?;

    // Who defaulted, in how many seeds, and when.
    let mut by_agent: BTreeMap<(String, &str), Vec<f64>> = BTreeMap::new();
    for run in &runs {
        for (agent, when) in &run.defaults {
            by_agent
                .entry((agent.clone(), "default"))
                .or_default()
                .push(day(when));
        }
        for (agent, when) in &run.hosting_lost {
            by_agent
                .entry((agent.clone(), "hosting lost"))
                .or_default()
                .push(day(when));
        }
    }
    doc.push_str(&format!(
        "\nDefaults and lost hosting per agent: in how many of the {SEEDS} seeds, and the \
         earliest, median and latest date.\n\n| agent | event | seeds | earliest | median | latest |\n|---|---|---|---|---|---|\n"
    ));
    let mut rows: Vec<_> = by_agent.into_iter().collect();
    rows.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    for ((agent, what), days) in rows {
        let band = Band::of(&days).expect("at least one date");
        let lo = days.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = days.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        writeln!(
            doc,
            "| {agent} | {what} | {} | {} | {} | {} |",
            days.len(),
            date(lo),
            date(band.q[2]),
            date(hi)
        )?;
    }
    std::fs::write("docs/backtest_ensemble.md", doc)?;
    eprintln!("wrote docs/backtest_ensemble.md and docs/backtest_fan_25_38.png");
    Ok(())
}
