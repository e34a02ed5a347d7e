//! Running a world tick by tick.

use crate::answers::AnswerTracker;
use crate::firesales::FireSaleTracker;
use crate::guards::AccountChecks;
use crate::output::{OutputError, RunWriter};
use crate::rigs::RigIndex;
use crate::schedule::build_schedule;
use crate::summary::{Summary, SummaryInputs};
use bevy_ecs::prelude::*;
use firesale_core::{Clock, EventLog, Generations, Halt, InvalidState, Metrics};
use firesale_world::{WorldError, WorldFile, build_world, to_ron, weeks_to_ticks};
use std::path::{Path, PathBuf};

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The world could not be built.
    #[error(transparent)]
    World(#[from] WorldError),
    /// The schedule could not be built (e.g. two systems with no order between them).
    #[error("the tick schedule is invalid: {0}")]
    Schedule(String),
    /// The simulation reached an invalid state.
    #[error(transparent)]
    Invalid(#[from] InvalidState),
    /// Outputs could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A stop was requested (Ctrl-C or SIGTERM); nothing of the run was kept.
    #[error("interrupted at tick {tick} of {ticks}: the run's files were removed")]
    Interrupted {
        /// The tick about to run.
        tick: u32,
        /// Ticks in the run.
        ticks: u32,
    },
}

/// A world ready to run.
pub struct Simulation {
    world: World,
    schedule: Schedule,
    file: WorldFile,
    fire_sales: FireSaleTracker,
    answers: AnswerTracker,
    rigs: RigIndex,
    peak_yield: Option<f64>,
    plugins: Vec<String>,
}

impl Simulation {
    /// Builds the world and its schedule, with the plugins registered for the process
    /// (see [`crate::register_plugin`]); fails if the schedule has ambiguities.
    pub fn new(file: &WorldFile) -> Result<Self, RunError> {
        Self::with_plugins(file, &crate::registered_plugins())
    }

    /// Builds the world and its schedule with these plugins' agents and systems.
    pub fn with_plugins(
        file: &WorldFile,
        plugins: &[std::sync::Arc<dyn crate::SimPlugin>],
    ) -> Result<Self, RunError> {
        let mut world = build_world(file)?;
        for plugin in plugins {
            plugin.spawn(&mut world, file).map_err(|e| {
                RunError::World(firesale_world::invalid(
                    &format!("plugin {}", plugin.name()),
                    e,
                ))
            })?;
        }
        world.insert_resource(AccountChecks::default());
        let mut schedule = build_schedule();
        for plugin in plugins {
            plugin.systems(&mut schedule);
        }
        if let Err(e) = schedule.initialize(&mut world) {
            return Err(RunError::Schedule(e.to_string(schedule.graph(), &world)));
        }
        let measures = &file.measures;
        let fire_sales = FireSaleTracker::new(
            file.generations.len(),
            weeks_to_ticks(measures.peak_window_weeks, file.tick_days),
            measures.peak_min_lots,
        );
        Ok(Simulation {
            world,
            schedule,
            file: file.clone(),
            fire_sales,
            answers: AnswerTracker::default(),
            rigs: RigIndex::default(),
            peak_yield: None,
            plugins: plugins.iter().map(|p| p.name().to_string()).collect(),
        })
    }

    /// Times every step of every tick from now on (read the [`crate::StepTimes`]
    /// resource); outputs are unchanged.
    pub fn time_steps(&mut self) -> Result<(), RunError> {
        crate::timing::add_step_timing(&mut self.schedule, &mut self.world);
        match self.schedule.initialize(&mut self.world) {
            Ok(_) => Ok(()),
            Err(e) => Err(RunError::Schedule(
                e.to_string(self.schedule.graph(), &self.world),
            )),
        }
    }

    /// The world being simulated (for tests that inspect resources).
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The world being simulated, mutably (for tests that break it on purpose).
    pub fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// Runs one tick; returns this tick's events.
    pub fn step(&mut self, tick: u32) -> Result<Vec<firesale_core::Event>, RunError> {
        self.world.resource_mut::<Clock>().tick = tick;
        self.schedule.run(&mut self.world);
        if let Some(error) = self.world.resource_mut::<Halt>().error.take() {
            return Err(error.into());
        }
        let metrics = self.world.resource::<Metrics>();
        let clock = self.world.resource::<Clock>();
        let gens = self.world.resource::<Generations>();
        let exo = self.world.resource::<firesale_markets::Exogenous>();
        self.answers
            .observe(clock, metrics, exo.btc_return, exo.demand_return);
        self.fire_sales.observe(clock, gens, metrics);
        self.rigs.observe(clock, gens, metrics);
        if let Some(y) = self
            .world
            .resource::<firesale_structured::CapitalMetrics>()
            .new_issue_yield
        {
            self.peak_yield = Some(self.peak_yield.map_or(y, |p: f64| p.max(y)));
        }
        Ok(std::mem::take(
            &mut self.world.resource_mut::<EventLog>().events,
        ))
    }

    /// Runs every tick, writing outputs into `dir`; `on_tick` is called after each tick.
    pub fn run_to(self, dir: &Path, mut on_tick: impl FnMut(u32)) -> Result<Summary, RunError> {
        self.run_to_with(dir, |tick, _| on_tick(tick))
    }

    /// [`Simulation::run_to`], with the world shown to `on_tick` after each tick (for a
    /// benchmark counting the lots alive; it must not draw random numbers).
    pub fn run_to_with(
        mut self,
        dir: &Path,
        mut on_tick: impl FnMut(u32, &World),
    ) -> Result<Summary, RunError> {
        let has_rigs = self
            .world
            .resource::<Generations>()
            .list
            .iter()
            .any(|g| g.is_asic());
        // A run with plugins says so in its world.ron (a comment: the file still loads).
        let mut world_ron = to_ron(&self.file);
        if !self.plugins.is_empty() {
            world_ron = format!(
                "// Run with plugins: {} (agents and systems added by the binary that ran it).\n{world_ron}",
                self.plugins.join(", ")
            );
        }
        let has_capital = has_capital_markets(&self.file);
        let mut writer = RunWriter::create(dir, &world_ron, has_rigs, has_capital)?;
        // The previous tick's events, written while this tick runs: a worker that would
        // otherwise wait through the steps taken in agent order serializes them (the
        // file is the same, tick after tick, whoever writes it).
        let mut unwritten: Option<(u32, Vec<firesale_core::Event>)> = None;
        for tick in 0..self.file.ticks {
            if crate::interrupt::stop_requested() {
                writer.abandon();
                return Err(RunError::Interrupted {
                    tick,
                    ticks: self.file.ticks,
                });
            }
            let events_file = &mut writer.events;
            let (stepped, written) = rayon::join(
                || self.step(tick),
                || match unwritten.take() {
                    Some((tick, events)) => events_file.write(tick, &events),
                    None => Ok(()),
                },
            );
            written?;
            unwritten = Some((tick, stepped?));
            let world = &self.world;
            writer.record(
                world.resource::<Clock>(),
                world.resource::<Generations>(),
                world.resource::<Metrics>(),
                self.rigs.latest(),
                has_capital.then(|| world.resource::<firesale_structured::CapitalMetrics>()),
            )?;
            on_tick(tick, &self.world);
        }
        if let Some((tick, events)) = unwritten {
            writer.events.write(tick, &events)?;
        }
        let summary = self.summary();
        let json = serde_json::to_string_pretty(&summary).unwrap_or_default();
        writer.finish(&json)?;
        Ok(summary)
    }

    /// The rig price index so far (empty in a world without rigs).
    pub fn rig_index(&self) -> &RigIndex {
        &self.rigs
    }

    /// The summary of the run so far.
    pub fn summary(&self) -> Summary {
        let world = &self.world;
        Summary::from_inputs(SummaryInputs {
            file: &self.file,
            clock: world.resource::<Clock>(),
            metrics: world.resource::<Metrics>(),
            book: world.resource::<firesale_core::LoanBook>(),
            fleet: world.resource::<firesale_core::Fleet>(),
            gens: world.resource::<Generations>(),
            secondary: world.resource::<firesale_markets::SecondaryMarket>(),
            directory: world.resource::<firesale_core::Directory>(),
            checks: *world.resource::<AccountChecks>(),
            fire_sales: &self.fire_sales,
            answers: &self.answers,
            repossessions: &world.resource::<firesale_core::Repossessions>().list,
            rigs: &self.rigs,
            capital: has_capital_markets(&self.file).then(|| {
                (
                    world.resource::<firesale_structured::CapitalMetrics>(),
                    self.peak_yield,
                )
            }),
        })
    }
}

/// Whether a world has capital markets (some operator owes or sells notes, or a GPU ABS
/// runs): its runs
/// write `capital.csv` and the capital keys of `summary.json`.
pub fn has_capital_markets(file: &WorldFile) -> bool {
    file.operators
        .iter()
        .any(|o| o.count > 0 && o.notes.is_some())
        || !file.abs.is_empty()
}

/// The default output directory of a run: `output/<world>/seed-<seed>/`.
pub fn default_output_dir(file: &WorldFile) -> PathBuf {
    PathBuf::from("output")
        .join(&file.name)
        .join(format!("seed-{}", file.seed))
}

/// Runs a world into `dir` and returns its summary (on a worker of the global thread
/// pool: see [`on_worker`]).
pub fn run_world(
    file: &WorldFile,
    dir: &Path,
    on_tick: impl FnMut(u32) + Send,
) -> Result<Summary, RunError> {
    on_worker(|| Simulation::new(file)?.run_to(dir, on_tick))
}

/// Runs `work` on a worker of rayon's global pool while the calling thread waits (inline
/// when called from a worker, as in an ensemble).
///
/// Why: a run alternates, thousands of times, between steps taken in agent order and
/// steps split over all cores. Run from a thread outside the pool, every split hands all
/// its work to the pool's workers, waking them, and puts the run's thread to sleep until
/// they finish; the steps in order then run on a third thread, away from the caches the
/// workers filled. Run on a worker, the run's thread takes its share of every split at
/// once, in its own caches (planet on two cores: 12.7-13.6 s against 15.2-15.6 s). What
/// runs on which thread never changes an output.
pub fn on_worker<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| work())
}
