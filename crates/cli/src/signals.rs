//! Ctrl-C and SIGTERM: the first asks the work to stop at its next safe point (a run
//! checks every tick, a batch before every run); a watchdog makes sure the process is
//! gone within a few seconds even where nothing checks (drawing charts); a second
//! signal stops at once. Every path removes the partial files first and exits 130.

use firesale_sim::interrupt;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Whether an interrupted command has already said what it kept.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// Ends the process's command after a stop request nothing reported (a command that
/// does not check for one, such as drawing charts): exit 130.
pub fn finish(code: ExitCode) -> ExitCode {
    if !interrupt::stop_requested() || REPORTED.load(Ordering::SeqCst) {
        return code;
    }
    interrupted("interrupted; outputs not complete")
}

/// Exit code of a process stopped by SIGINT (128 + 2), the shell's convention.
pub const INTERRUPTED: u8 = 130;

/// How long the work has to stop on its own before the watchdog ends the process.
const GRACE: Duration = Duration::from_secs(5);

/// Installs the handler; a failure to install it only loses the clean stop.
pub fn install() {
    static SIGNALLED: AtomicBool = AtomicBool::new(false);
    let installed = ctrlc::set_handler(|| {
        if SIGNALLED.swap(true, Ordering::SeqCst) {
            exit_now("stopped at once (second signal)");
        }
        interrupt::request_stop();
        std::thread::spawn(|| {
            std::thread::sleep(GRACE);
            exit_now("stopped");
        });
    });
    if let Err(e) = installed {
        eprintln!("firesale: warning: Ctrl-C will not stop cleanly ({e})");
    }
}

fn exit_now(what: &str) -> ! {
    let removed = interrupt::partials().discard_all();
    eprintln!("firesale: interrupted: {what}; {removed} partial files removed");
    std::process::exit(i32::from(INTERRUPTED));
}

/// Ends an interrupted command: removes what is half written, says `what` was kept and
/// how to go on, and returns exit code 130.
pub fn interrupted(what: &str) -> ExitCode {
    REPORTED.store(true, Ordering::SeqCst);
    interrupt::partials().discard_all();
    eprintln!("firesale: {what}");
    ExitCode::from(INTERRUPTED)
}
