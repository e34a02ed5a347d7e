//! Tests on synthetic runs: 120 weekly ticks, three generations released at different
//! times, auction prices only every third week, and a default wave in the middle.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};

use crate::{ReportError, compare_runs, plot_run};

const TICKS: usize = 120;
const CHARTS: [&str; 6] = [
    "price_paths",
    "compute",
    "defaults",
    "collateral",
    "credit",
    "dashboard",
];

const TS_HEADER: &str = "tick,date,compute_price,btc_price,hashprice,demand_index,\
risk_free_rate,stress,defaults,defaults_cum,defaulted_debt_cum,tenant_defaults_cum,\
repossessed_lots_cum,inventory_lots,listed_unsold_lots,lender_equity,lender_failures_cum,\
new_loan_spread,new_loan_max_ltv,ltv_paper,ltv_market,dscr,repo_volume,operators_active";

const GEN_HEADER: &str = "tick,date,generation,rent,utilisation,installed_lots,\
secondary_price,last_trade_price,weeks_since_trade,volume,listed_lots,unsold_lots,\
bid_depth_10,bid_depth_25,bid_depth_50,fundamental,book_value,distressed_discount,repo_haircut,\
distressed_price,voluntary_price";

/// (name, release tick, list price $/GPU, performance vs H100)
const GENERATIONS: [(&str, usize, f64, f64); 3] = [
    ("A100", 0, 12_000.0, 0.6),
    ("H100", 20, 30_000.0, 1.0),
    ("B200", 60, 45_000.0, 2.2),
];

/// Writes a run directory with all three output files. `shock` scales the crisis.
fn write_run(dir: &Path, world: &str, seed: u64, shock: f64) {
    std::fs::create_dir_all(dir).unwrap();
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let date = |t: usize| start + Duration::weeks(t as i64);
    let stress = |t: usize| shock / (1.0 + (-(t as f64 - 60.0) / 8.0).exp());

    let mut ts = format!("{TS_HEADER}\n");
    let mut cum = 0.0;
    for t in 0..TICKS {
        let s = stress(t);
        let price = 2.5 * (1.0 - 0.6 * s) + 0.1 * (t as f64 / 5.0).sin();
        let defaults = (4.0 * shock * (-((t as f64 - 70.0) / 8.0).powi(2)).exp()).round();
        cum += defaults;
        let debt = cum * 5.0e7;
        let dscr = if t < 3 {
            String::new()
        } else {
            format!("{}", 1.8 - 1.2 * s)
        };
        writeln!(
            ts,
            "{t},{},{price},{},{},{},0.04,{},{defaults},{cum},{debt},0,{},{},{},{},0,{},{},{},{},{dscr},{},{}",
            date(t),
            60_000.0 - 20_000.0 * s,
            0.05 - 0.02 * s,
            500_000.0 * (1.0 - 0.3 * s),
            u8::from(s > 0.5),
            cum * 10.0,
            cum * 6.0,
            (cum * 2.0 - t as f64 * 0.1).max(0.0),
            2.0e9 - debt * 0.6,
            0.03 + 0.05 * s,
            0.7 - 0.3 * s,
            0.6 + 0.1 * s,
            0.6 + 0.5 * s,
            5.0e8 * (1.0 - 0.8 * s),
            40.0 - cum,
        )
        .unwrap();
    }
    std::fs::write(dir.join("timeseries.csv"), ts).unwrap();

    let mut gens = format!("{GEN_HEADER}\n");
    for t in 0..TICKS {
        let s = stress(t);
        let price = 2.5 * (1.0 - 0.6 * s);
        for (g, &(name, release, list, perf)) in GENERATIONS.iter().enumerate() {
            if t < release {
                continue;
            }
            let age = (t - release) as f64;
            let fundamental = list * (1.0 - age / 300.0) * (1.0 - 0.5 * s);
            let book = list * (1.0 - age / 260.0).max(0.0);
            let disc = 0.05 + 0.4 * s;
            let traded = (t + g) % 3 == 0;
            let (sec, discount) = if traded {
                (format!("{}", fundamental * (1.0 - disc)), format!("{disc}"))
            } else {
                (String::new(), String::new())
            };
            writeln!(
                gens,
                "{t},{},{name},{},{},100,{sec},{},{},{},5,{},1,2,4,{fundamental},{book},{discount},{},{sec},",
                date(t),
                price * perf,
                0.95 - 0.4 * s * (1.0 - perf / 3.0),
                fundamental * (1.0 - disc),
                if traded { "0" } else { "1" },
                if traded { "3" } else { "0" },
                if traded { "2" } else { "5" },
                (0.2 + 0.8 * s).min(1.0),
            )
            .unwrap();
        }
    }
    std::fs::write(dir.join("generations.csv"), gens).unwrap();

    let summary = serde_json::json!({
        "world": world, "seed": seed, "ticks": TICKS,
        "start_date": date(0).to_string(), "end_date": date(TICKS - 1).to_string(),
        "operators": 40, "defaults_total": cum, "default_rate": cum / 40.0,
        "peak_discount": 0.45 * shock, "peak_discount_generation": "H100",
        "peak_discount_date": "2025-03-03", "recovery_rate": 0.41,
        "lender_losses_usd": 1.234e9 * shock, "lender_failures": 1,
        "weeks_to_clear_repossessed": null, "repossessed_lots_total": 120,
        "unsold_inventory_end": 12, "repo_volume_total": 4.5e9,
        "ledger_max_imbalance_usd": 0.0, "ledger_max_balance_sheet_usd": 3.2e10,
        "lots_created": 900, "lots_scrapped": 20, "trades_total": 310,
        "mean_spread_charged": 0.051, "break_even_spread": 0.062,
    });
    std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
}

