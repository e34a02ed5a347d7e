//! Overlays of several runs: price paths per generation, default waves and the
//! collateral gap, one colour per run; and the side-by-side summary table.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;

use crate::ReportError;
use crate::data::{RunData, Series};
use crate::plot::{
    self, Chart, DrawResult, FULL, INK, Key, PanelSpec, Scale, Stroke, draw_hline, draw_legend,
    draw_line, draw_points, legend_entry, palette, pct, shade_between,
};

/// The summary keys in the order `docs/outputs.md` lists them; other keys follow sorted.
const SUMMARY_KEYS: [&str; 31] = [
    "world",
    "seed",
    "ticks",
    "start_date",
    "end_date",
    "operators",
    "defaults_total",
    "default_rate",
    "distressed_discount",
    "lender_sale_discount",
    "peak_discount",
    "peak_discount_generation",
    "peak_discount_date",
    "peak_gap_to_fundamental",
    "distressed_lots_traded",
    "voluntary_lots_traded",
    "voluntary_trade_weeks_share",
    "recovery_rate",
    "lender_losses_usd",
    "lender_failures",
    "weeks_to_clear_repossessed",
    "repossessed_lots_total",
    "unsold_inventory_end",
    "repo_volume_total",
    "ledger_max_imbalance_usd",
    "ledger_max_balance_sheet_usd",
    "lots_created",
    "lots_scrapped",
    "trades_total",
    "mean_spread_charged",
    "break_even_spread",
];

/// The runs being compared, with a distinct legend label for each.
pub(crate) struct Runs {
    pub runs: Vec<RunData>,
    pub labels: Vec<String>,
}

impl Runs {
    /// Labels are `world (seed N)`; duplicates get their directory appended.
    pub(crate) fn new(runs: Vec<RunData>) -> Self {
        let base: Vec<String> = runs.iter().map(RunData::label).collect();
        let labels = base
            .iter()
            .zip(&runs)
            .map(|(label, run)| {
                if base.iter().filter(|b| *b == label).count() > 1 {
                    format!("{label} [{}]", run.dir.display())
                } else {
                    label.clone()
                }
            })
            .collect();
        Self { runs, labels }
    }

    fn span(&self) -> (f64, f64) {
        let spans: Vec<Vec<f64>> = self
            .runs
            .iter()
            .map(|r| {
                let (a, b) = r.span();
                vec![a, b]
            })
            .collect();
        plot::span(&spans)
    }

    /// Generation names over all runs, by earliest release.
    fn generations(&self) -> Vec<String> {
        let mut first: BTreeMap<&str, f64> = BTreeMap::new();
        for g in self.runs.iter().flat_map(|r| &r.gens) {
            let e = first.entry(&g.name).or_insert(g.release());
            *e = e.min(g.release());
        }
        let mut names: Vec<(&str, f64)> = first.into_iter().collect();
        names.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0)));
        names.into_iter().map(|(n, _)| n.to_string()).collect()
    }

    fn legend_runs<'a, DB, Y>(&self, chart: &mut plot::TimeChart<'a, DB, Y>) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        Y: Ranged<ValueType = f64>,
    {
        for (i, label) in self.labels.iter().enumerate() {
            legend_entry(chart, label, Key::Patch, palette(i).to_rgba(), 1)?;
        }
        Ok(())
    }

    /// One run-level series per run on one panel.
    fn draw_overlay<DB>(
        &self,
        area: &DrawingArea<DB, Shift>,
        spec: &PanelSpec<'_>,
        get: impl Fn(&RunData) -> Series,
        zero_line: bool,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let series: Vec<Series> = self.runs.iter().map(&get).collect();
        let y = plot::linear_range(&series, true);
        let (mut chart, axis) = plot::time_chart(area, self.span(), y, spec)?;
        if zero_line {
            draw_hline(&mut chart, &axis, 0.0, INK.mix(0.5).stroke_width(1))?;
        }
        for (i, (run, s)) in self.runs.iter().zip(&series).enumerate() {
            let style = palette(i).stroke_width(spec.scale.line);
            draw_line(&mut chart, &run.ts.x, s, style, Stroke::Solid, false)?;
        }
        self.legend_runs(&mut chart)?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, spec.scale)
    }
}

