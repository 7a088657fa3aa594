//! Process-wide limits every Rego evaluation runs under, inside builtins too: a memory ceiling
//! (mimalloc's committed memory, read every few thousand steps) and the thread stack size.

use std::sync::atomic::{AtomicU64, Ordering};

/// Stack for threads that evaluate policies: the size of a Linux main thread's stack, so the
/// server's and the parallel workers' evaluations may nest as deep as the CLI's. regorus stops an
/// evaluation that would use more than its thread has left (see vendor/regorus/PATCHES.md 5).
pub const EVAL_STACK_BYTES: usize = 8 << 20;

/// Per-evaluation resource limits for WASM policies (here, not in the WASM engine, so a build
/// without the `wasm` feature keeps the same builder API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WasmLimits {
    /// Fuel (roughly, WASM instructions) one evaluation may use.
    pub fuel: u64,
    /// Largest linear memory a module may have, in bytes.
    pub max_memory_bytes: u64,
}

impl Default for WasmLimits {
    fn default() -> Self {
        Self { fuel: 5_000_000_000, max_memory_bytes: 512 * 1024 * 1024 }
    }
}

/// Default memory ceiling of a process that evaluates policies (`--memory-limit`).
pub const DEFAULT_MEMORY_LIMIT_MIB: u64 = 2048;

static MEMORY_LIMIT: AtomicU64 = AtomicU64::new(0);

/// Sets the memory ceiling (`None`: none). Past it, the running evaluation (or builtin) fails
/// with "execution exceeded memory limit", which becomes an `error` finding for its rule.
/// Only meaningful where mimalloc is the global allocator (the `oppie-policy` binary).
pub fn set_memory_limit(bytes: Option<u64>) {
    MEMORY_LIMIT.store(bytes.unwrap_or(0), Ordering::Relaxed);
    regorus::utils::limits::set_memory_probe(bytes.map(|_| probe as regorus::utils::limits::MemoryProbe));
}

/// The process's committed memory when it is above the ceiling, with the ceiling.
fn probe() -> Option<(u64, u64)> {
    let limit = MEMORY_LIMIT.load(Ordering::Relaxed);
    if limit == 0 {
        return None;
    }
    let usage = committed_bytes();
    (usage > limit).then_some((usage, limit))
}

/// Memory mimalloc has committed for this process.
pub fn committed_bytes() -> u64 {
    let (mut elapsed, mut user, mut system, mut rss, mut peak_rss, mut commit, mut peak_commit, mut faults) =
        (0usize, 0usize, 0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    // SAFETY: mi_process_info writes one usize through each pointer, all valid locals.
    unsafe {
        libmimalloc_sys::mi_process_info(
            &mut elapsed,
            &mut user,
            &mut system,
            &mut rss,
            &mut peak_rss,
            &mut commit,
            &mut peak_commit,
            &mut faults,
        );
    }
    u64::try_from(commit).unwrap_or(u64::MAX)
}
