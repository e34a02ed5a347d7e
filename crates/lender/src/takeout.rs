//! Phase 6 for repo desks: repo for every holder of lots, not only lenders.
//!
//! A borrower under a margin call has two ways to raise the cash short of selling lots
//! into a falling market: a desk may *take out* the called loan (it pays the lender off
//! and holds the same lots as repo collateral, at its own haircut and mark), or lend
//! against lots the borrower owns unpledged. Either is cheaper than a distressed sale
//! for the borrower whenever the desk's advance is larger than what the lots would
//! fetch sold in a hurry, which is what a desk marking at model value with a fixed
//! haircut (a backstop) is for. Both happen right after the lenders mark and call, so
//! the borrower answers what is left of its call (phase 7) with the repo cash in hand
//! and lists no lot it did not need to.
//!
//! A desk's loan is an ordinary loan in the book (its servicing, arrears, default and
//! repossession are the borrower's and the book's), with the desk as its only lender:
//! no lender's covenant rule marks it (it has no `Lender`), so the desk re-margins it
//! here every week instead: when what the desk would lend on the lots today falls below
//! the principal, it calls the difference, on the borrower's own cure period; a loan
//! about to fall due that the lots still cover is rolled for the desk's term. A desk
//! that lends on term never calls on price. Repossessed repo collateral is the desk's to
//! sell (`sell_repo_collateral`).

use crate::components::RepoDesk;
use crate::rules::HaircutView;
use firesale_core::prelude::*;
use firesale_core::{CallReason, Covenants, Loan, LoanId, LoanStatus};
use firesale_markets::{ComputeMarket, SaleMotive, SecondaryMarket};
use std::collections::BTreeMap;

/// What a desk lends on one lot of each generation today, $ a lot: its rule's mark less
/// its haircut, for a position of `lots[g]` lots.
fn advance_per_lot(
    desk: &RepoDesk,
    secondary: &SecondaryMarket,
    compute: &ComputeMarket,
    clock: &Clock,
    gens: &Generations,
    g: usize,
    lots: u64,
) -> f64 {
    let view = HaircutView {
        market: &secondary.generations[g],
        model_value: compute.model_value[g],
        position_lots: lots,
        tick: clock.tick,
        years_per_tick: clock.years_per_tick(),
    };
    let haircut = crate::repo::bounded_haircut(&*desk.rule, &view);
    let mark = desk.rule.mark_per_unit(&view);
    if !mark.is_finite() {
        return 0.0;
    }
    (1.0 - haircut) * mark.max(0.0) * f64::from(gens.gpus_per_lot)
}

/// What a desk lends on `lots` together, $.
fn advance_on(
    desk: &RepoDesk,
    secondary: &SecondaryMarket,
    compute: &ComputeMarket,
    clock: &Clock,
    gens: &Generations,
    fleet: &Fleet,
    lots: &[LotId],
) -> f64 {
    let mut per_gen = vec![0u64; gens.list.len()];
    for &lot in lots {
        per_gen[fleet.get(lot).generation.0 as usize] += 1;
    }
    per_gen
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(g, &n)| advance_per_lot(desk, secondary, compute, clock, gens, g, n) * n as f64)
        .sum()
}

/// A desk's new loan to `borrower` of `amount` on `lots`: bullet, at the desk's spread,
/// due when the loan it replaces was (or in `tenor` ticks), called when its principal
/// exceeds what the desk lends on the lots (`max_ltv` 1 on the desk's own advance), on
/// the borrower's cure period.
fn repo_loan(
    desk: AgentId,
    spread: f64,
    borrower: AgentId,
    amount: f64,
    clock: &Clock,
    maturity_tick: u32,
    cure_ticks: u32,
) -> Loan {
    Loan::new(
        borrower,
        vec![(desk, 1.0)],
        amount,
        spread,
        0.0,
        clock.tick,
        maturity_tick.max(clock.tick + 1),
        Covenants {
            max_ltv: 1.0,
            min_dscr: 0.0,
            cure_ticks,
        },
    )
}

