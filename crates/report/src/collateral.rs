//! `collateral`: the collateral illusion. Lenders mark GPUs at their own (paper) values;
//! the market would pay less. The shaded gap between the two loan-to-value ratios is debt
//! that looks covered and is not. Below it, operators' debt service coverage.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::RunData;
use crate::plot::{
    self, BLUE, Chart, DrawResult, FULL, INK, Key, PURPLE, PanelSpec, RED, Scale, Stroke,
    draw_hline, draw_legend, draw_line, legend_entry, pct, shade_between,
};

/// LTV at paper marks (dashed) vs at market prices (solid), gap shaded, on a log axis:
/// collateral marked to a thin bid book can be worth a small fraction of the debt.
pub(crate) fn draw_ltv_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (paper, market) = (pct(&run.ts.ltv_paper), pct(&run.ts.ltv_market));
    let y = plot::log_range([&paper, &market]);
    let spec = PanelSpec {
        caption: "Collateral illusion: loan-to-value at paper marks vs market prices (log scale)",
        y_desc: "LTV (% of collateral value)",
        scale,
    };
    let (mut chart, axis) = plot::time_chart(area, span, plot::LogAxis::new(y.clone()), &spec)?;
    let xs = &run.ts.x;
    shade_between(&mut chart, xs, &paper, &market, RED.mix(0.18))?;
    if y.end > 100.0 {
        draw_hline(&mut chart, &axis, 100.0, INK.mix(0.6).stroke_width(1))?;
    }
    draw_line(
        &mut chart,
        xs,
        &paper,
        BLUE.stroke_width(scale.line),
        Stroke::Dashed,
        true,
    )?;
    draw_line(
        &mut chart,
        xs,
        &market,
        RED.stroke_width(scale.line),
        Stroke::Solid,
        true,
    )?;
    legend_entry(
        &mut chart,
        "LTV at market prices",
        Key::Line(Stroke::Solid),
        RED.to_rgba(),
        2,
    )?;
    let paper_label = "LTV at lenders' paper marks";
    legend_entry(
        &mut chart,
        paper_label,
        Key::Line(Stroke::Dashed),
        BLUE.to_rgba(),
        2,
    )?;
    legend_entry(&mut chart, "gap (illusion)", Key::Patch, RED.mix(0.18), 1)?;
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, scale)
}

/// Aggregate debt service coverage, with the 1.0 line below which operators cannot pay.
pub(crate) fn draw_dscr_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let mut y = plot::linear_range([&run.ts.dscr], true);
    y.end = y.end.max(1.2);
    let spec = PanelSpec {
        caption: "Debt service coverage of operators",
        y_desc: "DSCR (cash flow / debt service)",
        scale,
    };
    let (mut chart, axis) = plot::time_chart(area, span, y, &spec)?;
    draw_hline(&mut chart, &axis, 1.0, RED.stroke_width(1))?;
    let style = PURPLE.stroke_width(scale.line);
    draw_line(
        &mut chart,
        &run.ts.x,
        &run.ts.dscr,
        style,
        Stroke::Solid,
        false,
    )?;
    legend_entry(
        &mut chart,
        "DSCR",
        Key::Line(Stroke::Solid),
        PURPLE.to_rgba(),
        2,
    )?;
    let one = "DSCR = 1 (cash flow just covers debt service)";
    legend_entry(&mut chart, one, Key::Line(Stroke::Dashed), RED.to_rgba(), 1)?;
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight, scale)
}

/// The `collateral` page.
pub(crate) struct Collateral<'a>(pub &'a RunData);

impl Chart for Collateral<'_> {
    fn name(&self) -> &'static str {
        "collateral"
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let run = self.0;
        let body = plot::page(root, &format!("{}: collateral and coverage", run.label()))?;
        let (top, bottom) = plot::split_rows(&body, 0.6);
        draw_ltv_panel(&top, run, run.span(), FULL)?;
        draw_dscr_panel(&bottom, run, run.span(), FULL)
    }
}
