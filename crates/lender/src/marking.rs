//! Phase 6: marking collateral, testing covenants, calling loans.
//!
//! The same lots carry two values: the lender's own mark (its policy: book, last trade
//! or model) and the market mark: what the whole holding would fetch sold in equal parts
//! over `measures.mark_weeks` weekly auctions into books like the standing one
//! (depth-aware: a few lots trading at a premium do not mark thousands up, and a
//! holding the book cannot absorb in a quarter is marked down). The gap between paper LTV and market LTV is the collateral illusion,
//! reported every tick.

use crate::components::Lender;
use crate::rules::{CovenantView, MarkRule};
use firesale_core::Loan;
use firesale_core::pipeline::decide_then_apply;
use firesale_core::prelude::*;
use firesale_core::{BorrowerBooks, CallReason, LoanStatus};
use firesale_markets::{ComputeMarket, Exogenous, SecondaryMarket};

/// What a holding of `lots` would fetch sold over the marking horizon into books like
/// the standing one, $, generation by generation (zero with no bids).
pub fn holding_value(
    secondary: &SecondaryMarket,
    gens: &Generations,
    fleet: &Fleet,
    lots: &[LotId],
) -> f64 {
    per_generation(gens, fleet, lots)
        .iter()
        .enumerate()
        .map(|(g, &q)| secondary.holding_proceeds(g, q))
        .sum::<f64>()
        * f64::from(gens.gpus_per_lot)
}

/// Lots of each generation in `lots`.
pub fn per_generation(gens: &Generations, fleet: &Fleet, lots: &[LotId]) -> Vec<u64> {
    let mut counts = vec![0u64; gens.list.len()];
    for &lot in lots {
        counts[fleet.get(lot).generation.0 as usize] += 1;
    }
    counts
}

/// Everything a mark needs to know about the market.
pub struct MarkContext<'a> {
    /// Clock.
    pub clock: &'a Clock,
    /// Generations.
    pub gens: &'a Generations,
    /// Secondary market observables.
    pub secondary: &'a SecondaryMarket,
    /// Compute market (fundamental values).
    pub compute: &'a ComputeMarket,
}

impl MarkContext<'_> {
    /// A lender's own mark of one lot with its mark rule, $.
    pub fn own_mark(&self, rule: &dyn MarkRule, lot: &firesale_core::Lot) -> f64 {
        rule.mark_per_unit(self, lot) * f64::from(self.gens.gpus_per_lot)
    }

    /// Straight-line book value of one unit of `lot`, $ (its list price written down
    /// over its generation's useful life).
    pub fn book_per_unit(&self, lot: &firesale_core::Lot) -> f64 {
        let age = f64::from(lot.age_ticks(self.clock.tick)) * self.clock.years_per_tick();
        self.gens.book_value_per_gpu(lot.generation, age)
    }

    /// The market's mark of a holding, $: what it would fetch sold over the marking
    /// horizon into books like the standing one.
    pub fn market_value(&self, fleet: &Fleet, lots: &[LotId]) -> f64 {
        holding_value(self.secondary, self.gens, fleet, lots)
    }
}

/// One loan's collateral valued three ways, $ (posted BTC included in each).
struct CollateralValues {
    /// At the lead lender's own mark.
    own: f64,
    /// At straight-line book value.
    paper: f64,
    /// At what it would fetch over the marking horizon.
    market: f64,
}

/// What marking found for one live loan, before any of it is applied.
struct LoanMark {
    /// Its collateral valued three ways.
    values: CollateralValues,
    /// Its borrower's debt-service coverage (performing loans only).
    dscr: Option<f64>,
    /// What the lead lender's covenant rule calls, and why (performing loans only).
    call: Option<(f64, CallReason)>,
}

