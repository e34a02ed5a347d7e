//! Phases 5 and 10 for lenders: terms, origination, refinancing.
//!
//! Terms are procyclical because lenders read their own experience: realised losses
//! and observed price volatility raise the spread, thin capital cuts the max LTV and
//! the appetite, and a lender below its target closes its doors.

use crate::components::Lender;
use crate::funding::draw_funding;
use crate::marking::MarkContext;
use crate::rules::{Terms, TermsView};
use firesale_core::prelude::*;
use firesale_core::{
    BorrowerBooks, CallReason, Covenants, CreditOffer, CreditOffers, Decision, Loan, LoanPurpose,
    LoanRequest, LoanRequests, LoanStatus,
};
use firesale_markets::{ComputeMarket, SecondaryMarket};

/// Phase 10: every lender posts its terms for this tick.
pub fn update_credit_terms(
    clock: Res<Clock>,
    gens: Res<Generations>,
    secondary: Res<SecondaryMarket>,
    book: Res<LoanBook>,
    mut offers: ResMut<CreditOffers>,
    mut metrics: ResMut<Metrics>,
    lenders: Query<(&Agent, &Lender)>,
) {
    // The roughest market any lender can see: the highest observed volatility.
    let volatility = gens
        .released(clock.tick)
        .filter_map(|g| secondary.generations[g.0 as usize].volatility(clock.years_per_tick()))
        .fold(0.0, f64::max);
    offers.offers.clear();
    for (agent, lender) in lenders.iter().sort_by_key::<&Agent, _>(|agent| agent.id) {
        let p = &lender.params;
        let exposure = book.exposure(agent.id);
        // Losses of the past year as a share of what was at risk (book plus losses).
        let losses = lender.recent_losses(clock.tick, 52);
        let loss_rate = losses / (exposure + losses).max(1.0);
        let Terms {
            open,
            spread,
            max_ltv,
        } = p.rules.credit.terms(&TermsView {
            params: p,
            loss_rate,
            volatility,
            capital_urgency: lender.capital_urgency,
            capital_ratio: lender.capital_ratio,
            failed: lender.failed.is_some(),
            withdrawals_pending: lender.pending_withdrawal > 0.0,
        });
        // New lending it can carry at its target capital ratio (funded by drawing on its funders).
        let capacity = (lender.equity / p.target_capital_ratio - exposure).max(0.0);
        offers.offers.push(CreditOffer {
            lender: agent.id,
            open,
            spread,
            max_ltv,
            covenant_ltv: p.covenant_ltv,
            min_dscr: p.covenant_dscr,
            cure_ticks: p.cure_ticks,
            tenor_ticks: clock.ticks_in_years(p.tenor_years),
            amortising_share: p.amortising_share,
            capacity,
            lends_to_miners: p.lends_to_miners,
        });
    }
    let open: Vec<&CreditOffer> = offers.offers.iter().filter(|o| o.open).collect();
    let mean = |f: fn(&CreditOffer) -> f64| {
        (!open.is_empty()).then(|| open.iter().map(|o| f(o)).sum::<f64>() / open.len() as f64)
    };
    metrics.new_loan_spread = mean(|o| o.spread);
    metrics.new_loan_max_ltv = mean(|o| o.max_ltv);
}

/// Funds `request` from the cheapest open lenders that will take it (a club deal when
/// one lender's capacity is not enough); None when the market will not fund it. Among
/// equal spreads (a class's lenders quote alike) the lender with the most room leads, so
/// a class's loan flow spreads over its lenders as it would in any size of world, rather
/// than filling the lowest id first.
fn fund(
    request: &LoanRequest,
    collateral_value: f64,
    offers: &mut CreditOffers,
    book: &mut LoanBook,
    clock: &Clock,
) -> Option<LoanId> {
    let mut eligible: Vec<usize> = (0..offers.offers.len())
        .filter(|&i| {
            let o = &offers.offers[i];
            o.open
                && o.capacity > 0.0
                && (!request.borrower_is_miner || o.lends_to_miners)
                && request.amount <= o.max_ltv * collateral_value + 1e-6
        })
        .collect();
    // Cheapest first, the most room first among equal spreads: a total order (ties by
    // position), so picking the first four and sorting only those gives the same four
    // in the same order as sorting every offer, in time linear in the lenders.
    let order = |&a: &usize, &b: &usize| {
        offers.offers[a]
            .spread
            .total_cmp(&offers.offers[b].spread)
            .then(
                offers.offers[b]
                    .capacity
                    .total_cmp(&offers.offers[a].capacity),
            )
            .then(a.cmp(&b))
    };
    const MOST_LENDERS: usize = 4;
    if eligible.len() > MOST_LENDERS {
        eligible.select_nth_unstable_by(MOST_LENDERS - 1, order);
        eligible.truncate(MOST_LENDERS);
    }
    eligible.sort_by(order);
    let mut shares = Vec::new();
    let mut raised = 0.0;
    for i in eligible {
        let take = offers.offers[i].capacity.min(request.amount - raised);
        shares.push((i, take));
        raised += take;
        if raised >= request.amount - 1e-6 {
            break;
        }
    }
    if raised < request.amount - 1e-6 || shares.is_empty() {
        return None;
    }
    let lead = offers.offers[shares[0].0];
    for (i, take) in &shares {
        offers.offers[*i].capacity -= take;
    }
    let tenor = lead.tenor_ticks.max(1);
    let lenders = shares
        .iter()
        .map(|(i, take)| (offers.offers[*i].lender, take / request.amount))
        .collect();
    let covenants = Covenants {
        max_ltv: lead.covenant_ltv,
        min_dscr: lead.min_dscr,
        cure_ticks: lead.cure_ticks,
    };
    let amortisation = request.amount * lead.amortising_share / f64::from(tenor);
    let id = book.add(Loan::new(
        request.borrower,
        lenders,
        request.amount,
        lead.spread,
        amortisation,
        clock.tick,
        clock.tick + tenor,
        covenants,
    ));
    Some(id)
}

