//! An operator as an issuer of notes: the terms of its new issues, its shares, and the
//! value of its equity that decides whether its convertibles convert.
//!
//! The equity is valued as a going concern, the way its shares are priced: cash, plus
//! BTC at spot, plus each lot at the compute market's fundamental value (the discounted
//! rent of its generation at today's rents), less secured loans and notes at face. So the
//! share price moves with BTC and with AI rents, not with what the fleet would fetch
//! dumped into the standing bids (that is a liquidation, which the lenders' marks and the
//! bankruptcy estate see).

use firesale_core::prelude::*;

/// What a new note of this issuer looks like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IssueKind {
    /// A straight high-yield bond.
    HighYield,
    /// A convertible.
    Convertible {
        /// Conversion price over the share price at issue.
        premium: f64,
        /// Ticks after issue holders may put it (None: no put).
        put_ticks: Option<u32>,
        /// Points of yield the conversion option is worth to buyers: the coupon is the
        /// straight yield asked less this.
        coupon_cut: f64,
    },
}

/// An operator that issues notes.
#[derive(Component, Debug, Clone)]
pub struct Issuer {
    /// Shares outstanding (0 until the first valuation sets them at `initial_share_price`).
    pub shares: f64,
    /// Share price the first valuation is scaled to, $.
    pub initial_share_price: f64,
    /// Share price at the last valuation, $.
    pub share_price: f64,
    /// Kind of its new issues.
    pub kind: IssueKind,
    /// Tenor of new issues, ticks.
    pub tenor_ticks: u32,
    /// Ticks between coupon dates.
    pub coupon_every: u32,
    /// Grace period of missed payments, ticks.
    pub grace_ticks: u32,
    /// Highest straight yield it accepts on a new issue.
    pub max_yield: f64,
    /// Whether it sells notes to pay the equity part of expansion its cash cannot.
    pub issues_for_growth: bool,
    /// Smallest issue worth selling, $.
    pub min_issue: f64,
}

/// An issuer's balance sheet at value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IssuerValue {
    /// Cash, BTC at spot and the fleet at fundamental value, $.
    pub assets: f64,
    /// Secured loans and notes at face, $.
    pub debt: f64,
}

impl IssuerValue {
    /// Equity value, $ (negative when insolvent at value).
    pub fn equity(&self) -> f64 {
        self.assets - self.debt
    }

    /// Debt over assets (1 or more: insolvent at value).
    pub fn leverage(&self) -> f64 {
        if self.assets > 0.0 {
            self.debt / self.assets
        } else {
            f64::INFINITY
        }
    }
}

/// Values an issuer: `lots_by_generation` at `fundamental_per_unit` of each generation.
pub fn issuer_value(
    cash: f64,
    btc_value: f64,
    lots_by_generation: &[u64],
    fundamental_per_unit: &[f64],
    units_per_lot: f64,
    debt: f64,
) -> IssuerValue {
    let fleet: f64 = lots_by_generation
        .iter()
        .zip(fundamental_per_unit)
        .map(|(&n, &v)| n as f64 * v.max(0.0) * units_per_lot)
        .sum();
    IssuerValue {
        assets: cash.max(0.0) + btc_value.max(0.0) + fleet,
        debt,
    }
}

impl Issuer {
    /// Share price at this value; the first call sets the share count so the price is
    /// the initial one.
    pub fn price_shares(&mut self, value: &IssuerValue) -> f64 {
        if self.shares <= 0.0 {
            self.shares = value.equity().max(1.0) / self.initial_share_price;
        }
        self.share_price = value.equity().max(0.0) / self.shares;
        self.share_price
    }
}

/// Values operator `agent` as an issuer (see the module's note on why at fundamental).
#[allow(clippy::too_many_arguments)]
pub fn value_issuer(
    agent: &Agent,
    btc: Option<&firesale_miner::Bitcoin>,
    ledger: &Ledger,
    exo: &firesale_markets::Exogenous,
    fleet: &Fleet,
    gens: &Generations,
    metrics: &Metrics,
    loans: &LoanBook,
    notes: &firesale_core::NoteBook,
) -> IssuerValue {
    let mut lots = vec![0u64; gens.list.len()];
    for lot in fleet.owned_by(agent.id) {
        lots[fleet.get(lot).generation.0 as usize] += 1;
    }
    let fundamental: Vec<f64> = metrics.generations.iter().map(|g| g.fundamental).collect();
    let secured: f64 = loans
        .live_of(agent.id)
        .iter()
        .map(|&id| {
            let loan = loans.get(id);
            loan.principal + loan.arrears
        })
        .sum();
    let owed_notes: f64 = notes
        .live_of(agent.id)
        .iter()
        .map(|&id| notes.get(id).principal + notes.get(id).coupon_arrears)
        .sum();
    issuer_value(
        ledger.balance(agent.account),
        btc.map_or(0.0, |b| b.treasury * exo.btc_price),
        &lots,
        &fundamental,
        f64::from(gens.gpus_per_lot),
        secured + owed_notes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_price_follows_equity_at_value_after_the_first_valuation() {
        let mut issuer = Issuer {
            shares: 0.0,
            initial_share_price: 10.0,
            share_price: 0.0,
            kind: IssueKind::HighYield,
            tenor_ticks: 260,
            coupon_every: 26,
            grace_ticks: 4,
            max_yield: 0.15,
            issues_for_growth: false,
            min_issue: 1.0,
        };
        // 100 cash, 50 of BTC, 2 lots of 8 units at 10 each, 120 debt: equity 190.
        let v = issuer_value(100.0, 50.0, &[2, 0], &[10.0, 99.0], 8.0, 120.0);
        assert_eq!(v.assets, 310.0);
        assert_eq!(issuer.price_shares(&v), 10.0);
        assert_eq!(issuer.shares, 19.0);
        // BTC halves and rents fall: equity 100, so 100/19 a share.
        let v = issuer_value(100.0, 25.0, &[2, 0], &[5.9375, 0.0], 8.0, 120.0);
        assert!((issuer.price_shares(&v) - 100.0 / 19.0).abs() < 1e-12);
        let broke = issuer_value(0.0, 0.0, &[], &[], 8.0, 10.0);
        assert_eq!(issuer.price_shares(&broke), 0.0);
        assert!(broke.leverage().is_infinite());
    }
}
