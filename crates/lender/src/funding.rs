//! Phase 4 for lenders: paying outside funding, runs, and the balance sheet.

use crate::components::{Lender, RepoDesk};
use crate::marking::per_generation;
use firesale_core::prelude::*;
use firesale_markets::{Exogenous, SecondaryMarket};

/// A lender's balance sheet at market marks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BalanceSheet {
    /// Cash, $.
    pub cash: f64,
    /// Its share of live loans' principal, $.
    pub loans: f64,
    /// Repossessed inventory at what it would fetch sold over the marking horizon into
    /// books like the standing one, capped
    /// per defaulted loan at what that loan still owes the lender (the rest would be the
    /// borrower's estate's), $.
    pub inventory: f64,
    /// Repo lent out (desks only), $.
    pub repo_assets: f64,
    /// Outside funding, $.
    pub funding: f64,
    /// Repo borrowed, $.
    pub repo_debt: f64,
}

impl BalanceSheet {
    /// Total assets.
    pub fn assets(&self) -> f64 {
        self.cash.max(0.0) + self.loans + self.inventory + self.repo_assets
    }

    /// Equity: assets less funding and repo debt.
    pub fn equity(&self) -> f64 {
        self.assets() - self.funding - self.repo_debt
    }

    /// Equity over assets (0 with no assets).
    pub fn capital_ratio(&self) -> f64 {
        let assets = self.assets();
        if assets > 0.0 {
            self.equity() / assets
        } else {
            0.0
        }
    }
}

/// Builds a lender's (or desk's) balance sheet.
#[allow(clippy::too_many_arguments)]
pub fn balance_sheet(
    id: AgentId,
    account: firesale_core::AccountId,
    funding: f64,
    ledger: &Ledger,
    book: &LoanBook,
    fleet: &Fleet,
    gens: &Generations,
    secondary: &SecondaryMarket,
    desks: &[&RepoDesk],
) -> BalanceSheet {
    let loans = book.exposure(id);
    let inventory = inventory_value(id, book, fleet, gens, secondary);
    let repo_debt = desks
        .iter()
        .flat_map(|d| d.positions.iter())
        .filter(|p| p.borrower == id)
        .map(|p| p.amount)
        .sum();
    BalanceSheet {
        cash: ledger.balance(account),
        loans,
        inventory,
        repo_assets: 0.0,
        funding,
        repo_debt,
    }
}

/// A lender's inventory marked to the standing book (the whole inventory of a
/// generation sold over the marking horizon), with the value of the lots from each defaulted loan capped
/// at the lender's share of what that loan still owes: value beyond it belongs to the
/// borrower's estate, never to the lender's equity.
pub fn inventory_value(
    id: AgentId,
    book: &LoanBook,
    fleet: &Fleet,
    gens: &Generations,
    secondary: &SecondaryMarket,
) -> f64 {
    let lots = fleet.owned_by(id);
    let counts = per_generation(gens, fleet, &lots);
    let gpus = f64::from(gens.gpus_per_lot);
    let per_lot: Vec<f64> = counts
        .iter()
        .enumerate()
        .map(|(g, &q)| secondary.depth_mark(g, q) * gpus)
        .collect();
    capped_by_loan(id, book, fleet, &lots, |lot| {
        per_lot[lot.generation.0 as usize]
    })
}

/// The value of a lender's `lots` at `value_of` each, the lots from each defaulted loan
/// capped at the lender's share of what that loan still owes (the rest is the estate's).
pub fn capped_by_loan(
    id: AgentId,
    book: &LoanBook,
    fleet: &Fleet,
    lots: &[LotId],
    value_of: impl Fn(&firesale_core::Lot) -> f64,
) -> f64 {
    let mut by_loan: std::collections::BTreeMap<Option<LoanId>, f64> = Default::default();
    for &lot in lots {
        let lot = fleet.get(lot);
        *by_loan.entry(lot.recovered_from()).or_default() += value_of(lot);
    }
    by_loan
        .into_iter()
        .map(|(loan, value)| match loan {
            Some(loan) => {
                let loan = book.get(loan);
                let share: f64 = loan
                    .lenders
                    .iter()
                    .filter(|(l, _)| *l == id)
                    .map(|(_, s)| s)
                    .sum();
                let owed = (loan.defaulted_principal - loan.recovered).max(0.0) * share;
                value.min(owed)
            }
            None => value,
        })
        .sum()
}

/// Phase 4: lenders earn the risk-free rate on idle cash (held in bills) and pay
/// interest on their outside funding. Funders of a lender whose
/// capital ratio is below its run threshold withdraw part of their money each tick;
/// what cannot be paid stays pending, and the lender must raise it (repo, or selling
/// inventory into the bids).
pub fn pay_lender_funding(
    clock: Res<Clock>,
    exo: Res<Exogenous>,
    mut ledger: ResMut<Ledger>,
    mut lenders: Query<(&Agent, &mut Lender)>,
) {
    let dt = clock.years_per_tick();
    for (agent, mut lender) in lenders
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        let bills = ledger.balance(agent.account).max(0.0) * exo.rate.max(0.0) * dt;
        ledger.transfer(
            External::Treasury.account(),
            agent.account,
            bills,
            "bill yield",
        );
        let interest = lender.funding * (exo.rate + lender.params.funding_spread).max(0.0) * dt;
        let paid = ledger.pay_up_to(
            agent.account,
            External::BondHolders.account(),
            interest,
            "funding interest",
        );
        // Interest it cannot pay is added to what it owes and demanded at once.
        let unpaid = interest - paid;
        if unpaid > 0.0 {
            lender.funding += unpaid;
            lender.pending_withdrawal += unpaid;
        }
        if lender.failed.is_some() {
            continue;
        }
        if lender.capital_ratio < lender.params.run_threshold {
            lender.pending_withdrawal += lender.funding * lender.params.withdrawal_rate;
        }
        let wanted = lender.pending_withdrawal.min(lender.funding);
        let paid = ledger.pay_up_to(
            agent.account,
            External::BondHolders.account(),
            wanted,
            "funding withdrawn",
        );
        lender.funding -= paid;
        lender.pending_withdrawal = (wanted - paid).max(0.0);
        if lender.pending_withdrawal > 0.01 {
            lender.pending_since.get_or_insert(clock.tick);
        } else {
            lender.pending_withdrawal = 0.0;
            lender.pending_since = None;
        }
        // Lenders draw funding when they lend (see `draw_funding`) and hand idle cash
        // beyond a liquidity buffer back: a lender whose book shrinks shrinks its funding.
        let buffer = lender.params.cash_buffer * lender.exposure;
        let idle = ledger.balance(agent.account) - buffer;
        if idle > 0.0 && lender.pending_withdrawal <= 0.0 {
            let repaid = (idle * lender.params.deleveraging_pace).min(lender.funding);
            ledger.transfer(
                agent.account,
                External::BondHolders.account(),
                repaid,
                "funding repaid",
            );
            lender.funding -= repaid;
        }
    }
}

/// Draws outside funding so that `account` holds `amount` (a delayed-draw facility):
/// how lenders fund new loans. Returns what was drawn.
pub fn draw_funding(
    ledger: &mut Ledger,
    lender: &mut Lender,
    account: firesale_core::AccountId,
    amount: f64,
) -> f64 {
    let draw = (amount - ledger.balance(account)).max(0.0);
    ledger.transfer(
        External::BondHolders.account(),
        account,
        draw,
        "funding drawn",
    );
    lender.funding += draw;
    draw
}
