//! Runs provider code so that a panic becomes an error diagnostic for that one call
//! instead of killing the plugin (and Terraform's whole run) with it.

use std::cell::Cell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::diag::Diagnostics;

thread_local! {
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

/// True while provider code runs under a guard; the panic hook then logs instead of
/// printing Terraform's crash banner.
pub(crate) fn in_guard() -> bool {
    GUARDED.with(Cell::get) > 0
}

/// Awaits `fut`; a panic inside it turns into an error diagnostic naming `what`.
pub(crate) async fn run<T>(what: &str, fut: impl Future<Output = Result<T, Diagnostics>>) -> Result<T, Diagnostics> {
    let guarded = Guarded { inner: Box::pin(fut) };
    match guarded.await {
        Ok(r) => r,
        Err(message) => Err(Diagnostics::error(
            format!("Provider bug in {what}"),
            format!("The provider panicked: {message}. Please report this; nothing else was affected."),
        )),
    }
}

struct Guarded<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Guarded<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        GUARDED.with(|g| g.set(g.get() + 1));
        let result = catch_unwind(AssertUnwindSafe(|| self.inner.as_mut().poll(cx)));
        GUARDED.with(|g| g.set(g.get() - 1));
        match result {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                Poll::Ready(Err(message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn panics_become_diagnostics() {
        let r: Result<(), _> = run("test", async { panic!("boom") }).await;
        let d = r.unwrap_err();
        assert!(d.0[0].detail.contains("boom"));
        assert!(!in_guard());
    }
}
