//! The `oppie-policy` binary; everything but argument handling lives in the library.

mod cli;

/// Rego evaluation is allocation-bound (every intermediate value is a fresh small allocation);
/// mimalloc serves that faster than the system allocator (bench/policy, bench/policy-server).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}

/// For one-off commands (`check` without `--repeat`, `cost`, `eval`, `test`): makes mimalloc hand
/// freed pages back after 50 ms instead of its default second. The evaluation threads free most
/// of what they allocate, and the default keeps it resident: on a 10,000-resource plan this
/// lowers peak RSS from about 195 MiB to 165 MiB. Not sooner: handing pages back at once
/// (a delay of 0) made every return interrupt the other evaluation thread to flush its TLB, and
/// the plan took 0.60 s instead of 0.50 s. Not for the server, which evaluates again at once:
/// there each evaluation would fault the pages in again.
pub(crate) fn return_memory_early() {
    // Option number from `mi_option_e` in mimalloc.h (libmimalloc-sys names only some of them).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: mi_option_set stores an integer in mimalloc's option table; it takes no pointers.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 50);
    }
}
