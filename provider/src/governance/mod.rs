//! Governance around every `oppie_*` resource: the estimated monthly cost, known at plan
//! time, and plan-time policy gating. A decorator adds both to any resource, so resource
//! code stays about the cloud.

pub mod cost;
pub mod document;
pub mod policy;

use std::sync::Arc;

use tfplug::{
    ApplyResponse, Context, Diagnostics, IdentitySchema, MoveRequest, MoveResponse, Object, Plan, Private,
    ReadResponse, Resource, Schema,
};

use crate::client::Client;

/// How many resources this process has planned: each gets its own internal address.
static PLANNED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Wraps every resource with cost estimation and policy gating.
pub fn govern(resources: Vec<Arc<dyn Resource<Client>>>) -> Vec<Arc<dyn Resource<Client>>> {
    resources
        .into_iter()
        .map(|inner| {
            let schema = cost::extend_schema(inner.schema());
            Arc::new(Governed { inner, schema }) as Arc<dyn Resource<Client>>
        })
        .collect()
}

/// A resource with cost attributes and policy checks.
pub struct Governed {
    inner: Arc<dyn Resource<Client>>,
    schema: Schema,
}

#[tfplug::async_trait]
impl Resource<Client> for Governed {
    fn type_name(&self) -> &str {
        self.inner.type_name()
    }

    fn schema(&self) -> Schema {
        self.schema.clone()
    }

    async fn validate(&self, ctx: &Context<Client>, config: &Object) -> Result<(), Diagnostics> {
        self.inner.validate(ctx, config).await
    }

    async fn modify_plan(&self, ctx: &Context<Client>, plan: &mut Plan) -> Result<(), Diagnostics> {
        self.inner.modify_plan(ctx, plan).await?;
        if !plan.is_destroy() {
            let cost = cost::estimate(ctx, self.type_name(), &plan.planned);
            plan.diagnostics.extend(cost::set(&mut plan.planned, cost)?);
        }
        let Some(gate) = ctx.try_client().and_then(|c| c.policy.clone()) else { return Ok(()) };
        let serial = PLANNED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let address = document::address(self.type_name(), serial);
        let label = document::label(self.type_name(), plan);
        let doc = document::plan_document(self.type_name(), &self.schema, plan, &address, ctx.terraform_version());
        let findings = gate.evaluate(doc, &label).await?;
        let diags = gate.diagnostics(&findings, &address, &label, plan.planned.ty());
        if diags.has_errors() {
            return Err(diags);
        }
        plan.diagnostics.extend(diags);
        Ok(())
    }

    async fn create(
        &self,
        ctx: &Context<Client>,
        config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let r = self.inner.create(ctx, config, resp).await;
        settle_cost(ctx, self.type_name(), &mut resp.state);
        r
    }

    async fn read(&self, ctx: &Context<Client>, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        self.inner.read(ctx, resp).await?;
        settle_cost(ctx, self.type_name(), &mut resp.state);
        Ok(())
    }

    async fn update(
        &self,
        ctx: &Context<Client>,
        prior: &Object,
        config: &Object,
        resp: &mut ApplyResponse,
    ) -> Result<(), Diagnostics> {
        let r = self.inner.update(ctx, prior, config, resp).await;
        settle_cost(ctx, self.type_name(), &mut resp.state);
        r
    }

    async fn delete(&self, ctx: &Context<Client>, prior: &Object, private: &Private) -> Result<(), Diagnostics> {
        self.inner.delete(ctx, prior, private).await
    }

    async fn import(&self, ctx: &Context<Client>, id: &str, resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        self.inner.import(ctx, id, resp).await
    }

    fn upgrade_state(&self, version: i64, state: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        self.inner.upgrade_state(version, state)
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        self.inner.identity_schema()
    }

    async fn import_identity(
        &self,
        ctx: &Context<Client>,
        identity: &Object,
        resp: &mut ReadResponse,
    ) -> Result<(), Diagnostics> {
        self.inner.import_identity(ctx, identity, resp).await
    }

    fn upgrade_identity(&self, version: i64, identity: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        self.inner.upgrade_identity(version, identity)
    }

    fn generate_config(&self, state: &Object, config: &mut Object) -> Result<(), Diagnostics> {
        self.inner.generate_config(state, config)
    }

    async fn move_state(
        &self,
        ctx: &Context<Client>,
        req: &MoveRequest,
        resp: &mut MoveResponse,
    ) -> Result<(), Diagnostics> {
        self.inner.move_state(ctx, req, resp).await?;
        settle_cost(ctx, self.type_name(), &mut resp.state);
        Ok(())
    }
}

/// After apply or refresh the cost follows the object as it now is (it was already
/// known at plan time unless its inputs were not).
fn settle_cost(ctx: &Context<Client>, type_name: &str, state: &mut Object) {
    if state.is_null() {
        return;
    }
    let cost = cost::estimate(ctx, type_name, state);
    // Pricing problems were reported at plan time; here they only leave the cost null.
    let _ = cost::set(state, cost);
}
