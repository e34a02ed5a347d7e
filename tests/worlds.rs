//! End-to-end runs of the shipped worlds: conservation, sanity of outputs, and the
//! behaviour each of the three core worlds exists to show.

mod common;

use common::*;
use std::fs;

/// Every shipped world runs to the end with a balanced ledger, conserved lots, and no
/// NaN or infinity anywhere in its outputs; `summary.json` is written last.
#[test]
fn every_shipped_world_balances_and_conserves() {
    let worlds = shipped_worlds();
    assert!(
        worlds.len() >= 3,
        "at least baseline, subprime_compute and repo_backstop ship: {worlds:?}"
    );
    for name in worlds {
        let w = world(&name, None, &[]);
        let (s, dir) = run(&w);
        // A cent per million dollars of balance sheet.
        assert!(
            s.ledger_max_imbalance_usd <= s.ledger_max_balance_sheet_usd * 1e-8,
            "{name}: ledger imbalance {} on {}",
            s.ledger_max_imbalance_usd,
            s.ledger_max_balance_sheet_usd
        );
        assert!(
            s.ledger_max_balance_sheet_usd > 1e9,
            "{name}: the balance sheet is not trivially small"
        );
        assert!(s.lots_created > 0, "{name}: some lots exist");
        for file in [
            "timeseries.csv",
            "generations.csv",
            "events.jsonl",
            "summary.json",
            "world.ron",
        ] {
            let path = dir.path().join(file);
            let text =
                fs::read_to_string(&path).unwrap_or_else(|_| panic!("{name}: {file} missing"));
            assert_no_non_finite(&name, file, &text);
            assert!(
                !dir.path().join(format!("{file}.partial")).exists(),
                "{name}: {file}.partial left behind"
            );
        }
        let dearer = used_dearer_than_new(&w, dir.path());
        assert!(
            dearer.is_empty(),
            "{name}: a used GPU cost more per unit of performance than a new one the vendor \
             delivered, with racks to spare, in {} weeks, first {}",
            dearer.len(),
            dearer[0]
        );
        let rows = csv_rows(&dir.path().join("timeseries.csv"));
        assert_eq!(rows.len(), w.ticks as usize, "{name}: one row per tick");
        assert_eq!(rows[0]["date"], w.start.to_string());
    }
}

/// Every number-like token of a CSV or JSON text is finite (JSON writes NaN as null, so
/// nulls are allowed only for the summary's optional figures).
fn assert_no_non_finite(world: &str, file: &str, text: &str) {
    for token in text.split([',', '\n', ':', ' ', '{', '}']) {
        let t = token.trim().trim_matches('"');
        let lower = t.to_ascii_lowercase();
        assert!(
            !["nan", "inf", "-inf", "infinity", "-infinity"].contains(&lower.as_str()),
            "{world}: {file} holds {t}"
        );
        if let Ok(x) = t.parse::<f64>() {
            assert!(x.is_finite(), "{world}: {file} holds {t}");
        }
    }
    if file == "summary.json" {
        let summary: serde_json::Value = serde_json::from_str(text).unwrap();
        for key in [
            "default_rate",
            "lender_losses_usd",
            "repo_volume_total",
            "ledger_max_imbalance_usd",
        ] {
            assert!(
                summary[key].is_number(),
                "{world}: summary {key} is {}",
                summary[key]
            );
        }
    }
}

/// Lots are created only by the vendor and destroyed only by scrapping: the fleet the
/// run ends with is exactly what was built less what was scrapped, tick after tick.
#[test]
fn lots_are_conserved_every_tick() {
    let w = world("subprime_compute", None, &["ticks=200"]);
    let mut sim = firesale_sim::Simulation::new(&w).unwrap();
    for tick in 0..w.ticks {
        sim.step(tick).unwrap();
        let fleet = sim.world().resource::<firesale_core::Fleet>();
        assert!(
            fleet.check_conservation_full().is_ok(),
            "tick {tick}: {:?}",
            fleet.check_conservation_full()
        );
        assert_eq!(fleet.alive() as u64, fleet.created - fleet.scrapped);
    }
    // Recoveries never exceed what a loan owed: a surplus goes back to the estate.
    for loan in sim.world().resource::<firesale_core::LoanBook>().all() {
        assert!(
            loan.recovered <= loan.defaulted_principal + 1e-6,
            "loan {:?} recovered {} of {}",
            loan.id,
            loan.recovered,
            loan.defaulted_principal
        );
    }
}

