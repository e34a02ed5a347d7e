//! The lender's decisions as swappable rules (see `firesale_core::rules`): its own mark
//! of collateral, its covenant test and call, the reserve at which it offers repossessed
//! lots, and the terms it offers on new loans; and the repo desk's haircut. The built-in
//! rules are the behaviour firesale has always had; their numbers are parameters.

use crate::components::LenderParams;
use crate::marking::MarkContext;
use firesale_core::MasterSeed;
use firesale_core::rules::{Family, ParamDoc, Registry, RuleChoice, RuleInfo};
use firesale_core::{CallReason, Loan, Lot};
use firesale_markets::{GenerationMarket, hold_value};
use std::sync::{Arc, RwLock};

/// `lender.mark`: what one unit of a lot is worth to the lender (its own mark), which
/// drives its covenant tests, its equity and its fallback sale price.
pub trait MarkRule: Send + Sync {
    /// The lender's mark of `lot`, $ per unit (GPU or rig).
    fn mark_per_unit(&self, view: &MarkContext, lot: &Lot) -> f64;
}

/// What the covenant rule sees of one performing loan.
pub struct CovenantView<'a> {
    /// The loan (principal, covenants, cure period).
    pub loan: &'a Loan,
    /// Its collateral at the lender's own mark, lots and posted BTC, $.
    pub own_value: f64,
    /// The borrower's trailing debt-service coverage (None: no history yet).
    pub dscr: Option<f64>,
}

/// `lender.covenant`: whether to call a performing loan, and for how much.
pub trait CovenantRule: Send + Sync {
    /// The amount called and why, or None.
    fn call(&self, view: &CovenantView) -> Option<(f64, CallReason)>;
}

/// What the liquidation rule sees of one repossessed lot it holds.
pub struct LiquidationView<'a> {
    /// Market observables and the lender's mark context.
    pub mark: &'a MarkContext<'a>,
    /// This generation's auction book and prices.
    pub market: &'a GenerationMarket,
    /// The lender's own mark of the lot, $ per unit.
    pub own_mark_per_unit: f64,
    /// Weeks of an orderly sale, as years (the lender's `sale_horizon_weeks`).
    pub sale_horizon_years: f64,
    /// What is left of the lot's physical life, years.
    pub remaining_life_years: f64,
    /// The yearly rate at which the lender funds holding the lot (repo where a desk
    /// lends on it, else its outside funding).
    pub funding_rate: f64,
    /// Whether the lender must raise cash it owes now and this lot is among those the
    /// standing book needs to raise it.
    pub forced: bool,
}

/// `lender.liquidation`: the reserve (lowest price) at which the lender offers a
/// repossessed lot this week; it sells whatever bids clear it.
///
/// Every lender's reserves are worked out, on all cores, before any lender lists its
/// lots: a rule sees last week's book and this week's asks of owners, never another
/// lender's asks of this week.
pub trait LiquidationRule: Send + Sync {
    /// Reserve, $ per unit (0: any price; `f64::INFINITY` would hold it back).
    fn reserve_per_unit(&self, view: &LiquidationView, lot: &Lot) -> f64;
}

/// What the credit-terms rule sees of its lender.
pub struct TermsView<'a> {
    /// The lender's parameters (calm spread and max LTV, sensitivities, target capital).
    pub params: &'a LenderParams,
    /// Recognised losses of the past year over what was at risk.
    pub loss_rate: f64,
    /// The highest observed yearly price volatility of any generation.
    pub volatility: f64,
    /// Shortfall of its capital ratio below target, as a share of the target.
    pub capital_urgency: f64,
    /// Equity / assets.
    pub capital_ratio: f64,
    /// Whether it has failed.
    pub failed: bool,
    /// Whether it owes its funders withdrawals it has not paid.
    pub withdrawals_pending: bool,
}

/// The terms a lender posts for new loans this tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Terms {
    /// Whether it lends at all.
    pub open: bool,
    /// Spread over risk-free, per year.
    pub spread: f64,
    /// Max loan-to-cost.
    pub max_ltv: f64,
}

/// `lender.credit`: the terms of new loans (origination goes to the cheapest open
/// lenders with capacity, so the terms decide who lends to whom).
pub trait CreditRule: Send + Sync {
    /// This tick's terms.
    fn terms(&self, view: &TermsView) -> Terms;
}

/// The rules of one lender.
#[derive(Clone)]
pub struct LenderRules {
    /// Its own mark.
    pub mark: Arc<dyn MarkRule>,
    /// Covenant test and call.
    pub covenant: Arc<dyn CovenantRule>,
    /// Reserve of repossessed lots.
    pub liquidation: Arc<dyn LiquidationRule>,
    /// Terms of new loans.
    pub credit: Arc<dyn CreditRule>,
}

