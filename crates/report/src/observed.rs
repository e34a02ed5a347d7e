//! Simulated against observed: `--observed FILE.csv` on `firesale plot` and `compare`.
//!
//! The observed file is a CSV with columns `date,series,value`, one observation a row;
//! a series is any column a run writes: a `timeseries.csv` column by name
//! (`btc_price`, `lender_equity`) or a `generations.csv` column of one generation as
//! `column/generation` (`rent/H100`, `secondary_price/H100`), or in a world with rigs a
//! `rigs.csv` column by name (`usd_per_th_25_38`, `hashprice`). For each observed series
//! the report overlays the observed points on the simulated path of every run and prints
//! fit figures: the log RMSE of the simulated value (interpolated to each observed date)
//! against the observed one, and the peak-to-trough change and trough date of each over
//! the observed window. Nothing observed is ever fed back into a run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::ReportError;
use crate::data::{RunData, Series, Table};
use crate::named::{NamedChart, write_named};
use crate::plot::{
    DrawResult, FULL, INK, Key, PanelSpec, draw_labelled_line, draw_legend, legend_entry,
    linear_range, page, palette, span, time_chart,
};

/// Observed points of one series: (day number, value).
type Points = Vec<(f64, f64)>;

/// Reads the observed file: `date,series,value`, values finite.
fn read_observed(path: &Path) -> Result<BTreeMap<String, Points>, ReportError> {
    let table = Table::read(path)?;
    let days = table.days("date")?;
    let names = table.texts("series")?;
    let values = table.numbers("value")?;
    let mut series: BTreeMap<String, Points> = BTreeMap::new();
    for (i, ((day, name), value)) in days.iter().zip(&names).zip(&values).enumerate() {
        let value = value.ok_or_else(|| table.bad_value(i, "value", "", "a finite number"))?;
        series.entry(name.clone()).or_default().push((*day, value));
    }
    for points in series.values_mut() {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok(series)
}

/// The simulated path of `name` in a run: (day numbers, values).
fn simulated(run: &Path, name: &str) -> Result<(Vec<f64>, Series), ReportError> {
    match name.split_once('/') {
        Some((column, generation)) => {
            let table = Table::read(&run.join("generations.csv"))?;
            let days = table.days("date")?;
            let gens = table.texts("generation")?;
            let values = table.numbers(column)?;
            let rows: Vec<usize> = (0..gens.len()).filter(|&i| gens[i] == generation).collect();
            if rows.is_empty() {
                return Err(ReportError::MissingColumn {
                    path: run.join("generations.csv"),
                    column: format!("{column} of generation `{generation}` (no such generation)"),
                });
            }
            Ok((
                rows.iter().map(|&i| days[i]).collect(),
                rows.iter().map(|&i| values[i]).collect(),
            ))
        }
        None => {
            let table = Table::read(&run.join("timeseries.csv"))?;
            // The rig index lives in rigs.csv; a name in both files is the timeseries one.
            let rigs = run.join("rigs.csv");
            if table.numbers(name).is_err() && rigs.exists() {
                let rigs = Table::read(&rigs)?;
                if let Ok(values) = rigs.numbers(name) {
                    return Ok((rigs.days("date")?, values));
                }
            }
            Ok((table.days("date")?, table.numbers(name)?))
        }
    }
}

/// Longest gap in a simulated path, in days, that the fit interpolates across (a
/// generation that did not trade for longer has no simulated price in between).
const MAX_GAP_DAYS: f64 = 35.0;

/// The simulated value on `day`, interpolated linearly between the ticks around it that
/// have a value (None outside the run, or inside a gap longer than [`MAX_GAP_DAYS`]).
fn value_at(xs: &[f64], ys: &Series, day: f64) -> Option<f64> {
    let i = xs.partition_point(|&x| x <= day);
    let before = (0..i).rev().find_map(|j| ys[j].map(|y| (xs[j], y)))?;
    if before.0 == day {
        return Some(before.1);
    }
    let after = (i..xs.len()).find_map(|j| ys[j].map(|y| (xs[j], y)))?;
    if after.0 - before.0 > MAX_GAP_DAYS {
        return None;
    }
    Some(before.1 + (after.1 - before.1) * (day - before.0) / (after.0 - before.0))
}

/// The largest fall from a running peak to a later trough: (change, trough day).
fn peak_to_trough(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let mut peak = f64::NEG_INFINITY;
    let mut worst: Option<(f64, f64)> = None;
    for &(day, value) in points {
        peak = peak.max(value);
        if peak > 0.0 {
            let change = value / peak - 1.0;
            if worst.is_none_or(|(w, _)| change < w) {
                worst = Some((change, day));
            }
        }
    }
    worst
}

/// Fit figures of one run against one observed series.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The series.
    pub series: String,
    /// The run's label.
    pub run: String,
    /// Observed points inside the run.
    pub matched: usize,
    /// Root mean square of ln(simulated) - ln(observed) over the matched points with
    /// both values above zero.
    pub log_rmse: Option<f64>,
    /// Simulated peak-to-trough change over the observed window, and its trough date.
    pub simulated_drop: Option<(f64, String)>,
    /// Observed peak-to-trough change and trough date.
    pub observed_drop: Option<(f64, String)>,
}

