//! Adds the buyers' systems to the tick.

use crate::*;
use firesale_core::prelude::*;

/// Adds every buyer rule to its step.
pub fn add_buyer_systems(schedule: &mut Schedule) {
    schedule.add_systems(pay_buyer_costs.in_set(Step::PayBuyerCosts));
    schedule.add_systems(list_buyer_resales.in_set(Step::ListBuyerResales));
    schedule.add_systems(post_bids.in_set(Step::PostBids));
    schedule.add_systems(invest_buyers.in_set(Step::InvestBuyers));
}
