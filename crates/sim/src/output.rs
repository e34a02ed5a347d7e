//! Streaming a run to disk so that an interrupted run never looks complete.
//!
//! Every file is written as `NAME.partial` and renamed when the run ends; `summary.json`
//! is renamed last, so its presence is the mark of a complete run. Any non-finite number
//! about to be written stops the run instead.

use csv::Writer;
use firesale_core::interrupt::partials;
use firesale_core::{Clock, Event, Generations, Metrics};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Why outputs could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// CSV error.
    #[error("{path}: {source}")]
    Csv {
        /// File.
        path: PathBuf,
        /// Cause.
        source: csv::Error,
    },
    /// A number that is not finite was about to be written.
    #[error("tick {tick}: column `{column}` is not a finite number ({value})")]
    NonFinite {
        /// Tick.
        tick: u32,
        /// Column.
        column: String,
        /// The value.
        value: f64,
    },
}

/// Columns of `timeseries.csv`.
pub const TIMESERIES_COLUMNS: [&str; 25] = [
    "tick",
    "date",
    "compute_price",
    "btc_price",
    "hashprice",
    "demand_index",
    "risk_free_rate",
    "stress",
    "defaults",
    "defaults_cum",
    "defaulted_debt_cum",
    "tenant_defaults_cum",
    "repossessed_lots_cum",
    "inventory_lots",
    "listed_unsold_lots",
    "lender_equity",
    "lender_failures_cum",
    "new_loan_spread",
    "new_loan_max_ltv",
    "ltv_paper",
    "ltv_market",
    "dscr",
    "repo_volume",
    "operators_active",
    "trades_cum",
];

/// Columns of `generations.csv`.
pub const GENERATION_COLUMNS: [&str; 31] = [
    "tick",
    "date",
    "generation",
    "rent",
    "utilisation",
    "installed_lots",
    "secondary_price",
    "last_trade_price",
    "weeks_since_trade",
    "volume",
    "distressed_volume",
    "lender_sale_volume",
    "distressed_price",
    "voluntary_price",
    "counterfactual_price",
    "reference_price",
    "distressed_discount",
    "listed_lots",
    "unsold_lots",
    "bid_depth_10",
    "bid_depth_25",
    "bid_depth_50",
    "fundamental",
    "book_value",
    "discount_to_fundamental",
    "repo_haircut",
    "released",
    "model_value",
    "vendor_price",
    "vendor_rationed",
    "racks_short",
];

/// Columns of `rigs.csv` (worlds with ASIC generations only): the hashprice, rigs
/// switched off, and per efficiency tier the rig price index in $/TH, lots traded,
/// distressed lots traded and whether the value was carried from an earlier week.
pub fn rig_columns() -> Vec<String> {
    let mut columns: Vec<String> = [
        "tick",
        "date",
        "hashprice",
        "rigs_installed",
        "rigs_switched_off",
        "switched_off_share",
    ]
    .map(String::from)
    .to_vec();
    for (tier, ..) in crate::rigs::RIG_TIERS {
        for field in ["usd_per_th", "lots", "distressed_lots", "carried"] {
            columns.push(format!("{field}_{tier}"));
        }
    }
    columns
}

/// Files of a run being written.
pub struct RunWriter {
    dir: PathBuf,
    timeseries: Writer<File>,
    generations: Writer<File>,
    rigs: Option<Writer<File>>,
    capital: Option<Writer<File>>,
    /// `events.jsonl`, written on its own (see [`EventsWriter`]).
    pub events: EventsWriter,
}

/// `events.jsonl` of a run being written: kept apart from the tables so that a tick's
/// events can be written while the next tick runs (they are owned by then, and
/// written in tick order either way).
pub struct EventsWriter {
    path: PathBuf,
    file: BufWriter<File>,
}

impl EventsWriter {
    /// Appends the events of `tick`, one JSON object a line; refuses a non-finite amount.
    pub fn write(&mut self, tick: u32, events: &[Event]) -> Result<(), OutputError> {
        for event in events {
            if !event.amount.is_finite() {
                return Err(OutputError::NonFinite {
                    tick,
                    column: format!("events.amount ({:?})", event.kind),
                    value: event.amount,
                });
            }
            // Straight into the buffered file: no line string, no formatting machinery.
            serde_json::to_writer(&mut self.file, event).map_err(|e| OutputError::Io {
                path: self.path.clone(),
                source: e.into(),
            })?;
            self.file.write_all(b"\n").map_err(io(&self.path))?;
        }
        Ok(())
    }
}

/// The files a run writes besides `summary.json` and `world.ron`.
const RUN_FILES: [&str; 5] = [
    "timeseries.csv",
    "generations.csv",
    "rigs.csv",
    "capital.csv",
    "events.jsonl",
];

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn partial(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.partial"))
}

/// One row of strings, refusing non-finite numbers.
struct Row<'a> {
    tick: u32,
    cells: Vec<String>,
    columns: &'a [&'a str],
}

