//! Issue 9 as a user meets it: every shipped world runs at any horizon; worlds too large
//! for the machine, impossible counts and unwritable output directories are refused at
//! once with exit code 2; Ctrl-C stops a run or an ensemble cleanly with exit 130.

mod common;

use common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Every shipped world runs (and draws its charts) with one tick and with fifty, even
/// though most of their generations are released after the end of such runs.
#[test]
fn every_shipped_world_runs_at_short_horizons() {
    for name in shipped_worlds() {
        for ticks in [1, 50] {
            let mut w = world(&name, None, &[]);
            w.ticks = ticks;
            let (summary, dir) = run(&w);
            assert_eq!(summary.ticks, ticks, "{name} at {ticks} ticks");
            let rows = std::fs::read_to_string(dir.path().join("timeseries.csv")).unwrap();
            assert_eq!(rows.lines().count(), ticks as usize + 1, "{name}");
            let charts = firesale_report::plot_run(dir.path())
                .unwrap_or_else(|e| panic!("{name} at {ticks} ticks: {e}"));
            assert!(!charts.is_empty(), "{name}");
        }
    }
}

/// Each impossible world of the issue is refused with exit code 2, the field and the
/// reason, and no panic.
#[test]
fn impossible_sizes_are_refused_with_the_field() {
    let cases: [(&[&str], &str, &str); 5] = [
        (
            &["run", "baseline", "--ticks", "100000000"],
            "ticks",
            "expected 1 to 5000 ticks",
        ),
        (
            &[
                "run",
                "subprime_compute",
                "--set",
                "operators[0].count=4000000000",
            ],
            "operators[0].count",
            "expected 0 to 1000000",
        ),
        (
            &[
                "check",
                "subprime_compute",
                "--set",
                "operators[0].count=10000000",
            ],
            "operators[0].count",
            "expected 0 to 1000000",
        ),
        (
            &[
                "run",
                "subprime_compute",
                "--set",
                "operators[1].gpus=Fixed(1e9)",
            ],
            "operators[1].gpus",
            "expected a value in [0, 10000000]",
        ),
        (
            &[
                "run",
                "subprime_compute",
                "--set",
                "operators[1].count=100000",
                "--set",
                "operators[1].gpus=Fixed(1e6)",
            ],
            "operators[1].gpus × count",
            "--max-memory",
        ),
    ];
    for (args, path, message) in cases {
        let out = firesale_cmd(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("subprime_compute.ron") || err.contains("baseline.ron"));
        assert!(err.contains(path), "{args:?} names {path}: {err}");
        assert!(err.contains(message), "{args:?} says {message}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// The memory limit is the user's: a world refused at the default limit passes `check`
/// with the limit the message suggests.
#[test]
fn the_memory_limit_can_be_raised() {
    let sets = [
        "--set",
        "operators[1].count=100000",
        "--set",
        "operators[1].gpus=Fixed(1e6)",
    ];
    let refused = firesale_cmd(&[&["check", "subprime_compute"][..], &sets].concat());
    assert_eq!(refused.status.code(), Some(2));
    let err = stderr(&refused);
    let limit = err
        .split("--max-memory ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the message suggests a limit: {err}"));
    let accepted = firesale_cmd(
        &[
            &["check", "subprime_compute", "--max-memory", limit][..],
            &sets,
        ]
        .concat(),
    );
    assert_eq!(accepted.status.code(), Some(0), "{}", stderr(&accepted));
    let said = String::from_utf8_lossy(&accepted.stdout);
    assert!(said.contains("up to"), "check gives the estimate: {said}");
}

/// An output directory that cannot be written is bad input, named with what is wrong.
#[test]
fn an_unwritable_output_directory_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let inside = file.join("out");
    let inside = inside.to_str().unwrap();
    for args in [
        vec!["run", "baseline", "--ticks", "2", "--out", inside],
        vec![
            "ensemble", "baseline", "--runs", "2", "--ticks", "2", "--out", inside,
        ],
    ] {
        let out = firesale_cmd(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(inside), "names the path: {err}");
        assert!(err.contains("is a file, not a directory"), "{err}");
    }
}

/// Sends SIGINT to a child process.
fn interrupt(child: &Child) {
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits");
    // SAFETY: kill(2) with a pid this test spawned and a valid signal number.
    let sent = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(sent, 0, "SIGINT sent");
}

/// Waits until `ready` holds, at most a minute.
fn wait_for(what: &str, ready: impl Fn() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Files whose name contains `.partial` anywhere below `dir`.
fn partial_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(partial_files(&path));
        } else if path.to_string_lossy().contains(".partial") {
            found.push(path.display().to_string());
        }
    }
    found
}

/// Ctrl-C during a run: exit 130, no partial file, nothing that looks like a run.
#[test]
fn ctrl_c_stops_a_run_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let child = Command::new(firesale())
        .args(["run", "subprime_compute", "--no-plots", "--out"])
        .arg(&out)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the run to start writing", || {
        out.join("timeseries.csv.partial").exists()
    });
    interrupt(&child);
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted at tick"), "{err}");
    assert_eq!(partial_files(dir.path()), Vec::<String>::new());
    assert!(!out.join("summary.json").exists());
}

/// Ctrl-C during an ensemble: exit 130, no partial file, complete runs kept, and
/// `--resume` finishes the rest.
#[test]
fn ctrl_c_stops_an_ensemble_and_resume_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ensemble");
    let args = [
        "ensemble", "baseline", "--runs", "8", "--ticks", "150", "--jobs", "1", "--quiet", "--out",
    ];
    let child = Command::new(firesale())
        .args(args)
        .arg(&out)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let complete = |out: &Path| {
        std::fs::read_dir(out.join("runs")).map_or(0, |rd| {
            rd.flatten()
                .filter(|e| e.path().join("summary.json").is_file())
                .count()
        })
    };
    wait_for("one complete run", || complete(&out) >= 1);
    interrupt(&child);
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(130), "{err}");
    assert!(err.contains("--resume"), "says how to resume: {err}");
    assert_eq!(partial_files(dir.path()), Vec::<String>::new());
    let kept = complete(&out);
    assert!((1..8).contains(&kept), "{kept} runs kept: {err}");
    assert!(!out.join("ensemble.csv").exists());

    let resumed = Command::new(firesale())
        .args(args)
        .arg(&out)
        .arg("--resume")
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert_eq!(complete(&out), 8);
    assert!(out.join("ensemble.csv").is_file());
}