fn fixture(world: &str, seed: u64, shock: f64) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(world).join(format!("seed-{seed}"));
    write_run(&dir, world, seed, shock);
    (tmp, dir)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Rewrites `file` in `dir` with `column` removed.
fn drop_column(dir: &Path, file: &str, column: &str) {
    let path = dir.join(file);
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let skip = headers.iter().position(|h| h == column).unwrap();
    let keep = |r: &csv::StringRecord| -> Vec<String> {
        r.iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, f)| f.to_string())
            .collect()
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(keep(&headers)).unwrap();
    for record in reader.records() {
        writer.write_record(keep(&record.unwrap())).unwrap();
    }
    std::fs::write(&path, writer.into_inner().unwrap()).unwrap();
}

#[test]
fn plot_run_writes_every_chart_as_png_and_svg() {
    let (_tmp, dir) = fixture("base", 7, 1.0);
    let written = plot_run(&dir).unwrap();
    let plots = dir.join("plots");
    let expected: BTreeSet<PathBuf> = CHARTS
        .iter()
        .flat_map(|c| ["png", "svg"].map(|ext| plots.join(format!("{c}.{ext}"))))
        .collect();
    assert_eq!(written.iter().cloned().collect::<BTreeSet<_>>(), expected);
    let on_disk: BTreeSet<PathBuf> = std::fs::read_dir(&plots)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(on_disk, expected, "no .partial files may be left behind");

    for chart in CHARTS {
        let png = image::load_from_memory(&read(&plots.join(format!("{chart}.png"))))
            .unwrap()
            .to_rgb8();
        assert_eq!(png.dimensions(), (1600, 1000), "{chart}");
        let colours: BTreeSet<[u8; 3]> = png.pixels().map(|p| p.0).collect();
        assert!(
            colours.len() > 20,
            "{chart}.png looks blank: {} colours",
            colours.len()
        );
    }
}

#[test]
fn svg_carries_axis_titles_and_dashboard_title_as_text() {
    let (_tmp, dir) = fixture("base", 7, 1.0);
    plot_run(&dir).unwrap();
    let svg = |name: &str| String::from_utf8(read(&dir.join("plots").join(name))).unwrap();
    assert!(svg("price_paths.svg").contains("USD per GPU"));
    assert!(svg("price_paths.svg").contains("% below the non-distressed price"));
    assert!(svg("compute.svg").contains("USD per GPU-hour"));
    assert!(svg("collateral.svg").contains("LTV (% of collateral value)"));
    let dashboard = svg("dashboard.svg");
    for text in ["base", "seed 7", "2024-01-01", "2026-04-13"] {
        assert!(dashboard.contains(text), "dashboard title lacks {text}");
    }
}

#[test]
fn drawing_twice_gives_identical_svg() {
    let (_tmp, dir) = fixture("base", 7, 1.0);
    plot_run(&dir).unwrap();
    let first: Vec<Vec<u8>> = CHARTS
        .iter()
        .map(|c| read(&dir.join("plots").join(format!("{c}.svg"))))
        .collect();
    plot_run(&dir).unwrap();
    for (chart, bytes) in CHARTS.iter().zip(first) {
        let again = read(&dir.join("plots").join(format!("{chart}.svg")));
        assert!(bytes == again, "{chart}.svg differs between two draws");
    }
}

