//! `defaults`: the default wave and what it leaves behind: defaulted debt, repossessed
//! inventory lenders cannot sell, and lender equity.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::RunData;
use crate::plot::{
    self, Chart, DrawResult, FULL, GREEN, ORANGE, PURPLE, PanelSpec, RED, Scale, draw_bars,
};

/// Bar width in days: 70% of the smallest gap between ticks, so weekly bars do not touch.
fn bar_width(xs: &[f64]) -> f64 {
    let gap = xs
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    if gap.is_finite() { gap * 0.7 } else { 5.0 }
}

/// Borrowers defaulting each tick, as bars.
pub(crate) fn draw_defaults_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let ts = &run.ts;
    let mut y = plot::linear_range([&ts.defaults], true);
    y.end = y.end.max(1.0);
    let spec = PanelSpec {
        caption: "Default wave",
        y_desc: "borrowers defaulting (count per tick)",
        scale,
    };
    let (mut chart, _) = plot::time_chart(area, span, y, &spec)?;
    draw_bars(&mut chart, &ts.x, &ts.defaults, RED, bar_width(&ts.x))?;
    Ok(())
}

/// Principal outstanding at default, summed over the run.
pub(crate) fn draw_defaulted_debt_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let spec = PanelSpec {
        caption: "Defaulted debt (cumulative)",
        y_desc: "USD",
        scale,
    };
    let series = [("defaulted principal", &run.ts.defaulted_debt_cum, RED)];
    plot::draw_series_panel(area, &run.ts.x, span, &spec, &series, false)
}

/// Repossessed lots still held and lots offered but unsold: the overhang on the market.
pub(crate) fn draw_inventory_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let spec = PanelSpec {
        caption: "Repossessed inventory and unsold listings",
        y_desc: "lots",
        scale,
    };
    let series = [
        (
            "repossessed lots held by lenders",
            &run.ts.inventory_lots,
            PURPLE,
        ),
        (
            "listed but unsold this tick",
            &run.ts.listed_unsold_lots,
            ORANGE,
        ),
    ];
    plot::draw_series_panel(area, &run.ts.x, span, &spec, &series, false)
}

/// Lenders' equity at market marks, with the zero line that means insolvency.
pub(crate) fn draw_equity_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let spec = PanelSpec {
        caption: "Lender equity (inventory at market)",
        y_desc: "USD",
        scale,
    };
    let series = [("lender equity", &run.ts.lender_equity, GREEN)];
    plot::draw_series_panel(area, &run.ts.x, span, &spec, &series, true)
}

/// The `defaults` page, 2×2.
pub(crate) struct Defaults<'a>(pub &'a RunData);

impl Chart for Defaults<'_> {
    fn name(&self) -> &'static str {
        "defaults"
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let run = self.0;
        let body = plot::page(
            root,
            &format!("{}: defaults and repossessions", run.label()),
        )?;
        let panels = body.split_evenly((2, 2));
        let span = run.span();
        draw_defaults_panel(&panels[0], run, span, FULL)?;
        draw_defaulted_debt_panel(&panels[1], run, span, FULL)?;
        draw_inventory_panel(&panels[2], run, span, FULL)?;
        draw_equity_panel(&panels[3], run, span, FULL)
    }
}
