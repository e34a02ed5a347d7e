//! Ensemble throughput of `subprime_compute` in runs per second with 1 and 2 worker
//! threads, and the parallel efficiency (speed-up / threads). Not a timed test: it
//! prints figures for a person to read.
//!
//! `cargo bench -p firesale-ensemble --bench ensemble_throughput`
//! Environment: `FIRESALE_BENCH_RUNS` (default 8), `FIRESALE_BENCH_JOBS` (default `1,2`),
//! `FIRESALE_BENCH_WORLD` (default `subprime_compute`).

use std::time::Instant;

use firesale_ensemble::{Kind, RunOptions, Study, StudyArgs, write_aggregates};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn main() {
    let runs: usize = env_or("FIRESALE_BENCH_RUNS", "8")
        .parse()
        .expect("FIRESALE_BENCH_RUNS is a number");
    let jobs: Vec<usize> = env_or("FIRESALE_BENCH_JOBS", "1,2")
        .split(',')
        .map(|j| {
            j.trim()
                .parse()
                .expect("FIRESALE_BENCH_JOBS is a list of numbers")
        })
        .collect();
    let world = env_or("FIRESALE_BENCH_WORLD", "subprime_compute");
    let study = Study::new(
        Kind::Ensemble,
        &StudyArgs {
            world: world.clone(),
            runs,
            ..StudyArgs::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "ensemble throughput: {world}, {runs} runs of {} ticks, {} cores available",
        study.plan.ticks,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut single: Option<f64> = None;
    for &j in &jobs {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let options = RunOptions {
            jobs: Some(j),
            ..RunOptions::default()
        };
        let started = Instant::now();
        let stats = study
            .prepare(dir.path(), options)
            .and_then(|batch| batch.run(|_| {}))
            .unwrap_or_else(|e| panic!("{e}"));
        let run_seconds = started.elapsed().as_secs_f64();
        let aggregate_started = Instant::now();
        write_aggregates(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let aggregate_seconds = aggregate_started.elapsed().as_secs_f64();
        let rate = stats.ran as f64 / run_seconds;
        let base = *single.get_or_insert(rate / j as f64);
        println!(
            "jobs {j:>2}: {rate:6.2} runs/s ({run_seconds:.2} s for {} runs; aggregation {aggregate_seconds:.2} s)  speed-up {:.2}x  efficiency {:.0}%",
            stats.ran,
            rate / base,
            100.0 * rate / base / j as f64
        );
    }
}
