//! Fan charts of an ensemble: one series across many runs as a median line inside its
//! 25–75% and 5–95% bands, tick by tick.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::ReportError;
use crate::data::Series;
use crate::named::{NamedChart, write_named};
use crate::plot::{
    self, DrawResult, FULL, INK, Key, PanelSpec, RED, Stroke, draw_hline, draw_legend, draw_line,
    draw_points, legend_entry, shade_between,
};

/// Quantiles of one figure across runs: `[p5, p25, p50, p75, p95]`, `None` where no
/// run has a value.
pub type Quantiles = [Option<f64>; 5];

/// One series of an ensemble, tick by tick, as quantiles across its runs.
#[derive(Debug, Clone)]
pub struct FanChart {
    /// File stem, e.g. `fan_lender_equity`.
    pub name: String,
    /// Page title (world, runs, seed).
    pub page_title: String,
    /// What the series is.
    pub caption: String,
    /// Y axis title with unit.
    pub y_desc: String,
    /// Fractions drawn as percent.
    pub percent: bool,
    /// ISO date of each tick.
    pub dates: Vec<String>,
    /// Quantiles at each tick.
    pub quantiles: Vec<Quantiles>,
}

/// Draws `chart` into `dir` as `<name>.png` and `<name>.svg`; returns the files.
pub fn plot_fan(dir: &Path, chart: &FanChart) -> Result<Vec<PathBuf>, ReportError> {
    write_named(dir, &chart.name, chart)
}

/// A date as the day number every time axis uses.
fn day(date: &str) -> Option<f64> {
    date.parse::<NaiveDate>()
        .ok()
        .map(|d| f64::from(d.num_days_from_ce()))
}

impl FanChart {
    /// Columns p5..p95 as series over the ticks with a date (in percent if asked).
    fn columns(&self) -> (Vec<f64>, [Series; 5]) {
        let scale = if self.percent { 100.0 } else { 1.0 };
        let rows: Vec<(f64, &Quantiles)> = self
            .dates
            .iter()
            .zip(&self.quantiles)
            .filter_map(|(d, q)| day(d).map(|x| (x, q)))
            .collect();
        let xs = rows.iter().map(|(x, _)| *x).collect();
        let cols =
            [0, 1, 2, 3, 4].map(|i| rows.iter().map(|(_, q)| q[i].map(|v| v * scale)).collect());
        (xs, cols)
    }
}

/// The values whose neighbours are both missing (the rest are drawn as lines).
fn isolated(s: &Series) -> Series {
    (0..s.len())
        .map(|i| {
            let before = i.checked_sub(1).and_then(|j| s[j]);
            let after = s.get(i + 1).copied().flatten();
            s[i].filter(|_| before.is_none() && after.is_none())
        })
        .collect()
}

impl NamedChart for FanChart {
    fn draw_page<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let body = plot::page(root, &self.page_title)?;
        let (xs, [p5, p25, p50, p75, p95]) = self.columns();
        let span = plot::span([&xs]);
        let y = plot::linear_range([&p5, &p95, &p50], false);
        let spec = PanelSpec {
            caption: &self.caption,
            y_desc: &self.y_desc,
            scale: FULL,
        };
        let (mut chart, axis) = plot::time_chart(&body, span, y.clone(), &spec)?;
        if y.start < 0.0 && y.end > 0.0 {
            draw_hline(&mut chart, &axis, 0.0, INK.mix(0.5).stroke_width(1))?;
        }
        shade_between(&mut chart, &xs, &p5, &p95, RED.mix(0.14))?;
        shade_between(&mut chart, &xs, &p25, &p75, RED.mix(0.30))?;
        draw_line(
            &mut chart,
            &xs,
            &p50,
            RED.stroke_width(FULL.line),
            Stroke::Solid,
            false,
        )?;
        // A median present on an isolated tick (sparse trades) draws no line: dot it.
        draw_points(&mut chart, &xs, &isolated(&p50), RED, 3, false)?;
        legend_entry(
            &mut chart,
            "median",
            Key::Line(Stroke::Solid),
            RED.to_rgba(),
            2,
        )?;
        legend_entry(&mut chart, "25–75% of runs", Key::Patch, RED.mix(0.30), 1)?;
        legend_entry(&mut chart, "5–95% of runs", Key::Patch, RED.mix(0.14), 1)?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, FULL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_isolated_values_are_dotted() {
        let s = vec![Some(1.0), None, Some(2.0), Some(3.0), None, Some(4.0)];
        assert_eq!(
            isolated(&s),
            vec![Some(1.0), None, None, None, None, Some(4.0)]
        );
    }
}
