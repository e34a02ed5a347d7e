//! Running the runs of a plan on a pool of threads, each run streaming to its own
//! directory. Nothing here feeds an aggregate: aggregates are read back from the run
//! directories in plan order (see `aggregate`), so the thread count and the order in
//! which runs finish cannot change a byte of them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use firesale_sim::{interrupt, run_world};
use rayon::prelude::*;

use crate::plan::{Plan, PlannedRun, Study, is_complete};
use crate::{EnsembleError, Shard, remove_aggregates};

/// How to run a plan.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Worker threads (default: one per core).
    pub jobs: Option<usize>,
    /// The slice of the plan to run.
    pub shard: Shard,
    /// Keep runs whose directory already has `summary.json`.
    pub resume: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: None,
            shard: Shard::ALL,
            resume: false,
        }
    }
}

/// A plan laid out on disk, with the runs still to do.
pub struct Batch<'s> {
    study: &'s Study,
    out: PathBuf,
    pending: Vec<usize>,
    kept: usize,
    jobs: usize,
    shard: Shard,
}

/// What one finished run reports to the progress callback.
#[derive(Debug, Clone)]
pub struct RunDone {
    /// Run index.
    pub index: usize,
    /// Its seed.
    pub seed: u64,
    /// Whether it completed (a failure is reported at the end of the batch).
    pub ok: bool,
}

/// What a batch did.
#[derive(Debug, Clone, Copy)]
pub struct BatchStats {
    /// Runs simulated by this call.
    pub ran: usize,
    /// Runs of this slice found complete and kept (`--resume`).
    pub kept: usize,
    /// Wall-clock seconds spent running.
    pub seconds: f64,
}

impl Study {
    /// Writes `plan.json` into `out` and finds the runs to do. With `resume`, an existing
    /// plan must be the same one, and complete runs are kept; otherwise every run of the
    /// slice is redone. Stale aggregates are removed so that a half-done directory never
    /// holds a complete-looking `ensemble.csv`.
    pub fn prepare(&self, out: &Path, options: RunOptions) -> Result<Batch<'_>, EnsembleError> {
        let jobs = match options.jobs {
            Some(0) => return Err(EnsembleError::Arguments("--jobs must be at least 1".into())),
            Some(j) => j,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        std::fs::create_dir_all(out).map_err(EnsembleError::io(out))?;
        if options.resume
            && let Some(existing) = Plan::read(out)?
        {
            existing.check_same(&self.plan, out)?;
        }
        self.plan.write(out)?;
        remove_aggregates(out)?;
        let mine: Vec<&PlannedRun> = self
            .plan
            .runs
            .iter()
            .filter(|r| options.shard.contains(r.index))
            .collect();
        let (kept, pending): (Vec<&PlannedRun>, Vec<&PlannedRun>) = mine
            .into_iter()
            .partition(|r| options.resume && is_complete(&out.join(&r.dir)));
        Ok(Batch {
            study: self,
            out: out.to_path_buf(),
            pending: pending.iter().map(|r| r.index).collect(),
            kept: kept.len(),
            jobs,
            shard: options.shard,
        })
    }
}

impl Batch<'_> {
    /// Runs still to do.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Runs of the slice already complete and kept.
    pub fn kept(&self) -> usize {
        self.kept
    }

    /// Worker threads.
    pub fn jobs(&self) -> usize {
        self.jobs
    }

    /// Runs every pending run on `jobs` threads, calling `on_done` as each finishes (from
    /// the worker thread). A failed run does not stop the others; the failures are
    /// returned together, in run order, and their directories stay incomplete.
    pub fn run(self, on_done: impl Fn(&RunDone) + Sync) -> Result<BatchStats, EnsembleError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.jobs)
            .thread_name(|i| format!("firesale-run-{i}"))
            .build()
            .map_err(|e| EnsembleError::Threads {
                jobs: self.jobs,
                message: e.to_string(),
            })?;
        let started = Instant::now();
        let results: Vec<Result<(), String>> = pool.install(|| {
            self.pending
                .par_iter()
                .with_max_len(1)
                .map(|&index| {
                    let run = &self.study.plan.runs[index];
                    if interrupt::stop_requested() {
                        return Err(String::new());
                    }
                    let result = self.run_one(run);
                    on_done(&RunDone {
                        index,
                        seed: run.seed,
                        ok: result.is_ok(),
                    });
                    result.map_err(|e| format!("  {}: {e}", run.dir))
                })
                .collect()
        });
        if interrupt::stop_requested() {
            let slice: Vec<&PlannedRun> = self
                .study
                .plan
                .runs
                .iter()
                .filter(|r| self.shard.contains(r.index))
                .collect();
            return Err(EnsembleError::Interrupted {
                complete: slice
                    .iter()
                    .filter(|r| is_complete(&self.out.join(&r.dir)))
                    .count(),
                total: slice.len(),
                out: self.out.clone(),
            });
        }
        let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
        if !failures.is_empty() {
            return Err(EnsembleError::RunsFailed { failures });
        }
        Ok(BatchStats {
            ran: self.pending.len(),
            kept: self.kept,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// One run from scratch: whatever an interrupted attempt left is removed first.
    fn run_one(&self, run: &PlannedRun) -> Result<(), String> {
        let dir = self.out.join(&run.dir);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear it: {e}"))?;
        }
        match run_world(&self.study.world_of(run), &dir, |_| {}) {
            Ok(_) => Ok(()),
            Err(e @ firesale_sim::RunError::Interrupted { .. }) => {
                // Nothing of an interrupted run is kept: it is redone on --resume.
                let _ = std::fs::remove_dir_all(&dir);
                Err(e.to_string())
            }
            Err(e) => Err(e.to_string()),
        }
    }
}
