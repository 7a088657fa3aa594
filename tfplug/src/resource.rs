//! The [`Resource`] trait: a managed resource type written in plain Rust.
//! tfplug does the protocol, validation, planning and state bookkeeping around it.

use async_trait::async_trait;

use crate::context::Context;
use crate::cty::AttributePath;
use crate::diag::Diagnostics;
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
pub struct ApplyResponse {
    /// The new state. Starts as the planned state; fill every unknown in it. On error,
    /// leave what exists in it (a half-created object stays tracked, marked tainted).
    pub state: Object,
    /// Private data to store with the object.
    pub private: Private,
    /// Warnings (errors are returned).
    pub diagnostics: Diagnostics,
    /// What a failed create left behind, when the resource said so (see [`ApplyResponse::created`]).
    exists: Option<bool>,
}

impl ApplyResponse {
    /// A response starting from `state` (the plan) and `private`.
    pub fn new(state: Object, private: Private) -> Self {
        ApplyResponse { state, private, diagnostics: Diagnostics::new(), exists: None }
    }

    /// Says the remote object exists from now on: should the create fail after this, the
    /// state is kept (Terraform marks it tainted) so the object is never orphaned, even
    /// when the state still equals the plan (an id known at plan time, such as a name).
    pub fn created(&mut self) {
        self.exists = Some(true);
    }

    /// Says no remote object exists (a create that failed before the cloud accepted it):
    /// a failed create then leaves no state behind, whatever `state` holds.
    pub fn not_created(&mut self) {
        self.exists = Some(false);
    }

    /// What the resource said about the object: `None` when it said nothing, and a failed
    /// create then keeps the state only if the resource changed it from the plan.
    pub fn exists(&self) -> Option<bool> {
        self.exists
    }
}

/// What `read` returns through.
pub struct ReadResponse {
    /// The refreshed state; starts as the prior state. Set it null when the remote
    /// object is gone, and Terraform plans to create it again.
    pub state: Object,
    /// Private data; starts as the stored private data.
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

    /// Extra checks on the configuration beyond the schema's validators. May see unknowns.
    async fn validate(&self, _ctx: &Context<C>, _config: &Object) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Adjusts the plan (computed values that can be known now, replacement rules that
    /// need more than one attribute, warnings on destroy).
    async fn modify_plan(&self, _ctx: &Context<C>, _plan: &mut Plan) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Creates the remote object. `resp.state` starts as the plan.
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
    /// block): fill enough of `resp.state` (all attributes null at first) for `read`.
    async fn import(&self, _ctx: &Context<C>, _id: &str, _resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        Err(Diagnostics::error(
            "Import not supported",
            format!("{} cannot be imported; create it with Terraform instead.", self.type_name()),
        ))
    }

    /// Rewrites stored state of an older schema `version` (JSON as stored) into the
    /// current schema's shape. Only called when `version` is older than the schema's.
    fn upgrade_state(&self, version: i64, _state: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        Err(Diagnostics::error(
            "Cannot upgrade state",
            format!("{} has no upgrade from schema version {version}.", self.type_name()),
        ))
    }
}
