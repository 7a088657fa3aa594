//! The `oppie-policy` binary; everything but argument handling lives in the library.

mod cli;

/// Rego evaluation is allocation-bound (every intermediate value is a fresh small allocation);
/// mimalloc serves that faster than the system allocator (bench/policy, bench/policy-server).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
