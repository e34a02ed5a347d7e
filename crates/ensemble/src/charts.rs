//! The charts of an ensemble (a fan chart per key series) and of a sweep (each headline
//! figure against the first varied parameter, and a heatmap when two are crossed),
//! drawn by `firesale-report` from the aggregates.

use std::path::{Path, PathBuf};

use firesale_report::{
    FanChart, Heatmap, SweepChart, SweepLine, plot_fan, plot_heatmap, plot_sweep,
};

use crate::EnsembleError;
use crate::key_series::TickBands;
use crate::plan::Plan;
use crate::quantiles::Band;
use crate::summaries::{HEADLINES, HeadlineValues};

/// Directory of the charts inside an output directory.
pub const PLOTS_DIR: &str = "plots";

/// One fan chart per key series that has a value in some run at some tick.
pub fn fan_charts(
    out: &Path,
    plan: &Plan,
    bands: &TickBands,
) -> Result<Vec<PathBuf>, EnsembleError> {
    let dir = out.join(PLOTS_DIR);
    let mut files = Vec::new();
    for s in &bands.series {
        if s.bands.iter().all(Option::is_none) {
            continue;
        }
        let chart = FanChart {
            name: s.series.chart_name(),
            page_title: format!(
                "{}: {} runs from base seed {}",
                plan.world,
                plan.runs.len(),
                plan.base_seed
            ),
            caption: s.series.title.clone(),
            y_desc: s.series.y_desc.to_string(),
            percent: s.series.percent,
            dates: bands.dates.clone(),
            quantiles: s
                .bands
                .iter()
                .map(|b| Band::quantiles(b.as_ref()))
                .collect(),
        };
        files.extend(plot_fan(&dir, &chart)?);
    }
    Ok(files)
}

/// Where each point of a sweep sits on the charts: its x position (index into the first
/// field's values) and its line (the other fields' values).
struct Layout {
    x: Vec<f64>,
    x_labels: Vec<String>,
    line_labels: Vec<String>,
    /// `(x index, line index)` of each point.
    at: Vec<(usize, usize)>,
}

impl Layout {
    fn of(plan: &Plan) -> Layout {
        let first = &plan.varied[0];
        let (x_labels, at_x): (Vec<String>, Vec<usize>) = if plan.paired {
            let labels = plan.points.iter().map(|p| p.values[0].clone()).collect();
            (labels, (0..plan.points.len()).collect())
        } else {
            let at = plan
                .points
                .iter()
                .map(|p| {
                    first
                        .values
                        .iter()
                        .position(|v| *v == p.values[0])
                        .unwrap_or(0)
                })
                .collect();
            (first.values.clone(), at)
        };
        let numeric: Option<Vec<f64>> = x_labels.iter().map(|v| v.parse::<f64>().ok()).collect();
        let x = numeric.unwrap_or_else(|| (0..x_labels.len()).map(|i| i as f64).collect());
        let mut line_labels: Vec<String> = Vec::new();
        let mut at = Vec::new();
        for (p, point) in plan.points.iter().enumerate() {
            let label = if plan.paired {
                String::new()
            } else {
                plan.varied[1..]
                    .iter()
                    .zip(&point.values[1..])
                    .map(|(v, value)| format!("{}={value}", v.path))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let line = match line_labels.iter().position(|l| *l == label) {
                Some(i) => i,
                None => {
                    line_labels.push(label);
                    line_labels.len() - 1
                }
            };
            at.push((at_x[p], line));
        }
        Layout {
            x,
            x_labels,
            line_labels,
            at,
        }
    }
}

/// The sweep charts of every headline figure some run has.
pub fn sweep_charts(
    out: &Path,
    plan: &Plan,
    headline: &HeadlineValues,
) -> Result<Vec<PathBuf>, EnsembleError> {
    let dir = out.join(PLOTS_DIR);
    let layout = Layout::of(plan);
    let first = &plan.varied[0].path;
    let paths: Vec<&str> = plan.varied.iter().map(|v| v.path.as_str()).collect();
    let swept = paths.join(if plan.paired { " with " } else { " × " });
    let page_title = format!(
        "{}: sweep of {swept}, {} seeds per point, base seed {}",
        plan.world, plan.runs_per_point, plan.base_seed
    );
    let mut files = Vec::new();
    for (f, h) in HEADLINES.iter().enumerate() {
        let values = &headline[f];
        if values.iter().all(|v| v.is_nan()) {
            continue;
        }
        // The figure at each point, across its seeds.
        let per_point: Vec<Option<Band>> = (0..plan.points.len())
            .map(|p| {
                let of_point: Vec<f64> = plan
                    .runs
                    .iter()
                    .filter(|r| r.point == p)
                    .map(|r| values[r.index])
                    .collect();
                Band::of(&of_point)
            })
            .collect();
        let mut lines: Vec<SweepLine> = layout
            .line_labels
            .iter()
            .map(|label| SweepLine {
                label: label.clone(),
                quantiles: vec![[None; 5]; layout.x.len()],
            })
            .collect();
        for (p, &(xi, li)) in layout.at.iter().enumerate() {
            lines[li].quantiles[xi] = Band::quantiles(per_point[p].as_ref());
        }
        let chart = SweepChart {
            name: format!("sweep_{}", h.key),
            page_title: page_title.clone(),
            caption: if lines.len() == 1 {
                format!("{}: median, 25–75% and 5–95% across seeds", h.title)
            } else {
                format!("{}: median and 25–75% across seeds", h.title)
            },
            x_desc: first.clone(),
            y_desc: h.y_desc.to_string(),
            percent: h.percent,
            x: layout.x.clone(),
            x_labels: layout.x_labels.clone(),
            lines,
        };
        files.extend(plot_sweep(&dir, &chart)?);
        if plan.varied.len() == 2 && !plan.paired {
            let (a, b) = (&plan.varied[0], &plan.varied[1]);
            let values = (0..a.values.len())
                .map(|i| {
                    (0..b.values.len())
                        .map(|j| per_point[i * b.values.len() + j].map(|band| band.q[2]))
                        .collect()
                })
                .collect();
            let map = Heatmap {
                name: format!("heatmap_{}", h.key),
                page_title: page_title.clone(),
                caption: format!("{}: median across seeds", h.title),
                x_desc: a.path.clone(),
                y_desc: b.path.clone(),
                percent: h.percent,
                x_labels: a.values.clone(),
                y_labels: b.values.clone(),
                values,
            };
            files.extend(plot_heatmap(&dir, &map)?);
        }
    }
    Ok(files)
}