impl std::fmt::Debug for LenderRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LenderRules")
    }
}

// ---- built-in marks ----

struct BookMark;
impl MarkRule for BookMark {
    fn mark_per_unit(&self, view: &MarkContext, lot: &Lot) -> f64 {
        view.book_per_unit(lot)
    }
}

struct LastTradeMark;
impl MarkRule for LastTradeMark {
    fn mark_per_unit(&self, view: &MarkContext, lot: &Lot) -> f64 {
        view.secondary
            .last_price(lot.generation)
            .unwrap_or_else(|| view.book_per_unit(lot))
    }
}

struct ModelMark;
impl MarkRule for ModelMark {
    fn mark_per_unit(&self, view: &MarkContext, lot: &Lot) -> f64 {
        view.compute.model_value[lot.generation.0 as usize]
    }
}

struct BenchmarkMark;
impl MarkRule for BenchmarkMark {
    fn mark_per_unit(&self, view: &MarkContext, lot: &Lot) -> f64 {
        view.compute.fundamental[lot.generation.0 as usize]
    }
}

/// `lender.mark` rules. The class field `marking: Book | LastTrade | Model` picks one of
/// the three built-ins; `rules: (mark: Rule(...))` picks any.
pub static MARK_RULES: Family<dyn MarkRule> = Family::new(|| {
    RwLock::new(Registry::new(
        "lender.mark",
        "a lender's own mark of a lot (covenants, its equity, its fallback sale price)",
        vec![
            RuleInfo::without_params(
                "book",
                "straight-line book value of the lot's list price",
                |_| Ok(Arc::new(BookMark)),
            ),
            RuleInfo::without_params(
                "last_trade",
                "the generation's last secondary price, however stale (book before any trade)",
                |_| Ok(Arc::new(LastTradeMark)),
            ),
            RuleInfo::without_params(
                "model",
                "discounted margin under the roadmap forecast at the benchmark rate and power price (the compute market's model value)",
                |_| Ok(Arc::new(ModelMark)),
            ),
            RuleInfo::without_params(
                "benchmark",
                "discounted margin at today's rent growing at the benchmark's constant rate (the fundamental value; blind to the roadmap)",
                |_| Ok(Arc::new(BenchmarkMark)),
            ),
        ],
    ))
});

// ---- built-in covenant test ----

/// Calls the larger of the LTV shortfall at the lender's own mark and a DSCR cash sweep.
struct LtvOrDscrSweep {
    sweep_share: f64,
    min_call_share: f64,
}

impl CovenantRule for LtvOrDscrSweep {
    fn call(&self, view: &CovenantView) -> Option<(f64, CallReason)> {
        let loan = view.loan;
        let ltv_call = (loan.principal - loan.covenants.max_ltv * view.own_value).max(0.0);
        // A DSCR breach triggers a cash sweep: a share of the paydown that would restore
        // coverage at today's cash flow.
        let dscr_call = match view.dscr {
            Some(d) if d < loan.covenants.min_dscr => {
                loan.principal * (1.0 - d.max(0.0) / loan.covenants.min_dscr) * self.sweep_share
            }
            _ => 0.0,
        };
        let (amount, reason) = if ltv_call >= dscr_call {
            (ltv_call, CallReason::Ltv)
        } else {
            (dscr_call, CallReason::Dscr)
        };
        // Calls smaller than this share of the principal are not worth the paperwork.
        (amount > self.min_call_share * loan.principal.max(1.0)).then_some((amount, reason))
    }
}

/// `lender.covenant` rules.
pub static COVENANT_RULES: Family<dyn CovenantRule> = Family::new(|| {
    RwLock::new(Registry::new(
        "lender.covenant",
        "whether a lender calls a performing loan, and for how much",
        vec![RuleInfo {
            name: "ltv_or_dscr_sweep",
            doc: "calls the LTV shortfall at its own mark or a cash sweep of a DSCR breach, whichever is larger",
            params: vec![
                ParamDoc {
                    name: "sweep_share",
                    doc: "share of the paydown that would restore the DSCR covenant called in a breach",
                    default: 0.25,
                },
                ParamDoc {
                    name: "min_call_share",
                    doc: "smallest call worth making, as a share of the principal",
                    default: 0.01,
                },
            ],
            build: |p| {
                Ok(Arc::new(LtvOrDscrSweep {
                    sweep_share: p.within("sweep_share", 0.0, 1.0)?,
                    min_call_share: p.within("min_call_share", 0.0, 1.0)?,
                }))
            },
        }],
    ))
});

