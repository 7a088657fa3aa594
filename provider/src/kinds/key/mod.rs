//! `oppie_key`: a customer-managed symmetric encryption key that rotates itself (AWS KMS key
//! with an alias, Cloud KMS key ring and crypto key, Key Vault with a key). Its `id` is what
//! `key_id` on buckets, disks, databases and caches takes on the same cloud.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::RequiresReplace;
use tfplug::timeouts::Operation;
use tfplug::validator::{from_fn, int_between};
use tfplug::{Attribute, AttributePath, Block, Context, Diagnostics, MaybeUnknown, Object, Plan, Value};

use super::common::{self, Placement};
use super::{Api, Kind};
use crate::catalog::Cloud;
use crate::client::Client;
use crate::clouds::{Native, Region, Tags};

/// The kind.
pub struct Key;

/// What the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// The key's name (AWS alias `alias/<name>`, GCP key ring and key, Azure key).
    pub name: String,
    /// Days between automatic rotations; 0: no automatic rotation.
    pub rotation_days: u32,
    /// Days a deleted key can still be recovered.
    pub deletion_window_days: u32,
    /// Tags or labels.
    pub tags: Tags,
    /// Azure only: the resource group of the vault (default: one of its own).
    pub resource_group: Option<String>,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    /// The spec-shaped view; `deletion_window_days` is `None` where the cloud does not
    /// report it (AWS applies it only when the key is deleted).
    pub name: String,
    /// Days between rotations (0: none).
    pub rotation_days: u32,
    /// The recovery window, where the cloud reports it.
    pub deletion_window_days: Option<u32>,
    /// Tags or labels.
    pub tags: Tags,
    /// Azure: the vault's resource group.
    pub resource_group: Option<String>,
    /// ARN, key ring, vault and key URI, by name.
    pub native: Native,
}

#[derive(Deserialize)]
struct Planned {
    name: String,
    rotation_days: u32,
    deletion_window_days: u32,
    resource_group: MaybeUnknown<Option<String>>,
}

#[derive(Serialize)]
struct Refreshed<'a> {
    name: &'a str,
    rotation_days: u32,
}

/// Key names: letters, digits and '-', starting with a letter (what AWS aliases, Cloud KMS
/// ids and Key Vault key names all take).
fn check_name(v: &Value) -> Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    let ok = s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if s.is_empty() || s.len() > 63 || !ok || !s.starts_with(|c: char| c.is_ascii_alphabetic()) || s.ends_with('-') {
        return Err(format!(
            "{s:?}: use 1 to 63 letters, digits and '-', starting with a letter and not ending with '-'"
        ));
    }
    if s.to_ascii_lowercase().starts_with("aws") {
        return Err(format!("{s:?}: names starting with \"aws\" are reserved for AWS-managed keys"));
    }
    Ok(())
}

fn check_rotation(v: &Value) -> Result<(), String> {
    let Some(n) = v.as_number().and_then(|n| n.as_i64()) else { return Ok(()) };
    if n == 0 || (90..=2560).contains(&n) {
        Ok(())
    } else {
        Err(format!("{n}: use 90 to 2560 days (the range every cloud rotates in), or 0 for no automatic rotation"))
    }
}

/// True when two references name the same key: equal, or one the other's ARN or path
/// (`arn:aws:kms:...:key/<id>` and `<id>`).
pub fn same_key(a: &str, b: &str) -> bool {
    a == b || a.ends_with(&format!("/{b}")) || b.ends_with(&format!("/{a}"))
}

