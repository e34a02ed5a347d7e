//! Loading a run's output files (see `docs/outputs.md`) into column vectors.
//!
//! Only the columns the charts draw are read, but all of them are checked up front, so
//! a missing column or a bad value fails before any chart file is written. Empty fields
//! stay `None` all the way to the drawing code, which breaks lines there.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use serde_json::{Map, Value};

use crate::ReportError;

/// One column of numbers, `None` where the field was empty.
pub(crate) type Series = Vec<Option<f64>>;

/// A CSV file held as raw records, parsed column by column on demand.
pub(crate) struct Table {
    path: PathBuf,
    headers: csv::StringRecord,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    pub(crate) fn read(path: &Path) -> Result<Self, ReportError> {
        let file = File::open(path).map_err(|e| ReportError::io(path, e))?;
        let csv_err = |source| ReportError::Csv {
            path: path.to_path_buf(),
            source,
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(BufReader::new(file));
        let headers = reader.headers().map_err(csv_err)?.clone();
        let rows = reader
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(csv_err)?;
        if rows.is_empty() {
            return Err(ReportError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    fn index(&self, column: &str) -> Result<usize, ReportError> {
        self.headers
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| ReportError::MissingColumn {
                path: self.path.clone(),
                column: column.to_string(),
            })
    }

    /// The 1-based line of row `i`, as an editor shows it.
    fn line(&self, i: usize) -> u64 {
        self.rows[i].position().map_or(i as u64 + 2, |p| p.line())
    }

    pub(crate) fn bad_value(
        &self,
        i: usize,
        column: &str,
        value: &str,
        expected: &'static str,
    ) -> ReportError {
        ReportError::BadValue {
            path: self.path.clone(),
            line: self.line(i),
            column: column.to_string(),
            value: value.to_string(),
            expected,
        }
    }

    /// A numeric column; empty fields are `None`. `NaN`/`inf` break the outputs contract
    /// and are reported rather than drawn.
    pub(crate) fn numbers(&self, column: &str) -> Result<Series, ReportError> {
        let c = self.index(column)?;
        (0..self.rows.len())
            .map(|i| {
                let field = &self.rows[i][c];
                if field.is_empty() {
                    return Ok(None);
                }
                match field.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(Some(v)),
                    _ => Err(self.bad_value(i, column, field, "a finite number or empty")),
                }
            })
            .collect()
    }

    /// A date column, as day numbers (days since 0001-01-01), the x coordinate of every chart.
    pub(crate) fn days(&self, column: &str) -> Result<Vec<f64>, ReportError> {
        let c = self.index(column)?;
        (0..self.rows.len())
            .map(|i| {
                let field = &self.rows[i][c];
                field
                    .parse::<NaiveDate>()
                    .map(|d| f64::from(d.num_days_from_ce()))
                    .map_err(|_| self.bad_value(i, column, field, "an ISO date YYYY-MM-DD"))
            })
            .collect()
    }

    pub(crate) fn texts(&self, column: &str) -> Result<Vec<String>, ReportError> {
        let c = self.index(column)?;
        Ok(self.rows.iter().map(|r| r[c].to_string()).collect())
    }
}

/// The run-level columns of `timeseries.csv` the charts draw, one entry per tick.
pub(crate) struct Timeseries {
    /// Day number of each tick's date.
    pub x: Vec<f64>,
    pub compute_price: Series,
    pub defaults: Series,
    pub defaults_cum: Series,
    pub defaulted_debt_cum: Series,
    pub inventory_lots: Series,
    pub listed_unsold_lots: Series,
    pub lender_equity: Series,
    pub new_loan_spread: Series,
    pub new_loan_max_ltv: Series,
    pub ltv_paper: Series,
    pub ltv_market: Series,
    pub dscr: Series,
    pub repo_volume: Series,
}

impl Timeseries {
    fn load(path: &Path) -> Result<Self, ReportError> {
        let t = Table::read(path)?;
        Ok(Self {
            x: t.days("date")?,
            compute_price: t.numbers("compute_price")?,
            defaults: t.numbers("defaults")?,
            defaults_cum: t.numbers("defaults_cum")?,
            defaulted_debt_cum: t.numbers("defaulted_debt_cum")?,
            inventory_lots: t.numbers("inventory_lots")?,
            listed_unsold_lots: t.numbers("listed_unsold_lots")?,
            lender_equity: t.numbers("lender_equity")?,
            new_loan_spread: t.numbers("new_loan_spread")?,
            new_loan_max_ltv: t.numbers("new_loan_max_ltv")?,
            ltv_paper: t.numbers("ltv_paper")?,
            ltv_market: t.numbers("ltv_market")?,
            dscr: t.numbers("dscr")?,
            repo_volume: t.numbers("repo_volume")?,
        })
    }
}

/// The rows of `generations.csv` for one GPU generation, in date order.
pub(crate) struct Generation {
    /// The generation's name, e.g. `H100`.
    pub name: String,
    /// Day number of each row; the first is the generation's release.
    pub x: Vec<f64>,
    pub rent: Series,
    pub utilisation: Series,
    pub secondary_price: Series,
    pub fundamental: Series,
    pub book_value: Series,
    /// Distressed sale price against the non-distressed reference.
    pub discount: Series,
    /// Clearing price of ticks where distressed lots traded.
    pub distressed_price: Series,
    /// Clearing price of ticks where only voluntary lots traded.
    pub voluntary_price: Series,
    pub repo_haircut: Series,
}

impl Generation {
    /// The release date (first row) as a day number.
    pub fn release(&self) -> f64 {
        self.x[0]
    }
}

/// Splits `generations.csv` by generation, ordered by release date (ties: first seen),
/// so each generation keeps the same colour in every chart of a run.
fn load_generations(path: &Path) -> Result<Vec<Generation>, ReportError> {
    let t = Table::read(path)?;
    let x = t.days("date")?;
    let names = t.texts("generation")?;
    let cols = [
        "rent",
        "utilisation",
        "secondary_price",
        "fundamental",
        "book_value",
        "distressed_discount",
        "repo_haircut",
        "distressed_price",
        "voluntary_price",
    ]
    .map(|c| t.numbers(c));
    let [
        rent,
        util,
        price,
        fund,
        book,
        disc,
        haircut,
        distressed,
        voluntary,
    ] = cols;
    let (rent, util, price, fund, book, disc, haircut) =
        (rent?, util?, price?, fund?, book?, disc?, haircut?);
    let (distressed, voluntary) = (distressed?, voluntary?);

    // Row indices per generation, in order of first appearance.
    let mut order: Vec<String> = Vec::new();
    let mut rows: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, name) in names.iter().enumerate() {
        if !rows.contains_key(name.as_str()) {
            order.push(name.clone());
        }
        rows.entry(name.as_str()).or_default().push(i);
    }
    let pick = |s: &Series, idx: &[usize]| idx.iter().map(|&i| s[i]).collect::<Series>();
    let mut gens: Vec<Generation> = order
        .iter()
        .map(|name| {
            let mut idx = rows[name.as_str()].clone();
            idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
            Generation {
                name: name.clone(),
                x: idx.iter().map(|&i| x[i]).collect(),
                rent: pick(&rent, &idx),
                utilisation: pick(&util, &idx),
                secondary_price: pick(&price, &idx),
                fundamental: pick(&fund, &idx),
                book_value: pick(&book, &idx),
                discount: pick(&disc, &idx),
                distressed_price: pick(&distressed, &idx),
                voluntary_price: pick(&voluntary, &idx),
                repo_haircut: pick(&haircut, &idx),
            }
        })
        .collect();
    gens.sort_by(|a, b| a.release().total_cmp(&b.release()));
    Ok(gens)
}

/// `summary.json` as written, kept as a sorted JSON map (serde_json's default `Map` is a
/// `BTreeMap`, so iteration order is stable).
pub(crate) struct Summary {
    pub map: Map<String, Value>,
}

impl Summary {
    fn load(path: &Path) -> Result<Option<Self>, ReportError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ReportError::io(path, e)),
        };
        let bad = |message: String| ReportError::Summary {
            path: path.to_path_buf(),
            message,
        };
        match serde_json::from_str::<Value>(&text).map_err(|e| bad(e.to_string()))? {
            Value::Object(map) => Ok(Some(Self { map })),
            _ => Err(bad("not a JSON object".to_string())),
        }
    }

    /// A value as display text: strings without quotes, `null`/absent as `None`.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.map.get(key)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            v => Some(v.to_string()),
        }
    }
}

