//! Phase 9 for buyers: valuing each generation and bidding for what they can host and pay.

use crate::components::Buyer;
use firesale_core::prelude::*;
use firesale_markets::{Bid, ComputeMarket, Exogenous, SecondaryMarket};

/// What one lot of `generation` is worth to `buyer`: expected margin at its own power
/// price and the generation's observed utilisation, discounted at its cost of capital
/// over the shorter of its horizon and the lot's remaining physical life.
pub fn value_per_lot(
    buyer: &Buyer,
    generation: GenId,
    gens: &Generations,
    market: &ComputeMarket,
    clock: &Clock,
    usd_per_kwh: f64,
) -> f64 {
    let g = gens.get(generation);
    let g_index = generation.0 as usize;
    let economics = market.economics(
        gens,
        generation,
        usd_per_kwh,
        buyer.params.cost_of_capital,
        clock,
    );
    let age = f64::from(gens.age_ticks(generation, clock.tick)) * clock.years_per_tick();
    let years = buyer
        .params
        .horizon_years
        .min(g.max_age_years - age)
        .max(0.0);
    buyer.expectations.value_per_gpu(g_index, &economics, years) * f64::from(gens.gpus_per_lot)
}

/// Phase 9: each buyer bids a ladder of limits below its valuation for every released
/// generation, best value per kW first, for no more lots than its free racks can host
/// and its cash plus available credit can pay for at the limits it bids.
#[allow(clippy::too_many_arguments)]
pub fn post_bids(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    market: Res<ComputeMarket>,
    fleet: Res<Fleet>,
    mut secondary: ResMut<SecondaryMarket>,
    mut ledger: ResMut<Ledger>,
    mut buyers: Query<(&Agent, &mut Buyer, &Racks, &PowerContract)>,
) {
    let gpus = f64::from(gens.gpus_per_lot);
    for (agent, mut buyer, racks, power) in
        buyers.iter_mut().sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        let usd_per_kwh = power.usd_per_kwh * exo.power_multiplier;
        let mut budget = (ledger.balance(agent.account) - buyer.weekly_costs * 8.0).max(0.0)
            + buyer.available_credit(exo.stress);
        let mut candidates: Vec<(f64, GenId, f64)> = gens
            .released(clock.tick)
            .map(|g| {
                let value = value_per_lot(&buyer, g, &gens, &market, &clock, usd_per_kwh);
                (value / gens.lot_kw(g), g, value)
            })
            .filter(|(_, _, value)| *value > 0.0)
            .collect();
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        // Room already promised to higher-value bids this tick, kW (air, liquid).
        let mut promised = (0.0, 0.0);
        let mut spent = 0.0;
        for (_, g, value) in candidates {
            let generation = gens.get(g);
            let lot_kw = gens.lot_kw(g);
            let free = racks.free_kw_for(&fleet, &gens, agent.id, g)
                - if generation.liquid_cooled {
                    promised.1
                } else {
                    promised.0 + promised.1
                };
            let fit = (free / lot_kw).floor().max(0.0) as u32;
            if fit < buyer.params.max_lots_per_tick {
                buyer.rack_bound = true;
            }
            let ladder = buyer.params.bid_ladder.clone();
            let per_tranche = buyer
                .params
                .max_lots_per_tick
                .min(fit)
                .div_ceil(ladder.len().max(1) as u32);
            let mut bid_lots = 0;
            for share in ladder {
                let limit = value * share;
                let affordable = (budget / limit).floor().max(0.0) as u32;
                let lots = per_tranche.min(affordable).min(fit - bid_lots);
                if lots == 0 {
                    continue;
                }
                budget -= limit * f64::from(lots);
                spent += limit * f64::from(lots);
                bid_lots += lots;
                secondary.bid(
                    g,
                    Bid {
                        buyer: agent.id,
                        lots,
                        limit: limit / gpus,
                    },
                );
            }
            let kw = f64::from(bid_lots) * lot_kw;
            if generation.liquid_cooled {
                promised.1 += kw;
            } else {
                promised.0 += kw;
            }
        }
        // Draw the line so that every bid could be paid if it filled.
        buyer.draw_credit_for(&mut ledger, agent.account, spent, exo.stress);
    }
}
