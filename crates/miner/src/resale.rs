//! Phase 9 for operators: voluntary sales, before the auction clears.
//!
//! An operator in good standing sells lots whose resale beats their value in place (the
//! shared rule of `firesale_markets::voluntary_offer`), and sells its least valuable lots
//! per kW when it wants racks for the newest generation that it cannot otherwise find
//! (its expansion's rack shortfall), at no less than their value in place. Sale
//! proceeds of pledged lots pay down their loan (`apply_sale_proceeds`).

use crate::components::Operator;
use crate::growth::RackShortfall;
use firesale_core::LoanStatus;
use firesale_core::prelude::*;
use firesale_markets::{
    ComputeMarket, Exogenous, SaleMotive, SecondaryMarket, resale_offer, unlisted_of,
};
use rayon::prelude::*;

/// What one lot of `generation` is worth to the operator where it stands: expected
/// margin at its power price over the lot's remaining life, at its hurdle rate.
pub fn value_in_place(
    op: &Operator,
    generation: GenId,
    gens: &Generations,
    market: &ComputeMarket,
    clock: &Clock,
    usd_per_kwh: f64,
) -> f64 {
    let g = gens.get(generation);
    let economics = market.economics(gens, generation, usd_per_kwh, op.params.hurdle_rate, clock);
    let age = f64::from(gens.age_ticks(generation, clock.tick)) * clock.years_per_tick();
    let years = (g.max_age_years - age).max(0.0);
    op.value_per_gpu(generation, &economics, years, &market.roadmap) * f64::from(gens.gpus_per_lot)
}

/// Lots an operator lists this week, in the order it lists them, each with its reserve
/// per GPU, $.
type Listings = Vec<(LotId, f64)>;

/// An operator's unlisted lots of `generation` in the order it sells them: unpledged lots
/// first, then pledged ones, each in id order (the index yields ids in order, so this is
/// the order of sorting by (pledged, id), without reading or sorting the lots it does not
/// sell).
fn in_selling_order(
    fleet: &Fleet,
    owner: AgentId,
    generation: GenId,
) -> impl Iterator<Item = LotId> + '_ {
    let pledged = |l: LotId| fleet.get(l).pledged_to().is_some();
    unlisted_of(fleet, owner, generation)
        .filter(move |&l| !pledged(l))
        .chain(unlisted_of(fleet, owner, generation).filter(move |&l| pledged(l)))
}

/// What one operator lists this week (reading only its own lots and loans, last week's
/// book and shared state): for each generation it holds, least value per kW first, the
/// lots its resale rule offers, then the least valuable lots per kW it sells for racks.
#[allow(clippy::too_many_arguments)]
fn voluntary_sales(
    agent: &Agent,
    op: &Operator,
    power: &PowerContract,
    shortfall: &RackShortfall,
    clock: &Clock,
    gens: &Generations,
    exo: &Exogenous,
    market: &ComputeMarket,
    book: &LoanBook,
    fleet: &Fleet,
    secondary: &SecondaryMarket,
) -> Listings {
    let gpus = f64::from(gens.gpus_per_lot);
    let mut listings = Vec::new();
    let sells = op.params.resale.share_per_tick > 0.0;
    if !sells || !op.is_active() || op.unpaid_bills > 0.0 {
        return listings;
    }
    let troubled = book.of_borrower(agent.id).any(|loan| {
        loan.is_live() && (loan.arrears > 0.0 || matches!(loan.status, LoanStatus::Called { .. }))
    });
    if troubled {
        return listings;
    }
    let usd_per_kwh = power.per_kwh(exo.power_multiplier);
    // Per generation held: (value per lot, lots it could sell), least value per kW first.
    let mut held: Vec<(f64, GenId, usize)> = Vec::new();
    for g in gens.ids() {
        let sellable = fleet.held_of(agent.id, g).sellable() as usize;
        if sellable == 0 {
            continue;
        }
        let value = value_in_place(op, g, gens, market, clock, usd_per_kwh);
        held.push((value, g, sellable));
    }
    held.sort_by(|a, b| {
        (a.0 / gens.lot_kw(a.1))
            .total_cmp(&(b.0 / gens.lot_kw(b.1)))
            .then(a.1.cmp(&b.1))
    });
    let newest = gens.newest(clock.tick);
    let mut rack_kw_wanted = shortfall.0;
    for (value, g, sellable) in held {
        let offer = resale_offer(
            secondary,
            gens,
            &*op.params.rules.resale,
            &op.params.resale,
            value,
            g,
            sellable,
        );
        let for_racks = rack_kw_wanted > 0.0 && Some(g) != newest;
        if offer.is_none() && !for_racks {
            continue;
        }
        let mut lots = in_selling_order(fleet, agent.id, g);
        if let Some((n, reserve)) = offer {
            listings.extend(lots.by_ref().take(n).map(|lot| (lot, reserve / gpus)));
        }
        // Racks for the newest generation: sell the least valuable lots per kW.
        if for_racks {
            for lot in lots {
                if rack_kw_wanted <= 0.0 {
                    break;
                }
                listings.push((lot, value / gpus));
                rack_kw_wanted -= gens.lot_kw(g);
            }
        }
    }
    listings
}

