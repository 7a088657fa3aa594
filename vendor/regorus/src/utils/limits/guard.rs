// Copyright (c) Microsoft Corporation.
// Licensed under the MIT License.

//! Limits that hold inside builtins and deep evaluation: the running evaluation's deadline,
//! an optional memory probe supplied by the embedder, and a stack budget per evaluation.
//!
//! Builtins that build large values (`numbers.range`, `object.union_n`, ...) call
//! `enforce_limit()` per element; without this guard a call such as `numbers.range(1, 1e9)`
//! ran past the execution timer (checked only between expressions) and grew without bound.

use super::error::LimitError;
use core::time::Duration;

/// Reports `Some((usage, limit))` when the process uses more memory than the embedder allows.
pub type MemoryProbe = fn() -> Option<(u64, u64)>;

/// Calls of [`check_builtin_budget`] between two looks at the clock and the memory probe.
const CHECK_EVERY: u32 = 4096;

#[cfg(feature = "std")]
mod imp {
    use super::*;
    use core::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::RwLock;

    std::thread_local! {
        /// (start, limit) of the evaluation running on this thread, on the monotonic clock.
        static DEADLINE: Cell<Option<(Duration, Duration)>> = const { Cell::new(None) };
        static TICKS: Cell<u32> = const { Cell::new(0) };
        /// Address of a local at the start of the evaluation running on this thread.
        static STACK_BASE: Cell<usize> = const { Cell::new(0) };
    }

    static PROBE: RwLock<Option<MemoryProbe>> = RwLock::new(None);
    static STACK_LIMIT: AtomicUsize = AtomicUsize::new(0);

    pub fn set_memory_probe(probe: Option<MemoryProbe>) {
        if let Ok(mut slot) = PROBE.write() {
            *slot = probe;
        }
    }

    pub fn set_stack_limit(bytes: Option<usize>) {
        STACK_LIMIT.store(bytes.unwrap_or(0), Ordering::Relaxed);
    }

    pub fn stack_limit() -> Option<usize> {
        match STACK_LIMIT.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    std::thread_local! {
        /// The lowest address of this thread's stack, when the platform says (0: unknown).
        static STACK_LOW: Cell<Option<usize>> = const { Cell::new(None) };
        /// The stack this evaluation may use: the configured limit, or less when the thread's
        /// stack has less room left (0: unbounded).
        static STACK_ALLOWED: Cell<usize> = const { Cell::new(0) };
    }

    /// Stack kept free below the budget for builtins and the frames between two checks.
    const STACK_HEADROOM: usize = 512 * 1024;

    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    fn thread_stack_low() -> usize {
        STACK_LOW.with(|low| {
            if let Some(known) = low.get() {
                return known;
            }
            // SAFETY: pthread_getattr_np fills `attr` for the calling thread; the attribute is
            // destroyed after its stack address and size are read.
            let found = unsafe {
                let mut attr: libc::pthread_attr_t = core::mem::zeroed();
                if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
                    0
                } else {
                    let mut addr: *mut libc::c_void = core::ptr::null_mut();
                    let mut size: libc::size_t = 0;
                    let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
                    libc::pthread_attr_destroy(&mut attr);
                    if ok {
                        addr as usize
                    } else {
                        0
                    }
                }
            };
            low.set(Some(found));
            found
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn thread_stack_low() -> usize {
        0
    }

    pub(crate) fn start_evaluation(start: Option<Duration>, limit: Option<Duration>) {
        DEADLINE.with(|d| d.set(start.zip(limit)));
        TICKS.with(|t| t.set(0));
        let here = 0u8;
        let base = core::ptr::addr_of!(here) as usize;
        STACK_BASE.with(|b| b.set(base));
        let low = thread_stack_low();
        let room = (low != 0 && base > low).then(|| (base - low).saturating_sub(STACK_HEADROOM));
        let allowed = match (stack_limit(), room) {
            (Some(limit), Some(room)) => limit.min(room).max(1),
            (Some(limit), None) => limit,
            (None, Some(room)) => room.max(1),
            (None, None) => 0,
        };
        STACK_ALLOWED.with(|a| a.set(allowed));
    }

    /// Bytes of stack used since the evaluation started, when above what it may use: the
    /// configured limit, and never more than the thread's stack has room for.
    pub(crate) fn stack_overrun() -> Option<(usize, usize)> {
        let allowed = STACK_ALLOWED.with(Cell::get);
        let base = STACK_BASE.with(Cell::get);
        if base == 0 || allowed == 0 {
            return None;
        }
        let here = 0u8;
        let used = base.saturating_sub(core::ptr::addr_of!(here) as usize);
        (used > allowed).then_some((used, allowed))
    }

    pub fn memory_overrun() -> Option<(u64, u64)> {
        let probe = PROBE.read().ok().and_then(|p| *p)?;
        probe()
    }

    fn due() -> bool {
        TICKS.with(|t| {
            let next = t.get().wrapping_add(1);
            t.set(next % CHECK_EVERY);
            next >= CHECK_EVERY
        })
    }

    pub fn check_memory_budget() -> Result<(), LimitError> {
        if !due() {
            return Ok(());
        }
        match memory_overrun() {
            Some((usage, limit)) => Err(LimitError::MemoryLimitExceeded { usage, limit }),
            None => Ok(()),
        }
    }

    pub fn check_builtin_budget() -> Result<(), LimitError> {
        if !due() {
            return Ok(());
        }
        if let Some((start, limit)) = DEADLINE.with(Cell::get) {
            if let Some(now) = super::super::monotonic_now() {
                let elapsed = now.saturating_sub(start);
                if elapsed > limit {
                    return Err(LimitError::TimeLimitExceeded { elapsed, limit });
                }
            }
        }
        if let Some((usage, limit)) = memory_overrun() {
            return Err(LimitError::MemoryLimitExceeded { usage, limit });
        }
        Ok(())
    }
}

#[cfg(not(feature = "std"))]
mod imp {
    use super::*;

    pub fn set_memory_probe(_probe: Option<MemoryProbe>) {}
    pub fn set_stack_limit(_bytes: Option<usize>) {}
    pub fn stack_limit() -> Option<usize> {
        None
    }
    pub(crate) fn start_evaluation(_start: Option<Duration>, _limit: Option<Duration>) {}
    pub(crate) fn stack_overrun() -> Option<(usize, usize)> {
        None
    }
    pub fn memory_overrun() -> Option<(u64, u64)> {
        None
    }
    pub fn check_builtin_budget() -> Result<(), LimitError> {
        Ok(())
    }
    pub fn check_memory_budget() -> Result<(), LimitError> {
        Ok(())
    }
}

/// Installs (or removes) the process-wide memory probe. Evaluation and builtins stop with
/// [`LimitError::MemoryLimitExceeded`] once the probe reports usage above its limit.
pub use imp::set_memory_probe;
/// Sets the stack an evaluation may use, in bytes (`None`: unbounded). Past it, a user function
/// call or rule evaluation fails with an error at its location instead of overflowing the stack.
pub use imp::set_stack_limit;
/// The stack budget set with [`set_stack_limit`].
pub use imp::stack_limit;
/// Called per element by builtins that build large values: every few thousand calls it checks
/// the evaluation's deadline and the memory probe.
pub use imp::check_builtin_budget;
/// Like [`check_builtin_budget`] without the deadline: for decoders and the lexer, which also
/// run outside evaluations.
pub use imp::check_memory_budget;
/// What the memory probe reports now.
pub use imp::memory_overrun;
pub(crate) use imp::{stack_overrun, start_evaluation};
