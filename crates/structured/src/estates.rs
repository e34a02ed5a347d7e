//! After the auction: a bankrupt operator's estate pays its claims by absolute priority.
//!
//! Secured lenders come first: at filing they take the estate's cash and every lot, and
//! the proceeds of their collateral up to what they are owed; a loan whose collateral
//! sold for more returns the surplus to the estate. Whatever cash the estate holds pays,
//! in this order: the secured loans still short (their deficiency ranks ahead of the
//! notes here, pro rata), then the noteholders (pro rata to what each note still
//! claims). Once the estate holds no lot and expects no surplus it is wound up: what the
//! notes did not recover is written off, and anything left is the shareholders'.

use crate::market::{BondMarket, CapitalMetrics, pay_holders};
use firesale_core::LoanId;
use firesale_core::prelude::*;
use firesale_core::{LoanStatus, NoteBook, NoteId, NoteStatus};
use firesale_miner::{Operator, pay_lenders};
use std::collections::{BTreeMap, BTreeSet};

/// Phase 9, after the lenders book their recoveries: report new note defaults, pay
/// noteholders from estates, wind up estates with nothing left to come.
#[allow(clippy::too_many_arguments)]
pub fn distribute_estates(
    clock: Res<Clock>,
    directory: Res<Directory>,
    mut loans: ResMut<LoanBook>,
    fleet: Res<Fleet>,
    mut ledger: ResMut<Ledger>,
    mut notes: ResMut<NoteBook>,
    mut market: ResMut<BondMarket>,
    mut capital: ResMut<CapitalMetrics>,
    mut log: ResMut<EventLog>,
    operators: Query<(&Agent, &Operator)>,
) {
    // New defaults, one event per issuer.
    let mut new: BTreeMap<AgentId, Vec<usize>> = BTreeMap::new();
    for (i, note) in notes.all().iter().enumerate() {
        if note.status == (NoteStatus::Defaulted { tick: clock.tick }) {
            new.entry(note.issuer).or_default().push(i);
        }
    }
    for (issuer, list) in &new {
        let claim: f64 = list.iter().map(|&i| notes.all()[i].claim).sum();
        let mut names = vec![directory.name(*issuer).to_string()];
        for &i in list {
            for (holder, _) in &notes.all()[i].holders {
                let name = directory.name(*holder).to_string();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        capital.bond_defaults_cum += list.len() as u32;
        capital.bond_issuer_defaults_cum += 1;
        capital.bond_claims_cum += claim;
        market.recent_defaults.push_back(clock.tick);
        log.push(
            &clock,
            EventKind::BondDefault,
            names,
            claim,
            0,
            None,
            format!("{} notes in default", list.len()),
        );
    }
    let bankrupt: Vec<&Agent> = {
        let mut v: Vec<&Agent> = operators
            .iter()
            .filter(|(_, op)| !op.is_active())
            .map(|(a, _)| a)
            .collect();
        v.sort_by_key(|a| a.id);
        v
    };
    if bankrupt.is_empty() {
        return;
    }
    // Borrowers whose repossessed lots are still for sale: a surplus may yet come back.
    let pending: BTreeSet<AgentId> = fleet
        .recovering_loans()
        .map(|loan| loans.get(loan).borrower)
        .collect();
    for agent in bankrupt {
        // The loans' deficiency first, pro rata to what each is short.
        let short: Vec<(LoanId, f64)> = loans
            .of_borrower(agent.id)
            .filter(|l| {
                matches!(
                    l.status,
                    LoanStatus::Defaulted { .. } | LoanStatus::Resolved
                )
            })
            .map(|l| (l.id, l.defaulted_principal - l.recovered))
            .filter(|(_, owed)| *owed > 0.01)
            .collect();
        let secured_open: f64 = short.iter().map(|(_, owed)| owed).sum();
        let cash = ledger.balance(agent.account);
        if cash > 0.01 && secured_open > 0.0 {
            let pay = cash.min(secured_open);
            for &(id, owed) in &short {
                let loan = loans.get_mut(id);
                let paid = pay_lenders(
                    &mut ledger,
                    &directory,
                    agent.account,
                    loan,
                    pay * owed / secured_open,
                    "estate to secured lenders",
                );
                loan.recovered += paid;
            }
        }
        let still_to_sell = fleet.count_owned(agent.id) > 0 || pending.contains(&agent.id);
        let defaulted: Vec<NoteId> = notes
            .of_issuer(agent.id)
            .iter()
            .copied()
            .filter(|&id| matches!(notes.get(id).status, NoteStatus::Defaulted { .. }))
            .collect();
        let available = ledger.balance(agent.account);
        let open: f64 = defaulted
            .iter()
            .map(|&id| (notes.get(id).claim - notes.get(id).recovered).max(0.0))
            .sum();
        if available > 0.01 && open > 0.0 {
            let pay = available.min(open);
            for &id in &defaulted {
                let note = notes.get(id);
                let share = (note.claim - note.recovered).max(0.0) / open;
                let paid = pay_holders(
                    &mut ledger,
                    &directory,
                    agent.account,
                    note,
                    pay * share,
                    "estate to noteholders",
                );
                notes.get_mut(id).recovered += paid;
                capital.bond_recovered_cum += paid;
            }
        }
        if !still_to_sell {
            for &id in &defaulted {
                notes.get_mut(id).status = NoteStatus::WrittenOff;
            }
            let residual = ledger.balance(agent.account).max(0.0);
            ledger.transfer(
                agent.account,
                External::Shareholders.account(),
                residual,
                "estate residual to shareholders",
            );
        }
    }
}
