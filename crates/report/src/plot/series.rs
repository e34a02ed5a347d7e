//! Drawing helpers for one panel: lines broken at gaps, dots, bars, shading, reference
//! lines, release markers and legend entries.

use std::ops::Range;

use plotters::prelude::*;

use super::{DrawResult, INK, Scale, TimeAxis, TimeChart, font};

/// Splits a series into runs of consecutive present values, so that a missing value
/// breaks the line instead of being drawn as zero. With `log`, non-positive values
/// break it too.
pub(crate) fn segments(xs: &[f64], ys: &[Option<f64>], log: bool) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (&x, y) in xs.iter().zip(ys) {
        match y {
            Some(y) if !log || *y > 0.0 => current.push((x, *y)),
            _ if !current.is_empty() => out.push(std::mem::take(&mut current)),
            _ => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// How a line is stroked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stroke {
    Solid,
    Dashed,
}

/// Draws a series as a line broken at missing values.
pub(crate) fn draw_line<DB, Y>(
    chart: &mut TimeChart<'_, DB, Y>,
    xs: &[f64],
    ys: &[Option<f64>],
    style: ShapeStyle,
    stroke: Stroke,
    log: bool,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    for seg in segments(xs, ys, log) {
        match stroke {
            Stroke::Solid => chart.draw_series(LineSeries::new(seg, style))?,
            Stroke::Dashed => chart.draw_series(DashedLineSeries::new(seg, 9, 6, style))?,
        };
    }
    Ok(())
}

/// Draws each present value as a filled dot (for sparse series such as auction prices).
pub(crate) fn draw_points<DB, Y>(
    chart: &mut TimeChart<'_, DB, Y>,
    xs: &[f64],
    ys: &[Option<f64>],
    colour: RGBColor,
    radius: u32,
    log: bool,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let points = segments(xs, ys, log).into_iter().flatten();
    chart.draw_series(points.map(|p| Circle::new(p, radius, colour.filled())))?;
    Ok(())
}

/// Draws each positive value as a bar `width` days wide, from zero (for counts per tick).
pub(crate) fn draw_bars<DB, Y>(
    chart: &mut TimeChart<'_, DB, Y>,
    xs: &[f64],
    ys: &[Option<f64>],
    colour: RGBColor,
    width: f64,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let bars = xs.iter().zip(ys).filter_map(|(&x, y)| match y {
        Some(y) if *y > 0.0 => Some(Rectangle::new(
            [(x - width / 2.0, 0.0), (x + width / 2.0, *y)],
            colour.filled(),
        )),
        _ => None,
    });
    chart.draw_series(bars)?;
    Ok(())
}

/// Shades the area between two series wherever both are present.
pub(crate) fn shade_between<DB, Y>(
    chart: &mut TimeChart<'_, DB, Y>,
    xs: &[f64],
    a: &[Option<f64>],
    b: &[Option<f64>],
    colour: RGBAColor,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let both: Vec<Option<(f64, f64)>> = a.iter().zip(b).map(|(a, b)| a.zip(*b)).collect();
    let mut polygons = Vec::new();
    let mut run: Vec<(f64, f64, f64)> = Vec::new();
    for (i, pair) in both.iter().enumerate() {
        if let Some((a, b)) = pair {
            run.push((xs[i], *a, *b));
        }
        if (pair.is_none() || i + 1 == both.len()) && !run.is_empty() {
            let mut poly: Vec<(f64, f64)> = run.iter().map(|&(x, a, _)| (x, a)).collect();
            poly.extend(run.iter().rev().map(|&(x, _, b)| (x, b)));
            polygons.push(Polygon::new(poly, colour.filled()));
            run.clear();
        }
    }
    chart.draw_series(polygons)?;
    Ok(())
}

/// Draws a horizontal reference line across the panel.
pub(crate) fn draw_hline<DB, Y>(
    chart: &mut TimeChart<'_, DB, Y>,
    axis: &TimeAxis,
    y: f64,
    style: ShapeStyle,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let (lo, hi) = axis.bounds();
    chart.draw_series(DashedLineSeries::new([(lo, y), (hi, y)], 6, 5, style))?;
    Ok(())
}

/// Marks each generation's release (its first row) with a dashed vertical line and its
/// name, so price jumps can be read against the arrival of newer GPUs.
pub(crate) fn draw_releases<DB, Y>(
    chart: &mut TimeChart<'_, DB, Y>,
    releases: &[(String, f64, RGBColor)],
    y: &Range<f64>,
    size: f64,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    for (name, x, colour) in releases {
        let style = colour.mix(0.7).stroke_width(1);
        chart.draw_series(DashedLineSeries::new(
            [(*x, y.start), (*x, y.end)],
            5,
            5,
            style,
        ))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((*x, y.end))
                + Text::new(name.clone(), (4, 4), font(size).color(colour)),
        ))?;
    }
    Ok(())
}

/// What a legend entry shows.
#[derive(Clone, Copy)]
pub(crate) enum Key {
    Line(Stroke),
    Dot,
    Patch,
}

/// Draws a solid line of `colour` and gives it a legend entry.
pub(crate) fn draw_labelled_line<'a, DB, Y>(
    chart: &mut TimeChart<'a, DB, Y>,
    xs: &[f64],
    ys: &[Option<f64>],
    label: &str,
    colour: RGBColor,
    width: u32,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    draw_line(
        chart,
        xs,
        ys,
        colour.stroke_width(width),
        Stroke::Solid,
        false,
    )?;
    legend_entry(chart, label, Key::Line(Stroke::Solid), colour.to_rgba(), 2)
}

/// Adds a legend entry without drawing data, so legends can list generations and
/// line styles separately instead of one entry per (generation, style) pair.
pub(crate) fn legend_entry<'a, DB, Y>(
    chart: &mut TimeChart<'a, DB, Y>,
    label: &str,
    key: Key,
    colour: RGBAColor,
    width: u32,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let style = colour.stroke_width(width);
    let anno = chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), u32>>())?
        .label(label);
    match key {
        Key::Line(Stroke::Solid) => {
            anno.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], style));
        }
        Key::Line(Stroke::Dashed) => {
            anno.legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (9, 0)], style)
                    + PathElement::new(vec![(15, 0), (28, 0)], style)
            });
        }
        Key::Dot => {
            anno.legend(move |(x, y)| Circle::new((x + 14, y), 5, colour.filled()));
        }
        Key::Patch => {
            anno.legend(move |(x, y)| {
                Rectangle::new([(x, y - 7), (x + 28, y + 7)], colour.filled())
            });
        }
    }
    Ok(())
}

/// Draws the legend box of a panel.
pub(crate) fn draw_legend<'a, DB, Y>(
    chart: &mut TimeChart<'a, DB, Y>,
    position: SeriesLabelPosition,
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .position(position)
        .margin(10)
        .legend_area_size(34)
        .background_style(WHITE.mix(0.85))
        .border_style(INK.mix(0.4))
        .label_font(font(scale.legend))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_values_break_lines() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        let ys = [Some(1.0), None, Some(3.0), Some(4.0), Some(-1.0)];
        assert_eq!(segments(&xs, &ys, false).len(), 2);
        let log = segments(&xs, &ys, true);
        assert_eq!(log, vec![vec![(1.0, 1.0)], vec![(3.0, 3.0), (4.0, 4.0)]]);
    }
}
