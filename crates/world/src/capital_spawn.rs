//! Spawning the capital markets: bond investors, the notes operators owe at the start,
//! each issuer's terms, and GPU ABS deals.

use crate::capital::{
    AbsPool, AbsSpec, BondInvestorClass, NewNoteKind, NotesSpec, StartingNoteKind,
};
use crate::error::WorldError;
use crate::load::invalid;
use crate::schema::WorldFile;
use crate::spawn::{register_agent, tick_of, weeks_to_ticks};
use crate::validate::range;
use bevy_ecs::prelude::*;
use firesale_core::prelude::*;
use firesale_core::{Note, NoteBook, NoteId, NoteKind, NoteStatus};
use firesale_structured::{
    BondInvestor, IssueKind, Issuer, Pool, Spv, Tranche, Triggers, Waterfall,
};

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
        holders_pay(world, &shares, agent.account, principal, "starting note");
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

/// Holders pay `amount` to `to`, each its share.
fn holders_pay(
    world: &mut World,
    shares: &[(AgentId, f64)],
    to: firesale_core::AccountId,
    amount: f64,
    memo: &'static str,
) {
    world.resource_scope(|world, mut ledger: Mut<Ledger>| {
        let directory = world.resource::<Directory>();
        for (holder, share) in shares {
            ledger.transfer(directory.account(*holder), to, amount * share, memo);
        }
    });
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

/// Registers the SPV of a GPU ABS (before the operators, so a pool of loans can be
/// written to it); returns its id.
pub(crate) fn register_deal(world: &mut World, spec: &AbsSpec) -> AgentId {
    let (agent, _) = register_agent(world, &format!("{}-spv", spec.name), AgentKind::Spv, 0.0);
    agent.id
}

/// Sets up a registered GPU ABS: a pool of lots is bought new; a pool of loans was
/// lent by the SPV as the operators spawned. The tranches' holders pay for the pool and
/// the reserve, and the SPV gets its capital stack, racks and power.
pub(crate) fn fund_deal(
    world: &mut World,
    w: &WorldFile,
    spec: &AbsSpec,
    id: AgentId,
    investors: &std::collections::BTreeMap<String, Vec<(AgentId, f64)>>,
) -> Result<(), WorldError> {
    let agent = world.resource::<Directory>().agent(id).clone();
    let entity = world.resource::<Directory>().entity(id);
    let (pool, cost, racks, power) = match &spec.pool {
        AbsPool::Lots {
            generation,
            gpus,
            bought,
            power_price,
        } => {
            let g = crate::spawn::gen_id(w, generation);
            let lots = (gpus / f64::from(w.gpus_per_lot)).round() as u32;
            let cost =
                crate::spawn::price_on(w, g, *bought) * f64::from(w.gpus_per_lot) * f64::from(lots);
            // The vendor is paid from the tranches' money below.
            let bought_tick = tick_of(w.start, w.tick_days, *bought);
            crate::spawn::buy_starting_fleet(world, &agent, g, lots, bought_tick, cost, None);
            let spec_g = &w.generations[g.0 as usize];
            let kw = f64::from(lots) * spec_g.kw_per_unit() * f64::from(w.gpus_per_lot);
            let racks = Racks::new(
                if spec_g.liquid_cooled { 0.0 } else { kw },
                if spec_g.liquid_cooled { kw } else { 0.0 },
            );
            (Pool::Lots, cost, racks, *power_price)
        }
        // The SPV lent the operators' starting loans: its account paid them out.
        AbsPool::Loans { .. } => (
            Pool::Loans,
            -world.resource::<Ledger>().balance(agent.account),
            Racks::default(),
            0.0,
        ),
    };
    let reserve = spec.reserve_share * cost;
    let raised = cost + reserve;
    let mut holders = Vec::new();
    for t in &spec.tranches {
        let class = &investors[&t.holder];
        let total: f64 = class.iter().map(|(_, c)| c).sum();
        if total <= 0.0 {
            return Err(invalid(
                &format!("abs: {}", spec.name),
                format!(
                    "the {:?} tranche's holders ({:?}) have no capital to buy it",
                    t.name, t.holder
                ),
            ));
        }
        let shares: Vec<(AgentId, f64)> = class.iter().map(|(id, c)| (*id, c / total)).collect();
        holders_pay(
            world,
            &shares,
            agent.account,
            t.share * raised,
            "ABS tranche bought",
        );
        holders.push(shares);
    }
    let clock = world.resource::<Clock>().clone();
    let years = clock.years_per_tick();
    let tenor_ticks = clock.ticks_in_years(spec.tenor_years).max(1);
    let (equity, debt) = spec
        .tranches
        .split_last()
        .expect("validated: two tranches or more");
    let debt: Vec<Tranche> = debt
        .iter()
        .map(|t| Tranche::new(&t.name, t.share * raised, t.coupon * years))
        .collect();
    let debt_total: f64 = debt.iter().map(|t| t.principal).sum();
    let last_cash = world.resource::<Ledger>().balance(agent.account);
    world.entity_mut(entity).insert((
        Spv {
            deal: spec.name.clone(),
            pool,
            last_cash,
            waterfall: Waterfall {
                debt,
                equity: Tranche::new(&equity.name, equity.share * raised, 0.0),
                amortisation: spec.amortising_share * debt_total / f64::from(tenor_ticks),
                triggers: Triggers {
                    min_oc: spec.min_oc,
                    min_dscr: spec.min_dscr,
                },
            },
            holders,
            servicing_share: spec.servicing_share,
            reserve,
            final_tick: tenor_ticks,
            accelerate_after: weeks_to_ticks(spec.accelerate_after_weeks, w.tick_days).max(1),
            liquidation_reserve: spec.liquidation_reserve,
            liquidation_ticks: weeks_to_ticks(spec.liquidation_weeks, w.tick_days),
            liquidating_since: None,
            senior_short_since: None,
            breach: None,
            wound_up: false,
            pool_value: 0.0,
            paid_to_equity: 0.0,
        },
        racks,
        PowerContract::own(power),
        firesale_markets::Dispatch::default(),
    ));
    Ok(())
}
