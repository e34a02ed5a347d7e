//! The operator's decisions as swappable rules (see `firesale_core::rules`): the reserve
//! at which it sells lots to raise cash under pressure, how many new lots it wants when
//! it expands, how it bids for used lots (`crate::USED_BID_RULES`) and (shared with
//! buyers, `owner.resale`) what it sells voluntarily.

use crate::components::Operator;
use firesale_core::MasterSeed;
use firesale_core::rules::{Family, ParamDoc, Registry, RuleChoice, RuleInfo};
use firesale_markets::ResaleRule;
use std::sync::{Arc, RwLock};

/// What the distress rule sees when the operator must raise cash.
pub struct DistressView<'a> {
    /// The operator (its parameters: the reserves of its class's `distress:`).
    pub operator: &'a Operator,
    /// Its value of one unit of the lot at its hurdle rate over its distress horizon, $.
    pub value_per_unit: f64,
    /// The generation's last secondary price, $ per unit.
    pub last_price: Option<f64>,
    /// Whether a deadline is about to pass (a call due next tick, or unpaid bills).
    pub urgent: bool,
}

/// `operator.distress`: the reserve at which a pressed operator offers a lot to raise
/// the cash it owes (which lots, and how much cash, are the mechanics of the call).
pub trait DistressRule: Send + Sync {
    /// Reserve, $ per unit.
    fn reserve_per_unit(&self, view: &DistressView) -> f64;
}

/// What the expansion rule sees when the operator considers the newest generation.
pub struct ExpansionView<'a> {
    /// The operator.
    pub operator: &'a Operator,
    /// Its value of one new lot at its hurdle rate over the generation's useful life, $.
    pub value_per_lot: f64,
    /// The vendor's price of one lot, $.
    pub price_per_lot: f64,
    /// Lots it owns.
    pub owned_lots: usize,
}

/// `operator.expansion`: how many new lots it wants this quarter (0: none); the lender's
/// terms, its cash, its racks and the vendor's deliveries then cap what it buys.
pub trait ExpansionRule: Send + Sync {
    /// Lots wanted.
    fn lots_wanted(&self, view: &ExpansionView) -> u32;
}

/// The rules of one operator.
#[derive(Clone)]
pub struct OperatorRules {
    /// Reserve under pressure.
    pub distress: Arc<dyn DistressRule>,
    /// Lots wanted when it expands.
    pub expansion: Arc<dyn ExpansionRule>,
    /// Voluntary sales.
    pub resale: Arc<dyn ResaleRule>,
    /// How it expects rents to move (every value it puts on a lot).
    pub outlook: Arc<dyn firesale_core::RentOutlook>,
    /// Whether and how it bids for used lots in the secondary market.
    pub used_bids: Arc<dyn crate::UsedBidRule>,
}

impl std::fmt::Debug for OperatorRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OperatorRules")
    }
}

/// A share of its own value, lower when the deadline is near (its class's
/// `distress.urgent_reserve` and `calm_reserve`).
struct ReserveShare;

impl DistressRule for ReserveShare {
    fn reserve_per_unit(&self, v: &DistressView) -> f64 {
        let p = &v.operator.params;
        v.value_per_unit
            * if v.urgent {
                p.urgent_reserve
            } else {
                p.calm_reserve
            }
    }
}

/// Buys when a new lot is worth more than its price at the hurdle rate: a quarter of
/// its yearly `max_growth` of the fleet (at least one lot).
struct Hurdle {
    share_per_quarter: f64,
}

impl ExpansionRule for Hurdle {
    fn lots_wanted(&self, v: &ExpansionView) -> u32 {
        if v.value_per_lot <= v.price_per_lot {
            return 0;
        }
        let owned = v.owned_lots as f64;
        (v.operator.params.max_growth * self.share_per_quarter * owned)
            .round()
            .max(1.0) as u32
    }
}

/// `operator.distress` rules.
pub static DISTRESS_RULES: Family<dyn DistressRule> = Family::new(|| {
    RwLock::new(Registry::new(
        "operator.distress",
        "the reserve at which a pressed operator offers lots to raise the cash it owes",
        vec![RuleInfo {
            name: "reserve_share",
            doc: "its value of the lot times distress.urgent_reserve near a deadline, distress.calm_reserve with time to spare",
            params: Vec::new(),
            build: |_| Ok(Arc::new(ReserveShare)),
        }],
    ))
});

/// `operator.expansion` rules.
pub static EXPANSION_RULES: Family<dyn ExpansionRule> = Family::new(|| {
    RwLock::new(Registry::new(
        "operator.expansion",
        "how many new lots an operator wants when it reviews expansion (once a quarter)",
        vec![RuleInfo {
            name: "hurdle",
            doc: "when a new lot is worth more than the vendor's price at its hurdle rate: a share of max_growth times its fleet",
            params: vec![ParamDoc {
                name: "share_per_quarter",
                doc: "share of the yearly max_growth it buys at one review",
                default: 0.25,
            }],
            build: |p| {
                Ok(Arc::new(Hurdle {
                    share_per_quarter: p.within("share_per_quarter", 0.0, 1.0)?,
                }))
            },
        }],
    ))
});

/// An operator's rules from its class's choices (None: the built-in).
pub fn operator_rules(
    distress: Option<&RuleChoice>,
    expansion: Option<&RuleChoice>,
    resale: Option<&RuleChoice>,
    outlook: Option<&RuleChoice>,
    used_bids: Option<&RuleChoice>,
    seed: MasterSeed,
    agent: &str,
) -> Result<OperatorRules, String> {
    Ok(OperatorRules {
        distress: DISTRESS_RULES.build_or(distress, "reserve_share", seed, agent)?,
        expansion: EXPANSION_RULES.build_or(expansion, "hurdle", seed, agent)?,
        resale: firesale_markets::RESALE_RULES.build_or(
            resale,
            "margin_over_value",
            seed,
            agent,
        )?,
        outlook: firesale_core::OUTLOOK_RULES.build_or(outlook, "roadmap", seed, agent)?,
        used_bids: crate::USED_BID_RULES.build_or(used_bids, "natural_buyer", seed, agent)?,
    })
}
