//! `firesale merge`: the run directories of a plan's shards gathered into one output
//! directory, then aggregated exactly as a single machine would have.

use std::path::{Path, PathBuf};

use crate::aggregate::{Aggregates, write_aggregates};
use crate::plan::{Plan, is_complete};
use crate::{EnsembleError, remove_aggregates};

/// What a merge did.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The output directory.
    pub out: PathBuf,
    /// Run directories copied into it.
    pub copied: usize,
    /// The aggregates written.
    pub aggregates: Aggregates,
}

/// Merges the shard directories `dirs` (each with the same `plan.json`) into `out`
/// (default: the first of them). Runs already complete in `out` stay; each missing one
/// is copied from the first directory that has it complete. Fails, naming a few, if
/// some run is in none of them.
pub fn merge(dirs: &[PathBuf], out: Option<&Path>) -> Result<Merged, EnsembleError> {
    let Some(first) = dirs.first() else {
        return Err(EnsembleError::Arguments(
            "merge needs at least one shard directory".into(),
        ));
    };
    let mut plan: Option<Plan> = None;
    for dir in dirs {
        let found = Plan::read(dir)?.ok_or_else(|| EnsembleError::NoPlan { dir: dir.clone() })?;
        match &plan {
            Some(p) => p.check_same(&found, dir)?,
            None => plan = Some(found),
        }
    }
    let plan = plan.unwrap_or_else(|| unreachable!("dirs is not empty"));
    let out = out.map_or_else(|| first.clone(), Path::to_path_buf);
    std::fs::create_dir_all(&out).map_err(EnsembleError::io(&out))?;
    if let Some(existing) = Plan::read(&out)? {
        existing.check_same(&plan, &out)?;
    }
    plan.write(&out)?;
    remove_aggregates(&out)?;
    let same_as_out = |dir: &Path| match (dir.canonicalize(), out.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let sources: Vec<&PathBuf> = dirs.iter().filter(|d| !same_as_out(d)).collect();
    let mut copied = 0;
    for run in &plan.runs {
        if firesale_sim::interrupt::stop_requested() {
            let complete = plan
                .runs
                .iter()
                .filter(|r| is_complete(&out.join(&r.dir)))
                .count();
            return Err(EnsembleError::Interrupted {
                complete,
                total: plan.runs.len(),
                out,
            });
        }
        let target = out.join(&run.dir);
        if is_complete(&target) {
            continue;
        }
        if let Some(source) = sources
            .iter()
            .map(|d| d.join(&run.dir))
            .find(|d| is_complete(d))
        {
            copy_run(&source, &target)?;
            copied += 1;
        }
    }
    let aggregates = write_aggregates(&out)?;
    Ok(Merged {
        out,
        copied,
        aggregates,
    })
}

/// Copies a run directory, `summary.json` last so that an interrupted copy looks
/// interrupted (and is redone by the next merge).
fn copy_run(from: &Path, to: &Path) -> Result<(), EnsembleError> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(EnsembleError::io(to))?;
    }
    copy_tree(from, to, Some("summary.json"))?;
    let summary = to.join("summary.json");
    std::fs::copy(from.join("summary.json"), &summary).map_err(EnsembleError::io(&summary))?;
    Ok(())
}

fn copy_tree(from: &Path, to: &Path, skip: Option<&str>) -> Result<(), EnsembleError> {
    std::fs::create_dir_all(to).map_err(EnsembleError::io(to))?;
    let entries = std::fs::read_dir(from).map_err(EnsembleError::io(from))?;
    for entry in entries {
        let entry = entry.map_err(EnsembleError::io(from))?;
        let name = entry.file_name();
        if skip.is_some_and(|s| name == s) {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if src.is_dir() {
            copy_tree(&src, &dst, None)?;
        } else {
            std::fs::copy(&src, &dst).map_err(EnsembleError::io(&dst))?;
        }
    }
    Ok(())
}
