//! `oppie_instance`: a virtual machine from a catalog size and image (or native ones).
//! The image key resolves to the newest official image at plan time when the cloud can be
//! asked, else at apply. Size changes in place (stop, resize, start); image, subnet,
//! public address, disk encryption and user data replace it.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::{RequiresReplace, RequiresReplaceIf, UseStateForUnknown};
use tfplug::timeouts::Operation;
use tfplug::validator::int_between;
use tfplug::{Attribute, AttributePath, Block, Context, Diagnostics, MaybeUnknown, Object, Plan, Type, Value};

use super::checks::display_name;
use super::common::{self, Placement};
use super::{Api, Kind};
use crate::catalog::{Cloud, Resolved};
use crate::client::Client;
use crate::clouds::{CloudError, Native, Region, Tags};

/// The kind.
pub struct Instance;

/// What the configuration asks for, with catalog keys resolved to native values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSpec {
    /// Display name.
    pub name: String,
    /// Native machine type, e.g. "t3.small".
    pub machine_type: String,
    /// Native image id.
    pub image_id: String,
    /// Subnet id.
    pub subnet_id: String,
    /// Firewall ids.
    pub firewall_ids: Vec<String>,
    /// Boot disk size in GB.
    pub disk_gb: u32,
    /// Boot disk encrypted.
    pub disk_encrypted: bool,
    /// Gets a public address.
    pub public_ip: bool,
    /// Boot script (secret).
    pub user_data: Option<String>,
    /// Refuse API deletion.
    pub deletion_protection: bool,
    /// Tags or labels.
    pub tags: Tags,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceState {
    /// The cloud's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Native machine type.
    pub machine_type: String,
    /// Native image id.
    pub image_id: String,
    /// Subnet id.
    pub subnet_id: String,
    /// Firewall ids, sorted.
    pub firewall_ids: Vec<String>,
    /// Boot disk size in GB.
    pub disk_gb: u32,
    /// Boot disk encrypted.
    pub disk_encrypted: bool,
    /// Has a public address.
    pub public_ip: bool,
    /// Refuses API deletion.
    pub deletion_protection: bool,
    /// Tags or labels.
    pub tags: Tags,
    /// Cloud-side identifiers and attributes (addresses, zone, ...).
    pub native: Native,
}

/// Finding a catalog image on one cloud.
#[tfplug::async_trait]
pub trait Images: Send + Sync {
    /// The newest image matching a catalog image's lookup fields (AWS: owner and name
    /// pattern; GCP: project and family; Azure: publisher, offer and sku).
    async fn resolve_image(&self, lookup: &BTreeMap<String, String>) -> Result<String, CloudError>;
}

/// What the actions do to a machine on one cloud: power it (`oppie_instance_power`) and
/// snapshot its boot disk (`oppie_snapshot`).
#[tfplug::async_trait]
pub trait Operations: Send + Sync {
    /// Starts the machine and waits until it runs; a running one is left as it is.
    async fn start(&self, id: &str) -> Result<(), CloudError>;

    /// Stops the machine (keeping its disks and address) and waits until it has stopped.
    async fn stop(&self, id: &str) -> Result<(), CloudError>;

    /// Restarts a running machine and waits until it runs again.
    async fn reboot(&self, id: &str) -> Result<(), CloudError>;

    /// The machine's power state in the cloud's words (`running`, `stopped`, ...), `None`
    /// when there is no such machine.
    async fn power_state(&self, id: &str) -> Result<Option<String>, CloudError>;

    /// Snapshots the boot disk, marking the snapshot with the machine and `retain_until` (a
    /// [stamp](crate::actions::stamp)); the snapshot's id, or `None` when there is no such machine.
    async fn snapshot_disk(&self, id: &str, retain_until: Option<&str>) -> Result<Option<String>, CloudError>;

    /// Deletes the snapshots of this machine's disk that Oppie made and whose retention
    /// ended before `now` (a stamp); their ids.
    async fn prune_snapshots(&self, id: &str, now: &str) -> Result<Vec<String>, CloudError>;
}

