//! What every cloud resource shares: `cloud`, `region`, `tags`/`tags_all`, `id`, `native_id`,
//! `native` and `timeouts`; planning them from the provider defaults; reaching the backend.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tfplug::plan::UseStateForUnknown;
use tfplug::timeouts::{self, Deadline, Operation};
use tfplug::validator::{from_fn, one_of};
use tfplug::{
    Attribute, AttributePath, Block, Context, Diagnostics, IdentityAttribute, IdentitySchema, MaybeUnknown, Object,
    Plan, Value,
};

use crate::catalog::{self, Cloud};
use crate::client::Client;
use crate::clouds::{CloudError, Native, Tags};

/// Adds the shared attributes and the `timeouts` block to a resource's block.
pub fn with_common(block: Block, defaults: &[(Operation, Duration)]) -> Block {
    block
        .attribute(
            Attribute::string("cloud")
                .optional()
                .computed()
                .validator(one_of(Cloud::ALL.map(Cloud::key)))
                .description("Cloud to create it on: aws, gcp or azure. Defaults to the provider's `default_cloud`. Changing it replaces the resource."),
        )
        .attribute(
            Attribute::string("region")
                .optional()
                .computed()
                .description("Region: a catalog key (us-east, us-west, eu-west, eu-central, ap-southeast) or a native region such as `us-east-1`. Defaults to the provider's `default_region`. Changing it to a different place replaces the resource."),
        )
        .attribute(
            Attribute::string_map("tags")
                .optional()
                .validator(from_fn("tag keys that are not reserved", check_tag_keys))
                .description("Tags (labels on GCP) for this resource; they win over the provider's `default_tags`."),
        )
        .attribute(
            Attribute::string_map("tags_all")
                .description("All tags the resource carries: the provider's `default_tags` merged with `tags`.").computed())
        .attribute(
            Attribute::string("id")
                .plan_modifier(UseStateForUnknown)
                .description("The cloud's id of the resource (same as `native_id`).").computed())
        .attribute(
            Attribute::string("native_id")
                .plan_modifier(UseStateForUnknown)
                .description("The cloud's id, e.g. `vpc-0abc...` on AWS.").computed())
        .attribute(
            Attribute::string_map("native")
                .description("Cloud-side identifiers and attributes (ARN, zone, addresses, ...), by name.").computed())
        .block(timeouts::block(defaults))
}

/// Reserved keys are the provider's own bookkeeping.
fn check_tag_keys(v: &Value) -> Result<(), String> {
    let Some(m) = v.as_map() else { return Ok(()) };
    for k in m.keys() {
        if k.starts_with("oppie:") || k.starts_with("aws:") {
            return Err(format!("tag key {k:?} is reserved (prefixes \"oppie:\" and \"aws:\")"));
        }
        if k.is_empty() || k.chars().count() > 128 {
            return Err(format!("tag key {k:?} must be 1 to 128 characters"));
        }
    }
    Ok(())
}

/// Where a resource lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The cloud.
    pub cloud: Cloud,
    /// The native region name.
    pub region: String,
}

impl Placement {
    /// The catalog of this placement's cloud.
    pub fn catalog(&self) -> &'static catalog::CloudCatalog {
        catalog::get().cloud(self.cloud)
    }
}

fn cloud_path() -> AttributePath {
    AttributePath::attr("cloud")
}

fn region_path() -> AttributePath {
    AttributePath::attr("region")
}

/// The cloud text: configured, else the provider default.
fn cloud_text(config: &Value, client: Option<&Client>) -> Result<MaybeUnknown<String>, Diagnostics> {
    match config {
        Value::String(s) => Ok(MaybeUnknown::Known(s.clone())),
        v if v.is_unknown() => Ok(MaybeUnknown::Unknown),
        _ => match client.and_then(|c| c.default_cloud) {
            Some(c) => Ok(MaybeUnknown::Known(c.key().to_string())),
            None => Err(Diagnostics::attribute_error(
                cloud_path(),
                "No cloud",
                "Set cloud on the resource, or default_cloud in the provider block.",
            )),
        },
    }
}

