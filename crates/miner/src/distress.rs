//! Phase 7 and the auction's aftermath for operators: meeting calls and arrears, or filing.
//!
//! The order an operator raises cash in is the order MODEL.md gives: spare cash, then
//! BTC (posted against LTV calls, sold for everything else), then lots in the auction.
//! It files for bankruptcy only when a deadline has passed with the money still short.

use crate::components::{Bitcoin, Operator, OperatorStatus, TermLeases};
use crate::costs::pay_lenders;
use firesale_core::prelude::*;
use firesale_core::{CallReason, LoanStatus, Note, NoteBook, NoteId, NoteStatus};
use firesale_markets::{
    ComputeMarket, Exogenous, LeasedShare, SaleMotive, SecondaryMarket, hold_value,
};

/// A bankrupt operator's unpledged lots are sold by its trustee, who must get the most
/// for the estate (a court-approved sale, not a dump): every lot is offered at its hold
/// value, the market's non-distressed reference (else its best bid) less the wear and the
/// estate's carry at the risk-free rate over an orderly sale, so it sells whatever bids
/// beat holding and keeps the rest for a later week.
fn list_for_the_estate(
    agent: &Agent,
    op: &Operator,
    clock: &Clock,
    gens: &Generations,
    exo: &Exogenous,
    fleet: &mut Fleet,
    secondary: &mut SecondaryMarket,
) {
    let years_per_tick = clock.years_per_tick();
    let horizon = f64::from(op.params.trustee_sale_ticks) * years_per_tick;
    for lot in fleet.owned_by(agent.id) {
        let (generation, age) = {
            let l = fleet.get(lot);
            (
                l.generation,
                f64::from(l.age_ticks(clock.tick)) * years_per_tick,
            )
        };
        let market = &secondary.generations[generation.0 as usize];
        let reference = market
            .reference_price
            .or_else(|| market.bid_book().first().map(|(limit, _)| *limit))
            .unwrap_or(0.0);
        let remaining = gens.get(generation).max_age_years - age;
        let reserve = hold_value(reference, horizon, remaining, exo.rate);
        secondary.list(fleet, agent.id, lot, reserve, SaleMotive::BorrowerDistress);
    }
}

