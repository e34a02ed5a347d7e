//! The one error type of the crate: every variant names the file it is about, so a
//! failed report points the reader at the output file (or the run) to look at.

use std::path::PathBuf;

/// Why a report could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be read, written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A CSV file is malformed (e.g. a row with the wrong number of fields).
    #[error("{path}: malformed CSV: {source}")]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The parser's error, which carries the line.
        source: csv::Error,
    },
    /// A CSV file lacks a column the charts need.
    #[error("{path}: missing column `{column}`")]
    MissingColumn {
        /// The CSV file.
        path: PathBuf,
        /// The column that was expected.
        column: String,
    },
    /// A field could not be read as the number or date its column holds.
    #[error("{path}: line {line}, column `{column}`: unparsable value {value:?} ({expected})")]
    BadValue {
        /// The CSV file.
        path: PathBuf,
        /// 1-based line number in the file (the header is line 1).
        line: u64,
        /// The column of the field.
        column: String,
        /// The field as written.
        value: String,
        /// What the column should hold.
        expected: &'static str,
    },
    /// A CSV file has a header but no data rows, so there is nothing to draw.
    #[error("{path}: no data rows")]
    Empty {
        /// The CSV file.
        path: PathBuf,
    },
    /// `summary.json` is not a JSON object.
    #[error("{path}: invalid summary: {message}")]
    Summary {
        /// The summary file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// plotters failed while drawing a chart.
    #[error("{path}: drawing failed: {message}")]
    Draw {
        /// The chart file being written.
        path: PathBuf,
        /// plotters' error, as text (its type is generic over the backend).
        message: String,
    },
    /// `compare_runs` was given no run directories.
    #[error("no runs to compare")]
    NoRuns,
}

impl ReportError {
    /// Wraps an I/O error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