// ---- built-in liquidation ----

/// Offers each lot at its hold value; at any price when the cash it owes requires it.
struct HoldOrSell;

impl LiquidationRule for HoldOrSell {
    fn reserve_per_unit(&self, view: &LiquidationView, _lot: &Lot) -> f64 {
        if view.forced {
            return 0.0;
        }
        // The market's non-distressed price, else its own mark, held for an orderly
        // sale: less the lot's wear over the sale and the carry of funding it.
        let reference = view
            .market
            .reference_price
            .unwrap_or(view.own_mark_per_unit);
        hold_value(
            reference,
            view.sale_horizon_years,
            view.remaining_life_years,
            view.funding_rate,
        )
    }
}

/// `lender.liquidation` rules.
pub static LIQUIDATION_RULES: Family<dyn LiquidationRule> = Family::new(|| {
    RwLock::new(Registry::new(
        "lender.liquidation",
        "the reserve at which a lender offers each repossessed lot (hold or sell)",
        vec![RuleInfo::without_params(
            "hold_or_sell",
            "the lot's hold value (reference price less wear and funding carry over an orderly sale); any price for the lots it must sell to pay what it owes",
            |_| Ok(Arc::new(HoldOrSell)),
        )],
    ))
});

// ---- built-in credit terms ----

/// Procyclical terms: losses, volatility and thin capital raise the spread and cut the
/// max LTV; a lender well below its target capital closes.
struct Procyclical {
    capital_premium: f64,
    loss_ltv_cut: f64,
    max_loss_ltv_cut: f64,
    close_below_target: f64,
    min_ltv: f64,
}

impl CreditRule for Procyclical {
    fn terms(&self, v: &TermsView) -> Terms {
        let p = v.params;
        // Risk premia on top of the calm spread, capped where no borrower would take it.
        let premium = p.loss_sensitivity * v.loss_rate
            + p.volatility_sensitivity * v.volatility
            + self.capital_premium * v.capital_urgency;
        let spread = p.base_spread + premium.min(p.max_risk_premium);
        let max_ltv = (p.base_max_ltv
            * (1.0 - v.capital_urgency)
            * (1.0 - (self.loss_ltv_cut * v.loss_rate).min(self.max_loss_ltv_cut)))
        .max(0.0);
        let open = !v.failed
            && !v.withdrawals_pending
            && v.capital_ratio >= p.target_capital_ratio * self.close_below_target
            && max_ltv > self.min_ltv;
        Terms {
            open,
            spread,
            max_ltv,
        }
    }
}

/// `lender.credit` rules.
pub static CREDIT_RULES: Family<dyn CreditRule> = Family::new(|| {
    RwLock::new(Registry::new(
        "lender.credit",
        "the spread, max LTV and openness of a lender's new loans",
        vec![RuleInfo {
            name: "procyclical",
            doc: "calm terms plus premia for realised losses, observed volatility and thin capital; closes below its target capital",
            params: vec![
                ParamDoc {
                    name: "capital_premium",
                    doc: "spread added at full capital urgency, per year",
                    default: 0.05,
                },
                ParamDoc {
                    name: "loss_ltv_cut",
                    doc: "max LTV cut per unit of yearly loss rate",
                    default: 2.0,
                },
                ParamDoc {
                    name: "max_loss_ltv_cut",
                    doc: "largest share of the max LTV losses can cut",
                    default: 0.5,
                },
                ParamDoc {
                    name: "close_below_target",
                    doc: "it stops lending below this share of its target capital ratio",
                    default: 0.8,
                },
                ParamDoc {
                    name: "min_ltv",
                    doc: "it stops lending when its max LTV falls to this",
                    default: 0.05,
                },
            ],
            build: |p| {
                Ok(Arc::new(Procyclical {
                    capital_premium: p.within("capital_premium", 0.0, 1.0)?,
                    loss_ltv_cut: p.within("loss_ltv_cut", 0.0, 100.0)?,
                    max_loss_ltv_cut: p.within("max_loss_ltv_cut", 0.0, 1.0)?,
                    close_below_target: p.within("close_below_target", 0.0, 10.0)?,
                    min_ltv: p.within("min_ltv", 0.0, 1.0)?,
                }))
            },
        }],
    ))
});