/// The machine operations of the cloud `region` belongs to.
pub fn operations(region: &Region) -> Arc<dyn Operations> {
    match region {
        Region::Aws(r) => r.clone(),
        Region::Gcp(r) => r.clone(),
        Region::Azure(r) => r.clone(),
    }
}

fn images(region: &Region) -> Arc<dyn Images> {
    match region {
        Region::Aws(r) => r.clone(),
        Region::Gcp(r) => r.clone(),
        Region::Azure(r) => r.clone(),
    }
}

/// How long a plan may spend asking the cloud for an image before leaving it unknown.
const PLAN_LOOKUP_LIMIT: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
struct Planned {
    name: String,
    instance_type: String,
    image_id: String,
    subnet_id: String,
    firewall_ids: MaybeUnknown<Option<BTreeSet<String>>>,
    disk_gb: u32,
    disk_encrypted: bool,
    public_ip: bool,
    user_data: Option<String>,
    deletion_protection: bool,
}

#[derive(Serialize)]
struct Refreshed<'a> {
    name: &'a str,
    size: String,
    instance_type: &'a str,
    image_id: &'a str,
    subnet_id: &'a str,
    firewall_ids: &'a [String],
    disk_gb: u32,
    disk_encrypted: bool,
    public_ip: bool,
    deletion_protection: bool,
}

