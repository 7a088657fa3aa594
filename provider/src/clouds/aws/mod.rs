//! The AWS backend: EC2 for networks, subnets, firewalls, instances and NAT gateways, S3 for
//! buckets, Elastic Load Balancing v2 for load balancers, Route 53 for DNS, and RDS, ElastiCache
//! and KMS for databases, caches and keys, through the official Rust SDK. One [`AwsRegion`] holds
//! the clients of one region.

mod client;
pub mod errors;
pub mod idempotency;
pub mod tags;

pub use client::{AssumeRole, AwsCloud, DEFAULT_MAX_ATTEMPTS, Settings};

/// The clients of one AWS region; implements every backend trait.
pub struct AwsRegion {
    /// The native region name.
    pub(crate) region: String,
    /// EC2 client.
    pub(crate) ec2: aws_sdk_ec2::Client,
    /// S3 client.
    pub(crate) s3: aws_sdk_s3::Client,
    /// Elastic Load Balancing v2 client.
    pub(crate) elb: aws_sdk_elasticloadbalancingv2::Client,
    /// Route 53 client (a global service, signed for us-east-1).
    pub(crate) route53: aws_sdk_route53::Client,
    /// RDS client.
    pub(crate) rds: aws_sdk_rds::Client,
    /// ElastiCache client.
    pub(crate) elasticache: aws_sdk_elasticache::Client,
    /// KMS client.
    pub(crate) kms: aws_sdk_kms::Client,
    /// Attempts per call.
    pub(crate) max_attempts: u32,
}

impl AwsRegion {
    /// The EC2 ARN of `kind/id` owned by `owner`.
    pub(crate) fn ec2_arn(&self, owner: &str, kind: &str, id: &str) -> String {
        format!("arn:aws:ec2:{}:{owner}:{kind}/{id}", self.region)
    }
}

/// An EC2 filter on one value.
pub fn filter(name: &str, value: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder().name(name).values(value).build()
}

/// EC2 filters for a `list` block: one `tag:<key>` filter per tag, and the network when
/// the kind has one (`vpc-id`).
pub fn list_filters(filter: &crate::kinds::ListFilter, by_network: bool) -> Vec<aws_sdk_ec2::types::Filter> {
    let mut out: Vec<aws_sdk_ec2::types::Filter> =
        filter.tags.iter().map(|(k, v)| self::filter(&format!("tag:{k}"), v)).collect();
    if by_network && let Some(n) = &filter.network_id {
        out.push(self::filter("vpc-id", n));
    }
    out
}

/// The Name tag of an EC2 object, or its id when it has none.
pub fn shown_name(tags: &[aws_sdk_ec2::types::Tag], id: &str) -> String {
    tags.iter().find(|t| t.key() == Some(tags::NAME_TAG)).and_then(|t| t.value()).unwrap_or(id).to_string()
}
