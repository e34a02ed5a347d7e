//! Property tests of issue 9: any world a user can write either runs or is refused.
//!
//! (a) Random valid worlds (random counts and parameters inside their bounds, short
//!     horizons) run to the end: the ledger balances and lots are conserved (the run
//!     checks both every tick and stops otherwise), and no output holds NaN or inf.
//! (b) World files mutated at random (bytes cut, tokens inserted, numbers replaced) never
//!     panic: they are refused with an error, or they run.
//!
//! Both keep to a few seconds of `cargo test`: small fleets, a handful of ticks. The
//! cases are drawn from a fixed seed, so CI sees the same cases every time; set
//! `PROPTEST_CASES` higher to search further.

mod common;

use firesale_sim::{Simulation, run_world};
use firesale_world::{Dist, Limits, WorldFile, check_cost, parse, validate};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError};
use std::path::Path;

/// The baseline world, parsed once per case (cheap).
fn baseline() -> WorldFile {
    common::world("baseline", None, &[])
}

/// A distribution inside `[lo, hi]`, of any of the four shapes.
fn dist(lo: f64, hi: f64) -> impl Strategy<Value = Dist> {
    let width = hi - lo;
    prop_oneof![
        (lo..=hi).prop_map(Dist::Fixed),
        (lo..=hi, 0.0..=1.0f64).prop_map(move |(a, t)| Dist::Uniform(a, a + t * (hi - a))),
        (lo..=hi, 0.0..=0.5f64).prop_map(move |(m, s)| Dist::Normal(m, s * width)),
        ((lo.max(1e-3))..=hi, 0.0..=1.0f64).prop_map(|(m, s)| Dist::LogNormal(m, s)),
    ]
}

/// Knobs of a random world: counts, fleets, leverage, markets, horizon.
#[derive(Debug, Clone)]
struct Knobs {
    ticks: u32,
    gpus_per_lot: u32,
    counts: [u32; 4],
    gpus: [Dist; 2],
    leverage: Dist,
    cash: Dist,
    power: Dist,
    buyer_cash: Dist,
    liquid_kw: Dist,
    btc_volatility: f64,
    demand_volatility: f64,
    shock: Option<(u32, f64, u32)>,
    elasticity: f64,
    seed: u64,
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (
        (1u32..=30, prop::sample::select(vec![8u32, 16, 32, 64])),
        (1u32..=3, 0u32..=3, 1u32..=3, 1u32..=3),
        (dist(0.0, 4000.0), dist(0.0, 4000.0)),
        (dist(0.0, 0.9), dist(0.0, 5e8), dist(0.0, 0.2)),
        (dist(0.0, 5e9), dist(0.0, 50_000.0)),
        (0.0..3.0f64, 0.0..2.0f64, 0.2..3.0f64),
        prop::option::of((0u32..12, -0.9..2.0f64, 1u32..30)),
        any::<u64>(),
    )
        .prop_map(
            |(
                (ticks, gpus_per_lot),
                (miners, neoclouds, banks, buyers),
                (miner_gpus, neo_gpus),
                (leverage, cash, power),
                (buyer_cash, liquid_kw),
                (btc_volatility, demand_volatility, elasticity),
                shock,
                seed,
            )| Knobs {
                ticks,
                gpus_per_lot,
                counts: [miners, neoclouds, banks, buyers],
                gpus: [miner_gpus, neo_gpus],
                leverage,
                cash,
                power,
                buyer_cash,
                liquid_kw,
                btc_volatility,
                demand_volatility,
                shock,
                elasticity,
                seed,
            },
        )
}

/// The baseline with the knobs applied; lenders are given enough equity to fund any
/// starting fleet the knobs allow, which is the one cross-field condition of a valid world.
fn random_world(k: &Knobs) -> WorldFile {
    let mut w = baseline();
    w.seed = k.seed;
    w.ticks = k.ticks;
    w.gpus_per_lot = k.gpus_per_lot;
    w.compute.elasticity = k.elasticity;
    w.btc.volatility = k.btc_volatility;
    w.demand.volatility = k.demand_volatility;
    w.demand.initial = 5_000.0;
    if let Some((tick, change, weeks)) = k.shock {
        w.demand.shocks = vec![firesale_world::Shock {
            date: w.start + chrono::Duration::days(7 * i64::from(tick)),
            change,
            weeks,
            stress: true,
        }];
    }
    for (i, op) in w.operators.iter_mut().enumerate() {
        op.count = k.counts[i.min(1)];
        op.gpus = k.gpus[i.min(1)];
        op.leverage = k.leverage;
        op.cash = k.cash;
        op.power_price = k.power;
    }
    for (i, lender) in w.lenders.iter_mut().enumerate() {
        if i == 0 {
            lender.count = k.counts[2];
        }
        lender.equity = Dist::Uniform(2e9, 3e9);
    }
    for buyer in w.buyers.iter_mut() {
        buyer.count = k.counts[3];
        buyer.cash = k.buyer_cash;
        buyer.liquid_kw = k.liquid_kw;
        buyer.gpus = Dist::LogNormal(500.0, 0.3);
    }
    w
}