fn path(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

/// The image id for `image` now: native ids as they are; catalog keys by asking the cloud.
async fn resolve_image(ctx: &Context<Client>, p: &Placement, image: &str) -> Result<String, Diagnostics> {
    match p
        .catalog()
        .image(p.cloud, image)
        .map_err(|e| Diagnostics::attribute_error(path("image"), "Unknown image", e))?
    {
        Resolved::Native(id) => Ok(id),
        Resolved::Key(entry) => {
            let region = ctx.client()?.clouds.region(p.cloud, &p.region).await?;
            images(&region).resolve_image(&entry.lookup).await.map_err(|e| {
                let mut d = e.to_diagnostics(&format!("looking up image {image}"));
                d.0[0].path = Some(path("image"));
                d
            })
        }
    }
}

/// The image id the plan can know: kept while the key stays, else resolved now when the
/// cloud may be asked (bounded), else unknown until apply.
async fn plan_image(
    ctx: &Context<Client>,
    plan: &Plan,
    place: &Placement,
) -> Result<MaybeUnknown<String>, Diagnostics> {
    let creating = plan.prior.is_null();
    let Some(img) = plan.planned.attr("image").as_str().map(str::to_string) else { return Ok(MaybeUnknown::Unknown) };
    if !creating && plan.prior.attr("image").as_str() == Some(img.as_str()) {
        return Ok(plan.prior.get_at(&path("image_id")).unwrap_or(MaybeUnknown::Unknown));
    }
    match place.catalog().image(place.cloud, &img) {
        Err(e) => Err(Diagnostics::attribute_error(path("image"), "Unknown image", e)),
        Ok(Resolved::Native(id)) => Ok(MaybeUnknown::Known(id)),
        Ok(Resolved::Key(entry)) if place.cloud == Cloud::Azure => azure::marketplace_urn(&entry.lookup)
            .map(MaybeUnknown::Known)
            .map_err(|e| e.to_diagnostics(&format!("looking up image {img}"))),
        // Without explicitly configured credentials a cloud may not be asked at plan
        // (GCP would fall back to the metadata server): the id is then found at apply.
        Ok(Resolved::Key(_)) if !ctx.try_client().is_some_and(|c| c.clouds.looks_up_at_plan(place.cloud)) => {
            Ok(MaybeUnknown::Unknown)
        }
        Ok(Resolved::Key(_)) => match tokio::time::timeout(PLAN_LOOKUP_LIMIT, resolve_image(ctx, place, &img)).await {
            Ok(Ok(id)) => Ok(MaybeUnknown::Known(id)),
            Ok(Err(d)) if d.0.iter().any(|x| x.detail.contains("no available image")) => Err(d),
            Ok(Err(d)) => {
                tracing::debug!(image = img, problem = %d, "image lookup not possible at plan time; resolving at apply");
                Ok(MaybeUnknown::Unknown)
            }
            Err(_) => {
                tracing::debug!(image = img, "image lookup timed out at plan time; resolving at apply");
                Ok(MaybeUnknown::Unknown)
            }
        },
    }
}

fn refresh_instance(ctx: &Context<Client>, state: &mut Object, i: &InstanceState) -> Result<(), Diagnostics> {
    // Keep the configured size key while it still means the running type; else show the
    // native type, so a resize out of band appears as drift.
    let prior_size = state.attr("size").as_str().map(str::to_string);
    let size = match (&prior_size, common::placement_of(state)) {
        (Some(s), Ok(p)) if p.catalog().size(p.cloud, s).ok().as_deref() == Some(i.machine_type.as_str()) => s.clone(),
        (None, Ok(p)) => p
            .catalog()
            .sizes
            .iter()
            .find(|(_, s)| s.native == i.machine_type)
            .map_or_else(|| i.machine_type.clone(), |(k, _)| k.clone()),
        _ => i.machine_type.clone(),
    };
    if state.attr("image").is_null() {
        state.set_attr("image", &i.image_id)?;
    }
    state.merge(&Refreshed {
        name: &i.name,
        size,
        instance_type: &i.machine_type,
        image_id: &i.image_id,
        subnet_id: &i.subnet_id,
        firewall_ids: &i.firewall_ids,
        disk_gb: i.disk_gb,
        disk_encrypted: i.disk_encrypted,
        public_ip: i.public_ip,
        deletion_protection: i.deletion_protection,
    })?;
    common::set_refreshed_tags(ctx, state, &i.tags)?;
    common::set_ids(state, &i.id, Some(&i.native))
}

#[tfplug::async_trait]
impl Kind for Instance {
    const TYPE: &'static str = "oppie_instance";
    const NOUN: &'static str = "instance";
    const CLOUDS: &'static [Cloud] = &Cloud::ALL;
    const TIMEOUTS: [(Operation, Duration); 3] = [
        (Operation::Create, Duration::from_secs(900)),
        (Operation::Update, Duration::from_secs(900)),
        (Operation::Delete, Duration::from_secs(1200)),
    ];
    const LISTED_BY_NETWORK: bool = true;
    type Spec = InstanceSpec;
    type State = InstanceState;

    fn block() -> Block {
        Block::new()
            .markdown("A virtual machine: an AWS EC2 instance, a Compute Engine VM, or an Azure Linux VM with its own network interface and managed OS disk. Safe defaults: an encrypted boot disk and no public address unless `public_ip = true`.")
            .attribute(Attribute::string("name").required().validator(display_name(255)).description("Display name (AWS: the `Name` tag, changes in place; GCP and Azure: the VM's name, changing it replaces the VM)."))
            .attribute(
                Attribute::string("size")
                    .required()
                    .validator(display_name(64))
                    .description("A catalog size (`xs`, `s`, `m`, `l`, `xl`) or a native type such as `t3.large`. Changes in place: the machine is stopped, resized and started."),
            )
            .attribute(
                Attribute::string("image")
                    .required()
                    .validator(display_name(255))
                    .description("A catalog image (`ubuntu-22.04`, `ubuntu-24.04`, `debian-12`), which resolves to the newest official image of the region, or a native image id (`ami-...`). Changing it to a different image replaces the machine."),
            )
            .attribute(
                Attribute::string("subnet_id")
                    .required()
                    .plan_modifier(RequiresReplace)
                    .description("The `id` of the `oppie_subnet`. Changing it replaces the machine."),
            )
            .attribute(
                Attribute::new("firewall_ids", Type::set(Type::String))
                    .optional()
                    .computed()
                    .plan_modifier(UseStateForUnknown)
                    .description("Ids of `oppie_firewall`s that apply. Changes in place. Unset: the network's default firewall."),
            )
            .attribute(
                Attribute::number("disk_gb")
                    .default(20)
                    .validator(int_between(8, 16384))
                    .plan_modifier(RequiresReplaceIf::new("Shrinking the disk replaces the machine.", |prior: &Value, planned: &Value| {
                        matches!((prior.as_number().and_then(|n| n.as_i64()), planned.as_number().and_then(|n| n.as_i64())), (Some(a), Some(b)) if b < a)
                    }))
                    .description("Boot disk size in GB (default 20). Growing it is done in place; shrinking replaces the machine."),
            )
            .attribute(
                Attribute::bool("disk_encrypted")
                    .default(true)
                    .plan_modifier(RequiresReplace)
                    .description("Encrypt the boot disk (default true). Changing it replaces the machine."),
            )
            .attribute(
                Attribute::bool("public_ip")
                    .default(false)
                    .plan_modifier(RequiresReplace)
                    .description("Give the machine a public IPv4 address (default false; the subnet must be public to reach it). Changing it replaces the machine."),
            )
            .attribute(
                Attribute::string("user_data")
                    .optional()
                    .sensitive()
                    .plan_modifier(RequiresReplace)
                    .description("Boot script or cloud-init document, e.g. `file(\"cloud-init.yaml\")`. Sensitive: never shown in plans or logs. Changing it replaces the machine."),
            )
            .attribute(
                Attribute::string("user_data_wo")
                    .optional()
                    .sensitive()
                    .write_only()
                    .description("Write-only (Terraform 1.11+): a boot script that never enters plan or state, for one that carries a secret, e.g. from `ephemeral.oppie_password`. Instead of `user_data`; bump `user_data_wo_version` to send a new one (that replaces the machine)."),
            )
            .attribute(
                Attribute::number("user_data_wo_version")
                    .optional()
                    .plan_modifier(RequiresReplace)
                    .description("Any number; changing it sends `user_data_wo` again, which replaces the machine (write-only values leave nothing to compare)."),
            )
            .attribute(
                Attribute::bool("deletion_protection")
                    .default(false)
                    .description("Refuse deletion through the API while true (default false). Changes in place."),
            )
            .attribute(
                Attribute::string("instance_type").description("The native machine type `size` resolved to, e.g. `t3.small`.").computed())
            .attribute(Attribute::string("image_id").description(
                "The native image `image` resolved to, e.g. `ami-0abc...`; unknown until apply when the plan could not ask the cloud.",
            )
.computed())
    }

    fn api(region: &Region) -> Option<Arc<dyn Api<Self>>> {
        Some(match region {
            Region::Aws(r) => r.clone(),
            Region::Gcp(r) => r.clone(),
            Region::Azure(r) => r.clone(),
        })
    }

    async fn validate(_ctx: &Context<Client>, config: &Object) -> Result<(), Diagnostics> {
        if !config.attr("user_data").is_null() && !config.attr("user_data_wo").is_null() {
            return Err(Diagnostics::attribute_error(
                path("user_data_wo"),
                "Two boot scripts",
                "Set user_data or user_data_wo, not both.",
            ));
        }
        Ok(())
    }

    fn configured(spec: &mut InstanceSpec, config: &Object, _prior: Option<&Object>) -> Result<(), Diagnostics> {
        if let Some(u) = config.get_at::<Option<String>>(&path("user_data_wo"))? {
            spec.user_data = Some(u);
        }
        Ok(())
    }

    async fn plan(ctx: &Context<Client>, plan: &mut Plan, place: Option<&Placement>, diags: &mut Diagnostics) {
        let Some(place) = place else {
            diags.absorb(plan.planned.set_attr("instance_type", &MaybeUnknown::<String>::Unknown));
            diags.absorb(plan.planned.set_attr("image_id", &MaybeUnknown::<String>::Unknown));
            diags.absorb(common::plan_native(plan, true));
            return;
        };
        let creating = plan.prior.is_null();
        match place.cloud {
            Cloud::Aws => {}
            Cloud::Gcp => gcp::check_plan(plan, diags),
            Cloud::Azure => azure::check_plan(plan, diags),
        }
        // Size: to the native type, known at plan time.
        let size_changed = match plan.planned.attr("size").as_str() {
            Some(size) => match place.catalog().size(place.cloud, size) {
                Ok(native) => {
                    let changed = plan.prior.attr("instance_type").as_str() != Some(native.as_str());
                    diags.absorb(plan.planned.set_attr("instance_type", &native));
                    changed
                }
                Err(e) => {
                    diags.add_attribute_error(path("size"), "Unknown size", e);
                    false
                }
            },
            None => {
                diags.absorb(plan.planned.set_attr("instance_type", &MaybeUnknown::<String>::Unknown));
                true
            }
        };
        // Image: keep the resolved id while the key stays; otherwise resolve again.
        let image_id = diags.absorb(plan_image(ctx, plan, place).await).unwrap_or(MaybeUnknown::Unknown);
        let image = plan.planned.attr("image").as_str().map(str::to_string);
        if !creating && image.as_deref() != plan.prior.attr("image").as_str() {
            let same = matches!(&image_id, MaybeUnknown::Known(id) if plan.prior.attr("image_id").as_str() == Some(id.as_str()));
            if !same {
                plan.requires_replace.push(path("image"));
            }
        }
        diags.absorb(plan.planned.set_attr("image_id", &image_id));
        diags.absorb(common::plan_native(plan, size_changed && !creating));
    }

    async fn prepare(ctx: &Context<Client>, state: &mut Object, place: &Placement) -> Result<(), Diagnostics> {
        if state.attr("image_id").is_unknown() || state.attr("image_id").is_null() {
            let image: String = state.get_at(&path("image"))?;
            let id = resolve_image(ctx, place, &image).await?;
            state.set_attr("image_id", &id)?;
        }
        Ok(())
    }

    fn spec(state: &Object) -> Result<InstanceSpec, Diagnostics> {
        let p: Planned = state.get()?;
        Ok(InstanceSpec {
            name: p.name,
            machine_type: p.instance_type,
            image_id: p.image_id,
            subnet_id: p.subnet_id,
            firewall_ids: p.firewall_ids.into_known().flatten().unwrap_or_default().into_iter().collect(),
            disk_gb: p.disk_gb,
            disk_encrypted: p.disk_encrypted,
            public_ip: p.public_ip,
            user_data: p.user_data,
            deletion_protection: p.deletion_protection,
            tags: common::planned_tags(state)?,
        })
    }

    fn label(spec: &InstanceSpec) -> String {
        spec.name.clone()
    }

    fn refresh(ctx: &Context<Client>, state: &mut Object, actual: &InstanceState) -> Result<(), Diagnostics> {
        refresh_instance(ctx, state, actual)
    }

    fn applied(state: &mut Object, i: &InstanceState) -> Result<(), Diagnostics> {
        common::fill(state, "firewall_ids", &i.firewall_ids)?;
        common::fill(state, "native", &i.native)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::testing::Harness;

    const BASE: [(&str, &str); 5] = [
        ("region", "us-east"),
        ("name", "shop-dev-api"),
        ("size", "s"),
        ("image", "ami-0123456789abcdef0"),
        ("subnet_id", "subnet-1"),
    ];

    #[test]
    fn sizes_and_native_images_are_known_at_plan() {
        let h = Harness::new();
        let mut attrs = BASE.to_vec();
        attrs.push(("cloud", "aws"));
        let planned = h.plan::<Instance>(&attrs);
        assert_eq!(planned.attr("instance_type").as_str(), Some("t3.small"));
        assert_eq!(planned.attr("image_id").as_str(), Some("ami-0123456789abcdef0"));
        let (_, replace) = h.replan::<Instance>(&planned, &[("size", "m")]);
        assert!(replace.is_empty(), "a resize is in place: {replace:?}");
        let (_, replace) = h.replan::<Instance>(&planned, &[("image", "ami-0123456789abcdef1")]);
        assert_eq!(replace, vec![path("image")]);
    }

    #[test]
    fn every_problem_is_reported_at_once_on_its_attribute() {
        let h = Harness::new();
        let mut attrs: Vec<(&'static str, &str)> = BASE.to_vec();
        attrs.retain(|(k, _)| *k != "size" && *k != "image");
        attrs.extend([("cloud", "azure"), ("size", "huge"), ("image", "windows-95"), ("disk_encrypted", "false")]);
        let r = h.try_plan::<Instance>(&Value::Null, &attrs);
        let d = r.expect_err("refused");
        let paths: Vec<String> = d.0.iter().filter_map(|e| e.path.as_ref().map(|p| p.to_string())).collect();
        for p in ["size", "image", "disk_encrypted"] {
            assert!(paths.iter().any(|x| x == p), "{p} in {paths:?}");
        }
    }
}
