//! The AWS backend: EC2 for networks, subnets, firewalls and instances, S3 for buckets,
//! through the official Rust SDK. One [`AwsRegion`] holds the clients of one region.

mod client;
pub mod errors;
pub mod idempotency;
pub mod tags;

use std::future::Future;
use std::time::Duration;

pub use client::{AssumeRole, AwsCloud, DEFAULT_MAX_ATTEMPTS, Settings};

use crate::clouds::CloudError;

/// The clients of one AWS region; implements every backend trait.
pub struct AwsRegion {
    /// The native region name.
    pub(crate) region: String,
    /// EC2 client.
    pub(crate) ec2: aws_sdk_ec2::Client,
    /// S3 client.
    pub(crate) s3: aws_sdk_s3::Client,
    /// Attempts per call.
    pub(crate) max_attempts: u32,
}

impl AwsRegion {
    /// The EC2 ARN of `kind/id` owned by `owner`.
    pub(crate) fn ec2_arn(&self, owner: &str, kind: &str, id: &str) -> String {
        format!("arn:aws:ec2:{}:{owner}:{kind}/{id}", self.region)
    }
}

/// Polls `check` until it yields a value, sleeping between tries with a growing
/// interval (0.1 s, then ×1.5 up to 5 s). Unbounded: callers bound it with a timeout.
pub(crate) async fn poll<T, F, Fut>(mut check: F) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, CloudError>>,
{
    let mut wait = Duration::from_millis(100);
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 3 / 2).min(Duration::from_secs(5));
    }
}

/// Retries `op` while it fails because something still depends on the object (AWS is
/// eventually consistent: an instance's network interface lingers after termination).
pub(crate) async fn while_in_use<F, Fut>(mut op: F) -> Result<(), CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), CloudError>>,
{
    poll(|| {
        let fut = op();
        async move {
            match fut.await {
                Ok(()) => Ok(Some(())),
                Err(e) if e.kind == crate::clouds::ErrorKind::InUse => {
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

/// An EC2 filter on one value.
pub fn filter(name: &str, value: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder().name(name).values(value).build()
}
