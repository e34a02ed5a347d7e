//! A corpus of invalid world files, each `worlds/baseline.ron` with one defect: every one
//! must be refused by `firesale check` with exit code 2 and the message it is listed
//! with in `tests/bad_worlds/expected.tsv` (the file, the position for parse errors, the
//! field path, and what was expected), and none may panic.

mod common;

use common::firesale;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One row of `expected.tsv`.
struct Case {
    /// File name inside `tests/bad_worlds/`.
    file: String,
    /// `LINE:COL` of a parse error, or `None` (`-`) for a semantic one.
    position: Option<String>,
    /// The field path as printed.
    path: String,
    /// A distinctive substring of the message.
    message: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_worlds")
}

fn read_cases(dir: &Path) -> Vec<Case> {
    let table = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv exists");
    let mut lines = table.lines();
    assert_eq!(
        lines.next(),
        Some("file\tposition\tpath\tmessage"),
        "expected.tsv starts with its header"
    );
    lines
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                fields.len(),
                4,
                "expected.tsv line {}: expected 4 tab-separated fields, found {}: {line:?}",
                i + 2,
                fields.len()
            );
            for (name, value) in ["file", "position", "path", "message"].iter().zip(&fields) {
                assert!(
                    !value.is_empty(),
                    "expected.tsv line {}: empty {name}",
                    i + 2
                );
            }
            Case {
                file: fields[0].to_string(),
                position: (fields[1] != "-").then(|| fields[1].to_string()),
                path: fields[2].to_string(),
                message: fields[3].to_string(),
            }
        })
        .collect()
}

/// What is wrong with `firesale check` on one case, if anything.
fn problems(dir: &Path, case: &Case) -> Vec<String> {
    let out = Command::new(firesale())
        .arg("check")
        .arg(dir.join(&case.file))
        .output()
        .expect("the binary runs");
    let err = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(2) {
        problems.push(format!("exit code {:?}, expected 2", out.status.code()));
    }
    if err.contains("panicked") {
        problems.push("it panicked".to_string());
    }
    if !err.contains(&case.file) {
        problems.push("stderr does not name the file".to_string());
    }
    if let Some(position) = &case.position {
        let at = format!("{}:{position}:", case.file);
        if !err.contains(&at) {
            problems.push(format!("stderr does not contain the position {at:?}"));
        }
    }
    if !err.contains(&case.path) {
        problems.push(format!("stderr does not contain the path {:?}", case.path));
    }
    if !err.contains(&case.message) {
        problems.push(format!(
            "stderr does not contain the message {:?}",
            case.message
        ));
    }
    if problems.is_empty() {
        return problems;
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    vec![format!(
        "{}: {}\n    stderr: {}\n    stdout: {}",
        case.file,
        problems.join("; "),
        err.trim_end().replace('\n', "\n            "),
        stdout.trim_end().replace('\n', "\n            ")
    )]
}

#[test]
fn every_bad_world_is_refused_with_its_message() {
    let dir = corpus_dir();
    let cases = read_cases(&dir);
    assert!(
        cases.len() >= 50,
        "expected at least 50 cases in expected.tsv, found {}",
        cases.len()
    );

    let listed: BTreeSet<&str> = cases.iter().map(|c| c.file.as_str()).collect();
    assert_eq!(
        listed.len(),
        cases.len(),
        "every file is listed once in expected.tsv"
    );
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("tests/bad_worlds exists")
        .map(|e| e.expect("a directory entry").file_name())
        .map(|name| name.to_string_lossy().to_string())
        .filter(|name| name.ends_with(".ron"))
        .collect();
    let unlisted: Vec<&String> = on_disk
        .iter()
        .filter(|f| !listed.contains(f.as_str()))
        .collect();
    let missing: Vec<&&str> = listed.iter().filter(|f| !on_disk.contains(**f)).collect();
    assert!(
        unlisted.is_empty() && missing.is_empty(),
        ".ron files without a row in expected.tsv: {unlisted:?}; rows without a file: {missing:?}"
    );

    let failures: Vec<String> = cases.iter().flat_map(|c| problems(&dir, c)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} bad worlds were not refused as expected:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
