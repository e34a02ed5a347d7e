//! Invariant guards: the ledger after every phase, the fleet at the end of every tick.

use bevy_ecs::prelude::*;
use firesale_core::InvalidState;
use firesale_core::prelude::*;

/// A guard for the end of `phase`: a transfer that was not a finite non-negative amount,
/// or a balance that is not finite, stops the run naming the account, tick and phase.
pub fn guard_phase(phase: Phase) -> impl FnMut(Res<Clock>, ResMut<Ledger>, ResMut<Halt>) {
    move |clock, mut ledger, mut halt| {
        for bad in ledger.take_rejected() {
            halt.raise(InvalidState {
                tick: clock.tick,
                date: clock.today_str(),
                phase: phase.name(),
                agent: bad.from.clone(),
                what: format!(
                    "transfer of {} to {} for {} is not a finite amount >= 0",
                    bad.amount, bad.to, bad.memo
                ),
            });
        }
        if let Some(account) = ledger.non_finite().into_iter().next() {
            halt.raise(InvalidState {
                tick: clock.tick,
                date: clock.today_str(),
                phase: phase.name(),
                agent: account,
                what: "balance is not a finite number".into(),
            });
        }
    }
}

/// Phase 12: lots past their physical life are scrapped (and logged).
pub fn scrap_old_lots(
    clock: Res<Clock>,
    gens: Res<Generations>,
    directory: Res<Directory>,
    mut fleet: ResMut<Fleet>,
    mut log: ResMut<EventLog>,
) {
    let old: Vec<(LotId, AgentId, GenId)> = fleet
        .iter()
        .filter(|(_, lot)| lot.state != LotState::Scrapped)
        .filter(|(_, lot)| {
            f64::from(lot.age_ticks(clock.tick)) * clock.years_per_tick()
                >= gens.get(lot.generation).max_age_years
        })
        .map(|(id, lot)| (id, lot.owner(), lot.generation))
        .collect();
    let mut counts: std::collections::BTreeMap<(AgentId, GenId), u32> = Default::default();
    for (id, owner, generation) in old {
        fleet.scrap(id);
        *counts.entry((owner, generation)).or_default() += 1;
    }
    for ((owner, generation), n) in counts {
        log.push(
            &clock,
            EventKind::Scrap,
            vec![directory.name(owner).to_string()],
            0.0,
            n,
            Some(gens.get(generation).name.clone()),
            "end of physical life".into(),
        );
    }
}

/// The money and lot totals the summary reports on.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct AccountChecks {
    /// Largest |sum of all balances| seen at the end of a tick, $.
    pub max_imbalance: f64,
    /// Largest balance-sheet scale (sum of |agent balances|) seen, $.
    pub max_scale: f64,
}

/// Phase 12: the ledger must balance (to rounding) and lots must be conserved.
pub fn check_accounts(
    clock: Res<Clock>,
    ledger: Res<Ledger>,
    fleet: Res<Fleet>,
    mut checks: ResMut<AccountChecks>,
    mut halt: ResMut<Halt>,
) {
    let imbalance = ledger.imbalance();
    let scale = ledger.scale().max(1.0);
    checks.max_imbalance = checks.max_imbalance.max(imbalance);
    checks.max_scale = checks.max_scale.max(scale);
    // A cent per million dollars of balance sheet is far above f64 rounding: beyond it, money leaked.
    if imbalance > scale * 1e-8 {
        halt.raise(InvalidState {
            tick: clock.tick,
            date: clock.today_str(),
            phase: Phase::Accounting.name(),
            agent: "ledger".into(),
            what: format!("balances sum to {imbalance:.4} on a balance sheet of {scale:.0}"),
        });
    }
    if let Err(what) = fleet.check_conservation() {
        halt.raise(InvalidState {
            tick: clock.tick,
            date: clock.today_str(),
            phase: Phase::Accounting.name(),
            agent: "fleet".into(),
            what,
        });
    }
}
