//! The [`Resource`] trait: a managed resource type written in plain Rust.
//! tfplug does the protocol, validation, planning and state bookkeeping around it.

use async_trait::async_trait;

use crate::context::Context;
use crate::cty::AttributePath;
use crate::diag::Diagnostics;
use crate::identity::IdentitySchema;
use crate::object::Object;
use crate::private::Private;
use crate::schema::Schema;

/// The plan of one resource instance, for [`Resource::modify_plan`].
pub struct Plan {
    /// Prior state; null on create.
    pub prior: Object,
    /// Configuration; null on destroy. May contain unknown values.
    pub config: Object,
    /// The plan so far (defaults, unknown computed values, plan modifiers applied);
    /// null on destroy. Adjust it.
    pub planned: Object,
    /// Attributes whose change forces replacement; add to it.
    pub requires_replace: Vec<AttributePath>,
    /// Private data passed on to apply.
    pub private: Private,
    /// Warnings (errors are returned).
    pub diagnostics: Diagnostics,
    /// The identity stored with the prior state (null on create, and for types without
    /// an [identity](Resource::identity_schema)).
    pub prior_identity: Object,
    /// The planned identity. On update it is the prior identity; on create tfplug fills
    /// it from the planned state's attributes of the same names (values may be unknown
    /// until apply). Identities do not change once set; adjust it only on create.
    pub identity: Object,
}

impl Plan {
    /// True when the object is planned for creation.
    pub fn is_create(&self) -> bool {
        self.prior.is_null() && !self.planned.is_null()
    }

    /// True when the object is planned for deletion.
    pub fn is_destroy(&self) -> bool {
        self.planned.is_null()
    }
}

/// What `create` and `update` return through.
///
/// # What Terraform records when `create` or `update` fails
///
/// A create that fails half-way may already have made a remote object. To keep it
/// tracked, tell tfplug as soon as it exists: call [`ApplyResponse::created`] right
/// after the cloud call that creates it (in `update`: after the first call that changes
/// it). Then, on error:
///
/// 1. **`created()` was called** — `state` is saved as it stands (values still unknown
///    become null) and Terraform marks a created object *tainted*, so the next apply
///    replaces it. Nothing is orphaned, even when every value was already known at plan
///    time (a bucket whose id is its name).
/// 2. **`not_created()` was called** (after anything else) — nothing is recorded: the
///    resource knows no object exists, even if it already wrote values it worked out
///    (an id chosen before the call, a resolved image).
/// 3. **neither, and `state` differs from the plan** — saved as in 1: a change to the
///    state is taken as a sign that something exists (what resources did before
///    `created()`).
/// 4. **otherwise** — nothing is recorded: a failed create leaves no object in state,
///    and a failed update keeps the prior state.
///
/// On success the state is always saved, and every unknown must have been filled.
pub struct ApplyResponse {
    /// The new state. Starts as the planned state; fill every unknown in it. On error,
    /// leave what exists in it (see the type's docs for what is recorded).
    pub state: Object,
    /// Private data to store with the object.
    pub private: Private,
    /// Warnings (errors are returned).
    pub diagnostics: Diagnostics,
    /// The identity to store with the object. Starts as the planned identity; any
    /// attribute left null is filled from the state attribute of the same name.
    pub identity: Object,
    /// What the resource said about the remote object (see [`ApplyResponse::created`]).
    exists: Option<bool>,
}

impl ApplyResponse {
    /// A response starting from the planned `state` and `identity` (tfplug builds these;
    /// tests of resource code may too).
    pub fn new(state: Object, identity: Object, private: Private) -> Self {
        ApplyResponse { state, private, diagnostics: Diagnostics::new(), identity, exists: None }
    }

    /// Records that the remote object now exists (or, in `update`, has been changed):
    /// if the call then fails, `state` is kept and the object stays tracked.
    pub fn created(&mut self) {
        self.exists = Some(true);
    }

    /// Records that no remote object exists (a create refused before the cloud accepted
    /// it): if the call then fails, nothing is recorded, whatever `state` holds.
    pub fn not_created(&mut self) {
        self.exists = Some(false);
    }

    /// True once [`ApplyResponse::created`] was called (and not undone by `not_created`).
    pub fn is_created(&self) -> bool {
        self.exists == Some(true)
    }

    /// What the resource said: `Some(true)` after `created`, `Some(false)` after
    /// `not_created`, `None` when it said nothing.
    pub fn exists(&self) -> Option<bool> {
        self.exists
    }
}

/// What `read` and `import` return through.
pub struct ReadResponse {
    /// The refreshed state; starts as the prior state. Set it null when the remote
    /// object is gone, and Terraform plans to create it again.
    pub state: Object,
    /// Private data; starts as the stored private data.
    pub private: Private,
    /// Warnings (errors are returned).
    pub diagnostics: Diagnostics,
    /// The identity; starts as the stored identity (on import by identity: the one the
    /// `import` block gave). Attributes left null are filled from the state attributes
    /// of the same names.
    pub identity: Object,
}

impl ReadResponse {
    /// A response starting from `state` and `identity` (tfplug builds these; tests of
    /// resource code may too).
    pub fn new(state: Object, identity: Object, private: Private) -> Self {
        ReadResponse { state, private, diagnostics: Diagnostics::new(), identity }
    }
}

