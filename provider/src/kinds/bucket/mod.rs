//! `oppie_bucket`: object storage (an S3 bucket) that is private and encrypted unless told
//! otherwise, with versioning, access logging, lifecycle rules (cold/archive tiers) and tags.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::RequiresReplace;
use tfplug::timeouts::Operation;
use tfplug::validator::{from_fn, int_between, one_of};
use tfplug::{Attribute, AttributePath, Block, Context, Diagnostics, MaybeUnknown, NestedBlock, Object, Plan, Value};

use super::common::{self, Placement};
use super::{Api, Kind};
use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::{CloudError, Native, Region, Tags};

/// The kind.
pub struct Bucket;

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
    /// Delete every object (and version) when the bucket is destroyed.
    pub force_destroy: bool,
}

/// What exists (same fields as the spec, as the cloud reports them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketState {
    /// The spec-shaped view.
    pub spec: BucketSpec,
    /// Cloud-side identifiers and attributes (ARN, domain name, region).
    pub native: Native,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RuleModel {
    transition_days: Option<u32>,
    storage_class: Option<String>,
    expiration_days: Option<u32>,
}

impl RuleModel {
    fn to_rule(&self) -> LifecycleRule {
        LifecycleRule {
            transition_days: self.transition_days,
            storage_class: self.storage_class.as_deref().and_then(StorageClass::parse),
            expiration_days: self.expiration_days,
        }
    }

    fn from_rule(r: &LifecycleRule) -> RuleModel {
        RuleModel {
            transition_days: r.transition_days,
            storage_class: r.storage_class.map(|c| c.key().to_string()),
            expiration_days: r.expiration_days,
        }
    }
}

#[derive(Deserialize)]
struct Planned {
    name: String,
    versioning: bool,
    encrypted: bool,
    kms_key_id: Option<String>,
    public: bool,
    logging_bucket: Option<String>,
    lifecycle_rule: Vec<RuleModel>,
    resource_group: MaybeUnknown<Option<String>>,
    force_destroy: bool,
}

#[derive(Serialize)]
struct Refreshed<'a> {
    name: &'a str,
    versioning: bool,
    encrypted: bool,
    kms_key_id: &'a Option<String>,
    public: bool,
    logging_bucket: &'a Option<String>,
    lifecycle_rule: Vec<RuleModel>,
}

fn spec(state: &Object) -> Result<BucketSpec, Diagnostics> {
    let p: Planned = state.get()?;
    Ok(BucketSpec {
        name: p.name,
        versioning: p.versioning,
        encrypted: p.encrypted,
        kms_key_id: p.kms_key_id,
        public: p.public,
        logging_bucket: p.logging_bucket,
        lifecycle_rules: p.lifecycle_rule.iter().map(RuleModel::to_rule).collect(),
        tags: common::planned_tags(state)?,
        resource_group: p.resource_group.into_known().flatten(),
        force_destroy: p.force_destroy,
    })
}

fn refresh(ctx: &Context<Client>, state: &mut Object, b: &BucketState) -> Result<(), Diagnostics> {
    let s = &b.spec;
    // AWS encrypts every bucket with SSE-S3 nowadays, configured or not: an SSE-S3 answer
    // does not contradict `encrypted = false`, so that is kept.
    let prior_encrypted = state.attr("encrypted").as_bool();
    let encrypted = s.encrypted && !(prior_encrypted == Some(false) && s.kms_key_id.is_none());
    state.merge(&Refreshed {
        name: &s.name,
        versioning: s.versioning,
        encrypted,
        kms_key_id: &s.kms_key_id,
        public: s.public,
        logging_bucket: &s.logging_bucket,
        lifecycle_rule: s.lifecycle_rules.iter().map(RuleModel::from_rule).collect(),
    })?;
    // merge() skips nulls; these may have become null out of band.
    state.set_attr("kms_key_id", &s.kms_key_id)?;
    state.set_attr("logging_bucket", &s.logging_bucket)?;
    if let Some(rg) = &s.resource_group {
        state.set_attr("resource_group", rg)?;
    }
    common::set_refreshed_tags(ctx, state, &s.tags)?;
    // AWS: the id is the name; Azure: the container's ARM id, kept as it is.
    let id = state.attr("id").as_str().map_or_else(|| s.name.clone(), str::to_string);
    common::set_ids(state, &id, Some(&b.native))
}