/// Phase 7: pay bills, arrears and calls from cash, BTC and lot sales; file when a
/// deadline has passed unmet.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn respond_to_calls(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    market: Res<ComputeMarket>,
    directory: Res<Directory>,
    mut ledger: ResMut<Ledger>,
    mut book: ResMut<LoanBook>,
    mut notes: ResMut<NoteBook>,
    mut fleet: ResMut<Fleet>,
    mut secondary: ResMut<SecondaryMarket>,
    mut log: ResMut<EventLog>,
    mut metrics: ResMut<Metrics>,
    mut operators: Query<(
        &Agent,
        &mut Operator,
        Option<&mut Bitcoin>,
        &mut TermLeases,
        &mut LeasedShare,
        &PowerContract,
    )>,
) {
    for (agent, mut op, mut btc, mut leases, mut leased, power) in operators
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        if !op.is_active() {
            list_for_the_estate(agent, &op, &clock, &gens, &exo, &mut fleet, &mut secondary);
            continue;
        }
        let account = agent.account;
        let paid = ledger.pay_up_to(
            account,
            External::Utilities.account(),
            op.unpaid_bills,
            "power arrears",
        );
        op.unpaid_bills -= paid;
        let loans = book.live_of(agent.id);
        // Arrears, then calls in deadline order, from cash.
        for &id in &loans {
            let loan = book.get_mut(id);
            let paid = pay_lenders(
                &mut ledger,
                &directory,
                account,
                loan,
                loan.arrears,
                "arrears",
            );
            loan.arrears -= paid;
            if loan.arrears <= 0.01 {
                loan.arrears = 0.0;
                loan.arrears_since = None;
            }
        }
        let mut called: Vec<_> = loans
            .iter()
            .filter_map(|&id| match book.get(id).status {
                LoanStatus::Called {
                    deadline, reason, ..
                } => Some((deadline, id, reason)),
                _ => None,
            })
            .collect();
        called.sort_by_key(|(deadline, id, _)| (*deadline, *id));
        for &(_, id, reason) in &called {
            let loan = book.get_mut(id);
            let LoanStatus::Called {
                amount, deadline, ..
            } = loan.status
            else {
                continue;
            };
            let mut amount = amount;
            // Post BTC against an LTV call: each posted dollar lifts allowed debt by the LTV.
            if reason == CallReason::Ltv
                && let Some(btc) = btc.as_deref_mut()
            {
                let wanted = amount / loan.covenants.max_ltv / exo.btc_price;
                let posted = wanted.min(btc.treasury);
                btc.treasury -= posted;
                loan.btc_collateral += posted;
                amount -= posted * exo.btc_price * loan.covenants.max_ltv;
            }
            let paid = pay_lenders(
                &mut ledger,
                &directory,
                account,
                loan,
                amount.max(0.0),
                "call paydown",
            );
            loan.principal -= paid.min(loan.principal);
            amount -= paid;
            if amount <= 0.01 {
                loan.status = LoanStatus::Performing;
                log.push(
                    &clock,
                    EventKind::MarginCallMet,
                    vec![agent.name.clone()],
                    paid,
                    0,
                    None,
                    String::new(),
                );
            } else {
                loan.status = LoanStatus::Called {
                    amount,
                    deadline,
                    reason,
                };
            }
        }
        // Notes in arrears since an earlier tick (a coupon missed, a rollover failed):
        // junior to the secured loans, so paid from cash only once the operator knows it
        // is not filing this tick (below).
        let late_notes: Vec<NoteId> = notes
            .live_of(agent.id)
            .into_iter()
            .filter(|&id| notes.get(id).arrears_since.is_some_and(|t| t < clock.tick))
            .collect();
        let owed_notes: f64 = late_notes.iter().map(|&id| notes.get(id).arrears()).sum();
        // What is still owed now or soon.
        let owed_bills = op.unpaid_bills + owed_notes;
        let owed_loans = book.owed_now(agent.id);
        let mut shortfall = owed_bills + owed_loans;
        if shortfall > 0.0
            && let Some(btc) = btc.as_deref_mut()
        {
            let sold = (shortfall / exo.btc_price).min(btc.treasury);
            btc.treasury -= sold;
            ledger.transfer(
                External::BtcMarket.account(),
                account,
                sold * exo.btc_price,
                "BTC sold",
            );
            shortfall -= sold * exo.btc_price;
        }
        let overdue = shortfall > 0.0
            && (op.unpaid_since
            .is_some_and(|t| clock.tick > t + op.params.bill_grace_ticks)
            || late_notes.iter().any(|&id| notes.get(id).is_live() && notes.get(id).grace_passed(clock.tick))
            || loans.iter().any(|&id| {
                let loan = book.get(id);
                let late_arrears = loan
                    .arrears_since
                    .is_some_and(|t| clock.tick > t + loan.covenants.cure_ticks);
                let late_call = matches!(loan.status, LoanStatus::Called { deadline, .. } if clock.tick > deadline);
                late_arrears || late_call
            }));
        if overdue {
            file_for_bankruptcy(
                &clock,
                &directory,
                agent,
                &mut op,
                btc.as_deref_mut(),
                &exo,
                &mut ledger,
                &mut book,
                &mut fleet,
                &mut log,
                &mut metrics,
            );
            notes.default_all(agent.id, clock.tick);
            leases.leases.clear();
            leased.0 = 0.0;
            continue;
        }
        pay_late_notes(&mut ledger, &directory, account, &mut notes, &late_notes);
        if shortfall <= 0.0 {
            continue;
        }
        // Sell lots: the cash left after this tick's auction pays next tick.
        let urgent = called
            .iter()
            .any(|(deadline, ..)| *deadline <= clock.tick + 1)
            || op.unpaid_since.is_some()
            || !late_notes.is_empty();
        list_lots_for_cash(
            agent,
            &op,
            power.per_kwh(1.0),
            shortfall,
            urgent,
            &called,
            &clock,
            &gens,
            &market,
            &mut fleet,
            &mut secondary,
        );
    }
}