#[test]
fn compare_runs_overlays_charts_and_tables_both_worlds() {
    let (_a, base) = fixture("base", 1, 0.6);
    let (_b, stress) = fixture("stress", 2, 1.0);
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("compare");
    let table = compare_runs(&[base.clone(), stress.clone()], &out_dir).unwrap();

    for chart in ["compare_price_paths", "compare_defaults", "compare_ltv_gap"] {
        for ext in ["png", "svg"] {
            assert!(
                out_dir.join(format!("{chart}.{ext}")).is_file(),
                "{chart}.{ext}"
            );
        }
    }
    assert!(table.contains("base (seed 1)") && table.contains("stress (seed 2)"));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("| lender_losses_usd |"))
    );
    assert_eq!(read(&out_dir.join("comparison.md")), table.as_bytes());

    let csv = String::from_utf8(read(&out_dir.join("comparison.csv"))).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("run,dir,world,seed,"));
    assert!(lines[1].contains("base") && lines[2].contains("stress"));
}

#[test]
fn missing_column_is_an_error_naming_file_and_column() {
    let (_tmp, dir) = fixture("base", 7, 1.0);
    drop_column(&dir, "timeseries.csv", "ltv_market");
    let err = plot_run(&dir).unwrap_err();
    match &err {
        ReportError::MissingColumn { path, column } => {
            assert!(path.ends_with("timeseries.csv"));
            assert_eq!(column, "ltv_market");
        }
        other => panic!("unexpected error: {other}"),
    }
    let message = err.to_string();
    assert!(message.contains("timeseries.csv") && message.contains("ltv_market"));
    assert!(
        !dir.join("plots").exists(),
        "nothing is drawn from bad input"
    );

    drop_column(&dir, "generations.csv", "fundamental");
    let (_tmp2, other) = fixture("other", 1, 1.0);
    let err = compare_runs(&[other, dir], &_tmp2.path().join("cmp")).unwrap_err();
    assert!(err.to_string().contains("ltv_market"), "{err}");
}

#[test]
fn unparsable_value_names_the_line() {
    let (_tmp, dir) = fixture("base", 7, 1.0);
    let path = dir.join("generations.csv");
    let text = String::from_utf8(read(&path)).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[4] = lines[4].replacen(",A100,", ",A100,n/a?", 1);
    std::fs::write(&path, lines.join("\n")).unwrap();
    let err = plot_run(&dir).unwrap_err();
    assert!(
        matches!(&err, ReportError::BadValue { line: 5, column, .. } if column == "rent"),
        "{err}"
    );
    assert!(err.to_string().contains("line 5"));
}

#[test]
fn interrupted_run_without_summary_still_plots() {
    let (_tmp, dir) = fixture("base", 7, 1.0);
    std::fs::remove_file(dir.join("summary.json")).unwrap();
    let written = plot_run(&dir).unwrap();
    assert_eq!(written.len(), 12);
    let dashboard = String::from_utf8(read(&dir.join("plots/dashboard.svg"))).unwrap();
    assert!(dashboard.contains("base") && dashboard.contains("2024-01-01"));
}

#[test]
fn compare_needs_at_least_one_run() {
    let out = tempfile::tempdir().unwrap();
    assert!(matches!(
        compare_runs(&[], out.path()),
        Err(ReportError::NoRuns)
    ));
}

#[test]
fn a_single_tick_with_every_value_missing_still_draws() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let empty_row = |header: &str, fixed: &[(&str, &str)]| {
        header
            .split(',')
            .map(|c| fixed.iter().find(|f| f.0 == c).map_or("", |f| f.1))
            .collect::<Vec<_>>()
            .join(",")
    };
    let fixed = [
        ("tick", "0"),
        ("date", "2024-01-01"),
        ("generation", "H100"),
    ];
    let ts = format!("{TS_HEADER}\n{}\n", empty_row(TS_HEADER, &fixed));
    let gens = format!("{GEN_HEADER}\n{}\n", empty_row(GEN_HEADER, &fixed));
    std::fs::write(dir.join("timeseries.csv"), ts).unwrap();
    std::fs::write(dir.join("generations.csv"), gens).unwrap();
    assert_eq!(plot_run(dir).unwrap().len(), 12);
}
