//! The key per-tick series of an ensemble (secondary price and discount per generation,
//! cumulative defaults, lender equity, the LTV gap) and their quantiles across runs, for
//! `ensemble.csv` and the fan charts.
//!
//! Runs are re-read from their directories, in plan order, after they have all finished.
//! Exact quantiles need every run's value at a tick, so the values of a series are held
//! for all runs at once (8 bytes × runs × ticks); series are processed in passes that
//! each fit in [`MEMORY_BUDGET`], so memory stays bounded whatever the number of runs.

use std::path::Path;

use crate::EnsembleError;
use crate::plan::Plan;
use crate::quantiles::Band;

/// Bytes of run values held at once while computing per-tick quantiles.
pub const MEMORY_BUDGET: usize = 256 << 20;

/// Where a key series is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    DefaultsCum,
    LenderEquity,
    LtvGap,
    SecondaryPrice(usize),
    Discount(usize),
}

/// One key series: its name in `ensemble.csv` and how to chart it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeySeries {
    /// `series` column of `ensemble.csv`.
    pub name: &'static str,
    /// `generation` column (per-generation series only).
    pub generation: Option<String>,
    /// Whether it is a fraction (charted in percent).
    pub percent: bool,
    /// What it is, for chart titles.
    pub title: String,
    /// Y axis title with unit.
    pub y_desc: &'static str,
    source: Source,
}

impl KeySeries {
    /// The chart file stem, e.g. `fan_secondary_price_H100`.
    pub fn chart_name(&self) -> String {
        match &self.generation {
            Some(g) => format!("fan_{}_{}", self.name, sanitise(g)),
            None => format!("fan_{}", self.name),
        }
    }
}

/// A generation name as a file name part: letters, digits, `-` and `_` only.
fn sanitise(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The key series of a plan, in the order `ensemble.csv` lists them.
pub fn key_series(generations: &[String]) -> Vec<KeySeries> {
    let run_level = |name, source, percent, title: &str, y_desc| KeySeries {
        name,
        generation: None,
        percent,
        title: title.to_string(),
        y_desc,
        source,
    };
    let mut list = vec![
        run_level(
            "defaults_cum",
            Source::DefaultsCum,
            false,
            "Borrowers defaulted so far",
            "defaults (cumulative)",
        ),
        run_level(
            "lender_equity",
            Source::LenderEquity,
            false,
            "Lenders' equity",
            "equity ($)",
        ),
        run_level(
            "ltv_gap",
            Source::LtvGap,
            true,
            "Collateral illusion: LTV at market prices minus LTV at paper marks",
            "LTV gap (percentage points)",
        ),
    ];
    for (g, name) in generations.iter().enumerate() {
        list.push(KeySeries {
            name: "secondary_price",
            generation: Some(name.clone()),
            percent: false,
            title: format!("{name} secondary clearing price (runs with a trade that week)"),
            y_desc: "price ($/GPU)",
            source: Source::SecondaryPrice(g),
        });
    }
    for (g, name) in generations.iter().enumerate() {
        list.push(KeySeries {
            name: "distressed_discount",
            generation: Some(name.clone()),
            percent: true,
            title: format!(
                "{name} fire-sale discount: distressed vs non-distressed price (runs with a distressed trade that week)"
            ),
            y_desc: "discount (%)",
            source: Source::Discount(g),
        });
    }
    list
}

/// Per-tick quantiles of one key series.
#[derive(Debug, Clone)]
pub struct SeriesBands {
    /// The series.
    pub series: KeySeries,
    /// One entry per tick; `None` where no run has a value.
    pub bands: Vec<Option<Band>>,
}

/// Per-tick quantiles of every key series.
#[derive(Debug, Clone)]
pub struct TickBands {
    /// Date of each tick (from the first run).
    pub dates: Vec<String>,
    /// The series, in [`key_series`] order.
    pub series: Vec<SeriesBands>,
}

/// Reads the key series of every run of `plan` under `out` and computes their per-tick
/// quantiles, holding at most `budget` bytes of run values at once.
pub fn tick_bands(out: &Path, plan: &Plan, budget: usize) -> Result<TickBands, EnsembleError> {
    let all = key_series(&plan.generations);
    let (runs, ticks) = (plan.runs.len(), plan.ticks as usize);
    let per_series = (runs * ticks * 8).max(1);
    let per_pass = (budget / per_series).clamp(1, all.len().max(1));
    let mut dates = vec![String::new(); ticks];
    let mut series = Vec::with_capacity(all.len());
    for (pass, chunk) in all.chunks(per_pass).enumerate() {
        let mut store = vec![vec![f64::NAN; runs * ticks]; chunk.len()];
        for (slot, run) in plan.runs.iter().enumerate() {
            let dir = out.join(&run.dir);
            let want_dates = (pass == 0 && slot == 0).then_some(&mut dates);
            let mut sink = Sink {
                chunk,
                store: &mut store,
                slot,
                runs,
                ticks,
            };
            sink.read_timeseries(&dir, want_dates)?;
            sink.read_generations(&dir)?;
        }
        for (s, values) in chunk.iter().zip(&store) {
            let bands = (0..ticks)
                .map(|t| Band::of(&values[t * runs..(t + 1) * runs]))
                .collect();
            series.push(SeriesBands {
                series: s.clone(),
                bands,
            });
        }
    }
    Ok(TickBands { dates, series })
}

/// Where one run's values of one pass go: `store[series][tick · runs + slot]`.
struct Sink<'a> {
    chunk: &'a [KeySeries],
    store: &'a mut [Vec<f64>],
    slot: usize,
    runs: usize,
    ticks: usize,
}

