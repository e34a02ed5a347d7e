//! Ensembles and sweeps: the same bytes whatever the thread count, merged shards equal to
//! one machine's output, a killed ensemble resumed to the same result, a sweep's table and
//! charts, and bad arguments refused with exit code 2.
//!
//! Runs are 150 ticks of `subprime_compute`: the shortest run that validates (every
//! generation, Rubin in 2026-10 included, must be released before the end).

mod common;

use common::{csv_rows, firesale};
use firesale_ensemble::{
    EnsembleError, Kind, MEMORY_BUDGET, RunOptions, Shard, Study, StudyArgs, merge, replicate_seed,
    tick_bands, write_aggregates,
};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TICKS: u32 = 150;
const RUNS: usize = 6;

fn ensemble_study() -> Study {
    Study::new(
        Kind::Ensemble,
        &StudyArgs {
            world: "subprime_compute".into(),
            runs: RUNS,
            ticks: Some(TICKS),
            ..StudyArgs::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `study` (or one shard of it) into `out` with `jobs` threads.
fn run(study: &Study, out: &Path, jobs: usize, shard: Shard, resume: bool) -> usize {
    let options = RunOptions {
        jobs: Some(jobs),
        shard,
        resume,
    };
    let batch = study
        .prepare(out, options)
        .unwrap_or_else(|e| panic!("{e}"));
    let pending = batch.pending();
    batch.run(|_| {}).unwrap_or_else(|e| panic!("{e}"));
    pending
}

/// Every file under `dir`, by relative path, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                files.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

/// Asserts two output trees are the same files with the same bytes, naming the first
/// difference.
fn assert_same_tree(a: &Path, b: &Path) {
    let (a, b) = (snapshot(a), snapshot(b));
    let names = |s: &BTreeMap<PathBuf, Vec<u8>>| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "the same files");
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{} differs", path.display());
    }
}

#[test]
fn thread_count_does_not_change_a_byte() {
    let study = ensemble_study();
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("jobs1"), dir.path().join("jobs2"));
    run(&study, &one, 1, Shard::ALL, false);
    run(&study, &two, 2, Shard::ALL, false);
    let first = write_aggregates(&one).unwrap();
    write_aggregates(&two).unwrap();
    assert_same_tree(&one, &two);

    // The aggregates are there and say what they should.
    let rows = csv_rows(&one.join("summaries.csv"));
    assert_eq!(rows.len(), RUNS, "one row per run");
    for (r, row) in rows.iter().enumerate() {
        assert_eq!(row["run"], r.to_string());
        assert_eq!(row["seed"], replicate_seed(42, r as u64).to_string());
        assert!(row.contains_key("default_rate") && row.contains_key("peak_discount"));
    }
    let bands = csv_rows(&one.join("ensemble.csv"));
    let series = 3 + 2 * study.plan.generations.len();
    assert_eq!(
        bands.len(),
        series * TICKS as usize,
        "a row per series and tick"
    );
    let equity_start = bands
        .iter()
        .find(|r| r["series"] == "lender_equity" && r["tick"] == "0")
        .unwrap();
    assert_eq!(equity_start["runs"], RUNS.to_string());
    let q = |k: &str| equity_start[k].parse::<f64>().unwrap();
    assert!(q("p5") <= q("p25") && q("p25") <= q("p50") && q("p50") <= q("p75"));
    assert!(q("p75") <= q("p95") && q("p5") > 0.0);
    assert!(one.join("plots/fan_lender_equity.png").is_file());
    assert!(one.join("plots/fan_ltv_gap.svg").is_file());
    assert!(first.files.len() > 2);

    // Holding one series at a time gives the same quantiles as holding them all.
    let all = tick_bands(&one, &study.plan, MEMORY_BUDGET).unwrap();
    let one_by_one = tick_bands(&one, &study.plan, 1).unwrap();
    assert_eq!(all.dates, one_by_one.dates);
    for (a, b) in all.series.iter().zip(&one_by_one.series) {
        assert_eq!(a.series, b.series);
        assert_eq!(a.bands, b.bands);
    }
}

#[test]
fn three_merged_shards_equal_the_unsharded_output() {
    let study = ensemble_study();
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    run(&study, &whole, 2, Shard::ALL, false);
    write_aggregates(&whole).unwrap();

    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| dir.path().join(format!("shard-{k}")))
        .collect();
    for (k, shard_dir) in shards.iter().enumerate() {
        let shard: Shard = format!("{}/3", k + 1).parse().unwrap();
        assert_eq!(run(&study, shard_dir, 1, shard, false), RUNS / 3);
        assert!(!shard_dir.join("summaries.csv").exists());
    }
    // Two of three shards are not the whole plan.
    let partial = merge(&shards[..2], Some(&dir.path().join("partial"))).unwrap_err();
    assert!(
        matches!(partial, EnsembleError::Incomplete { missing: 2, .. }),
        "{partial}"
    );
    assert!(partial.is_bad_input());

    let merged = dir.path().join("merged");
    let result = merge(&shards, Some(&merged)).unwrap();
    assert_eq!(result.copied, RUNS);
    assert_same_tree(&whole, &merged);
}

