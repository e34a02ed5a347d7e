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
    // A lot is scrapped once its age reaches its generation's physical life: the
    // fleet hands over the live lots built at or before the last tick that qualifies.
    let mut old: Vec<LotId> = Vec::new();
    let tick = clock.tick as i32;
    for generation in gens.ids() {
        let life = gens.get(generation).max_age_years;
        let due =
            |built: i32| f64::from((tick - built).max(0) as u32) * clock.years_per_tick() >= life;
        // The last build tick that is due (every earlier one is too: ages only grow).
        let mut built_by = tick - (life / clock.years_per_tick()).floor() as i32;
        while built_by < tick && due(built_by + 1) {
            built_by += 1;
        }
        while !due(built_by) {
            built_by -= 1;
        }
        old.extend(fleet.built_by(generation, built_by));
    }
    old.sort_unstable();
    let old: Vec<(LotId, AgentId, GenId)> = old
        .into_iter()
        .map(|id| {
            let lot = fleet.get(id);
            (id, lot.owner(), lot.generation)
        })
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

/// Ticks between two full checks of the fleet (every lot against the indexes and counts).
/// Not a behaviour parameter: it changes only how soon a bug is caught, never an output.
const FULL_CHECK_TICKS: u32 = 52;

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
    // The counts every tick; every lot against them once a year of weekly ticks and at
    // the end (tests run the full check every tick).
    let full = clock.tick.is_multiple_of(FULL_CHECK_TICKS) || clock.tick + 1 == clock.ticks;
    let checked = if full {
        fleet.check_conservation_full()
    } else {
        fleet.check_conservation()
    };
    if let Err(what) = checked {
        halt.raise(InvalidState {
            tick: clock.tick,
            date: clock.today_str(),
            phase: Phase::Accounting.name(),
            agent: "fleet".into(),
            what,
        });
    }
}
