#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod capital;
mod collateral;
mod compare;
mod compute;
mod credit;
mod dashboard;
mod data;
mod defaults;
mod error;
mod fan;
mod heatmap;
mod named;
mod observed;
mod plot;
mod prices;
mod rigs;
mod sweep;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use error::ReportError;
pub use fan::{FanChart, Quantiles, plot_fan};
pub use heatmap::{Heatmap, plot_heatmap};
pub use observed::{Fit, fit_observed, run_label};
pub use sweep::{SweepChart, SweepLine, plot_sweep};

use data::RunData;
use plot::write_chart;

/// Draws every chart of one run from its CSV files into `<run_dir>/plots/` as PNG and SVG; returns the files written.
///
/// Charts: `price_paths`, `compute`, `defaults`, `collateral`, `credit`, `dashboard`, and
/// `rigs` for a world with ASIC rigs.
/// All input is read and checked before the first file is written. `summary.json` is
/// optional here (an interrupted run can still be plotted); titles then fall back to the
/// directory name and the dates in `timeseries.csv`.
pub fn plot_run(run_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let run = RunData::load(run_dir)?;
    let dir = run_dir.join("plots");
    std::fs::create_dir_all(&dir).map_err(|e| ReportError::io(&dir, e))?;
    let mut written = Vec::new();
    written.extend(write_chart(&dir, &prices::PricePaths(&run))?);
    written.extend(write_chart(&dir, &compute::Compute(&run))?);
    written.extend(write_chart(&dir, &defaults::Defaults(&run))?);
    written.extend(write_chart(&dir, &collateral::Collateral(&run))?);
    written.extend(write_chart(&dir, &credit::Credit(&run))?);
    written.extend(write_chart(&dir, &dashboard::Dashboard(&run))?);
    if let Some(rigs) = &run.rigs {
        written.extend(write_chart(&dir, &rigs::Rigs(&run, rigs))?);
    }
    if let Some(capital) = &run.capital {
        written.extend(write_chart(&dir, &capital::Capital(&run, capital))?);
    }
    Ok(written)
}

/// Overlays several runs (each a run directory) into `out_dir`: price paths, default waves, LTV gaps (PNG+SVG), plus `comparison.csv` and `comparison.md` (side-by-side summary table); returns the table as Markdown text for printing.
///
/// Files: `compare_price_paths`, `compare_defaults`, `compare_ltv_gap` (`.png`, `.svg`),
/// `comparison.csv` (one row per run) and `comparison.md` (one column per run). Runs
/// keep the order given, which sets their colours.
pub fn compare_runs(run_dirs: &[PathBuf], out_dir: &Path) -> Result<String, ReportError> {
    if run_dirs.is_empty() {
        return Err(ReportError::NoRuns);
    }
    let runs = run_dirs
        .iter()
        .map(|d| RunData::load(d))
        .collect::<Result<Vec<_>, _>>()?;
    let runs = compare::Runs::new(runs);
    std::fs::create_dir_all(out_dir).map_err(|e| ReportError::io(out_dir, e))?;
    write_chart(out_dir, &compare::ComparePrices(&runs))?;
    write_chart(out_dir, &compare::CompareDefaults(&runs))?;
    write_chart(out_dir, &compare::CompareLtv(&runs))?;
    let csv_path = out_dir.join("comparison.csv");
    write_atomic(&csv_path, &compare::csv_table(&runs, &csv_path)?)?;
    let table = compare::markdown_table(&runs);
    write_atomic(&out_dir.join("comparison.md"), table.as_bytes())?;
    Ok(table)
}

/// Writes `<path>.partial`, then renames it to `path`, so readers never see half a file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    firesale_core::interrupt::write_atomic(path, bytes)
        .map_err(|(path, e)| ReportError::io(&path, e))
}
