//! The protocol 6 `Provider` service: decodes each RPC, runs the provider's Rust code
//! through tfplug's validation and planning, and encodes the answer. Every RPC answers;
//! what a provider does not offer comes back as an error diagnostic.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use super::convert::{self, decode, diagnostics, encode};
use super::guard;
use crate::context::Context;
use crate::cty::{self, Type, Value};
use crate::data_source::DataSource;
use crate::diag::Diagnostics;
use crate::function::Function;
use crate::object::Object;
use crate::plan;
use crate::private::Private;
use crate::proto::tfplugin6 as pb;
use crate::provider::{ConfigureRequest, Provider};
use crate::resource::{ApplyResponse, Plan, ReadResponse, Resource};
use crate::schema::Schema;
use crate::validator::validate_config;

type RpcResult<T> = Result<Response<T>, Status>;

struct Entry<T: ?Sized> {
    imp: Arc<T>,
    schema: Schema,
    ty: Arc<Type>,
}

/// Everything about the provider that is fixed for the life of the process.
struct Catalog<C: Send + Sync + 'static> {
    provider_schema: Schema,
    provider_ty: Arc<Type>,
    resources: HashMap<String, Entry<dyn Resource<C>>>,
    data_sources: HashMap<String, Entry<dyn DataSource<C>>>,
    functions: HashMap<String, (Arc<dyn Function>, crate::function::Signature)>,
    schema_response: pb::get_provider_schema::Response,
}

/// The protocol 6 service for a [`Provider`].
pub struct ProviderService<P: Provider> {
    provider: Arc<P>,
    catalog: OnceLock<Catalog<P::Client>>,
    client: RwLock<Option<Arc<P::Client>>>,
    terraform_version: RwLock<Arc<str>>,
    stop: CancellationToken,
}

impl<P: Provider> ProviderService<P> {
    /// A service for `provider`; schemas are built on first use.
    pub fn new(provider: P) -> Self {
        ProviderService {
            provider: Arc::new(provider),
            catalog: OnceLock::new(),
            client: RwLock::new(None),
            terraform_version: RwLock::new(Arc::from("")),
            stop: CancellationToken::new(),
        }
    }

    /// The token `StopProvider` cancels.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    fn catalog(&self) -> &Catalog<P::Client> {
        self.catalog.get_or_init(|| build_catalog(self.provider.as_ref()))
    }

    fn context(&self) -> Context<P::Client> {
        let client = self.client.read().ok().and_then(|c| c.clone());
        let version = self.terraform_version.read().map(|v| v.clone()).unwrap_or_else(|_| Arc::from(""));
        Context::new(client, self.stop.clone(), version)
    }

    fn resource(&self, name: &str) -> Result<&Entry<dyn Resource<P::Client>>, Diagnostics> {
        self.catalog().resources.get(name).ok_or_else(|| unknown_type("resource", name))
    }

    fn data_source(&self, name: &str) -> Result<&Entry<dyn DataSource<P::Client>>, Diagnostics> {
        self.catalog().data_sources.get(name).ok_or_else(|| unknown_type("data source", name))
    }
}

fn build_catalog<P: Provider>(provider: &P) -> Catalog<P::Client> {
    let provider_schema = provider.schema();
    let provider_ty = Arc::new(provider_schema.ty());
    let resources: HashMap<_, _> = provider
        .resources()
        .into_iter()
        .map(|r| {
            let schema = r.schema();
            let ty = Arc::new(schema.ty());
            (r.type_name().to_string(), Entry { imp: r, schema, ty })
        })
        .collect();
    let data_sources: HashMap<_, _> = provider
        .data_sources()
        .into_iter()
        .map(|d| {
            let schema = d.schema();
            let ty = Arc::new(schema.ty());
            (d.type_name().to_string(), Entry { imp: d, schema, ty })
        })
        .collect();
    let functions: HashMap<_, _> = provider
        .functions()
        .into_iter()
        .map(|f| {
            let sig = f.signature();
            (f.name().to_string(), (f, sig))
        })
        .collect();
    let schema_response = pb::get_provider_schema::Response {
        provider: Some(convert::schema(&provider_schema)),
        resource_schemas: resources.iter().map(|(k, e)| (k.clone(), convert::schema(&e.schema))).collect(),
        data_source_schemas: data_sources.iter().map(|(k, e)| (k.clone(), convert::schema(&e.schema))).collect(),
        functions: functions.iter().map(|(k, (_, s))| (k.clone(), convert::function(s))).collect(),
        server_capabilities: Some(capabilities()),
        ..Default::default()
    };
    Catalog { provider_schema, provider_ty, resources, data_sources, functions, schema_response }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostics::error(format!("Unknown {kind} type"), format!("This provider has no {kind} type {name:?}."))
}

