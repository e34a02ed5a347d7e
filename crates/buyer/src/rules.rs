//! The buyer's decisions as swappable rules (see `firesale_core::rules`): what a lot is
//! worth to it, and the ladder of limits it bids below that value.

use crate::components::Buyer;
use firesale_core::prelude::*;
use firesale_core::rules::{Family, Registry, RuleChoice, RuleInfo};
use firesale_core::{MasterSeed, OutlookView};
use firesale_markets::ComputeMarket;
use std::sync::{Arc, RwLock};

/// What a buyer's valuation rule sees.
pub struct ValuationView<'a> {
    /// The buyer (its parameters and rent expectations).
    pub buyer: &'a Buyer,
    /// The generation valued.
    pub generation: GenId,
    /// Generations.
    pub gens: &'a Generations,
    /// Compute market (rents, utilisation, opex).
    pub market: &'a ComputeMarket,
    /// Clock.
    pub clock: &'a Clock,
    /// What one kWh costs the buyer, $.
    pub usd_per_kwh: f64,
}

/// `buyer.valuation`: what one lot of a generation is worth to the buyer, $ (its bids,
/// its voluntary sales and its primary purchases all start from it).
pub trait ValuationRule: Send + Sync {
    /// Value of one lot, $.
    fn value_per_lot(&self, view: &ValuationView) -> f64;
}

/// What a buyer's bidding rule sees of one generation it bids for.
pub struct BidView<'a> {
    /// The buyer (its parameters: ladder, most lots a tick).
    pub buyer: &'a Buyer,
    /// Its value of one lot, $.
    pub value_per_lot: f64,
    /// Lots its free racks could still host this tick.
    pub fit: u32,
}

/// `buyer.bidding`: the limits it bids, as fractions of its value, one tranche each,
/// highest first (the lots go evenly to the tranches, within its racks and budget).
pub trait BiddingRule: Send + Sync {
    /// Tranche limits as fractions of value, highest first.
    fn ladder(&self, view: &BidView) -> Vec<f64>;

    /// [`BiddingRule::ladder`] written into `out`, which it clears first. Bidding calls
    /// this, once per buyer and generation each tick, so that a rule can fill a reused
    /// buffer instead of allocating a ladder; by default it copies `ladder`'s.
    fn ladder_into(&self, view: &BidView, out: &mut Vec<f64>) {
        out.clear();
        out.extend(self.ladder(view));
    }
}

/// The rules of one buyer.
#[derive(Clone)]
pub struct BuyerRules {
    /// Its valuation.
    pub valuation: Arc<dyn ValuationRule>,
    /// Its bid ladder.
    pub bidding: Arc<dyn BiddingRule>,
    /// Its voluntary sales (`owner.resale`).
    pub resale: Arc<dyn firesale_markets::ResaleRule>,
    /// How it expects rents to move (`owner.outlook`).
    pub outlook: Arc<dyn firesale_core::RentOutlook>,
}

impl std::fmt::Debug for BuyerRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BuyerRules")
    }
}

/// Expected margin at its own power price and the generation's observed utilisation,
/// discounted at its cost of capital over the shorter of its horizon and the lot's
/// remaining physical life.
struct DiscountedMargin;

impl ValuationRule for DiscountedMargin {
    fn value_per_lot(&self, v: &ValuationView) -> f64 {
        let (buyer, gens, clock) = (v.buyer, v.gens, v.clock);
        let g = gens.get(v.generation);
        let economics = v.market.economics(
            gens,
            v.generation,
            v.usd_per_kwh,
            buyer.params.cost_of_capital,
            clock,
        );
        let age = f64::from(gens.age_ticks(v.generation, clock.tick)) * clock.years_per_tick();
        let years = buyer
            .params
            .horizon_years
            .min(g.max_age_years - age)
            .max(0.0);
        buyer.params.rules.outlook.value_per_gpu(&OutlookView {
            expectation: &buyer.expectations,
            roadmap: &v.market.roadmap,
            generation: v.generation.0 as usize,
            economics: &economics,
            years,
        }) * f64::from(gens.gpus_per_lot)
    }
}

/// The class's `bid_ladder`, shaded by how scarce its free racks are.
struct ShadedLadder;