/// S3 naming rules, so a bad name fails at validate rather than at CreateBucket.
fn check_name(v: &Value) -> Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    if !(3..=63).contains(&s.len()) {
        return Err(format!("{s:?} is {} characters long; bucket names take 3 to 63", s.len()));
    }
    if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.') {
        return Err(format!("{s:?}: use lower-case letters, digits, '-' and '.' only"));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !alnum(s.chars().next()) || !alnum(s.chars().last()) {
        return Err(format!("{s:?} must start and end with a letter or digit"));
    }
    if s.contains("..") || s.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(format!("{s:?} must not contain \"..\" or look like an IP address"));
    }
    Ok(())
}

fn lifecycle_block() -> NestedBlock {
    NestedBlock::list(
        "lifecycle_rule",
        Block::new()
            .description("A rule over all objects: move them to a colder tier after some days, delete them after more.")
            .attribute(
                Attribute::number("transition_days")
                    .optional()
                    .validator(int_between(1, 36500))
                    .description("Days after creation to move objects to `storage_class`."),
            )
            .attribute(
                Attribute::string("storage_class")
                    .optional()
                    .validator(one_of(["cold", "archive"]))
                    .description("`cold` (AWS STANDARD_IA) or `archive` (AWS GLACIER)."),
            )
            .attribute(
                Attribute::number("expiration_days")
                    .optional()
                    .validator(int_between(1, 36500))
                    .description("Days after creation to delete objects."),
            ),
    )
}

#[tfplug::async_trait]
impl Kind for Bucket {
    const TYPE: &'static str = "oppie_bucket";
    const NOUN: &'static str = "bucket";
    const CLOUDS: &'static [Cloud] = &Cloud::ALL;
    const TIMEOUTS: [(Operation, Duration); 3] = [
        (Operation::Create, Duration::from_secs(300)),
        (Operation::Update, Duration::from_secs(300)),
        (Operation::Delete, Duration::from_secs(1800)),
    ];
    type Spec = BucketSpec;
    type State = BucketState;

    fn block() -> Block {
        Block::new()
            .markdown("Object storage (an AWS S3 bucket; on Azure a blob container in a storage account of its own, HTTPS only). Safe defaults: encrypted at rest and closed to the public (S3 public access block on; Azure blob public access off).")
            .attribute(
                Attribute::string("name")
                    .required()
                    .validator(from_fn("a valid bucket name (3-63 of a-z, 0-9, '-', '.')", check_name))
                    .plan_modifier(RequiresReplace)
                    .description("Globally unique bucket name; also its `id`. Changing it replaces the bucket."),
            )
            .attribute(Attribute::bool("versioning").default(false).description("Keep every version of every object (default false). Changes in place; turning it off suspends versioning."))
            .attribute(Attribute::bool("encrypted").default(true).description("Default encryption at rest (default true): SSE-S3, or SSE-KMS with `kms_key_id`."))
            .attribute(Attribute::string("kms_key_id").optional().description("KMS key (id or ARN) for default encryption; needs `encrypted = true`."))
            .attribute(Attribute::bool("public").default(false).description("Allow public access (default false: the S3 public access block is on)."))
            .attribute(Attribute::bool("force_destroy").default(false).description("Delete all objects and versions when the bucket is destroyed (default false: destroying a non-empty bucket fails)."))
            .attribute(Attribute::string("logging_bucket").optional().description("Bucket that receives access logs (under the prefix `<name>/`)."))
            .attribute(Attribute::number("expected_storage_gb").optional().validator(int_between(0, 1_000_000_000)).description("Expected stored data in GB, for cost estimates. No effect on the bucket."))
            .attribute(common::resource_group_attribute())
            .block(lifecycle_block())
    }

    fn api(region: &Region) -> Option<Arc<dyn Api<Self>>> {
        Some(match region {
            Region::Aws(r) => r.clone(),
            Region::Gcp(r) => r.clone(),
            Region::Azure(r) => r.clone(),
        })
    }

