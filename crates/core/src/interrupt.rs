//! Stopping cleanly on Ctrl-C (SIGINT) or SIGTERM.
//!
//! Two process-wide pieces, since a signal is process-wide too:
//! - a stop flag, set by the command line's signal handler and read by the run loop
//!   (every tick) and by batches (before each run), so that work stops at a safe point;
//! - a register of the `.partial` files being written. Every partial file is created and
//!   renamed through it; [`PartialFiles::discard_all`] deletes those still open and
//!   closes the register, so that no partial file can appear after it. Whatever is
//!   interrupted, nothing half-written is left beside the complete files.

use std::collections::BTreeSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// The partial files of this process.
static PARTIALS: PartialFiles = PartialFiles::new();

/// Asks every run and batch in this process to stop at its next safe point.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The register of this process's partial files.
pub fn partials() -> &'static PartialFiles {
    &PARTIALS
}

/// A register of partial files being written; closed once discarded.
#[derive(Debug)]
pub struct PartialFiles {
    open: Mutex<Option<BTreeSet<PathBuf>>>,
}

fn interrupted_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::Interrupted,
        "interrupted: no new file started",
    )
}

impl PartialFiles {
    /// An empty, open register.
    pub const fn new() -> Self {
        PartialFiles {
            open: Mutex::new(Some(BTreeSet::new())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<BTreeSet<PathBuf>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates (truncates) a partial file and registers it.
    pub fn create(&self, path: &Path) -> io::Result<File> {
        let mut open = self.lock();
        let Some(set) = open.as_mut() else {
            return Err(interrupted_error());
        };
        let file = File::create(path)?;
        set.insert(path.to_path_buf());
        Ok(file)
    }

    /// Renames a registered partial file into place and forgets it.
    pub fn commit(&self, partial: &Path, path: &Path) -> io::Result<()> {
        let mut open = self.lock();
        let Some(set) = open.as_mut() else {
            return Err(interrupted_error());
        };
        std::fs::rename(partial, path)?;
        set.remove(partial);
        Ok(())
    }

    /// Deletes a partial file (work abandoned on purpose) and forgets it.
    pub fn remove(&self, partial: &Path) {
        if let Some(set) = self.lock().as_mut() {
            set.remove(partial);
        }
        let _ = std::fs::remove_file(partial);
    }

    /// Deletes every partial file still being written and refuses new ones; returns
    /// how many were deleted. Called once, as the process stops after an interruption.
    pub fn discard_all(&self) -> usize {
        let set = self.lock().take().unwrap_or_default();
        for path in &set {
            let _ = std::fs::remove_file(path);
        }
        set.len()
    }
}

/// `<path>.partial.<pid>.<n>`: unique per process and call, so that processes sharing
/// an output directory (shards of an ensemble) never write into each other's file.
pub fn partial_path(path: &Path) -> PathBuf {
    use std::sync::atomic::AtomicU64;
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(
        ".partial.{}.{}",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed)
    ));
    PathBuf::from(name)
}

/// Writes a file whole or not at all: into a registered partial file, then renamed
/// into place; the error names the file concerned.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), (PathBuf, io::Error)> {
    use std::io::Write;
    let partial = partial_path(path);
    if let Err(e) = PARTIALS
        .create(&partial)
        .and_then(|mut f| f.write_all(bytes))
    {
        PARTIALS.remove(&partial);
        return Err((partial, e));
    }
    PARTIALS
        .commit(&partial, path)
        .map_err(|e| (path.to_path_buf(), e))
}

impl Default for PartialFiles {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_files_stay_and_open_ones_are_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let register = PartialFiles::new();
        let (a, b) = (dir.path().join("a.partial"), dir.path().join("b.partial"));
        drop(register.create(&a).unwrap());
        drop(register.create(&b).unwrap());
        register.commit(&a, &dir.path().join("a")).unwrap();
        assert_eq!(register.discard_all(), 1);
        assert!(dir.path().join("a").exists());
        assert!(!b.exists());
        assert!(register.create(&dir.path().join("c.partial")).is_err());
    }
}
