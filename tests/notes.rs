//! Operators' unsecured notes end to end: conversion, refinancing walls, and recoveries
//! by priority in bankruptcy (issue 12).

mod common;

use chrono::NaiveDate;
use common::*;
use firesale_core::{EventKind, LoanBook, LoanStatus, NoteBook, NoteStatus};
use firesale_sim::Simulation;
use firesale_world::{StartingNoteKind, WorldFile};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// double_leverage whose miners' convertibles mature on 2025-01-06, with BTC moved by
/// `btc_change` over March 2024 (no other shock). Owners extrapolate their own rents
/// (the `adaptive` outlook): with the roadmap outlook even BTC at 5% of its price leaves
/// seed 7's miners' shares above the conversion price (all 18 notes converted, and no
/// rollover failed), and these tests are of the notes' machinery, not of valuations.
fn maturing_converts(btc_change: f64) -> WorldFile {
    let mut w = world(
        "double_leverage",
        Some(7),
        &[
            "ticks=60",
            "operators[*].rules.outlook=Rule(\"adaptive\", {})",
            "buyers[*].rules.outlook=Rule(\"adaptive\", {})",
        ],
    );
    w.btc.shocks[0].date = date("2024-03-04");
    w.btc.shocks[0].change = btc_change;
    w.demand.shocks.clear();
    let notes = w.operators[0].notes.as_mut().unwrap();
    for note in &mut notes.outstanding {
        if matches!(note.kind, StartingNoteKind::Convertible { .. }) {
            note.maturity = date("2025-01-06");
        }
    }
    w
}

/// Runs a world tick by tick, collecting every event.
fn events_of(w: &WorldFile) -> (Simulation, Vec<firesale_core::Event>) {
    let mut sim = Simulation::new(w).unwrap();
    let mut events = Vec::new();
    for tick in 0..w.ticks {
        events.extend(sim.step(tick).unwrap());
    }
    (sim, events)
}

#[test]
fn convertibles_convert_when_the_share_price_passes_the_conversion_price_and_not_otherwise() {
    // BTC trebles, halves or all but vanishes over March 2024; on 2025-01-06 each
    // miner's convertible converts exactly when its share price is above the
    // conversion price (30% over the starting price).
    let (mut converted, mut not_converted) = (0, 0);
    for change in [2.0, -0.6, -0.95] {
        let w = maturing_converts(change);
        let maturity = firesale_world::tick_of_date(&w, date("2025-01-06")) as u32;
        let mut sim = Simulation::new(&w).unwrap();
        for tick in 0..=maturity {
            sim.step(tick).unwrap();
        }
        let world = sim.world_mut();
        let mut issuers = world.query::<(&firesale_core::Agent, &firesale_structured::Issuer)>();
        let prices: std::collections::BTreeMap<_, _> = issuers
            .iter(world)
            .map(|(a, i)| (a.id, i.share_price))
            .collect();
        let notes = world.resource::<NoteBook>();
        for n in notes.all().iter().filter(|n| n.maturity_tick == maturity) {
            let firesale_core::NoteKind::Convertible {
                conversion_price, ..
            } = n.kind
            else {
                continue;
            };
            let Some(&share_price) = prices.get(&n.issuer) else {
                continue;
            };
            if n.status == (NoteStatus::Defaulted { tick: maturity }) {
                continue;
            }
            assert_eq!(
                n.status == NoteStatus::Converted,
                share_price > conversion_price,
                "BTC {change:+}: note {} at share price {share_price} against {conversion_price} is {:?}",
                n.id.0,
                n.status
            );
            if n.status == NoteStatus::Converted {
                converted += 1;
            } else {
                not_converted += 1;
            }
        }
    }
    assert!(
        converted > 0 && not_converted > 0,
        "converted {converted}, not {not_converted}"
    );
}

