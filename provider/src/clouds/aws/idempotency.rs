//! Creates that never make twins. EC2's CreateVpc, CreateSubnet and CreateSecurityGroup
//! take no client token, and a create whose answer was lost (5xx, dropped connection)
//! may still have happened. So the create is sent without SDK retries, with a creation
//! token tag, and before every retry the token is looked up: found means it happened.

use std::future::Future;

use super::AwsRegion;
use crate::clouds::{CloudError, ErrorKind};

/// Per-operation SDK config with the SDK's retries off (this module retries itself).
pub fn no_retry() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
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
            tokio::time::sleep(crate::clouds::wait::backoff(attempt)).await;
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
