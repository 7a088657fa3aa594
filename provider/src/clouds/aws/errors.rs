//! AWS SDK errors as [`CloudError`]s: the AWS error code, message and request id kept,
//! and the code classified (not found, in use, invalid, auth, transient).

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::operation::RequestId;

use crate::clouds::{CloudError, ErrorKind};

/// Converts an SDK error of `service`'s `operation`.
pub fn from_sdk<E>(service: &'static str, operation: &str, err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let (code, message, request_id) = match err.as_service_error() {
        Some(e) => (
            e.code().map(str::to_string),
            e.message().map(str::to_string),
            e.meta().request_id().map(str::to_string).or_else(|| err.request_id().map(str::to_string)),
        ),
        None => (None, None, err.request_id().map(str::to_string)),
    };
    let message = message.unwrap_or_else(|| match &err {
        SdkError::TimeoutError(_) => "the request timed out".to_string(),
        SdkError::DispatchFailure(d) => match d.as_connector_error() {
            Some(c) => format!("could not reach the endpoint: {}", describe(c)),
            None => "could not reach the endpoint".to_string(),
        },
        SdkError::ResponseError(_) => "the response could not be read".to_string(),
        SdkError::ConstructionFailure(_) => "the request could not be built (are credentials configured?)".to_string(),
        _ => match status {
            Some(s) => format!("HTTP status {s}"),
            None => aws_sdk_ec2::error::DisplayErrorContext(&err).to_string(),
        },
    });
    let kind = classify(code.as_deref(), status, &err);
    CloudError { kind, service, operation: operation.to_string(), code, message, request_id }
}

fn describe(d: &dyn std::error::Error) -> String {
    let mut text = d.to_string();
    let mut source = std::error::Error::source(d);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn classify<E, R>(code: Option<&str>, status: Option<u16>, err: &SdkError<E, R>) -> ErrorKind {
    // RDS, ElastiCache and KMS name their codes `...Fault` and `...Exception`
    // (`DBInstanceNotFoundFault`, `NotFoundException`): the stem classifies.
    let code = code.map(|c| c.strip_suffix("Fault").or_else(|| c.strip_suffix("Exception")).unwrap_or(c));
    if let Some(code) = code {
        if matches!(
            code,
            "KMSInvalidState"
                | "InvalidDBInstanceState"
                | "InvalidReplicationGroupState"
                | "InvalidCacheClusterState"
                | "CacheSubnetGroupInUse"
                | "InvalidDBSubnetGroupState"
        ) {
            return ErrorKind::InUse;
        }
        if code.ends_with(".NotFound")
            || code.ends_with("NotFound")
            || matches!(code, "NoSuchBucket" | "NoSuchEntity" | "NoSuchHostedZone")
        {
            return ErrorKind::NotFound;
        }
        if code == "DependencyViolation"
            || code == "BucketNotEmpty"
            || code == "HostedZoneNotEmpty"
            || code.ends_with(".InUse")
            || code == "ResourceInUse"
        {
            return ErrorKind::InUse;
        }
        if code.starts_with("Invalid")
            || code.starts_with("Malformed")
            || code.ends_with("AlreadyExists")
            || code.ends_with("QuotaExceeded")
            || code.ends_with("LimitExceeded") && code != "RequestLimitExceeded"
        {
            return ErrorKind::Invalid;
        }
        if matches!(
            code,
            "AuthFailure"
                | "UnauthorizedOperation"
                | "AccessDenied"
                | "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
        ) {
            return ErrorKind::Auth;
        }
        if matches!(
            code,
            "RequestLimitExceeded"
                | "Throttling"
                | "ThrottlingException"
                | "SlowDown"
                | "ServiceUnavailable"
                | "InternalError"
                | "Unavailable"
        ) {
            return ErrorKind::Transient;
        }
    }
    match (status, err) {
        (Some(s), _) if s >= 500 || s == 429 => ErrorKind::Transient,
        (Some(404), _) => ErrorKind::NotFound,
        // A lost connection, before or after the cloud acted: the call may have happened.
        (_, SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)) => {
            ErrorKind::Transient
        }
        (_, SdkError::ConstructionFailure(_)) => ErrorKind::Auth,
        _ => ErrorKind::Other,
    }
}

/// Shorthand for EC2 calls.
pub fn ec2<E>(operation: &str, err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    from_sdk("AWS EC2", operation, err)
}

/// Shorthand for Elastic Load Balancing calls.
pub fn elb<E>(operation: &str, err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    from_sdk("AWS ELB", operation, err)
}

/// Shorthand for Route 53 calls.
pub fn route53<E>(operation: &str, err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    from_sdk("AWS Route 53", operation, err)
}

/// Shorthand for RDS calls.
pub fn rds<E>(operation: &str, err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    from_sdk("AWS RDS", operation, err)
}

/// Shorthand for ElastiCache calls.
pub fn elasticache<E>(operation: &str, err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    from_sdk("AWS ElastiCache", operation, err)
}

/// Shorthand for KMS calls.
pub fn kms<E>(operation: &str, err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    from_sdk("AWS KMS", operation, err)
}

/// Shorthand for S3 calls.
pub fn s3<E>(operation: &str, err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    from_sdk("AWS S3", operation, err)
}
