//! The tick schedule: every crate's systems in their steps, plus the guards.

use crate::guards::{check_accounts, guard_phase, scrap_old_lots};
use bevy_ecs::prelude::*;
use firesale_core::{Phase, Step, tick_schedule};

/// Builds the tick schedule with every rule of every crate in its step, and a guard at
/// the end of each phase that stops the run on an invalid state.
pub fn build_schedule() -> Schedule {
    let mut schedule = tick_schedule();
    firesale_markets::add_market_systems(&mut schedule);
    firesale_miner::add_operator_systems(&mut schedule);
    firesale_lender::add_lender_systems(&mut schedule);
    firesale_buyer::add_buyer_systems(&mut schedule);
    firesale_structured::add_structured_systems(&mut schedule);
    schedule.add_systems(
        (scrap_old_lots, check_accounts)
            .chain()
            .in_set(Step::CheckAccounts),
    );
    for phase in Phase::ALL {
        let mut steps = Step::ALL
            .iter()
            .filter(|(_, p)| *p == phase)
            .map(|(s, _)| *s);
        if let Some(last) = steps.next_back() {
            schedule.add_systems(guard_phase(phase).in_set(phase).after(last));
        }
    }
    schedule
}
