//! What each subcommand does.

use crate::Command;
use crate::report::print_summary;
use firesale_sim::{RunError, default_output_dir, run_world};
use firesale_world::{Limits, WorldError, estimate, load, load_within, shipped_worlds_dir};
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
            max_memory,
        } => run(
            &world,
            RunArgs {
                seed,
                ticks,
                out,
                sets: &sets,
                quiet,
                no_plots,
                limits: Limits { max_memory },
            },
        ),
        Command::Check {
            world,
            sets,
            max_memory,
        } => match load_within(&world, None, None, &sets, &Limits { max_memory }) {
            Ok((file, w)) => {
                println!(
                    "{}: ok ({} ticks from {}, seed {}, {} generations; {})",
                    file.display(),
                    w.ticks,
                    w.start,
                    w.seed,
                    w.generations.len(),
                    estimate(&w).describe()
                );
                for line in w.replays.describe() {
                    println!("  {line}");
                }
                for (i, g) in w.generations.iter().enumerate() {
                    let end = w.end_date();
                    if g.release >= end {
                        println!(
                            "  note: generations[{i}] ({}) is released on {}, after the run ends ({end}): it does not ship in this run",
                            g.name, g.release
                        );
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => bad_input(&e),
        },
        Command::List => list(),
        Command::Rules => {
            for family in firesale_world::rule_families() {
                println!("{family}");
            }
            println!(
                "Choose one in a world file: rules: (liquidation: Rule(\"hold_or_sell\", {{}})); see docs/rules.md."
            );
            ExitCode::SUCCESS
        }
        Command::Plot { run_dir, observed } => match plot(&run_dir, false) {
            code if code != ExitCode::SUCCESS => code,
            _ => match observed {
                Some(file) => {
                    let label = firesale_report::run_label(&run_dir);
                    overlay_observed(
                        std::slice::from_ref(&run_dir),
                        &[label],
                        &file,
                        &run_dir.join("plots"),
                    )
                }
                None => ExitCode::SUCCESS,
            },
        },
        Command::Compare {
            runs,
            seed,
            out,
            observed,
        } => compare(&runs, seed, out, observed.as_deref()),
        Command::Ensemble(args) => crate::batch::ensemble(args),
        Command::Sweep(args) => crate::batch::sweep(args),
        Command::Merge(args) => crate::batch::merge_shards(args),
        Command::Bench(args) => crate::bench::bench(args),
        Command::BenchOne(args) => crate::bench::bench_one(args),
    }
}

fn bad_input(e: &WorldError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

/// The options of `firesale run`.
struct RunArgs<'a> {
    seed: Option<u64>,
    ticks: Option<u32>,
    out: Option<PathBuf>,
    sets: &'a [String],
    quiet: bool,
    no_plots: bool,
    limits: Limits,
}

/// Makes sure `dir` can hold outputs before any work starts; the error names the path
/// and what is wrong with it.
pub(crate) fn writable_dir(dir: &Path) -> Result<(), String> {
    if let Some(file) = dir.ancestors().find(|a| a.exists() && !a.is_dir()) {
        return Err(format!(
            "{}: cannot write outputs there: {} is a file, not a directory",
            dir.display(),
            file.display()
        ));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("{}: cannot create the output directory: {e}", dir.display()))?;
    let probe = dir.join(format!(".firesale-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| {
        format!(
            "{}: cannot write in the output directory: {e}",
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Exit code 2 for an output directory that cannot be written.
pub(crate) fn bad_out(message: &str) -> ExitCode {
    eprintln!("error: --out {message}");
    ExitCode::from(2)
}

fn run(world: &str, args: RunArgs) -> ExitCode {
    let RunArgs {
        seed,
        ticks,
        out,
        sets,
        quiet,
        no_plots,
        limits,
    } = args;
    let (file, w) = match load_within(world, seed, ticks, sets, &limits) {
        Ok(loaded) => loaded,
        Err(e) => return bad_input(&e),
    };
    let dir = out.unwrap_or_else(|| default_output_dir(&w));
    if let Err(message) = writable_dir(&dir) {
        return bad_out(&message);
    }
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
    // Ticks per second and the time left, so a long run says how long it will take.
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} ticks  {rate}  ETA {eta}")
            .map(|style| {
                style.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0} ticks/s", state.per_sec());
                    },
                )
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let result = run_world(&w, &dir, |_| bar.inc(1));
    bar.finish_and_clear();
    let summary = match result {
        Ok(summary) => summary,
        Err(RunError::World(e)) => return bad_input(&e),
        Err(RunError::Interrupted { tick, ticks }) => {
            return crate::signals::interrupted(&format!(
                "interrupted at tick {tick} of {ticks}: nothing of the run was kept (a run is whole or absent); run the same command again"
            ));
        }
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

/// Overlays observed data on runs and prints the fit figures; a bad observed file, or a
/// series no run writes, is bad input (exit 2).
fn overlay_observed(dirs: &[PathBuf], labels: &[String], observed: &Path, out: &Path) -> ExitCode {
    match firesale_report::fit_observed(dirs, labels, observed, out) {
        Ok((_, table)) => {
            println!("simulated vs observed ({}):\n{table}", observed.display());
            println!("  charts and fit.csv in {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn compare(
    runs: &[String],
    seed: Option<u64>,
    out: Option<PathBuf>,
    observed: Option<&Path>,
) -> ExitCode {
    let mut dirs = Vec::new();
    let mut names = Vec::new();
    for run in runs {
        let path = PathBuf::from(run);
        if path.join("timeseries.csv").is_file() {
            names.push(if observed.is_some() {
                // Fit rows and legends need a label that tells the runs apart.
                firesale_report::run_label(&path)
            } else {
                path.file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default()
            });
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
    if let Err(message) = writable_dir(&out) {
        return bad_out(&message);
    }
    match firesale_report::compare_runs(&dirs, &out) {
        Ok(table) => {
            println!("{table}");
            println!("charts in {}", out.display());
            match observed {
                Some(file) => overlay_observed(&dirs, &names, file, &out),
                None => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
