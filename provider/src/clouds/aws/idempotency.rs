//! Creates that never make twins. EC2's CreateVpc, CreateSubnet and CreateSecurityGroup
//! take no client token, and a create whose answer was lost (5xx, dropped connection)
//! may still have happened. So the create is sent without SDK retries, with a creation
//! token tag, and before every retry the token is looked up: found means it happened.

use std::future::Future;
use std::time::Duration;

use super::AwsRegion;
use crate::clouds::{CloudError, ErrorKind};

/// Per-operation SDK config with the SDK's retries off (this module retries itself).
pub fn no_retry() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
}

/// Exponential backoff with full jitter: a random delay up to 0.5 s × 2^attempt, at most 20 s.
pub fn backoff(attempt: u32) -> Duration {
    let cap = Duration::from_millis(500).saturating_mul(1 << attempt.min(6)).min(Duration::from_secs(20));
    cap.mul_f64(fastrand::f64())
}

impl AwsRegion {
    /// Runs `create` until it succeeds, a retry would not help, or attempts run out;
    /// before each retry (and after a final transient failure) `lookup` finds an object
    /// the failed attempt made anyway.
    pub(crate) async fn create_once<C, CF, L, LF>(&self, create: C, lookup: L) -> Result<String, CloudError>
    where
        C: Fn() -> CF,
        CF: Future<Output = Result<String, CloudError>>,
        L: Fn() -> LF,
        LF: Future<Output = Result<Option<String>, CloudError>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let err = match create().await {
                Ok(id) => return Ok(id),
                Err(e) => e,
            };
            if err.kind != ErrorKind::Transient {
                return Err(err);
            }
            tracing::debug!(error = %err, attempt, "create failed transiently; checking whether it happened");
            tokio::time::sleep(backoff(attempt)).await;
            if let Some(id) = lookup().await? {
                tracing::debug!(id, "the failed create had happened; adopting its object");
                return Ok(id);
            }
            if attempt >= self.max_attempts {
                return Err(err);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_and_jittered() {
        for attempt in 0..20 {
            assert!(backoff(attempt) <= Duration::from_secs(20));
        }
        let samples: std::collections::BTreeSet<u128> = (0..20).map(|_| backoff(3).as_micros()).collect();
        assert!(samples.len() > 1, "jitter");
    }
}
