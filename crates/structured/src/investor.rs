//! Bond investors: high-yield and convertible funds that buy operators' new notes at a
//! yield their pricing rule asks, given what they can see of the issuer and the market.

use firesale_core::MasterSeed;
use firesale_core::prelude::*;
use firesale_core::rules::{Family, ParamDoc, Registry, RuleChoice, RuleInfo};
use std::sync::{Arc, RwLock};

/// What a bond investor sees when it prices a new note.
#[derive(Debug, Clone, Copy)]
pub struct PricingView {
    /// Risk-free rate, per year.
    pub rate: f64,
    /// The issuer's debt (secured loans and notes, the new issue included) over its
    /// assets at value (cash, BTC at spot, its fleet at the compute market's value).
    pub leverage: f64,
    /// Whether the issuer is a miner (its assets and revenue move with BTC).
    pub miner: bool,
    /// BTC's fall from its high of the past year, 0-1.
    pub btc_drawdown: f64,
    /// Share of note issuers that defaulted on their notes in the past year.
    pub default_rate: f64,
}

/// `investor.pricing`: the yield a bond investor asks of a new note, or None when it
/// will not buy at any yield.
pub trait PricingRule: Send + Sync {
    /// Yield asked, per year.
    fn required_yield(&self, view: &PricingView) -> Option<f64>;
}

/// The risk-free rate plus a spread that widens with the issuer's leverage, a miner's BTC
/// drawdown and the sector's recent defaults; above `max_spread` the fund stays out.
struct SpreadOverRisk {
    base_spread: f64,
    leverage_free: f64,
    per_leverage: f64,
    per_btc_drawdown: f64,
    per_default_rate: f64,
    max_spread: f64,
}

impl PricingRule for SpreadOverRisk {
    fn required_yield(&self, v: &PricingView) -> Option<f64> {
        if !(v.leverage.is_finite() && v.leverage < 1.0) {
            return None;
        }
        let spread = self.base_spread
            + self.per_leverage * (v.leverage - self.leverage_free).max(0.0)
            + if v.miner {
                self.per_btc_drawdown * v.btc_drawdown.clamp(0.0, 1.0)
            } else {
                0.0
            }
            + self.per_default_rate * v.default_rate.clamp(0.0, 1.0);
        (spread <= self.max_spread).then_some(v.rate + spread)
    }
}

/// `investor.pricing` rules.
pub static PRICING_RULES: Family<dyn PricingRule> = Family::new(|| {
    RwLock::new(Registry::new(
        "investor.pricing",
        "the yield a bond investor asks of an operator's new note, or none",
        vec![RuleInfo {
            name: "spread_over_risk",
            doc: "risk-free plus base_spread, plus per_leverage per unit of leverage above leverage_free, per_btc_drawdown times a miner's BTC drawdown and per_default_rate times the sector's default rate; none above max_spread or at leverage 1",
            params: vec![
                ParamDoc {
                    name: "base_spread",
                    doc: "spread of a sound issuer in a calm market (HY OAS ~3-4.5% in 2024-25)",
                    default: 0.045,
                },
                ParamDoc {
                    name: "leverage_free",
                    doc: "leverage up to which it asks no extra spread",
                    default: 0.4,
                },
                ParamDoc {
                    name: "per_leverage",
                    doc: "extra spread per unit of leverage above leverage_free",
                    default: 0.2,
                },
                ParamDoc {
                    name: "per_btc_drawdown",
                    doc: "extra spread per unit of BTC drawdown, for miners",
                    default: 0.08,
                },
                ParamDoc {
                    name: "per_default_rate",
                    doc: "extra spread per unit of the sector's default rate",
                    default: 0.3,
                },
                ParamDoc {
                    name: "max_spread",
                    doc: "widest spread at which it still buys (distressed beyond)",
                    default: 0.12,
                },
            ],
            build: |p| {
                Ok(Arc::new(SpreadOverRisk {
                    base_spread: p.within("base_spread", 0.0, 0.5)?,
                    leverage_free: p.within("leverage_free", 0.0, 1.0)?,
                    per_leverage: p.within("per_leverage", 0.0, 10.0)?,
                    per_btc_drawdown: p.within("per_btc_drawdown", 0.0, 10.0)?,
                    per_default_rate: p.within("per_default_rate", 0.0, 10.0)?,
                    max_spread: p.within("max_spread", 0.0, 1.0)?,
                }))
            },
        }],
    ))
});

/// A bond investor's pricing rule from its class's choice (None: the built-in).
pub fn pricing_rule(
    choice: Option<&RuleChoice>,
    seed: MasterSeed,
    agent: &str,
) -> Result<Arc<dyn PricingRule>, String> {
    PRICING_RULES.build_or(choice, "spread_over_risk", seed, agent)
}

/// A bond investor (drawn from its class in the world file).
#[derive(Component, Clone)]
pub struct BondInvestor {
    /// Its pricing rule.
    pub pricing: Arc<dyn PricingRule>,
    /// Capital at the start, $: the base of its concentration limit.
    pub capital: f64,
    /// Most of its capital it holds in one issuer's notes.
    pub max_issuer_share: f64,
}

impl std::fmt::Debug for BondInvestor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BondInvestor")
            .field("capital", &self.capital)
            .field("max_issuer_share", &self.max_issuer_share)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(leverage: f64, btc_drawdown: f64, default_rate: f64) -> PricingView {
        PricingView {
            rate: 0.04,
            leverage,
            miner: true,
            btc_drawdown,
            default_rate,
        }
    }

    #[test]
    fn the_asked_yield_widens_with_risk_and_stops_at_the_max_spread() {
        let rule = PRICING_RULES
            .build(
                &RuleChoice::named("spread_over_risk"),
                MasterSeed(1),
                "hy-1",
            )
            .unwrap();
        let calm = rule.required_yield(&view(0.3, 0.0, 0.0)).unwrap();
        assert!((calm - 0.085).abs() < 1e-12);
        let levered = rule.required_yield(&view(0.6, 0.0, 0.0)).unwrap();
        assert!((levered - (0.085 + 0.04)).abs() < 1e-12);
        let crashed = rule.required_yield(&view(0.3, 0.5, 0.0)).unwrap();
        assert!((crashed - (0.085 + 0.04)).abs() < 1e-12);
        assert!(rule.required_yield(&view(0.3, 0.5, 0.2)).is_none());
        assert!(rule.required_yield(&view(1.0, 0.0, 0.0)).is_none());
    }
}
