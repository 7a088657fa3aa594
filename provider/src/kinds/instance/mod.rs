//! `oppie_instance`: a virtual machine from a catalog size and image (or native ones).
//! The image key resolves to the newest official image at plan time when the cloud can be
//! asked, else at apply. Size changes in place (stop, resize, start); image, subnet,
//! public address, disk encryption and user data replace it.

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod gcp;
mod neutral;

pub use neutral::*;

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::{RequiresReplace, RequiresReplaceIf, UseStateForUnknown};
use tfplug::timeouts::Operation;
use tfplug::validator::int_between;
use tfplug::{
    ApplyResponse, Attribute, AttributePath, Block, Context, Diagnostics, MaybeUnknown, Object, Plan, Private,
    ReadResponse, Schema, Type, Value,
};

use super::checks::display_name;
use super::common::{self, Budget, Placement};
use crate::catalog::{Cloud, Resolved};
use crate::clouds::{Tags, creation_token};
use crate::provider::Client;

/// The resource type.
pub struct Instance;

const TIMEOUTS: [(Operation, Duration); 3] = [
    (Operation::Create, Duration::from_secs(900)),
    (Operation::Update, Duration::from_secs(900)),
    (Operation::Delete, Duration::from_secs(1200)),
];

/// How long a plan may spend asking the cloud for an image before leaving it unknown.
const PLAN_LOOKUP_LIMIT: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
struct Planned {
    name: String,
    instance_type: String,
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

fn spec(state: &Object, image_id: String) -> Result<InstanceSpec, Diagnostics> {
    let p: Planned = state.get()?;
    Ok(InstanceSpec {
        name: p.name,
        machine_type: p.instance_type,
        image_id,
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

/// The image id for `image` now: native ids as they are; catalog keys by asking the cloud.
async fn resolve_image(ctx: &Context<Client>, p: &Placement, image: &str) -> Result<String, Diagnostics> {
    match p
        .catalog()
        .image(p.cloud, image)
        .map_err(|e| Diagnostics::attribute_error(path("image"), "Unknown image", e))?
    {
        Resolved::Native(id) => Ok(id),
        Resolved::Key(entry) => {
            let backend = ctx.client()?.clouds.backend(p.cloud, &p.region).await?;
            backend.resolve_image(&entry.lookup).await.map_err(|e| {
                let mut d = e.to_diagnostics(&format!("looking up image {image}"));
                d.0[0].path = Some(path("image"));
                d
            })
        }
    }
}

fn refresh(ctx: &Context<Client>, state: &mut Object, i: &InstanceState) -> Result<(), Diagnostics> {
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

/// What an Azure VM cannot do the way the attributes ask.
fn azure_limits(plan: &Plan) -> Result<(), Diagnostics> {
    if plan.planned.attr("disk_encrypted").as_bool() == Some(false) {
        return Err(common::not_on(
            Cloud::Azure,
            path("disk_encrypted"),
            "disk_encrypted = false",
            "Azure managed disks are always encrypted at rest; remove disk_encrypted = false.",
        ));
    }
    if plan.planned.attr("firewall_ids").as_slice().is_some_and(|f| f.len() > 1) {
        return Err(common::not_on(
            Cloud::Azure,
            path("firewall_ids"),
            "More than one firewall",
            "an Azure network interface takes one network security group; merge the rules into one oppie_firewall.",
        ));
    }
    Ok(())
}

#[tfplug::async_trait]
impl tfplug::Resource<Client> for Instance {
    fn type_name(&self) -> &str {
        "oppie_instance"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            common::with_common(
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
                        Attribute::bool("deletion_protection")
                            .default(false)
                            .description("Refuse deletion through the API while true (default false). Changes in place."),
                    )
                    .attribute(
                        Attribute::string("instance_type").description("The native machine type `size` resolved to, e.g. `t3.small`.").computed())
                    .attribute(Attribute::string("image_id").description(
                        "The native image `image` resolved to, e.g. `ami-0abc...`; unknown until apply when the plan could not ask the cloud.",
                    )
.computed()),
                &TIMEOUTS,
            ),
        )
    }

    async fn modify_plan(&self, ctx: &Context<Client>, plan: &mut Plan) -> Result<(), Diagnostics> {
        if plan.is_destroy() {
            return Ok(());
        }
        let Some(placement) = common::plan_common(ctx, plan)? else {
            plan.planned.set_attr("instance_type", &MaybeUnknown::<String>::Unknown)?;
            plan.planned.set_attr("image_id", &MaybeUnknown::<String>::Unknown)?;
            return common::plan_native(plan, true);
        };
        let creating = plan.prior.is_null();
        common::check_gcp_name(Some(&placement), plan, crate::clouds::gcp::NAME_MAX)?;
        // A Compute Engine VM's name is its identity: renaming replaces it.
        if placement.cloud == Cloud::Gcp && !creating && common::changed(plan, "name") {
            plan.requires_replace.push(path("name"));
        }
        if placement.cloud == Cloud::Azure {
            azure_limits(plan)?;
            common::azure_name_replaces(plan, Some(&placement));
        }
        if placement.cloud == Cloud::Gcp && plan.planned.attr("disk_encrypted").as_bool() == Some(false) {
            return Err(Diagnostics::attribute_error(
                path("disk_encrypted"),
                "Unencrypted disks not possible on GCP",
                "Compute Engine encrypts every disk (Google-managed keys by default); remove disk_encrypted = false.",
            ));
        }
        // Size: to the native type, known at plan time.
        let size_changed = match plan.planned.attr("size").as_str() {
            Some(size) => {
                let native = placement
                    .catalog()
                    .size(placement.cloud, size)
                    .map_err(|e| Diagnostics::attribute_error(path("size"), "Unknown size", e))?;
                let changed = plan.prior.attr("instance_type").as_str() != Some(native.as_str());
                plan.planned.set_attr("instance_type", &native)?;
                changed
            }
            None => {
                plan.planned.set_attr("instance_type", &MaybeUnknown::<String>::Unknown)?;
                true
            }
        };
        // Image: keep the resolved id while the key stays; otherwise resolve again.
        let image = plan.planned.attr("image").as_str().map(str::to_string);
        let image_id: MaybeUnknown<String> = match &image {
            None => MaybeUnknown::Unknown,
            Some(img) if !creating && plan.prior.attr("image").as_str() == Some(img.as_str()) => {
                plan.prior.get_at(&path("image_id")).unwrap_or(MaybeUnknown::Unknown)
            }
            Some(img) => match placement.catalog().image(placement.cloud, img) {
                Err(e) => {
                    return Err(Diagnostics::attribute_error(path("image"), "Unknown image", e));
                }
                Ok(Resolved::Native(id)) => MaybeUnknown::Known(id),
                Ok(Resolved::Key(entry)) if placement.cloud == Cloud::Azure => {
                    match azure::marketplace_urn(&entry.lookup) {
                        Ok(urn) => MaybeUnknown::Known(urn),
                        Err(e) => return Err(e.to_diagnostics(&format!("looking up image {img}"))),
                    }
                }
                // Without explicitly configured credentials a cloud may not be asked at plan
                // (GCP would fall back to the metadata server): the id is then found at apply.
                Ok(Resolved::Key(_))
                    if !ctx.try_client().is_some_and(|c| c.clouds.looks_up_at_plan(placement.cloud)) =>
                {
                    MaybeUnknown::Unknown
                }
                Ok(Resolved::Key(_)) => {
                    match tokio::time::timeout(PLAN_LOOKUP_LIMIT, resolve_image(ctx, &placement, img)).await {
                        Ok(Ok(id)) => MaybeUnknown::Known(id),
                        Ok(Err(d)) if d.0.iter().any(|x| x.detail.contains("no available image")) => {
                            return Err(d);
                        }
                        Ok(Err(d)) => {
                            tracing::debug!(image = img, problem = %d, "image lookup not possible at plan time; resolving at apply");
                            MaybeUnknown::Unknown
                        }
                        Err(_) => {
                            tracing::debug!(image = img, "image lookup timed out at plan time; resolving at apply");
                            MaybeUnknown::Unknown
                        }
                    }
                }
            },
        };
        if !creating && image.as_deref() != plan.prior.attr("image").as_str() {
            let same = matches!(&image_id, MaybeUnknown::Known(id) if plan.prior.attr("image_id").as_str() == Some(id.as_str()));
            if !same {
                plan.requires_replace.push(path("image"));
            }
        }
        plan.planned.set_attr("image_id", &image_id)?;
        common::plan_native(plan, size_changed && !creating)
    }

    async fn create(
        &self,
        ctx: &Context<Client>,
        _config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let placement = common::placement_of(&resp.state)?;
        let image_id = match resp.state.get_at::<MaybeUnknown<String>>(&path("image_id"))? {
            MaybeUnknown::Known(id) => id,
            MaybeUnknown::Unknown => {
                let image: String = resp.state.get_at(&path("image"))?;
                let id = resolve_image(ctx, &placement, &image).await?;
                resp.state.set_attr("image_id", &id)?;
                id
            }
        };
        let spec = spec(&resp.state, image_id)?;
        let backend = common::backend(ctx, &resp.state).await?;
        let budget = Budget::new(&resp.state, Operation::Create, TIMEOUTS[0].1)?;
        let what = format!("creating instance {}", spec.name);
        let token = creation_token();
        let id = budget.run(ctx, &what, backend.create_instance(&spec, &token)).await?;
        // The machine exists from here on: its id goes into state whatever fails next, so
        // Terraform keeps tracking it (tainted) instead of orphaning it.
        common::set_ids(&mut resp.state, &id, None)?;
        budget.run(ctx, &format!("waiting for instance {id} to run"), backend.wait_instance_running(&id)).await?;
        let i = budget.run(ctx, &what, backend.read_instance(&id)).await?;
        let i =
            i.ok_or_else(|| Diagnostics::error("Instance vanished", format!("{id} terminated right after launch.")))?;
        resp.state.set_attr("firewall_ids", &i.firewall_ids)?;
        common::set_ids(&mut resp.state, &id, Some(&i.native))
    }

    async fn read(&self, ctx: &Context<Client>, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        let id: String = resp.state.get_at(&path("id"))?;
        let backend = common::backend(ctx, &resp.state).await?;
        match backend.read_instance(&id).await.map_err(|e| e.to_diagnostics("reading instance"))? {
            Some(i) => refresh(ctx, &mut resp.state, &i),
            None => {
                resp.state.set_null();
                Ok(())
            }
        }
    }

    async fn update(
        &self,
        ctx: &Context<Client>,
        prior: &Object,
        _config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let image_id: String = prior.get_at(&path("image_id"))?;
        let spec = spec(&resp.state, image_id)?;
        let id: String = resp.state.get_at(&path("id"))?;
        let backend = common::backend(ctx, &resp.state).await?;
        let budget = Budget::new(&resp.state, Operation::Update, TIMEOUTS[1].1)?;
        let what = format!("updating instance {}", spec.name);
        budget.run(ctx, &what, backend.update_instance(&id, &spec)).await?;
        let i = budget.run(ctx, &what, backend.read_instance(&id)).await?;
        if resp.state.attr("firewall_ids").is_unknown() {
            resp.state.set_attr("firewall_ids", &i.as_ref().map(|i| i.firewall_ids.clone()).unwrap_or_default())?;
        }
        common::fill_native(&mut resp.state, i.map(|i| i.native))
    }

    async fn delete(&self, ctx: &Context<Client>, prior: &Object, _private: &Private) -> Result<(), Diagnostics> {
        let id: String = prior.get_at(&path("id"))?;
        let backend = common::backend(ctx, prior).await?;
        let budget = Budget::new(prior, Operation::Delete, TIMEOUTS[2].1)?;
        budget.run(ctx, &format!("deleting instance {id}"), backend.delete_instance(&id)).await
    }

    async fn import(&self, ctx: &Context<Client>, id: &str, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        let (_, cloud, region, native_id) = common::import_placement(ctx, id)?;
        resp.state.set_attr("cloud", &cloud)?;
        resp.state.set_attr("region", &region)?;
        resp.state.set_attr("tags", &Option::<Tags>::None)?;
        common::set_ids(&mut resp.state, &native_id, None)
    }
}
