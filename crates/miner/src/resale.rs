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
    ComputeMarket, Exogenous, SaleMotive, SecondaryMarket, list_voluntary, resale_offer,
    unlisted_of,
};

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
    op.expectations
        .value_per_gpu(generation.0 as usize, &economics, years)
        * f64::from(gens.gpus_per_lot)
}

/// Phase 9: list lots for voluntary sale.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
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
    let gpus = f64::from(gens.gpus_per_lot);
    for (agent, op, power, shortfall) in operators.iter().sort_by_key::<&Agent, _>(|a| a.id) {
        let troubled = book.live_of(agent.id).iter().any(|&id| {
            let loan = book.get(id);
            loan.arrears > 0.0 || matches!(loan.status, LoanStatus::Called { .. })
        });
        let sells = op.params.resale.share_per_tick > 0.0;
        if !sells || !op.is_active() || troubled || op.unpaid_bills > 0.0 {
            continue;
        }
        let usd_per_kwh = power.per_kwh(exo.power_multiplier);
        // Per generation held: (value per lot, lots it could sell), least value per kW first.
        let mut held: Vec<(f64, GenId, usize)> = Vec::new();
        for g in gens.ids() {
            let sellable = fleet.held_of(agent.id, g).sellable() as usize;
            if sellable == 0 {
                continue;
            }
            let value = value_in_place(op, g, &gens, &market, &clock, usd_per_kwh);
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
                &secondary,
                &gens,
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
            // Unpledged lots first, then the oldest.
            let mut lots: Vec<LotId> = unlisted_of(&fleet, agent.id, g).collect();
            lots.sort_by_key(|&l| (fleet.get(l).pledged_to().is_some(), l));
            let offered = match offer {
                Some((n, reserve)) => {
                    let n = n.min(lots.len());
                    list_voluntary(
                        &mut secondary,
                        &mut fleet,
                        &gens,
                        agent.id,
                        &lots[..n],
                        reserve,
                    );
                    n
                }
                None => 0,
            };
            // Racks for the newest generation: sell the least valuable lots per kW.
            if for_racks {
                for &lot in &lots[offered..] {
                    if rack_kw_wanted <= 0.0 {
                        break;
                    }
                    secondary.list(
                        &mut fleet,
                        agent.id,
                        lot,
                        value / gpus,
                        SaleMotive::Voluntary,
                    );
                    rack_kw_wanted -= gens.lot_kw(g);
                }
            }
        }
    }
}