impl BiddingRule for ShadedLadder {
    fn ladder(&self, v: &BidView) -> Vec<f64> {
        crate::bidding::shaded_ladder(
            &v.buyer.params.bid_ladder,
            v.buyer.params.max_lots_per_tick,
            v.fit,
        )
    }

    fn ladder_into(&self, v: &BidView, out: &mut Vec<f64>) {
        crate::bidding::shaded_ladder_into(
            &v.buyer.params.bid_ladder,
            v.buyer.params.max_lots_per_tick,
            v.fit,
            out,
        );
    }
}

/// `buyer.valuation` rules.
pub static VALUATION_RULES: Family<dyn ValuationRule> = Family::new(|| {
    RwLock::new(Registry::new(
        "buyer.valuation",
        "what one lot of a generation is worth to a buyer",
        vec![RuleInfo {
            name: "discounted_margin",
            doc: "expected margin at its power price and the generation's utilisation, at its cost of capital over min(horizon, remaining life)",
            params: Vec::new(),
            build: |_| Ok(Arc::new(DiscountedMargin)),
        }],
    ))
});

/// `buyer.bidding` rules.
pub static BIDDING_RULES: Family<dyn BiddingRule> = Family::new(|| {
    RwLock::new(Registry::new(
        "buyer.bidding",
        "the ladder of limits a buyer bids below its value",
        vec![RuleInfo {
            name: "shaded_ladder",
            doc: "its bid_ladder, lower tranches raised toward the top one as free racks grow (natural buyers with room pay full value)",
            params: Vec::new(),
            build: |_| Ok(Arc::new(ShadedLadder)),
        }],
    ))
});

/// A buyer's rules from its class's choices (None: the built-in).
pub fn buyer_rules(
    valuation: Option<&RuleChoice>,
    bidding: Option<&RuleChoice>,
    resale: Option<&RuleChoice>,
    outlook: Option<&RuleChoice>,
    seed: MasterSeed,
    agent: &str,
) -> Result<BuyerRules, String> {
    Ok(BuyerRules {
        valuation: VALUATION_RULES.build_or(valuation, "discounted_margin", seed, agent)?,
        bidding: BIDDING_RULES.build_or(bidding, "shaded_ladder", seed, agent)?,
        resale: firesale_markets::RESALE_RULES.build_or(
            resale,
            "margin_over_value",
            seed,
            agent,
        )?,
        outlook: firesale_core::OUTLOOK_RULES.build_or(outlook, "roadmap", seed, agent)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::BuyerParams;

    /// A rule that writes only `ladder`, as a researcher's might.
    struct Flat;

    impl BiddingRule for Flat {
        fn ladder(&self, _: &BidView) -> Vec<f64> {
            vec![0.9, 0.5]
        }
    }

    fn buyer() -> Buyer {
        let params = BuyerParams {
            rules: buyer_rules(None, None, None, None, MasterSeed(1), "buyer-1").unwrap(),
            credit_line: 0.0,
            stress_credit_cut: 0.0,
            cost_of_capital: 0.1,
            horizon_years: 3.0,
            rack_cost_per_kw: 10_000.0,
            rack_build_weeks: 30,
            rack_budget_share: 0.1,
            bid_ladder: vec![0.9, 0.7, 0.5].into(),
            max_lots_per_tick: 12,
            buys_primary: false,
            outside_income_per_week: 0.0,
            resale: firesale_markets::ResaleParams {
                margin: 0.1,
                share_per_tick: 0.1,
            },
            credit_line_spread: 0.02,
            cash_buffer_weeks: 8.0,
        };
        Buyer::new(params, firesale_core::RentExpectation::new(1, 0.1, 0.3))
    }

    #[test]
    fn bidding_reads_the_ladder_a_rule_writes_whichever_method_it_writes() {
        let buyer = buyer();
        let view = BidView {
            buyer: &buyer,
            value_per_lot: 1e5,
            fit: 120,
        };
        // Left over from another buyer: the rule's ladder replaces it.
        let mut out = vec![0.1; 5];
        Flat.ladder_into(&view, &mut out);
        assert_eq!(out, vec![0.9, 0.5], "the default copies `ladder`");
        ShadedLadder.ladder_into(&view, &mut out);
        assert_eq!(
            out,
            ShadedLadder.ladder(&view),
            "the built-in's two methods agree"
        );
        assert_eq!(out.len(), 3);
    }
}
