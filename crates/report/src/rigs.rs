//! `rigs` (worlds with ASIC rigs only): the simulated rig price index in $/TH by
//! efficiency tier, the hashprice that drives it, and the rigs switched off because the
//! hashprice no longer covered their owners' power.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::ReportError;
use crate::data::{RunData, Series, Table};
use crate::plot::{
    self, Chart, DrawResult, FULL, Key, ORANGE, PanelSpec, RED, Scale, Stroke, draw_legend,
    draw_line, draw_points, legend_entry, palette, pct,
};

/// Efficiency tiers of `rigs.csv`, as its column suffixes and as the chart labels them.
pub(crate) const TIERS: [(&str, &str); 4] = [
    ("under_25", "under 25 J/TH"),
    ("25_38", "25-38 J/TH"),
    ("38_68", "38-68 J/TH"),
    ("over_68", "over 68 J/TH"),
];

/// One tier of the index.
pub(crate) struct Tier {
    pub label: &'static str,
    /// $/TH every week (carried values included), `None` before the first trade.
    pub usd_per_th: Series,
    /// $/TH on the weeks the tier traded only.
    pub traded: Series,
}

/// The columns of `rigs.csv` the charts draw.
pub(crate) struct RigData {
    pub x: Vec<f64>,
    pub hashprice: Series,
    pub switched_off_share: Series,
    pub tiers: Vec<Tier>,
}

impl RigData {
    /// Reads `rigs.csv` if the run wrote one (a world with rigs).
    pub(crate) fn load(path: &Path) -> Result<Option<Self>, ReportError> {
        if !path.exists() {
            return Ok(None);
        }
        let table = Table::read(path)?;
        let mut tiers = Vec::new();
        for (suffix, label) in TIERS {
            let usd_per_th = table.numbers(&format!("usd_per_th_{suffix}"))?;
            let carried = table.numbers(&format!("carried_{suffix}"))?;
            let traded = usd_per_th
                .iter()
                .zip(&carried)
                .map(|(v, c)| v.filter(|_| *c == Some(0.0)))
                .collect();
            tiers.push(Tier {
                label,
                usd_per_th,
                traded,
            });
        }
        Ok(Some(RigData {
            x: table.days("date")?,
            hashprice: table.numbers("hashprice")?,
            switched_off_share: table.numbers("switched_off_share")?,
            tiers,
        }))
    }
}

/// The index per tier: a line through every week (carried weeks included) and a dot on
/// each week the tier actually traded, so a flat stretch without dots reads as "no trade".
fn draw_index_panel<DB>(
    area: &DrawingArea<DB, Shift>,
    rigs: &RigData,
    span: (f64, f64),
    scale: Scale,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let y = plot::linear_range(rigs.tiers.iter().map(|t| &t.usd_per_th), true);
    let spec = PanelSpec {
        caption: "Rig price index by efficiency tier (dots: weeks with trades)",
        y_desc: "USD per TH/s",
        scale,
    };
    let (mut chart, _) = plot::time_chart(area, span, y, &spec)?;
    for (i, tier) in rigs.tiers.iter().enumerate() {
        if tier.usd_per_th.iter().all(Option::is_none) {
            continue;
        }
        let style = palette(i).stroke_width(scale.line);
        draw_line(
            &mut chart,
            &rigs.x,
            &tier.usd_per_th,
            style,
            Stroke::Solid,
            false,
        )?;
        draw_points(&mut chart, &rigs.x, &tier.traded, palette(i), 3, false)?;
        legend_entry(
            &mut chart,
            tier.label,
            Key::Line(Stroke::Solid),
            palette(i).to_rgba(),
            2,
        )?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight, scale)
}

/// The `rigs` page: the index on top, the hashprice and switched-off share below.
pub(crate) struct Rigs<'a>(pub &'a RunData, pub &'a RigData);

impl Chart for Rigs<'_> {
    fn name(&self) -> &'static str {
        "rigs"
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (run, rigs) = (self.0, self.1);
        let body = plot::page(root, &format!("{}: rigs", run.label()))?;
        let (top, bottom) = plot::split_rows(&body, 0.55);
        let span = run.span();
        draw_index_panel(&top, rigs, span, FULL)?;
        let lower = bottom.split_evenly((1, 2));
        let spec = PanelSpec {
            caption: "Hashprice",
            y_desc: "USD per PH/s per day",
            scale: FULL,
        };
        let series = [("hashprice", &rigs.hashprice, ORANGE)];
        plot::draw_series_panel(&lower[0], &rigs.x, span, &spec, &series, false)?;
        let spec = PanelSpec {
            caption: "Rigs switched off (hashprice below their power cost)",
            y_desc: "% of installed rigs",
            scale: FULL,
        };
        let off = pct(&rigs.switched_off_share);
        let series = [("switched off", &off, RED)];
        plot::draw_series_panel(&lower[1], &rigs.x, span, &spec, &series, false)
    }
}
