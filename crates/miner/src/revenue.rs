//! Phases 2 and 3 for operators: term-contract rent (and shaky tenants), mining revenue.

use crate::components::{Bitcoin, Lease, Operator, TermLeases};
use firesale_core::LoanStatus;
use firesale_core::prelude::*;
use firesale_markets::{ComputeMarket, Dispatch, Exogenous, LeasedShare};
use rand::RngExt;

/// Phase 2: tenants on term leases pay, or default when their own demand has fallen;
/// operators sign new leases up to their target share at today's spot price.
#[allow(clippy::type_complexity)]
pub fn serve_term_contracts(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    market: Res<ComputeMarket>,
    mut ledger: ResMut<Ledger>,
    mut log: ResMut<EventLog>,
    mut metrics: ResMut<Metrics>,
    mut operators: Query<(
        &Agent,
        &mut Operator,
        &mut TermLeases,
        &mut LeasedShare,
        &Dispatch,
        &mut AgentRng,
    )>,
) {
    let dt = clock.years_per_tick();
    let hours = clock.hours_per_tick() * market.params.availability;
    metrics.operators_active = operators
        .iter()
        .filter(|(_, op, ..)| op.is_active())
        .count() as u32;
    let mut shared = firesale_core::SharedObservations::default();
    for (agent, mut op, mut leases, mut leased, dispatch, mut rng) in operators
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        op.revenue = dispatch.spot_revenue + dispatch.mining_revenue;
        op.costs = 0.0;
        if !op.is_active() {
            continue;
        }
        shared.observe(&mut op.expectations, &market.rent);
        // H100-equivalent hours the installed fleet can deliver this tick.
        let capacity: f64 = dispatch
            .installed
            .iter()
            .enumerate()
            .map(|(g, &n)| f64::from(n) * f64::from(gens.gpus_per_lot) * gens.list[g].perf * hours)
            .sum();
        let params = op.params.clone();
        let mut kept = Vec::new();
        for lease in leases.leases.drain(..) {
            let drawdown = (1.0 - exo.demand_index / lease.demand_at_signing).max(0.0);
            let hazard = params.tenant_hazard * (1.0 + params.tenant_sensitivity * drawdown) * dt;
            if rng.0.random::<f64>() < hazard {
                metrics.tenant_defaults_cum += 1;
                log.push(
                    &clock,
                    EventKind::TenantDefault,
                    vec![agent.name.clone()],
                    lease.price * lease.share * capacity,
                    0,
                    None,
                    format!(
                        "tenant on {:.0}% of capacity stopped paying",
                        lease.share * 100.0
                    ),
                );
                continue;
            }
            if clock.tick > lease.end_tick {
                continue;
            }
            let rent = lease.price * lease.share * capacity;
            ledger.transfer(
                External::Tenants.account(),
                agent.account,
                rent,
                "term rent",
            );
            op.revenue += rent;
            kept.push(lease);
        }
        let leased_now: f64 = kept.iter().map(|l| l.share).sum();
        let gap = params.term_share - leased_now;
        if gap > 0.01 && capacity > 0.0 && clock.tick.is_multiple_of(4) {
            kept.push(Lease {
                share: gap,
                price: market.price * params.term_premium,
                end_tick: clock.tick + clock.ticks_in_years(params.term_years),
                demand_at_signing: exo.demand_index,
            });
        }
        leased.0 = kept.iter().map(|l| l.share).sum::<f64>().min(1.0);
        leases.leases = kept;
    }
}

/// Phase 3: miners run their rigs when the hashprice beats their power cost, keep part of
/// the BTC and sell the rest.
///
/// Two kinds of hashrate: rig lots (ASIC generations), dispatched and paid in phase 2
/// like any lot, of which a miner now keeps its held share as BTC; and the scalar
/// `hashrate_ph` of a GPU world's miners, whose rigs are not modelled as lots.
pub fn mine_bitcoin(
    clock: Res<Clock>,
    exo: Res<Exogenous>,
    book: Res<LoanBook>,
    mut ledger: ResMut<Ledger>,
    mut operators: Query<(
        &Agent,
        &mut Operator,
        &mut Bitcoin,
        &PowerContract,
        &Dispatch,
    )>,
) {
    let days = f64::from(clock.tick_days);
    for (agent, mut op, mut btc, power, dispatch) in operators
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        btc.mining = false;
        btc.kwh = 0.0;
        if !op.is_active() {
            continue;
        }
        // A miner behind on its bills or its loans sells all it mines.
        let pressed = op.unpaid_bills > 0.0
            || book.live_of(agent.id).iter().any(|&id| {
                let loan = book.get(id);
                loan.arrears > 0.0 || matches!(loan.status, LoanStatus::Called { .. })
            });
        if dispatch.mining_revenue > 0.0 && !pressed {
            // The rigs' revenue stays revenue (what lenders test DSCR on, unlike the
            // scalar hashrate below, of which only the BTC sold counts); the held share
            // arrives as BTC in the treasury instead of cash.
            let held = dispatch.mining_revenue * (1.0 - op.params.btc_sell_share);
            ledger.transfer(
                agent.account,
                External::BtcMarket.account(),
                held,
                "mined BTC kept",
            );
            btc.treasury += held / exo.btc_price;
        }
        if btc.hashrate_ph <= 0.0 {
            continue;
        }
        let kw = btc.hashrate_ph * 1000.0 * btc.j_per_th / 1000.0;
        let kwh = kw * 24.0 * days;
        let power_cost = kwh * power.usd_per_kwh * exo.power_multiplier;
        let revenue = btc.hashrate_ph * exo.hashprice * days;
        if revenue <= power_cost {
            continue;
        }
        btc.mining = true;
        btc.kwh = kwh;
        let mined = revenue / exo.btc_price;
        let sold = mined * op.params.btc_sell_share;
        btc.treasury += mined - sold;
        ledger.transfer(
            External::BtcMarket.account(),
            agent.account,
            sold * exo.btc_price,
            "mined BTC sold",
        );
        op.revenue += sold * exo.btc_price;
    }
}
