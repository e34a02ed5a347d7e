//! `capital` (worlds with notes or GPU ABS only): the capital stack over time, the
//! tranches' losses (written off, and were the pool sold at its appraisal that week),
//! the notes outstanding and the yield of new issues.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::ReportError;
use crate::data::{RunData, Series, Table};
use crate::plot::{
    self, BLUE, Chart, DrawResult, FULL, GREEN, INK, ORANGE, PURPLE, PanelSpec, RED, pct,
};

/// The columns of `capital.csv` the chart draws.
pub(crate) struct CapitalData {
    pub x: Vec<f64>,
    pub convertible: Series,
    pub high_yield: Series,
    pub new_issue_yield: Series,
    /// Senior, mezzanine and equity principal outstanding (empty without a deal).
    pub principal: [Series; 3],
    /// Their shares of principal written off.
    pub loss: [Series; 3],
    /// Their shares lost were the pools sold at their appraisal that week.
    pub loss_at_marks: [Series; 3],
}

const TRANCHES: [&str; 3] = ["senior", "mezz", "equity"];

impl CapitalData {
    /// Reads `capital.csv` if the run wrote one.
    pub(crate) fn load(path: &Path) -> Result<Option<Self>, ReportError> {
        if !path.exists() {
            return Ok(None);
        }
        let table = Table::read(path)?;
        let columns = |suffix: &str| -> Result<[Series; 3], ReportError> {
            Ok([
                table.numbers(&format!("{}{suffix}", TRANCHES[0]))?,
                table.numbers(&format!("{}{suffix}", TRANCHES[1]))?,
                table.numbers(&format!("{}{suffix}", TRANCHES[2]))?,
            ])
        };
        Ok(Some(CapitalData {
            x: table.days("date")?,
            convertible: table.numbers("convertible_outstanding")?,
            high_yield: table.numbers("high_yield_outstanding")?,
            new_issue_yield: table.numbers("new_issue_yield")?,
            principal: columns("_principal")?,
            loss: columns("_loss")?,
            loss_at_marks: columns("_loss_at_marks")?,
        }))
    }

    fn has_deal(&self) -> bool {
        self.principal[0].iter().any(Option::is_some)
    }

    fn has_notes(&self) -> bool {
        self.convertible
            .iter()
            .chain(&self.high_yield)
            .any(|v| v.is_some_and(|v| v > 0.0))
    }
}

/// In millions of dollars.
fn millions(s: &Series) -> Series {
    s.iter().map(|v| v.map(|v| v / 1e6)).collect()
}

/// The `capital` page.
pub(crate) struct Capital<'a>(pub &'a RunData, pub &'a CapitalData);

impl Chart for Capital<'_> {
    fn name(&self) -> &'static str {
        "capital"
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (run, c) = (self.0, self.1);
        let body = plot::page(root, &format!("{}: capital stack and losses", run.label()))?;
        let span = run.span();
        let rows = usize::from(c.has_deal()) + usize::from(c.has_notes());
        let areas = body.split_evenly((rows.max(1), 2));
        let mut next = areas.iter();
        if c.has_deal() {
            let stack: Vec<Series> = c.principal.iter().map(millions).collect();
            let spec = PanelSpec {
                caption: "GPU ABS: principal outstanding by tranche",
                y_desc: "USD millions",
                scale: FULL,
            };
            let series = [
                ("senior", &stack[0], BLUE),
                ("mezzanine", &stack[1], ORANGE),
                ("equity (less cash paid)", &stack[2], GREEN),
            ];
            plot::draw_series_panel(next.next().unwrap(), &c.x, span, &spec, &series, false)?;
            let lost: Vec<Series> = c.loss.iter().map(pct).collect();
            let at_marks: Vec<Series> = c.loss_at_marks.iter().map(pct).collect();
            let spec = PanelSpec {
                caption: "Tranche losses: written off, and at the pool's appraisal",
                y_desc: "% of principal",
                scale: FULL,
            };
            // Shares of principal: a fixed 0-100% axis, so no loss reads as none.
            let (mut chart, _) = plot::time_chart(next.next().unwrap(), span, 0.0..100.0, &spec)?;
            for (label, s, colour) in [
                ("senior written off", &lost[0], BLUE),
                ("mezzanine written off", &lost[1], ORANGE),
                ("equity written off", &lost[2], GREEN),
                ("senior at appraisal", &at_marks[0], PURPLE),
                ("mezzanine at appraisal", &at_marks[1], RED),
                ("equity at appraisal", &at_marks[2], INK),
            ] {
                plot::draw_labelled_line(&mut chart, &c.x, s, label, colour, FULL.line)?;
            }
            plot::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, FULL)?;
        }
        if c.has_notes() {
            let conv = millions(&c.convertible);
            let hy = millions(&c.high_yield);
            let spec = PanelSpec {
                caption: "Operators' notes outstanding",
                y_desc: "USD millions",
                scale: FULL,
            };
            let series = [("convertibles", &conv, BLUE), ("high yield", &hy, ORANGE)];
            plot::draw_series_panel(next.next().unwrap(), &c.x, span, &spec, &series, false)?;
            let y = pct(&c.new_issue_yield);
            let spec = PanelSpec {
                caption: "Straight yield of each new note issue",
                y_desc: "% per year",
                scale: FULL,
            };
            // Issues are rare: a dot per issue.
            let range = plot::linear_range([&y], true);
            let (mut chart, _) = plot::time_chart(next.next().unwrap(), span, range, &spec)?;
            plot::draw_points(&mut chart, &c.x, &y, RED, 4, false)?;
        }
        Ok(())
    }
}
