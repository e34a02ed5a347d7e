//! Phase 9 for buyers: voluntary sales of lots whose resale beats their value in place,
//! by the rule every owner follows (`firesale_markets::voluntary_offer`). A buyer that
//! values a generation less than another buyer does (a dearer power contract, a higher
//! cost of capital, a shorter horizon) sells it to the one that values it more.

use crate::bidding::value_per_lot;
use crate::components::Buyer;
use firesale_core::prelude::*;
use firesale_markets::{
    ComputeMarket, Exogenous, SecondaryMarket, list_voluntary, resale_offer, unlisted_of,
};

/// Phase 9: list lots for voluntary sale.
#[allow(clippy::too_many_arguments)]
pub fn list_buyer_resales(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    market: Res<ComputeMarket>,
    mut fleet: ResMut<Fleet>,
    mut secondary: ResMut<SecondaryMarket>,
    buyers: Query<(&Agent, &Buyer, &PowerContract)>,
) {
    for (agent, buyer, power) in buyers.iter().sort_by_key::<&Agent, _>(|a| a.id) {
        let usd_per_kwh = power.per_kwh(exo.power_multiplier);
        for g in gens.ids() {
            let held = fleet.held_of(agent.id, g).sellable() as usize;
            if held == 0 {
                continue;
            }
            let value = value_per_lot(buyer, g, &gens, &market, &clock, usd_per_kwh);
            let rules = &buyer.params;
            let Some((n, reserve)) = resale_offer(
                &secondary,
                &gens,
                &*rules.rules.resale,
                &rules.resale,
                value,
                g,
                held,
            ) else {
                continue;
            };
            let lots: Vec<LotId> = unlisted_of(&fleet, agent.id, g).take(n).collect();
            list_voluntary(&mut secondary, &mut fleet, &gens, agent.id, &lots, reserve);
        }
    }
}
