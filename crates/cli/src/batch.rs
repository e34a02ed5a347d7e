//! `firesale ensemble`, `firesale sweep` and `firesale merge`: many runs on all cores,
//! or a slice of them on one node of a cluster, aggregated from disk.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use firesale_ensemble::{
    Aggregates, EnsembleError, Kind, RunOptions, Shard, Study, StudyArgs, Vary, merge,
    write_aggregates,
};
use indicatif::{ProgressBar, ProgressStyle};

/// What `ensemble` and `sweep` share.
#[derive(Args, Debug)]
pub struct BatchArgs {
    /// World file, or the name of a world in worlds/.
    pub world: String,
    /// Number of seeds (for a sweep: seeds at each point).
    #[arg(long)]
    pub runs: usize,
    /// Base seed the run seeds derive from (default: the world's seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of ticks (overrides the world's).
    #[arg(long)]
    pub ticks: Option<u32>,
    /// Worker threads (default: one per core); the outputs do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Output directory (default output/<world>/ensemble-<seed>-n<runs>/ or
    /// output/<world>/sweep-<seed>-n<runs>-<hash>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override any world field in every run: path.to.field=VALUE (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Run only the K-th of M slices (e.g. a job array task), then `firesale merge`.
    #[arg(long, value_name = "K/M")]
    pub shard: Option<String>,
    /// Keep the runs already complete in the output directory.
    #[arg(long)]
    pub resume: bool,
    /// No progress bar and no table.
    #[arg(long)]
    pub quiet: bool,
    /// Most memory one run may be estimated to need (e.g. 8GiB, 500MB).
    #[arg(long, value_name = "SIZE", value_parser = crate::parse_memory, default_value = "4GiB")]
    pub max_memory: u64,
}

/// `firesale sweep`.
#[derive(Args, Debug)]
pub struct SweepArgs {
    /// World, runs, seed and the rest.
    #[command(flatten)]
    pub batch: BatchArgs,
    /// A field and its values: path=a:b:steps (steps values from a to b) or path=v1,v2,...
    /// (repeatable; the grid of all combinations, first field slowest).
    #[arg(long = "vary", value_name = "PATH=VALUES", required = true)]
    pub vary: Vec<String>,
    /// Pair the i-th values of every --vary instead of crossing them.
    #[arg(long)]
    pub paired: bool,
}

/// `firesale merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Output directories of the shards (each holds the same plan.json).
    #[arg(required = true, num_args = 1..)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged output (default: the first directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No table.
    #[arg(long)]
    pub quiet: bool,
}