/// A lender's rules from its class's choices (None: the built-in default of the family).
pub fn lender_rules(
    mark: &RuleChoice,
    covenant: Option<&RuleChoice>,
    liquidation: Option<&RuleChoice>,
    credit: Option<&RuleChoice>,
    seed: MasterSeed,
    agent: &str,
) -> Result<LenderRules, String> {
    Ok(LenderRules {
        mark: MARK_RULES.build(mark, seed, agent)?,
        covenant: COVENANT_RULES.build_or(covenant, "ltv_or_dscr_sweep", seed, agent)?,
        liquidation: LIQUIDATION_RULES.build_or(liquidation, "hold_or_sell", seed, agent)?,
        credit: CREDIT_RULES.build_or(credit, "procyclical", seed, agent)?,
    })
}

// ---- the repo desk's haircut ----

/// What a repo desk sees of one generation when it sets its haircut.
pub struct HaircutView<'a> {
    /// The generation's auction book and prices.
    pub market: &'a GenerationMarket,
    /// The model value of one unit (the roadmap forecast at benchmark economics), $.
    pub model_value: f64,
    /// Repossessed lots of the generation held by all lenders (what repo would finance).
    pub position_lots: u64,
    /// This tick.
    pub tick: u32,
    /// Years per tick.
    pub years_per_tick: f64,
}

/// `repo.haircut`: how a repo desk lends against lenders' repossessed inventory.
pub trait RepoRule: Send + Sync {
    /// Haircut on the generation this tick (1: it does not lend on it).
    fn haircut(&self, view: &HaircutView) -> f64;
    /// What it values one unit of collateral at, $.
    fn mark_per_unit(&self, view: &HaircutView) -> f64;
    /// Whether it lends on term: it never lowers what it lends per lot (no margin calls
    /// on price) and asks for cash back only as the lots are sold.
    fn on_term(&self) -> bool;
}

/// The built-in desks: observing (haircut from liquidity, re-margined on last trades) or
/// a backstop (fixed haircut on model value, on term).
struct BuiltinDesk(crate::components::HaircutPolicy);

impl RepoRule for BuiltinDesk {
    fn haircut(&self, v: &HaircutView) -> f64 {
        crate::repo::observed_haircut(&self.0, v.market, v.position_lots, v.tick, v.years_per_tick)
    }

    fn mark_per_unit(&self, v: &HaircutView) -> f64 {
        match self.0 {
            crate::components::HaircutPolicy::Fixed(_) => v.model_value,
            crate::components::HaircutPolicy::Observed { .. } => v.market.last_price.unwrap_or(0.0),
        }
    }

    fn on_term(&self) -> bool {
        matches!(self.0, crate::components::HaircutPolicy::Fixed(_))
    }
}

/// `repo.haircut` rules. A desk class's `kind: RepoDesk(Observed(...))` or
/// `RepoDesk(Fixed(h))` picks a built-in; `rules: (haircut: Rule(...))` picks any.
pub static HAIRCUT_RULES: Family<dyn RepoRule> = Family::new(|| {
    RwLock::new(Registry::new(
        "repo.haircut",
        "the haircut, collateral mark and margining of a repo desk lending on repossessed lots",
        vec![
            RuleInfo {
                name: "observed",
                doc: "a market desk: haircut from volatility, staleness and position size on the last trade, re-margined weekly; no lending in a stale or thin market",
                params: vec![
                    ParamDoc {
                        name: "base",
                        doc: "haircut in a deep, calm market",
                        default: 0.2,
                    },
                    ParamDoc {
                        name: "per_volatility",
                        doc: "added per unit of yearly price volatility",
                        default: 0.3,
                    },
                    ParamDoc {
                        name: "max_stale_weeks",
                        doc: "weeks without a trade after which it will not lend",
                        default: 6.0,
                    },
                    ParamDoc {
                        name: "max_position_to_depth",
                        doc: "inventory / bids within 50% of the last price above which it will not lend",
                        default: 2.0,
                    },
                ],
                build: |p| {
                    Ok(Arc::new(BuiltinDesk(
                        crate::components::HaircutPolicy::Observed {
                            base: p.within("base", 0.0, 1.0)?,
                            per_volatility: p.within("per_volatility", 0.0, 100.0)?,
                            max_stale_weeks: p.whole("max_stale_weeks", 1, u32::MAX)?,
                            max_position_to_depth: p.within("max_position_to_depth", 0.0, 1e6)?,
                        },
                    )))
                },
            },
            RuleInfo {
                name: "fixed",
                doc: "a backstop: a fixed haircut on model value whatever the market does, lent on term",
                params: vec![ParamDoc {
                    name: "haircut",
                    doc: "the haircut",
                    default: 0.3,
                }],
                build: |p| {
                    Ok(Arc::new(BuiltinDesk(
                        crate::components::HaircutPolicy::Fixed(p.within("haircut", 0.0, 1.0)?),
                    )))
                },
            },
        ],
    ))
});