/// The region text: configured, else the provider's `default_region`, else (AWS) `aws.region`.
fn region_text(config: &Value, cloud: Cloud, client: Option<&Client>) -> Result<MaybeUnknown<String>, Diagnostics> {
    match config {
        Value::String(s) => Ok(MaybeUnknown::Known(s.clone())),
        v if v.is_unknown() => Ok(MaybeUnknown::Unknown),
        _ => {
            let fallback = client.and_then(|c| {
                c.default_region.clone().or_else(|| match cloud {
                    Cloud::Aws => c.clouds.aws_settings().region.clone(),
                    _ => None,
                })
            });
            fallback.map(MaybeUnknown::Known).ok_or_else(|| {
                Diagnostics::attribute_error(
                    region_path(),
                    "No region",
                    "Set region on the resource, or default_region (or aws { region }) in the provider block.",
                )
            })
        }
    }
}

/// Resolves a cloud key and region text to a placement; errors point at the attribute.
pub fn placement(cloud: &str, region: &str) -> Result<Placement, Diagnostics> {
    let c = Cloud::parse(cloud).ok_or_else(|| {
        Diagnostics::attribute_error(cloud_path(), "Unknown cloud", format!("{cloud:?}: use aws, gcp or azure."))
    })?;
    let native = catalog::get()
        .cloud(c)
        .region(c, region)
        .map_err(|e| Diagnostics::attribute_error(region_path(), "Unknown region", e))?;
    Ok(Placement { cloud: c, region: native })
}

/// Plans `cloud`, `region` and `tags_all` and marks replacement when the place changes.
/// Returns the placement when it is known at plan time.
pub fn plan_common(ctx: &Context<Client>, plan: &mut Plan) -> Result<Option<Placement>, Diagnostics> {
    let client = ctx.try_client().map(Arc::as_ref);
    // tags_all: known whenever config tags are.
    let defaults = client.map(|c| c.default_tags.clone()).unwrap_or_default();
    let tags_all: MaybeUnknown<Tags> = match plan.config.attr("tags") {
        v if !v.is_wholly_known() => MaybeUnknown::Unknown,
        v => {
            let own: Option<Tags> = tfplug::cty::from_value(v).map_err(Diagnostics::from)?;
            let mut all = defaults;
            all.extend(own.unwrap_or_default());
            MaybeUnknown::Known(all)
        }
    };
    plan.planned.set_attr("tags_all", &tags_all)?;

    let MaybeUnknown::Known(cloud) = cloud_text(plan.config.attr("cloud"), client)? else {
        plan.planned.set_attr("cloud", &MaybeUnknown::<String>::Unknown)?;
        plan.planned.set_attr("region", &MaybeUnknown::<String>::Unknown)?;
        return Ok(None);
    };
    plan.planned.set_attr("cloud", &cloud)?;
    let c = Cloud::parse(&cloud).ok_or_else(|| {
        Diagnostics::attribute_error(cloud_path(), "Unknown cloud", format!("{cloud:?}: use aws, gcp or azure."))
    })?;
    let MaybeUnknown::Known(region) = region_text(plan.config.attr("region"), c, client)? else {
        plan.planned.set_attr("region", &MaybeUnknown::<String>::Unknown)?;
        return Ok(None);
    };
    let here = placement(&cloud, &region)?;
    plan.planned.set_attr("region", &region)?;
    if here.cloud == Cloud::Gcp
        && let MaybeUnknown::Known(all) = &tags_all
        && let Err(problem) = crate::clouds::gcp::check_labels(all)
    {
        return Err(Diagnostics::attribute_error(AttributePath::attr("tags"), "Tags cannot be GCP labels", problem));
    }
    if !plan.prior.is_null() {
        let prior_cloud = plan.prior.attr("cloud").as_str().unwrap_or_default().to_string();
        let prior_region = plan.prior.attr("region").as_str().unwrap_or_default().to_string();
        if prior_cloud != cloud {
            plan.requires_replace.push(cloud_path());
        }
        match placement(&prior_cloud, &prior_region) {
            // The same place spelled differently (a catalog key or its native name): no change.
            Ok(p) if p == here => plan.planned.set_attr("region", &prior_region)?,
            _ => plan.requires_replace.push(region_path()),
        }
    }
    Ok(Some(here))
}

/// The planned `name` must be a Compute Engine name of at most `max` characters (for kinds
/// whose GCP name is their identity).
pub fn check_gcp_name(plan: &Plan, max: usize) -> Result<(), Diagnostics> {
    if let Some(name) = plan.planned.attr("name").as_str()
        && let Err(problem) = crate::clouds::gcp::check_name(name, max)
    {
        return Err(Diagnostics::attribute_error(AttributePath::attr("name"), "Name not allowed on GCP", problem));
    }
    Ok(())
}

/// The placement recorded in a state or plan (known at apply time).
pub fn placement_of(state: &Object) -> Result<Placement, Diagnostics> {
    let cloud: String = state.get_at(&cloud_path())?;
    let region: String = state.get_at(&region_path())?;
    placement(&cloud, &region)
}