/// Exit code of an error: 2 for bad input, 1 for a failure.
fn fail(e: &EnsembleError) -> ExitCode {
    if let EnsembleError::Interrupted { .. } = e {
        return crate::signals::interrupted(&e.to_string());
    }
    eprintln!("error: {e}");
    if e.is_bad_input() {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}

/// `firesale ensemble`.
pub fn ensemble(args: BatchArgs) -> ExitCode {
    run_batch(Kind::Ensemble, args, Vec::new(), false)
}

/// `firesale sweep`.
pub fn sweep(args: SweepArgs) -> ExitCode {
    run_batch(Kind::Sweep, args.batch, args.vary, args.paired)
}

fn run_batch(kind: Kind, args: BatchArgs, vary: Vec<String>, paired: bool) -> ExitCode {
    match run_batch_inner(kind, args, vary, paired) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn run_batch_inner(
    kind: Kind,
    args: BatchArgs,
    vary: Vec<String>,
    paired: bool,
) -> Result<ExitCode, EnsembleError> {
    let shard: Shard = match &args.shard {
        Some(spec) => spec.parse()?,
        None => Shard::ALL,
    };
    let varied = vary
        .iter()
        .map(|v| v.parse::<Vary>())
        .collect::<Result<Vec<_>, _>>()?;
    let study = Study::new(
        kind,
        &StudyArgs {
            world: args.world.clone(),
            runs: args.runs,
            seed: args.seed,
            ticks: args.ticks,
            sets: args.sets.clone(),
            varied,
            paired,
            limits: firesale_world::Limits {
                max_memory: args.max_memory,
            },
        },
    )?;
    let plan = &study.plan;
    let out = args.out.clone().unwrap_or_else(|| plan.default_out_dir());
    if let Err(message) = crate::commands::writable_dir(&out) {
        return Ok(crate::commands::bad_out(&message));
    }
    let options = RunOptions {
        jobs: args.jobs,
        shard,
        resume: args.resume,
    };
    let batch = study.prepare(&out, options)?;
    if !args.quiet {
        let what = match kind {
            Kind::Ensemble => format!("ensemble of {}: {} runs", plan.world, plan.runs.len()),
            Kind::Sweep => format!(
                "sweep of {}: {} points x {} seeds = {} runs",
                plan.world,
                plan.points.len(),
                plan.runs_per_point,
                plan.runs.len()
            ),
        };
        eprintln!(
            "firesale: {what}, {} ticks, seeds from base {} (SplitMix64) -> {}",
            plan.ticks,
            plan.base_seed,
            out.display()
        );
        let slice = if shard.is_all() {
            String::new()
        } else {
            format!("shard {shard}: ")
        };
        let kept = if batch.kept() > 0 {
            format!(", {} complete runs kept", batch.kept())
        } else {
            String::new()
        };
        eprintln!(
            "  {slice}{} runs to do on {} threads{kept}",
            batch.pending(),
            batch.jobs()
        );
    }
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(batch.pending() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} runs  {per_sec}  ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let result = batch.run(|_| bar.inc(1));
    bar.finish_and_clear();
    let stats = result?;
    if !args.quiet && stats.ran > 0 {
        println!(
            "  ran {} runs in {:.1} s ({:.2} runs/s)",
            stats.ran,
            stats.seconds,
            stats.ran as f64 / stats.seconds.max(1e-9)
        );
    }
    if !shard.is_all() {
        if !args.quiet {
            println!(
                "  shard {shard} complete in {}; when every shard is done: firesale merge DIR...",
                out.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let aggregates = write_aggregates(&out)?;
    if !args.quiet {
        print_aggregates(&aggregates, &out);
    }
    Ok(ExitCode::SUCCESS)
}

/// `firesale merge`.
pub fn merge_shards(args: MergeArgs) -> ExitCode {
    if let Some(out) = &args.out
        && let Err(message) = crate::commands::writable_dir(out)
    {
        return crate::commands::bad_out(&message);
    }
    match merge(&args.dirs, args.out.as_deref()) {
        Ok(merged) => {
            if !args.quiet {
                println!(
                    "merged {} shard directories ({} run directories copied)",
                    args.dirs.len(),
                    merged.copied
                );
                print_aggregates(&merged.aggregates, &merged.out);
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

/// The distribution of each headline figure across runs, and where the files are.
fn print_aggregates(aggregates: &Aggregates, out: &std::path::Path) {
    println!(
        "  {:<28} {:>5} {:>10} {:>10} {:>10}",
        "across runs", "runs", "p5", "median", "p95"
    );
    for (h, band) in &aggregates.headline {
        let Some(b) = band else {
            println!("  {:<28} {:>5}", h.key, 0);
            continue;
        };
        let show = |v: f64| {
            if h.percent {
                format!("{:.1}%", v * 100.0)
            } else {
                compact(v)
            }
        };
        println!(
            "  {:<28} {:>5} {:>10} {:>10} {:>10}",
            h.key,
            b.n,
            show(b.q[0]),
            show(b.q[2]),
            show(b.q[4])
        );
    }
    let charts = aggregates
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "png"))
        .count();
    let tables: Vec<String> = aggregates
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "csv"))
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    println!(
        "  {} and {charts} charts (PNG + SVG) in {}",
        tables.join(", "),
        out.display()
    );
}

/// A number in a few characters: 1.2B, 3.4M, 1234, 0.123.
fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.2}B", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}
