//! Voluntary supply: the rule every owner of lots (operator or buyer) follows to sell
//! lots it no longer wants, so the secondary market trades in calm weeks as real used-GPU
//! markets do, and a distressed sale has a non-distressed price to be compared with.
//!
//! An owner sells when resale beats the lot's value in place: when last tick's best bid
//! exceeds its own value of the lot by more than the costs of selling (de-installing,
//! shipping, a broker's fee: `resale_margin`). It offers no more than `resale_share` of
//! its lots of that generation in a week (de-installing takes time) at a reserve of its
//! value plus that margin, so it never sells below what the lot is worth to it. Who buys
//! is whoever values the lot more: heterogeneous costs of capital, power prices and
//! horizons make the gains from trade.

use firesale_core::{AgentId, Fleet, GenId, Generations, LotId};

/// What a seller who need not sell now (a lender with repossessed lots, a bankruptcy
/// trustee) expects a lot to be worth if it holds it for an orderly sale, $/GPU: the
/// non-distressed price it could fetch (`reference`), less the value the lot loses while
/// it waits (straight line to the end of its life) and the carry of funding it that long
/// at `funding_rate` a year.
pub fn hold_value(
    reference: f64,
    sale_horizon_years: f64,
    remaining_life_years: f64,
    funding_rate: f64,
) -> f64 {
    let wasting = 1.0 - sale_horizon_years / remaining_life_years.max(sale_horizon_years);
    reference.max(0.0) * wasting / (1.0 + funding_rate.max(0.0) * sale_horizon_years)
}

/// Resale parameters of an owner, from its class in the world file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResaleParams {
    /// Premium over value in place a sale must clear to be worth doing.
    pub margin: f64,
    /// Most of its lots of one generation offered per tick.
    pub share_per_tick: f64,
}

/// How many of `held` lots to offer and at what reserve per lot, given the owner's value
/// in place and last tick's best bid (both per lot); None when resale does not pay.
pub fn voluntary_offer(
    params: &ResaleParams,
    value_in_place: f64,
    best_bid: Option<f64>,
    held: usize,
) -> Option<(usize, f64)> {
    let reserve = value_in_place.max(0.0) * (1.0 + params.margin);
    let bid = best_bid?;
    if held == 0
        || bid.partial_cmp(&reserve) != Some(std::cmp::Ordering::Greater)
        || params.share_per_tick <= 0.0
    {
        return None;
    }
    let lots = ((held as f64) * params.share_per_tick).ceil() as usize;
    Some((lots.min(held), reserve))
}

/// What an owner's resale rule sees of one generation it holds.
pub struct ResaleView<'a> {
    /// Its class's resale parameters (margin, share offered a week).
    pub params: &'a ResaleParams,
    /// Its value of one lot in place, $.
    pub value_per_lot: f64,
    /// Last tick's best bid for a lot, $ (None: no bid).
    pub best_bid: Option<f64>,
    /// Lots of the generation it could sell.
    pub held: usize,
}

/// `owner.resale`: which lots an operator or buyer sells voluntarily: how many of a
/// generation it offers this week and the reserve per lot, or None.
pub trait ResaleRule: Send + Sync {
    /// (lots offered, reserve per lot $), or None.
    fn offer(&self, view: &ResaleView) -> Option<(usize, f64)>;
}

/// Sells when the best bid beats value in place by the class's margin (the built-in).
struct MarginOverValue;

impl ResaleRule for MarginOverValue {
    fn offer(&self, v: &ResaleView) -> Option<(usize, f64)> {
        voluntary_offer(v.params, v.value_per_lot, v.best_bid, v.held)
    }
}

/// `owner.resale` rules.
pub static RESALE_RULES: firesale_core::rules::Family<dyn ResaleRule> =
    firesale_core::rules::Family::new(|| {
        std::sync::RwLock::new(firesale_core::rules::Registry::new(
            "owner.resale",
            "which lots an operator or buyer sells voluntarily, and at what reserve",
            vec![firesale_core::rules::RuleInfo {
                name: "margin_over_value",
                doc: "offers up to resale.share_per_week of a generation when last week's best bid beats its value in place by resale.margin, at value plus that margin",
                params: Vec::new(),
                build: |_| Ok(std::sync::Arc::new(MarginOverValue)),
            }],
        ))
    });

/// What an owner's resale `rule` offers of the `held` lots of `generation` it could sell,
/// given its value of a lot in place: (how many, reserve per lot $), or None. Asked
/// before the lots are looked up, so an owner that sells nothing costs no fleet scan.
pub fn resale_offer(
    secondary: &crate::SecondaryMarket,
    gens: &Generations,
    rule: &dyn ResaleRule,
    params: &ResaleParams,
    value_per_lot: f64,
    generation: GenId,
    held: usize,
) -> Option<(usize, f64)> {
    if held == 0 {
        return None;
    }
    let gpus = f64::from(gens.gpus_per_lot);
    let view = ResaleView {
        params,
        value_per_lot,
        best_bid: secondary.best_bid(generation).map(|b| b * gpus),
        held,
    };
    rule.offer(&view).map(|(n, reserve)| (n.min(held), reserve))
}

/// `owner`'s lots of `generation` not yet offered this tick, in id order.
pub fn unlisted_of(
    fleet: &Fleet,
    owner: AgentId,
    generation: GenId,
) -> impl Iterator<Item = LotId> + '_ {
    fleet
        .owned_of(owner, generation)
        .filter(|&l| !fleet.get(l).listed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holding_is_worth_less_the_longer_the_wait_and_the_dearer_the_funding() {
        // A quarter's wait on a lot with 3 years left: 1/12 of its value wears away,
        // and a quarter of a year's carry at the funding rate.
        let cheap = hold_value(10_000.0, 0.25, 3.0, 0.05);
        let dear = hold_value(10_000.0, 0.25, 3.0, 0.20);
        assert!((cheap - 10_000.0 * (11.0 / 12.0) / 1.0125).abs() < 1e-6);
        assert!(dear < cheap, "dearer funding, lower hold value");
        assert!(
            hold_value(10_000.0, 0.5, 3.0, 0.05) < cheap,
            "a longer wait"
        );
        assert_eq!(
            hold_value(10_000.0, 0.25, 0.1, 0.05),
            0.0,
            "nothing left to wait for"
        );
    }

    const P: ResaleParams = ResaleParams {
        margin: 0.1,
        share_per_tick: 0.05,
    };

    #[test]
    fn an_owner_sells_only_when_the_bid_beats_value_plus_costs() {
        assert_eq!(voluntary_offer(&P, 100.0, Some(109.0), 40), None);
        assert_eq!(voluntary_offer(&P, 100.0, None, 40), None);
        let (lots, reserve) = voluntary_offer(&P, 100.0, Some(111.0), 40).unwrap();
        assert_eq!(lots, 2);
        assert!((reserve - 110.0).abs() < 1e-9);
        assert_eq!(voluntary_offer(&P, 100.0, Some(200.0), 3).unwrap().0, 1);
        assert_eq!(voluntary_offer(&P, 100.0, Some(200.0), 0), None);
    }
}
