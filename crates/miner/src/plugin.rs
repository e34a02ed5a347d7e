//! Adds the operators' systems to the tick.

use crate::*;
use firesale_core::prelude::*;

/// Adds every operator rule to its step.
pub fn add_operator_systems(schedule: &mut Schedule) {
    schedule.add_systems(serve_term_contracts.in_set(Step::ServeTermContracts));
    schedule.add_systems(mine_bitcoin.in_set(Step::MineBitcoin));
    schedule.add_systems(pay_operator_costs.in_set(Step::PayOperatorCosts));
    schedule.add_systems(service_debt.in_set(Step::ServiceDebt));
    schedule.add_systems(respond_to_calls.in_set(Step::RespondToCalls));
    schedule.add_systems(strand_hosted_fleets.in_set(Step::StrandHostedFleets));
    schedule.add_systems(list_voluntary_sales.in_set(Step::ListOperatorResales));
    schedule.add_systems(post_operator_bids.in_set(Step::PostOperatorBids));
    schedule.add_systems(
        (apply_sale_proceeds, count_operator_purchases)
            .chain()
            .in_set(Step::ApplySaleProceeds),
    );
    schedule.add_systems(request_credit.in_set(Step::RequestCredit));
    schedule.add_systems(invest_operators.in_set(Step::InvestOperators));
}
