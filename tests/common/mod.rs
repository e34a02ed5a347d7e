//! Helpers shared by the end-to-end tests: run a shipped world into a temporary directory.
#![allow(dead_code)]

use firesale_sim::{Summary, run_world};
use firesale_world::{WorldFile, load};
use std::collections::BTreeMap;
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

/// Weeks in which a used lot cost more per unit of performance than a new lot of a newer
/// generation the vendor delivered, with neither the vendor sold out nor racks short for
/// the newer one (`vendor_rationed`, `racks_short` in `generations.csv`): one line per
/// (week, used generation, newer generation). GPUs are compared per unit of H100
/// performance. Rigs are left out: the vendor sells rigs at their launch list price
/// falling at a fixed yearly rate, far above what the rigs of 2022 fetched, until the
/// vendor prices rigs by a rule of its own (issue 37, item 5). A used lot within 1% of
/// the new one's price per unit passes: where a new lot is worth just its price, its
/// buyers' shadow price of racks is nil and an older lot's value per unit can meet the
/// new one's to within a week's drift of valuations (double_leverage, 2026-06-01: a used
/// B200 at $13,173 a unit against a new B300 at $13,143).
pub fn used_dearer_than_new(world: &WorldFile, dir: &Path) -> Vec<String> {
    use firesale_world::Hardware;
    let per_unit: BTreeMap<&str, (bool, f64)> = world
        .generations
        .iter()
        .map(|g| match g.hardware {
            Hardware::Asic { th_per_unit, .. } => (g.name.as_str(), (true, th_per_unit)),
            _ => (g.name.as_str(), (false, g.perf)),
        })
        .collect();
    let order: Vec<&str> = world.generations.iter().map(|g| g.name.as_str()).collect();
    let mut weeks: BTreeMap<u32, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
    for row in csv_rows(&dir.join("generations.csv")) {
        let tick: u32 = row["tick"].parse().unwrap();
        weeks
            .entry(tick)
            .or_default()
            .insert(row["generation"].clone(), row);
    }
    let number = |s: &str| s.parse::<f64>().ok();
    let mut found = Vec::new();
    for rows in weeks.values() {
        for (i, used) in order.iter().enumerate() {
            let Some(u) = rows.get(*used) else { continue };
            let Some(price) = number(&u["secondary_price"]) else {
                continue;
            };
            let (used_rig, used_unit) = per_unit[used];
            for newer in &order[i + 1..] {
                let (new_rig, new_unit) = per_unit[newer];
                let Some(n) = rows.get(*newer) else { continue };
                let Some(vendor) = number(&n["vendor_price"]) else {
                    continue;
                };
                if used_rig || new_rig || n["vendor_rationed"] == "1" || n["racks_short"] == "1" {
                    continue;
                }
                if price / used_unit > vendor / new_unit * 1.01 {
                    found.push(format!(
                        "{}: a used {used} at {:.0} a unit against a new {newer} at {:.0}",
                        u["date"],
                        price / used_unit,
                        vendor / new_unit
                    ));
                }
            }
        }
    }
    found
}

/// Overrides that give every operator and buyer the `adaptive` outlook (each generation's
/// own rent trend, blind to the roadmap), the default before issue 37. The tests that
/// use it check a mechanism of a shipped world that, at their seeds, no longer shows
/// under the `roadmap` default (each says what it measured); issue 37 is open on it.
/// Operators that bid for no used lot (`operator.used_bids: none`, the model before
/// issue 37's item 2): for tests of a mechanism that the industry's own bids would
/// mask, pinned with the figures measured both ways in their comments.
pub const NO_OPERATOR_BIDS: &str = "operators[*].rules.used_bids=Rule(\"none\", {})";

pub const ADAPTIVE: [&str; 2] = [
    "operators[*].rules.outlook=Rule(\"adaptive\", {})",
    "buyers[*].rules.outlook=Rule(\"adaptive\", {})",
];