fn unsupported(what: &str) -> Vec<pb::Diagnostic> {
    diagnostics(Diagnostics::error(format!("{what} not supported"), format!("This provider does not offer {what}.")))
}

/// Schema validators first, then the type's own checks (skipped after schema errors).
async fn validate_with(
    schema: &Schema,
    ty: &Arc<Type>,
    config: Option<&pb::DynamicValue>,
    write_only_ok: bool,
    own: impl AsyncFnOnce(&Object) -> Result<(), Diagnostics>,
) -> Diagnostics {
    let config = match decode(config, ty, "configuration") {
        Ok(c) => c,
        Err(d) => return d,
    };
    let mut diags = validate_config(&schema.block, &config, write_only_ok);
    if !diags.has_errors() {
        diags.absorb(own(&Object::new(config, ty.clone())).await);
    }
    diags
}

/// Replaces unknowns left in a state with null, reporting each path as a provider bug.
fn settle_unknowns(value: &mut Value, type_name: &str, diags: &mut Diagnostics) {
    let mut paths = Vec::new();
    value.visit_unknowns(&cty::AttributePath::root(), &mut |p| paths.push(p.clone()));
    for p in paths {
        diags.add_attribute_error(
            p.clone(),
            "Provider left a value unknown",
            format!("{type_name} did not set {p} after apply. This is a bug in the provider."),
        );
        value.set_at(&p, Value::Null);
    }
}