/// The placement of an import: `<region>/<id>` or just `<id>` (provider defaults; GCP ids
/// start with `projects/`).
pub fn import_placement(ctx: &Context<Client>, id: &str) -> Result<(Placement, String, String, String), Diagnostics> {
    let client = ctx.client()?;
    let cloud = client.default_cloud.unwrap_or(Cloud::Aws).key().to_string();
    let (region, native_id) = match id.split_once('/') {
        // GCP ids are paths themselves ("projects/p/global/networks/n"), and so are ARNs and
        // Route 53 record ids ("Z0123/www.example.com/A"): what splits off is a region, which
        // starts with a lower-case letter and has no ':' (a mistyped one is reported as an unknown region).
        Some((r, rest))
            if !r.is_empty()
                && !rest.is_empty()
                && r != "projects"
                && (placement(&cloud, r).is_ok()
                    || !r.contains(':') && r.starts_with(|c: char| c.is_ascii_lowercase())) =>
        {
            (r.to_string(), rest.to_string())
        }
        _ => {
            let c = Cloud::parse(&cloud).unwrap_or(Cloud::Aws);
            let r = region_text(&Value::Null, c, Some(client))?;
            (r.into_known().unwrap_or_default(), id.to_string())
        }
    };
    let p = placement(&cloud, &region)?;
    Ok((p, cloud, region, native_id))
}

/// The identity of every cloud resource: where it lives and the cloud's id. `import` blocks
/// give `id` and may leave `cloud` and `region` to the provider's defaults.
pub fn identity_schema() -> IdentitySchema {
    IdentitySchema::new(0)
        .attribute(
            IdentityAttribute::string("cloud")
                .optional_for_import()
                .description("aws, gcp or azure; defaults to the provider's `default_cloud`."),
        )
        .attribute(IdentityAttribute::string("region").optional_for_import().description(
            "A catalog region key (us-east, ...) or a native region; defaults to the provider's `default_region`.",
        ))
        .attribute(
            IdentityAttribute::string("id")
                .required_for_import()
                .description("The cloud's id of the object, as the resource's `id` attribute holds it."),
        )
}

/// The placement of an import by identity: the identity's `cloud` and `region`, else the
/// provider's defaults. Returns the placement and the cloud and region text for state.
pub fn identity_placement(
    ctx: &Context<Client>,
    cloud: Option<String>,
    region: Option<String>,
) -> Result<(Placement, String, String), Diagnostics> {
    let client = ctx.client()?;
    let at = |name: &str, d: Diagnostics| {
        let mut d = d;
        for x in &mut d.0 {
            x.path = None;
            x.detail = format!("{} (identity attribute `{name}`)", x.detail);
        }
        d
    };
    let cloud = match cloud {
        Some(c) => c,
        None => cloud_text(&Value::Null, Some(client)).map_err(|d| at("cloud", d))?.into_known().unwrap_or_default(),
    };
    let c = Cloud::parse(&cloud).ok_or_else(|| {
        Diagnostics::error("Unknown cloud", format!("identity cloud {cloud:?}: use aws, gcp or azure."))
    })?;
    let region = match region {
        Some(r) => r,
        None => {
            region_text(&Value::Null, c, Some(client)).map_err(|d| at("region", d))?.into_known().unwrap_or_default()
        }
    };
    let p = placement(&cloud, &region).map_err(|d| at("region", d))?;
    Ok((p, cloud, region))
}

/// A deadline for a whole operation, shared by its steps.
pub struct Budget(Deadline);

/// How one step of an operation ended, for the create protocol.
pub enum Step<T> {
    /// It worked.
    Done(T),
    /// The cloud refused it (invalid, not allowed, missing dependency): nothing happened.
    Refused(Diagnostics),
    /// It failed in a way that leaves open whether it happened (lost connection, server
    /// error, timeout, interrupt).
    Unsure(Diagnostics),
}

impl Budget {
    /// The `timeouts` value for `op` (or `default`), starting now.
    pub fn new(state: &Object, op: Operation, default: Duration) -> Result<Budget, Diagnostics> {
        Deadline::start(state, op, default).map(Budget)
    }

    /// Runs one cloud call of the operation within what is left of the deadline.
    pub async fn run<T>(
        &self,
        ctx: &Context<Client>,
        what: &str,
        fut: impl Future<Output = Result<T, CloudError>>,
    ) -> Result<T, Diagnostics> {
        self.0.run(ctx, what, async { fut.await.map_err(|e| e.to_diagnostics(what)) }).await
    }