/// Lists enough lots to raise `shortfall`: unpledged lots first, then lots pledged to
/// called loans, at a reserve that falls as the deadline nears.
#[allow(clippy::too_many_arguments)]
fn list_lots_for_cash(
    agent: &Agent,
    op: &Operator,
    usd_per_kwh: f64,
    shortfall: f64,
    urgent: bool,
    called: &[(u32, LoanId, CallReason)],
    clock: &Clock,
    gens: &Generations,
    market: &ComputeMarket,
    fleet: &mut Fleet,
    secondary: &mut SecondaryMarket,
) {
    let gpus = f64::from(gens.gpus_per_lot);
    let value_of = |g: GenId| -> f64 {
        let economics = firesale_core::GpuEconomics {
            cost_per_gpu_hour: market.unit_hour_cost(gens.get(g), usd_per_kwh),
            utilisation: market.expected_utilisation(gens, g, 0.0),
            rate: op.params.hurdle_rate,
            hours_per_tick: clock.hours_per_tick(),
            years_per_tick: clock.years_per_tick(),
        };
        op.value_per_gpu(
            g,
            &economics,
            op.params.distress_valuation_years,
            &market.roadmap,
        )
    };
    let mut candidates: Vec<LotId> = fleet
        .owned_by(agent.id)
        .into_iter()
        .filter(|&l| fleet.get(l).pledged_to().is_none() && !fleet.get(l).listed())
        .collect();
    for (_, loan, _) in called {
        candidates.extend(
            fleet
                .pledged_to(*loan)
                .into_iter()
                .filter(|&l| !fleet.get(l).listed()),
        );
    }
    let mut raised = 0.0;
    for lot in candidates {
        if raised >= shortfall {
            break;
        }
        let g = fleet.get(lot).generation;
        let value = value_of(g);
        // What it counts on the lot fetching, to know how many to offer.
        let expected = secondary
            .last_price(g)
            .unwrap_or(value)
            .max(value * op.params.expected_price_floor);
        let reserve = op
            .params
            .rules
            .distress
            .reserve_per_unit(&crate::rules::DistressView {
                operator: op,
                value_per_unit: value,
                last_price: secondary.last_price(g),
                urgent,
            });
        secondary.list(fleet, agent.id, lot, reserve, SaleMotive::BorrowerDistress);
        raised += expected * gpus;
    }
}

