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
use rayon::prelude::*;

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
    // Every buyer decides what to offer, and picks the lots, on all cores (a decision
    // reads only the buyer, its own lots and shared market state, and only a buyer's
    // own offer lists its lots); the lots are then listed in buyer order, so the book
    // is the same whatever the thread count.
    let mut sellers: Vec<_> = buyers.iter().collect();
    sellers.sort_by_key(|(agent, ..)| agent.id);
    let offers: Vec<Vec<(Vec<LotId>, f64)>> = {
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
                        .map(|(n, reserve)| {
                            (unlisted_of(fleet, agent.id, g).take(n).collect(), reserve)
                        })
                    })
                    .collect()
            })
            .collect()
    };
    for ((agent, ..), offers) in sellers.iter().zip(offers) {
        for (lots, reserve) in offers {
            list_voluntary(&mut secondary, &mut fleet, &gens, agent.id, &lots, reserve);
        }
    }
}
