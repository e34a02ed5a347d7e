//! Writing charts whose file names come from the data (a generation, a summary figure):
//! the shared writer takes a fixed name, so each page is drawn under a placeholder stem
//! by [`write_chart`] (atomic, PNG and SVG, embedded font) and then renamed.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::ReportError;
use crate::plot::{Chart, DrawResult, write_chart};

/// The placeholder stem; nothing else in a chart directory is called this.
const DRAWING: &str = "_drawing";

/// A page that [`write_named`] writes as `<name>.png` and `<name>.svg`.
pub(crate) trait NamedChart {
    /// Draws the page onto `root`.
    fn draw_page<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static;
}

struct Placeholder<'a, C>(&'a C);

impl<C: NamedChart> Chart for Placeholder<'_, C> {
    fn name(&self) -> &'static str {
        DRAWING
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        self.0.draw_page(root)
    }
}

/// Writes `chart` into `dir` as `<name>.png` and `<name>.svg`; returns the files.
pub(crate) fn write_named(
    dir: &Path,
    name: &str,
    chart: &impl NamedChart,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
    let drawn = write_chart(dir, &Placeholder(chart))?;
    let mut written = Vec::new();
    for file in drawn {
        let ext = file.extension().map(|e| e.to_string_lossy().into_owned());
        let target = dir.join(format!("{name}.{}", ext.unwrap_or_default()));
        std::fs::rename(&file, &target).map_err(|e| ReportError::io(&target, e))?;
        written.push(target);
    }
    Ok(written)
}
