//! Wall and CPU time by step of the tick, for `firesale bench --by-step`: where a run's
//! time goes, measured in the run itself rather than guessed from a profiler. A stamp
//! system sits between every two steps; it reads the clocks and nothing else, so timing a
//! run changes none of its outputs.
//!
//! CPU time is the whole process's, all threads: over a step it says how many cores the
//! step kept busy (CPU over wall), which is where a 2-core machine's second core idles.
//! The writer of the previous tick's events runs beside the next tick's steps, so its
//! CPU time falls into whichever steps it overlaps.

use bevy_ecs::prelude::*;
use firesale_core::Step;
use std::time::Instant;

/// The time one step took, summed over the run.
#[derive(Debug, Clone, PartialEq)]
pub struct StepTime {
    /// The step's name.
    pub step: String,
    /// Wall time, s.
    pub seconds: f64,
    /// CPU time of the whole process over the same spans, s (0 where the system does
    /// not say).
    pub cpu_seconds: f64,
}

/// Seconds spent in each step so far, in [`Step::ALL`] order.
#[derive(Resource, Debug, Clone, Default)]
pub struct StepTimes {
    /// When the step now running began: wall clock and process CPU time, s.
    started: Option<(Instant, f64)>,
    /// Wall seconds per step, in [`Step::ALL`] order.
    pub seconds: Vec<f64>,
    /// CPU seconds per step, in [`Step::ALL`] order.
    pub cpu_seconds: Vec<f64>,
}

impl StepTimes {
    /// Each step's times, in execution order.
    pub fn by_step(&self) -> Vec<StepTime> {
        Step::ALL
            .iter()
            .zip(self.seconds.iter().zip(&self.cpu_seconds))
            .map(|((step, _), (&seconds, &cpu_seconds))| StepTime {
                step: format!("{step:?}"),
                seconds,
                cpu_seconds,
            })
            .collect()
    }

    fn begin(&mut self) {
        self.seconds.resize(Step::ALL.len(), 0.0);
        self.cpu_seconds.resize(Step::ALL.len(), 0.0);
        self.started = Some((Instant::now(), process_cpu_seconds()));
    }

    fn end(&mut self, step: usize) {
        let now = (Instant::now(), process_cpu_seconds());
        if let Some((wall, cpu)) = self.started {
            self.seconds[step] += now.0.duration_since(wall).as_secs_f64();
            self.cpu_seconds[step] += (now.1 - cpu).max(0.0);
        }
        self.started = Some(now);
    }
}

/// CPU time the process has used so far, all threads, s: the kernel's precise per-process
/// clock (`getrusage` rounds to the scheduler's accounting). 0 where there is none.
fn process_cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: clock_gettime only writes the struct it is given.
        let mut now: libc::timespec = unsafe { std::mem::zeroed() };
        if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) } == 0 {
            return now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9;
        }
    }
    0.0
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

#[cfg(test)]
mod tests {
    use super::process_cpu_seconds;

    #[test]
    fn the_process_cpu_clock_counts_work_done() {
        let before = process_cpu_seconds();
        // 20 ms of wall time busy with arithmetic the optimiser cannot drop: the thread
        // runs for some of it however busy the machine is. (Other tests' threads share
        // the process clock, so only a lower bound holds.)
        let mut x = 1u64;
        let started = std::time::Instant::now();
        while started.elapsed().as_millis() < 20 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let spent = process_cpu_seconds() - before;
        assert!(before > 0.0, "the clock reads {before} s");
        assert!(
            spent > 0.0 && spent.is_finite(),
            "{spent} s for 20 ms of work"
        );
    }
}
