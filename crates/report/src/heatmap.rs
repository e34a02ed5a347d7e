//! Heatmaps of a sweep over two parameters: the median of a headline figure across
//! seeds in each cell of the grid, written in the cell and shaded by size.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::ReportError;
use crate::named::{NamedChart, write_named};
use crate::plot::{self, DrawResult, FULL, INK, fmt_num, font};
use crate::sweep::{GRID_LINE, PointAxis, label_at};

/// A headline figure over a grid of two varied parameters.
#[derive(Debug, Clone)]
pub struct Heatmap {
    /// File stem, e.g. `heatmap_default_rate`.
    pub name: String,
    /// Page title.
    pub page_title: String,
    /// What is drawn.
    pub caption: String,
    /// X axis title: the first varied field.
    pub x_desc: String,
    /// Y axis title: the second varied field.
    pub y_desc: String,
    /// Fractions written as percent.
    pub percent: bool,
    /// Values of the first field (columns).
    pub x_labels: Vec<String>,
    /// Values of the second field (rows).
    pub y_labels: Vec<String>,
    /// `values[i][j]`: the figure at the i-th x value and j-th y value.
    pub values: Vec<Vec<Option<f64>>>,
}

/// Draws `map` into `dir` as `<name>.png` and `<name>.svg`; returns the files.
pub fn plot_heatmap(dir: &Path, map: &Heatmap) -> Result<Vec<PathBuf>, ReportError> {
    write_named(dir, &map.name, map)
}

/// From pale yellow (lowest) to dark red (highest).
fn shade(share: f64) -> RGBColor {
    let (lo, hi) = ((255.0, 245.0, 210.0), (165.0, 15.0, 21.0));
    let t = share.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(mix(lo.0, hi.0), mix(lo.1, hi.1), mix(lo.2, hi.2))
}

impl NamedChart for Heatmap {
    fn draw_page<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let body = plot::page(root, &self.page_title)?;
        let scale = if self.percent { 100.0 } else { 1.0 };
        let (nx, ny) = (self.x_labels.len(), self.y_labels.len());
        let xs: Vec<f64> = (0..nx).map(|i| i as f64).collect();
        let ys: Vec<f64> = (0..ny).map(|j| j as f64).collect();
        let s = FULL;
        let mut chart = ChartBuilder::on(&body)
            .caption(&self.caption, font(s.caption))
            .margin(8)
            .margin_right(24)
            .x_label_area_size(s.x_area + 24)
            .y_label_area_size(s.y_area + 40)
            .build_cartesian_2d(
                PointAxis::new(-0.5..nx as f64 - 0.5, xs.clone()),
                PointAxis::new(-0.5..ny as f64 - 0.5, ys.clone()),
            )?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&|v| label_at(&xs, &self.x_labels, *v))
            .y_label_formatter(&|v| label_at(&ys, &self.y_labels, *v))
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .label_style(font(s.tick))
            .axis_desc_style(font(s.desc))
            .axis_style(INK)
            .draw()?;
        let present = self.values.iter().flatten().flatten().copied();
        let (lo, hi) = present.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
        let centre = Pos::new(HPos::Center, VPos::Center);
        for (i, column) in self.values.iter().enumerate().take(nx) {
            for (j, value) in column.iter().enumerate().take(ny) {
                let (x, y) = (i as f64, j as f64);
                let (fill, text) = match value {
                    Some(v) => {
                        let share = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                        (
                            shade(share),
                            fmt_num(v * scale) + if self.percent { "%" } else { "" },
                        )
                    }
                    None => (GRID_LINE, "no value".to_string()),
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    fill.filled(),
                )))?;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    WHITE.stroke_width(2),
                )))?;
                let ink = if fill.0 < 200 && fill.1 < 120 {
                    WHITE
                } else {
                    INK
                };
                chart.draw_series(std::iter::once(Text::new(
                    text,
                    (x, y),
                    font(s.caption).color(&ink).pos(centre),
                )))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_carry_their_median_and_missing_cells_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let map = Heatmap {
            name: "heatmap_default_rate".into(),
            page_title: "test".into(),
            caption: "default rate".into(),
            x_desc: "lenders[1].base_max_ltv".into(),
            y_desc: "operators[1].leverage".into(),
            percent: true,
            x_labels: vec!["0.5".into(), "0.7".into()],
            y_labels: vec!["0.6".into(), "0.8".into()],
            values: vec![vec![Some(0.25), Some(0.5)], vec![None, Some(0.75)]],
        };
        let files = plot_heatmap(dir.path(), &map).unwrap();
        assert_eq!(files.len(), 2);
        assert!(
            !dir.path().join("_drawing.png").exists(),
            "renamed into place"
        );
        let svg = std::fs::read_to_string(dir.path().join("heatmap_default_rate.svg")).unwrap();
        for text in ["25%", "50%", "75%", "no value", "operators[1].leverage"] {
            assert!(svg.contains(text), "{text}");
        }
        assert_eq!(shade(0.0), RGBColor(255, 245, 210));
        assert_eq!(shade(1.0), RGBColor(165, 15, 21));
    }
}
