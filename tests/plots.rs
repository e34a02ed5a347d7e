//! Every chart of a shipped world's run renders as PNG and SVG a person can read.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::fs;

/// Charts, with an axis title each must carry as text in its SVG.
const CHARTS: [(&str, &str); 6] = [
    ("price_paths", "USD per GPU (log scale)"),
    ("compute", "USD per GPU-hour"),
    ("defaults", "borrowers defaulting (count per tick)"),
    ("collateral", "LTV (% of collateral value)"),
    ("credit", "% per year over risk-free"),
    ("dashboard", "USD per GPU (log scale)"),
];

#[test]
fn every_chart_of_the_crisis_world_renders() {
    let w = world("subprime_compute", None, &["ticks=220"]);
    let (_, dir) = run(&w);
    let files = firesale_report::plot_run(dir.path()).expect("plots draw");
    assert_eq!(files.len(), 12, "six charts, PNG and SVG each: {files:?}");
    for (chart, axis_title) in CHARTS {
        let png = dir.path().join("plots").join(format!("{chart}.png"));
        let image = image::open(&png)
            .unwrap_or_else(|e| panic!("{chart}.png decodes: {e}"))
            .to_rgb8();
        assert_eq!(image.dimensions(), (1600, 1000), "{chart}.png size");
        let colours: BTreeSet<[u8; 3]> = image.pixels().map(|p| p.0).collect();
        assert!(
            colours.len() > 50,
            "{chart}.png is not blank: {} colours",
            colours.len()
        );
        let svg =
            fs::read_to_string(dir.path().join("plots").join(format!("{chart}.svg"))).unwrap();
        assert!(
            svg.contains(axis_title),
            "{chart}.svg carries the axis title {axis_title:?}"
        );
    }
    let dashboard = fs::read_to_string(dir.path().join("plots/dashboard.svg")).unwrap();
    assert!(
        dashboard.contains("subprime_compute") && dashboard.contains("42"),
        "the dashboard is titled with world and seed"
    );
}
