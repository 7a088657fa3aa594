//! `notes_note`: a managed resource with an identity and a write-only argument.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tfplug::plan::{RequiresReplace, UseStateForUnknown};
use tfplug::{
    ApplyResponse, Attribute, Block, Context, Diagnostics, IdentityAttribute, IdentitySchema, MaybeUnknown, Object,
    Plan, Private, ReadResponse, Resource, Schema,
};

use crate::store::{Store, Stored};

pub struct Note;

#[derive(Serialize, Deserialize)]
struct Model {
    name: String,
    body: String,
    color: MaybeUnknown<String>,
    tags: Option<BTreeMap<String, String>>,
    id: MaybeUnknown<String>,
    /// Write-only: present in `config` during apply, null in every state.
    secret_wo: Option<String>,
    /// Bump it to send a new `secret_wo` (write-only values leave no trace to diff).
    secret_version: Option<i64>,
}

fn id_of(name: &str) -> String {
    format!("note-{name}")
}

#[tfplug::async_trait]
impl Resource<Store> for Note {
    fn type_name(&self) -> &str {
        "notes_note"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .attribute(Attribute::string("name").required().plan_modifier(RequiresReplace))
                .attribute(Attribute::string("body").required())
                .attribute(Attribute::string("color").default("yellow"))
                .attribute(Attribute::string_map("tags").optional())
                .attribute(Attribute::string("id").computed().plan_modifier(UseStateForUnknown))
                .attribute(
                    Attribute::string("secret_wo")
                        .optional()
                        .sensitive()
                        .write_only()
                        .description("Stored with the note, never in Terraform's state (Terraform 1.11+)."),
                )
                .attribute(Attribute::number("secret_version").optional()),
        )
    }

    /// The name names a note for good. Version 1 renamed version 0's `note` to `name`.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema::new(1).attribute(IdentityAttribute::string("name").required_for_import()))
    }

    fn upgrade_identity(&self, version: i64, old: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        match version {
            0 => Ok(serde_json::json!({ "name": old["note"] })),
            _ => Err(Diagnostics::error("Unknown identity version", format!("version {version}"))),
        }
    }

    /// The id follows from the name, so it is known at plan time — the case where a
    /// failed create must say [`ApplyResponse::created`] to stay tracked.
    async fn modify_plan(&self, _: &Context<Store>, plan: &mut Plan) -> Result<(), Diagnostics> {
        if plan.is_create()
            && let Some(name) = plan.planned.attr("name").as_str().map(id_of)
        {
            plan.planned.set_attr("id", &name)?;
        }
        Ok(())
    }

    async fn create(&self, ctx: &Context<Store>, config: &Object, resp: &mut ApplyResponse) -> Result<(), Diagnostics> {
        let mut m: Model = resp.state.get()?;
        let secret: Option<String> = config.get_at(&tfplug::AttributePath::attr("secret_wo"))?;
        let stored = Stored {
            body: m.body.clone(),
            color: m.color.known().cloned().unwrap_or_default(),
            tags: m.tags.clone().unwrap_or_default(),
            secret,
        };
        ctx.client()?.put(&m.name, &stored)?;
        // From here on the note exists: whatever fails next, Terraform keeps tracking it.
        resp.created();
        if std::env::var_os("NOTES_FAIL_AFTER_CREATE").is_some() {
            return Err(Diagnostics::error("Injected failure", "NOTES_FAIL_AFTER_CREATE is set."));
        }
        m.id = MaybeUnknown::Known(id_of(&m.name));
        resp.state.set(&m)
    }

    /// Also completes the sparse state an import leaves (only `name` set).
    async fn read(&self, ctx: &Context<Store>, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        let name: String = resp.state.get_at(&tfplug::AttributePath::attr("name"))?;
        let Some(stored) = ctx.client()?.get(&name)? else {
            resp.state.set_null();
            return Ok(());
        };
        resp.state.set_attr("body", &stored.body)?;
        resp.state.set_attr("color", &stored.color)?;
        resp.state.set_attr("tags", &(!stored.tags.is_empty()).then_some(stored.tags))?;
        resp.state.set_attr("id", &id_of(&name))
    }

    async fn update(
        &self,
        ctx: &Context<Store>,
        prior: &Object,
        config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let m: Model = resp.state.get()?;
        let store = ctx.client()?;
        let old = store.get(&m.name)?.unwrap_or_default();
        let new_version = prior.attr("secret_version") != resp.state.attr("secret_version");
        let secret = if new_version { config.get_at(&tfplug::AttributePath::attr("secret_wo"))? } else { old.secret };
        let stored = Stored {
            body: m.body.clone(),
            color: m.color.known().cloned().unwrap_or_default(),
            tags: m.tags.clone().unwrap_or_default(),
            secret,
        };
        store.put(&m.name, &stored)
    }

    async fn delete(&self, ctx: &Context<Store>, prior: &Object, _: &Private) -> Result<(), Diagnostics> {
        let name: String = prior.get_at(&tfplug::AttributePath::attr("name"))?;
        ctx.client()?.delete(&name)
    }

    /// `terraform import notes_note.x NAME` (import blocks with `identity` need no code:
    /// the identity's `name` is copied into the state by default).
    async fn import(&self, _: &Context<Store>, id: &str, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        resp.state.set_attr("name", &id)
    }
}