#[test]
fn a_killed_ensemble_resumes_to_the_same_result() {
    let study = ensemble_study();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(&study, &out, 2, Shard::ALL, false);
    write_aggregates(&out).unwrap();
    let complete = snapshot(&out);

    // The kill: two runs lost their summary (one also half its time series), one run
    // directory is gone, a stale partial file lies around, the aggregates are gone.
    let runs = &study.plan.runs;
    fs::remove_file(out.join(&runs[1].dir).join("summary.json")).unwrap();
    let half_written = out.join(&runs[4].dir);
    fs::remove_file(half_written.join("summary.json")).unwrap();
    fs::write(half_written.join("timeseries.csv"), "tick,date\n0,2024-01").unwrap();
    fs::write(half_written.join("generations.csv.partial"), "tick").unwrap();
    fs::remove_dir_all(out.join(&runs[5].dir)).unwrap();
    fs::remove_file(out.join("ensemble.csv")).unwrap();
    assert!(
        write_aggregates(&out).is_err(),
        "an incomplete plan is not aggregated"
    );

    let kept_run = out.join(&runs[0].dir).join("events.jsonl");
    let kept_before = fs::metadata(&kept_run).unwrap().modified().unwrap();
    assert_eq!(
        run(&study, &out, 2, Shard::ALL, true),
        3,
        "only the broken runs are redone"
    );
    let kept_after = fs::metadata(&kept_run).unwrap().modified().unwrap();
    assert_eq!(kept_before, kept_after, "complete runs are not rewritten");
    write_aggregates(&out).unwrap();
    assert_eq!(
        snapshot(&out),
        complete,
        "the resumed output is the uninterrupted one"
    );

    // Resuming into a directory that holds another plan is refused.
    let other = Study::new(
        Kind::Ensemble,
        &StudyArgs {
            world: "subprime_compute".into(),
            runs: RUNS,
            ticks: Some(TICKS + 1),
            ..StudyArgs::default()
        },
    )
    .unwrap();
    let options = RunOptions {
        resume: true,
        ..RunOptions::default()
    };
    let refused = other
        .prepare(&out, options)
        .err()
        .expect("a different plan");
    assert!(
        matches!(refused, EnsembleError::PlanMismatch { .. }),
        "{refused}"
    );
}

fn firesale_cmd(args: &[&str]) -> Output {
    Command::new(firesale())
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn a_max_ltv_sweep_writes_a_row_per_run_and_its_charts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let ticks = TICKS.to_string();
    let result = firesale_cmd(&[
        "sweep",
        "subprime_compute",
        "--vary",
        "lenders[1].base_max_ltv=0.5:0.7:2",
        "--runs",
        "3",
        "--ticks",
        &ticks,
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stderr}");

    let rows = csv_rows(&out.join("sweep.csv"));
    assert_eq!(rows.len(), 6, "2 values x 3 seeds, one row per run");
    let ltv: Vec<&str> = rows
        .iter()
        .map(|r| r["lenders[1].base_max_ltv"].as_str())
        .collect();
    assert_eq!(ltv, ["0.5", "0.5", "0.5", "0.7", "0.7", "0.7"]);
    // Each value gets the same seeds (common random numbers), so a difference between
    // the points is the parameter's doing, not the draw's.
    for r in 0..3 {
        assert_eq!(rows[r]["seed"], rows[r + 3]["seed"]);
        assert!(!rows[r]["default_rate"].is_empty());
    }
    // The varied value reached the runs.
    let plan = firesale_ensemble::Plan::read(&out).unwrap().unwrap();
    let world_of =
        |i: usize| fs::read_to_string(out.join(&plan.runs[i].dir).join("world.ron")).unwrap();
    assert_ne!(world_of(0), world_of(3), "same seed, different max LTV");
    for name in ["sweep_default_rate", "sweep_lender_losses_usd"] {
        let png = out.join("plots").join(format!("{name}.png"));
        let size = fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{} is drawn ({size} bytes)", png.display());
        let svg = fs::read_to_string(out.join("plots").join(format!("{name}.svg"))).unwrap();
        assert!(
            svg.contains("lenders[1].base_max_ltv"),
            "x is the varied field"
        );
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "a median at each of the 2 values"
        );
        assert!(svg.contains("<polygon"), "a band across seeds");
    }
    assert!(
        !out.join("plots/heatmap_default_rate.png").exists(),
        "one varied field, no heatmap"
    );
}

#[test]
fn bad_batch_arguments_exit_with_2_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "ensemble",
                "subprime_compute",
                "--runs",
                "2",
                "--shard",
                "0/3",
            ],
            "--shard 0/3",
        ),
        (
            &[
                "ensemble",
                "subprime_compute",
                "--runs",
                "2",
                "--shard",
                "4/3",
            ],
            "--shard 4/3",
        ),
        (
            &[
                "sweep",
                "subprime_compute",
                "--runs",
                "2",
                "--vary",
                "lenders[1].base_max_ltv=0.5:0.7",
            ],
            "a:b:steps",
        ),
        (
            &[
                "sweep",
                "subprime_compute",
                "--runs",
                "2",
                "--vary",
                "lenders[1].max_ltvv=0.5,0.6",
            ],
            "max_ltvv",
        ),
        (
            &[
                "sweep",
                "subprime_compute",
                "--runs",
                "2",
                "--vary",
                "lenders[1].base_max_ltv=0.5,7",
            ],
            "base_max_ltv=7",
        ),
        (&["merge", out], "no plan.json"),
    ];
    for (args, expected) in cases {
        let mut args = args.to_vec();
        if args[0] != "merge" {
            args.extend(["--out", out]);
        }
        let result = firesale_cmd(&args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(!Path::new(out).join("runs").exists(), "nothing ran");
}
