//! The `firesale` command; all of it lives in the `firesale-cli` crate.

fn main() -> std::process::ExitCode {
    firesale_cli::main()
}