/// Every number in the run's CSV files and summary is finite.
fn outputs_are_finite(dir: &Path) -> Result<(), TestCaseError> {
    for name in [
        "timeseries.csv",
        "generations.csv",
        "events.jsonl",
        "summary.json",
    ] {
        let text = std::fs::read_to_string(dir.join(name))
            .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
        for bad in ["NaN", "inf", "Infinity"] {
            prop_assert!(
                !text.contains(bad),
                "{name} holds {bad}: {}",
                text.lines().find(|l| l.contains(bad)).unwrap_or_default()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 64, failure_persistence: None, rng_seed: RngSeed::Fixed(9), ..Config::default() })]

    /// (a) A valid world runs to the end: exit 0, ledger balanced, lots conserved, all
    /// outputs finite.
    #[test]
    fn random_valid_worlds_run_balanced_and_finite(k in knobs()) {
        let w = random_world(&k);
        if let Err(errors) = validate(&w, "random") {
            return Err(TestCaseError::fail(format!("the generator made an invalid world: {errors:?}")));
        }
        prop_assert!(check_cost(&w, "random", &Limits::default()).is_ok());
        let dir = tempfile::tempdir().unwrap();
        let summary = run_world(&w, dir.path(), |_| {})
            .map_err(|e| TestCaseError::fail(format!("{k:?}: {e}")))?;
        prop_assert!(summary.ledger_max_imbalance_usd.is_finite());
        prop_assert!(dir.path().join("summary.json").is_file());
        outputs_are_finite(dir.path())?;
    }
}

/// Tokens a careless edit might leave in a world file.
const TOKENS: [&str; 16] = [
    ",",
    "(",
    ")",
    "[",
    "]",
    ":",
    "-1",
    "0",
    "NaN",
    "inf",
    "1e308",
    "\"x\"",
    "Fixed(",
    "None",
    "4294967296",
    "//",
];

/// Numbers a careless edit might put in place of another.
const NUMBERS: [&str; 12] = [
    "0",
    "-1",
    "0.0",
    "1e300",
    "-1e300",
    "NaN",
    "inf",
    "1e9",
    "4294967296",
    "0.5",
    "7",
    "-0.0",
];

#[derive(Debug, Clone)]
enum Mutation {
    Cut { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Number { nth: usize, value: usize },
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(
        prop_oneof![
            (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Cut { at, len }),
            (any::<usize>(), 0..TOKENS.len())
                .prop_map(|(at, token)| Mutation::Insert { at, token }),
            (any::<usize>(), 0..NUMBERS.len())
                .prop_map(|(nth, value)| Mutation::Number { nth, value }),
        ],
        1..4,
    )
}

/// The byte ranges of number literals in `text`.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if starts {
            let j = (i..bytes.len())
                .find(|&j| !(bytes[j].is_ascii_digit() || b".eE".contains(&bytes[j])))
                .unwrap_or(bytes.len());
            spans.push((i, j));
            i = j;
        } else {
            i += 1;
        }
    }
    spans
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut text = text.to_string();
    for m in mutations {
        let floor = |at: usize, t: &str| {
            let mut at = at % (t.len() + 1);
            while !t.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        match *m {
            Mutation::Cut { at, len } => {
                let a = floor(at, &text);
                let b = floor((a + len).min(text.len()), &text);
                text.replace_range(a..b, "");
            }
            Mutation::Insert { at, token } => {
                let a = floor(at, &text);
                text.insert_str(a, TOKENS[token]);
            }
            Mutation::Number { nth, value } => {
                let spans = number_spans(&text);
                if let Some(&(a, b)) = spans.get(nth % spans.len().max(1)) {
                    text.replace_range(a..b, NUMBERS[value]);
                }
            }
        }
    }
    text
}

proptest! {
    #![proptest_config(Config { cases: 256, failure_persistence: None, rng_seed: RngSeed::Fixed(9), ..Config::default() })]

    /// (b) A mutated world file never panics: parse, validation and the cost check refuse
    /// it with an error, or it builds and runs a few ticks.
    #[test]
    fn mutated_world_files_never_panic(muts in mutations(), which in 0usize..3) {
        let name = ["baseline", "subprime_compute", "repo_backstop"][which];
        let original = std::fs::read_to_string(format!("worlds/{name}.ron")).unwrap();
        let text = apply(&original, &muts);
        let outcome = std::panic::catch_unwind(|| -> Result<(), String> {
            let mut w = parse(&text, Path::new("mutated.ron")).map_err(|e| e.to_string())?;
            w.ticks = w.ticks.min(2);
            validate(&w, "mutated.ron").map_err(|e| format!("{e:?}"))?;
            check_cost(&w, "mutated.ron", &Limits::default()).map_err(|e| e.to_string())?;
            let mut sim = Simulation::new(&w).map_err(|e| e.to_string())?;
            for tick in 0..w.ticks {
                sim.step(tick).map_err(|e| e.to_string())?;
            }
            Ok(())
        });
        prop_assert!(outcome.is_ok(), "panicked on a mutation {muts:?} of {name}");
        if let Ok(Err(message)) = outcome {
            prop_assert!(!message.is_empty());
        }
    }
}
