//! Phases 4 and 5 for operators: operating costs, then interest, amortisation and maturities.

use crate::components::{Bitcoin, Operator};
use crate::hosting::Hosted;
use firesale_core::prelude::*;
use firesale_core::{BorrowerBooks, LoanPurpose, LoanRequest, LoanRequests, LoanStatus};
use firesale_markets::{ComputeMarket, Dispatch, Exogenous};

/// Phase 4: pay power for the GPU-hours run and the rigs, opex and overhead, and a hosted
/// fleet's fees to its host. What the cash cannot cover becomes unpaid bills, which
/// phase 7 must settle.
#[allow(clippy::type_complexity)]
pub fn pay_operator_costs(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    market: Res<ComputeMarket>,
    fleet: Res<Fleet>,
    directory: Res<Directory>,
    mut ledger: ResMut<Ledger>,
    mut operators: Query<(
        &Agent,
        &mut Operator,
        &Dispatch,
        &PowerContract,
        Option<&Bitcoin>,
        Option<&mut Hosted>,
    )>,
) {
    let mut fees = Vec::new();
    for (agent, mut op, dispatch, power, btc, mut hosted) in operators
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        if !op.is_active() {
            continue;
        }
        let usd_per_kwh = power.usd_per_kwh * exo.power_multiplier;
        let mut power_bill = btc.map_or(0.0, |b| b.kwh) * usd_per_kwh;
        let mut opex = 0.0;
        let mut kwh = 0.0;
        for (g, hours) in dispatch.gpu_hours.iter().enumerate() {
            let generation = &gens.list[g];
            power_bill += hours * generation.kw_per_gpu * usd_per_kwh;
            kwh += hours * generation.kw_per_gpu;
            opex += hours * market.unit_opex(generation);
        }
        let gpus = fleet.count_owned(agent.id) as f64 * f64::from(gens.gpus_per_lot);
        opex += gpus * op.params.overhead_per_gpu_year * clock.years_per_tick();
        let hosting_fee = hosted
            .as_ref()
            .map_or(0.0, |_| kwh * power.hosting_fee_per_kwh);
        let bills = power_bill + opex + op.unpaid_bills;
        let paid_power = ledger.pay_up_to(
            agent.account,
            External::Utilities.account(),
            power_bill + op.unpaid_bills,
            "power",
        );
        let paid_opex =
            ledger.pay_up_to(agent.account, External::Suppliers.account(), opex, "opex");
        // The host's fee, with what is owed from before, goes to the host; what the cash
        // cannot cover is owed to the host (not to the utility) until paid.
        if let Some(hosted) = hosted.as_mut() {
            let due = hosting_fee + hosted.arrears;
            if due > 0.0 {
                let paid = ledger.pay_up_to(
                    agent.account,
                    directory.account(hosted.host),
                    due,
                    "hosting fee",
                );
                hosted.arrears = due - paid;
                fees.push((hosted.host, paid));
            }
        }
        op.unpaid_bills = (bills - paid_power - paid_opex).max(0.0);
        if op.unpaid_bills <= 0.01 {
            op.unpaid_bills = 0.0;
        }
        // Unpaid power or hosting fees start the clock of the bill grace period.
        let fee_arrears = hosted.as_ref().map_or(0.0, |h| h.arrears);
        if op.unpaid_bills > 0.0 || fee_arrears > 0.01 {
            op.unpaid_since.get_or_insert(clock.tick);
        } else {
            op.unpaid_since = None;
        }
        op.costs = power_bill + opex + hosting_fee;
    }
    // A host earns its tenants' fees.
    for (host, fee) in fees {
        if let Ok((_, mut op, ..)) = operators.get_mut(directory.entity(host)) {
            op.revenue += fee;
        }
    }
}

/// Phase 5: pay interest and scheduled amortisation on every live loan; at maturity pay
/// the balloon from spare cash or ask for refinancing. Missed payments become arrears.
pub fn service_debt(
    clock: Res<Clock>,
    exo: Res<Exogenous>,
    directory: Res<Directory>,
    mut ledger: ResMut<Ledger>,
    mut book: ResMut<LoanBook>,
    mut requests: ResMut<LoanRequests>,
    mut operators: Query<(&Agent, &mut Operator, &mut BorrowerBooks, Option<&Bitcoin>)>,
) {
    requests.requests.clear();
    let dt = clock.years_per_tick();
    for (agent, mut op, mut books, btc) in operators
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        if !op.is_active() {
            continue;
        }
        let mut scheduled = 0.0;
        for id in book.live_of(agent.id) {
            let loan = book.get_mut(id);
            let interest = loan.interest(exo.rate, dt);
            let amortisation = loan.amortisation.min(loan.principal);
            scheduled += interest + amortisation;
            let due = interest + amortisation + loan.arrears;
            let paid = pay_lenders(
                &mut ledger,
                &directory,
                agent.account,
                loan,
                due,
                "debt service",
            );
            // Payments go to arrears first, then interest, then principal.
            let to_principal = (paid - loan.arrears - interest).max(0.0);
            loan.arrears = (due - paid).max(0.0);
            loan.principal -= to_principal.min(loan.principal);
            if loan.arrears > 0.01 {
                loan.arrears_since.get_or_insert(clock.tick);
            } else {
                loan.arrears = 0.0;
                loan.arrears_since = None;
            }
            if clock.tick >= loan.maturity_tick && loan.status == LoanStatus::Performing {
                let spare = ledger.balance(agent.account)
                    - op.weekly_outgoings * op.params.repayment_buffer_weeks;
                if loan.principal <= 0.01 {
                    loan.status = LoanStatus::Repaid;
                } else if spare >= loan.principal {
                    let principal = loan.principal;
                    pay_lenders(
                        &mut ledger,
                        &directory,
                        agent.account,
                        loan,
                        principal,
                        "balloon",
                    );
                    loan.principal = 0.0;
                    loan.status = LoanStatus::Repaid;
                } else {
                    requests.requests.push(LoanRequest {
                        borrower: agent.id,
                        borrower_is_miner: btc.is_some(),
                        amount: loan.principal,
                        purpose: LoanPurpose::Refinance { loan: id },
                        collateral_cost: 0.0,
                        decision: None,
                    });
                }
            }
        }
        let operating = op.revenue - op.costs;
        books.push(operating, scheduled);
        op.weekly_outgoings = 0.8 * op.weekly_outgoings + 0.2 * (op.costs + scheduled);
    }
}

/// Pays up to `amount` from `from` to a loan's lenders by their shares; returns what was paid.
pub fn pay_lenders(
    ledger: &mut Ledger,
    directory: &Directory,
    from: firesale_core::AccountId,
    loan: &firesale_core::Loan,
    amount: f64,
    memo: &'static str,
) -> f64 {
    ledger.pay_shares_up_to(directory, from, &loan.lenders, amount, memo)
}
