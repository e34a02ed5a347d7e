#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod aggregate;
mod charts;
mod error;
mod execute;
mod key_series;
mod merge;
mod plan;
mod quantiles;
mod seeds;
mod shard;
mod summaries;
mod vary;

use firesale_sim::interrupt;
use std::fs::File;
use std::path::{Path, PathBuf};

pub use aggregate::{Aggregates, write_aggregates};
pub use charts::PLOTS_DIR;
pub use error::EnsembleError;
pub use execute::{Batch, BatchStats, RunDone, RunOptions};
pub use key_series::{KeySeries, MEMORY_BUDGET, SeriesBands, TickBands, key_series, tick_bands};
pub use merge::{Merged, merge};
pub use plan::{Kind, PLAN_FILE, Plan, PlannedRun, Point, Study, StudyArgs, is_complete};
pub use quantiles::{Band, LEVEL_COLUMNS, LEVELS};
pub use seeds::{SEED_RULE, replicate_seed, splitmix64_mix};
pub use shard::Shard;
pub use summaries::{HEADLINES, Headline};
pub use vary::{Vary, points};

/// The aggregate files of an output directory (everything but `plan.json` and `runs/`).
pub const AGGREGATE_FILES: [&str; 3] = ["ensemble.csv", "summaries.csv", "sweep.csv"];

/// Removes the aggregates of `out` (tables and charts), so that a directory whose runs
/// are being (re)done never holds aggregates of another set of runs.
pub(crate) fn remove_aggregates(out: &Path) -> Result<(), EnsembleError> {
    for name in AGGREGATE_FILES {
        let path = out.join(name);
        if path.exists() {
            std::fs::remove_file(&path).map_err(EnsembleError::io(&path))?;
        }
    }
    let plots = out.join(PLOTS_DIR);
    if plots.exists() {
        std::fs::remove_dir_all(&plots).map_err(EnsembleError::io(&plots))?;
    }
    Ok(())
}

/// Writes a file whole or not at all: into a partial file, then renamed into place.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EnsembleError> {
    interrupt::write_atomic(path, bytes)
        .map_err(|(path, source)| EnsembleError::Io { path, source })
}

/// A CSV file streamed to a partial file and renamed into place when finished.
pub(crate) struct AtomicCsv {
    path: PathBuf,
    partial: PathBuf,
    writer: csv::Writer<File>,
}

impl AtomicCsv {
    pub(crate) fn create(path: &Path) -> Result<AtomicCsv, EnsembleError> {
        let partial = interrupt::partial_path(path);
        let file = interrupt::partials()
            .create(&partial)
            .map_err(EnsembleError::io(&partial))?;
        let writer = csv::Writer::from_writer(file);
        Ok(AtomicCsv {
            path: path.to_path_buf(),
            partial,
            writer,
        })
    }

    pub(crate) fn row(&mut self, cells: &[String]) -> Result<(), EnsembleError> {
        self.writer
            .write_record(cells)
            .map_err(EnsembleError::csv(&self.partial))
    }

    pub(crate) fn finish(mut self) -> Result<(), EnsembleError> {
        self.writer
            .flush()
            .map_err(EnsembleError::io(&self.partial))?;
        drop(self.writer);
        interrupt::partials()
            .commit(&self.partial, &self.path)
            .map_err(EnsembleError::io(&self.path))
    }
}
