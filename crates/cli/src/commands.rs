//! What each subcommand does.

use crate::Command;
use crate::report::print_summary;
use firesale_sim::{RunError, default_output_dir, run_world};
use firesale_world::{WorldError, load, shipped_worlds_dir};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Runs a subcommand and maps its outcome to an exit code.
pub fn dispatch(command: Command) -> ExitCode {
    match command {
        Command::Run {
            world,
            seed,
            ticks,
            out,
            sets,
            quiet,
            no_plots,
        } => run(&world, seed, ticks, out, &sets, quiet, no_plots),
        Command::Check { world, sets } => match load(&world, None, None, &sets) {
            Ok((file, w)) => {
                println!(
                    "{}: ok ({} ticks from {}, seed {}, {} generations)",
                    file.display(),
                    w.ticks,
                    w.start,
                    w.seed,
                    w.generations.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => bad_input(&e),
        },
        Command::List => list(),
        Command::Plot { run_dir } => plot(&run_dir, false),
        Command::Compare { runs, seed, out } => compare(&runs, seed, out),
        Command::Ensemble(args) => crate::batch::ensemble(args),
        Command::Sweep(args) => crate::batch::sweep(args),
        Command::Merge(args) => crate::batch::merge_shards(args),
    }
}

fn bad_input(e: &WorldError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

fn run(
    world: &str,
    seed: Option<u64>,
    ticks: Option<u32>,
    out: Option<PathBuf>,
    sets: &[String],
    quiet: bool,
    no_plots: bool,
) -> ExitCode {
    let (file, w) = match load(world, seed, ticks, sets) {
        Ok(loaded) => loaded,
        Err(e) => return bad_input(&e),
    };
    let dir = out.unwrap_or_else(|| default_output_dir(&w));
    if !quiet {
        eprintln!(
            "firesale: world {} ({}), seed {}, {} ticks -> {}",
            w.name,
            file.display(),
            w.seed,
            w.ticks,
            dir.display()
        );
    }
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(u64::from(w.ticks))
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} ticks  ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let result = run_world(&w, &dir, |_| bar.inc(1));
    bar.finish_and_clear();
    let summary = match result {
        Ok(summary) => summary,
        Err(RunError::World(e)) => return bad_input(&e),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !quiet {
        print_summary(&summary, started.elapsed().as_secs_f64());
        crate::report::print_answers(&summary);
    }
    if !no_plots {
        return plot(&dir, quiet);
    }
    ExitCode::SUCCESS
}

fn list() -> ExitCode {
    let mut dirs = vec![PathBuf::from("worlds"), shipped_worlds_dir()];
    dirs.dedup_by(|a, b| a.canonicalize().ok() == b.canonicalize().ok());
    let Some(dir) = dirs.into_iter().find(|d| d.is_dir()) else {
        eprintln!("error: no worlds/ directory found");
        return ExitCode::from(2);
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let description = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| firesale_world::parse(&text, &path).ok())
            .map_or_else(
                || "(does not parse: run `firesale check`)".to_string(),
                |w| w.description,
            );
        println!("{name:<20} {description}");
    }
    ExitCode::SUCCESS
}

fn plot(run_dir: &Path, quiet: bool) -> ExitCode {
    let spinner = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    spinner.set_message("drawing plots");
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let result = firesale_report::plot_run(run_dir);
    spinner.finish_and_clear();
    match result {
        Ok(files) => {
            if !quiet {
                println!(
                    "  plots               {} files in {}",
                    files.len(),
                    run_dir.join("plots").display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn compare(runs: &[String], seed: Option<u64>, out: Option<PathBuf>) -> ExitCode {
    let mut dirs = Vec::new();
    let mut names = Vec::new();
    for run in runs {
        let path = PathBuf::from(run);
        if path.join("timeseries.csv").is_file() {
            names.push(
                path.file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default(),
            );
            dirs.push(path);
            continue;
        }
        let (_, w) = match load(run, seed, None, &[]) {
            Ok(loaded) => loaded,
            Err(e) => return bad_input(&e),
        };
        let dir = default_output_dir(&w);
        if !dir.join("summary.json").is_file() {
            eprintln!(
                "firesale: running {} (seed {}) into {}",
                w.name,
                w.seed,
                dir.display()
            );
            if let Err(e) = run_world(&w, &dir, |_| {}) {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
        names.push(w.name.clone());
        dirs.push(dir);
    }
    let out = out.unwrap_or_else(|| {
        PathBuf::from("output")
            .join("compare")
            .join(names.join("-vs-"))
    });
    match firesale_report::compare_runs(&dirs, &out) {
        Ok(table) => {
            println!("{table}");
            println!("charts in {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
