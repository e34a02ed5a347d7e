//! Phase 4 for lenders: paying outside funding, runs, and the balance sheet.

use crate::components::{Lender, RepoDesk};
use crate::marking::reusing_runs;
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

/// Builds a lender's (or desk's) balance sheet, with its repossessed `inventory` valued
/// at the market ([`inventory_values`]).
pub fn balance_sheet(
    id: AgentId,
    account: firesale_core::AccountId,
    funding: f64,
    ledger: &Ledger,
    book: &LoanBook,
    desks: &[&RepoDesk],
    inventory: f64,
) -> BalanceSheet {
    let loans = book.exposure(id);
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

/// A lender's repossessed inventory valued two ways, $, each with the value of the lots
/// from each defaulted loan capped at the lender's share of what that loan still owes
/// (value beyond it belongs to the borrower's estate, never to the lender's equity).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct InventoryValues {
    /// Marked to the standing book: the whole inventory of a generation sold over the
    /// marking horizon (what its funders see).
    pub market: f64,
    /// At the lender's own marks, `own_mark` per lot (what its auditors accept).
    pub own: f64,
}

/// Values a lender's inventory at the market and at `own_mark`, reading its lots once:
/// both sums take the lots in id order, as valuing them one way at a time would.
pub fn inventory_values(
    id: AgentId,
    book: &LoanBook,
    fleet: &Fleet,
    gens: &Generations,
    secondary: &SecondaryMarket,
    own_mark: impl Fn(&firesale_core::Lot) -> f64,
) -> InventoryValues {
    let lots = fleet.owned_by(id);
    let held = fleet.held(id);
    let gpus = f64::from(gens.gpus_per_lot);
    let market_per_lot: Vec<f64> = (0..gens.list.len())
        .map(|g| {
            let lots = held.get(g).map_or(0, |counts| u64::from(counts.lots));
            secondary.depth_mark(g, lots) * gpus
        })
        .collect();
    let mut own_of = reusing_runs(own_mark);
    let [market, own] = capped_by_loan(id, book, fleet, &lots, |lot| {
        [market_per_lot[lot.generation.0 as usize], own_of(lot)]
    });
    InventoryValues { market, own }
}

/// The values of a lender's `lots` at `value_of` each (`N` ways at once), the lots from
/// each defaulted loan capped at the lender's share of what that loan still owes (the
/// rest is the estate's). Each way's value of a loan's lots adds them in the order of
/// `lots`, and the capped values are added in loan order (lots not from a loan first).
pub fn capped_by_loan<'a, const N: usize>(
    id: AgentId,
    book: &LoanBook,
    fleet: &'a Fleet,
    lots: &[LotId],
    mut value_of: impl FnMut(&'a firesale_core::Lot) -> [f64; N],
) -> [f64; N] {
    // Sums by loan in the order first seen, found by the loan of the lot before (lots
    // of a loan come in runs) or else by an index.
    let mut sums: Vec<(Option<LoanId>, [f64; N])> = Vec::new();
    let mut index: std::collections::BTreeMap<Option<LoanId>, usize> = Default::default();
    let mut last = usize::MAX;
    for &lot in lots {
        let lot = fleet.get(lot);
        let loan = lot.recovered_from();
        if sums.get(last).is_none_or(|(seen, _)| *seen != loan) {
            last = *index.entry(loan).or_insert_with(|| {
                sums.push((loan, [0.0; N]));
                sums.len() - 1
            });
        }
        for (sum, value) in sums[last].1.iter_mut().zip(value_of(lot)) {
            *sum += value;
        }
    }
    sums.sort_unstable_by_key(|&(loan, _)| loan);
    // What each defaulted loan still owes the lender.
    let caps: Vec<Option<f64>> = sums
        .iter()
        .map(|&(loan, _)| {
            loan.map(|loan| {
                let loan = book.get(loan);
                let share: f64 = loan
                    .lenders
                    .iter()
                    .filter(|(l, _)| *l == id)
                    .map(|(_, s)| s)
                    .sum();
                (loan.defaulted_principal - loan.recovered).max(0.0) * share
            })
        })
        .collect();
    std::array::from_fn(|way| {
        sums.iter()
            .zip(&caps)
            .map(|((_, values), cap)| cap.map_or(values[way], |owed| values[way].min(owed)))
            .sum()
    })
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

#[cfg(test)]
mod tests {
    use super::capped_by_loan;
    use firesale_core::prelude::*;
    use firesale_core::{Covenants, Loan, LoanStatus};

    /// A defaulted loan from lender 1 (share `share`) that still owes `owed`.
    fn defaulted(book: &mut LoanBook, share: f64, owed: f64) -> LoanId {
        let covenants = Covenants {
            max_ltv: 0.8,
            min_dscr: 1.2,
            cure_ticks: 4,
        };
        let mut loan = Loan::new(
            AgentId(9),
            vec![(AgentId(1), share), (AgentId(2), 1.0 - share)],
            owed,
            0.05,
            0.0,
            0,
            52,
            covenants,
        );
        loan.status = LoanStatus::Resolved;
        loan.defaulted_principal = owed;
        book.add(loan)
    }

    #[test]
    fn lots_are_capped_by_what_their_loan_owes_each_way_alike() {
        let mut book = LoanBook::default();
        let a = defaulted(&mut book, 0.5, 100.0); // owes lender 1: 50
        let b = defaulted(&mut book, 1.0, 1_000.0); // owes lender 1: 1,000
        let mut fleet = Fleet::default();
        // Lots of the two loans interleaved, and two bought outright, so that the
        // sums cannot rely on runs.
        let from = [Some(b), Some(a), None, Some(b), Some(a), Some(a), None];
        let lots: Vec<LotId> = from
            .iter()
            .enumerate()
            .map(|(i, &loan)| {
                // Built at tick i: the value below tells the lots apart by age.
                let lot = fleet.create(GenId(0), AgentId(1), i as i32);
                if let Some(loan) = loan {
                    fleet.set_recovered_from(lot, loan);
                }
                lot
            })
            .collect();
        // The i-th lot is worth 10 (i + 1) one way and twice that the other.
        let value = |lot: &firesale_core::Lot| {
            let v = 10.0 * f64::from(100 - lot.age_ticks(100) + 1);
            [v, 2.0 * v]
        };
        let [first, second] = capped_by_loan(AgentId(1), &book, &fleet, &lots, value);
        // Loan a's lots: 20 + 50 + 60 = 130, capped at 50 (the second way: 260 → 50).
        // Loan b's: 10 + 40 = 50 under its 1,000 (100). Outright: 30 + 70 = 100 (200).
        assert_eq!(first, 50.0 + 50.0 + 100.0);
        assert_eq!(second, 50.0 + 100.0 + 200.0);
        // One way at a time gives the same sums.
        let [only_first] = capped_by_loan(AgentId(1), &book, &fleet, &lots, |lot| [value(lot)[0]]);
        assert_eq!(only_first.to_bits(), first.to_bits());
        let nothing: [f64; 2] = capped_by_loan(AgentId(1), &book, &fleet, &[], value);
        assert_eq!(nothing, [0.0, 0.0]);
    }
}
