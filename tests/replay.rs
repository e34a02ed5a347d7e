//! Replayed inputs (issue 15, part 1): an exogenous process read from a CSV of
//! `date,value` instead of drawn. Every seed replays the same path; everything else stays
//! seeded; `--set` switches back to the process; a bad file is refused with its file,
//! line and field.

mod common;

use common::*;
use firesale_world::{Series, Values};
use std::path::Path;

const BTC: &str = "btc.price_series=\"../data/btc_usd_month_end_2020_2023.csv\"";
const HASHRATE: &str =
    "btc.hashrate_series=\"../data/network_hashrate_eh_month_end_2020_2023.csv\"";

/// The baseline world moved to 2021-2023 (the span of the shipped series).
fn replaying(seed: u64, extra: &[&str]) -> (firesale_sim::Summary, tempfile::TempDir) {
    let mut sets = vec!["start=\"2021-01-01\"", "ticks=150", BTC, HASHRATE];
    sets.extend_from_slice(extra);
    run(&world("baseline", Some(seed), &sets))
}

/// `firesale check` of the baseline world moved to 2021-2023, with one more `--set`.
fn check_2021(set: &str) -> std::process::Output {
    firesale_cmd(&[
        "check",
        "baseline",
        "--set",
        "start=\"2021-01-01\"",
        "--set",
        "ticks=150",
        "--set",
        set,
    ])
}

fn column(dir: &Path, name: &str) -> Vec<f64> {
    csv_rows(&dir.join("timeseries.csv"))
        .iter()
        .map(|r| r[name].parse().unwrap())
        .collect()
}

#[test]
fn every_seed_replays_the_same_path_and_the_rest_stays_seeded() {
    let (_, a) = replaying(1, &[]);
    let (_, b) = replaying(2, &[]);
    assert_eq!(column(a.path(), "btc_price"), column(b.path(), "btc_price"));
    assert_ne!(
        column(a.path(), "demand_index"),
        column(b.path(), "demand_index"),
        "demand is still drawn from each seed's stream"
    );
    // The replayed price is the file's, interpolated to each tick's date.
    let series = Series::read(
        Path::new("data/btc_usd_month_end_2020_2023.csv"),
        "btc.price_series",
        Values::Positive,
    )
    .unwrap();
    let rows = csv_rows(&a.path().join("timeseries.csv"));
    for row in rows.iter().step_by(13) {
        let date = chrono::NaiveDate::parse_from_str(&row["date"], "%Y-%m-%d").unwrap();
        let price: f64 = row["btc_price"].parse().unwrap();
        assert!(
            (price - series.at(date)).abs() < 1e-6 * price,
            "{date}: {price}"
        );
    }
    // The 2022 crash is in the path: from above $45k in March 2022 to below $20k by June.
    let on = |d: &str| {
        rows.iter()
            .find(|r| r["date"].as_str() >= d)
            .map(|r| r["btc_price"].parse::<f64>().unwrap())
            .unwrap()
    };
    assert!(on("2022-03-25") > 44_000.0 && on("2022-06-30") < 21_000.0);
    // Hashprice follows from the replayed price and hashrate.
    let hashprice = column(a.path(), "hashprice");
    assert!(hashprice.iter().all(|h| h.is_finite() && *h > 0.0));
}

#[test]
fn check_names_the_replayed_inputs() {
    let out = check_2021(BTC);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("btc.price_series replays")
            && printed
                .contains("btc_usd_month_end_2020_2023.csv: 37 points, 2020-12-31 to 2023-12-31"),
        "{printed}"
    );
}

#[test]
fn a_set_switches_a_replay_back_to_its_process() {
    let (_, a) = replaying(1, &["btc.price_series=null"]);
    let (_, b) = replaying(2, &["btc.price_series=null"]);
    assert_ne!(
        column(a.path(), "btc_price"),
        column(b.path(), "btc_price"),
        "the process draws a different path for each seed"
    );
}

#[test]
fn bad_series_are_refused_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let unordered = write(
        "unordered.csv",
        "date,value\n2020-12-31,29000\n2020-12-01,28000\n",
    );
    let negative = write("negative.csv", "# note\ndate,value\n2020-12-31,-1\n");
    let short = write(
        "short.csv",
        "date,value\n2020-12-31,29000\n2021-06-30,35000\n",
    );
    let cases = [
        (
            unordered.clone(),
            "unordered.csv:3: btc.price_series: 2020-12-01 does not come after 2020-12-31",
        ),
        (
            negative,
            "negative.csv:3: btc.price_series: -1 on 2020-12-31: expected a finite number above zero",
        ),
        (
            short,
            "short.csv: btc.price_series: covers 2020-12-31 to 2021-06-30; the run needs 2021-01-01 to",
        ),
        (
            dir.path().join("missing.csv").display().to_string(),
            "missing.csv: btc.price_series: cannot read the series",
        ),
    ];
    for (file, expected) in cases {
        let set = format!("btc.price_series=\"{file}\"");
        let out = check_2021(&set);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{expected}\n got: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_world_changed_after_loading_never_runs_past_its_series() {
    let mut w = world(
        "baseline",
        Some(1),
        &["start=\"2021-01-01\"", "ticks=150", BTC],
    );
    w.ticks = 400; // past the end of the series, after it was read
    let err = firesale_sim::Simulation::new(&w)
        .err()
        .expect("the run is refused")
        .to_string();
    assert!(
        err.contains("btc.price_series") && err.contains("a replay never extrapolates"),
        "{err}"
    );
    w.btc.price_series = None; // named no more, but still read: refused too
    let err = firesale_sim::Simulation::new(&w)
        .err()
        .expect("the run is refused")
        .to_string();
    assert!(err.contains("btc.price_series"), "{err}");
}
