//! The plan of an ensemble or sweep: every run, its seed, its point of the sweep and its
//! directory, decided before anything runs and written as `plan.json`. Shards and
//! merges compare plans, so a plan holds nothing that depends on the machine (no paths,
//! no thread counts, no shard).

use std::path::{Path, PathBuf};

use firesale_world::{Limits, WorldError, WorldFile, load_within, to_ron};
use serde::{Deserialize, Serialize};

use crate::seeds::{SEED_RULE, replicate_seed};
use crate::vary::{Vary, points};
use crate::{EnsembleError, write_atomic};

/// Name of the plan file in an output directory.
pub const PLAN_FILE: &str = "plan.json";

/// What a plan aggregates into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Seeds of one world: `ensemble.csv`, `summaries.csv`, fan charts.
    Ensemble,
    /// Seeds at each point of a sweep: `sweep.csv`, sweep charts.
    Sweep,
}

/// One point of a sweep (an ensemble has one point with no values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// One value per varied field, in `--vary` order.
    pub values: Vec<String>,
    /// FNV-1a 64 of the resolved world at this point (with the base seed), so that a
    /// resume or merge notices a world file edited between runs.
    pub world_digest: String,
}

/// One run of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedRun {
    /// Position in the plan, from 0: aggregates are written in this order.
    pub index: usize,
    /// Point of the sweep (0 for an ensemble).
    pub point: usize,
    /// Replicate at that point, from 0; its seed is `replicate_seed(base_seed, replicate)`.
    pub replicate: usize,
    /// The run's master seed.
    pub seed: u64,
    /// Its directory, relative to the output directory.
    pub dir: String,
}

/// Everything that decides the outputs of an ensemble or sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Ensemble or sweep.
    pub kind: Kind,
    /// World name.
    pub world: String,
    /// Base seed the run seeds derive from.
    pub base_seed: u64,
    /// How they derive from it.
    pub seed_rule: String,
    /// Seeds per point.
    pub runs_per_point: usize,
    /// Ticks per run.
    pub ticks: u32,
    /// `--set` overrides applied to every run (before the varied fields).
    pub sets: Vec<String>,
    /// Varied fields (empty for an ensemble).
    pub varied: Vec<Vary>,
    /// Whether the varied values are paired rather than crossed.
    pub paired: bool,
    /// GPU generations, in the world's order: the per-generation series of `ensemble.csv`.
    pub generations: Vec<String>,
    /// The points of the sweep.
    pub points: Vec<Point>,
    /// Every run, by index.
    pub runs: Vec<PlannedRun>,
}

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct StudyArgs {
    /// World file or name.
    pub world: String,
    /// Seeds per point (at least 1).
    pub runs: usize,
    /// Base seed (default: the world's seed).
    pub seed: Option<u64>,
    /// Ticks (default: the world's).
    pub ticks: Option<u32>,
    /// `--set` overrides.
    pub sets: Vec<String>,
    /// `--vary` fields (none for an ensemble).
    pub varied: Vec<Vary>,
    /// `--paired`.
    pub paired: bool,
    /// What one run may cost (`--max-memory`).
    pub limits: Limits,
}

/// A plan with the resolved world of each point, ready to run.
#[derive(Debug, Clone)]
pub struct Study {
    /// The plan.
    pub plan: Plan,
    /// The world at each point, with the base seed (each run sets its own).
    pub worlds: Vec<WorldFile>,
}

impl Study {
    /// Loads and validates the world at every point (a bad field or value fails here,
    /// before anything runs) and lays out the runs: run `point · runs + r` is replicate
    /// `r` of the point, with the same seed at every point (common random numbers).
    pub fn new(kind: Kind, args: &StudyArgs) -> Result<Study, EnsembleError> {
        if args.runs == 0 {
            return Err(EnsembleError::Arguments("--runs must be at least 1".into()));
        }
        if kind == Kind::Sweep && args.varied.is_empty() {
            return Err(EnsembleError::Arguments(
                "a sweep needs at least one --vary path.to.field=VALUES".into(),
            ));
        }
        let (_, base) = load_within(&args.world, args.seed, args.ticks, &args.sets, &args.limits)?;
        let base_seed = base.seed;
        let mut worlds = Vec::new();
        let mut plan_points = Vec::new();
        for values in points(&args.varied, args.paired)? {
            let varied_sets: Vec<String> = args
                .varied
                .iter()
                .zip(&values)
                .map(|(v, value)| format!("{}={value}", v.path))
                .collect();
            let sets = [args.sets.clone(), varied_sets.clone()].concat();
            let (_, world) = load_within(
                &args.world,
                Some(base_seed),
                args.ticks,
                &sets,
                &args.limits,
            )
            .map_err(|e| blame_vary(e, &varied_sets))?;
            plan_points.push(Point {
                values,
                world_digest: world_digest(&world),
            });
            worlds.push(world);
        }
        let total = plan_points.len() * args.runs;
        let width = total.saturating_sub(1).to_string().len().max(4);
        let runs = (0..total)
            .map(|index| {
                let (point, replicate) = (index / args.runs, index % args.runs);
                let seed = replicate_seed(base_seed, replicate as u64);
                PlannedRun {
                    index,
                    point,
                    replicate,
                    seed,
                    dir: format!("runs/run-{index:0width$}-seed-{seed}"),
                }
            })
            .collect();
        let plan = Plan {
            kind,
            world: base.name.clone(),
            base_seed,
            seed_rule: SEED_RULE.to_string(),
            runs_per_point: args.runs,
            ticks: base.ticks,
            sets: args.sets.clone(),
            varied: args.varied.clone(),
            paired: args.paired,
            generations: base.generations.iter().map(|g| g.name.clone()).collect(),
            points: plan_points,
            runs,
        };
        Ok(Study { plan, worlds })
    }

