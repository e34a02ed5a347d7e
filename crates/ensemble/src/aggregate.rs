//! The aggregates of a plan, computed from its run directories on disk in plan order:
//! the same code serves a single machine after its runs and `merge` after a cluster's
//! shards, which is why both write the same bytes.

use std::path::{Path, PathBuf};

use crate::charts::{fan_charts, sweep_charts};
use crate::key_series::{MEMORY_BUDGET, TickBands, tick_bands};
use crate::plan::{Kind, Plan, is_complete};
use crate::quantiles::{Band, LEVEL_COLUMNS, num};
use crate::summaries::{HEADLINES, Headline, write_run_table};
use crate::{AtomicCsv, EnsembleError, remove_aggregates};

/// What the aggregation wrote.
#[derive(Debug, Clone)]
pub struct Aggregates {
    /// The plan aggregated.
    pub plan: Plan,
    /// Files written (tables first, then charts).
    pub files: Vec<PathBuf>,
    /// Each headline figure across all runs (`None` when no run has it).
    pub headline: Vec<(Headline, Option<Band>)>,
}

/// Writes the aggregates of the plan in `out` from its run directories: `summaries.csv`,
/// `ensemble.csv` and fan charts for an ensemble; `sweep.csv` and sweep charts for a
/// sweep. Every run of the plan must be complete.
pub fn write_aggregates(out: &Path) -> Result<Aggregates, EnsembleError> {
    let plan = Plan::read(out)?.ok_or_else(|| EnsembleError::NoPlan {
        dir: out.to_path_buf(),
    })?;
    let missing: Vec<&str> = plan
        .runs
        .iter()
        .filter(|r| !is_complete(&out.join(&r.dir)))
        .map(|r| r.dir.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(EnsembleError::Incomplete {
            missing: missing.len(),
            total: plan.runs.len(),
            examples: missing[..missing.len().min(3)].join(", "),
        });
    }
    remove_aggregates(out)?;
    let (table, headline_values) = write_run_table(out, &plan)?;
    let mut files = vec![table];
    match plan.kind {
        Kind::Ensemble => {
            let bands = tick_bands(out, &plan, MEMORY_BUDGET)?;
            files.push(write_ensemble_csv(out, &bands)?);
            files.extend(fan_charts(out, &plan, &bands)?);
        }
        Kind::Sweep => files.extend(sweep_charts(out, &plan, &headline_values)?),
    }
    let headline = HEADLINES
        .iter()
        .zip(&headline_values)
        .map(|(h, values)| (*h, Band::of(values)))
        .collect();
    Ok(Aggregates {
        plan,
        files,
        headline,
    })
}

/// `ensemble.csv`: one row per key series and tick, with the runs that have a value, their
/// mean and quantiles (empty when no run has one).
fn write_ensemble_csv(out: &Path, bands: &TickBands) -> Result<PathBuf, EnsembleError> {
    let path = out.join("ensemble.csv");
    let mut csv = AtomicCsv::create(&path)?;
    let mut header: Vec<String> = ["series", "generation", "tick", "date", "runs", "mean"]
        .map(String::from)
        .to_vec();
    header.extend(LEVEL_COLUMNS.map(String::from));
    csv.row(&header)?;
    for s in &bands.series {
        for (tick, band) in s.bands.iter().enumerate() {
            let mut row = vec![
                s.series.name.to_string(),
                s.series.generation.clone().unwrap_or_default(),
                tick.to_string(),
                bands.dates[tick].clone(),
            ];
            match band {
                Some(b) => {
                    row.push(b.n.to_string());
                    row.push(num(b.mean));
                    row.extend(b.q.map(num));
                }
                None => {
                    row.push("0".into());
                    row.extend(std::iter::repeat_n(String::new(), 6));
                }
            }
            csv.row(&row)?;
        }
    }
    csv.finish()?;
    Ok(path)
}
