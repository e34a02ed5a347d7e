//! Reading a rule choice from a world file: the name and parameters are checked against
//! the family's registry as the file is parsed, so an unknown rule or parameter is
//! refused with its file, line and column, and the list of what exists.

use firesale_core::rules::{Family, RuleChoice};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A choice of `family`, checked.
fn checked<'de, D, T>(d: D, family: &Family<T>) -> Result<Option<RuleChoice>, D::Error>
where
    D: Deserializer<'de>,
    T: ?Sized + 'static,
{
    let choice = RuleChoice::deserialize(d)?;
    family.check(&choice).map_err(D::Error::custom)?;
    Ok(Some(choice))
}

/// Writes a present choice as `Rule(...)` (fields holding None are skipped).
pub(crate) fn some<S: Serializer>(choice: &Option<RuleChoice>, s: S) -> Result<S::Ok, S::Error> {
    match choice {
        Some(choice) => choice.serialize(s),
        None => s.serialize_none(),
    }
}

macro_rules! families {
    ($($name:ident => $family:path),* $(,)?) => {
        $(
            pub(crate) fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RuleChoice>, D::Error> {
                checked(d, &$family)
            }
        )*
    };
}

families! {
    lender_mark => firesale_lender::MARK_RULES,
    lender_covenant => firesale_lender::COVENANT_RULES,
    lender_liquidation => firesale_lender::LIQUIDATION_RULES,
    lender_credit => firesale_lender::CREDIT_RULES,
    repo_haircut => firesale_lender::HAIRCUT_RULES,
    buyer_valuation => firesale_buyer::VALUATION_RULES,
    buyer_bidding => firesale_buyer::BIDDING_RULES,
    owner_resale => firesale_markets::RESALE_RULES,
    owner_outlook => firesale_core::OUTLOOK_RULES,
    operator_distress => firesale_miner::DISTRESS_RULES,
    operator_expansion => firesale_miner::EXPANSION_RULES,
    operator_used_bids => firesale_miner::USED_BID_RULES,
    investor_pricing => firesale_structured::PRICING_RULES,
}

use crate::schema::{BuyerClass, HaircutRule, LenderClass, LenderKind, Marking, OperatorClass};
use firesale_core::MasterSeed;
use std::sync::Arc;

/// The built-in mark a class's `marking` names.
fn marking_choice(marking: Marking) -> RuleChoice {
    RuleChoice::named(match marking {
        Marking::Book => "book",
        Marking::LastTrade => "last_trade",
        Marking::Model => "model",
    })
}

/// The rules of lender `agent` of a class: its choices, else the built-ins its other
/// fields name.
pub(crate) fn lender_rules(
    class: &LenderClass,
    seed: MasterSeed,
    agent: &str,
) -> Result<firesale_lender::LenderRules, String> {
    let r = &class.rules;
    let mark = r
        .mark
        .clone()
        .unwrap_or_else(|| marking_choice(class.marking));
    firesale_lender::lender_rules(
        &mark,
        r.covenant.as_ref(),
        r.liquidation.as_ref(),
        r.credit.as_ref(),
        seed,
        agent,
    )
}

/// The haircut rule of desk `agent`: its class's choice, else the built-in its kind
/// names (None for a class that is not a desk).
pub(crate) fn haircut_rule(
    class: &LenderClass,
    seed: MasterSeed,
    agent: &str,
) -> Result<Option<Arc<dyn firesale_lender::RepoRule>>, String> {
    let LenderKind::RepoDesk(kind) = class.kind else {
        return Ok(None);
    };
    let choice = class.rules.haircut.clone().unwrap_or_else(|| match kind {
        HaircutRule::Fixed(h) => {
            let mut c = RuleChoice::named("fixed");
            c.params.insert("haircut".into(), h);
            c
        }
        HaircutRule::Observed {
            base,
            per_volatility,
            max_stale_weeks,
            max_position_to_depth,
        } => {
            let mut c = RuleChoice::named("observed");
            c.params.insert("base".into(), base);
            c.params.insert("per_volatility".into(), per_volatility);
            c.params
                .insert("max_stale_weeks".into(), f64::from(max_stale_weeks));
            c.params
                .insert("max_position_to_depth".into(), max_position_to_depth);
            c
        }
    });
    firesale_lender::HAIRCUT_RULES
        .build(&choice, seed, agent)
        .map(Some)
}

/// The rules of buyer `agent` of a class.
pub(crate) fn buyer_rules(
    class: &BuyerClass,
    seed: MasterSeed,
    agent: &str,
) -> Result<firesale_buyer::BuyerRules, String> {
    let r = &class.rules;
    firesale_buyer::buyer_rules(
        r.valuation.as_ref(),
        r.bidding.as_ref(),
        r.resale.as_ref(),
        r.outlook.as_ref(),
        seed,
        agent,
    )
}

/// The rules of operator `agent` of a class.
pub(crate) fn operator_rules(
    class: &OperatorClass,
    seed: MasterSeed,
    agent: &str,
) -> Result<firesale_miner::OperatorRules, String> {
    let r = &class.rules;
    firesale_miner::operator_rules(
        r.distress.as_ref(),
        r.expansion.as_ref(),
        r.resale.as_ref(),
        r.outlook.as_ref(),
        r.used_bids.as_ref(),
        seed,
        agent,
    )
}

/// Every rule family and its registered rules, for `firesale rules`.
pub fn rule_families() -> Vec<firesale_core::rules::FamilyDoc> {
    vec![
        firesale_lender::MARK_RULES.describe(),
        firesale_lender::COVENANT_RULES.describe(),
        firesale_lender::LIQUIDATION_RULES.describe(),
        firesale_lender::CREDIT_RULES.describe(),
        firesale_lender::HAIRCUT_RULES.describe(),
        firesale_buyer::VALUATION_RULES.describe(),
        firesale_buyer::BIDDING_RULES.describe(),
        firesale_miner::DISTRESS_RULES.describe(),
        firesale_miner::EXPANSION_RULES.describe(),
        firesale_miner::USED_BID_RULES.describe(),
        firesale_markets::RESALE_RULES.describe(),
        firesale_core::OUTLOOK_RULES.describe(),
        firesale_structured::PRICING_RULES.describe(),
    ]
}
