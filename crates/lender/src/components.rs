//! What a lender owns and the parameters of its rules.

use firesale_core::prelude::*;
use std::collections::VecDeque;

/// Parameters of one lender.
#[derive(Debug, Clone)]
pub struct LenderParams {
    /// Its decision rules: own mark, covenant test, liquidation, credit terms.
    pub rules: crate::rules::LenderRules,
    /// Cost of funding over risk-free, per year.
    pub funding_spread: f64,
    /// Capital ratio below which funders withdraw.
    pub run_threshold: f64,
    /// Share of funding withdrawn per tick during a run.
    pub withdrawal_rate: f64,
    /// Calm spread on new loans.
    pub base_spread: f64,
    /// Calm max LTV at origination.
    pub base_max_ltv: f64,
    /// Covenant max LTV.
    pub covenant_ltv: f64,
    /// Covenant min DSCR.
    pub covenant_dscr: f64,
    /// Cure period, ticks.
    pub cure_ticks: u32,
    /// Tenor, years.
    pub tenor_years: f64,
    /// Share amortised over the tenor.
    pub amortising_share: f64,
    /// Spread per unit of realised yearly loss rate.
    pub loss_sensitivity: f64,
    /// Spread per unit of observed yearly price volatility.
    pub volatility_sensitivity: f64,
    /// Target capital ratio.
    pub target_capital_ratio: f64,
    /// Whether it lends to BTC miners.
    pub lends_to_miners: bool,
    /// Ticks it expects an orderly sale of repossessed lots at the non-distressed price
    /// to take (the horizon of its hold-or-sell comparison).
    pub sale_horizon_ticks: u32,
    /// Cash it keeps against its loan book, as a share of the book.
    pub cash_buffer: f64,
    /// Share of idle cash beyond the buffer handed back to funders each tick.
    pub deleveraging_pace: f64,
    /// Ticks it may leave withdrawals unpaid before it fails.
    pub illiquidity_grace_ticks: u32,
    /// Highest risk premium over its calm spread, per year.
    pub max_risk_premium: f64,
}

/// A lender (bank, private credit fund, crypto lender).
#[derive(Component, Debug, Clone)]
pub struct Lender {
    /// Parameters.
    pub params: LenderParams,
    /// Outside funding outstanding, $.
    pub funding: f64,
    /// Withdrawals demanded and not yet paid, $.
    pub pending_withdrawal: f64,
    /// First tick of the current unpaid withdrawals.
    pub pending_since: Option<u32>,
    /// Tick it failed, if it has.
    pub failed: Option<u32>,
    /// Recognised credit losses: (tick, $), newest last, a year kept.
    pub losses: VecDeque<(u32, f64)>,
    /// Equity at market marks, updated each tick.
    pub equity: f64,
    /// Its share of live loans' principal, updated each tick.
    pub exposure: f64,
    /// Equity / assets, updated each tick.
    pub capital_ratio: f64,
    /// Shortfall of its capital ratio below target, as a share of the target (0 at or
    /// above target, 1 with no equity): it lends less and dearer.
    pub capital_urgency: f64,
    /// Repo margin it owes a desk and could not pay this tick, $.
    pub repo_shortfall: f64,
}

impl Lender {
    /// A lender with `funding` of outside money.
    pub fn new(params: LenderParams, funding: f64) -> Self {
        Lender {
            params,
            funding,
            pending_withdrawal: 0.0,
            pending_since: None,
            failed: None,
            losses: VecDeque::new(),
            equity: 0.0,
            exposure: 0.0,
            capital_ratio: 1.0,
            capital_urgency: 0.0,
            repo_shortfall: 0.0,
        }
    }

    /// Losses recognised over the last `window` ticks.
    pub fn recent_losses(&self, tick: u32, window: u32) -> f64 {
        self.losses
            .iter()
            .filter(|(t, _)| *t + window > tick)
            .map(|(_, l)| l)
            .sum()
    }
}

/// How a repo desk sets haircuts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HaircutPolicy {
    /// From observed liquidity of the secondary market.
    Observed {
        /// Haircut in a deep, calm market.
        base: f64,
        /// Added per unit of yearly volatility.
        per_volatility: f64,
        /// Weeks without a trade after which it will not lend.
        max_stale_weeks: u32,
        /// Position / bid depth above which it will not lend.
        max_position_to_depth: f64,
    },
    /// Fixed whatever the market does (lender of last resort), against model value.
    Fixed(f64),
}

/// One repo loan: a desk funding a lender's inventory of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoPosition {
    /// The borrowing lender.
    pub borrower: AgentId,
    /// Generation of the inventory.
    pub generation: GenId,
    /// Cash lent, $.
    pub amount: f64,
    /// Most cash lent per lot so far (a backstop never lowers it: no margin calls on price), $.
    pub per_lot: f64,
}

/// A repo desk.
#[derive(Component, Clone)]
pub struct RepoDesk {
    /// Its haircut rule.
    pub rule: std::sync::Arc<dyn crate::rules::RepoRule>,
    /// Spread over risk-free it charges, per year.
    pub spread: f64,
    /// Open positions.
    pub positions: Vec<RepoPosition>,
    /// Haircut per generation this tick.
    pub haircuts: Vec<f64>,
    /// Term for which it rolls a loan to a borrower about to fall due while its lots
    /// still cover it, ticks (its class's `tenor_years`).
    pub tenor_ticks: u32,
}

impl std::fmt::Debug for RepoDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoDesk")
            .field("spread", &self.spread)
            .field("positions", &self.positions)
            .field("haircuts", &self.haircuts)
            .finish_non_exhaustive()
    }
}
