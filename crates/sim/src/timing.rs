//! Wall time by step of the tick, for `firesale bench --by-step`: where a run's time
//! goes, measured in the run itself rather than guessed from a profiler. A stamp system
//! sits between every two steps; it reads the clock and nothing else, so timing a run
//! changes none of its outputs.

use bevy_ecs::prelude::*;
use firesale_core::Step;
use std::time::Instant;

/// Seconds spent in each step so far, in [`Step::ALL`] order.
#[derive(Resource, Debug, Clone, Default)]
pub struct StepTimes {
    /// When the step now running began.
    started: Option<Instant>,
    /// Seconds per step, in [`Step::ALL`] order.
    pub seconds: Vec<f64>,
}

impl StepTimes {
    /// (step name, seconds), in execution order.
    pub fn by_step(&self) -> Vec<(String, f64)> {
        Step::ALL
            .iter()
            .zip(&self.seconds)
            .map(|((step, _), s)| (format!("{step:?}"), *s))
            .collect()
    }

    fn begin(&mut self) {
        self.seconds.resize(Step::ALL.len(), 0.0);
        self.started = Some(Instant::now());
    }

    fn end(&mut self, step: usize) {
        let now = Instant::now();
        if let Some(started) = self.started {
            self.seconds[step] += now.duration_since(started).as_secs_f64();
        }
        self.started = Some(now);
    }
}

/// Adds the stamp systems to a tick schedule and the [`StepTimes`] they fill to `world`.
pub(crate) fn add_step_timing(schedule: &mut Schedule, world: &mut World) {
    world.insert_resource(StepTimes::default());
    let steps: Vec<Step> = Step::ALL.iter().map(|(step, _)| *step).collect();
    schedule.add_systems((|mut times: ResMut<StepTimes>| times.begin()).before(steps[0]));
    for (i, step) in steps.iter().enumerate() {
        let stamp = move |mut times: ResMut<StepTimes>| times.end(i);
        match steps.get(i + 1) {
            Some(next) => schedule.add_systems(stamp.after(*step).before(*next)),
            None => schedule.add_systems(stamp.after(*step)),
        };
    }
}
