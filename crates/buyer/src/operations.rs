//! Phases 4 and 11 for buyers: running the fleet, installing, buying new, building racks.

use crate::bidding::value_per_lot;
use crate::components::Buyer;
use firesale_core::prelude::*;
use firesale_markets::{ComputeMarket, Dispatch, Exogenous, Vendor, VendorSale};

/// Phase 4: corporate income (indexed to AI demand), power and opex for the hours run,
/// interest on the drawn line; the line covers a cash shortfall while it lasts.
#[allow(clippy::too_many_arguments)]
pub fn pay_buyer_costs(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    market: Res<ComputeMarket>,
    mut ledger: ResMut<Ledger>,
    mut buyers: Query<(&Agent, &mut Buyer, &Dispatch, &PowerContract)>,
) {
    let demand_ratio = exo.demand_index / exo.params.demand_initial;
    let mut shared = firesale_core::SharedObservations::default();
    // In id order: the table's order already, and ids are unique, so the unstable sort
    // only checks it in one pass (a stable sort would first allocate a scratch buffer).
    let mut rows: Vec<_> = buyers.iter_mut().collect();
    rows.sort_unstable_by_key(|(agent, ..)| agent.id);
    for (agent, mut buyer, dispatch, power) in rows {
        shared.observe(&mut buyer.expectations, &market.rent);
        let income =
            buyer.params.outside_income_per_week * demand_ratio * f64::from(clock.tick_days) / 7.0;
        ledger.transfer(
            External::Tenants.account(),
            agent.account,
            income,
            "corporate income",
        );
        let usd_per_kwh = power.per_kwh(exo.power_multiplier);
        let costs: f64 = dispatch
            .gpu_hours
            .iter()
            .enumerate()
            .map(|(g, h)| h * market.unit_hour_cost(&gens.list[g], usd_per_kwh))
            .sum();
        let interest =
            buyer.drawn * (exo.rate + buyer.params.credit_line_spread) * clock.years_per_tick();
        let due = costs + interest;
        buyer.draw_credit_for(&mut ledger, agent.account, due, exo.stress);
        ledger.pay_up_to(
            agent.account,
            External::Utilities.account(),
            costs,
            "power and opex",
        );
        ledger.pay_up_to(
            agent.account,
            External::BondHolders.account(),
            interest,
            "credit line interest",
        );
        buyer.weekly_costs = 0.8 * buyer.weekly_costs + 0.2 * due;
    }
}

/// Phase 11: install bought lots, buy new ones when they beat list price, build racks
/// when full, and pay the line down with spare cash.
#[allow(clippy::too_many_arguments)]
pub fn invest_buyers(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    market: Res<ComputeMarket>,
    mut vendor: ResMut<Vendor>,
    mut fleet: ResMut<Fleet>,
    mut ledger: ResMut<Ledger>,
    mut log: ResMut<EventLog>,
    mut metrics: ResMut<Metrics>,
    mut buyers: Query<(&Agent, &mut Buyer, &mut Racks, &PowerContract)>,
) {
    // In id order: the table's order already, and ids are unique, so the unstable sort
    // only checks it in one pass (a stable sort would first allocate a scratch buffer).
    let mut rows: Vec<_> = buyers.iter_mut().collect();
    rows.sort_unstable_by_key(|(agent, ..)| agent.id);
    for (agent, mut buyer, mut racks, power) in rows {
        racks.complete_builds(clock.tick);
        racks.install_stored(&mut fleet, &gens, agent.id);
        let reserve = buyer.cash_reserve();
        if buyer.params.buys_primary
            && let Some(newest) = gens.newest(clock.tick)
        {
            let value = value_per_lot(
                &buyer,
                newest,
                &gens,
                &market,
                &clock,
                power.per_kwh(exo.power_multiplier),
            );
            let price = gens.vendor_lot_price(newest, clock.tick, clock.years_per_tick());
            if value > price {
                let fit = (racks.free_kw_for(&fleet, &gens, agent.id, newest) / gens.lot_kw(newest))
                    .floor() as u32;
                let spare = ledger.balance(agent.account) - reserve;
                let affordable = (spare / price).floor().max(0.0) as u32;
                let wanted = fit.min(affordable).min(buyer.params.max_lots_per_tick);
                if fit < buyer.params.max_lots_per_tick {
                    buyer.rack_bound = true;
                }
                // It can pay for more new lots than it racks this week: its free racks or
                // the lots it can install a week (its pace) are short.
                let pace_bound = buyer.params.max_lots_per_tick < affordable.min(fit);
                let racks_short = wanted < affordable;
                let mut sale = VendorSale {
                    vendor: &mut vendor,
                    fleet: &mut fleet,
                    ledger: &mut ledger,
                    gens: &gens,
                    clock: &clock,
                    log: &mut log,
                };
                sale.buy(agent, newest, wanted);
                racks.install_stored(&mut fleet, &gens, agent.id);
                // It wanted more new lots than it could rack: every generation whose lot
                // no longer fits its racks (all of them, when its pace was what bound) is
                // short of racks this week.
                if racks_short {
                    for g in gens.released(clock.tick) {
                        if pace_bound
                            || racks.free_kw_for(&fleet, &gens, agent.id, g) < gens.lot_kw(g)
                        {
                            metrics.generations[g.0 as usize].racks_short = true;
                        }
                    }
                }
            }
        }
        // Quarterly, a rack-bound buyer commits part of its spare cash to new racks.
        if buyer.rack_bound && clock.tick % 13 == agent.id.0 % 13 {
            let spare = (ledger.balance(agent.account) - reserve).max(0.0);
            let budget = spare * buyer.params.rack_budget_share;
            if budget > 0.0 {
                ledger.transfer(
                    agent.account,
                    External::Vendor.account(),
                    budget,
                    "rack build",
                );
                racks.build(
                    clock.tick + buyer.params.rack_build_weeks,
                    budget / buyer.params.rack_cost_per_kw,
                );
            }
            buyer.rack_bound = false;
        }
        let spare = (ledger.balance(agent.account) - reserve).max(0.0);
        let repay = spare.min(buyer.drawn);
        ledger.transfer(
            agent.account,
            External::BondHolders.account(),
            repay,
            "credit line repaid",
        );
        buyer.drawn -= repay;
    }
    // The last purchases of the tick are made: say which generations the vendor sold out.
    for id in gens.released(clock.tick) {
        let limited = gens.get(id).vendor_lots_per_tick.is_some_and(|l| l > 0);
        metrics.generations[id.0 as usize].vendor_rationed =
            limited && vendor.available(&gens, id, clock.tick) == 0;
    }
}
