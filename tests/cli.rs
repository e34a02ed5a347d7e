//! The `firesale` command as a user meets it: bad input gets exit code 2 and a message
//! naming the file, the position or field, and what was expected; good input runs.

mod common;

use common::*;
use std::fs;
use std::process::Output;

/// Writes baseline.ron with one text replaced as `bad.ron` and runs `firesale check` on it.
fn check_replaced(from: &str, to: &str) -> Output {
    let text = fs::read_to_string("worlds/baseline.ron").unwrap();
    assert!(
        text.contains(from),
        "the test's anchor {from:?} is in baseline.ron"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.ron");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
    firesale_cmd(&["check", path.to_str().unwrap()])
}

/// As [`check_replaced`], for a replacement that makes the world invalid.
fn check_mutated(from: &str, to: &str) -> (Output, String) {
    let out = check_replaced(from, to);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code 2 for bad input; stderr: {err}"
    );
    assert!(err.contains("bad.ron"), "the message names the file: {err}");
    assert!(!err.contains("panicked"), "no panic: {err}");
    (out, err)
}

#[test]
fn unknown_field_is_named_with_its_position() {
    let (_, err) = check_mutated("tick_days: 7,", "tick_days: 7, tick_dayz: 3,");
    assert!(err.contains("tick_dayz"), "{err}");
    assert!(err.contains("bad.ron:33:19"), "line and column: {err}");
}

#[test]
fn missing_field_is_named() {
    let (_, err) = check_mutated(
        "        elasticity: 1.2,             // price elasticity of compute demand\n",
        "",
    );
    assert!(err.contains("elasticity"), "{err}");
    assert!(err.contains("compute"), "the path to the field: {err}");
}

#[test]
fn wrong_type_names_the_field_path() {
    let (_, err) = check_mutated("ticks: 365,", "ticks: \"many\",");
    assert!(err.contains("ticks"), "{err}");
    assert!(
        err.contains(":31:") || err.contains(":30:") || err.contains(":32:"),
        "a line number: {err}"
    );
}

#[test]
fn negative_price_is_out_of_range() {
    let (_, err) = check_mutated("list_price: 30000.0,", "list_price: -30000.0,");
    assert!(err.contains("generations[1].list_price"), "{err}");
    assert!(err.contains("above 0"), "what was expected: {err}");
}

#[test]
fn ltv_above_one_is_out_of_range() {
    let (_, err) = check_mutated(
        "leverage: Uniform(0.4, 0.55),",
        "leverage: Uniform(0.4, 1.5),",
    );
    assert!(err.contains("operators[0].leverage"), "{err}");
}

#[test]
fn probability_outside_unit_interval_is_out_of_range() {
    let (_, err) = check_mutated("stress_credit_cut: 0.2,", "stress_credit_cut: 1.2,");
    assert!(err.contains("buyers[0].stress_credit_cut"), "{err}");
    assert!(err.contains("[0, 1]"), "{err}");
}