#[test]
fn a_market_that_will_not_buy_leaves_the_issuer_its_grace_period_to_pay_or_file() {
    // No investor buys at any spread: a note falling due that the issuer's spare cash
    // cannot repay meets a failed rollover.
    let mut w = maturing_converts(-0.95);
    w.ticks = 80;
    w.bond_investors[0].rules.pricing = Some(firesale_core::rules::RuleChoice {
        name: "spread_over_risk".into(),
        params: [("max_spread".to_string(), 0.0)].into_iter().collect(),
    });
    let (sim, events) = events_of(&w);
    let failed: Vec<_> = events
        .iter()
        .filter(|e| e.kind == EventKind::RolloverFailed)
        .collect();
    assert!(!failed.is_empty(), "no rollover failed");
    assert!(events.iter().all(|e| e.kind != EventKind::BondIssued));
    // Within its grace period each issuer pays the principal from cash (selling BTC
    // and lots) or files: no rollover fails for longer.
    let grace = 4;
    let issuers: std::collections::BTreeSet<&String> =
        failed.iter().map(|e| &e.agents[0]).collect();
    for issuer in issuers {
        let ticks: Vec<u32> = failed
            .iter()
            .filter(|e| &e.agents[0] == issuer)
            .map(|e| e.tick)
            .collect();
        let (first, last) = (ticks[0], *ticks.last().unwrap());
        assert!(
            last <= first + grace + 1,
            "{issuer} failed to roll from {first} to {last}"
        );
        let notes = sim.world().resource::<NoteBook>();
        let directory = sim.world().resource::<firesale_core::Directory>();
        for n in notes
            .all()
            .iter()
            .filter(|n| directory.name(n.issuer) == issuer.as_str() && n.maturity_tick == first)
        {
            assert!(
                matches!(
                    n.status,
                    NoteStatus::Repaid | NoteStatus::Defaulted { .. } | NoteStatus::WrittenOff
                ),
                "{issuer}'s note {} is {:?} after its grace period",
                n.id.0,
                n.status
            );
        }
    }
    let summary = sim.summary().capital.unwrap();
    assert_eq!(summary.failed_rollovers as usize, failed.len());

    // Investors who buy anything: no rollover fails.
    let mut w = maturing_converts(-0.6);
    w.bond_investors[0].rules.pricing = Some(firesale_core::rules::RuleChoice {
        name: "spread_over_risk".into(),
        params: [
            ("max_spread".to_string(), 1.0),
            ("per_leverage".to_string(), 0.0),
        ]
        .into_iter()
        .collect(),
    });
    w.operators[0].notes.as_mut().unwrap().new_issues.max_yield = 1.0;
    let (_, events) = events_of(&w);
    assert!(events.iter().all(|e| e.kind != EventKind::RolloverFailed));
}

#[test]
fn noteholders_recover_only_what_the_secured_lenders_leave() {
    // The shipped world: miners default in the 2028 wave.
    let w = world("double_leverage", None, &[]);
    let mut sim = Simulation::new(&w).unwrap();
    let mut seen_recovery = false;
    let mut last: Vec<f64> = Vec::new();
    for tick in 0..w.ticks {
        sim.step(tick).unwrap();
        let notes = sim.world().resource::<NoteBook>();
        let loans = sim.world().resource::<LoanBook>();
        for note in notes.all() {
            let before = last.get(note.id.0 as usize).copied().unwrap_or(0.0);
            if note.recovered > before + 1e-6 {
                seen_recovery = true;
                // Every secured loan of the issuer is whole before a note is paid.
                for loan in loans.of_borrower(note.issuer) {
                    if matches!(
                        loan.status,
                        LoanStatus::Defaulted { .. } | LoanStatus::Resolved
                    ) {
                        assert!(
                            loan.recovered >= loan.defaulted_principal - 0.01,
                            "tick {tick}: note {} paid while loan {} is short by {}",
                            note.id.0,
                            loan.id.0,
                            loan.defaulted_principal - loan.recovered
                        );
                    }
                }
            }
            assert!(note.recovered <= note.claim + 0.01 || note.claim == 0.0);
        }
        last = notes.all().iter().map(|n| n.recovered).collect();
    }
    let summary = sim.summary().capital.unwrap();
    assert!(summary.bond_defaults > 0, "no note defaulted");
    assert!(seen_recovery, "no noteholder recovered anything");
    let rate = summary.bond_recovery_rate.unwrap();
    assert!((0.0..=1.0).contains(&rate));
}