fn date_of(day: f64) -> String {
    NaiveDate::from_num_days_from_ce_opt(day as i32).map_or_else(String::new, |d| d.to_string())
}

fn fit(run: &str, series: &str, xs: &[f64], ys: &Series, observed: &Points) -> Fit {
    let pairs: Vec<(f64, f64, f64)> = observed
        .iter()
        .filter_map(|&(day, obs)| value_at(xs, ys, day).map(|sim| (day, sim, obs)))
        .collect();
    let logs: Vec<f64> = pairs
        .iter()
        .filter(|(_, sim, obs)| *sim > 0.0 && *obs > 0.0)
        .map(|(_, sim, obs)| (sim.ln() - obs.ln()).powi(2))
        .collect();
    let log_rmse =
        (!logs.is_empty()).then(|| (logs.iter().sum::<f64>() / logs.len() as f64).sqrt());
    // The simulated path at tick resolution over the observed window.
    let (first, last) = (observed[0].0, observed[observed.len() - 1].0);
    let window: Vec<(f64, f64)> = xs
        .iter()
        .zip(ys)
        .filter(|(x, _)| **x >= first && **x <= last)
        .filter_map(|(x, y)| y.map(|y| (*x, y)))
        .collect();
    let drop = |points: &[(f64, f64)]| peak_to_trough(points).map(|(c, d)| (c, date_of(d)));
    // Both drops over the same dates: the observed points inside the run.
    let (run_start, run_end) = (
        xs.first().copied().unwrap_or(f64::MAX),
        xs.last().copied().unwrap_or(f64::MIN),
    );
    let inside: Points = observed
        .iter()
        .copied()
        .filter(|(day, _)| *day >= run_start && *day <= run_end)
        .collect();
    Fit {
        series: series.to_string(),
        run: run.to_string(),
        matched: pairs.len(),
        log_rmse,
        simulated_drop: drop(&window),
        observed_drop: drop(&inside),
    }
}

/// One chart: every run's simulated path of a series and the observed points.
struct ObservedChart<'a> {
    series: &'a str,
    runs: Vec<(String, Vec<f64>, Series)>,
    observed: &'a Points,
}

impl NamedChart for ObservedChart<'_> {
    fn draw_page<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let area = page(root, &format!("{}: simulated vs observed", self.series))?;
        let observed_series: Series = self.observed.iter().map(|p| Some(p.1)).collect();
        let observed_x: Vec<f64> = self.observed.iter().map(|p| p.0).collect();
        let mut all: Vec<&Series> = self.runs.iter().map(|r| &r.2).collect();
        all.push(&observed_series);
        let xs: Vec<&Vec<f64>> = self
            .runs
            .iter()
            .map(|r| &r.1)
            .chain([&observed_x])
            .collect();
        let spec = PanelSpec {
            caption: "lines: simulated runs; dots: observed",
            y_desc: self.series,
            scale: FULL,
        };
        let (mut chart, _) = time_chart(&area, span(xs), linear_range(all, false), &spec)?;
        for (i, (label, x, y)) in self.runs.iter().enumerate() {
            draw_labelled_line(&mut chart, x, y, label, palette(i), FULL.line)?;
        }
        chart.draw_series(
            self.observed
                .iter()
                .map(|&(x, y)| Circle::new((x, y), 5, INK.filled())),
        )?;
        legend_entry(&mut chart, "observed", Key::Dot, INK.to_rgba(), 5)?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, FULL)
    }
}

