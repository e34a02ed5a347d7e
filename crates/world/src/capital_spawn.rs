//! Spawning the capital markets: bond investors, the notes operators owe at the start,
//! and each issuer's terms.

use crate::capital::{BondInvestorClass, NewNoteKind, NotesSpec, StartingNoteKind};
use crate::error::WorldError;
use crate::load::invalid;
use crate::schema::WorldFile;
use crate::spawn::{register_agent, tick_of, weeks_to_ticks};
use crate::validate::range;
use bevy_ecs::prelude::*;
use firesale_core::prelude::*;
use firesale_core::{Note, NoteBook, NoteId, NoteKind, NoteStatus};
use firesale_structured::{BondInvestor, IssueKind, Issuer};

/// Spawns one bond investor; returns its id and capital.
pub(crate) fn spawn_investor(
    world: &mut World,
    class: &BondInvestorClass,
    index: usize,
    name: &str,
) -> Result<(AgentId, f64), WorldError> {
    let seed = *world.resource::<MasterSeed>();
    let pricing = firesale_structured::pricing_rule(class.rules.pricing.as_ref(), seed, name)
        .map_err(|e| invalid(&format!("bond_investors[{index}].rules"), e))?;
    let mut rng = seed.stream(&format!("params/{name}"));
    let capital = class
        .capital
        .sample(&mut rng, range::AMOUNT.0, range::AMOUNT.1);
    let (agent, entity) = register_agent(world, name, AgentKind::BondInvestor, capital);
    world.entity_mut(entity).insert(BondInvestor {
        pricing,
        capital,
        max_issuer_share: class.max_issuer_share,
    });
    Ok((agent.id, capital))
}

/// The notes `agent` owes at the start: each a share of its fleet's `cost`, held by the
/// investors with a starting book weight in proportion to it; they paid the issuer.
pub(crate) fn starting_notes(
    world: &mut World,
    w: &WorldFile,
    (index, spec): (usize, &NotesSpec),
    agent: &Agent,
    cost: f64,
    holders: &[(AgentId, f64)],
) -> Result<(), WorldError> {
    if spec.outstanding.is_empty() {
        return Ok(());
    }
    let total: f64 = holders.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return Err(invalid(
            &format!("operators[{index}].notes.outstanding"),
            format!(
                "{} starts with notes but no bond investor class has starting_book_weight > 0",
                agent.name
            ),
        ));
    }
    let coupon_every = weeks_to_ticks(spec.new_issues.coupon_weeks, w.tick_days).max(1);
    let grace_ticks = weeks_to_ticks(spec.new_issues.grace_weeks, w.tick_days);
    for n in &spec.outstanding {
        let principal = n.share_of_fleet_cost * cost;
        let issued = tick_of(w.start, w.tick_days, n.issued);
        let maturity = tick_of(w.start, w.tick_days, n.maturity).max(1) as u32;
        // The first coupon date on or after the start.
        let mut next = issued + coupon_every as i32;
        while next < 1 {
            next += coupon_every as i32;
        }
        let kind = match &n.kind {
            StartingNoteKind::HighYield => NoteKind::HighYield,
            StartingNoteKind::Convertible { premium, put } => NoteKind::Convertible {
                conversion_price: spec.initial_share_price * (1.0 + premium),
                put_tick: put
                    .map(|d| tick_of(w.start, w.tick_days, d))
                    .filter(|&t| t > 0)
                    .map(|t| t as u32),
            },
        };
        let shares: Vec<(AgentId, f64)> = holders.iter().map(|(h, wt)| (*h, wt / total)).collect();
        world.resource_scope(|world, mut ledger: Mut<Ledger>| {
            let directory = world.resource::<Directory>();
            for (holder, share) in &shares {
                ledger.transfer(
                    directory.account(*holder),
                    agent.account,
                    principal * share,
                    "starting note",
                );
            }
        });
        world.resource_mut::<NoteBook>().add(Note {
            id: NoteId(0),
            issuer: agent.id,
            holders: shares,
            kind,
            principal,
            coupon: n.coupon,
            issued_tick: issued.max(0) as u32,
            maturity_tick: maturity,
            coupon_every,
            next_coupon_tick: next as u32,
            coupon_arrears: 0.0,
            principal_due: 0.0,
            arrears_since: None,
            grace_ticks,
            status: NoteStatus::Outstanding,
            claim: 0.0,
            recovered: 0.0,
        });
    }
    world
        .resource_mut::<firesale_structured::BondMarket>()
        .issuers
        .insert(agent.id);
    Ok(())
}

/// An issuer's terms for the notes it sells.
pub(crate) fn issuer(spec: &NotesSpec, clock: &Clock) -> Issuer {
    let n = &spec.new_issues;
    let tick_days = clock.tick_days;
    Issuer {
        shares: 0.0,
        initial_share_price: spec.initial_share_price,
        share_price: spec.initial_share_price,
        kind: match n.kind {
            NewNoteKind::HighYield => IssueKind::HighYield,
            NewNoteKind::Convertible {
                premium,
                put_years,
                coupon_cut,
            } => IssueKind::Convertible {
                premium,
                put_ticks: put_years.map(|y| clock.ticks_in_years(y).max(1)),
                coupon_cut,
            },
        },
        tenor_ticks: clock.ticks_in_years(n.tenor_years).max(1),
        coupon_every: weeks_to_ticks(n.coupon_weeks, tick_days).max(1),
        grace_ticks: weeks_to_ticks(n.grace_weeks, tick_days),
        max_yield: n.max_yield,
        issues_for_growth: n.for_growth,
        min_issue: n.min_issue,
    }
}