/// Wraps `mark` so that a lot equal to the lot marked just before it takes that lot's
/// mark instead of asking again. A loan's lots, and a lender's inventory, come in runs
/// bought or repossessed together and alike in every field, and a mark is a function of
/// the lot and the market, so the marks are the ones asking every time would give.
pub(crate) fn reusing_runs<'a, T: Copy>(
    mut mark: impl FnMut(&'a firesale_core::Lot) -> T,
) -> impl FnMut(&'a firesale_core::Lot) -> T {
    let mut previous: Option<(&'a firesale_core::Lot, T)> = None;
    move |lot| {
        let value = match previous {
            Some((before, value)) if before == lot => value,
            _ => mark(lot),
        };
        previous = Some((lot, value));
        value
    }
}

/// Values `lots` and `btc_value` of posted BTC three ways, reading each lot once and
/// marking runs of equal lots once ([`reusing_runs`]); the sums still add every lot in
/// order.
fn collateral_values(
    ctx: &MarkContext,
    rule: &dyn MarkRule,
    fleet: &Fleet,
    lots: &[LotId],
    btc_value: f64,
) -> CollateralValues {
    let per_lot = f64::from(ctx.gens.gpus_per_lot);
    let (mut own, mut paper) = (0.0, 0.0);
    let mut counts = vec![0u64; ctx.gens.list.len()];
    let mut marks = reusing_runs(|lot| (ctx.own_mark(rule, lot), ctx.book_per_unit(lot) * per_lot));
    for &id in lots {
        let lot = fleet.get(id);
        let (own_mark, paper_mark) = marks(lot);
        own += own_mark;
        paper += paper_mark;
        counts[lot.generation.0 as usize] += 1;
    }
    let market = counts
        .iter()
        .enumerate()
        .map(|(g, &q)| ctx.secondary.holding_proceeds(g, q))
        .sum::<f64>()
        * per_lot;
    CollateralValues {
        own: own + btc_value,
        paper: paper + btc_value,
        market: market + btc_value,
    }
}

/// Types a closure that marks a chunk of loans and hands the chunk on with its marks:
/// the chunk borrowed for one lifetime, not any (a closure's own signature would be).
fn loans_with_marks<'a, F>(decide: F) -> F
where
    F: Fn(&'a mut [Loan]) -> (&'a mut [Loan], Vec<Option<LoanMark>>),
{
    decide
}

/// Phase 6: mark every live loan's collateral with its lead lender's policy, call loans
/// that breach the LTV or DSCR covenant, and report paper and market LTVs.
#[allow(clippy::too_many_arguments)]
pub fn mark_collateral(
    clock: Res<Clock>,
    gens: Res<Generations>,
    secondary: Res<SecondaryMarket>,
    compute: Res<ComputeMarket>,
    exo: Res<Exogenous>,
    fleet: Res<Fleet>,
    directory: Res<Directory>,
    mut book: ResMut<LoanBook>,
    mut log: ResMut<EventLog>,
    mut metrics: ResMut<Metrics>,
    lenders: Query<(&Agent, &Lender)>,
    borrowers: Query<(&Agent, &BorrowerBooks)>,
) {
    // Each lender, and each borrower's trailing cash flow and debt service, by agent id,
    // read once a tick: every loan reads its lead lender and its borrower's coverage (a
    // borrower has many loans, a lender thousands), and the aggregate coverage below
    // reads the borrowers' sums again.
    let agents = directory.next_id().0 as usize;
    let mut lender_of: Vec<Option<&Lender>> = vec![None; agents];
    for (agent, lender) in &lenders {
        lender_of[agent.id.0 as usize] = Some(lender);
    }
    let mut trailing_of: Vec<Option<(f64, f64)>> = vec![None; agents];
    for (agent, books) in &borrowers {
        trailing_of[agent.id.0 as usize] = Some(books.trailing());
    }
    let ctx = MarkContext {
        clock: &clock,
        gens: &gens,
        secondary: &secondary,
        compute: &compute,
    };
    // Each live loan's collateral at the lead lender's mark, at book and at the market,
    // and what the lender's covenant rule makes of it, worked out on all cores chunk by
    // chunk of loans (each loan's sums run in the same order whatever the threads, and a
    // loan's test reads only that loan), and applied in loan order as soon as each chunk
    // is ready (`decide_then_apply`): the chunk's loans travel with their marks, so
    // deciding a chunk and applying an earlier one never touch the same loan.
    const CHUNK: usize = 1024;
    let decide = loans_with_marks(|loans| {
        let marks: Vec<Option<LoanMark>> = loans
            .iter()
            .map(|loan| {
                if !loan.is_live() {
                    return None;
                }
                let lender = lender_of
                    .get(loan.lenders[0].0.0 as usize)
                    .copied()
                    .flatten()?;
                let values = collateral_values(
                    &ctx,
                    &*lender.params.rules.mark,
                    &fleet,
                    fleet.pledged(loan.id),
                    loan.btc_collateral * exo.btc_price,
                );
                if loan.status != LoanStatus::Performing {
                    return Some(LoanMark {
                        values,
                        dscr: None,
                        call: None,
                    });
                }
                let dscr = trailing_of
                    .get(loan.borrower.0 as usize)
                    .copied()
                    .flatten()
                    .and_then(BorrowerBooks::coverage);
                let view = CovenantView {
                    loan,
                    own_value: values.own,
                    dscr,
                };
                let call = lender.params.rules.covenant.call(&view);
                Some(LoanMark { values, dscr, call })
            })
            .collect();
        (loans, marks)
    });
    let (mut debt, mut paper, mut market) = (0.0, 0.0, 0.0);
    let chunks: Vec<&mut [Loan]> = book.all_mut().chunks_mut(CHUNK).collect();
    // The borrowers that still owe, for their aggregate coverage below (marking makes
    // no live loan dead, so they are the ones whose loans are live here).
    let mut owing: Vec<AgentId> = Vec::new();
    decide_then_apply(chunks, decide, |(loans, marks)| {
        for (loan, marked) in loans.iter_mut().zip(marks) {
            if loan.is_live() {
                owing.push(loan.borrower);
            }
            let Some(LoanMark {
                values:
                    CollateralValues {
                        own,
                        paper: paper_value,
                        market: market_value,
                    },
                dscr,
                call,
            }) = marked
            else {
                continue;
            };
            let lead = loan.lenders[0].0;
            let lots_pledged = fleet.pledged(loan.id).len();
            debt += loan.principal;
            paper += paper_value;
            market += market_value;
            if loan.status != LoanStatus::Performing {
                continue;
            }
            // Whatever the rule: a call is a positive amount of at most the principal.
            if let Some((amount, reason)) = call
                .filter(|(amount, _)| amount.is_finite() && *amount > 0.0)
                .map(|(amount, reason)| (amount.min(loan.principal), reason))
            {
                loan.status = LoanStatus::Called {
                    amount,
                    deadline: clock.tick + loan.covenants.cure_ticks,
                    reason,
                };
                let ltv = if own > 0.0 {
                    loan.principal / own
                } else {
                    f64::INFINITY
                };
                log.push(
                    &clock,
                    EventKind::MarginCall,
                    vec![
                        directory.name(lead).to_string(),
                        directory.name(loan.borrower).to_string(),
                    ],
                    amount,
                    lots_pledged as u32,
                    None,
                    match reason {
                        CallReason::Ltv => format!(
                            "LTV {:.2} above covenant {:.2}",
                            ltv.min(99.0),
                            loan.covenants.max_ltv
                        ),
                        _ => format!(
                            "DSCR {:.2} below covenant {:.2}",
                            dscr.unwrap_or(0.0),
                            loan.covenants.min_dscr
                        ),
                    },
                );
            }
        }
    });
    // Aggregate coverage of the borrowers that still owe.
    owing.sort_unstable();
    owing.dedup();
    let (mut cash_flow, mut service) = (0.0, 0.0);
    for borrower in owing {
        if let Some((borrower_cash_flow, borrower_service)) =
            trailing_of.get(borrower.0 as usize).copied().flatten()
        {
            cash_flow += borrower_cash_flow;
            service += borrower_service;
        }
    }
    metrics.dscr = BorrowerBooks::coverage((cash_flow, service));
    metrics.ltv_paper = (paper > 0.0).then(|| debt / paper);
    metrics.ltv_market = (market > 0.0).then(|| debt / market);
}
