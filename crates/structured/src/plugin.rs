//! Adds the capital markets' systems to the tick.

use crate::{distribute_estates, issue_notes, service_notes};
use firesale_core::prelude::*;

/// Adds note service, estates and the bond market to their steps.
pub fn add_structured_systems(schedule: &mut Schedule) {
    schedule.add_systems(service_notes.in_set(Step::ServiceNotes));
    schedule.add_systems(distribute_estates.in_set(Step::DistributeEstates));
    schedule.add_systems(issue_notes.in_set(Step::IssueNotes));
}