    /// The world of one run: its point's world with its own seed.
    pub fn world_of(&self, run: &PlannedRun) -> WorldFile {
        let mut world = self.worlds[run.point].clone();
        world.seed = run.seed;
        world
    }
}

impl Plan {
    /// The default output directory: `output/<world>/ensemble-<base>-n<N>/`, or for a
    /// sweep `output/<world>/sweep-<base>-n<N>-<8 hex digits of the varied values>/`.
    pub fn default_out_dir(&self) -> PathBuf {
        let name = match self.kind {
            Kind::Ensemble => format!("ensemble-{}-n{}", self.base_seed, self.runs_per_point),
            Kind::Sweep => {
                let spec = serde_json::to_string(&(&self.varied, self.paired)).unwrap_or_default();
                format!(
                    "sweep-{}-n{}-{:08x}",
                    self.base_seed,
                    self.runs_per_point,
                    fnv1a64(spec.as_bytes()) as u32
                )
            }
        };
        PathBuf::from("output").join(&self.world).join(name)
    }

    /// Reads `plan.json` from `dir`, if there is one.
    pub fn read(dir: &Path) -> Result<Option<Plan>, EnsembleError> {
        let path = dir.join(PLAN_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(EnsembleError::io(&path)(e)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| EnsembleError::BadFile {
                path,
                message: format!("not a plan: {e}"),
            })
    }

    /// Writes `plan.json` into `dir` atomically (shards sharing a directory may write it
    /// at the same time; they write the same bytes).
    pub fn write(&self, dir: &Path) -> Result<(), EnsembleError> {
        let text = serde_json::to_string_pretty(self).unwrap_or_default() + "\n";
        write_atomic(&dir.join(PLAN_FILE), text.as_bytes())
    }

    /// The first top-level field in which two plans differ, for error messages.
    pub fn first_difference(&self, other: &Plan) -> Option<String> {
        let (a, b) = (
            serde_json::to_value(self).ok()?,
            serde_json::to_value(other).ok()?,
        );
        let (a, b) = (a.as_object()?, b.as_object()?);
        a.iter()
            .find(|(k, v)| b.get(*k) != Some(v))
            .map(|(k, _)| k.clone())
    }

    /// Fails with [`EnsembleError::PlanMismatch`] unless `other` is the same plan.
    pub fn check_same(&self, other: &Plan, dir: &Path) -> Result<(), EnsembleError> {
        if self == other {
            return Ok(());
        }
        Err(EnsembleError::PlanMismatch {
            dir: dir.to_path_buf(),
            what: self.first_difference(other).unwrap_or_else(|| "?".into()),
        })
    }
}

/// A world error at a sweep point, told as the `--vary` value that caused it (the base
/// world with the `--set`s alone loaded fine).
fn blame_vary(e: WorldError, varied_sets: &[String]) -> EnsembleError {
    match e {
        WorldError::Override { arg, message } if varied_sets.contains(&arg) => {
            EnsembleError::Vary { spec: arg, message }
        }
        other => EnsembleError::Vary {
            spec: varied_sets.join(" "),
            message: other.to_string(),
        },
    }
}

/// Whether a run directory holds a complete run (`summary.json` is renamed into place
/// last, see docs/outputs.md).
pub fn is_complete(run_dir: &Path) -> bool {
    run_dir.join("summary.json").is_file()
}

/// FNV-1a, 64 bits: a stable digest (std's hashers are not promised stable).
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A digest of a world as run: its RON text, the replayed series' values when it
/// replays any, and the plugins registered for the process when there are any (so
/// `--resume` never keeps runs of other data or of other agents).
fn world_digest(world: &WorldFile) -> String {
    let mut text = to_ron(world);
    if world.replays != Default::default() {
        text.push_str(&format!("{:?}", world.replays));
    }
    for plugin in firesale_sim::registered_plugins() {
        text.push_str(&format!("\nplugin {}", plugin.name()));
    }
    format!("{:016x}", fnv1a64(text.as_bytes()))
}
