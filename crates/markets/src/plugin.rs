//! Adds the markets' systems to the tick.

use crate::{
    advance_exogenous, clear_auctions, clear_compute_market, forecast_rents, release_generations,
    reset_vendor,
};
use firesale_core::prelude::*;

/// Adds every market system to its step.
pub fn add_market_systems(schedule: &mut Schedule) {
    schedule.add_systems(
        (advance_exogenous, release_generations, reset_vendor)
            .chain()
            .in_set(Step::AdvanceExogenous),
    );
    schedule.add_systems(
        (clear_compute_market, forecast_rents)
            .chain()
            .in_set(Step::ClearComputeMarket),
    );
    schedule.add_systems(clear_auctions.in_set(Step::ClearAuctions));
}
