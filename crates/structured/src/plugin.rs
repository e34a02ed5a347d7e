//! Adds the capital markets' systems to the tick.

use crate::{distribute_estates, issue_notes, list_spv_lots, pay_waterfalls, service_notes};
use firesale_core::prelude::*;

/// Adds note service, ABS waterfalls and sales, estates and the bond market to their steps.
pub fn add_structured_systems(schedule: &mut Schedule) {
    schedule.add_systems(service_notes.in_set(Step::ServiceNotes));
    schedule.add_systems(pay_waterfalls.in_set(Step::PayWaterfalls));
    schedule.add_systems(list_spv_lots.in_set(Step::ListSpvSales));
    schedule.add_systems(distribute_estates.in_set(Step::DistributeEstates));
    schedule.add_systems(issue_notes.in_set(Step::IssueNotes));
}
