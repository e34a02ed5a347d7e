//! The `firesale` command; all of it lives in the `firesale-cli` crate.

/// mimalloc instead of the system allocator: a run makes millions of small, short-lived
/// allocations (bid ladders, candidate lists, event details), and on Linux mimalloc
/// serves them faster than glibc's malloc. Allocation never changes an output.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (include/mimalloc.h, v2 and v3):
/// the crate does not export the option constants (a test below checks this one).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // A tick frees and reallocates the same large buffers (bid books, chunks of bids,
    // dispatch lists); by default mimalloc hands freed pages back to the OS after a second
    // and takes them back zeroed, page fault by page fault. Keeping them costs planet
    // about a third more peak memory and saves the faults (docs/performance.md).
    // SAFETY: sets a plain integer option before any thread is started.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    firesale_cli::main()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_option_set_at_start_is_mimallocs_purge_delay() {
        // Its default in mimalloc v3 (src/options.c) is 1,000 ms; no other option's is.
        // SAFETY: reads a plain integer option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(
            delay,
            1000,
            "option {} is not purge_delay",
            super::MI_OPTION_PURGE_DELAY
        );
    }
}
