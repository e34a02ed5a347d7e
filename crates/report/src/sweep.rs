//! Sweep charts: a headline figure against the first varied parameter, a median line in
//! a 25–75% and a 5–95% band across seeds, one line per value of the other parameters.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::prelude::*;

use crate::ReportError;
use crate::data::Series;
use crate::fan::Quantiles;
use crate::named::{NamedChart, write_named};
use crate::plot::{self, DrawResult, FULL, INK, fmt_num, font, palette};

/// Mesh lines, as light as the time charts'.
pub(crate) const GRID_LINE: RGBColor = RGBColor(222, 222, 222);

/// One line of a sweep chart: the quantiles at each x position.
#[derive(Debug, Clone)]
pub struct SweepLine {
    /// Legend label (the other parameters' values), empty for a single line.
    pub label: String,
    /// Quantiles at each x position (same length as the chart's `x`).
    pub quantiles: Vec<Quantiles>,
}

/// A headline figure against a varied parameter.
#[derive(Debug, Clone)]
pub struct SweepChart {
    /// File stem, e.g. `sweep_default_rate`.
    pub name: String,
    /// Page title.
    pub page_title: String,
    /// What is drawn.
    pub caption: String,
    /// X axis title: the varied field.
    pub x_desc: String,
    /// Y axis title with unit.
    pub y_desc: String,
    /// Fractions drawn as percent.
    pub percent: bool,
    /// Position of each value on x (the values themselves when numeric, else 0, 1, 2…).
    pub x: Vec<f64>,
    /// Tick label of each value, as given to `--vary`.
    pub x_labels: Vec<String>,
    /// The lines.
    pub lines: Vec<SweepLine>,
}

/// Draws `chart` into `dir` as `<name>.png` and `<name>.svg`; returns the files.
pub fn plot_sweep(dir: &Path, chart: &SweepChart) -> Result<Vec<PathBuf>, ReportError> {
    write_named(dir, &chart.name, chart)
}