/// `compare_price_paths`: one panel per generation, runs overlaid.
pub(crate) struct ComparePrices<'a>(pub &'a Runs);

impl ComparePrices<'_> {
    fn draw_generation<DB>(
        &self,
        area: &DrawingArea<DB, Shift>,
        name: &str,
        scale: Scale,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let runs = self.0;
        let gens: Vec<_> = runs
            .runs
            .iter()
            .map(|r| r.gens.iter().find(|g| g.name == name))
            .collect();
        let y = plot::log_range(
            gens.iter()
                .flatten()
                .flat_map(|g| [&g.secondary_price, &g.fundamental]),
        );
        let caption = format!("{name}: secondary price (dots) and fundamental (dashed)");
        let spec = PanelSpec {
            caption: &caption,
            y_desc: "USD per GPU (log scale)",
            scale,
        };
        let (mut chart, _) = plot::time_chart(area, runs.span(), plot::LogAxis::new(y), &spec)?;
        for (i, g) in gens.iter().enumerate() {
            let Some(g) = g else { continue };
            let colour = palette(i);
            let style = colour.mix(0.8).stroke_width(scale.line);
            draw_line(
                &mut chart,
                &g.x,
                &g.fundamental,
                style,
                Stroke::Dashed,
                true,
            )?;
            draw_points(
                &mut chart,
                &g.x,
                &g.secondary_price,
                colour,
                scale.point,
                true,
            )?;
        }
        runs.legend_runs(&mut chart)?;
        draw_legend(&mut chart, SeriesLabelPosition::LowerLeft, scale)
    }
}

impl Chart for ComparePrices<'_> {
    fn name(&self) -> &'static str {
        "compare_price_paths"
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let body = plot::page(root, "Secondary GPU prices by generation, runs compared")?;
        let names = self.0.generations();
        let cols = names.len().clamp(1, 2);
        let rows = names.len().div_ceil(cols).max(1);
        let scale = if rows > 1 { plot::COMPACT } else { FULL };
        for (area, name) in body.split_evenly((rows, cols)).iter().zip(&names) {
            self.draw_generation(area, name, scale)?;
        }
        Ok(())
    }
}

/// `compare_defaults`: the default waves and their aftermath, runs overlaid.
pub(crate) struct CompareDefaults<'a>(pub &'a Runs);

impl Chart for CompareDefaults<'_> {
    fn name(&self) -> &'static str {
        "compare_defaults"
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let runs = self.0;
        let body = plot::page(root, "Default waves, runs compared")?;
        let p = body.split_evenly((2, 2));
        let spec = |caption, y_desc| PanelSpec {
            caption,
            y_desc,
            scale: FULL,
        };
        let defaults = spec("Borrowers defaulted (cumulative)", "count");
        runs.draw_overlay(&p[0], &defaults, |r| r.ts.defaults_cum.clone(), false)?;
        let debt = spec("Defaulted debt (cumulative)", "USD");
        runs.draw_overlay(&p[1], &debt, |r| r.ts.defaulted_debt_cum.clone(), false)?;
        let lots = spec("Repossessed lots held by lenders", "lots");
        runs.draw_overlay(&p[2], &lots, |r| r.ts.inventory_lots.clone(), false)?;
        let equity = spec("Lender equity (inventory at market)", "USD");
        runs.draw_overlay(&p[3], &equity, |r| r.ts.lender_equity.clone(), true)
    }
}

/// The LTV gap in percentage points: market LTV minus paper LTV.
fn ltv_gap(run: &RunData) -> Series {
    let (paper, market) = (&run.ts.ltv_paper, &run.ts.ltv_market);
    paper
        .iter()
        .zip(market)
        .map(|(p, m)| p.zip(*m).map(|(p, m)| (m - p) * 100.0))
        .collect()
}

/// `compare_ltv_gap`: paper vs market LTV per run, and the gap itself.
pub(crate) struct CompareLtv<'a>(pub &'a Runs);

