//! What the provider offers, built once per process from the [`Provider`]'s lists:
//! each type's implementation, schema and value type, and the schema responses.

use std::collections::HashMap;
use std::sync::Arc;

use super::convert::{self, diagnostics};
use crate::action::Action;
use crate::cty::Type;
use crate::data_source::DataSource;
use crate::diag::Diagnostics;
use crate::ephemeral::EphemeralResource;
use crate::function::{Function, Signature};
use crate::identity::IdentitySchema;
use crate::list::ListResource;
use crate::proto::tfplugin6 as pb;
use crate::provider::Provider;
use crate::resource::Resource;
use crate::schema::Schema;

/// One type: its implementation, schema and the schema's value type.
pub(super) struct Entry<T: ?Sized> {
    pub imp: Arc<T>,
    pub schema: Schema,
    pub ty: Arc<Type>,
}

/// A resource identity schema and its value type.
pub(super) struct Identity {
    pub schema: IdentitySchema,
    pub ty: Arc<Type>,
}

/// A managed resource type.
pub(super) struct ResourceEntry<C: Send + Sync + 'static> {
    pub imp: Arc<dyn Resource<C>>,
    pub schema: Schema,
    pub ty: Arc<Type>,
    pub identity: Option<Identity>,
}

impl<C: Send + Sync + 'static> ResourceEntry<C> {
    /// The identity value type; an empty object type for types without identity.
    pub fn identity_ty(&self) -> Arc<Type> {
        self.identity.as_ref().map_or_else(|| Arc::new(Type::Object(Default::default())), |i| i.ty.clone())
    }
}

/// Everything about the provider that is fixed for the life of the process.
pub(super) struct Catalog<C: Send + Sync + 'static> {
    pub provider_schema: Schema,
    pub provider_ty: Arc<Type>,
    pub resources: HashMap<String, ResourceEntry<C>>,
    pub data_sources: HashMap<String, Entry<dyn DataSource<C>>>,
    pub functions: HashMap<String, (Arc<dyn Function>, Signature)>,
    pub lists: HashMap<String, Entry<dyn ListResource<C>>>,
    pub actions: HashMap<String, Entry<dyn Action<C>>>,
    pub ephemerals: HashMap<String, Entry<dyn EphemeralResource<C>>>,
    pub schema_response: pb::get_provider_schema::Response,
    pub identity_response: pb::get_resource_identity_schemas::Response,
    pub defer_unknown_config: bool,
}

fn entries<T: ?Sized>(
    items: Vec<Arc<T>>,
    name: impl Fn(&T) -> String,
    schema: impl Fn(&T) -> Schema,
) -> HashMap<String, Entry<T>> {
    items
        .into_iter()
        .map(|imp| {
            let s = schema(&imp);
            let ty = Arc::new(s.ty());
            (name(&imp), Entry { imp, schema: s, ty })
        })
        .collect()
}

pub(super) fn build<P: Provider>(provider: &P) -> Catalog<P::Client> {
    let provider_schema = provider.schema();
    let provider_ty = Arc::new(provider_schema.ty());
    let resources: HashMap<_, _> = provider
        .resources()
        .into_iter()
        .map(|r| {
            let schema = r.schema();
            let ty = Arc::new(schema.ty());
            let identity = r.identity_schema().map(|s| Identity { ty: Arc::new(s.ty()), schema: s });
            (r.type_name().to_string(), ResourceEntry { imp: r, schema, ty, identity })
        })
        .collect();
    let data_sources = entries(provider.data_sources(), |d| d.type_name().to_string(), |d| d.schema());
    let lists = entries(provider.list_resources(), |l| l.type_name().to_string(), |l| l.schema());
    let actions = entries(provider.actions(), |a| a.type_name().to_string(), |a| a.schema());
    let ephemerals = entries(provider.ephemeral_resources(), |e| e.type_name().to_string(), |e| e.schema());
    let functions: HashMap<_, _> = provider
        .functions()
        .into_iter()
        .map(|f| {
            let sig = f.signature();
            (f.name().to_string(), (f, sig))
        })
        .collect();

    // Mistakes Terraform would only report obscurely (or mid-query) are schema errors here.
    let mut problems = Diagnostics::new();
    for name in lists.keys() {
        match resources.get(name) {
            None => problems.add_error(
                "List resource without a managed resource",
                format!("The list resource {name:?} needs a managed resource type of the same name."),
            ),
            Some(r) if r.identity.is_none() => problems.add_error(
                "List resource without an identity",
                format!("The list resource {name:?} needs its managed resource type to declare an identity schema."),
            ),
            Some(_) => {}
        }
    }
    let mut identity_problems = Diagnostics::new();
    for (name, r) in &resources {
        if let Some(Err(p)) = r.identity.as_ref().map(|i| i.schema.check()) {
            identity_problems.add_error(
                format!("Invalid identity schema for {name}"),
                p.join("; ") + ". This is a bug in the provider.",
            );
        }
    }

    let schema_response = pb::get_provider_schema::Response {
        provider: Some(convert::schema(&provider_schema)),
        resource_schemas: resources.iter().map(|(k, e)| (k.clone(), convert::schema(&e.schema))).collect(),
        data_source_schemas: data_sources.iter().map(|(k, e)| (k.clone(), convert::schema(&e.schema))).collect(),
        functions: functions.iter().map(|(k, (_, s))| (k.clone(), convert::function(s))).collect(),
        ephemeral_resource_schemas: ephemerals.iter().map(|(k, e)| (k.clone(), convert::schema(&e.schema))).collect(),
        list_resource_schemas: lists.iter().map(|(k, e)| (k.clone(), convert::schema(&e.schema))).collect(),
        action_schemas: actions
            .iter()
            .map(|(k, e)| (k.clone(), pb::ActionSchema { schema: Some(convert::schema(&e.schema)) }))
            .collect(),
        server_capabilities: Some(capabilities()),
        diagnostics: diagnostics(problems),
        ..Default::default()
    };
    let identity_response = pb::get_resource_identity_schemas::Response {
        identity_schemas: resources
            .iter()
            .filter_map(|(k, e)| e.identity.as_ref().map(|i| (k.clone(), convert::identity_schema(&i.schema))))
            .collect(),
        diagnostics: diagnostics(identity_problems),
    };
    Catalog {
        provider_schema,
        provider_ty,
        resources,
        data_sources,
        functions,
        lists,
        actions,
        ephemerals,
        schema_response,
        identity_response,
        defer_unknown_config: provider.defer_when_configuration_unknown(),
    }
}

/// tfplug's capabilities: destroy plans, cached schemas, moves (refused per type with
/// a clear error unless the type implements them) and config generation (a
/// schema-driven default for every type).
pub(super) fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: true,
        generate_resource_config: true,
    }
}