/// A linear axis with ticks exactly at given positions (the swept values, or the cells
/// of a heatmap), so every tick carries one value's label and no other.
#[derive(Clone)]
pub(crate) struct PointAxis {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl PointAxis {
    pub(crate) fn new(range: std::ops::Range<f64>, ticks: Vec<f64>) -> Self {
        PointAxis { range, ticks }
    }
}

impl Ranged for PointAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let share = (v - self.range.start) / (self.range.end - self.range.start);
        limit.0 + (f64::from(limit.1 - limit.0) * share + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

impl ValueFormatter<f64> for PointAxis {
    fn format(v: &f64) -> String {
        fmt_num(*v)
    }
}

/// A padded x range around the positions.
pub(crate) fn x_range(x: &[f64]) -> std::ops::Range<f64> {
    let (lo, hi) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    if lo > hi {
        return -0.5..0.5;
    }
    let pad = if hi > lo { (hi - lo) * 0.06 } else { 0.5 };
    (lo - pad)..(hi + pad)
}

/// The label of the position nearest `v`, if one is within a hair of it.
pub(crate) fn label_at(x: &[f64], labels: &[String], v: f64) -> String {
    x.iter()
        .position(|p| (p - v).abs() <= 1e-9 * (1.0 + p.abs()))
        .and_then(|i| labels.get(i).cloned())
        .unwrap_or_default()
}

/// The polygon between two series where both are present, in runs of positions.
fn band_polygons(x: &[f64], lo: &Series, hi: &Series) -> Vec<Vec<(f64, f64)>> {
    let mut polygons = Vec::new();
    let mut run: Vec<(f64, f64, f64)> = Vec::new();
    for i in 0..=x.len() {
        let pair = (i < x.len()).then(|| lo[i].zip(hi[i])).flatten();
        match pair {
            Some((a, b)) => run.push((x[i], a, b)),
            None if !run.is_empty() => {
                let mut poly: Vec<(f64, f64)> = run.iter().map(|&(x, a, _)| (x, a)).collect();
                poly.extend(run.iter().rev().map(|&(x, _, b)| (x, b)));
                polygons.push(poly);
                run.clear();
            }
            None => {}
        }
    }
    polygons
}

impl SweepChart {
    fn columns(&self, line: &SweepLine) -> [Series; 5] {
        let scale = if self.percent { 100.0 } else { 1.0 };
        [0, 1, 2, 3, 4].map(|i| {
            line.quantiles
                .iter()
                .map(|q| q[i].map(|v| v * scale))
                .collect()
        })
    }
}

impl NamedChart for SweepChart {
    fn draw_page<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let body = plot::page(root, &self.page_title)?;
        let cols: Vec<[Series; 5]> = self.lines.iter().map(|l| self.columns(l)).collect();
        let y = plot::linear_range(cols.iter().flat_map(|c| [&c[0], &c[4], &c[2]]), true);
        let s = FULL;
        let x = PointAxis::new(x_range(&self.x), self.x.clone());
        let mut chart = ChartBuilder::on(&body)
            .caption(&self.caption, font(s.caption))
            .margin(8)
            .margin_right(24)
            .x_label_area_size(s.x_area + 24)
            .y_label_area_size(s.y_area)
            .build_cartesian_2d(x, y)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|v| label_at(&self.x, &self.x_labels, *v))
            .y_label_formatter(&|v| fmt_num(*v))
            .y_labels(8)
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .label_style(font(s.tick))
            .axis_desc_style(font(s.desc))
            .bold_line_style(GRID_LINE)
            .light_line_style(TRANSPARENT)
            .axis_style(INK)
            .draw()?;
        let colour = |i: usize| {
            if self.lines.len() == 1 {
                plot::RED
            } else {
                palette(i)
            }
        };
        // Bands first, medians on top. With several lines the 5–95% bands would cover
        // each other, so only a single line gets one.
        for (i, [p5, p25, _, p75, p95]) in cols.iter().enumerate() {
            let mut bands = vec![(p25, p75, 0.26)];
            if self.lines.len() == 1 {
                bands.insert(0, (p5, p95, 0.12));
            }
            for (lo, hi, alpha) in bands {
                let polygons = band_polygons(&self.x, lo, hi);
                let fill = colour(i).mix(alpha).filled();
                chart.draw_series(polygons.into_iter().map(|p| Polygon::new(p, fill)))?;
            }
        }
        for (i, (line, [_, _, p50, _, _])) in self.lines.iter().zip(&cols).enumerate() {
            let median: Vec<(f64, f64)> = self
                .x
                .iter()
                .zip(p50)
                .filter_map(|(x, y)| y.map(|y| (*x, y)))
                .collect();
            let style = colour(i).stroke_width(s.line + 1);
            chart.draw_series(LineSeries::new(median.clone(), style))?;
            let label = if line.label.is_empty() {
                "median across seeds".to_string()
            } else {
                format!("{} (median, 25–75%)", line.label)
            };
            let dot = colour(i).filled();
            chart
                .draw_series(median.into_iter().map(|p| Circle::new(p, s.point + 1, dot)))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], style));
        }
        if let [_] = self.lines[..] {
            for (label, alpha) in [("25–75% of seeds", 0.26), ("5–95% of seeds", 0.12)] {
                let fill = plot::RED.mix(alpha).filled();
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), u32>>())?
                    .label(label)
                    .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 28, y + 7)], fill));
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .margin(10)
            .legend_area_size(34)
            .background_style(WHITE.mix(0.85))
            .border_style(INK.mix(0.4))
            .label_font(font(s.legend))
            .draw()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_break_where_a_quantile_is_missing() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let lo = vec![Some(1.0), Some(1.0), None, Some(1.0)];
        let hi = vec![Some(2.0), Some(3.0), Some(2.0), Some(2.0)];
        let polys = band_polygons(&x, &lo, &hi);
        assert_eq!(polys.len(), 2);
        assert_eq!(
            polys[0],
            vec![(0.0, 1.0), (1.0, 1.0), (1.0, 3.0), (0.0, 2.0)]
        );
    }

    #[test]
    fn labels_sit_on_the_values() {
        let x = [0.5, 0.6];
        let labels = ["0.5".to_string(), "0.6".to_string()];
        assert_eq!(label_at(&x, &labels, 0.6), "0.6");
        assert_eq!(label_at(&x, &labels, 0.55), "");
    }
}
