//! Phase 9 for buyers: valuing each generation and bidding for what they can host and pay.

use crate::components::Buyer;
use firesale_core::AccountId;
use firesale_core::pipeline::decide_then_apply;
use firesale_core::prelude::*;
use firesale_markets::{Bid, ComputeMarket, Exogenous, SecondaryMarket};

/// What one lot of `generation` is worth to `buyer`, by its valuation rule.
pub fn value_per_lot(
    buyer: &Buyer,
    generation: GenId,
    gens: &Generations,
    market: &ComputeMarket,
    clock: &Clock,
    usd_per_kwh: f64,
) -> f64 {
    buyer
        .params
        .rules
        .valuation
        .value_per_lot(&crate::rules::ValuationView {
            buyer,
            generation,
            gens,
            market,
            clock,
            usd_per_kwh,
        })
}

/// The bid ladder a buyer uses this tick: its lower tranches price the racks a lot would
/// take from later purchases, so they are shaded by how scarce its free racks are. With
/// room for no more than a week's buying (`fit <= max_lots`) it bids its whole ladder;
/// with room for ten weeks, a tenth of the way from its top tranche down to it; with no
/// rack constraint at all, every tranche at the top one (Shleifer and Vishny 1992:
/// natural buyers with room pay full value).
pub fn shaded_ladder(ladder: &[f64], max_lots: u32, fit: u32) -> Vec<f64> {
    let mut shaded = Vec::new();
    shaded_ladder_into(ladder, max_lots, fit, &mut shaded);
    shaded
}

/// [`shaded_ladder`] written into `out` (cleared first).
pub fn shaded_ladder_into(ladder: &[f64], max_lots: u32, fit: u32, out: &mut Vec<f64>) {
    out.clear();
    let Some(&top) = ladder.first() else {
        return;
    };
    let scarcity = if fit == 0 {
        1.0
    } else {
        (f64::from(max_lots) / f64::from(fit)).min(1.0)
    };
    out.extend(ladder.iter().map(|share| top - (top - share) * scarcity));
}

