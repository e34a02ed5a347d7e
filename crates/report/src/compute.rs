//! `compute`: the compute spot price that drives every GPU's earnings, each
//! generation's rent, and how much of each generation is dispatched.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::RunData;
use crate::plot::{
    self, Chart, DrawResult, FULL, INK, Key, PanelSpec, Scale, Stroke, draw_legend, draw_line,
    legend_entry, palette, pct,
};

/// Compute spot price (thick dark line) and each generation's rent per GPU-hour.
pub(crate) fn draw_compute_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let y = plot::linear_range(
        std::iter::once(&run.ts.compute_price).chain(run.gens.iter().map(|g| &g.rent)),
        true,
    );
    let spec = PanelSpec {
        caption: "Compute spot price and rent per generation",
        y_desc: "USD per GPU-hour",
        scale,
    };
    let (mut chart, _) = plot::time_chart(area, span, y, &spec)?;
    for (i, g) in run.gens.iter().enumerate() {
        let style = palette(i).stroke_width(scale.line);
        draw_line(&mut chart, &g.x, &g.rent, style, Stroke::Solid, false)?;
        let label = format!("{} rent", g.name);
        legend_entry(
            &mut chart,
            &label,
            Key::Line(Stroke::Solid),
            palette(i).to_rgba(),
            2,
        )?;
    }
    let style = INK.stroke_width(scale.line + 1);
    draw_line(
        &mut chart,
        &run.ts.x,
        &run.ts.compute_price,
        style,
        Stroke::Solid,
        false,
    )?;
    let label = "compute price (per H100-equivalent hour)";
    legend_entry(
        &mut chart,
        label,
        Key::Line(Stroke::Solid),
        INK.to_rgba(),
        3,
    )?;
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight, scale)
}

/// Utilisation (dispatched / installed) per generation.
pub(crate) fn draw_utilisation_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let util: Vec<_> = run.gens.iter().map(|g| pct(&g.utilisation)).collect();
    let y = plot::linear_range(&util, true);
    let spec = PanelSpec {
        caption: "Utilisation per generation",
        y_desc: "% of installed capacity dispatched",
        scale,
    };
    let (mut chart, _) = plot::time_chart(area, span, y, &spec)?;
    for (i, (g, u)) in run.gens.iter().zip(&util).enumerate() {
        let style = palette(i).stroke_width(scale.line);
        draw_line(&mut chart, &g.x, u, style, Stroke::Solid, false)?;
        legend_entry(
            &mut chart,
            &g.name,
            Key::Line(Stroke::Solid),
            palette(i).to_rgba(),
            2,
        )?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerLeft, scale)
}

/// The `compute` page.
pub(crate) struct Compute<'a>(pub &'a RunData);

impl Chart for Compute<'_> {
    fn name(&self) -> &'static str {
        "compute"
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let run = self.0;
        let body = plot::page(root, &format!("{}: compute market", run.label()))?;
        let (top, bottom) = plot::split_rows(&body, 0.6);
        draw_compute_panel(&top, run, run.span(), FULL)?;
        draw_utilisation_panel(&bottom, run, run.span(), FULL)
    }
}