/// The crisis world produces defaults, repossessions and fire sales at a discount far
/// above anything the calm baseline shows; the baseline has no default wave. Over seeds
/// 1 to 4: since operators bid for used lots (issue 37, item 2) a single seed of
/// `subprime_compute` may pass with no default (seeds 1-4 had 1, 1, 6 and 0 when this
/// was written, against 4 to 12 before; 30-seed mean default rate 19% against 31%).
#[test]
fn the_crisis_emerges_in_subprime_compute_and_not_in_baseline() {
    let crises: Vec<_> = (1..=4)
        .map(|seed| run(&world("subprime_compute", Some(seed), &[])).0)
        .collect();
    let (calm, _d2) = run(&world("baseline", None, &[]));
    let defaults: u32 = crises.iter().map(|c| c.defaults_total).sum();
    assert!(defaults >= 4, "a default wave: {defaults} defaults");
    let repossessed: u64 = crises.iter().map(|c| c.repossessed_lots_total).sum();
    assert!(repossessed > 100, "repossessions: {repossessed}");
    for crisis in &crises {
        assert!(
            crisis.trades_total > 100,
            "secondary trades: {}",
            crisis.trades_total
        );
    }
    let peak = mean_of(crises.iter().map(|c| c.peak_discount));
    assert!(peak > 0.25, "mean peak fire-sale discount {peak}");
    assert_eq!(calm.defaults_total, 0, "no default wave in the calm world");
    assert_eq!(
        calm.peak_discount, None,
        "no distressed sale in the calm world"
    );
}

/// A lender of last resort at a fixed haircut softens the fire sale: over several seeds
/// the backstop world has a lower peak discount and fewer defaults than the crisis world
/// run with the same seeds.
///
/// Under the `roadmap` outlook the backstop desk lends nothing at seed 1 (4 defaults in
/// both worlds: it lends only against lenders' inventory, and the lenders never owe
/// cash they cannot pay): checked with the `adaptive` outlook, and open in issue 37
/// (item 3, repo for every holder). Operators bid for no used lot here either: with
/// their bids the backstop world had more defaults than the crisis world over these
/// seeds (53 against 50 at `scale` 1, adaptive), the desk still lending only to lenders.
#[test]
fn a_repo_backstop_softens_the_fire_sale() {
    let (mut crisis_discount, mut backstop_discount) = (0.0, 0.0);
    let (mut crisis_defaults, mut backstop_defaults) = (0, 0);
    for seed in 1..=4 {
        let sets = [ADAPTIVE[0], ADAPTIVE[1], NO_OPERATOR_BIDS];
        let (c, _d1) = run(&world("subprime_compute", Some(seed), &sets));
        let (b, _d2) = run(&world("repo_backstop", Some(seed), &sets));
        crisis_discount += c.peak_discount.unwrap_or(0.0);
        backstop_discount += b.peak_discount.unwrap_or(0.0);
        crisis_defaults += c.defaults_total;
        backstop_defaults += b.defaults_total;
        assert!(
            b.repo_volume_total > 2.0 * c.repo_volume_total.max(1e6),
            "seed {seed}: the backstop lends far more than the market desk"
        );
    }
    assert!(
        backstop_discount < crisis_discount,
        "mean peak discount {} vs {}",
        backstop_discount / 4.0,
        crisis_discount / 4.0
    );
    assert!(
        backstop_defaults < crisis_defaults,
        "defaults {backstop_defaults} vs {crisis_defaults}"
    );
}

