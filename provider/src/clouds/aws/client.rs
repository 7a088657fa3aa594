//! AWS configuration: credentials from the standard chain (env, profile, SSO, web identity,
//! container/instance roles) plus optional assume-role, one endpoint for every service,
//! and the SDK's standard retry (exponential backoff with jitter, bounded attempts).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use tfplug::Diagnostics;
use tokio::sync::{Mutex, OnceCell};

use super::AwsRegion;

/// Default number of attempts per API call (first try plus retries).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// The `aws { ... }` block of the provider.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Region when a resource's region does not say (native, e.g. "us-east-1").
    pub region: Option<String>,
    /// One endpoint URL for every service (emulators, VPC endpoints).
    pub endpoint: Option<String>,
    /// Shared config profile.
    pub profile: Option<String>,
    /// Role to assume on top of the base credentials.
    pub assume_role: Option<AssumeRole>,
    /// Attempts per call, retries included.
    pub max_attempts: u32,
}

/// `assume_role { ... }`.
#[derive(Debug, Clone, Default)]
pub struct AssumeRole {
    /// The role's ARN.
    pub role_arn: String,
    /// Session name shown in CloudTrail.
    pub session_name: Option<String>,
    /// External id the role's trust policy requires.
    pub external_id: Option<String>,
}

/// AWS for the whole provider process: the shared SDK config, built on first use, and
/// one client set per region.
pub struct AwsCloud {
    settings: Settings,
    base: OnceCell<SdkConfig>,
    regions: Mutex<HashMap<String, Arc<AwsRegion>>>,
}

impl AwsCloud {
    /// Nothing is loaded until a region is asked for.
    pub fn new(settings: Settings) -> Self {
        AwsCloud { settings, base: OnceCell::new(), regions: Mutex::new(HashMap::new()) }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The clients for `region` (native name).
    pub async fn region(&self, region: &str) -> Result<Arc<AwsRegion>, Diagnostics> {
        let mut regions = self.regions.lock().await;
        if let Some(r) = regions.get(region) {
            return Ok(r.clone());
        }
        let base = self.base.get_or_init(|| load(&self.settings, region)).await;
        let r = Arc::new(AwsRegion::new(base, region, &self.settings));
        regions.insert(region.to_string(), r.clone());
        Ok(r)
    }
}

fn retry_config(max_attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(max_attempts.max(1))
        .with_initial_backoff(Duration::from_millis(500))
        .with_max_backoff(Duration::from_secs(20))
}

/// Loads the base config. Credentials resolve lazily on the first signed request, so
/// this makes no network call; the region is always explicit, so no metadata lookup.
async fn load(settings: &Settings, region: &str) -> SdkConfig {
    let home_region = settings.region.clone().unwrap_or_else(|| region.to_string());
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(home_region.clone()))
        .retry_config(retry_config(settings.max_attempts))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(endpoint) = &settings.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    let base = loader.load().await;
    let Some(role) = &settings.assume_role else {
        return base;
    };
    let mut builder = aws_config::sts::AssumeRoleProvider::builder(role.role_arn.clone())
        .region(Region::new(home_region))
        .configure(&base);
    if let Some(name) = &role.session_name {
        builder = builder.session_name(name);
    }
    if let Some(id) = &role.external_id {
        builder = builder.external_id(id);
    }
    let provider = builder.build().await;
    base.into_builder().credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(provider)).build()
}

impl AwsRegion {
    fn new(base: &SdkConfig, region: &str, settings: &Settings) -> Self {
        let region_v = Region::new(region.to_string());
        let ec2 = aws_sdk_ec2::config::Builder::from(base).region(region_v.clone()).build();
        // Emulators and VPC endpoints serve buckets by path, not by virtual host.
        let s3 = aws_sdk_s3::config::Builder::from(base)
            .region(region_v.clone())
            .force_path_style(settings.endpoint.is_some())
            .build();
        let elb =
            aws_sdk_elasticloadbalancingv2::config::Builder::from(base).region(Region::new(region.to_string())).build();
        let route53 = aws_sdk_route53::config::Builder::from(base).region(Region::new("us-east-1")).build();
        let rds = aws_sdk_rds::config::Builder::from(base).region(region_v.clone()).build();
        let elasticache = aws_sdk_elasticache::config::Builder::from(base).region(region_v.clone()).build();
        let kms = aws_sdk_kms::config::Builder::from(base).region(region_v).build();
        AwsRegion {
            region: region.to_string(),
            ec2: aws_sdk_ec2::Client::from_conf(ec2),
            s3: aws_sdk_s3::Client::from_conf(s3),
            elb: aws_sdk_elasticloadbalancingv2::Client::from_conf(elb),
            route53: aws_sdk_route53::Client::from_conf(route53),
            rds: aws_sdk_rds::Client::from_conf(rds),
            elasticache: aws_sdk_elasticache::Client::from_conf(elasticache),
            kms: aws_sdk_kms::Client::from_conf(kms),
            max_attempts: settings.max_attempts.max(1),
        }
    }
}
