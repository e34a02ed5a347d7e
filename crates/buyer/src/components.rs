//! What a buyer owns and the parameters of its rules.

use firesale_core::prelude::*;
use firesale_core::{AccountId, RentExpectation};

/// Parameters of one buyer.
#[derive(Debug, Clone)]
pub struct BuyerParams {
    /// Its decision rules: valuation and bidding.
    pub rules: crate::rules::BuyerRules,
    /// Committed credit line, $.
    pub credit_line: f64,
    /// Share of the line withdrawn in the stress regime.
    pub stress_credit_cut: f64,
    /// Cost of capital, per year.
    pub cost_of_capital: f64,
    /// Longest horizon it values over, years.
    pub horizon_years: f64,
    /// Cost of building liquid-cooled racks, $/kW.
    pub rack_cost_per_kw: f64,
    /// Weeks to build them.
    pub rack_build_weeks: u32,
    /// Share of spare cash committed to racks when full (each quarter).
    pub rack_budget_share: f64,
    /// Bid ladder: fractions of valuation, highest first (one for the class, shared).
    pub bid_ladder: std::sync::Arc<[f64]>,
    /// Most lots bid per generation per tick.
    pub max_lots_per_tick: u32,
    /// Whether it buys from the vendor.
    pub buys_primary: bool,
    /// Corporate income per week at the starting demand index, $.
    pub outside_income_per_week: f64,
    /// When it sells lots voluntarily.
    pub resale: firesale_markets::ResaleParams,
    /// Spread over risk-free on its drawn credit line, per year.
    pub credit_line_spread: f64,
    /// Cash kept back from buying and bidding, in weeks of its costs.
    pub cash_buffer_weeks: f64,
}

/// A GPU buyer.
#[derive(Component, Debug, Clone)]
pub struct Buyer {
    /// Parameters.
    pub params: BuyerParams,
    /// Rent expectations.
    pub expectations: std::sync::Arc<RentExpectation>,
    /// Credit line drawn, $.
    pub drawn: f64,
    /// Recent weekly costs, for its cash reserve.
    pub weekly_costs: f64,
    /// Whether rack space limited its bids this tick.
    pub rack_bound: bool,
}

impl Buyer {
    /// A buyer with an undrawn line.
    pub fn new(params: BuyerParams, expectations: RentExpectation) -> Self {
        Buyer {
            params,
            expectations: std::sync::Arc::new(expectations),
            drawn: 0.0,
            weekly_costs: 0.0,
            rack_bound: false,
        }
    }

    /// Draws on the line (as far as it is available) so that `account` holds `amount`.
    pub fn draw_credit_for(
        &mut self,
        ledger: &mut Ledger,
        account: AccountId,
        amount: f64,
        stress: bool,
    ) {
        let draw = self.take_credit_for(ledger.balance(account), amount, stress);
        Self::pay_out_draw(ledger, account, draw);
    }

    /// The first half of [`Buyer::draw_credit_for`], for a buyer holding `balance`: what
    /// it draws (counted as drawn), to be paid with [`Buyer::pay_out_draw`]. Split so
    /// that buyers can work out their draws on all cores and be paid in order.
    pub fn take_credit_for(&mut self, balance: f64, amount: f64, stress: bool) -> f64 {
        let short = (amount - balance).max(0.0);
        let draw = short.min(self.available_credit(stress));
        self.drawn += draw;
        draw
    }

    /// The second half of [`Buyer::draw_credit_for`]: the bond holders pay `draw` to
    /// `account`.
    pub fn pay_out_draw(ledger: &mut Ledger, account: AccountId, draw: f64) {
        ledger.transfer(
            External::BondHolders.account(),
            account,
            draw,
            "credit line drawn",
        );
    }

    /// Credit it can still draw today.
    pub fn available_credit(&self, stress: bool) -> f64 {
        let line = if stress {
            self.params.credit_line * (1.0 - self.params.stress_credit_cut)
        } else {
            self.params.credit_line
        };
        (line - self.drawn).max(0.0)
    }

    /// Cash it keeps back from buying and bidding: `cash_buffer_weeks` of its costs.
    pub fn cash_reserve(&self) -> f64 {
        self.weekly_costs * self.params.cash_buffer_weeks
    }

    /// What it can spend on lots today: its cash beyond its reserve, and its credit.
    pub fn budget(&self, balance: f64, stress: bool) -> f64 {
        (balance - self.cash_reserve()).max(0.0) + self.available_credit(stress)
    }
}