/// Older generations lose rent when a newer one ships, through the merit order alone:
/// the same world with Rubin released early shows a lower H100 rent a year later than
/// with Rubin held back.
#[test]
fn a_new_generation_undercuts_the_old_in_the_merit_order() {
    let h100_rent = |release: &str, date: &str| -> f64 {
        let w = world(
            "baseline",
            None,
            &[
                &format!("generations[4].release=\"{release}\""),
                "ticks=250",
            ],
        );
        let (_, dir) = run(&w);
        let rows = csv_rows(&dir.path().join("generations.csv"));
        rows.iter()
            .find(|r| r["generation"] == "H100" && r["date"].as_str() >= date)
            .map(|r| r["rent"].parse().unwrap())
            .unwrap()
    };
    let early = h100_rent("2026-01-05", "2027-01-04");
    let late = h100_rent("2028-06-05", "2027-01-04");
    assert!(
        early < late * 0.95,
        "H100 rent with Rubin out early {early:.3} vs held back {late:.3}"
    );
}

/// The market repo desk stops lending when the secondary market stops trading: every
/// generation that has gone longer than the desk's tolerance without a trade gets a
/// 100% haircut, and the desk did lend (haircut below 100%) while trades were fresh.
#[test]
fn repo_haircut_reaches_one_when_trading_stops() {
    let (_, dir) = run(&world("subprime_compute", None, &[]));
    let rows = csv_rows(&dir.path().join("generations.csv"));
    let stale: Vec<_> = rows
        .iter()
        .filter(|r| {
            r["weeks_since_trade"].parse::<u32>().is_ok_and(|w| w > 6)
                || r["weeks_since_trade"].is_empty()
        })
        .collect();
    assert!(!stale.is_empty());
    for r in stale {
        assert_eq!(
            r["repo_haircut"], "1",
            "{} {}: stale market but haircut {}",
            r["date"], r["generation"], r["repo_haircut"]
        );
    }
    assert!(
        rows.iter()
            .any(|r| r["repo_haircut"].parse::<f64>().is_ok_and(|h| h < 0.9)),
        "while the market trades, the desk lends"
    );
}

/// Same world and seed: byte-identical files. Another seed: another path.
#[test]
fn runs_are_reproducible_and_seeds_matter() {
    let w = world("subprime_compute", None, &["ticks=180"]);
    let (_, a) = run(&w);
    let (_, b) = run(&w);
    for file in [
        "timeseries.csv",
        "generations.csv",
        "events.jsonl",
        "summary.json",
        "world.ron",
    ] {
        let x = fs::read(a.path().join(file)).unwrap();
        let y = fs::read(b.path().join(file)).unwrap();
        assert!(x == y, "{file} differs between two runs of the same seed");
    }
    let other = world("subprime_compute", Some(7), &["ticks=180"]);
    let (_, c) = run(&other);
    assert_ne!(
        fs::read(a.path().join("timeseries.csv")).unwrap(),
        fs::read(c.path().join("timeseries.csv")).unwrap(),
        "a different seed gives a different path"
    );
    let world_ron = fs::read_to_string(c.path().join("world.ron")).unwrap();
    assert!(
        world_ron.contains("seed: 7"),
        "the resolved world records the seed"
    );
}

/// Work spread over cores (valuations, bids, marks, book sorts) and the step timer change
/// no output: a run on one thread, a run on four and a timed run write the same bytes.
#[test]
fn thread_count_and_step_timing_leave_outputs_unchanged() {
    let w = world("subprime_compute", None, &["ticks=120", "scale=2"]);
    let on = |threads: usize, timed: bool| {
        let dir = tempfile::tempdir().unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut step_seconds = 0.0;
        pool.install(|| {
            let mut sim = firesale_sim::Simulation::new(&w).unwrap();
            if timed {
                sim.time_steps().unwrap();
            }
            sim.run_to_with(dir.path(), |_, world| {
                if let Some(times) = world.get_resource::<firesale_sim::StepTimes>() {
                    step_seconds = times.by_step().iter().map(|t| t.seconds).sum();
                }
            })
            .unwrap();
        });
        (dir, step_seconds)
    };
    let (one, _) = on(1, false);
    let (four, _) = on(4, false);
    let (timed, seconds) = on(2, true);
    assert!(seconds > 0.0, "the timed run timed its steps");
    for file in [
        "timeseries.csv",
        "generations.csv",
        "events.jsonl",
        "summary.json",
    ] {
        let x = fs::read(one.path().join(file)).unwrap();
        assert!(
            x == fs::read(four.path().join(file)).unwrap(),
            "{file}: one thread and four differ"
        );
        assert!(
            x == fs::read(timed.path().join(file)).unwrap(),
            "{file}: timing the steps changed it"
        );
    }
}