    /// Like [`Budget::run`], telling a refusal from a failure that may have happened.
    pub async fn step<T>(
        &self,
        ctx: &Context<Client>,
        what: &str,
        fut: impl Future<Output = Result<T, CloudError>>,
    ) -> Step<T> {
        let r = self.0.run(ctx, what, async { Ok::<_, Diagnostics>(fut.await) }).await;
        match r {
            Ok(Ok(v)) => Step::Done(v),
            Ok(Err(e)) if e.is_refusal() => Step::Refused(e.to_diagnostics(what)),
            Ok(Err(e)) => Step::Unsure(e.to_diagnostics(what)),
            Err(timed_out_or_cancelled) => Step::Unsure(timed_out_or_cancelled),
        }
    }
}

/// `tags` and `tags_all` as refreshed from the cloud. A key stays in `tags` if config had
/// it, or if it is not a default tag with the default's value (added out of band: drift).
pub fn refreshed_tags(actual: &Tags, prior_tags: Option<&Tags>, defaults: &Tags) -> (Option<Tags>, Tags) {
    let mut own = Tags::new();
    for (k, v) in actual {
        let configured = prior_tags.is_some_and(|p| p.contains_key(k));
        if configured || defaults.get(k) != Some(v) {
            own.insert(k.clone(), v.clone());
        }
    }
    let own = if own.is_empty() && prior_tags.is_none_or(BTreeMap::is_empty) { prior_tags.cloned() } else { Some(own) };
    (own, actual.clone())
}

/// Writes refreshed `tags`/`tags_all` into `state`.
pub fn set_refreshed_tags(ctx: &Context<Client>, state: &mut Object, actual: &Tags) -> Result<(), Diagnostics> {
    let defaults = ctx.try_client().map(|c| c.default_tags.clone()).unwrap_or_default();
    let prior: Option<Tags> = state.get_at(&AttributePath::attr("tags")).unwrap_or(None);
    let (own, all) = refreshed_tags(actual, prior.as_ref(), &defaults);
    state.set_attr("tags", &own)?;
    state.set_attr("tags_all", &all)
}

/// Like [`set_refreshed_tags`] where the cloud keeps tags on the object; where it keeps none
/// (`None`: GCP networks, Azure subnets, ...) `tags` stay as configured and `tags_all` is
/// them merged over the provider's `default_tags`, as planned.
pub fn set_refreshed_tags_if_kept(
    ctx: &Context<Client>,
    state: &mut Object,
    actual: Option<&Tags>,
) -> Result<(), Diagnostics> {
    if let Some(actual) = actual {
        return set_refreshed_tags(ctx, state, actual);
    }
    let mut all = ctx.try_client().map(|c| c.default_tags.clone()).unwrap_or_default();
    let own: Option<Tags> = state.get_at(&AttributePath::attr("tags")).unwrap_or(None);
    all.extend(own.unwrap_or_default());
    state.set_attr("tags_all", &all)
}

/// Writes `id`, `native_id` and (when given) `native`.
pub fn set_ids(state: &mut Object, id: &str, native: Option<&Native>) -> Result<(), Diagnostics> {
    state.set_attr("id", &id)?;
    state.set_attr("native_id", &id)?;
    if let Some(n) = native {
        state.set_attr("native", n)?;
    }
    Ok(())
}

/// Sets attribute `name` to `value` if the plan left it unknown; a value the plan knew
/// stays as planned (Terraform refuses an apply result that contradicts its plan).
pub fn fill<T: serde::Serialize>(state: &mut Object, name: &str, value: &T) -> Result<(), Diagnostics> {
    if state.attr(name).is_unknown() {
        state.set_attr(name, value)?;
    }
    Ok(())
}

/// `tags_all` of a planned state (known at apply).
pub fn planned_tags(state: &Object) -> Result<Tags, Diagnostics> {
    Ok(state.get_at::<Option<Tags>>(&AttributePath::attr("tags_all"))?.unwrap_or_default())
}

/// The `native` map stays as it was unless `changed`, in which case it is unknown until apply.
pub fn plan_native(plan: &mut Plan, changed: bool) -> Result<(), Diagnostics> {
    if plan.prior.is_null() || changed {
        plan.planned.set_attr("native", &MaybeUnknown::<Native>::Unknown)
    } else {
        let prior = plan.prior.attr("native").clone();
        plan.planned.set_attr("native", &prior)
    }
}

