//! `firesale bench`: how fast a world runs as it grows.
//!
//! Each size runs in a child process of its own (`firesale bench-one`), so that its peak
//! memory is its own. A run does everything `firesale run --no-plots` does (outputs are
//! written, to a temporary directory). The figures: lots created, lot-ticks (the lots
//! alive at the end of each tick, summed over the run: the work a run has to do), wall
//! time, CPU time, lot-ticks per second and peak resident memory, and the growth exponent
//! of wall time in lot-ticks between the smallest and the largest size (1 is linear).
//!
//! CPU time (user and system, all threads, over the same span as the wall time) says
//! what the wall time cannot: whether a slow run did more work or had a slower machine
//! (the work is the same for the same world), and, over the wall time, how many cores
//! the run kept busy.

use std::process::{Command, ExitCode};

use clap::Args;
use firesale_world::{Limits, load_within};
use serde::{Deserialize, Serialize};

/// Arguments of `firesale bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// World file, or the name of a world in worlds/.
    #[arg(default_value = "planet")]
    pub world: String,
    /// Scales to run it at (the world's `scale`), smallest first.
    #[arg(long, value_delimiter = ',', default_value = "0.25,1")]
    pub scales: Vec<f64>,
    /// Number of ticks (overrides the world's).
    #[arg(long)]
    pub ticks: Option<u32>,
    /// Override any world field: path.to.field=VALUE (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Also print, for each size, the wall time of the steps of the tick that take the most.
    #[arg(long)]
    pub by_step: bool,
    /// Run every size this many times, the sizes interleaved in each round, and print the
    /// median of each size and the growth exponent of the medians (a 2-core virtual
    /// machine's speed drifts by ±1 s a run of planet, and the exponent divides two times).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub repeat: u32,
}

/// Arguments of the hidden `firesale bench-one`: one size, figures as a JSON line.
#[derive(Args, Debug)]
pub struct BenchOneArgs {
    /// World file, or the name of a world in worlds/.
    pub world: String,
    /// Scale to run it at.
    #[arg(long)]
    pub scale: f64,
    /// Number of ticks (overrides the world's).
    #[arg(long)]
    pub ticks: Option<u32>,
    /// Override any world field (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Time every step of the tick.
    #[arg(long)]
    pub by_step: bool,
}

/// What one size measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Measured {
    scale: f64,
    agents: u64,
    lots_created: u64,
    lot_ticks: u64,
    /// The live loans at the end of each tick, summed over the run: the work of the
    /// steps that go loan by loan (servicing, marking, calls), which need not grow with
    /// the lots when the crisis runs differently at another size.
    #[serde(default)]
    loan_ticks: u64,
    seconds: f64,
    /// User and system CPU time over the same span as `seconds`, s.
    #[serde(default)]
    cpu_seconds: f64,
    peak_bytes: u64,
    /// (step, wall seconds, CPU seconds) with `--by-step`, in execution order.
    #[serde(default)]
    by_step: Vec<(String, f64, f64)>,
}

/// `firesale bench`: runs each scale in its own process and prints the table.
pub fn bench(args: BenchArgs) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("error: cannot find the firesale binary to run each size: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut scales = args.scales.clone();
    scales.sort_by(f64::total_cmp);
    println!("{}", machine());
    println!(
        "{:<14} {:>6} {:>8} {:>12} {:>14} {:>9} {:>8} {:>14} {:>11}",
        "world",
        "scale",
        "agents",
        "lots created",
        "lot-ticks",
        "wall s",
        "CPU s",
        "lot-ticks/s",
        "peak memory"
    );
    // Each size's runs, in `scales` order; a round runs every size once.
    let mut runs: Vec<Vec<Measured>> = vec![Vec::new(); scales.len()];
    for _round in 0..args.repeat {
        for (i, &scale) in scales.iter().enumerate() {
            let m = match run_one(&exe, &args, scale) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            print_row(&args.world, &m);
            print_steps(&m);
            runs[i].push(m);
        }
    }
    if args.repeat == 1 {
        let rows: Vec<&Measured> = runs.iter().filter_map(|r| r.first()).collect();
        print_exponent(&rows, "");
        return ExitCode::SUCCESS;
    }
    println!("median of {} runs:", args.repeat);
    let medians: Vec<Measured> = runs.iter().map(|r| median_run(r)).collect();
    for m in &medians {
        print_row(&args.world, m);
    }
    let rows: Vec<&Measured> = medians.iter().collect();
    let by_round: Vec<String> = (0..args.repeat as usize)
        .filter_map(|k| {
            let round: Vec<&Measured> = runs.iter().map(|r| &r[k]).collect();
            exponent(&round).map(|e| format!("{e:.2}"))
        })
        .collect();
    print_exponent(&rows, &format!(" (rounds: {})", by_round.join(", ")));
    ExitCode::SUCCESS
}