fn path(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

#[tfplug::async_trait]
impl Kind for Key {
    const TYPE: &'static str = "oppie_key";
    const NOUN: &'static str = "key";
    const CLOUDS: &'static [Cloud] = &[Cloud::Aws, Cloud::Gcp, Cloud::Azure];
    const TIMEOUTS: [(Operation, Duration); 3] = [
        (Operation::Create, Duration::from_secs(300)),
        (Operation::Update, Duration::from_secs(300)),
        (Operation::Delete, Duration::from_secs(600)),
    ];
    type Spec = KeySpec;
    type State = KeyState;

    fn block() -> Block {
        Block::new()
            .markdown("A customer-managed symmetric encryption key that rotates itself: an AWS KMS key with the alias `alias/<name>`, a Cloud KMS key ring and crypto key of that name, or an Azure Key Vault (soft delete and purge protection on, reached by a managed identity of its own) holding the key. Give its `id` to `key_id` of a database or cache, `kms_key_id` of a bucket, or `disk_key_id` of an instance on the same cloud and region.")
            .attribute(
                Attribute::string("name")
                    .required()
                    .validator(from_fn("a key name (letters, digits, '-')", check_name))
                    .plan_modifier(RequiresReplace)
                    .description("The key's name: the AWS alias `alias/<name>`, the Cloud KMS key ring and key, the Key Vault key (its vault is named after it). Changing it replaces the key."),
            )
            .attribute(
                Attribute::number("rotation_days")
                    .default(365)
                    .validator(from_fn("0, or 90 to 2560", check_rotation))
                    .description("Days between automatic rotations of the key material (default 365; 0: no automatic rotation). Changes in place on AWS and GCP; on Azure a change replaces the key (Resource Manager never changes a key once made)."),
            )
            .attribute(
                Attribute::number("deletion_window_days")
                    .default(30)
                    .validator(int_between(7, 30))
                    .description("Days a destroyed key can still be recovered before it is gone for good (7 to 30, default 30): the AWS pending-deletion window, the Cloud KMS scheduled-destruction delay, the Key Vault soft-delete retention. Fixed at creation on GCP and Azure."),
            )
            .attribute(common::resource_group_attribute())
    }

    fn api(region: &Region) -> Option<Arc<dyn Api<Self>>> {
        match region {
            Region::Aws(r) => Some(r.clone()),
            Region::Gcp(r) => Some(r.clone()),
            Region::Azure(r) => Some(r.clone()),
        }
    }

    async fn plan(_ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
        diags.absorb(common::plan_resource_group(plan, place));
        if let Some(p) = place
            && p.cloud != Cloud::Aws
            && !plan.prior.is_null()
            && common::changed(plan, "deletion_window_days")
        {
            diags.add_attribute_error(
                path("deletion_window_days"),
                format!("deletion_window_days cannot change on {}", p.cloud),
                match p.cloud {
                    Cloud::Gcp => "Cloud KMS fixes a key's destruction delay when the key is made; keep the value it was created with.",
                    _ => "Key Vault fixes the soft-delete retention when the vault is made; keep the value it was created with.",
                },
            );
        }
        if place.is_some_and(|p| p.cloud == Cloud::Azure)
            && !plan.prior.is_null()
            && common::changed(plan, "rotation_days")
        {
            // Resource Manager makes a key only if it does not exist and never changes it.
            plan.requires_replace.push(path("rotation_days"));
        }
        diags.absorb(common::plan_native(plan, false));
    }

    fn spec(state: &Object) -> Result<KeySpec, Diagnostics> {
        let p: Planned = state.get()?;
        Ok(KeySpec {
            name: p.name,
            rotation_days: p.rotation_days,
            deletion_window_days: p.deletion_window_days,
            tags: common::planned_tags(state)?,
            resource_group: p.resource_group.into_known().flatten(),
        })
    }

    fn label(spec: &KeySpec) -> String {
        spec.name.clone()
    }

    fn refresh(ctx: &Context<Client>, state: &mut Object, k: &KeyState) -> Result<(), Diagnostics> {
        state.merge(&Refreshed { name: &k.name, rotation_days: k.rotation_days })?;
        if let Some(days) = k.deletion_window_days {
            state.set_attr("deletion_window_days", &days)?;
        } else if state.attr("deletion_window_days").is_null() {
            // An import on a cloud that does not report it: the default.
            state.set_attr("deletion_window_days", &30)?;
        }
        if let Some(rg) = &k.resource_group {
            state.set_attr("resource_group", rg)?;
        }
        common::set_refreshed_tags(ctx, state, &k.tags)?;
        let id = state.attr("id").as_str().unwrap_or_default().to_string();
        common::set_ids(state, &id, Some(&k.native))
    }

    fn applied(state: &mut Object, k: &KeyState) -> Result<(), Diagnostics> {
        common::fill(state, "resource_group", &k.resource_group)?;
        common::fill(state, "native", &k.native)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::testing::Harness;

    #[test]
    fn names_and_rotation_are_checked_before_any_call() {
        assert!(check_name(&Value::from("shop-prod-data")).is_ok());
        assert!(check_name(&Value::from("1key")).is_err());
        assert!(check_name(&Value::from("aws-ebs")).unwrap_err().contains("reserved"));
        assert!(check_name(&Value::from("key_1")).is_err());
        let n = |i: i64| Value::Number(tfplug::cty::Number::Int(i));
        assert!(check_rotation(&n(0)).is_ok());
        assert!(check_rotation(&n(365)).is_ok());
        assert!(check_rotation(&n(30)).unwrap_err().contains("90 to 2560"));
    }

    #[test]
    fn the_deletion_window_is_fixed_on_gcp_and_azure_only() {
        let h = Harness::new();
        for (cloud, fixed) in [("aws", false), ("gcp", true), ("azure", true)] {
            let planned = h.plan::<Key>(&[("cloud", cloud), ("region", "eu-west"), ("name", "shop-data")]);
            assert_eq!(planned.attr("rotation_days").as_number().and_then(|n| n.as_i64()), Some(365));
            let r = CloudResource::<Key>::new();
            let state = crate::kinds::testing::applied(&planned);
            let mut config = tfplug::testing::config(
                &r.schema(),
                [
                    ("cloud", Value::from(cloud)),
                    ("region", Value::from("eu-west")),
                    ("name", Value::from("shop-data")),
                    ("deletion_window_days", Value::Number(tfplug::cty::Number::Int(7))),
                ],
            );
            if let Some(m) = config.as_map_mut() {
                m.insert(
                    "resource_group".into(),
                    state.as_map().and_then(|s| s.get("resource_group")).cloned().unwrap_or(Value::Null),
                );
                if cloud != "azure" {
                    m.insert("resource_group".into(), Value::Null);
                }
            }
            let out = h.block_on(tfplug::testing::plan(r.as_ref(), &h.ctx, &state, &config));
            assert_eq!(out.is_err(), fixed, "{cloud}");
        }
    }

    use crate::kinds::lifecycle::CloudResource;
}
