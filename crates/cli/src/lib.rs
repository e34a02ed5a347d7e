//! The `firesale` command: `run`, `check`, `list`, `plot`, `compare`.
//!
//! Exit codes: 0 success, 1 a run or plot failed, 2 bad input (world file, override,
//! arguments).
#![warn(missing_docs)]

mod batch;
mod bench;
mod commands;
mod report;
mod signals;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Agent-based simulation of the AI-compute credit crisis.
#[derive(Parser, Debug)]
#[command(name = "firesale", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a world and write its outputs (and plots).
    Run {
        /// World file, or the name of a world in worlds/.
        world: String,
        /// Master seed (overrides the world's).
        #[arg(long)]
        seed: Option<u64>,
        /// Number of ticks (overrides the world's).
        #[arg(long)]
        ticks: Option<u32>,
        /// Output directory (default output/<world>/seed-<N>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override any world field: path.to.field=VALUE (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// No progress bar and no summary table.
        #[arg(long)]
        quiet: bool,
        /// Do not draw plots.
        #[arg(long)]
        no_plots: bool,
        /// Most memory the run may be estimated to need (e.g. 8GiB, 500MB).
        #[arg(long, value_name = "SIZE", value_parser = parse_memory, default_value = "4GiB")]
        max_memory: u64,
    },
    /// Validate a world without running it.
    Check {
        /// World file, or the name of a world in worlds/.
        world: String,
        /// Override any world field: path.to.field=VALUE (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Most memory a run may be estimated to need (e.g. 8GiB, 500MB).
        #[arg(long, value_name = "SIZE", value_parser = parse_memory, default_value = "4GiB")]
        max_memory: u64,
    },
    /// List the shipped worlds.
    List,
    /// List every registered decision rule: its family, parameters and what it does.
    Rules,
    /// Redraw a run's plots from its CSV files.
    Plot {
        /// Run directory.
        run_dir: PathBuf,
        /// Observed data to overlay (CSV: date,series,value; a series is a timeseries.csv
        /// column, or `column/generation` of generations.csv); prints fit figures.
        #[arg(long)]
        observed: Option<PathBuf>,
    },
    /// Overlay several runs (run directories, or worlds run with the same seed).
    Compare {
        /// Run directories or worlds.
        #[arg(num_args = 2.., required = true)]
        runs: Vec<String>,
        /// Seed for worlds given by name.
        #[arg(long)]
        seed: Option<u64>,
        /// Where to write the comparison (default output/compare/<a>-vs-<b>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Observed data to overlay on every run (CSV: date,series,value); prints fit
        /// figures per run.
        #[arg(long)]
        observed: Option<PathBuf>,
    },
    /// Run many seeds of a world in parallel; per-tick quantiles, summaries, fan charts.
    Ensemble(batch::BatchArgs),
    /// Sweep world fields over values, many seeds each; sweep.csv and charts.
    Sweep(batch::SweepArgs),
    /// Combine the shards of an ensemble or sweep into what one machine would write.
    Merge(batch::MergeArgs),
    /// Measure speed and memory: a world (planet by default) at several scales, each in
    /// its own process; lot-ticks per second, wall time, peak memory, growth exponent.
    Bench(bench::BenchArgs),
    /// One size of `bench` (run by `bench` itself).
    #[command(hide = true)]
    BenchOne(bench::BenchOneArgs),
}

/// `--max-memory`: a size in bytes, with an optional unit.
pub(crate) fn parse_memory(text: &str) -> Result<u64, String> {
    firesale_world::Limits::parse_memory(text)
}

/// Entry point of the `firesale` binary.
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// The `firesale` command with these arguments (the first is the program name). A
/// researcher's binary registers its own rules, then calls this: the whole CLI runs
/// with them (see `examples/custom_rule.rs`).
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    signals::install();
    signals::finish(commands::dispatch(cli.command))
}