/// Phase 6, after the lenders' marks: desks re-margin (and roll) their own loans, then
/// take out called loans or lend against a called borrower's unpledged lots, called
/// loan by called loan in id order; desks in id order, each within the cash it holds.
#[allow(clippy::too_many_arguments)]
pub fn repo_for_borrowers(
    clock: Res<Clock>,
    gens: Res<Generations>,
    secondary: Res<SecondaryMarket>,
    compute: Res<ComputeMarket>,
    directory: Res<Directory>,
    mut fleet: ResMut<Fleet>,
    mut book: ResMut<LoanBook>,
    mut ledger: ResMut<Ledger>,
    mut log: ResMut<EventLog>,
    mut metrics: ResMut<Metrics>,
    desks: Query<(&Agent, &RepoDesk)>,
) {
    let mut desk_list: Vec<(&Agent, &RepoDesk)> = desks.iter().collect();
    if desk_list.is_empty() {
        return;
    }
    desk_list.sort_by_key(|(agent, _)| agent.id);
    let is_desk = |id: AgentId| directory.agent(id).kind == AgentKind::RepoDesk;
    // Re-margin: a desk that marks to market calls what its lots no longer support; a
    // loan about to fall due that its lots still cover is rolled for the desk's term.
    for (agent, desk) in &desk_list {
        let ids: Vec<LoanId> = book
            .of_lender(agent.id)
            .filter(|l| l.status == LoanStatus::Performing)
            .map(|l| l.id)
            .collect();
        for id in ids {
            let lots = fleet.pledged(id);
            let allowed = advance_on(desk, &secondary, &compute, &clock, &gens, &fleet, lots);
            let loan = book.get_mut(id);
            let covered = desk.rule.on_term() || loan.principal <= allowed + 0.01;
            if covered {
                if loan.maturity_tick <= clock.tick + 1 {
                    loan.maturity_tick = clock.tick + desk.tenor_ticks.max(1);
                }
                continue;
            }
            let amount = loan.principal - allowed;
            loan.status = LoanStatus::Called {
                amount,
                deadline: clock.tick + loan.covenants.cure_ticks,
                reason: CallReason::Ltv,
            };
            log.push(
                &clock,
                EventKind::MarginCall,
                vec![
                    agent.name.clone(),
                    directory.name(loan.borrower).to_string(),
                ],
                amount,
                lots.len() as u32,
                None,
                "repo re-margined".into(),
            );
        }
    }
    // Loans of lenders (not desks) called on their covenants, in id order. A loan called
    // at maturity (the refinancing wall) is left to the lenders' refinancing: a desk's
    // loan would fall due with it.
    let called: Vec<LoanId> = book
        .all()
        .iter()
        .filter(|l| {
            matches!(
                l.status,
                LoanStatus::Called {
                    reason: CallReason::Ltv | CallReason::Dscr,
                    ..
                }
            ) && !is_desk(l.lenders[0].0)
        })
        .map(|l| l.id)
        .collect();
    // Each called borrower's unpledged, unlisted lots, looked up once a tick (a planet
    // operator owns thousands of lots, and several of its loans may be called).
    let mut free_of: BTreeMap<AgentId, Vec<LotId>> = BTreeMap::new();
    let ctx = Ctx {
        clock: &clock,
        gens: &gens,
        secondary: &secondary,
        compute: &compute,
        directory: &directory,
    };
    for id in called {
        let lots: Vec<LotId> = fleet.pledged(id).to_vec();
        for (desk_agent, desk) in &desk_list {
            let LoanStatus::Called { amount: call, .. } = book.get(id).status else {
                break;
            };
            let loan = book.get(id);
            let borrower = loan.borrower;
            let account = directory.account(borrower);
            let owed = loan.principal + loan.arrears;
            let desk_cash = ledger.balance(desk_agent.account).max(0.0);
            let advance = advance_on(desk, &secondary, &compute, &clock, &gens, &fleet, &lots);
            // Take-out: the desk lends what it will on the lots; the borrower pays the
            // rest of the loan now, if that is no more than the call asked for and it
            // has the cash. Then no lot need be sold.
            let lent = advance.min(owed);
            let top_up = owed - lent;
            if !lots.is_empty()
                && lent > 0.0
                && lent <= desk_cash
                && top_up <= call + loan.arrears
                && top_up <= ledger.balance(account).max(0.0)
            {
                let (maturity, cure) = (loan.maturity_tick, loan.covenants.cure_ticks);
                let repo = repo_loan(
                    desk_agent.id,
                    desk.spread,
                    borrower,
                    lent,
                    &clock,
                    maturity,
                    cure,
                );
                ledger.transfer(desk_agent.account, account, lent, "repo take-out");
                let loan = book.get(id);
                let paid = ledger.pay_shares_up_to(
                    &directory,
                    account,
                    &loan.lenders,
                    owed,
                    "loan taken out by repo",
                );
                debug_assert!((paid - owed).abs() < 1e-6 * owed.max(1.0));
                let loan = book.get_mut(id);
                loan.principal = 0.0;
                loan.arrears = 0.0;
                loan.arrears_since = None;
                loan.status = LoanStatus::Repaid;
                let old_lender = loan.lenders[0].0;
                let new = book.add(repo);
                for &lot in &lots {
                    fleet.pledge(lot, Some(new));
                }
                metrics.repo_borrower_funded_cum += lent;
                metrics.repo_takeouts_cum += 1;
                log.push(
                    &clock,
                    EventKind::RepoTakeOut,
                    vec![
                        desk_agent.name.clone(),
                        directory.name(borrower).to_string(),
                        directory.name(old_lender).to_string(),
                    ],
                    lent,
                    lots.len() as u32,
                    None,
                    format!("loan {} taken out, borrower paid {top_up:.0}", id.0),
                );
                break;
            }
            // Otherwise the desk lends against the borrower's unpledged, unlisted lots
            // what it needs to meet the call beyond its cash.
            let need = call + loan.arrears - ledger.balance(account).max(0.0);
            if need <= 0.0 {
                break;
            }
            let (maturity, cure) = (loan.maturity_tick, loan.covenants.cure_ticks);
            let mut books = Books {
                fleet: &mut fleet,
                book: &mut book,
                ledger: &mut ledger,
                log: &mut log,
                metrics: &mut metrics,
                free_of: &mut free_of,
            };
            books.lend_on_free_lots(
                &ctx,
                (desk_agent, desk),
                borrower,
                need,
                (maturity, cure),
                format!("on unpledged lots, to meet loan {}'s call", id.0),
            );
        }
    }
}

