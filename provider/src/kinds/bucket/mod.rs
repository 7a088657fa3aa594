//! `oppie_bucket`: object storage (an S3 bucket) that is private and encrypted unless told
//! otherwise, with versioning, access logging, lifecycle rules (cold/archive tiers) and tags.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;
mod neutral;

pub use neutral::*;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::RequiresReplace;
use tfplug::timeouts::Operation;
use tfplug::validator::{from_fn, int_between, one_of};
use tfplug::{
    ApplyResponse, Attribute, AttributePath, Block, Context, Diagnostics, MaybeUnknown, NestedBlock, Object, Plan,
    Private, ReadResponse, Schema, Value,
};

use super::common::{self, Budget};
use crate::catalog::Cloud;
use crate::clouds::Tags;
use crate::provider::Client;

/// The resource type.
pub struct Bucket;

const TIMEOUTS: [(Operation, Duration); 3] = [
    (Operation::Create, Duration::from_secs(300)),
    (Operation::Update, Duration::from_secs(300)),
    (Operation::Delete, Duration::from_secs(1800)),
];

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

/// What Azure storage cannot do the way the attributes ask.
fn azure_limits(plan: &Plan) -> Result<(), Diagnostics> {
    let p = &plan.planned;
    if p.attr("encrypted").as_bool() == Some(false) {
        return Err(common::not_on(
            Cloud::Azure,
            AttributePath::attr("encrypted"),
            "encrypted = false",
            "Azure Storage encrypts every account at rest; remove encrypted = false.",
        ));
    }
    if !p.attr("kms_key_id").is_null() {
        return Err(common::not_on(
            Cloud::Azure,
            AttributePath::attr("kms_key_id"),
            "kms_key_id",
            "customer-managed keys need a Key Vault and a managed identity, which this provider does not manage yet; remove kms_key_id.",
        ));
    }
    if let Some(name) = p.attr("name").as_str()
        && name.replace('.', "-").contains("--")
    {
        return Err(common::not_on(
            Cloud::Azure,
            AttributePath::attr("name"),
            "This bucket name",
            "Azure container names take single hyphens only (and '.' becomes '-'); avoid \"--\", \".-\" and \"-.\".",
        ));
    }
    if !p.attr("logging_bucket").is_null() {
        return Err(common::not_on(
            Cloud::Azure,
            AttributePath::attr("logging_bucket"),
            "logging_bucket",
            "Azure sends storage logs through diagnostic settings to Log Analytics or a storage account, not to a container; remove logging_bucket.",
        ));
    }
    Ok(())
}

#[tfplug::async_trait]
impl tfplug::Resource<Client> for Bucket {
    fn type_name(&self) -> &str {
        "oppie_bucket"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            common::with_common(
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
                    .block(lifecycle_block()),
                &TIMEOUTS,
            ),
        )
    }

    async fn validate(&self, _ctx: &Context<Client>, config: &Object) -> Result<(), Diagnostics> {
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

    async fn modify_plan(&self, ctx: &Context<Client>, plan: &mut Plan) -> Result<(), Diagnostics> {
        if plan.is_destroy() {
            return Ok(());
        }
        let placement = common::plan_common(ctx, plan)?;
        if placement.as_ref().is_some_and(|p| p.cloud == Cloud::Gcp)
            && let Some(key) = plan.planned.attr("kms_key_id").as_str()
            && !(key.starts_with("projects/") && key.contains("/cryptoKeys/"))
        {
            return Err(Diagnostics::attribute_error(
                AttributePath::attr("kms_key_id"),
                "Not a Cloud KMS key",
                format!(
                    "On GCP kms_key_id is a Cloud KMS key name, projects/P/locations/L/keyRings/R/cryptoKeys/K; {key:?} is not."
                ),
            ));
        }
        common::plan_resource_group(plan, placement.as_ref())?;
        if placement.as_ref().is_some_and(|p| p.cloud == Cloud::Azure) {
            azure_limits(plan)?;
        } else if let Some(name) = plan.planned.attr("name").as_str().map(str::to_string) {
            // AWS and GCP: the id is the name, known at plan time.
            common::set_ids(&mut plan.planned, &name, None)?;
        }
        common::plan_native(plan, false)
    }

    async fn create(
        &self,
        ctx: &Context<Client>,
        _config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let spec = spec(&resp.state)?;
        let backend = common::backend(ctx, &resp.state).await?;
        let budget = Budget::new(&resp.state, Operation::Create, TIMEOUTS[0].1)?;
        let what = format!("creating bucket {}", spec.name);
        let id = budget.run(ctx, &what, backend.create_bucket(&spec)).await?;
        // The bucket exists from here on; settings come next.
        common::set_ids(&mut resp.state, &id, None)?;
        budget.run(ctx, &what, backend.update_bucket(&id, &spec)).await?;
        let b = budget.run(ctx, &what, backend.read_bucket(&id)).await?;
        resp.state.set_attr("resource_group", &b.as_ref().and_then(|b| b.spec.resource_group.clone()))?;
        common::set_ids(&mut resp.state, &id, Some(&b.map(|b| b.native).unwrap_or_default()))
    }

    async fn read(&self, ctx: &Context<Client>, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        let id: String = resp.state.get_at(&AttributePath::attr("id"))?;
        let backend = common::backend(ctx, &resp.state).await?;
        match backend.read_bucket(&id).await.map_err(|e| e.to_diagnostics("reading bucket"))? {
            Some(b) => refresh(ctx, &mut resp.state, &b),
            None => {
                resp.state.set_null();
                Ok(())
            }
        }
    }

    async fn update(
        &self,
        ctx: &Context<Client>,
        _prior: &Object,
        _config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let spec = spec(&resp.state)?;
        let id: String = resp.state.get_at(&AttributePath::attr("id"))?;
        let backend = common::backend(ctx, &resp.state).await?;
        let budget = Budget::new(&resp.state, Operation::Update, TIMEOUTS[1].1)?;
        budget.run(ctx, &format!("updating bucket {id}"), backend.update_bucket(&id, &spec)).await
    }

    async fn delete(&self, ctx: &Context<Client>, prior: &Object, _private: &Private) -> Result<(), Diagnostics> {
        let id: String = prior.get_at(&AttributePath::attr("id"))?;
        let force = prior.attr("force_destroy").as_bool().unwrap_or(false);
        let backend = common::backend(ctx, prior).await?;
        let budget = Budget::new(prior, Operation::Delete, TIMEOUTS[2].1)?;
        budget.run(ctx, &format!("deleting bucket {id}"), backend.delete_bucket(&id, force)).await
    }

    async fn import(&self, ctx: &Context<Client>, id: &str, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        let (_, cloud, region, name) = common::import_placement(ctx, id)?;
        resp.state.set_attr("cloud", &cloud)?;
        resp.state.set_attr("region", &region)?;
        if !name.starts_with("/subscriptions/") {
            resp.state.set_attr("name", &name)?;
        }
        resp.state.set_attr("force_destroy", &false)?;
        resp.state.set_attr("tags", &Option::<Tags>::None)?;
        common::set_ids(&mut resp.state, &name, None)
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