/// Bankruptcy: BTC is sold, cash goes to the lenders, unpledged lots are pledged to the
/// loans pro rata, and every loan is in default for the lenders to resolve.
#[allow(clippy::too_many_arguments)]
fn file_for_bankruptcy(
    clock: &Clock,
    directory: &Directory,
    agent: &Agent,
    op: &mut Operator,
    btc: Option<&mut Bitcoin>,
    exo: &Exogenous,
    ledger: &mut Ledger,
    book: &mut LoanBook,
    fleet: &mut Fleet,
    log: &mut EventLog,
    metrics: &mut Metrics,
) {
    op.status = OperatorStatus::Defaulted(clock.tick);
    if btc.is_some() {
        metrics.miner_defaults_cum += 1;
    }
    let at_maturity = book.live_of(agent.id).iter().any(|&id| {
        matches!(
            book.get(id).status,
            LoanStatus::Called {
                reason: CallReason::Maturity,
                ..
            }
        )
    });
    if at_maturity {
        metrics.maturity_defaults_cum += 1;
    }
    if let Some(btc) = btc {
        let proceeds = btc.treasury * exo.btc_price;
        btc.treasury = 0.0;
        btc.hashrate_ph = 0.0;
        ledger.transfer(
            External::BtcMarket.account(),
            agent.account,
            proceeds,
            "BTC sold in bankruptcy",
        );
    }
    let loans = book.live_of(agent.id);
    let total: f64 = loans.iter().map(|&id| book.get(id).principal).sum();
    for &id in &loans {
        let loan = book.get_mut(id);
        loan.status = LoanStatus::Defaulted { tick: clock.tick };
        loan.defaulted_principal = loan.principal + loan.arrears;
        let posted = loan.btc_collateral * exo.btc_price;
        loan.btc_collateral = 0.0;
        ledger.transfer(
            External::BtcMarket.account(),
            agent.account,
            posted,
            "posted BTC sold",
        );
        let paid = pay_lenders(
            ledger,
            directory,
            agent.account,
            loan,
            posted.min(loan.defaulted_principal),
            "posted BTC recovery",
        );
        loan.recovered += paid;
    }
    let cash = ledger.balance(agent.account).max(0.0);
    for &id in &loans {
        let loan = book.get_mut(id);
        let share = if total > 0.0 {
            loan.principal / total
        } else {
            0.0
        };
        let paid = pay_lenders(
            ledger,
            directory,
            agent.account,
            loan,
            (cash * share).min(loan.defaulted_principal - loan.recovered),
            "estate cash",
        );
        loan.recovered += paid;
    }
    // Unpledged lots go to the loans in turn, largest first.
    let mut by_size = loans.clone();
    by_size.sort_by(|a, b| {
        book.get(*b)
            .principal
            .total_cmp(&book.get(*a).principal)
            .then(a.cmp(b))
    });
    let free: Vec<LotId> = fleet
        .owned_by(agent.id)
        .into_iter()
        .filter(|&l| fleet.get(l).pledged_to().is_none())
        .collect();
    if !by_size.is_empty() {
        for (i, lot) in free.into_iter().enumerate() {
            fleet.pledge(lot, Some(by_size[i % by_size.len()]));
        }
    }
    for lot in fleet.owned_by(agent.id) {
        fleet.set_state(lot, LotState::Stored);
    }
    let defaulted: f64 = loans
        .iter()
        .map(|&id| book.get(id).defaulted_principal)
        .sum();
    metrics.defaults += 1;
    metrics.defaults_cum += 1;
    metrics.defaulted_debt_cum += defaulted;
    let mut names = vec![agent.name.clone()];
    for &id in &loans {
        for (lender, _) in &book.get(id).lenders {
            let name = directory.name(*lender).to_string();
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    log.push(
        clock,
        EventKind::Default,
        names,
        defaulted,
        fleet.count_owned(agent.id) as u32,
        None,
        format!("{} loans in default", loans.len()),
    );
}

/// After the auction: proceeds of sold pledged lots pay down the loan they secured.
pub fn apply_sale_proceeds(
    secondary: Res<SecondaryMarket>,
    directory: Res<Directory>,
    mut ledger: ResMut<Ledger>,
    mut book: ResMut<LoanBook>,
    mut fleet: ResMut<Fleet>,
) {
    for sale in &secondary.sales {
        let Some(id) = fleet.get(sale.lot).pledged_to() else {
            continue;
        };
        fleet.pledge(sale.lot, None);
        let loan = book.get_mut(id);
        if loan.borrower != sale.seller {
            continue;
        }
        let owed = match loan.status {
            LoanStatus::Defaulted { .. } | LoanStatus::Resolved => {
                (loan.defaulted_principal - loan.recovered).max(0.0)
            }
            _ => loan.principal + loan.arrears,
        };
        let seller = directory.account(sale.seller);
        let paid = pay_lenders(
            &mut ledger,
            &directory,
            seller,
            loan,
            sale.price_per_lot.min(owed),
            "pledged lot sold",
        );
        let to_arrears = paid.min(loan.arrears);
        loan.arrears -= to_arrears;
        loan.principal = (loan.principal - (paid - to_arrears)).max(0.0);
        match loan.status {
            LoanStatus::Called {
                amount,
                deadline,
                reason,
            } => {
                let amount = amount - paid;
                loan.status = if amount <= 0.01 {
                    LoanStatus::Performing
                } else {
                    LoanStatus::Called {
                        amount,
                        deadline,
                        reason,
                    }
                };
            }
            LoanStatus::Defaulted { .. } | LoanStatus::Resolved => loan.recovered += paid,
            _ => {}
        }
        if loan.principal <= 0.01 && loan.is_live() {
            loan.status = LoanStatus::Repaid;
        }
    }
}

/// Pays the arrears of late notes from cash, coupons before principal, note by note.
fn pay_late_notes(
    ledger: &mut Ledger,
    directory: &Directory,
    account: firesale_core::AccountId,
    notes: &mut NoteBook,
    late: &[NoteId],
) {
    for &id in late {
        let note = notes.get_mut(id);
        let due = note.arrears();
        let paid = pay_holders(ledger, directory, account, note, due, "note arrears");
        let to_coupons = paid.min(note.coupon_arrears);
        note.coupon_arrears -= to_coupons;
        note.principal_due -= paid - to_coupons;
        note.principal -= (paid - to_coupons).min(note.principal);
        if note.principal <= 0.01 {
            note.status = NoteStatus::Repaid;
        }
        if note.arrears() <= 0.01 {
            note.coupon_arrears = 0.0;
            note.principal_due = 0.0;
            note.arrears_since = None;
        }
    }
}

/// Pays up to `amount` from `from` to a note's holders by their shares; returns what was paid.
pub fn pay_holders(
    ledger: &mut Ledger,
    directory: &Directory,
    from: firesale_core::AccountId,
    note: &Note,
    amount: f64,
    memo: &'static str,
) -> f64 {
    ledger.pay_shares_up_to(directory, from, &note.holders, amount, memo)
}