/// Where a `moved` block moves an object from, for [`Resource::move_state`].
#[derive(Debug, Clone)]
pub struct MoveRequest {
    /// The source provider's address, e.g. `registry.terraform.io/hashicorp/random`.
    pub source_provider: String,
    /// The source resource type, e.g. `random_string`.
    pub source_type: String,
    /// The schema version the source state was written with.
    pub source_schema_version: i64,
    /// The source state as stored (JSON).
    pub source_state: serde_json::Value,
    /// The source identity as stored (JSON), if it had one.
    pub source_identity: Option<serde_json::Value>,
    /// The identity schema version the source identity was written with.
    pub source_identity_version: i64,
}

/// What [`Resource::move_state`] returns through.
pub struct MoveResponse {
    /// The state for the target type; starts with every attribute null.
    pub state: Object,
    /// The identity for the target type; left null, it is filled from `state`.
    pub identity: Object,
    /// Private data for the target.
    pub private: Private,
    /// Warnings (errors are returned).
    pub diagnostics: Diagnostics,
}

/// A managed resource type. `C` is the provider's configured client.
///
/// Only `type_name`, `schema`, `create`, `read`, `update` and `delete` are required.
/// Everything Terraform requires of a plan (defaults, unknown computed values after a
/// change, replacement, write-only handling) is done by tfplug from the schema.
#[async_trait]
pub trait Resource<C: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name, e.g. `oppie_environment`.
    fn type_name(&self) -> &str;

    /// The schema. Called once per process.
    fn schema(&self) -> Schema;

    /// The resource identity (Terraform ≥ 1.12), if the type has one: what names a
    /// remote object for import by identity and for `terraform query`. tfplug keeps the
    /// identity in every response, filling attributes left null from the state
    /// attributes of the same names, so a typical resource writes no identity code.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// Extra checks on the configuration beyond the schema's validators. May see unknowns.
    async fn validate(&self, _ctx: &Context<C>, _config: &Object) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Adjusts the plan (computed values that can be known now, replacement rules that
    /// need more than one attribute, warnings on destroy).
    async fn modify_plan(&self, _ctx: &Context<C>, _plan: &mut Plan) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Creates the remote object. `resp.state` starts as the plan. Call
    /// [`ApplyResponse::created`] once the object exists.
    async fn create(&self, ctx: &Context<C>, config: &Object, resp: &mut ApplyResponse) -> Result<(), Diagnostics>;

    /// Refreshes `resp.state` (which starts as the prior state) from the remote object.
    async fn read(&self, ctx: &Context<C>, resp: &mut ReadResponse) -> Result<(), Diagnostics>;

    /// Updates the remote object in place from `prior` to the plan in `resp.state`.
    async fn update(
        &self,
        ctx: &Context<C>,
        prior: &Object,
        config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics>;

    /// Deletes the remote object.
    async fn delete(&self, ctx: &Context<C>, prior: &Object, private: &Private) -> Result<(), Diagnostics>;

    /// Starts tracking an existing object by `id` (`terraform import` or an `import`
    /// block with `id`): fill enough of `resp.state` (all attributes null at first) for `read`.
    async fn import(&self, _ctx: &Context<C>, _id: &str, _resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        Err(Diagnostics::error(
            "Import not supported",
            format!("{} cannot be imported; create it with Terraform instead.", self.type_name()),
        ))
    }

    /// Starts tracking an existing object by its identity (an `import` block with
    /// `identity = {...}`). `resp.identity` starts as the given identity and
    /// `resp.state` with every attribute null.
    ///
    /// The default copies each identity attribute into the state attribute of the same
    /// name, and leaves the rest to `read`; override it when `read` needs more.
    async fn import_identity(
        &self,
        _ctx: &Context<C>,
        identity: &Object,
        resp: &mut ReadResponse,
    ) -> Result<(), Diagnostics> {
        let copied = crate::identity::copy_to_state(identity, &mut resp.state);
        if copied == 0 {
            return Err(Diagnostics::error(
                "Import by identity not supported",
                format!(
                    "{} has no attribute named like its identity's; import it with `id` instead.",
                    self.type_name()
                ),
            ));
        }
        Ok(())
    }

    /// Rewrites stored state of an older schema `version` (JSON as stored) into the
    /// current schema's shape. Only called when `version` is older than the schema's.
    fn upgrade_state(&self, version: i64, _state: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        Err(Diagnostics::error(
            "Cannot upgrade state",
            format!("{} has no upgrade from schema version {version}.", self.type_name()),
        ))
    }

    /// Rewrites a stored identity of an older identity schema `version` (JSON as stored)
    /// into the current identity's shape. Only called when `version` is older.
    fn upgrade_identity(&self, version: i64, _identity: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        Err(Diagnostics::error(
            "Cannot upgrade identity",
            format!("{} has no identity upgrade from version {version}.", self.type_name()),
        ))
    }

    /// Adjusts the configuration `terraform query -generate-config-out` and
    /// `plan -generate-config-out` write for an existing object. `config` starts as
    /// tfplug's schema-driven proposal from `state`: configurable values kept,
    /// computed-only, deprecated and write-only values null, values equal to their
    /// default left out. The result must plan with no changes against `state`.
    fn generate_config(&self, _state: &Object, _config: &mut Object) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Takes over an object from another resource type (a `moved` block whose `from` is
    /// another type, or another provider's). Fill `resp.state`; tfplug shapes it and
    /// fills the identity. The default refuses.
    async fn move_state(
        &self,
        _ctx: &Context<C>,
        req: &MoveRequest,
        _resp: &mut MoveResponse,
    ) -> Result<(), Diagnostics> {
        Err(Diagnostics::error(
            "Move not supported",
            format!(
                "{} cannot take over a {} from {}; remove the moved block and import the object instead.",
                self.type_name(),
                req.source_type,
                req.source_provider
            ),
        ))
    }
}
