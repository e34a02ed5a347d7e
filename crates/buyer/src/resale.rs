//! Phase 9 for buyers: voluntary sales of lots whose resale beats their value in place,
//! by the rule every owner follows (`firesale_markets::voluntary_offer`). A buyer that
//! values a generation less than another buyer does (a dearer power contract, a higher
//! cost of capital, a shorter horizon) sells it to the one that values it more.

use crate::bidding::value_per_lot;
use crate::components::Buyer;
use firesale_core::prelude::*;
use firesale_markets::{ComputeMarket, Exogenous, SecondaryMarket, offer_voluntarily};

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
        let owned = fleet.owned_by(agent.id);
        for g in gens.ids() {
            let lots = fleet.sellable(&owned, g);
            if lots.is_empty() {
                continue;
            }
            let value = value_per_lot(buyer, g, &gens, &market, &clock, usd_per_kwh);
            offer_voluntarily(
                &mut secondary,
                &mut fleet,
                &gens,
                agent.id,
                &*buyer.params.rules.resale,
                &buyer.params.resale,
                value,
                &lots,
            );
        }
    }
}