/// Breaks an operator's power contract (a NaN price) and returns the simulation.
fn broken_simulation() -> firesale_sim::Simulation {
    let w = world("baseline", None, &["ticks=150"]);
    let mut sim = firesale_sim::Simulation::new(&w).unwrap();
    let world = sim.world_mut();
    let mut query = world.query::<(&firesale_core::Agent, &mut firesale_core::PowerContract)>();
    let (_, mut power) = query
        .iter_mut(world)
        .find(|(agent, _)| agent.name == "neocloud-2")
        .expect("baseline has neocloud-2");
    power.usd_per_kwh = f64::NAN;
    sim
}

/// An invalid state stops the run with a message naming the agent, the tick and the phase.
#[test]
fn an_invalid_state_stops_the_run_naming_agent_tick_and_phase() {
    let mut sim = broken_simulation();
    let error = sim.step(0).expect_err("a NaN power bill cannot be paid");
    let message = error.to_string();
    assert!(message.contains("neocloud-2"), "{message}");
    assert!(message.contains("tick 0"), "{message}");
    assert!(message.contains("operating costs"), "{message}");
}

/// A run that stops half-way leaves `.partial` files and no `summary.json`: nothing that
/// looks like a complete run.
#[test]
fn an_interrupted_run_does_not_look_complete() {
    let dir = tempfile::tempdir().unwrap();
    let result = broken_simulation().run_to(dir.path(), |_| {});
    assert!(result.is_err());
    assert!(!dir.path().join("summary.json").exists());
    assert!(!dir.path().join("timeseries.csv").exists());
    assert!(dir.path().join("timeseries.csv.partial").exists());
}

/// A lender's and an operator's behaviour parameters come from the world file: changing
/// them changes the run (they are not constants in code).
#[test]
fn behaviour_parameters_reach_the_agents() {
    let short = |sets: &[&str]| {
        let mut w = world("subprime_compute", None, sets);
        w.ticks = 200;
        run(&w).0
    };
    let base = short(&[]);
    let patient = short(&[
        "lenders[0].liquidity.illiquidity_grace_weeks=0",
        "lenders[1].liquidity.illiquidity_grace_weeks=0",
        "lenders[2].liquidity.illiquidity_grace_weeks=0",
        "operators[0].distress.urgent_reserve=0.05",
        "operators[1].distress.urgent_reserve=0.05",
        r#"operators[*].rules.used_bids=Rule("natural_buyer", {"cash_share": 0.1})"#,
    ]);
    assert_ne!(base, patient, "the parameters change what agents do");
}

/// Owners who know the roadmap value a used H100 below owners who extrapolate its own
/// rent: in `calibration_h100` in 2026, with B200 and B300 shipping, the H100's median
/// clearing price is lower with the `roadmap` outlook than with `adaptive` (about $24k
/// against $31k a GPU when this test was written).
#[test]
fn the_roadmap_outlook_prices_used_h100s_below_the_adaptive_one() {
    let median_2026 = |sets: &[&str]| -> f64 {
        let w = world("calibration_h100", None, sets);
        let (_, dir) = run(&w);
        let rows = csv_rows(&dir.path().join("generations.csv"));
        let mut prices: Vec<f64> = rows
            .iter()
            .filter(|r| r["generation"] == "H100" && r["date"].starts_with("2026"))
            .filter_map(|r| r["secondary_price"].parse().ok())
            .collect();
        assert!(prices.len() > 10, "{sets:?}: H100s trade in 2026");
        prices.sort_by(f64::total_cmp);
        prices[prices.len() / 2]
    };
    let roadmap = median_2026(&[]);
    let adaptive = median_2026(&[
        "operators[*].rules.outlook=Rule(\"adaptive\", {})",
        "buyers[*].rules.outlook=Rule(\"adaptive\", {})",
    ]);
    assert!(
        roadmap < 0.9 * adaptive,
        "roadmap {roadmap:.0} against adaptive {adaptive:.0}"
    );
}
