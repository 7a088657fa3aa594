//! Unit-testing kinds without Terraform: plans a kind from attribute values through the same
//! code a `terraform plan` reaches (tfplug's planning, the shared attributes, the kind's own),
//! with a configured provider that has no credentials and calls no cloud.

use std::sync::Arc;

use tfplug::{AttributePath, Context, Diagnostics, Object, Resource, Value};

use super::Kind;
use super::lifecycle::CloudResource;
use crate::client::Client;
use crate::clouds::{Clouds, Tags};

/// A configured provider and a runtime to drive async calls from plain tests.
pub struct Harness {
    /// The context resources receive.
    pub ctx: Context<Client>,
    rt: tokio::runtime::Runtime,
}

/// A client as `configure` makes it from an empty provider block plus `default_tags`.
pub fn client(default_tags: Tags) -> Client {
    Client {
        clouds: Clouds::new(Default::default(), Default::default(), Default::default()),
        default_cloud: None,
        default_region: None,
        default_tags,
        policy: None,
    }
}

/// Settles the unknowns of a plan the way an apply would (placeholder ids), giving a state.
pub fn applied(planned: &Object) -> Value {
    let mut v = planned.value().clone();
    let mut unknown = Vec::new();
    v.visit_unknowns(&AttributePath::root(), &mut |p| unknown.push(p.clone()));
    for p in unknown {
        v.set_at(&p, Value::Null);
    }
    for id in ["id", "native_id"] {
        if let Some(m) = v.as_map_mut()
            && m.get(id).is_none_or(Value::is_null)
        {
            m.insert(id.into(), Value::from("test-id-1"));
        }
    }
    v
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Harness {
    /// A provider configured with nothing.
    pub fn new() -> Self {
        Harness::with_client(client(Tags::new()))
    }

    /// A provider configured as `client`.
    pub fn with_client(client: Client) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Harness { ctx: tfplug::testing::context(Some(Arc::new(client))), rt }
    }

    /// Runs a future to its end.
    pub fn block_on<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.rt.block_on(f)
    }

    fn config(resource: &dyn Resource<Client>, attrs: &[(&'static str, &str)]) -> Value {
        tfplug::testing::config(&resource.schema(), attrs.iter().map(|(k, v)| (*k, Value::from(*v))))
    }

    /// Plans `attrs` over `prior` (null: a create).
    pub fn try_plan<K: Kind>(
        &self,
        prior: &Value,
        attrs: &[(&'static str, &str)],
    ) -> Result<tfplug::testing::Planned, Diagnostics> {
        let r = CloudResource::<K>::new();
        let config = Harness::config(r.as_ref(), attrs);
        self.block_on(tfplug::testing::plan(r.as_ref(), &self.ctx, prior, &config))
    }

    /// The plan of a new object with `attrs`; panics on errors.
    pub fn plan<K: Kind>(&self, attrs: &[(&'static str, &str)]) -> Object {
        match self.try_plan::<K>(&Value::Null, attrs) {
            Ok(p) => p.planned,
            Err(d) => panic!("plan of {} failed: {d}", K::TYPE),
        }
    }

    /// The errors planning a new object with `attrs` gives, as "summary: detail" lines.
    pub fn plan_errors<K: Kind>(&self, attrs: &[(&'static str, &str)]) -> Vec<String> {
        match self.try_plan::<K>(&Value::Null, attrs) {
            Ok(_) => Vec::new(),
            Err(d) => d.0.iter().map(|e| format!("{}: {}", e.summary, e.detail)).collect(),
        }
    }

    /// Plans a change: the object `prior` planned (then applied), configured again with
    /// `attrs` changed. Returns the plan and what forces replacement.
    pub fn replan<K: Kind>(&self, prior: &Object, changes: &[(&'static str, &str)]) -> (Object, Vec<AttributePath>) {
        let r = CloudResource::<K>::new();
        let state = applied(prior);
        let schema = r.schema();
        let mut config = tfplug::testing::config(&schema, []);
        // The configuration: every attribute the prior plan had that config may set.
        if let (Some(m), Some(p)) = (config.as_map_mut(), state.as_map()) {
            for a in
                schema.block.attributes.iter().filter(|a| !matches!(a.presence, tfplug::schema::Presence::Computed))
            {
                if let Some(v) = p.get(&a.name) {
                    m.insert(a.name.clone(), v.clone());
                }
            }
            for (k, v) in changes {
                m.insert((*k).to_string(), Value::from(*v));
            }
        }
        match self.block_on(tfplug::testing::plan(r.as_ref(), &self.ctx, &state, &config)) {
            Ok(p) => (p.planned, p.requires_replace),
            Err(d) => panic!("plan of {} failed: {d}", K::TYPE),
        }
    }
}