/// Everything the charts need from one run directory.
pub(crate) struct RunData {
    /// The run directory.
    pub dir: PathBuf,
    /// `None` for an interrupted run (no `summary.json` yet).
    pub summary: Option<Summary>,
    pub ts: Timeseries,
    pub gens: Vec<Generation>,
    /// `rigs.csv`, in a world with ASIC rigs.
    pub rigs: Option<crate::rigs::RigData>,
    /// `capital.csv`, in a world with notes or GPU ABS.
    pub capital: Option<crate::capital::CapitalData>,
}

impl RunData {
    /// Reads `timeseries.csv`, `generations.csv` and (if present) `summary.json`.
    pub fn load(dir: &Path) -> Result<Self, ReportError> {
        Ok(Self {
            dir: dir.to_path_buf(),
            summary: Summary::load(&dir.join("summary.json"))?,
            ts: Timeseries::load(&dir.join("timeseries.csv"))?,
            gens: load_generations(&dir.join("generations.csv"))?,
            rigs: crate::rigs::RigData::load(&dir.join("rigs.csv"))?,
            capital: crate::capital::CapitalData::load(&dir.join("capital.csv"))?,
        })
    }

    /// First and last date (day numbers) over both CSV files.
    pub fn span(&self) -> (f64, f64) {
        crate::plot::span(std::iter::once(&self.ts.x).chain(self.gens.iter().map(|g| &g.x)))
    }

    fn summary_text(&self, key: &str) -> Option<String> {
        self.summary.as_ref().and_then(|s| s.text(key))
    }

    /// The world's name, or the directory layout's `<world>/seed-<N>` guess, or the
    /// directory name.
    pub fn world(&self) -> String {
        self.summary_text("world").unwrap_or_else(|| {
            let dir_name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
            match dir_name(&self.dir) {
                Some(n) if n.starts_with("seed-") => {
                    self.dir.parent().and_then(dir_name).unwrap_or(n)
                }
                Some(n) => n,
                None => self.dir.display().to_string(),
            }
        })
    }

    /// The seed, if the summary has one.
    pub fn seed(&self) -> Option<String> {
        self.summary_text("seed")
    }

    /// A short name for legends: `world (seed N)`.
    pub fn label(&self) -> String {
        match self.seed() {
            Some(seed) => format!("{} (seed {seed})", self.world()),
            None => self.world(),
        }
    }

    /// `start_date – end_date`, from the summary or else from the time series.
    pub fn date_range(&self) -> String {
        let from_ts = |x: Option<&f64>| {
            x.and_then(|&d| NaiveDate::from_num_days_from_ce_opt(d as i32))
                .map(|d| d.to_string())
                .unwrap_or_default()
        };
        let start = self
            .summary_text("start_date")
            .unwrap_or_else(|| from_ts(self.ts.x.first()));
        let end = self
            .summary_text("end_date")
            .unwrap_or_else(|| from_ts(self.ts.x.last()));
        format!("{start} to {end}")
    }
}
