//! Adds the lenders' systems to the tick.

use crate::*;
use firesale_core::prelude::*;

/// Adds every lender and repo-desk rule to its step.
pub fn add_lender_systems(schedule: &mut Schedule) {
    schedule.add_systems(pay_lender_funding.in_set(Step::PayLenderFunding));
    schedule.add_systems(decide_refinancing.in_set(Step::DecideRefinancing));
    schedule.add_systems(mark_collateral.in_set(Step::MarkCollateral));
    schedule.add_systems(repo_for_borrowers.in_set(Step::RepoForBorrowers));
    schedule.add_systems(
        (
            resolve_defaults,
            fund_inventory,
            list_inventory,
            sell_repo_collateral,
        )
            .chain()
            .in_set(Step::ResolveDefaults),
    );
    schedule.add_systems(book_recoveries.in_set(Step::BookRecoveries));
    schedule.add_systems(update_credit_terms.in_set(Step::UpdateCreditTerms));
    schedule.add_systems(originate_loans.in_set(Step::OriginateLoans));
}