/// The kW its installed lots use (air, liquid); fills `out` with the generations a buyer
/// might bid for, best value per kW first: (value per kW, generation, value per lot),
/// valued lots only.
#[allow(clippy::too_many_arguments)]
fn candidates(
    agent: &Agent,
    buyer: &Buyer,
    racks: &Racks,
    power: &PowerContract,
    clock: &Clock,
    gens: &Generations,
    exo: &Exogenous,
    market: &ComputeMarket,
    fleet: &Fleet,
    balance: f64,
    out: &mut Vec<(f64, GenId, f64)>,
) -> (f64, f64) {
    let usd_per_kwh = power.per_kwh(exo.power_multiplier);
    let budget = buyer.budget(balance, exo.stress);
    let used = racks.used_kw(fleet, gens, agent.id);
    // A generation it has no room for, or nothing to pay with, gets no bid whatever its
    // value; once the buyer knows it is rack-bound, such a generation is not worth
    // valuing.
    let pointless = |g: GenId| {
        buyer.rack_bound
            && (budget <= 0.0 || whole(racks.free_kw_given(used, gens, g) / gens.lot_kw(g)) == 0)
    };
    out.clear();
    out.extend(
        gens.released(clock.tick)
            .filter(|&g| !pointless(g))
            .map(|g| {
                let value = value_per_lot(buyer, g, gens, market, clock, usd_per_kwh);
                (value / gens.lot_kw(g), g, value)
            })
            .filter(|(_, _, value)| *value > 0.0),
    );
    // A buyer that could fill its racks from the vendor bids for a used lot no more than
    // its value less what those racks would earn filled new (`firesale_markets::best_new_surplus_per_kw`).
    if buyer.params.buys_primary {
        let room = |g: GenId| racks.free_kw_given(used, gens, g) >= gens.lot_kw(g);
        let scarce = |g: GenId| {
            firesale_markets::room_is_scarce(
                racks.free_kw_given(used, gens, g),
                gens.lot_kw(g),
                buyer.params.max_lots_per_tick,
                buyer.params.rack_build_weeks,
            )
        };
        let best = firesale_markets::best_new_surplus_per_kw(
            gens,
            clock.tick,
            clock.years_per_tick(),
            out.iter().map(|&(_, g, value)| (g, value)),
            room,
        );
        if let Some((shadow, _)) = best.filter(|&(_, g)| scarce(g)) {
            for (per_kw, g, value) in out.iter_mut() {
                *value = firesale_markets::net_of_racks(gens, *g, *value, shadow);
                *per_kw = *value / gens.lot_kw(*g);
            }
            out.retain(|(_, _, value)| *value > 0.0);
        }
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    used
}

/// The whole number of lots in `x`: `x.floor().max(0.0) as u32`, 0 for a negative
/// number or NaN. A float-to-integer cast rounds toward zero and saturates, which gives
/// exactly that without calling `floor` (a library call on baseline x86-64, made for
/// every tranche of every bid).
fn whole(x: f64) -> u32 {
    x as u32
}

/// What bidding reuses from buyer to buyer within a chunk: the candidate generations and
/// the ladder of the buyer at hand, and the chunk's bids by generation id.
#[derive(Default)]
struct Scratch {
    candidates: Vec<(f64, GenId, f64)>,
    ladder: Vec<f64>,
    bids: Vec<Vec<Bid>>,
}

/// One buyer's bids this tick: for each candidate generation, best value per kW first, a
/// ladder of limits for no more lots than its free racks can host and its cash plus
/// available credit can pay for. Takes the candidates from `scratch`, adds the bids,
/// $/GPU limits, to its bids by generation id, and returns what they would cost if they
/// all filled, $. Marks the buyer rack-bound when a generation does not fit a week's
/// buying.
#[allow(clippy::too_many_arguments)]
fn bids_of(
    agent: &Agent,
    buyer: &mut Buyer,
    racks: &Racks,
    used: (f64, f64),
    gens: &Generations,
    exo: &Exogenous,
    balance: f64,
    scratch: &mut Scratch,
) -> f64 {
    let gpus = f64::from(gens.gpus_per_lot);
    let mut budget = buyer.budget(balance, exo.stress);
    // Room already promised to higher-value bids this tick, kW (air, liquid).
    let mut promised = (0.0, 0.0);
    let mut spent = 0.0;
    let Scratch {
        candidates,
        ladder,
        bids,
    } = scratch;
    for &(_, g, value) in candidates.iter() {
        let generation = gens.get(g);
        let lot_kw = gens.lot_kw(g);
        let free = racks.free_kw_given(used, gens, g)
            - if generation.liquid_cooled {
                promised.1
            } else {
                promised.0 + promised.1
            };
        let fit = whole(free / lot_kw);
        if fit < buyer.params.max_lots_per_tick {
            buyer.rack_bound = true;
        }
        if fit == 0 {
            // No room: no tranche could bid a lot, so the ladder is not worth asking for.
            continue;
        }
        buyer.params.rules.bidding.ladder_into(
            &crate::rules::BidView {
                buyer,
                value_per_lot: value,
                fit,
            },
            ladder,
        );
        let per_tranche = buyer
            .params
            .max_lots_per_tick
            .min(fit)
            .div_ceil(ladder.len().max(1) as u32);
        let mut bid_lots = 0;
        for &share in ladder.iter() {
            let limit = value * share;
            let affordable = whole(budget / limit);
            let lots = per_tranche.min(affordable).min(fit - bid_lots);
            if lots == 0 {
                continue;
            }
            budget -= limit * f64::from(lots);
            spent += limit * f64::from(lots);
            bid_lots += lots;
            bids[g.0 as usize].push(Bid {
                buyer: agent.id,
                lots,
                limit: limit / gpus,
            });
        }
        let kw = f64::from(bid_lots) * lot_kw;
        if generation.liquid_cooled {
            promised.1 += kw;
        } else {
            promised.0 += kw;
        }
    }
    spent
}

/// Phase 9: each buyer values every released generation and bids a ladder of limits
/// below its valuation, best value per kW first, for no more lots than its free racks can
/// host and its cash plus available credit can pay for at the limits it bids.
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
    // Every buyer values and bids on all cores: its bids read only itself, its own
    // balance and shared market state, and drawing a credit line moves money only
    // between the buyer and the bond holders. Buyers are taken in chunks of a fixed
    // size; each chunk's bids come back by generation in buyer order and are posted, and
    // its draws paid, chunk by chunk in that order as soon as the chunk is done
    // (`decide_then_apply`), so the book is the same whatever the thread count.
    const CHUNK: usize = 256;
    // Read in the table's order and sorted after (already in id order, so the sort only
    // checks): cheaper than a sorted query, which fetches each buyer by entity.
    type View<'a> = (&'a Agent, Mut<'a, Buyer>, &'a Racks, &'a PowerContract);
    let mut views: Vec<View> = buyers.iter_mut().collect();
    views.sort_unstable_by_key(|(agent, ..)| agent.id);
    // Balances before any draw: a buyer's own is all its bids read, and no other
    // buyer's draw changes it.
    let balances: Vec<f64> = views
        .iter()
        .map(|(agent, ..)| ledger.balance(agent.account))
        .collect();
    let generations = gens.list.len();
    let chunks: Vec<_> = views
        .chunks_mut(CHUNK)
        .zip(balances.chunks(CHUNK))
        .collect();
    let decide = |(chunk, balances): (&mut [View], &[f64])| {
        let mut scratch = Scratch {
            bids: vec![Vec::new(); generations],
            ..Scratch::default()
        };
        let draws: Vec<(AccountId, f64)> = chunk
            .iter_mut()
            .zip(balances)
            .map(|((agent, buyer, racks, power), &balance)| {
                let used = candidates(
                    agent,
                    buyer,
                    racks,
                    power,
                    &clock,
                    &gens,
                    &exo,
                    &market,
                    &fleet,
                    balance,
                    &mut scratch.candidates,
                );
                let spent = bids_of(
                    agent,
                    buyer,
                    racks,
                    used,
                    &gens,
                    &exo,
                    balance,
                    &mut scratch,
                );
                // Draw the line so that every bid could be paid if it filled.
                (
                    agent.account,
                    buyer.take_credit_for(balance, spent, exo.stress),
                )
            })
            .collect();
        (scratch.bids, draws)
    };
    decide_then_apply(chunks, decide, |(bids, draws)| {
        for (g, bids) in gens.ids().zip(bids) {
            secondary.bid_all(g, bids);
        }
        for (account, draw) in draws {
            Buyer::pay_out_draw(&mut ledger, account, draw);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{shaded_ladder, whole};

    #[test]
    fn whole_lots_are_the_floor_never_below_zero() {
        for x in [
            0.0,
            -0.0,
            0.999_999,
            1.0,
            7.5,
            -0.5,
            -3.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            4.0e9,
            5.0e9,
            f64::from(u32::MAX) + 0.5,
        ] {
            assert_eq!(whole(x), x.floor().max(0.0) as u32, "{x}");
        }
        assert_eq!(whole(7.5), 7);
        assert_eq!(whole(-0.5), 0);
    }

    #[test]
    fn a_buyer_with_room_shades_its_bids_less() {
        let ladder = [0.9, 0.7, 0.5];
        assert_eq!(
            shaded_ladder(&ladder, 12, 12),
            ladder.to_vec(),
            "a week of room"
        );
        assert_eq!(
            shaded_ladder(&ladder, 12, 6),
            ladder.to_vec(),
            "less than a week"
        );
        let roomy = shaded_ladder(&ladder, 12, 120);
        assert!((roomy[0] - 0.9).abs() < 1e-12);
        assert!((roomy[1] - 0.88).abs() < 1e-12 && (roomy[2] - 0.86).abs() < 1e-12);
        assert!(shaded_ladder(&[], 12, 120).is_empty());
    }
}