impl Row<'_> {
    fn num(&mut self, value: f64) -> Result<(), OutputError> {
        if !value.is_finite() {
            return Err(OutputError::NonFinite {
                tick: self.tick,
                column: self.columns[self.cells.len()].to_string(),
                value,
            });
        }
        self.cells.push(format!("{value}"));
        Ok(())
    }

    fn opt(&mut self, value: Option<f64>) -> Result<(), OutputError> {
        match value {
            Some(v) => self.num(v),
            None => {
                self.cells.push(String::new());
                Ok(())
            }
        }
    }

    fn int(&mut self, value: impl ToString) {
        self.cells.push(value.to_string());
    }
}

impl RunWriter {
    /// Creates the run directory (clearing a previous complete run's marker) and opens
    /// every file as `.partial`.
    /// `rigs` opens `rigs.csv` too (a world with ASIC generations), `capital` opens
    /// `capital.csv` (a world with notes).
    pub fn create(
        dir: &Path,
        world_ron: &str,
        rigs: bool,
        capital: bool,
    ) -> Result<Self, OutputError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        for name in RUN_FILES.iter().chain(&["summary.json", "world.ron"]) {
            let path = dir.join(name);
            if path.exists() {
                fs::remove_file(&path).map_err(io(&path))?;
            }
        }
        let world_path = dir.join("world.ron");
        fs::write(&world_path, world_ron).map_err(io(&world_path))?;
        let csv_writer = |name: &str, header: &[&str]| -> Result<Writer<File>, OutputError> {
            let path = partial(dir, name);
            let mut w = Writer::from_writer(partials().create(&path).map_err(io(&path))?);
            w.write_record(header)
                .map_err(|source| OutputError::Csv { path, source })?;
            Ok(w)
        };
        let events_path = partial(dir, "events.jsonl");
        Ok(RunWriter {
            dir: dir.to_path_buf(),
            timeseries: csv_writer("timeseries.csv", &TIMESERIES_COLUMNS)?,
            generations: csv_writer("generations.csv", &GENERATION_COLUMNS)?,
            rigs: if rigs {
                let columns = rig_columns();
                let header: Vec<&str> = columns.iter().map(String::as_str).collect();
                Some(csv_writer("rigs.csv", &header)?)
            } else {
                None
            },
            capital: if capital {
                Some(csv_writer("capital.csv", &crate::capital::CAPITAL_COLUMNS)?)
            } else {
                None
            },
            events: EventsWriter {
                file: BufWriter::new(partials().create(&events_path).map_err(io(&events_path))?),
                path: events_path,
            },
        })
    }

    /// Writes one tick's rows (its events go to [`RunWriter::events`]).
    pub fn record(
        &mut self,
        clock: &Clock,
        gens: &Generations,
        m: &Metrics,
        rigs: Option<&crate::rigs::RigWeek>,
        capital: Option<&firesale_structured::CapitalMetrics>,
    ) -> Result<(), OutputError> {
        let date = clock.today_str();
        let mut row = Row {
            tick: clock.tick,
            cells: Vec::with_capacity(25),
            columns: &TIMESERIES_COLUMNS,
        };
        row.int(clock.tick);
        row.int(&date);
        row.num(m.compute_price)?;
        row.num(m.btc_price)?;
        row.num(m.hashprice)?;
        row.num(m.demand_index)?;
        row.num(m.risk_free_rate)?;
        row.int(u8::from(m.stress));
        row.int(m.defaults);
        row.int(m.defaults_cum);
        row.num(m.defaulted_debt_cum)?;
        row.int(m.tenant_defaults_cum);
        row.int(m.repossessed_lots_cum);
        row.int(m.inventory_lots);
        row.int(m.listed_unsold_lots);
        row.num(m.lender_equity)?;
        row.int(m.lender_failures_cum);
        row.opt(m.new_loan_spread)?;
        row.opt(m.new_loan_max_ltv)?;
        row.opt(m.ltv_paper)?;
        row.opt(m.ltv_market)?;
        row.opt(m.dscr)?;
        row.num(m.repo_volume)?;
        row.int(m.operators_active);
        row.int(m.trades_cum);
        let path = partial(&self.dir, "timeseries.csv");
        self.timeseries
            .write_record(&row.cells)
            .map_err(|source| OutputError::Csv { path, source })?;

        for (g, gm) in m.generations.iter().enumerate() {
            let generation = &gens.list[g];
            if generation.release_tick > clock.tick as i32 {
                continue;
            }
            let mut row = Row {
                tick: clock.tick,
                cells: Vec::with_capacity(GENERATION_COLUMNS.len()),
                columns: &GENERATION_COLUMNS,
            };
            row.int(clock.tick);
            row.int(&date);
            row.int(&generation.name);
            row.num(gm.rent)?;
            row.opt(gm.utilisation)?;
            row.int(gm.installed_lots);
            row.opt(gm.secondary_price)?;
            row.opt(gm.last_trade_price)?;
            row.cells.push(
                gm.weeks_since_trade
                    .map(|w| w.to_string())
                    .unwrap_or_default(),
            );
            row.int(gm.volume);
            row.int(gm.distressed_volume);
            row.int(gm.lender_sale_volume);
            row.opt(gm.distressed_price)?;
            row.opt(gm.voluntary_price)?;
            row.opt(gm.counterfactual_price)?;
            row.opt(gm.reference_price)?;
            row.opt(gm.distressed_discount)?;
            row.int(gm.listed);
            row.int(gm.unsold);
            row.int(gm.bid_depth_10);
            row.int(gm.bid_depth_25);
            row.int(gm.bid_depth_50);
            row.num(gm.fundamental)?;
            row.num(gm.book_value)?;
            row.opt(discount(gm.secondary_price, gm.fundamental))?;
            row.opt(gm.repo_haircut)?;
            row.int(u8::from(
                generation.released_in_run && generation.release_tick == clock.tick as i32,
            ));
            row.num(gm.model_value)?;
            row.opt(gm.vendor_price)?;
            row.int(u8::from(gm.vendor_rationed));
            row.int(u8::from(gm.racks_short));
            let path = partial(&self.dir, "generations.csv");
            self.generations
                .write_record(&row.cells)
                .map_err(|source| OutputError::Csv { path, source })?;
        }
        if let (Some(writer), Some(week)) = (self.rigs.as_mut(), rigs) {
            write_rig_week(writer, &self.dir, week)?;
        }
        if let (Some(writer), Some(c)) = (self.capital.as_mut(), capital) {
            let mut row = Row {
                tick: clock.tick,
                cells: Vec::with_capacity(crate::capital::CAPITAL_COLUMNS.len()),
                columns: &crate::capital::CAPITAL_COLUMNS,
            };
            row.int(clock.tick);
            row.int(&date);
            for cell in crate::capital::capital_cells(c) {
                row.opt(cell)?;
            }
            let path = partial(&self.dir, "capital.csv");
            writer
                .write_record(&row.cells)
                .map_err(|source| OutputError::Csv { path, source })?;
        }
        Ok(())
    }

    /// Flushes and renames every file into place, `summary.json` last.
    pub fn finish(mut self, summary_json: &str) -> Result<PathBuf, OutputError> {
        let dir = self.dir.clone();
        self.timeseries.flush().map_err(io(&dir))?;
        self.generations.flush().map_err(io(&dir))?;
        if let Some(rigs) = self.rigs.as_mut() {
            rigs.flush().map_err(io(&dir))?;
        }
        if let Some(capital) = self.capital.as_mut() {
            capital.flush().map_err(io(&dir))?;
        }
        self.events.file.flush().map_err(io(&dir))?;
        let rigs = self.rigs.is_some();
        let capital = self.capital.is_some();
        drop(self);
        for name in RUN_FILES
            .iter()
            .filter(|&&n| (rigs || n != "rigs.csv") && (capital || n != "capital.csv"))
        {
            let from = partial(&dir, name);
            partials()
                .commit(&from, &dir.join(name))
                .map_err(io(&from))?;
        }
        let summary = partial(&dir, "summary.json");
        partials()
            .create(&summary)
            .and_then(|mut f| f.write_all(summary_json.as_bytes()))
            .map_err(io(&summary))?;
        partials()
            .commit(&summary, &dir.join("summary.json"))
            .map_err(io(&summary))?;
        Ok(dir)
    }

    /// Gives the run up (it was interrupted): deletes its partial files and its
    /// `world.ron`, and the directory itself if nothing else is in it.
    pub fn abandon(self) {
        let dir = self.dir.clone();
        drop(self);
        for name in RUN_FILES {
            partials().remove(&partial(&dir, name));
        }
        let _ = fs::remove_file(dir.join("world.ron"));
        let _ = fs::remove_dir(&dir);
    }
}

