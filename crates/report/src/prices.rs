//! `price_paths`: where the secondary market cleared against what a GPU is worth
//! (fundamental) and what lenders carry it at (book value), and the fire-sale discount.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::RunData;
use crate::plot::{
    self, Chart, DrawResult, FULL, INK, Key, PanelSpec, Scale, Stroke, draw_hline, draw_legend,
    draw_line, draw_points, draw_releases, legend_entry, palette, pct,
};

/// Each generation's name, release day and colour, for release markers.
pub(crate) fn releases(run: &RunData) -> Vec<(String, f64, RGBColor)> {
    run.gens
        .iter()
        .enumerate()
        .map(|(i, g)| (g.name.clone(), g.release(), palette(i)))
        .collect()
}

/// Secondary clearing prices (dots, only where a trade happened), fundamental (solid)
/// and book value (dashed) per generation, on a log axis because prices span decades.
pub(crate) fn draw_price_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let y = plot::log_range(
        run.gens
            .iter()
            .flat_map(|g| [&g.secondary_price, &g.fundamental, &g.book_value]),
    );
    let spec = PanelSpec {
        caption: "Secondary GPU prices vs fundamental (reference) and book value",
        y_desc: "USD per GPU (log scale)",
        scale,
    };
    let (mut chart, _) = plot::time_chart(area, span, plot::LogAxis::new(y.clone()), &spec)?;
    draw_releases(&mut chart, &releases(run), &y, scale.legend)?;
    for (i, g) in run.gens.iter().enumerate() {
        let colour = palette(i);
        let line = colour.stroke_width(scale.line);
        draw_line(&mut chart, &g.x, &g.fundamental, line, Stroke::Solid, true)?;
        draw_line(&mut chart, &g.x, &g.book_value, line, Stroke::Dashed, true)?;
        draw_points(
            &mut chart,
            &g.x,
            &g.voluntary_price,
            lighter(colour),
            scale.point.saturating_sub(1).max(2),
            true,
        )?;
        draw_points(
            &mut chart,
            &g.x,
            &g.distressed_price,
            colour,
            scale.point + 1,
            true,
        )?;
        legend_entry(&mut chart, &g.name, Key::Patch, colour.to_rgba(), 1)?;
    }
    let ink = INK.to_rgba();
    legend_entry(&mut chart, "distressed sale (large dot)", Key::Dot, ink, 2)?;
    legend_entry(
        &mut chart,
        "voluntary sale only (small, pale dot)",
        Key::Dot,
        lighter(INK).to_rgba(),
        2,
    )?;
    legend_entry(&mut chart, "fundamental", Key::Line(Stroke::Solid), ink, 2)?;
    legend_entry(&mut chart, "book value", Key::Line(Stroke::Dashed), ink, 2)?;
    draw_legend(&mut chart, SeriesLabelPosition::LowerLeft, scale)
}

/// A colour blended halfway-plus toward white, for voluntary trades.
fn lighter(c: RGBColor) -> RGBColor {
    let up = |v: u8| v + ((255 - v) as f64 * 0.55) as u8;
    RGBColor(up(c.0), up(c.1), up(c.2))
}

/// The fire-sale discount per generation: `1 - distressed price / non-distressed
/// reference` (Pulvino 1998), where distressed lots traded.
pub(crate) fn draw_discount_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let discounts: Vec<_> = run.gens.iter().map(|g| pct(&g.discount)).collect();
    let y = plot::linear_range(&discounts, true);
    let spec = PanelSpec {
        caption: "Fire-sale discount (distressed vs non-distressed price)",
        y_desc: "% below the non-distressed price",
        scale,
    };
    let (mut chart, axis) = plot::time_chart(area, span, y, &spec)?;
    draw_hline(&mut chart, &axis, 0.0, INK.mix(0.5).stroke_width(1))?;
    for (i, (g, d)) in run.gens.iter().zip(&discounts).enumerate() {
        let colour = palette(i);
        draw_line(
            &mut chart,
            &g.x,
            d,
            colour.mix(0.5).stroke_width(1),
            Stroke::Solid,
            false,
        )?;
        draw_points(
            &mut chart,
            &g.x,
            d,
            colour,
            scale.point.saturating_sub(1).max(2),
            false,
        )?;
    }
    Ok(())
}

/// The `price_paths` page: prices on top, discount below.
pub(crate) struct PricePaths<'a>(pub &'a RunData);

impl Chart for PricePaths<'_> {
    fn name(&self) -> &'static str {
        "price_paths"
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let run = self.0;
        let body = plot::page(root, &format!("{}: secondary market prices", run.label()))?;
        let (top, bottom) = plot::split_rows(&body, 0.66);
        let span = run.span();
        draw_price_panel(&top, run, span, FULL)?;
        draw_discount_panel(&bottom, run, span, FULL)
    }
}
