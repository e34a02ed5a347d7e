//! The one error type of the crate, split into bad input (the command line or the
//! directories given) and failures (a run, a file, a chart), so the CLI can map them to
//! exit codes 2 and 1.

use std::path::{Path, PathBuf};

use firesale_world::WorldError;

/// Why an ensemble, a sweep or a merge could not be done.
#[derive(Debug, thiserror::Error)]
pub enum EnsembleError {
    /// A `--vary` argument does not parse.
    #[error("--vary {spec}: {message}")]
    Vary {
        /// The argument as given.
        spec: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A `--shard` argument does not parse or is out of range.
    #[error("--shard {spec}: {message}")]
    Shard {
        /// The argument as given.
        spec: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The world, or an override (including a varied field), is invalid.
    #[error(transparent)]
    World(#[from] WorldError),
    /// Arguments that parse but do not make a plan (no runs, paired lists of unequal length).
    #[error("{0}")]
    Arguments(String),
    /// An output directory holds a different plan than the one being run or merged.
    #[error(
        "{dir}: holds a different plan (plan.json differs: {what}); use another --out, or remove it"
    )]
    PlanMismatch {
        /// The directory.
        dir: PathBuf,
        /// The first field that differs.
        what: String,
    },
    /// A directory given to `merge` holds no plan.
    #[error("{dir}: no plan.json here; not an ensemble or sweep output directory")]
    NoPlan {
        /// The directory.
        dir: PathBuf,
    },
    /// Runs of the plan have no `summary.json` in any directory given.
    #[error(
        "{missing} of {total} runs are not complete (e.g. {examples}); run the missing shards, or rerun with --resume"
    )]
    Incomplete {
        /// How many runs are missing.
        missing: usize,
        /// Runs in the plan.
        total: usize,
        /// A few of the missing run directories.
        examples: String,
    },
    /// Some runs failed; the others are complete on disk and `--resume` keeps them.
    #[error("{} of the runs failed:\n{}", failures.len(), failures.join("\n"))]
    RunsFailed {
        /// One line per failed run: its directory and the error.
        failures: Vec<String>,
    },
    /// A file could not be read, written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A CSV file could not be read or written.
    #[error("{path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause (carries the line).
        source: csv::Error,
    },
    /// A file does not hold what it should.
    #[error("{path}: {message}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A chart could not be drawn.
    #[error(transparent)]
    Report(#[from] firesale_report::ReportError),
    /// A stop was requested (Ctrl-C or SIGTERM): runs in progress were removed, complete
    /// ones kept for `--resume`.
    #[error(
        "interrupted: {complete} of {total} runs are complete in {out}; for ensemble and sweep, run the same command with --resume to finish the rest; for merge, run it again"
    )]
    Interrupted {
        /// Complete runs of the slice, kept.
        complete: usize,
        /// Runs in the slice.
        total: usize,
        /// The output directory.
        out: PathBuf,
    },
    /// The thread pool could not be built.
    #[error("cannot start {jobs} worker threads: {message}")]
    Threads {
        /// Threads asked for.
        jobs: usize,
        /// The cause.
        message: String,
    },
}

impl EnsembleError {
    /// Whether the error is the user's input (exit code 2) rather than a failure (1).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            EnsembleError::Vary { .. }
                | EnsembleError::Shard { .. }
                | EnsembleError::Arguments(_)
                | EnsembleError::PlanMismatch { .. }
                | EnsembleError::NoPlan { .. }
                | EnsembleError::Incomplete { .. }
                | EnsembleError::World(_)
        )
    }

    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EnsembleError + '_ {
        move |source| EnsembleError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn csv(path: &Path) -> impl FnOnce(csv::Error) -> EnsembleError + '_ {
        move |source| EnsembleError::Csv {
            path: path.to_path_buf(),
            source,
        }
    }
}
