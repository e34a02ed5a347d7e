//! Shared drawing machinery: the [`Chart`] trait and its atomic writer, the page and
//! panel builders; fonts and colours (`style`), axes (`axes`) and series helpers
//! (`series`) live in submodules and are re-exported here.

mod axes;
mod series;
mod style;

pub(crate) use axes::{LogAxis, TimeAxis, fmt_num, linear_range, log_range, pct, span};
pub(crate) use series::{
    Key, Stroke, draw_bars, draw_hline, draw_labelled_line, draw_legend, draw_line, draw_points,
    draw_releases, legend_entry, shade_between,
};
pub(crate) use style::{
    BLUE, COMPACT, FULL, GREEN, INK, ORANGE, PURPLE, RED, Scale, font, palette,
};
use style::{GRID, register_fonts};

use std::error::Error;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::ReportError;
use crate::data::Series;

/// Pixel size of every chart file.
pub(crate) const SIZE: (u32, u32) = (1600, 1000);

/// What drawing code returns: plotters' error type is generic over the backend, so it is
/// boxed here and turned into [`ReportError::Draw`] by [`write_chart`].
pub(crate) type DrawResult<T = ()> = Result<T, Box<dyn Error>>;

/// The chart context of a panel with dates on x.
pub(crate) type TimeChart<'a, DB, Y> = ChartContext<'a, DB, Cartesian2d<TimeAxis, Y>>;

/// Where the charts of a panel come from: caption, y-axis title (with unit) and scale.
pub(crate) struct PanelSpec<'s> {
    pub caption: &'s str,
    pub y_desc: &'s str,
    pub scale: Scale,
}

/// Builds a panel with dates on x and `y` on the y axis, and draws its mesh and labels.
pub(crate) fn time_chart<'a, DB, Y>(
    area: &'a DrawingArea<DB, Shift>,
    span: (f64, f64),
    y: Y,
    spec: &PanelSpec<'_>,
) -> DrawResult<(TimeChart<'a, DB, Y::CoordDescType>, TimeAxis)>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let s = spec.scale;
    let width = area.dim_in_pixel().0.saturating_sub(s.y_area);
    let axis = TimeAxis::new(span, (width / 120) as usize);
    let mut chart = ChartBuilder::on(area)
        .caption(spec.caption, font(s.caption))
        .margin(8)
        .margin_right(24)
        .x_label_area_size(s.x_area)
        .y_label_area_size(s.y_area)
        .build_cartesian_2d(axis.clone(), y)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| axis.label(*x))
        .y_label_formatter(&|v| fmt_num(*v))
        .y_labels(8)
        .y_desc(spec.y_desc)
        .label_style(font(s.tick))
        .axis_desc_style(font(s.desc))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(INK)
        .draw()?;
    Ok((chart, axis))
}

/// One or more series sharing `xs` on one panel, each with its colour and legend label;
/// `zero_line` marks zero where crossing it matters (equity).
pub(crate) fn draw_series_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    xs: &[f64],
    span: (f64, f64),
    spec: &PanelSpec<'_>,
    series: &[(&str, &Series, RGBColor)],
    zero_line: bool,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let y = linear_range(series.iter().map(|s| s.1), true);
    let (mut chart, axis) = time_chart(area, span, y, spec)?;
    if zero_line {
        draw_hline(&mut chart, &axis, 0.0, INK.mix(0.5).stroke_width(1))?;
    }
    for (label, s, colour) in series {
        draw_labelled_line(&mut chart, xs, s, label, *colour, spec.scale.line)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, spec.scale)
}

/// Splits an area into a top part of `share` of its height and the rest.
pub(crate) fn split_rows<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    share: f64,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let h = area.dim_in_pixel().1;
    area.split_vertically((f64::from(h) * share) as u32)
}

/// Fills the page white and writes its title; returns the area below the title.
pub(crate) fn page<DB>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> DrawResult<DrawingArea<DB, Shift>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    Ok(root.titled(title, font(FULL.page_title))?)
}

/// One chart page; implemented once per chart family and drawn by [`write_chart`] onto
/// both the PNG and the SVG backend.
pub(crate) trait Chart {
    /// File stem, e.g. `price_paths`.
    fn name(&self) -> &'static str;
    /// Draws the page onto `root`.
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static;
}

/// Writes `chart` as `<name>.png` and `<name>.svg` in `dir`. Each is drawn into
/// `<name>.partial.<ext>` and renamed when complete (the extension must stay last
/// because the PNG encoder picks the format from it), so an interrupted report never
/// leaves a complete-looking file.
pub(crate) fn write_chart(dir: &Path, chart: &impl Chart) -> Result<Vec<PathBuf>, ReportError> {
    register_fonts();
    let mut written = Vec::new();
    for ext in ["png", "svg"] {
        let partial = dir.join(format!("{}.partial.{ext}", chart.name()));
        let target = dir.join(format!("{}.{ext}", chart.name()));
        let result = if ext == "png" {
            let root = BitMapBackend::new(&partial, SIZE).into_drawing_area();
            chart.draw(&root).and_then(|()| Ok(root.present()?))
        } else {
            let root = SVGBackend::new(&partial, SIZE).into_drawing_area();
            chart.draw(&root).and_then(|()| Ok(root.present()?))
        };
        if let Err(e) = result {
            let _ = std::fs::remove_file(&partial);
            return Err(ReportError::Draw {
                path: target,
                message: e.to_string(),
            });
        }
        std::fs::rename(&partial, &target).map_err(|e| ReportError::io(&target, e))?;
        written.push(target);
    }
    Ok(written)
}