impl Sink<'_> {
    fn put(&mut self, s: usize, tick: usize, value: f64) {
        if tick < self.ticks {
            self.store[s][tick * self.runs + self.slot] = value;
        }
    }

    fn read_timeseries(
        &mut self,
        dir: &Path,
        dates: Option<&mut Vec<String>>,
    ) -> Result<(), EnsembleError> {
        let wanted = self.chunk.iter().any(|s| {
            matches!(
                s.source,
                Source::DefaultsCum | Source::LenderEquity | Source::LtvGap
            )
        });
        if !wanted && dates.is_none() {
            return Ok(());
        }
        let mut table = Table::open(&dir.join("timeseries.csv"))?;
        let cols = table.columns(&[
            "tick",
            "date",
            "defaults_cum",
            "lender_equity",
            "ltv_market",
            "ltv_paper",
        ])?;
        let mut dates = dates;
        while let Some(row) = table.next_row()? {
            let tick = table.tick(&row, cols[0])?;
            if let Some(dates) = dates.as_deref_mut()
                && tick < dates.len()
            {
                dates[tick] = row[cols[1]].to_string();
            }
            for s in 0..self.chunk.len() {
                let value = match self.chunk[s].source {
                    Source::DefaultsCum => table.value(&row, cols[2])?,
                    Source::LenderEquity => table.value(&row, cols[3])?,
                    Source::LtvGap => table.value(&row, cols[4])? - table.value(&row, cols[5])?,
                    _ => continue,
                };
                self.put(s, tick, value);
            }
        }
        Ok(())
    }

    fn read_generations(&mut self, dir: &Path) -> Result<(), EnsembleError> {
        let gen_of = |s: &KeySeries| match s.source {
            Source::SecondaryPrice(g) | Source::Discount(g) => Some(g),
            _ => None,
        };
        if self.chunk.iter().all(|s| gen_of(s).is_none()) {
            return Ok(());
        }
        let mut table = Table::open(&dir.join("generations.csv"))?;
        let cols = table.columns(&[
            "tick",
            "generation",
            "secondary_price",
            "distressed_discount",
        ])?;
        let names: Vec<Option<String>> = self
            .chunk
            .iter()
            .map(|s| gen_of(s).and(s.generation.clone()))
            .collect();
        while let Some(row) = table.next_row()? {
            let tick = table.tick(&row, cols[0])?;
            let name = &row[cols[1]];
            for (s, series) in self.chunk.iter().enumerate() {
                if names[s].as_deref() != Some(name) {
                    continue;
                }
                let col = match series.source {
                    Source::SecondaryPrice(_) => cols[2],
                    _ => cols[3],
                };
                let value = table.value(&row, col)?;
                self.put(s, tick, value);
            }
        }
        Ok(())
    }
}

/// A run's CSV file read row by row, with errors that name the file and line.
struct Table {
    path: std::path::PathBuf,
    reader: csv::Reader<std::fs::File>,
    line: u64,
}

impl Table {
    fn open(path: &Path) -> Result<Table, EnsembleError> {
        let reader = csv::Reader::from_path(path).map_err(EnsembleError::csv(path))?;
        Ok(Table {
            path: path.to_path_buf(),
            reader,
            line: 1,
        })
    }

    fn columns<const N: usize>(&mut self, names: &[&str; N]) -> Result<[usize; N], EnsembleError> {
        let headers = self
            .reader
            .headers()
            .map_err(EnsembleError::csv(&self.path))?
            .clone();
        let mut out = [0; N];
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = headers
                .iter()
                .position(|h| h == *name)
                .ok_or_else(|| self.bad(format!("no column `{name}`")))?;
        }
        Ok(out)
    }

    fn next_row(&mut self) -> Result<Option<csv::StringRecord>, EnsembleError> {
        let mut row = csv::StringRecord::new();
        let more = self
            .reader
            .read_record(&mut row)
            .map_err(EnsembleError::csv(&self.path))?;
        self.line = row.position().map_or(self.line + 1, |p| p.line());
        Ok(more.then_some(row))
    }

    fn bad(&self, message: String) -> EnsembleError {
        EnsembleError::BadFile {
            path: self.path.clone(),
            message,
        }
    }

    fn tick(&self, row: &csv::StringRecord, col: usize) -> Result<usize, EnsembleError> {
        row[col].parse().map_err(|_| {
            self.bad(format!(
                "line {}: tick `{}` is not a number",
                self.line, &row[col]
            ))
        })
    }

    /// A number, or `NaN` for an empty field (no value that tick).
    fn value(&self, row: &csv::StringRecord, col: usize) -> Result<f64, EnsembleError> {
        let field = &row[col];
        if field.is_empty() {
            return Ok(f64::NAN);
        }
        field
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                self.bad(format!(
                    "line {}: `{field}` is not a finite number",
                    self.line
                ))
            })
    }
}