/// Reads `observed`, draws `observed_<series>` charts into `out_dir` for the runs in
/// `run_dirs` (labelled `labels`), writes `fit.csv` there, and returns the fit table as
/// Markdown for printing. A series no run writes is an error naming it.
pub fn fit_observed(
    run_dirs: &[PathBuf],
    labels: &[String],
    observed: &Path,
    out_dir: &Path,
) -> Result<(Vec<Fit>, String), ReportError> {
    let observed_series = read_observed(observed)?;
    let mut fits = Vec::new();
    for (name, points) in &observed_series {
        let mut runs = Vec::new();
        for (dir, label) in run_dirs.iter().zip(labels) {
            let (xs, ys) = simulated(dir, name)?;
            fits.push(fit(label, name, &xs, &ys, points));
            runs.push((label.clone(), xs, ys));
        }
        let file = format!("observed_{}", name.replace(['/', ' '], "_"));
        write_named(
            out_dir,
            &file,
            &ObservedChart {
                series: name,
                runs,
                observed: points,
            },
        )?;
    }
    let pct = |d: &Option<(f64, String)>| {
        d.as_ref().map_or("–".into(), |(c, date)| {
            format!("{:+.0}% (trough {date})", c * 100.0)
        })
    };
    let mut table = String::from(
        "| series | run | points | log RMSE | simulated peak to trough | observed peak to trough |\n|---|---|---|---|---|---|\n",
    );
    let fit_path = out_dir.join("fit.csv");
    let csv_err = |source| ReportError::Csv {
        path: fit_path.clone(),
        source,
    };
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record([
        "series",
        "run",
        "points",
        "log_rmse",
        "simulated_peak_to_trough",
        "simulated_trough_date",
        "observed_peak_to_trough",
        "observed_trough_date",
    ])
    .map_err(csv_err)?;
    for f in &fits {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            f.series,
            f.run,
            f.matched,
            f.log_rmse.map_or("–".into(), |r| format!("{r:.3}")),
            pct(&f.simulated_drop),
            pct(&f.observed_drop)
        ));
        let cells = |d: &Option<(f64, String)>| match d {
            Some((change, date)) => [change.to_string(), date.clone()],
            None => [String::new(), String::new()],
        };
        let [sim_change, sim_date] = cells(&f.simulated_drop);
        let [obs_change, obs_date] = cells(&f.observed_drop);
        csv.write_record([
            f.series.clone(),
            f.run.clone(),
            f.matched.to_string(),
            f.log_rmse.map_or(String::new(), |r| r.to_string()),
            sim_change,
            sim_date,
            obs_change,
            obs_date,
        ])
        .map_err(csv_err)?;
    }
    let bytes = csv
        .into_inner()
        .map_err(|e| ReportError::io(&fit_path, e.into_error()))?;
    crate::write_atomic(&fit_path, &bytes)?;
    Ok((fits, table))
}

/// The label of a run for the fit table: its world and seed, else its directory.
pub fn run_label(dir: &Path) -> String {
    RunData::load(dir).map_or_else(|_| dir.display().to_string(), |r| r.label())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_and_drops() {
        let xs = [0.0, 10.0, 20.0, 30.0];
        let ys: Series = vec![Some(100.0), None, Some(50.0), Some(80.0)];
        assert_eq!(value_at(&xs, &ys, 0.0), Some(100.0));
        assert_eq!(
            value_at(&xs, &ys, 10.0),
            Some(75.0),
            "across the missing tick"
        );
        assert_eq!(value_at(&xs, &ys, 25.0), Some(65.0));
        assert_eq!(value_at(&xs, &ys, 31.0), None, "outside the run");
        let (change, day) =
            peak_to_trough(&[(0.0, 100.0), (5.0, 120.0), (9.0, 30.0), (12.0, 90.0)]).unwrap();
        assert!((change + 0.75).abs() < 1e-12 && day == 9.0);
        let f = fit("run", "s", &xs, &ys, &vec![(0.0, 100.0), (20.0, 100.0)]);
        assert_eq!(f.matched, 2);
        // ln(100/100) = 0 and ln(50/100): RMSE = |ln 0.5| / sqrt(2).
        assert!((f.log_rmse.unwrap() - 0.5f64.ln().abs() / 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(f.simulated_drop.as_ref().unwrap().0, -0.5);
        assert_eq!(f.observed_drop.as_ref().unwrap().0, 0.0);
    }
}
