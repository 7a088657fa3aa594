//! `oppie_environment`: a named dev/staging/prod or preview environment with an optional TTL.
//! Lives only in Terraform state (like `terraform_data`); other resources tag themselves with it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplug::plan::{RequiresReplace, UseStateForUnknown};
use tfplug::validator::{from_fn, length_between, one_of};
use tfplug::{
    ApplyResponse, Attribute, Block, Context, Diagnostics, IdentityAttribute, IdentitySchema, MaybeUnknown, Object,
    Plan, Private, ReadResponse, Schema, Value,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::client::Client;

/// The resource type.
pub struct Environment;

/// Tiers an environment can have.
pub const TIERS: [&str; 3] = ["dev", "staging", "prod"];

#[derive(Deserialize)]
struct Planned {
    name: String,
    ttl: Option<String>,
}

fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn ttl(text: &str) -> Result<Duration, Diagnostics> {
    tfplug::duration::parse(text)
        .map_err(|e| Diagnostics::attribute_error(tfplug::AttributePath::attr("ttl"), "Invalid ttl", e))
}

/// `created_at + ttl`, or `None` without a TTL.
fn expiry(created_at: &str, ttl_text: Option<&str>) -> Result<Option<String>, Diagnostics> {
    let Some(t) = ttl_text else { return Ok(None) };
    let created = OffsetDateTime::parse(created_at, &Rfc3339)
        .map_err(|e| Diagnostics::error("Corrupt state", format!("created_at {created_at:?}: {e}")))?;
    Ok(Some(rfc3339(created + ttl(t)?)))
}

#[tfplug::async_trait]
impl tfplug::Resource<Client> for Environment {
    fn type_name(&self) -> &str {
        "oppie_environment"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            1,
            Block::new()
                .markdown("A named environment (`dev`, `staging`, `prod`, or a preview environment with a TTL). It lives only in Terraform state; other resources take its name and tier as tags.")
                .attribute(
                    Attribute::string("name")
                        .required()
                        .validator(length_between(1, 63))
                        .plan_modifier(RequiresReplace)
                        .description("Environment name, e.g. `shop-dev`, or `shop-dev-pr-1234` for a preview (the naming convention: project, then environment). Changing it creates a new environment."),
                )
                .attribute(
                    Attribute::string("tier")
                        .default("dev")
                        .validator(one_of(TIERS))
                        .description("Tier: dev, staging or prod. Policies and allowed sizes follow it."),
                )
                .attribute(
                    Attribute::string("ttl")
                        .optional()
                        .validator(from_fn("a duration such as \"72h\"", |v| {
                            v.as_str().map_or(Ok(()), |s| tfplug::duration::parse(s).map(|_| ()))
                        }))
                        .description("Lifetime of a preview environment, as a duration like `72h`; sets `expires_at`."),
                )
                .attribute(Attribute::string_map("tags").optional().description("Tags for the environment."))
                .attribute(
                    Attribute::string("id")
                        .computed()
                        .plan_modifier(UseStateForUnknown)
                        .description("Same as `name`."),
                )
                .attribute(
                    Attribute::string("created_at")
                        .computed()
                        .plan_modifier(UseStateForUnknown)
                        .description("When the environment was created (RFC 3339, UTC)."),
                )
                .attribute(
                    Attribute::string("expires_at")
                        .computed()
                        .description("`created_at` plus `ttl` (RFC 3339, UTC); null without a TTL. Plans warn once it has passed."),
                ),
        )
    }

    /// An environment is its name (its `id`); it has no cloud or region.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(
            IdentitySchema::new(0).attribute(
                IdentityAttribute::string("id").required_for_import().description("The environment's name."),
            ),
        )
    }

    async fn import_identity(
        &self,
        ctx: &Context<Client>,
        identity: &Object,
        resp: &mut ReadResponse,
    ) -> Result<(), Diagnostics> {
        let id: Option<String> = identity.get_at(&tfplug::AttributePath::attr("id"))?;
        tfplug::Resource::import(self, ctx, id.as_deref().unwrap_or_default(), resp).await
    }

    async fn modify_plan(&self, _ctx: &Context<Client>, plan: &mut Plan) -> Result<(), Diagnostics> {
        if plan.is_destroy() {
            return Ok(());
        }
        // The id is the name: known at plan time whenever the name is.
        if let Some(name) = plan.planned.attr("name").as_str().map(str::to_string) {
            plan.planned.set_attr("id", &name)?;
        }
        let ttl_v = plan.planned.attr("ttl").clone();
        let created = plan.planned.attr("created_at").clone();
        let expires = match (&ttl_v, created.as_str()) {
            (Value::Null, _) => MaybeUnknown::Known(None),
            (Value::String(t), Some(c)) => MaybeUnknown::Known(expiry(c, Some(t))?),
            _ => MaybeUnknown::Unknown,
        };
        if let MaybeUnknown::Known(Some(at)) = &expires
            && let Ok(t) = OffsetDateTime::parse(at, &Rfc3339)
            && t < OffsetDateTime::now_utc()
        {
            plan.diagnostics.add_attribute_warning(
                tfplug::AttributePath::attr("ttl"),
                "Environment expired",
                format!("This environment's TTL ran out at {at}. Destroy it, or raise ttl to keep it."),
            );
        }
        plan.planned.set_attr("expires_at", &expires)?;
        Ok(())
    }

    async fn create(
        &self,
        _ctx: &Context<Client>,
        _config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let p: Planned = resp.state.get()?;
        let created_at = rfc3339(now());
        let expires_at = expiry(&created_at, p.ttl.as_deref())?;
        set_computed(&mut resp.state, &p.name, &created_at, expires_at)
    }

    async fn read(&self, _ctx: &Context<Client>, _resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        // Nothing outside Terraform state to refresh from.
        Ok(())
    }

    async fn update(
        &self,
        _ctx: &Context<Client>,
        prior: &Object,
        _config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let p: Planned = resp.state.get()?;
        let created_at: String = prior.get_at(&tfplug::AttributePath::attr("created_at"))?;
        let expires_at = expiry(&created_at, p.ttl.as_deref())?;
        set_computed(&mut resp.state, &p.name, &created_at, expires_at)
    }

    async fn delete(&self, _ctx: &Context<Client>, _prior: &Object, _private: &Private) -> Result<(), Diagnostics> {
        Ok(())
    }

    async fn import(&self, _ctx: &Context<Client>, id: &str, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        if id.is_empty() || id.len() > 63 {
            return Err(Diagnostics::error(
                "Invalid import id",
                "Import an environment by its name, e.g. `terraform import oppie_environment.dev shop-dev`.",
            ));
        }
        #[derive(Serialize)]
        struct Imported<'a> {
            name: &'a str,
            id: &'a str,
            tier: &'a str,
            created_at: String,
            expires_at: Option<String>,
        }
        resp.state.set(&Imported { name: id, id, tier: "dev", created_at: rfc3339(now()), expires_at: None })
    }

    fn upgrade_state(&self, version: i64, state: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        // Version 0 called the tier `stage` and kept the TTL as a number of hours.
        #[derive(Deserialize)]
        struct V0 {
            name: String,
            stage: Option<String>,
            ttl_hours: Option<u64>,
            tags: Option<BTreeMap<String, String>>,
            id: Option<String>,
            created_at: Option<String>,
        }
        if version != 0 {
            return Err(Diagnostics::error(
                "Cannot upgrade state",
                format!("unknown oppie_environment schema version {version}"),
            ));
        }
        let v0: V0 = serde_json::from_value(state).map_err(|e| {
            Diagnostics::error("Cannot upgrade state", format!("oppie_environment version 0 state: {e}"))
        })?;
        let ttl = v0.ttl_hours.map(|h| format!("{h}h"));
        let created_at = v0.created_at.unwrap_or_else(|| rfc3339(now()));
        let expires_at = expiry(&created_at, ttl.as_deref())?;
        Ok(serde_json::json!({
            "name": v0.name,
            "tier": v0.stage.unwrap_or_else(|| "dev".into()),
            "ttl": ttl,
            "tags": v0.tags,
            "id": v0.id,
            "created_at": created_at,
            "expires_at": expires_at,
        }))
    }
}

fn set_computed(
    state: &mut Object,
    name: &str,
    created_at: &str,
    expires_at: Option<String>,
) -> Result<(), Diagnostics> {
    state.set_attr("id", &name)?;
    state.set_attr("created_at", &created_at)?;
    state.set_attr("expires_at", &expires_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplug::Resource as _;

    #[test]
    fn expiry_adds_the_ttl() {
        assert_eq!(expiry("2026-01-01T00:00:00Z", Some("72h")).unwrap().as_deref(), Some("2026-01-04T00:00:00Z"));
        assert_eq!(expiry("2026-01-01T00:00:00Z", None).unwrap(), None);
    }

    #[test]
    fn upgrades_version_0_state() {
        let v0 = serde_json::json!({"name": "pr-1", "stage": "staging", "ttl_hours": 24, "tags": null, "id": "pr-1", "created_at": "2026-01-01T00:00:00Z"});
        let v1 = Environment.upgrade_state(0, v0).unwrap();
        assert_eq!(v1["tier"], "staging");
        assert_eq!(v1["ttl"], "24h");
        assert_eq!(v1["expires_at"], "2026-01-02T00:00:00Z");
    }
}