/// Runs one size in a child process (`firesale bench-one`) and reads its figures.
fn run_one(exe: &std::path::Path, args: &BenchArgs, scale: f64) -> Result<Measured, String> {
    let mut command = Command::new(exe);
    command
        .arg("bench-one")
        .arg(&args.world)
        .arg("--scale")
        .arg(scale.to_string());
    if let Some(ticks) = args.ticks {
        command.arg("--ticks").arg(ticks.to_string());
    }
    for set in &args.sets {
        command.arg("--set").arg(set);
    }
    if args.by_step {
        command.arg("--by-step");
    }
    let output = command
        .output()
        .map_err(|e| format!("could not start the run at scale {scale}: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let measured = text
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str::<Measured>(line).ok());
    measured.filter(|_| output.status.success()).ok_or_else(|| {
        format!(
            "the run at scale {scale} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// One size's row of the table.
fn print_row(world: &str, m: &Measured) {
    println!(
        "{:<14} {:>6} {:>8} {:>12} {:>14} {:>9.2} {:>8.2} {:>14.0} {:>8.0} MiB",
        world,
        m.scale,
        m.agents,
        m.lots_created,
        m.lot_ticks,
        m.seconds,
        m.cpu_seconds,
        m.lot_ticks as f64 / m.seconds.max(1e-9),
        m.peak_bytes as f64 / (1024.0 * 1024.0)
    );
}

/// The median of a size's runs, figure by figure (wall time, CPU time, peak memory; the
/// counts are the same in every run of a size). An even number of runs takes the lower
/// middle one, a time that was measured.
fn median_run(runs: &[Measured]) -> Measured {
    let middle = |figure: fn(&Measured) -> f64| -> f64 {
        let mut values: Vec<f64> = runs.iter().map(figure).collect();
        values.sort_by(f64::total_cmp);
        values[(values.len() - 1) / 2]
    };
    Measured {
        seconds: middle(|m| m.seconds),
        cpu_seconds: middle(|m| m.cpu_seconds),
        peak_bytes: middle(|m| m.peak_bytes as f64) as u64,
        by_step: Vec::new(),
        ..runs[0].clone()
    }
}

/// The growth exponent of wall time in lot-ticks from the first row to the last, if the
/// last did more work.
fn exponent(rows: &[&Measured]) -> Option<f64> {
    let (small, large) = (rows.first()?, rows.last()?);
    (large.lot_ticks > small.lot_ticks).then(|| {
        (large.seconds / small.seconds).ln()
            / (large.lot_ticks as f64 / small.lot_ticks as f64).ln()
    })
}

fn print_exponent(rows: &[&Measured], note: &str) {
    if let (Some(e), Some(small), Some(large)) = (exponent(rows), rows.first(), rows.last()) {
        println!(
            "growth exponent of wall time in lot-ticks, scale {} -> {}: {e:.2} (1 = linear){note}",
            small.scale, large.scale
        );
        if small.loan_ticks > 0 {
            println!(
                "work from scale {} to {}: {:.2} times the lot-ticks, {:.2} times the loan-ticks",
                small.scale,
                large.scale,
                large.lot_ticks as f64 / small.lot_ticks as f64,
                large.loan_ticks as f64 / small.loan_ticks as f64
            );
        }
    }
}

/// `firesale bench-one`: runs one size and prints its figures as one JSON line.
pub fn bench_one(args: BenchOneArgs) -> ExitCode {
    let mut sets = args.sets.clone();
    sets.push(format!("scale={}", args.scale));
    // A benchmark measures what it is asked to: no memory guard beyond the machine's.
    let limits = Limits {
        max_memory: u64::MAX,
    };
    let (_, world) = match load_within(&args.world, None, args.ticks, &sets, &limits) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let dir = std::env::temp_dir().join(format!("firesale-bench-{}", std::process::id()));
    let started = std::time::Instant::now();
    let cpu_before = cpu_seconds();
    let (mut lot_ticks, mut loan_ticks) = (0u64, 0u64);
    // The time spent counting live loans, which is the benchmark's, not the run's.
    let mut counting = std::time::Duration::ZERO;
    let mut by_step = Vec::new();
    // On a worker of the pool, as `firesale run` runs a world (`firesale_sim::on_worker`).
    let result = firesale_sim::on_worker(|| {
        firesale_sim::Simulation::new(&world).and_then(|mut sim| {
            if args.by_step {
                sim.time_steps()?;
            }
            let agents = sim
                .world()
                .resource::<firesale_core::Directory>()
                .iter()
                .count() as u64;
            sim.run_to_with(&dir, |_, world| {
                lot_ticks += world.resource::<firesale_core::Fleet>().alive() as u64;
                // A pass over every loan ever made (about 20,000 a tick at planet's
                // size), between ticks while nothing else runs: its time is taken out of
                // the run's wall and CPU time.
                let counting_started = std::time::Instant::now();
                let loans = world.resource::<firesale_core::LoanBook>().all();
                loan_ticks += loans.iter().filter(|l| l.is_live()).count() as u64;
                counting += counting_started.elapsed();
                if let Some(times) = world.get_resource::<firesale_sim::StepTimes>() {
                    by_step = times
                        .by_step()
                        .into_iter()
                        .map(|t| (t.step, t.seconds, t.cpu_seconds))
                        .collect();
                }
            })
            .map(|summary| (agents, summary))
        })
    });
    let counted = counting.as_secs_f64();
    let seconds = (started.elapsed().as_secs_f64() - counted).max(0.0);
    let cpu_seconds = (cpu_seconds() - cpu_before - counted).max(0.0);
    let _ = std::fs::remove_dir_all(&dir);
    let (agents, summary) = match result {
        Ok(done) => done,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let measured = Measured {
        scale: args.scale,
        agents,
        lots_created: summary.lots_created,
        lot_ticks,
        loan_ticks,
        seconds,
        cpu_seconds,
        peak_bytes: peak_resident_bytes(),
        by_step,
    };
    println!("{}", serde_json::to_string(&measured).unwrap_or_default());
    ExitCode::SUCCESS
}

/// The steps of the tick that took the most wall time, and the rest of the run (writing
/// outputs, building the world), as shares of the wall time, each with its CPU time and
/// the cores it kept busy (CPU over wall): a step near 1 core runs on one.
fn print_steps(m: &Measured) {
    if m.by_step.is_empty() {
        return;
    }
    let mut steps = m.by_step.clone();
    steps.sort_by(|a, b| b.1.total_cmp(&a.1));
    let sum = |steps: &[(String, f64, f64)]| -> (f64, f64) {
        steps
            .iter()
            .fold((0.0, 0.0), |(wall, cpu), (_, w, c)| (wall + w, cpu + c))
    };
    let line = |name: &str, wall: f64, cpu: f64| {
        let share = 100.0 * wall / m.seconds.max(1e-9);
        let cores = if wall > 0.0 { cpu / wall } else { 0.0 };
        println!("    {name:<22} {wall:>8.2} s {share:>5.1}% {cpu:>8.2} s CPU {cores:>5.2} cores");
    };
    let shown = steps.len().min(12);
    for (step, wall, cpu) in &steps[..shown] {
        line(step, *wall, *cpu);
    }
    let (others, others_cpu) = sum(&steps[shown..]);
    line("other steps", others, others_cpu);
    let (in_steps, in_steps_cpu) = sum(&steps);
    line(
        "outside the schedule",
        (m.seconds - in_steps).max(0.0),
        (m.cpu_seconds - in_steps_cpu).max(0.0),
    );
}

/// This process's resource usage so far, None where the system does not say.
fn own_usage() -> Option<libc::rusage> {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    (unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0).then_some(usage)
}

/// CPU time this process has used so far, user and system, all threads, s (0 where the
/// system does not say).
fn cpu_seconds() -> f64 {
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    own_usage().map_or(0.0, |u| seconds(u.ru_utime) + seconds(u.ru_stime))
}

/// This process's peak resident memory, bytes (0 where the system does not say).
fn peak_resident_bytes() -> u64 {
    let Some(usage) = own_usage() else {
        return 0;
    };
    let max = usage.ru_maxrss.max(0) as u64;
    // Linux reports kilobytes, macOS bytes.
    if cfg!(target_os = "macos") {
        max
    } else {
        max * 1024
    }
}

/// One line saying what machine the figures come from.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "machine: {cores} cores, {model}; firesale {}",
        env!("CARGO_PKG_VERSION")
    )
}