    async fn validate(_ctx: &Context<Client>, config: &Object) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::new();
        if config.attr("kms_key_id").as_str().is_some() && config.attr("encrypted").as_bool() == Some(false) {
            diags.add_attribute_error(
                AttributePath::attr("kms_key_id"),
                "Key without encryption",
                "kms_key_id needs encrypted = true (the default).",
            );
        }
        for (i, rule) in config.attr("lifecycle_rule").as_slice().unwrap_or(&[]).iter().enumerate() {
            let at = AttributePath::attr("lifecycle_rule").with_index(i as i64);
            let Ok(r) = tfplug::cty::from_value::<RuleModel>(rule) else {
                continue;
            };
            if !rule.is_wholly_known() {
                continue;
            }
            match (r.transition_days, &r.storage_class, r.expiration_days) {
                (None, None, None) => diags.add_attribute_error(
                    at,
                    "Empty lifecycle rule",
                    "Set transition_days with storage_class, expiration_days, or both.",
                ),
                (Some(_), None, _) => diags.add_attribute_error(
                    at.with_attr("storage_class"),
                    "Missing storage class",
                    "transition_days needs storage_class (cold or archive).",
                ),
                (None, Some(_), _) => diags.add_attribute_error(
                    at.with_attr("transition_days"),
                    "Missing transition days",
                    "storage_class needs transition_days.",
                ),
                (Some(t), Some(_), Some(e)) if e <= t => diags.add_attribute_error(
                    at.with_attr("expiration_days"),
                    "Expiration before transition",
                    format!(
                        "Objects would be deleted (day {e}) before they move (day {t}); make expiration_days larger."
                    ),
                ),
                _ => {}
            }
        }
        diags.into_result()
    }

    async fn plan(_ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
        diags.absorb(common::plan_resource_group(plan, place));
        match place.map(|p| p.cloud) {
            Some(Cloud::Azure) => azure::check_plan(plan, diags),
            Some(Cloud::Gcp) => gcp::check_plan(plan, diags),
            _ => {}
        }
        if place.is_none_or(|p| p.cloud != Cloud::Azure)
            && let Some(name) = plan.planned.attr("name").as_str().map(str::to_string)
        {
            // AWS and GCP: the id is the name, known at plan time.
            diags.absorb(common::set_ids(&mut plan.planned, &name, None));
        }
        diags.absorb(common::plan_native(plan, false));
    }

    fn spec(state: &Object) -> Result<BucketSpec, Diagnostics> {
        spec(state)
    }

    fn label(spec: &BucketSpec) -> String {
        spec.name.clone()
    }

    fn refresh(ctx: &Context<Client>, state: &mut Object, actual: &BucketState) -> Result<(), Diagnostics> {
        refresh(ctx, state, actual)
    }

    fn applied(state: &mut Object, b: &BucketState) -> Result<(), Diagnostics> {
        common::fill(state, "resource_group", &b.spec.resource_group)?;
        common::fill(state, "native", &b.native)
    }

    fn import(state: &mut Object, native_id: &str) -> Result<(), Diagnostics> {
        if !native_id.starts_with("/subscriptions/") {
            state.set_attr("name", &native_id)?;
        }
        state.set_attr("force_destroy", &false)
    }
}

/// Where a bucket's snapshots go: `.oppie-snapshots/<taken>[-until-<retain until>].json`.
pub const SNAPSHOT_PREFIX: &str = ".oppie-snapshots/";

/// Snapshots of a bucket that keeps versions (`oppie_snapshot`): a manifest recording the
/// current version of every object, from which any object can be restored.
#[tfplug::async_trait]
pub trait Snapshots: Send + Sync {
    /// Writes the manifest into the bucket; its id, or `None` when there is no such bucket.
    /// A bucket without versioning is refused (its old contents cannot be restored).
    async fn snapshot_versions(
        &self,
        _bucket: &str,
        _retain_until: Option<&str>,
    ) -> Result<Option<String>, CloudError> {
        Err(CloudError::unsupported(
            "oppie_snapshot",
            "snapshot bucket",
            "bucket snapshots are supported on AWS only so far",
        ))
    }

    /// Deletes the manifests whose retention ended before `now`; their ids.
    async fn prune_versions(&self, _bucket: &str, _now: &str) -> Result<Vec<String>, CloudError> {
        Ok(Vec::new())
    }
}

/// The bucket snapshots of the cloud `region` belongs to.
pub fn snapshots(region: &Region) -> Arc<dyn Snapshots> {
    match region {
        Region::Aws(r) => r.clone(),
        Region::Gcp(r) => r.clone(),
        Region::Azure(r) => r.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        assert!(check_name(&Value::from("shop-dev-media")).is_ok());
        assert!(check_name(&Value::from("ab")).is_err());
        assert!(check_name(&Value::from("Shop")).is_err());
        assert!(check_name(&Value::from("-shop")).is_err());
        assert!(check_name(&Value::from("10.0.0.1")).is_err());
    }
}