/// Shapes a value the provider built to its schema type, reporting mismatches.
fn shaped(value: Value, ty: &Type, diags: &mut Diagnostics) -> Value {
    match cty::conform(value.clone(), ty) {
        Ok(v) => v,
        Err(e) => {
            diags.extend(Diagnostics::from(e));
            value
        }
    }
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(&self, _: Request<pb::get_metadata::Request>) -> RpcResult<pb::get_metadata::Response> {
        let c = self.catalog();
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: c
                .resources
                .keys()
                .map(|k| pb::get_metadata::ResourceMetadata { type_name: k.clone() })
                .collect(),
            data_sources: c
                .data_sources
                .keys()
                .map(|k| pb::get_metadata::DataSourceMetadata { type_name: k.clone() })
                .collect(),
            functions: c.functions.keys().map(|k| pb::get_metadata::FunctionMetadata { name: k.clone() }).collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        tracing::debug!(rpc = "GetProviderSchema", "serving schema");
        Ok(Response::new(self.catalog().schema_response.clone()))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        let req = req.into_inner();
        let c = self.catalog();
        let own = async |obj: &Object| guard::run("provider validation", self.provider.validate(obj)).await;
        let diags = validate_with(&c.provider_schema, &c.provider_ty, req.config.as_ref(), true, own).await;
        Ok(Response::new(pb::validate_provider_config::Response { diagnostics: diagnostics(diags) }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> RpcResult<pb::validate_resource_config::Response> {
        let req = req.into_inner();
        let write_only_ok = req.client_capabilities.as_ref().is_some_and(|c| c.write_only_attributes_allowed);
        let diags = match self.resource(&req.type_name) {
            Ok(e) => {
                let ctx = self.context();
                let own = async |obj: &Object| guard::run(&req.type_name, e.imp.validate(&ctx, obj)).await;
                validate_with(&e.schema, &e.ty, req.config.as_ref(), write_only_ok, own).await
            }
            Err(d) => d,
        };
        Ok(Response::new(pb::validate_resource_config::Response { diagnostics: diagnostics(diags) }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        let req = req.into_inner();
        let diags = match self.data_source(&req.type_name) {
            Ok(e) => {
                let ctx = self.context();
                let own = async |obj: &Object| guard::run(&req.type_name, e.imp.validate(&ctx, obj)).await;
                validate_with(&e.schema, &e.ty, req.config.as_ref(), true, own).await
            }
            Err(d) => d,
        };
        Ok(Response::new(pb::validate_data_resource_config::Response { diagnostics: diagnostics(diags) }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let req = req.into_inner();
        let result = (|| {
            let e = self.resource(&req.type_name)?;
            let raw = req.raw_state.unwrap_or_default();
            if raw.json.is_empty() {
                if raw.flatmap.is_empty() {
                    return Ok(pb::upgrade_resource_state::Response::default());
                }
                return Err(Diagnostics::error(
                    "Unsupported state format",
                    "This state was written by Terraform 0.11 or older (flatmap); upgrade it with an older provider first.",
                ));
            }
            let current = e.schema.version;
            let json = if req.version == current {
                raw.json
            } else if req.version < current {
                let old: serde_json::Value = serde_json::from_slice(&raw.json)
                    .map_err(|err| Diagnostics::error("Corrupt stored state", err.to_string()))?;
                let new = e.imp.upgrade_state(req.version, old)?;
                serde_json::to_vec(&new).map_err(|err| Diagnostics::error("Internal error", err.to_string()))?
            } else {
                return Err(Diagnostics::error(
                    "State from a newer provider",
                    format!(
                        "The state of this {} was written with schema version {}, newer than this provider's {current}. Use a newer provider version.",
                        req.type_name, req.version
                    ),
                ));
            };
            let mut value = cty::json::decode_lenient_object(&json, &e.ty).map_err(|err| {
                Diagnostics::error(
                    "Cannot read stored state",
                    format!("The stored state of this {} does not fit its schema: {err}", req.type_name),
                )
            })?;
            plan::null_write_only(&e.schema.block.attributes, &e.schema.block.blocks, &mut value);
            Ok(pb::upgrade_resource_state::Response {
                upgraded_state: Some(encode(&value, &e.ty, "upgraded state")?),
                diagnostics: Vec::new(),
            })
        })();
        Ok(Response::new(result.unwrap_or_else(|d| pb::upgrade_resource_state::Response {
            upgraded_state: None,
            diagnostics: diagnostics(d),
        })))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> RpcResult<pb::get_resource_identity_schemas::Response> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response::default()))
    }

    async fn upgrade_resource_identity(
        &self,
        _: Request<pb::upgrade_resource_identity::Request>,
    ) -> RpcResult<pb::upgrade_resource_identity::Response> {
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity: None,
            diagnostics: unsupported("Resource identity"),
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> RpcResult<pb::configure_provider::Response> {
        let req = req.into_inner();
        if let Ok(mut v) = self.terraform_version.write() {
            *v = Arc::from(req.terraform_version.as_str());
        }
        let c = self.catalog();
        let diags = async {
            let config = decode(req.config.as_ref(), &c.provider_ty, "provider configuration")?;
            let obj = Object::new(config, c.provider_ty.clone());
            let cr = ConfigureRequest { config: obj, terraform_version: req.terraform_version.clone() };
            let client = guard::run("provider configuration", self.provider.configure(cr)).await?;
            if let Ok(mut slot) = self.client.write() {
                *slot = Some(Arc::new(client));
            }
            Ok::<_, Diagnostics>(Diagnostics::new())
        }
        .await
        .unwrap_or_else(|d| d);
        Ok(Response::new(pb::configure_provider::Response { diagnostics: diagnostics(diags) }))
    }

    async fn read_resource(&self, req: Request<pb::read_resource::Request>) -> RpcResult<pb::read_resource::Response> {
        let req = req.into_inner();
        tracing::debug!(rpc = "ReadResource", tf_resource_type = %req.type_name, "refreshing");
        let mut out = pb::read_resource::Response { private: req.private.clone(), ..Default::default() };
        let result: Result<Diagnostics, Diagnostics> = async {
            let e = self.resource(&req.type_name)?;
            let current = decode(req.current_state.as_ref(), &e.ty, "current state")?;
            out.new_state = req.current_state.clone();
            if current.is_null() {
                return Ok(Diagnostics::new());
            }
            let mut resp = ReadResponse {
                state: Object::new(current, e.ty.clone()),
                private: Private::from_bytes(&req.private),
                diagnostics: Diagnostics::new(),
            };
            let ctx = self.context();
            let r = guard::run(&req.type_name, e.imp.read(&ctx, &mut resp)).await;
            let mut diags = resp.diagnostics;
            diags.absorb(r);
            if !diags.has_errors() {
                let mut v = shaped(resp.state.into_value(), &e.ty, &mut diags);
                settle_unknowns(&mut v, &req.type_name, &mut diags);
                plan::null_write_only(&e.schema.block.attributes, &e.schema.block.blocks, &mut v);
                out.new_state = Some(encode(&v, &e.ty, "state")?);
                out.private = resp.private.to_bytes();
            }
            Ok(diags)
        }
        .await;
        out.diagnostics = diagnostics(result.unwrap_or_else(|d| d));
        Ok(Response::new(out))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let req = req.into_inner();
        tracing::debug!(rpc = "PlanResourceChange", tf_resource_type = %req.type_name, "planning");
        let result: Result<pb::plan_resource_change::Response, Diagnostics> = async {
            let e = self.resource(&req.type_name)?;
            let prior = decode(req.prior_state.as_ref(), &e.ty, "prior state")?;
            let proposed = decode(req.proposed_new_state.as_ref(), &e.ty, "proposed state")?;
            let config = decode(req.config.as_ref(), &e.ty, "configuration")?;
            let sp = plan::plan(&e.schema.block, &prior, &config, proposed);
            let mut p = Plan {
                prior: Object::new(prior, e.ty.clone()),
                config: Object::new(config, e.ty.clone()),
                planned: Object::new(sp.planned, e.ty.clone()),
                requires_replace: sp.requires_replace,
                private: Private::from_bytes(&req.prior_private),
                diagnostics: sp.diagnostics,
            };
            let ctx = self.context();
            let r = guard::run(&req.type_name, e.imp.modify_plan(&ctx, &mut p)).await;
            let mut diags = p.diagnostics;
            diags.absorb(r);
            let mut planned = shaped(p.planned.into_value(), &e.ty, &mut diags);
            plan::null_write_only(&e.schema.block.attributes, &e.schema.block.blocks, &mut planned);
            diags.clone().into_result()?;
            let mut replace = p.requires_replace;
            replace.sort();
            replace.dedup();
            Ok(pb::plan_resource_change::Response {
                planned_state: Some(encode(&planned, &e.ty, "plan")?),
                requires_replace: replace.iter().map(convert::path).collect(),
                planned_private: p.private.to_bytes(),
                diagnostics: diagnostics(diags),
                ..Default::default()
            })
        }
        .await;
        Ok(Response::new(result.unwrap_or_else(|d| pb::plan_resource_change::Response {
            diagnostics: diagnostics(d),
            ..Default::default()
        })))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let req = req.into_inner();
        tracing::debug!(rpc = "ApplyResourceChange", tf_resource_type = %req.type_name, "applying");
        let mut out = pb::apply_resource_change::Response { new_state: req.prior_state.clone(), ..Default::default() };
        let result: Result<Diagnostics, Diagnostics> = async {
            let e = self.resource(&req.type_name)?;
            let prior = decode(req.prior_state.as_ref(), &e.ty, "prior state")?;
            let planned = decode(req.planned_state.as_ref(), &e.ty, "planned state")?;
            let config = decode(req.config.as_ref(), &e.ty, "configuration")?;
            let private = Private::from_bytes(&req.planned_private);
            let ctx = self.context();
            let prior_obj = Object::new(prior.clone(), e.ty.clone());
            if planned.is_null() {
                guard::run(&req.type_name, e.imp.delete(&ctx, &prior_obj, &private)).await?;
                out.new_state = Some(encode(&Value::Null, &e.ty, "state")?);
                out.private = Vec::new();
                return Ok(Diagnostics::new());
            }
            let creating = prior.is_null();
            let mut resp = ApplyResponse::new(Object::new(planned.clone(), e.ty.clone()), private);
            let config_obj = Object::new(config, e.ty.clone());
            let r = if creating {
                guard::run(&req.type_name, e.imp.create(&ctx, &config_obj, &mut resp)).await
            } else {
                guard::run(&req.type_name, e.imp.update(&ctx, &prior_obj, &config_obj, &mut resp)).await
            };
            let exists = resp.exists();
            let mut diags = resp.diagnostics;
            let failed = r.is_err();
            diags.absorb(r);
            // A failed create keeps its state only if an object exists: as the resource
            // says, else as far as it recorded anything (a state still equal to the plan).
            let untouched = match exists {
                Some(exists) if creating => !exists,
                _ => *resp.state.value() == planned,
            };
            let mut state = if failed && untouched {
                // Nothing was created, or the update did not get as far as changing
                // anything that it knows of.
                prior
            } else {
                shaped(resp.state.into_value(), &e.ty, &mut diags)
            };
            if failed {
                // Partial state: keep what is known so the object is not orphaned.
                let mut ignored = Diagnostics::new();
                settle_unknowns(&mut state, &req.type_name, &mut ignored);
            } else {
                settle_unknowns(&mut state, &req.type_name, &mut diags);
            }
            plan::null_write_only(&e.schema.block.attributes, &e.schema.block.blocks, &mut state);
            out.new_state = Some(encode(&state, &e.ty, "state")?);
            out.private = resp.private.to_bytes();
            Ok(diags)
        }
        .await;
        out.diagnostics = diagnostics(result.unwrap_or_else(|d| d));
        Ok(Response::new(out))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let req = req.into_inner();
        let result: Result<pb::import_resource_state::Response, Diagnostics> = async {
            let e = self.resource(&req.type_name)?;
            let mut resp = ReadResponse {
                state: Object::empty(e.ty.clone()),
                private: Private::default(),
                diagnostics: Diagnostics::new(),
            };
            let ctx = self.context();
            let r = guard::run(&req.type_name, e.imp.import(&ctx, &req.id, &mut resp)).await;
            let mut diags = resp.diagnostics;
            diags.absorb(r);
            diags.clone().into_result()?;
            let mut v = shaped(resp.state.into_value(), &e.ty, &mut diags);
            let mut ignored = Diagnostics::new();
            settle_unknowns(&mut v, &req.type_name, &mut ignored);
            plan::null_write_only(&e.schema.block.attributes, &e.schema.block.blocks, &mut v);
            Ok(pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource {
                    type_name: req.type_name.clone(),
                    state: Some(encode(&v, &e.ty, "imported state")?),
                    private: resp.private.to_bytes(),
                    identity: None,
                }],
                diagnostics: diagnostics(diags),
                deferred: None,
            })
        }
        .await;
        Ok(Response::new(result.unwrap_or_else(|d| pb::import_resource_state::Response {
            diagnostics: diagnostics(d),
            ..Default::default()
        })))
    }

    async fn move_resource_state(
        &self,
        _: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        Ok(Response::new(pb::move_resource_state::Response {
            diagnostics: unsupported("Moving state from other resource types"),
            ..Default::default()
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let req = req.into_inner();
        let result: Result<pb::read_data_source::Response, Diagnostics> = async {
            let e = self.data_source(&req.type_name)?;
            let config = decode(req.config.as_ref(), &e.ty, "configuration")?;
            let mut state = Object::new(config, e.ty.clone());
            let ctx = self.context();
            guard::run(&req.type_name, e.imp.read(&ctx, &mut state)).await?;
            let mut diags = Diagnostics::new();
            let mut v = shaped(state.into_value(), &e.ty, &mut diags);
            settle_unknowns(&mut v, &req.type_name, &mut diags);
            Ok(pb::read_data_source::Response {
                state: Some(encode(&v, &e.ty, "data source state")?),
                diagnostics: diagnostics(diags),
                deferred: None,
            })
        }
        .await;
        Ok(Response::new(
            result.unwrap_or_else(|d| pb::read_data_source::Response {
                diagnostics: diagnostics(d),
                ..Default::default()
            }),
        ))
    }

    async fn generate_resource_config(
        &self,
        _: Request<pb::generate_resource_config::Request>,
    ) -> RpcResult<pb::generate_resource_config::Response> {
        Ok(Response::new(pb::generate_resource_config::Response {
            config: None,
            diagnostics: unsupported("Configuration generation"),
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> RpcResult<pb::validate_ephemeral_resource_config::Response> {
        Ok(Response::new(pb::validate_ephemeral_resource_config::Response {
            diagnostics: unsupported("Ephemeral resources"),
        }))
    }

    async fn open_ephemeral_resource(
        &self,
        _: Request<pb::open_ephemeral_resource::Request>,
    ) -> RpcResult<pb::open_ephemeral_resource::Response> {
        Ok(Response::new(pb::open_ephemeral_resource::Response {
            diagnostics: unsupported("Ephemeral resources"),
            ..Default::default()
        }))
    }

    async fn renew_ephemeral_resource(
        &self,
        _: Request<pb::renew_ephemeral_resource::Request>,
    ) -> RpcResult<pb::renew_ephemeral_resource::Response> {
        Ok(Response::new(pb::renew_ephemeral_resource::Response {
            diagnostics: unsupported("Ephemeral resources"),
            ..Default::default()
        }))
    }

    async fn close_ephemeral_resource(
        &self,
        _: Request<pb::close_ephemeral_resource::Request>,
    ) -> RpcResult<pb::close_ephemeral_resource::Response> {
        Ok(Response::new(pb::close_ephemeral_resource::Response { diagnostics: unsupported("Ephemeral resources") }))
    }

    async fn list_resource(
        &self,
        _: Request<pb::list_resource::Request>,
    ) -> RpcResult<BoxStream<pb::list_resource::Event>> {
        let event = pb::list_resource::Event { diagnostic: unsupported("Listing resources"), ..Default::default() };
        Ok(Response::new(Box::pin(tokio_stream::once(Ok(event)))))
    }

    async fn validate_list_resource_config(
        &self,
        _: Request<pb::validate_list_resource_config::Request>,
    ) -> RpcResult<pb::validate_list_resource_config::Response> {
        Ok(Response::new(pb::validate_list_resource_config::Response { diagnostics: unsupported("Listing resources") }))
    }

    async fn get_functions(&self, _: Request<pb::get_functions::Request>) -> RpcResult<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response {
            functions: self.catalog().schema_response.functions.clone(),
            diagnostics: Vec::new(),
        }))
    }

    async fn call_function(&self, req: Request<pb::call_function::Request>) -> RpcResult<pb::call_function::Response> {
        let req = req.into_inner();
        let fail = |text: String, argument: Option<i64>| pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError { text, function_argument: argument }),
        };
        let Some((f, sig)) = self.catalog().functions.get(&req.name) else {
            return Ok(Response::new(fail(format!("This provider has no function {:?}.", req.name), None)));
        };
        let mut args = Vec::with_capacity(req.arguments.len());
        for (i, dv) in req.arguments.iter().enumerate() {
            let Some(param) = sig.parameters.get(i).or(sig.variadic.as_ref()) else {
                return Ok(Response::new(fail(format!("{} takes {} arguments", req.name, sig.parameters.len()), None)));
            };
            match decode(Some(dv), &param.ty, "function argument") {
                Ok(v) => args.push(v),
                Err(d) => return Ok(Response::new(fail(d.to_string(), Some(i as i64)))),
            }
        }
        let name = req.name.clone();
        let outcome = guard::run(&name, async { Ok(f.call(&args)) }).await;
        Ok(Response::new(match outcome {
            Ok(Ok(v)) => match encode(&v, &sig.returns, "function result") {
                Ok(dv) => pb::call_function::Response { result: Some(dv), error: None },
                Err(d) => fail(d.to_string(), None),
            },
            Ok(Err(e)) => fail(e.text, e.argument.map(|a| a as i64)),
            Err(d) => fail(d.to_string(), None),
        }))
    }

    async fn validate_state_store_config(
        &self,
        _: Request<pb::validate_state_store::Request>,
    ) -> RpcResult<pb::validate_state_store::Response> {
        Ok(Response::new(pb::validate_state_store::Response { diagnostics: unsupported("State stores") }))
    }

    async fn configure_state_store(
        &self,
        _: Request<pb::configure_state_store::Request>,
    ) -> RpcResult<pb::configure_state_store::Response> {
        Ok(Response::new(pb::configure_state_store::Response {
            diagnostics: unsupported("State stores"),
            capabilities: None,
        }))
    }

    async fn read_state_bytes(
        &self,
        _: Request<pb::read_state_bytes::Request>,
    ) -> RpcResult<BoxStream<pb::read_state_bytes::Response>> {
        let r = pb::read_state_bytes::Response { diagnostics: unsupported("State stores"), ..Default::default() };
        Ok(Response::new(Box::pin(tokio_stream::once(Ok(r)))))
    }

    async fn write_state_bytes(
        &self,
        req: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
    ) -> RpcResult<pb::write_state_bytes::Response> {
        let mut stream = req.into_inner();
        while let Ok(Some(_)) = stream.message().await {}
        Ok(Response::new(pb::write_state_bytes::Response { diagnostics: unsupported("State stores") }))
    }

    async fn lock_state(&self, _: Request<pb::lock_state::Request>) -> RpcResult<pb::lock_state::Response> {
        Ok(Response::new(pb::lock_state::Response { lock_id: String::new(), diagnostics: unsupported("State stores") }))
    }

    async fn unlock_state(&self, _: Request<pb::unlock_state::Request>) -> RpcResult<pb::unlock_state::Response> {
        Ok(Response::new(pb::unlock_state::Response { diagnostics: unsupported("State stores") }))
    }

    async fn get_states(&self, _: Request<pb::get_states::Request>) -> RpcResult<pb::get_states::Response> {
        Ok(Response::new(pb::get_states::Response { state_id: Vec::new(), diagnostics: unsupported("State stores") }))
    }

    async fn delete_state(&self, _: Request<pb::delete_state::Request>) -> RpcResult<pb::delete_state::Response> {
        Ok(Response::new(pb::delete_state::Response { diagnostics: unsupported("State stores") }))
    }

    async fn plan_action(&self, _: Request<pb::plan_action::Request>) -> RpcResult<pb::plan_action::Response> {
        Ok(Response::new(pb::plan_action::Response { diagnostics: unsupported("Actions"), deferred: None }))
    }

    async fn invoke_action(
        &self,
        _: Request<pb::invoke_action::Request>,
    ) -> RpcResult<BoxStream<pb::invoke_action::Event>> {
        let done = pb::invoke_action::Event {
            r#type: Some(pb::invoke_action::event::Type::Completed(pb::invoke_action::event::Completed {
                diagnostics: unsupported("Actions"),
            })),
        };
        Ok(Response::new(Box::pin(tokio_stream::once(Ok(done)))))
    }

    async fn validate_action_config(
        &self,
        _: Request<pb::validate_action_config::Request>,
    ) -> RpcResult<pb::validate_action_config::Response> {
        Ok(Response::new(pb::validate_action_config::Response { diagnostics: unsupported("Actions") }))
    }

    async fn stop_provider(&self, _: Request<pb::stop_provider::Request>) -> RpcResult<pb::stop_provider::Response> {
        tracing::info!("Terraform asked the provider to stop; cancelling in-flight work");
        self.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response { error: String::new() }))
    }
}