/// Writes one week of `rigs.csv`.
fn write_rig_week(
    writer: &mut Writer<File>,
    dir: &Path,
    week: &crate::rigs::RigWeek,
) -> Result<(), OutputError> {
    let names = rig_columns();
    let columns: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut row = Row {
        tick: week.tick,
        cells: Vec::with_capacity(columns.len()),
        columns: &columns,
    };
    row.int(week.tick);
    row.int(&week.date);
    row.num(week.hashprice)?;
    row.int(week.rigs_installed);
    row.int(week.rigs_switched_off);
    row.num(if week.rigs_installed > 0 {
        week.rigs_switched_off as f64 / week.rigs_installed as f64
    } else {
        0.0
    })?;
    for tier in &week.tiers {
        row.opt(tier.usd_per_th)?;
        row.int(tier.lots);
        row.int(tier.distressed_lots);
        row.int(u8::from(tier.carried));
    }
    let path = partial(dir, "rigs.csv");
    writer
        .write_record(&row.cells)
        .map_err(|source| OutputError::Csv { path, source })
}

/// The gap to the benchmark valuation, `1 - price / fundamental`, when both exist (a
/// reference line: no agent holds that valuation, so this is not the fire-sale discount).
pub fn discount(price: Option<f64>, fundamental: f64) -> Option<f64> {
    price
        .filter(|_| fundamental > 0.0)
        .map(|p| 1.0 - p / fundamental)
}
