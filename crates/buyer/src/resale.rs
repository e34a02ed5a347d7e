//! Phase 9 for buyers: voluntary sales of lots whose resale beats their value in place,
//! by the rule every owner follows (`firesale_markets::voluntary_offer`). A buyer that
//! values a generation less than another buyer does (a dearer power contract, a higher
//! cost of capital, a shorter horizon) sells it to the one that values it more.

use crate::bidding::value_per_lot;
use crate::components::Buyer;
use firesale_core::prelude::*;
use firesale_markets::{ComputeMarket, Exogenous, SecondaryMarket, resale_offer};
use rayon::prelude::*;

/// Phase 9: list lots for voluntary sale.
#[allow(clippy::too_many_arguments)]
pub fn list_buyer_resales(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    market: Res<ComputeMarket>,
    fleet: Res<Fleet>,
    mut secondary: ResMut<SecondaryMarket>,
    buyers: Query<(&Agent, &Buyer, &PowerContract)>,
) {
    // Every buyer decides what to offer on all cores (a decision reads only the buyer,
    // its own counts and shared market state); the offers are then posted in buyer
    // order, so the book is the same whatever the thread count. An offer names no lots:
    // the auction picks those that trade (`SecondaryMarket::offer`).
    let mut sellers: Vec<_> = buyers.iter().collect();
    sellers.sort_unstable_by_key(|(agent, ..)| agent.id);
    let gpus = f64::from(gens.gpus_per_lot);
    let offers: Vec<Vec<(GenId, u32, f64)>> = {
        let (fleet, secondary) = (&*fleet, &*secondary);
        sellers
            .par_iter()
            .map(|(agent, buyer, power)| {
                let usd_per_kwh = power.per_kwh(exo.power_multiplier);
                gens.ids()
                    .filter_map(|g| {
                        let held = fleet.held_of(agent.id, g).sellable() as usize;
                        if held == 0 {
                            return None;
                        }
                        let value = value_per_lot(buyer, g, &gens, &market, &clock, usd_per_kwh);
                        let rules = &buyer.params;
                        resale_offer(
                            secondary,
                            &gens,
                            &*rules.rules.resale,
                            &rules.resale,
                            value,
                            g,
                            held,
                        )
                        .map(|(n, reserve)| (g, n as u32, reserve / gpus))
                    })
                    .collect()
            })
            .collect()
    };
    for ((agent, ..), offers) in sellers.iter().zip(offers) {
        for (g, lots, reserve) in offers {
            secondary.offer(g, agent.id, lots, reserve);
        }
    }
}