/// What lending on a holder's unpledged lots reads.
struct Ctx<'a> {
    clock: &'a Clock,
    gens: &'a Generations,
    secondary: &'a SecondaryMarket,
    compute: &'a ComputeMarket,
    directory: &'a Directory,
}

/// What lending on a holder's unpledged lots changes.
struct Books<'a> {
    fleet: &'a mut Fleet,
    book: &'a mut LoanBook,
    ledger: &'a mut Ledger,
    log: &'a mut EventLog,
    metrics: &'a mut Metrics,
    /// Each holder's unpledged, unlisted lots, looked up once a tick (a planet
    /// operator owns thousands of lots).
    free_of: &'a mut BTreeMap<AgentId, Vec<LotId>>,
}

impl Books<'_> {
    /// A desk lends `borrower` up to `need` against as few of its unpledged, unlisted
    /// lots (in id order) as cover it, within its cash, due at `maturity` with `cure`
    /// ticks to meet a call; returns what it lent.
    fn lend_on_free_lots(
        &mut self,
        ctx: &Ctx,
        (desk_agent, desk): (&Agent, &RepoDesk),
        borrower: AgentId,
        need: f64,
        (maturity, cure): (u32, u32),
        detail: String,
    ) -> f64 {
        let fleet = &*self.fleet;
        let free = self.free_of.entry(borrower).or_insert_with(|| {
            fleet
                .owned_by(borrower)
                .into_iter()
                .filter(|&l| {
                    let lot = fleet.get(l);
                    lot.pledged_to().is_none() && !lot.listed()
                })
                .collect()
        });
        let (mut taken, mut raised) = (Vec::new(), 0.0);
        for &lot in free.iter() {
            if raised >= need {
                break;
            }
            let g = fleet.get(lot).generation.0 as usize;
            let per_lot =
                advance_per_lot(desk, ctx.secondary, ctx.compute, ctx.clock, ctx.gens, g, 1);
            if per_lot <= 0.0 {
                continue;
            }
            taken.push(lot);
            raised += per_lot;
        }
        let desk_cash = self.ledger.balance(desk_agent.account).max(0.0);
        let lent = raised.min(need).min(desk_cash);
        if lent <= 0.0 {
            return 0.0;
        }
        free.retain(|l| !taken.contains(l));
        let repo = repo_loan(
            desk_agent.id,
            desk.spread,
            borrower,
            lent,
            ctx.clock,
            maturity,
            cure,
        );
        self.ledger.transfer(
            desk_agent.account,
            ctx.directory.account(borrower),
            lent,
            "repo on unpledged lots",
        );
        let new = self.book.add(repo);
        for &lot in &taken {
            self.fleet.pledge(lot, Some(new));
        }
        self.metrics.repo_borrower_funded_cum += lent;
        self.log.push(
            ctx.clock,
            EventKind::RepoFunding,
            vec![
                desk_agent.name.clone(),
                ctx.directory.name(borrower).to_string(),
            ],
            lent,
            taken.len() as u32,
            None,
            detail,
        );
        lent
    }
}

/// Phase 8, after repossession: a desk offers the repo collateral it repossessed every
/// week at what it would lend on it today (its mark less its haircut): it recovers its
/// advance and holds what the market will not pay that for.
pub fn sell_repo_collateral(
    clock: Res<Clock>,
    gens: Res<Generations>,
    compute: Res<ComputeMarket>,
    fleet: Res<Fleet>,
    mut secondary: ResMut<SecondaryMarket>,
    desks: Query<(&Agent, &RepoDesk)>,
) {
    let mut desk_list: Vec<(&Agent, &RepoDesk)> = desks.iter().collect();
    desk_list.sort_by_key(|(agent, _)| agent.id);
    let gpus = f64::from(gens.gpus_per_lot);
    for (agent, desk) in desk_list {
        let lots = fleet.owned_by(agent.id);
        if lots.is_empty() {
            continue;
        }
        let mut per_gen = vec![0u64; gens.list.len()];
        for &lot in &lots {
            per_gen[fleet.get(lot).generation.0 as usize] += 1;
        }
        let reserve: Vec<f64> = (0..gens.list.len())
            .map(|g| {
                advance_per_lot(desk, &secondary, &compute, &clock, &gens, g, per_gen[g]) / gpus
            })
            .collect();
        for lot in lots {
            let g = fleet.get(lot).generation;
            secondary.ask_inventory(
                g,
                agent.id,
                lot,
                reserve[g.0 as usize],
                SaleMotive::LenderLiquidation,
            );
        }
    }
}
