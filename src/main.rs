//! The `firesale` command; all of it lives in the `firesale-cli` crate.

/// mimalloc instead of the system allocator: a run makes millions of small, short-lived
/// allocations (bid ladders, candidate lists, event details), and on Linux mimalloc
/// serves them faster than glibc's malloc. Allocation never changes an output.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    firesale_cli::main()
}
