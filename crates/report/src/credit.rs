//! `credit`: the terms lenders offer on new loans, and how the repo market against GPU
//! inventory tightens (haircuts per generation) and shrinks (volume).

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::RunData;
use crate::plot::{
    self, BLUE, Chart, DrawResult, FULL, GREEN, Key, ORANGE, PanelSpec, Scale, Stroke, draw_legend,
    draw_line, legend_entry, palette, pct,
};

/// Average spread quoted for new loans by lenders still open.
pub(crate) fn draw_spread_panel<DB>(
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
        caption: "New-loan spread (open lenders)",
        y_desc: "% per year over risk-free",
        scale,
    };
    let spread = pct(&run.ts.new_loan_spread);
    let series = [("average quoted spread", &spread, ORANGE)];
    plot::draw_series_panel(area, &run.ts.x, span, &spec, &series, false)
}

/// Average maximum LTV quoted for new loans.
pub(crate) fn draw_max_ltv_panel<DB>(
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
        caption: "New-loan maximum LTV (open lenders)",
        y_desc: "% of collateral value",
        scale,
    };
    let ltv = pct(&run.ts.new_loan_max_ltv);
    let series = [("average quoted max LTV", &ltv, BLUE)];
    plot::draw_series_panel(area, &run.ts.x, span, &spec, &series, false)
}

/// Repo haircut per generation (100% means the desk no longer lends against it).
pub(crate) fn draw_haircut_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    run: &RunData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let haircuts: Vec<_> = run.gens.iter().map(|g| pct(&g.repo_haircut)).collect();
    let mut y = plot::linear_range(&haircuts, true);
    y.end = y.end.max(105.0);
    let spec = PanelSpec {
        caption: "Repo haircut per generation",
        y_desc: "haircut (% of value; 100 = no lending)",
        scale,
    };
    let (mut chart, _) = plot::time_chart(area, span, y, &spec)?;
    for (i, (g, h)) in run.gens.iter().zip(&haircuts).enumerate() {
        let style = palette(i).stroke_width(scale.line);
        draw_line(&mut chart, &g.x, h, style, Stroke::Solid, false)?;
        legend_entry(
            &mut chart,
            &g.name,
            Key::Line(Stroke::Solid),
            palette(i).to_rgba(),
            2,
        )?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight, scale)
}

/// Repo lending outstanding against GPU inventory.
pub(crate) fn draw_repo_volume_panel<DB>(
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
        caption: "Repo lending outstanding",
        y_desc: "USD",
        scale,
    };
    let series = [("repo volume", &run.ts.repo_volume, GREEN)];
    plot::draw_series_panel(area, &run.ts.x, span, &spec, &series, false)
}

/// The `credit` page, 2×2.
pub(crate) struct Credit<'a>(pub &'a RunData);

impl Chart for Credit<'_> {
    fn name(&self) -> &'static str {
        "credit"
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let run = self.0;
        let body = plot::page(root, &format!("{}: credit conditions", run.label()))?;
        let panels = body.split_evenly((2, 2));
        let span = run.span();
        draw_spread_panel(&panels[0], run, span, FULL)?;
        draw_max_ltv_panel(&panels[1], run, span, FULL)?;
        draw_haircut_panel(&panels[2], run, span, FULL)?;
        draw_repo_volume_panel(&panels[3], run, span, FULL)
    }
}
