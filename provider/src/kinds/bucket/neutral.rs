//! Buckets (AWS S3, GCS, Azure blob container): cloud-neutral spec and state with safe
//! defaults (encrypted, not public), and the operations every cloud implements.

use crate::clouds::{CloudError, Native, Tags};

/// Where lifecycle rules move objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageClass {
    /// Infrequent access (AWS STANDARD_IA, GCS NEARLINE, Azure Cool).
    Cold,
    /// Archive (AWS GLACIER, GCS ARCHIVE, Azure Archive).
    Archive,
}

impl StorageClass {
    /// The key users write.
    pub fn key(self) -> &'static str {
        match self {
            StorageClass::Cold => "cold",
            StorageClass::Archive => "archive",
        }
    }

    /// Parses a key.
    pub fn parse(s: &str) -> Option<StorageClass> {
        [StorageClass::Cold, StorageClass::Archive].into_iter().find(|c| c.key() == s)
    }
}

/// One lifecycle rule over all objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleRule {
    /// Days after creation to move objects to `storage_class`.
    pub transition_days: Option<u32>,
    /// Target storage class of the transition.
    pub storage_class: Option<StorageClass>,
    /// Days after creation to delete objects.
    pub expiration_days: Option<u32>,
}

/// What the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSpec {
    /// Globally unique name.
    pub name: String,
    /// Keep old versions of objects.
    pub versioning: bool,
    /// Default encryption at rest.
    pub encrypted: bool,
    /// Customer-managed key for the default encryption.
    pub kms_key_id: Option<String>,
    /// Allow public access (off: the cloud's public-access block is on).
    pub public: bool,
    /// Bucket that receives access logs.
    pub logging_bucket: Option<String>,
    /// Lifecycle rules, in order.
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// Tags or labels.
    pub tags: Tags,
    /// Azure only: the resource group of the storage account (default: one of its own).
    pub resource_group: Option<String>,
}

/// What exists (same fields as the spec, as the cloud reports them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketState {
    /// The spec-shaped view.
    pub spec: BucketSpec,
    /// Cloud-side identifiers and attributes (ARN, domain name, region).
    pub native: Native,
}

/// Bucket operations of one cloud region.
#[tfplug::async_trait]
pub trait Buckets: Send + Sync {
    /// Creates the bucket; returns its id (the name). Creating a bucket this account
    /// already owns (a retried create) succeeds.
    async fn create_bucket(&self, spec: &BucketSpec) -> Result<String, CloudError>;

    /// Brings every setting to `spec`; also finishes a create.
    async fn update_bucket(&self, id: &str, spec: &BucketSpec) -> Result<(), CloudError>;

    /// The bucket, or `None` when it is gone.
    async fn read_bucket(&self, id: &str) -> Result<Option<BucketState>, CloudError>;

    /// Deletes it; with `force`, every object (and version) first.
    async fn delete_bucket(&self, id: &str, force: bool) -> Result<(), CloudError>;
}