#[test]
fn release_after_the_end_is_a_note_not_an_error() {
    let out = check_replaced(
        "name: \"Rubin\", release: \"2026-10-01\"",
        "name: \"Rubin\", release: \"2032-10-01\"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("generations[4] (Rubin)"), "{said}");
    assert!(said.contains("does not ship in this run"), "{said}");
}

#[test]
fn zero_agents_where_some_are_needed_is_refused() {
    let text = fs::read_to_string("worlds/baseline.ron").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.ron");
    fs::write(
        &path,
        text.replace("count: 3,", "count: 0,")
            .replace("name: \"tier2\", count: 4,", "name: \"tier2\", count: 0,")
            .replace(
                "name: \"startup\", count: 4,",
                "name: \"startup\", count: 0,",
            ),
    )
    .unwrap();
    let out = firesale_cmd(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("buyers: expected at least one GPU buyer"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn syntax_error_has_a_position() {
    let (_, err) = check_mutated("gpus_per_lot: 32,", "gpus_per_lot: 32,,");
    assert!(err.contains("bad.ron:"), "{err}");
}

#[test]
fn bad_override_is_refused() {
    let out = firesale_cmd(&["check", "baseline", "--set", "btc.volatilty=0.5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("volatilty"), "{}", stderr(&out));
    let out = firesale_cmd(&["check", "baseline", "--set", "btc.volatility=-0.5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("btc.volatility"), "{}", stderr(&out));
    let out = firesale_cmd(&["check", "baseline", "--set", "operators[0].leverage=0.3"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a bare number sets a distribution: {}",
        stderr(&out)
    );
}

#[test]
fn unknown_world_is_refused() {
    let out = firesale_cmd(&["run", "no_such_world", "--quiet"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no_such_world"));
}

#[test]
fn list_names_the_shipped_worlds() {
    let out = firesale_cmd(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["baseline", "subprime_compute", "repo_backstop"] {
        assert!(text.contains(name), "{text}");
    }
}

/// A run writes every output, draws the plots, and `plot RUN_DIR` redraws the very same
/// SVG bytes from the CSV files alone.
#[test]
fn run_then_plot_reproduces_the_charts() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("run");
    let out = firesale_cmd(&[
        "run",
        "subprime_compute",
        "--ticks",
        "160",
        "--out",
        out_dir.to_str().unwrap(),
        "--quiet",
        "--seed",
        "3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for file in [
        "timeseries.csv",
        "generations.csv",
        "events.jsonl",
        "summary.json",
        "world.ron",
    ] {
        assert!(out_dir.join(file).is_file(), "{file} written");
    }
    let charts = [
        "price_paths",
        "compute",
        "defaults",
        "collateral",
        "credit",
        "dashboard",
    ];
    let before: Vec<Vec<u8>> = charts
        .iter()
        .map(|c| fs::read(out_dir.join("plots").join(format!("{c}.svg"))).unwrap())
        .collect();
    for c in charts {
        fs::remove_file(out_dir.join("plots").join(format!("{c}.svg"))).unwrap();
    }
    let out = firesale_cmd(&["plot", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (c, bytes) in charts.iter().zip(before) {
        assert_eq!(
            fs::read(out_dir.join("plots").join(format!("{c}.svg"))).unwrap(),
            bytes,
            "{c}.svg redrawn identically"
        );
    }
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["seed"], 3);
}

/// `compare` of two run directories writes the overlay charts and a table naming both.
#[test]
fn compare_overlays_two_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for name in ["subprime_compute", "repo_backstop"] {
        let out_dir = dir.path().join(name);
        let out = firesale_cmd(&[
            "run",
            name,
            "--ticks",
            "160",
            "--out",
            out_dir.to_str().unwrap(),
            "--quiet",
            "--no-plots",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        runs.push(out_dir.to_str().unwrap().to_string());
    }
    let cmp = dir.path().join("cmp");
    let out = firesale_cmd(&[
        "compare",
        &runs[0],
        &runs[1],
        "--out",
        cmp.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("subprime_compute") && table.contains("repo_backstop"),
        "{table}"
    );
    for chart in ["compare_price_paths", "compare_defaults", "compare_ltv_gap"] {
        assert!(
            cmp.join(format!("{chart}.png")).is_file()
                && cmp.join(format!("{chart}.svg")).is_file(),
            "{chart}"
        );
    }
}

#[test]
fn behaviour_parameters_are_world_fields_with_bounds() {
    for (set, path) in [
        (
            "lenders[0].liquidity.cash_buffer=2",
            "lenders[0].liquidity.cash_buffer",
        ),
        (
            "operators[0].distress.urgent_reserve=1.5",
            "operators[0].distress.urgent_reserve",
        ),
        (
            "buyers[0].credit_line_spread=-0.1",
            "buyers[0].credit_line_spread",
        ),
    ] {
        let out = firesale_cmd(&["check", "baseline", "--set", set]);
        assert_eq!(out.status.code(), Some(2), "{set}");
        assert!(stderr(&out).contains(path), "{set}: {}", stderr(&out));
    }
}

/// `firesale bench --by-step` prints, under each size, the twelve dearest steps with their
/// wall time, share, CPU time and cores, then the other steps and the time outside them.
#[test]
fn bench_by_step_prints_the_steps_that_take_the_most_time() {
    let out = firesale_cmd(&[
        "bench",
        "subprime_compute",
        "--scales",
        "0.25",
        "--ticks",
        "12",
        "--by-step",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    let steps: Vec<(String, f64, f64)> = text
        .lines()
        .filter(|l| l.starts_with("    "))
        .map(|l| {
            let (name, rest) = l.trim().split_at(23);
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let seconds: f64 = fields[0].parse().unwrap();
            let share: f64 = fields[2].trim_end_matches('%').parse().unwrap();
            // Then its CPU time and the cores it kept busy, CPU over wall.
            assert_eq!((fields[5], fields[7]), ("CPU", "cores"), "{l}");
            let cpu: f64 = fields[3].parse().unwrap();
            let cores: f64 = fields[6].parse().unwrap();
            assert!(cpu >= 0.0 && cores >= 0.0, "{l}");
            // All three are printed to 2 decimals, so each is within 0.005 of what was
            // measured: the cores lie between the least and the most CPU over wall that
            // the printed figures allow.
            if seconds > 0.005 {
                let r = 0.005 + 1e-9;
                let least = (cpu - r).max(0.0) / (seconds + r) - r;
                let most = (cpu + r) / (seconds - r) + r;
                assert!((least..=most).contains(&cores), "{l}");
            }
            (name.trim().to_string(), seconds, share)
        })
        .collect();
    assert_eq!(
        steps.len(),
        14,
        "12 steps, the others, and the rest: {text}"
    );
    // Which twelve steps are dearest in a run this short is timing noise, so the test
    // asks only that each named line is a distinct step of the schedule.
    let schedule_steps: Vec<String> = firesale_core::Step::ALL
        .iter()
        .map(|(step, _)| format!("{step:?}"))
        .collect();
    for (name, ..) in &steps[..12] {
        assert!(schedule_steps.contains(name), "{name} is no step: {text}");
    }
    let distinct: std::collections::BTreeSet<&str> =
        steps[..12].iter().map(|(name, ..)| name.as_str()).collect();
    assert_eq!(distinct.len(), 12, "{text}");
    assert_eq!(steps[12].0, "other steps", "{text}");
    assert_eq!(steps[13].0, "outside the schedule", "{text}");
    // The twelve named steps come dearest first, and the shares add up to the run.
    assert!(steps[..12].windows(2).all(|w| w[0].1 >= w[1].1), "{text}");
    let total: f64 = steps.iter().map(|(_, _, share)| share).sum();
    assert!((total - 100.0).abs() < 1.5, "shares add to {total}: {text}");
}

#[test]
fn bench_prints_speed_memory_and_the_growth_exponent() {
    let out = firesale_cmd(&[
        "bench",
        "subprime_compute",
        "--scales",
        "0.5,0.25",
        "--ticks",
        "12",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(text.starts_with("machine: "), "{text}");
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("subprime_compute"))
        .collect();
    assert_eq!(rows.len(), 2, "one row per scale: {text}");
    assert!(rows[0].contains(" 0.25 "), "smallest first: {text}");
    for row in &rows {
        let fields: Vec<&str> = row.split_whitespace().collect();
        let lot_ticks: u64 = fields[4].parse().unwrap();
        let seconds: f64 = fields[5].parse().unwrap();
        let cpu_seconds: f64 = fields[6].parse().unwrap();
        let lot_ticks_per_second: f64 = fields[7].parse().unwrap();
        let peak_mib: f64 = fields[8].parse().unwrap();
        assert!(lot_ticks > 0 && peak_mib > 1.0, "{row}");
        // The times are printed to the hundredth of a second, and a fast machine can
        // run these 12 ticks in less than 5 ms; the speed is worked out from the
        // unrounded time, so it says whether the time was measured.
        assert!(lot_ticks_per_second > 0.0 && seconds >= 0.0, "{row}");
        // The speed is lot-ticks over the wall time, which is printed rounded.
        let unrounded = lot_ticks as f64 / lot_ticks_per_second;
        assert!((unrounded - seconds).abs() <= 0.0051, "{row}");
        // CPU time is measured over the wall time's span, on at most every core.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        assert!(
            cpu_seconds >= 0.0 && cpu_seconds <= seconds * cores + 0.05,
            "{row}"
        );
    }
    assert!(text.contains("CPU s"), "{text}");
    let small: u64 = rows[0].split_whitespace().nth(4).unwrap().parse().unwrap();
    let large: u64 = rows[1].split_whitespace().nth(4).unwrap().parse().unwrap();
    assert!(large > small, "twice the scale, more lot-ticks: {text}");
    assert!(text.contains("growth exponent"), "{text}");
    // How the work grew, in lots and in live loans (the steps that go loan by loan).
    let work = text
        .lines()
        .find_map(|l| l.strip_prefix("work from scale 0.25 to 0.5: "))
        .unwrap_or_else(|| panic!("{text}"));
    let factors: Vec<f64> = work
        .split(" times the ")
        .filter_map(|part| part.rsplit(", ").next()?.trim().parse().ok())
        .collect();
    assert_eq!(factors.len(), 2, "{work}");
    let lots = large as f64 / small as f64;
    assert!((factors[0] - lots).abs() < 0.006, "{work}: {lots}");
    assert!(factors[1] > 1.0, "twice the scale, more live loans: {work}");
}

/// `firesale bench --repeat N` runs every size N times, the sizes interleaved, then prints
/// each size's median run and the growth exponent of the medians with each round's.
#[test]
fn bench_repeated_prints_the_medians_and_each_rounds_exponent() {
    let out = firesale_cmd(&[
        "bench",
        "subprime_compute",
        "--scales",
        "0.25,0.5",
        "--ticks",
        "6",
        "--repeat",
        "2",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    let (runs, medians) = text
        .split_once("median of 2 runs:\n")
        .unwrap_or_else(|| panic!("{text}"));
    let rows = |part: &str| -> Vec<(String, f64)> {
        part.lines()
            .filter(|l| l.starts_with("subprime_compute"))
            .map(|l| {
                let fields: Vec<&str> = l.split_whitespace().collect();
                (fields[1].to_string(), fields[5].parse().unwrap())
            })
            .collect()
    };
    let (runs, medians) = (rows(runs), rows(medians));
    let scales: Vec<&str> = runs.iter().map(|(scale, _)| scale.as_str()).collect();
    assert_eq!(
        scales,
        ["0.25", "0.5", "0.25", "0.5"],
        "interleaved: {text}"
    );
    assert_eq!(medians.len(), 2, "{text}");
    // Of two runs the median is the faster (the lower middle one, a measured time).
    for (k, (scale, seconds)) in medians.iter().enumerate() {
        let fastest = runs[k].1.min(runs[k + 2].1);
        assert_eq!((scale.as_str(), *seconds), (scales[k], fastest), "{text}");
    }
    let exponent = text
        .lines()
        .find(|l| l.starts_with("growth exponent"))
        .unwrap_or_else(|| panic!("{text}"));
    let rounds = exponent
        .split_once("(rounds: ")
        .map(|(_, r)| r.trim_end_matches(')').split(", ").count());
    assert_eq!(rounds, Some(2), "{exponent}");
}