impl Chart for CompareLtv<'_> {
    fn name(&self) -> &'static str {
        "compare_ltv_gap"
    }

    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let runs = self.0;
        let body = plot::page(root, "Collateral illusion, runs compared")?;
        let (top, bottom) = plot::split_rows(&body, 0.55);
        let ltvs: Vec<(Series, Series)> = runs
            .runs
            .iter()
            .map(|r| (pct(&r.ts.ltv_paper), pct(&r.ts.ltv_market)))
            .collect();
        let y = plot::linear_range(ltvs.iter().flat_map(|(p, m)| [p, m]), true);
        let spec = PanelSpec {
            caption: "Loan-to-value at paper marks (dashed) vs market prices (solid)",
            y_desc: "LTV (% of collateral value)",
            scale: FULL,
        };
        let (mut chart, _) = plot::time_chart(&top, runs.span(), y, &spec)?;
        for (i, (run, (paper, market))) in runs.runs.iter().zip(&ltvs).enumerate() {
            let colour = palette(i);
            let xs = &run.ts.x;
            shade_between(&mut chart, xs, paper, market, colour.mix(0.12))?;
            let style = colour.stroke_width(FULL.line);
            draw_line(&mut chart, xs, paper, style, Stroke::Dashed, false)?;
            draw_line(&mut chart, xs, market, style, Stroke::Solid, false)?;
        }
        runs.legend_runs(&mut chart)?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, FULL)?;
        let gap = PanelSpec {
            caption: "LTV gap: market minus paper",
            y_desc: "percentage points of LTV",
            scale: FULL,
        };
        runs.draw_overlay(&bottom, &gap, ltv_gap, true)
    }
}

/// A summary value for the Markdown table: integers as written, other numbers compact.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.replace('|', "\\|"),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) if i.abs() < 1_000_000 => i.to_string(),
            (_, Some(f)) => plot::fmt_num(f),
            _ => n.to_string(),
        },
        Some(v) => v.to_string().replace('|', "\\|"),
    }
}

/// A summary value for the CSV: full precision, strings unquoted, null empty.
fn raw(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// Summary keys to show: the documented ones, then any others present, sorted.
fn keys(runs: &Runs) -> Vec<String> {
    let mut keys: Vec<String> = SUMMARY_KEYS.iter().map(|k| k.to_string()).collect();
    let extra: std::collections::BTreeSet<&String> = runs
        .runs
        .iter()
        .filter_map(|r| r.summary.as_ref())
        .flat_map(|s| s.map.keys())
        .filter(|k| !SUMMARY_KEYS.contains(&k.as_str()))
        .collect();
    keys.extend(extra.into_iter().cloned());
    keys
}

fn value<'a>(run: &'a RunData, key: &str) -> Option<&'a Value> {
    run.summary.as_ref().and_then(|s| s.map.get(key))
}

/// The side-by-side Markdown table: one row per summary key, one column per run.
pub(crate) fn markdown_table(runs: &Runs) -> String {
    let mut out = String::from("| metric |");
    for label in &runs.labels {
        out += &format!(" {} |", label.replace('|', "\\|"));
    }
    out += "\n|---|";
    out += &"---:|".repeat(runs.labels.len());
    out += "\n";
    for key in keys(runs) {
        out += &format!("| {key} |");
        for run in &runs.runs {
            out += &format!(" {} |", cell(value(run, &key)));
        }
        out += "\n";
    }
    out
}

/// The same data for analysis: one row per run (`run`, `dir`, then the summary keys).
pub(crate) fn csv_table(runs: &Runs, path: &Path) -> Result<Vec<u8>, ReportError> {
    let keys = keys(runs);
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| ReportError::Csv {
        path: path.to_path_buf(),
        source: e,
    };
    let header = ["run".to_string(), "dir".to_string()]
        .into_iter()
        .chain(keys.iter().cloned());
    w.write_record(header).map_err(csv_err)?;
    for (run, label) in runs.runs.iter().zip(&runs.labels) {
        let row = [label.clone(), run.dir.display().to_string()]
            .into_iter()
            .chain(keys.iter().map(|k| raw(value(run, k))));
        w.write_record(row).map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| ReportError::io(path, e.into_error()))
}
