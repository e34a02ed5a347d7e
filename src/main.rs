//! The `firesale` command; all of it lives in the `firesale-cli` crate.

/// mimalloc instead of the system allocator: a run makes millions of small, short-lived
/// allocations (bid ladders, candidate lists, event details), and on Linux mimalloc
/// serves them faster than glibc's malloc. Allocation never changes an output.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (include/mimalloc.h, v3): the
/// crate does not export the option constants.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // A tick frees and reallocates the same large buffers (bid books, per-buyer bids,
    // dispatch lists); by default mimalloc hands freed pages back to the OS after 10 ms
    // and takes them back zeroed, page fault by page fault. Keeping them costs a run
    // at planet scale about a fifth more peak memory and saves the faults (`docs/performance.md`).
    // SAFETY: sets a plain integer option before any thread is started.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    firesale_cli::main()
}