/// Whether a borrower's trailing coverage meets a lender's covenant (no history passes).
fn coverage_ok(
    borrowers: &Query<&BorrowerBooks>,
    directory: &Directory,
    borrower: AgentId,
    min_dscr: f64,
) -> bool {
    borrowers
        .get(directory.entity(borrower))
        .ok()
        .and_then(BorrowerBooks::dscr)
        .is_none_or(|d| d >= min_dscr)
}

/// Phase 10: fund purchase requests; cash goes from the lenders to the borrower.
#[allow(clippy::too_many_arguments)]
pub fn originate_loans(
    clock: Res<Clock>,
    directory: Res<Directory>,
    mut requests: ResMut<LoanRequests>,
    mut offers: ResMut<CreditOffers>,
    mut book: ResMut<LoanBook>,
    mut ledger: ResMut<Ledger>,
    mut log: ResMut<EventLog>,
    borrowers: Query<&BorrowerBooks>,
    mut lenders: Query<&mut Lender>,
) {
    // The loosest coverage covenant of the open lenders: funding a loan changes a
    // lender's capacity, never whether it is open, so it holds for the whole tick.
    let min_dscr = offers
        .offers
        .iter()
        .filter(|o| o.open)
        .map(|o| o.min_dscr)
        .fold(f64::INFINITY, f64::min);
    for request in requests.requests.iter_mut() {
        let LoanPurpose::Purchase { .. } = request.purpose else {
            continue;
        };
        if !coverage_ok(&borrowers, &directory, request.borrower, min_dscr) {
            request.decision = Some(Decision::Refused("coverage below covenant"));
            continue;
        }
        let Some(id) = fund(
            request,
            request.collateral_cost,
            &mut offers,
            &mut book,
            &clock,
        ) else {
            request.decision = Some(Decision::Refused("no lender open with capacity"));
            continue;
        };
        let loan = book.get(id);
        let to = directory.account(request.borrower);
        let mut names = vec![directory.name(request.borrower).to_string()];
        for (lender, share) in &loan.lenders {
            if let Ok(mut l) = lenders.get_mut(directory.entity(*lender)) {
                draw_funding(
                    &mut ledger,
                    &mut l,
                    directory.account(*lender),
                    request.amount * share,
                );
            }
            ledger.transfer(
                directory.account(*lender),
                to,
                request.amount * share,
                "loan disbursed",
            );
            names.push(directory.name(*lender).to_string());
        }
        log.push(
            &clock,
            EventKind::LoanOriginated,
            names,
            request.amount,
            0,
            None,
            format!("spread {:.1}%", loan.spread * 100.0),
        );
        request.decision = Some(Decision::Funded(id));
    }
}

