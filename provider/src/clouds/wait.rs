//! Waiting on a cloud: one poll loop with a growing interval, retries while an object is
//! still in use by something going away, and the backoff between retries of a call.

use std::time::Duration;

use crate::clouds::{CloudError, ErrorKind};

/// Exponential backoff with full jitter: up to 0.5 s × 2^attempt, at most 20 s.
pub fn backoff(attempt: u32) -> Duration {
    let cap = Duration::from_millis(500).saturating_mul(1 << attempt.min(6)).min(Duration::from_secs(20));
    cap.mul_f64(fastrand::f64())
}

/// Polls `check` with a growing interval (0.25 s, ×1.5, at most `cap`) until it yields.
/// Unbounded: callers bound it with the resource's timeout.
pub async fn poll<T, F, Fut>(cap: Duration, mut check: F) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, CloudError>>,
{
    let mut wait = Duration::from_millis(250);
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 3 / 2).min(cap);
    }
}

/// Retries `op` while the object is still in use by something going away.
pub async fn while_in_use<F, Fut>(mut op: F) -> Result<(), CloudError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), CloudError>>,
{
    poll(Duration::from_secs(5), || {
        let fut = op();
        async move {
            match fut.await {
                Ok(()) => Ok(Some(())),
                Err(e) if e.kind == ErrorKind::InUse => {
                    tracing::debug!(error = %e, "still in use; retrying");
                    Ok(None)
                }
                Err(e) if e.is_not_found() => Ok(Some(())),
                Err(e) => Err(e),
            }
        }
    })
    .await
}
