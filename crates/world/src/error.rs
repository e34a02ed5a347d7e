//! Errors in world files and overrides: where, which field, what was expected.

use std::path::PathBuf;

/// Why a world could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// File.
        file: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// No file, and no shipped world, by that name.
    #[error("no world named `{0}`: not a file, and not in worlds/ (see `firesale list`)")]
    NotFound(String),
    /// RON syntax or schema error, with its position.
    #[error("{file}:{line}:{column}: {path}: {message}")]
    Parse {
        /// File.
        file: PathBuf,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
        /// Field path, e.g. `operators[0].leverage`.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// A value outside its valid range, or an inconsistent world.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Invalid>),
    /// A world whose run would pass a resource limit (memory).
    #[error("{file}: {message}")]
    TooLarge {
        /// File.
        file: String,
        /// The estimate, the fields that drive it and how to raise the limit.
        message: String,
    },
    /// A replayed series that cannot be used: its file, line (0 for the whole file), the
    /// world field that names it, and what was wrong.
    #[error("{}", series_message(file, *line, field, message))]
    Series {
        /// The series file.
        file: PathBuf,
        /// Line (1-based; 0 for the whole file).
        line: usize,
        /// The world field naming the file, e.g. `btc.price_series`.
        field: String,
        /// What was wrong.
        message: String,
    },
    /// A `--set` override that does not fit the schema.
    #[error("--set {arg}: {message}")]
    Override {
        /// The argument as given.
        arg: String,
        /// What was wrong.
        message: String,
    },
}

/// One invalid value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {path}: {message}")]
pub struct Invalid {
    /// File (or `--set` when an override put it there).
    pub file: String,
    /// Field path.
    pub path: String,
    /// What was expected and found.
    pub message: String,
}

/// `file:line: field: message`, or `file: field: message` about the whole file.
fn series_message(file: &std::path::Path, line: usize, field: &str, message: &str) -> String {
    if line == 0 {
        format!("{}: {field}: {message}", file.display())
    } else {
        format!("{}:{line}: {field}: {message}", file.display())
    }
}