/// Phase 9: list lots for voluntary sale. Each operator's sales are decided on all cores
/// (an operator's decision reads only its own lots and loans, which no other operator's
/// listing changes, and last week's book), then listed operator by operator in id order.
#[allow(clippy::too_many_arguments)]
pub fn list_voluntary_sales(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    market: Res<ComputeMarket>,
    book: Res<LoanBook>,
    mut fleet: ResMut<Fleet>,
    mut secondary: ResMut<SecondaryMarket>,
    operators: Query<(&Agent, &Operator, &PowerContract, &RackShortfall)>,
) {
    let mut rows: Vec<_> = operators.iter().collect();
    rows.sort_unstable_by_key(|(agent, ..)| agent.id);
    let listings: Vec<Listings> = rows
        .par_iter()
        .map(|(agent, op, power, shortfall)| {
            voluntary_sales(
                agent, op, power, shortfall, &clock, &gens, &exo, &market, &book, &fleet,
                &secondary,
            )
        })
        .collect();
    for ((agent, ..), listings) in rows.iter().zip(listings) {
        for (lot, reserve) in listings {
            secondary.list(&mut fleet, agent.id, lot, reserve, SaleMotive::Voluntary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::in_selling_order;
    use firesale_core::prelude::*;
    use firesale_core::{LoanId, LotId};

    #[test]
    fn lots_are_sold_unpledged_first_then_pledged_each_in_id_order_listed_ones_skipped() {
        let mut fleet = Fleet::default();
        let owner = AgentId(3);
        let lots: Vec<LotId> = (0..8).map(|_| fleet.create(GenId(1), owner, 0)).collect();
        fleet.create(GenId(0), owner, 0);
        fleet.create(GenId(1), AgentId(4), 0);
        for &i in &[0, 2, 5] {
            fleet.pledge(lots[i], Some(LoanId(9)));
        }
        fleet.set_listed(lots[3], true);
        fleet.set_listed(lots[5], true);
        let order: Vec<LotId> = in_selling_order(&fleet, owner, GenId(1)).collect();
        let want: Vec<LotId> = [1, 4, 6, 7, 0, 2].iter().map(|&i| lots[i]).collect();
        assert_eq!(order, want);
        // The same order as sorting every unlisted lot by (pledged, id).
        let mut sorted: Vec<LotId> =
            firesale_markets::unlisted_of(&fleet, owner, GenId(1)).collect();
        sorted.sort_by_key(|&l| (fleet.get(l).pledged_to().is_some(), l));
        assert_eq!(order, sorted);
    }
}