/// Phase 5: maturing loans are refinanced by whoever will lend against the collateral at
/// its own mark today; otherwise the loan is called for its full principal.
#[allow(clippy::too_many_arguments)]
pub fn decide_refinancing(
    clock: Res<Clock>,
    gens: Res<Generations>,
    secondary: Res<SecondaryMarket>,
    compute: Res<ComputeMarket>,
    directory: Res<Directory>,
    mut requests: ResMut<LoanRequests>,
    mut offers: ResMut<CreditOffers>,
    mut book: ResMut<LoanBook>,
    mut fleet: ResMut<Fleet>,
    mut ledger: ResMut<Ledger>,
    mut log: ResMut<EventLog>,
    mut lenders: Query<&mut Lender>,
    borrowers: Query<&BorrowerBooks>,
) {
    let ctx = MarkContext {
        clock: &clock,
        gens: &gens,
        secondary: &secondary,
        compute: &compute,
    };
    for request in requests.requests.iter_mut() {
        let LoanPurpose::Refinance { loan: old } = request.purpose else {
            continue;
        };
        let lead = book.get(old).lenders[0].0;
        let rules = lenders
            .get(directory.entity(lead))
            .ok()
            .map(|l| l.params.rules.clone());
        let lots = fleet.pledged_to(old);
        let value: f64 = lots
            .iter()
            .map(|&l| match &rules {
                Some(rules) => ctx.own_mark(&*rules.mark, fleet.get(l)),
                None => ctx.book_per_unit(fleet.get(l)) * f64::from(gens.gpus_per_lot),
            })
            .sum();
        let covered = coverage_ok(&borrowers, &directory, request.borrower, 1.0);
        let funded = if covered {
            fund(request, value, &mut offers, &mut book, &clock)
        } else {
            None
        };
        let borrower_name = directory.name(request.borrower).to_string();
        let Some(new) = funded else {
            let cure = book.get(old).covenants.cure_ticks;
            let loan = book.get_mut(old);
            loan.status = LoanStatus::Called {
                amount: loan.principal,
                deadline: clock.tick + cure,
                reason: CallReason::Maturity,
            };
            log.push(
                &clock,
                EventKind::RefinanceRefused,
                vec![borrower_name, directory.name(lead).to_string()],
                loan.principal,
                lots.len() as u32,
                None,
                String::new(),
            );
            request.decision = Some(Decision::Refused("no lender will refinance"));
            continue;
        };
        // New lenders pay off the old ones; collateral moves to the new loan.
        let new_lenders = book.get(new).lenders.clone();
        let old_lenders = book.get(old).lenders.clone();
        for (nl, ns) in &new_lenders {
            if let Ok(mut l) = lenders.get_mut(directory.entity(*nl)) {
                draw_funding(
                    &mut ledger,
                    &mut l,
                    directory.account(*nl),
                    request.amount * ns,
                );
            }
            for (ol, os) in &old_lenders {
                ledger.transfer(
                    directory.account(*nl),
                    directory.account(*ol),
                    request.amount * ns * os,
                    "refinancing",
                );
            }
        }
        for lot in lots {
            fleet.pledge(lot, Some(new));
        }
        let btc = std::mem::take(&mut book.get_mut(old).btc_collateral);
        book.get_mut(new).btc_collateral = btc;
        let loan = book.get_mut(old);
        loan.principal = 0.0;
        loan.status = LoanStatus::Repaid;
        log.push(
            &clock,
            EventKind::LoanRefinanced,
            vec![borrower_name],
            request.amount,
            0,
            None,
            format!("loan {} into {}", old.0, new.0),
        );
        request.decision = Some(Decision::Funded(new));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firesale_core::GenId;

    fn offer(lender: u32, spread: f64, capacity: f64) -> CreditOffer {
        CreditOffer {
            lender: AgentId(lender),
            open: true,
            spread,
            max_ltv: 0.7,
            covenant_ltv: 0.85,
            min_dscr: 1.1,
            cure_ticks: 8,
            tenor_ticks: 260,
            amortising_share: 0.5,
            capacity,
            lends_to_miners: true,
        }
    }

    fn request(amount: f64) -> LoanRequest {
        LoanRequest {
            borrower: AgentId(99),
            borrower_is_miner: false,
            amount,
            purpose: LoanPurpose::Purchase {
                generation: GenId(0),
                lots: 1,
            },
            collateral_cost: 2.0 * amount,
            decision: None,
        }
    }

    /// Lenders of one class quote the same spread. The tie used to go to the lowest id,
    /// so in a larger world the first lender took a multiple of its share of the flow on
    /// the same equity; it now goes to the lender with the most room.
    #[test]
    fn among_equal_spreads_the_lender_with_the_most_room_leads() {
        let clock = Clock {
            start: chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            tick_days: 7,
            ticks: 52,
            tick: 0,
        };
        let mut offers = CreditOffers {
            offers: vec![
                offer(1, 0.05, 100.0),
                offer(2, 0.05, 300.0),
                offer(3, 0.04, 50.0),
            ],
        };
        let mut book = LoanBook::default();
        let id = fund(&request(200.0), 400.0, &mut offers, &mut book, &clock).unwrap();
        // The cheapest lender takes what it can; the rest goes to the one with more room.
        let lenders: Vec<(AgentId, f64)> = book.get(id).lenders.to_vec();
        assert_eq!(lenders, vec![(AgentId(3), 0.25), (AgentId(2), 0.75)]);
        assert_eq!(offers.offers[0].capacity, 100.0, "bank 1 lent nothing");
        // Equal room: the lower id leads, as before.
        let mut offers = CreditOffers {
            offers: vec![offer(1, 0.05, 100.0), offer(2, 0.05, 100.0)],
        };
        let id = fund(&request(50.0), 400.0, &mut offers, &mut book, &clock).unwrap();
        assert_eq!(book.get(id).lenders.as_slice(), [(AgentId(1), 1.0)]);
    }
}
