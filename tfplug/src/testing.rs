//! Driving a [`Resource`] the way Terraform does, in memory, for a provider's unit tests:
//! the proposed state Terraform would send, tfplug's own planning, then the resource's.
//!
//! ```
//! # use tfplug::{testing, Attribute, Block, Context, Diagnostics, Object, Resource, Schema, Value};
//! # use tfplug::{ApplyResponse, ReadResponse, Private};
//! struct Thing;
//! #[tfplug::async_trait]
//! impl Resource<()> for Thing {
//!     fn type_name(&self) -> &str { "test_thing" }
//!     fn schema(&self) -> Schema {
//!         Schema::new(0, Block::new()
//!             .attribute(Attribute::string("name").required())
//!             .attribute(Attribute::string("size").default("s"))
//!             .attribute(Attribute::string("id").computed()))
//!     }
//!     async fn create(&self, _: &Context<()>, _: &Object, _: &mut ApplyResponse) -> Result<(), Diagnostics> { Ok(()) }
//!     async fn read(&self, _: &Context<()>, _: &mut ReadResponse) -> Result<(), Diagnostics> { Ok(()) }
//!     async fn update(&self, _: &Context<()>, _: &Object, _: &Object, _: &mut ApplyResponse) -> Result<(), Diagnostics> { Ok(()) }
//!     async fn delete(&self, _: &Context<()>, _: &Object, _: &Private) -> Result<(), Diagnostics> { Ok(()) }
//! }
//! # tokio_test_block(async {
//! let config = testing::config(&Thing.schema(), [("name", Value::from("a"))]);
//! let plan = testing::plan(&Thing, &testing::context(None), &Value::Null, &config).await.unwrap();
//! assert_eq!(plan.planned.attr("size").as_str(), Some("s"));
//! assert!(plan.planned.attr("id").is_unknown());
//! # });
//! # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::cty::{self, AttributePath, Value};
use crate::diag::Diagnostics;
use crate::object::Object;
use crate::private::Private;
use crate::resource::{Plan, Resource};
use crate::schema::{Block, Presence};

/// A context for calls outside a server, with `client` (none: an unconfigured provider).
pub fn context<C>(client: Option<Arc<C>>) -> Context<C> {
    Context::new(client, CancellationToken::new(), Arc::from("1.15.5"))
}

/// A configuration of `schema`'s type: every attribute null but those given.
pub fn config(schema: &crate::Schema, attrs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let ty = Arc::new(schema.ty());
    let mut obj = Object::empty(ty);
    for (name, value) in attrs {
        if let Some(m) = obj.value_mut().as_map_mut() {
            m.insert(name.to_string(), value);
        }
    }
    obj.into_value()
}

/// What Terraform proposes before asking the provider: configured values, and the prior
/// state's for computed attributes the configuration leaves null (Terraform's `ProposedNew`).
pub fn proposed(block: &Block, prior: &Value, config: &Value) -> Value {
    if config.is_null() {
        return Value::Null;
    }
    let mut out = config.clone();
    let Some(m) = out.as_map_mut() else { return out };
    for a in &block.attributes {
        let computed = matches!(a.presence, Presence::Computed | Presence::OptionalComputed);
        if computed && m.get(&a.name).is_none_or(Value::is_null) {
            let from_prior = prior.attr(&a.name).cloned().unwrap_or(Value::Null);
            m.insert(a.name.clone(), from_prior);
        }
    }
    out
}

/// The outcome of [`plan`].
#[derive(Debug)]
pub struct Planned {
    /// The planned state.
    pub planned: Object,
    /// Attributes whose change replaces the object.
    pub requires_replace: Vec<AttributePath>,
    /// Warnings.
    pub diagnostics: Diagnostics,
}

/// Plans `config` over `prior` (null to create) as `PlanResourceChange` would.
pub async fn plan<C: Send + Sync + 'static>(
    resource: &dyn Resource<C>,
    ctx: &Context<C>,
    prior: &Value,
    config: &Value,
) -> Result<Planned, Diagnostics> {
    let schema = resource.schema();
    let ty = Arc::new(schema.ty());
    let config = cty::conform(config.clone(), &ty).map_err(Diagnostics::from)?;
    let proposed = proposed(&schema.block, prior, &config);
    let sp = crate::plan::plan(&schema.block, prior, &config, proposed);
    // Identities are not planned here: the resource sees a null one.
    let no_identity = Object::null(Arc::new(crate::Type::object(Vec::<(&str, crate::Type)>::new())));
    let mut p = Plan {
        prior: Object::new(prior.clone(), ty.clone()),
        config: Object::new(config, ty.clone()),
        planned: Object::new(sp.planned, ty),
        requires_replace: sp.requires_replace,
        private: Private::default(),
        diagnostics: sp.diagnostics,
        prior_identity: no_identity.clone(),
        identity: no_identity,
    };
    resource.modify_plan(ctx, &mut p).await?;
    let mut replace = p.requires_replace;
    replace.sort();
    replace.dedup();
    Ok(Planned { planned: p.planned, requires_replace: replace, diagnostics: p.diagnostics })
}