/// The error for a value that has no counterpart on `cloud` (issue 6: what does not map
/// fails at plan time, naming the attribute and the cloud).
pub fn not_on(cloud: Cloud, path: AttributePath, what: &str, why: &str) -> Diagnostics {
    Diagnostics::attribute_error(path, format!("{what} is not possible on {cloud}"), why.to_string())
}

/// Plans the Azure-only `resource_group`: refused elsewhere, unknown until apply on Azure
/// when not set (the resource then gets a group of its own).
pub fn plan_resource_group(plan: &mut Plan, p: Option<&Placement>) -> Result<(), Diagnostics> {
    let path = AttributePath::attr("resource_group");
    let configured = !plan.config.attr("resource_group").is_null();
    match p.map(|p| p.cloud) {
        Some(Cloud::Azure) => {
            if !plan.prior.is_null() && changed(plan, "resource_group") && configured {
                plan.requires_replace.push(path);
            } else if !configured {
                let prior = plan.prior.attr("resource_group").clone();
                if prior.is_null() || plan.prior.is_null() {
                    plan.planned.set_attr("resource_group", &MaybeUnknown::<String>::Unknown)?;
                } else {
                    plan.planned.set_attr("resource_group", &prior)?;
                }
            }
            Ok(())
        }
        Some(c) if configured => Err(not_on(
            c,
            path,
            "resource_group",
            "resource_group is an Azure resource group; remove it for this cloud.",
        )),
        Some(_) => plan.planned.set_attr("resource_group", &Option::<String>::None),
        None => Ok(()),
    }
}

/// On Azure the name is the resource's ARM name: changing it replaces the resource.
pub fn azure_name_replaces(plan: &mut Plan, p: Option<&Placement>) {
    if p.is_some_and(|p| p.cloud == Cloud::Azure) && !plan.prior.is_null() && changed(plan, "name") {
        plan.requires_replace.push(AttributePath::attr("name"));
    }
}

/// The `resource_group` attribute of networks and buckets.
pub fn resource_group_attribute() -> Attribute {
    Attribute::string("resource_group")
        .optional()
        .computed()
        .description("Azure only: the resource group to create it in (it must exist). Unset: a group of its own, `<name>-rg`, deleted with it. Changing it replaces the resource.")
}

/// True when attribute `name` differs between prior state and plan.
pub fn changed(plan: &Plan, name: &str) -> bool {
    plan.prior.attr(name) != plan.planned.attr(name)
}

/// Whether `subnet_ids` changed so that the object must move. GCP reports the network an
/// object sits on, not the subnets it was given: after an import they are null in state, and
/// the configured ones are adopted while the object is on a network of its own (`private`,
/// what `native` shows), as they would be on the import of a plain attribute.
pub fn subnets_moved(
    plan: &Plan,
    cloud: Option<Cloud>,
    private: impl FnOnce(&BTreeMap<String, Value>) -> bool,
) -> bool {
    if !changed(plan, "subnet_ids") {
        return false;
    }
    let adopted = cloud == Some(Cloud::Gcp)
        && plan.prior.attr("subnet_ids").is_null()
        && plan.prior.attr("native").as_map().is_some_and(private);
    !adopted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn refreshed_tags_separate_defaults_from_drift() {
        let defaults = tags(&[("project", "shop"), ("environment", "dev")]);
        let prior = tags(&[("team", "web"), ("environment", "dev")]);
        let actual = tags(&[("project", "shop"), ("environment", "dev"), ("team", "web"), ("added", "by-hand")]);
        let (own, all) = refreshed_tags(&actual, Some(&prior), &defaults);
        assert_eq!(own.unwrap(), tags(&[("environment", "dev"), ("team", "web"), ("added", "by-hand")]));
        assert_eq!(all, actual);
        // No tags configured and none added: tags stays null.
        let (own, _) = refreshed_tags(&defaults, None, &defaults);
        assert_eq!(own, None);
        // A default overridden out of band is drift.
        let (own, _) = refreshed_tags(&tags(&[("project", "other")]), None, &defaults);
        assert_eq!(own.unwrap(), tags(&[("project", "other")]));
    }

    #[test]
    fn reserved_tag_keys_are_refused() {
        let v = Value::Map([("oppie:x".to_string(), Value::from("1"))].into());
        assert!(check_tag_keys(&v).unwrap_err().contains("reserved"));
        assert!(check_tag_keys(&Value::Map([("team".to_string(), Value::from("1"))].into())).is_ok());
    }
}
