//! `dashboard`: one page with the panels that tell a run's story, for a first look:
//! prices, compute, the collateral gap, defaults, lender equity and credit spreads.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::RunData;
use crate::plot::{self, COMPACT, Chart, DrawResult};
use crate::{collateral, compute, credit, defaults, prices};

/// The `dashboard` page, 3 rows × 2 columns, titled with world, seed and dates.
pub(crate) struct Dashboard<'a>(pub &'a RunData);

impl Chart for Dashboard<'_> {
    fn name(&self) -> &'static str {
        "dashboard"
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let run = self.0;
        let seed = run
            .seed()
            .map(|s| format!(", seed {s}"))
            .unwrap_or_default();
        let title = format!("{}{seed}: {}", run.world(), run.date_range());
        let body = plot::page(root, &title)?;
        let p = body.split_evenly((3, 2));
        let span = run.span();
        prices::draw_price_panel(&p[0], run, span, COMPACT)?;
        compute::draw_compute_panel(&p[1], run, span, COMPACT)?;
        collateral::draw_ltv_panel(&p[2], run, span, COMPACT)?;
        defaults::draw_defaults_panel(&p[3], run, span, COMPACT)?;
        defaults::draw_equity_panel(&p[4], run, span, COMPACT)?;
        credit::draw_spread_panel(&p[5], run, span, COMPACT)
    }
}
