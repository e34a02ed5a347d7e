//! `--observed` (issue 15, part 6): observed data overlaid on runs, with fit figures
//! (log RMSE, peak-to-trough change and trough date) printed and written to fit.csv.

mod common;

use common::*;
use std::path::Path;

/// A short baseline run in `dir`.
fn short_run(dir: &Path, seed: &str) {
    let out = firesale_cmd(&[
        "run",
        "baseline",
        "--seed",
        seed,
        "--ticks",
        "60",
        "--quiet",
        "--no-plots",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn observed_points_are_overlaid_and_fitted() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    short_run(&run, "1");
    // Observed: the simulated BTC price on two tick dates, 10% higher, and a fall of
    // exactly 50% in observed H100 rent.
    let rows = csv_rows(&run.join("timeseries.csv"));
    let (a, b) = (&rows[10], &rows[40]);
    let price =
        |r: &std::collections::BTreeMap<String, String>| r["btc_price"].parse::<f64>().unwrap();
    let observed = tmp.path().join("observed.csv");
    std::fs::write(
        &observed,
        format!(
            "date,series,value\n{},btc_price,{}\n{},btc_price,{}\n{},rent/H100,4.0\n{},rent/H100,2.0\n",
            a["date"],
            price(a) * 1.1,
            b["date"],
            price(b) * 1.1,
            a["date"],
            b["date"]
        ),
    )
    .unwrap();
    let out = firesale_cmd(&[
        "plot",
        run.to_str().unwrap(),
        "--observed",
        observed.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("log RMSE") && printed.contains("rent/H100"),
        "{printed}"
    );
    let plots = run.join("plots");
    assert!(plots.join("observed_btc_price.png").is_file());
    assert!(plots.join("observed_rent_H100.png").is_file());
    let fit = csv_rows(&plots.join("fit.csv"));
    let btc = fit.iter().find(|r| r["series"] == "btc_price").unwrap();
    assert_eq!(btc["points"], "2");
    let rmse: f64 = btc["log_rmse"].parse().unwrap();
    assert!((rmse - 1.1f64.ln()).abs() < 1e-9, "log RMSE {rmse}");
    let rent = fit.iter().find(|r| r["series"] == "rent/H100").unwrap();
    let drop: f64 = rent["observed_peak_to_trough"].parse().unwrap();
    assert!((drop + 0.5).abs() < 1e-12);
    assert_eq!(rent["observed_trough_date"], b["date"]);
}

#[test]
fn compare_fits_every_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    short_run(&one, "1");
    short_run(&two, "2");
    let date = &csv_rows(&one.join("timeseries.csv"))[20]["date"];
    let observed = tmp.path().join("observed.csv");
    std::fs::write(
        &observed,
        format!("date,series,value\n{date},btc_price,50000\n"),
    )
    .unwrap();
    let out_dir = tmp.path().join("cmp");
    let out = firesale_cmd(&[
        "compare",
        one.to_str().unwrap(),
        two.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--observed",
        observed.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        csv_rows(&out_dir.join("fit.csv")).len(),
        2,
        "one row per run"
    );
    assert!(out_dir.join("observed_btc_price.png").is_file());
}

#[test]
fn bad_observed_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    short_run(&run, "1");
    let cases = [
        (
            "date,series,value\n2024-02-01,btc_price,abc\n",
            "line 2, column `value`",
        ),
        (
            "date,series,value\n2024-02-01,no_such_series,1\n",
            "no_such_series",
        ),
        ("date,series,value\n2024-02-01,rent/Z900,1\n", "Z900"),
        (
            "when,series,value\n2024-02-01,btc_price,1\n",
            "missing column `date`",
        ),
    ];
    for (text, expected) in cases {
        let observed = tmp.path().join("bad.csv");
        std::fs::write(&observed, text).unwrap();
        let out = firesale_cmd(&[
            "plot",
            run.to_str().unwrap(),
            "--observed",
            observed.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{text}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{expected}: {}",
            stderr(&out)
        );
    }
}
