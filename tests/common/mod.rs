//! Helpers shared by the end-to-end tests: run a shipped world into a temporary directory.
#![allow(dead_code)]

use firesale_sim::{Summary, run_world};
use firesale_world::{WorldFile, load};
use std::path::{Path, PathBuf};

/// Every world shipped in `worlds/`.
pub fn shipped_worlds() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("worlds")
        .expect("worlds/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

/// Loads a shipped world with overrides.
pub fn world(name: &str, seed: Option<u64>, sets: &[&str]) -> WorldFile {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load(name, seed, None, &sets)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .1
}

/// Runs a world into `dir` and returns its summary.
pub fn run_into(world: &WorldFile, dir: &Path) -> Summary {
    run_world(world, dir, |_| {}).unwrap_or_else(|e| panic!("{}: {e}", world.name))
}

/// Runs a world into a fresh temporary directory.
pub fn run(world: &WorldFile) -> (Summary, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let summary = run_into(world, dir.path());
    (summary, dir)
}

/// Rows of a CSV file as header-keyed maps.
pub fn csv_rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Runs the `firesale` binary with `args` and waits for it.
pub fn firesale_cmd(args: &[&str]) -> std::process::Output {
    std::process::Command::new(firesale())
        .args(args)
        .output()
        .expect("the binary runs")
}

/// What a finished command wrote on stderr.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// The `firesale` binary built for these tests.
pub fn firesale() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_firesale"))
}

/// The summaries of a shipped world with overrides over `seeds`, run in memory (no
/// output files) on every core; in the order of `seeds`.
pub fn summaries(name: &str, seeds: impl IntoIterator<Item = u64>, sets: &[&str]) -> Vec<Summary> {
    use rayon::prelude::*;
    let worlds: Vec<WorldFile> = seeds
        .into_iter()
        .map(|seed| world(name, Some(seed), sets))
        .collect();
    worlds
        .par_iter()
        .map(|w| {
            let mut sim = firesale_sim::Simulation::new(w).unwrap_or_else(|e| panic!("{e}"));
            for tick in 0..w.ticks {
                sim.step(tick)
                    .unwrap_or_else(|e| panic!("{} seed {}: {e}", w.name, w.seed));
            }
            sim.summary()
        })
        .collect()
}

/// The mean of the figures that exist.
pub fn mean_of(values: impl IntoIterator<Item = Option<f64>>) -> f64 {
    let v: Vec<f64> = values.into_iter().flatten().collect();
    assert!(!v.is_empty(), "no run has the figure");
    v.iter().sum::<f64>() / v.len() as f64
}

/// The distressed discount pooled over runs: each run's volume-weighted discount
/// weighted by its distressed lots, so a run with a handful of distressed sales counts
/// for as little as it measures.
pub fn pooled_discount(runs: &[Summary]) -> f64 {
    let (weighted, lots) = runs
        .iter()
        .filter_map(|s| {
            s.distressed_discount
                .map(|d| (d, s.distressed_lots_traded as f64))
        })
        .fold((0.0, 0.0), |(w, l), (d, n)| (w + d * n, l + n));
    assert!(
        lots > 0.0,
        "no run sold distressed lots against a reference"
    );
    weighted / lots
}
