//! GPU ABS end to end: the waterfall's order and triggers in a run, a pool of lots sold
//! into a crash, and a pool of loans whose defaults the servicer works out (issue 12).

mod common;

use common::*;
use firesale_core::{Agent, EventKind, Fleet};
use firesale_sim::Simulation;
use firesale_structured::Spv;
use firesale_world::{AbsPool, WorldFile};

/// gpu_abs with its SPV owning 40,000 H100s bought at the start instead of loans, a
/// 3-year tenor, and AI demand falling by `demand_change` in February 2026.
///
/// Operators bid for no used lot here: with their bids (the default since issue 37),
/// the industry buys the liquidated pool well enough that a 70% fall in AI demand no
/// longer reaches the senior at all (0 of 12 seeds and correlations at a 50% fall),
/// and these tests are of the waterfall's priority, which needs a senior loss to show.
fn pool_of_lots(demand_change: f64) -> WorldFile {
    let mut w = world("gpu_abs", None, &["ticks=220", NO_OPERATOR_BIDS]);
    w.abs[0].pool = AbsPool::Lots {
        generation: "H100".into(),
        gpus: 40000.0,
        bought: w.start,
        power_price: 0.06,
    };
    w.abs[0].tenor_years = 3.0;
    w.demand.shocks[0].change = demand_change;
    w
}

/// The SPV's state after every tick.
fn spv_path(w: &WorldFile) -> (Simulation, Vec<Spv>, Vec<firesale_core::Event>) {
    let mut sim = Simulation::new(w).unwrap();
    let mut path = Vec::new();
    let mut events = Vec::new();
    for tick in 0..w.ticks {
        events.extend(sim.step(tick).unwrap());
        let world = sim.world_mut();
        let mut q = world.query::<(&Agent, &Spv)>();
        path.push(q.iter(world).next().unwrap().1.clone());
    }
    (sim, path, events)
}

#[test]
fn an_ai_demand_crash_reaches_the_senior_only_through_the_mezzanine() {
    let (_, path, events) = spv_path(&pool_of_lots(-0.7));
    for pair in path.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        // A breached trigger cuts the equity off: nothing reaches it that week.
        if after.breach.is_some() && after.liquidating_since.is_none() {
            assert_eq!(after.paid_to_equity, before.paid_to_equity);
        }
        // The senior is written down only once the mezzanine has nothing left.
        let w = &after.waterfall;
        if w.debt[0].written_down > 0.0 {
            assert!(
                w.debt[1].principal <= 1e-6,
                "senior hit with mezzanine left"
            );
        }
        for (b, a) in before.waterfall.debt.iter().zip(&w.debt) {
            assert!(a.principal <= b.principal + 1e-6, "a tranche grew");
        }
    }
    assert!(
        path.iter().any(|s| s.breach.is_some()),
        "no trigger breached"
    );
    let last = path.last().unwrap();
    assert!(last.wound_up, "the pool was not sold by the end");
    let w = &last.waterfall;
    assert!(
        w.debt[0].loss_share() > 0.0,
        "the crash did not reach the senior"
    );
    assert_eq!(w.debt[1].loss_share(), 1.0);
    let wound_up = events
        .iter()
        .find(|e| e.kind == EventKind::WaterfallTrigger && e.detail.starts_with("wound up"))
        .unwrap();
    let lost = w.debt.iter().map(|t| t.written_down).sum::<f64>() + w.equity.written_down;
    assert!((wound_up.amount - lost).abs() < 1.0);

    // A milder dip: the mezzanine and equity absorb it, the senior is whole.
    let (_, path, _) = spv_path(&pool_of_lots(-0.1));
    let last = path.last().unwrap();
    assert!(last.wound_up);
    assert_eq!(last.waterfall.debt[0].loss_share(), 0.0);
}

#[test]
fn a_pool_of_loans_collects_debt_service_and_sells_what_it_repossesses() {
    let w = world("gpu_abs", None, &[]);
    let (sim, path, events) = spv_path(&w);
    let first = &path[0].waterfall;
    let later = &path[100].waterfall;
    assert!(
        later.debt[0].principal < first.debt[0].principal,
        "the borrowers' payments did not amortise the senior"
    );
    let spv = "gpu_loans-spv";
    let repossessed: u32 = events
        .iter()
        .filter(|e| e.kind == EventKind::Repossession && e.agents[0] == spv)
        .map(|e| e.lots)
        .sum();
    assert!(repossessed > 0, "no pool loan defaulted into repossession");
    let sold = events
        .iter()
        .filter(|e| e.kind == EventKind::Trade && e.agents.iter().any(|a| a == spv))
        .count();
    assert!(sold > 0, "the servicer sold no repossessed lot");
    // What it still owns at the end is what it has not sold yet.
    let world = sim.world();
    let directory = world.resource::<firesale_core::Directory>();
    let id = directory.iter().find(|a| a.name == spv).unwrap().id;
    let left = world.resource::<Fleet>().count_owned(id) as u32;
    assert!(left <= repossessed);
    let summary = sim.summary().capital.unwrap();
    for loss in [
        summary.tranche_loss_senior,
        summary.tranche_loss_mezz,
        summary.tranche_loss_equity,
    ] {
        assert!((0.0..=1.0).contains(&loss.unwrap()));
    }
}

#[test]
fn across_seeds_and_correlations_the_senior_loses_only_when_the_mezzanine_is_wiped_out() {
    // The pool of lots, over seeds and two stress correlations: tranche losses are
    // shares in [0, 1], and a seed whose senior lost anything lost all its mezzanine.
    use rayon::prelude::*;
    let worlds: Vec<WorldFile> = [0.0, 0.9]
        .iter()
        .flat_map(|&correlation| {
            (1..=6).map(move |seed| {
                let mut w = pool_of_lots(-0.5);
                w.seed = seed;
                w.btc.correlation_stress = correlation;
                w
            })
        })
        .collect();
    let runs: Vec<_> = worlds
        .par_iter()
        .map(|w| {
            let mut sim = Simulation::new(w).unwrap();
            for tick in 0..w.ticks {
                sim.step(tick).unwrap();
            }
            sim.summary().capital.unwrap()
        })
        .collect();
    let mut senior_losses = 0;
    for (w, c) in worlds.iter().zip(&runs) {
        let (senior, mezz, equity) = (
            c.tranche_loss_senior.unwrap(),
            c.tranche_loss_mezz.unwrap(),
            c.tranche_loss_equity.unwrap(),
        );
        for loss in [senior, mezz, equity] {
            assert!((0.0..=1.0).contains(&loss));
        }
        if senior > 0.0 {
            senior_losses += 1;
            assert_eq!(
                mezz, 1.0,
                "seed {}: senior lost {senior} with mezzanine {mezz}",
                w.seed
            );
        }
    }
    assert!(senior_losses > 0, "no seed's senior lost anything");
}
