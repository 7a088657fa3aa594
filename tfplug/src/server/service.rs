//! The protocol 6 `Provider` service: decodes each RPC, runs the provider's Rust code
//! through tfplug's validation and planning, and encodes the answer. Every RPC answers;
//! what a provider does not offer comes back as an error diagnostic.
//!
//! The trait impl here only routes; each family of RPCs lives in its own file
//! (`managed`, `adopt`, `list`, `action`, `ephemeral`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use super::catalog::{self, Catalog, Entry, ResourceEntry};
use super::convert::{self, decode, diagnostics, encode};
use super::guard;
use crate::context::{Context, DeferralReason};
use crate::cty::{self, Type, Value};
use crate::data_source::DataSource;
use crate::diag::Diagnostics;
use crate::object::Object;
use crate::proto::tfplugin6 as pb;
use crate::provider::{ConfigureRequest, Provider};
use crate::schema::Schema;
use crate::validator::validate_config;

type RpcResult<T> = Result<Response<T>, Status>;

/// The protocol 6 service for a [`Provider`].
pub struct ProviderService<P: Provider> {
    pub(super) provider: Arc<P>,
    catalog: OnceLock<Catalog<P::Client>>,
    client: RwLock<Option<Arc<P::Client>>>,
    terraform_version: RwLock<Arc<str>>,
    /// Set when `ConfigureProvider` deferred (unknown provider configuration, opted in).
    config_deferred: AtomicBool,
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
            config_deferred: AtomicBool::new(false),
            stop: CancellationToken::new(),
        }
    }

    /// The token `StopProvider` cancels.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    pub(super) fn catalog(&self) -> &Catalog<P::Client> {
        self.catalog.get_or_init(|| catalog::build(self.provider.as_ref()))
    }

    /// A fresh per-call context; `caps` are the call's client capabilities, if it has any.
    pub(super) fn context(&self, caps: Option<&pb::ClientCapabilities>) -> Context<P::Client> {
        let client = self.client.read().ok().and_then(|c| c.clone());
        let version = self.terraform_version.read().map(|v| v.clone()).unwrap_or_else(|_| Arc::from(""));
        Context::new(client, self.stop.clone(), version).allowing_deferral(caps.is_some_and(|c| c.deferral_allowed))
    }

    /// `Some` when every call of this process is deferred because the provider
    /// configuration was unknown (automatic deferral, see
    /// [`Provider::defer_when_configuration_unknown`]).
    pub(super) fn auto_deferred(&self) -> Option<pb::Deferred> {
        self.config_deferred.load(Ordering::Relaxed).then(|| convert::deferred(DeferralReason::ProviderConfigUnknown))
    }

    pub(super) fn resource(&self, name: &str) -> Result<&ResourceEntry<P::Client>, Diagnostics> {
        self.catalog().resources.get(name).ok_or_else(|| unknown_type("resource", name))
    }

    pub(super) fn data_source(&self, name: &str) -> Result<&Entry<dyn DataSource<P::Client>>, Diagnostics> {
        self.catalog().data_sources.get(name).ok_or_else(|| unknown_type("data source", name))
    }
}

pub(super) fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostics::error(format!("Unknown {kind} type"), format!("This provider has no {kind} type {name:?}."))
}

fn unsupported(what: &str) -> Vec<pb::Diagnostic> {
    diagnostics(Diagnostics::error(format!("{what} not supported"), format!("This provider does not offer {what}.")))
}

/// Schema validators first, then the type's own checks (skipped after schema errors).
pub(super) async fn validate_with(
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

/// Replaces unknowns left in a value with null, reporting each path as a provider bug.
pub(super) fn settle_unknowns(value: &mut Value, type_name: &str, diags: &mut Diagnostics) {
    let mut paths = Vec::new();
    value.visit_unknowns(&cty::AttributePath::root(), &mut |p| paths.push(p.clone()));
    for p in paths {
        if p.is_root() {
            diags.add_error(
                "Provider left a value unknown",
                format!("{type_name} left its whole value unknown. This is a bug in the provider."),
            );
            *value = Value::Null;
            return;
        }
        diags.add_attribute_error(
            p.clone(),
            "Provider left a value unknown",
            format!("{type_name} did not set {p}. This is a bug in the provider."),
        );
        value.set_at(&p, Value::Null);
    }
}

/// Shapes a value the provider built to its schema type, reporting mismatches.
pub(super) fn shaped(value: Value, ty: &Type, diags: &mut Diagnostics) -> Value {
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
        use pb::get_metadata as m;
        let c = self.catalog();
        Ok(Response::new(m::Response {
            server_capabilities: Some(catalog::capabilities()),
            resources: c.resources.keys().map(|k| m::ResourceMetadata { type_name: k.clone() }).collect(),
            data_sources: c.data_sources.keys().map(|k| m::DataSourceMetadata { type_name: k.clone() }).collect(),
            functions: c.functions.keys().map(|k| m::FunctionMetadata { name: k.clone() }).collect(),
            ephemeral_resources: c.ephemerals.keys().map(|k| m::EphemeralMetadata { type_name: k.clone() }).collect(),
            list_resources: c.lists.keys().map(|k| m::ListResourceMetadata { type_name: k.clone() }).collect(),
            actions: c.actions.keys().map(|k| m::ActionMetadata { type_name: k.clone() }).collect(),
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
        Ok(Response::new(self.validate_resource(req.into_inner()).await))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        Ok(Response::new(self.validate_data_source(req.into_inner()).await))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        Ok(Response::new(self.upgrade_state(req.into_inner())))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> RpcResult<pb::get_resource_identity_schemas::Response> {
        Ok(Response::new(self.catalog().identity_response.clone()))
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> RpcResult<pb::upgrade_resource_identity::Response> {
        Ok(Response::new(self.upgrade_identity(req.into_inner())))
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
        let deferral_allowed = req.client_capabilities.as_ref().is_some_and(|c| c.deferral_allowed);
        let diags = async {
            let config = decode(req.config.as_ref(), &c.provider_ty, "provider configuration")?;
            if c.defer_unknown_config && deferral_allowed && !config.is_wholly_known() {
                tracing::info!("provider configuration has unknown values; deferring this run's operations");
                self.config_deferred.store(true, Ordering::Relaxed);
                return Ok(Diagnostics::new());
            }
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
        Ok(Response::new(self.read(req.into_inner()).await))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        Ok(Response::new(self.plan(req.into_inner()).await))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        Ok(Response::new(self.apply(req.into_inner()).await))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        Ok(Response::new(self.import(req.into_inner()).await))
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        Ok(Response::new(self.move_state(req.into_inner()).await))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        Ok(Response::new(self.read_data(req.into_inner()).await))
    }

    async fn generate_resource_config(
        &self,
        req: Request<pb::generate_resource_config::Request>,
    ) -> RpcResult<pb::generate_resource_config::Response> {
        Ok(Response::new(self.generate_config(req.into_inner())))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> RpcResult<pb::validate_ephemeral_resource_config::Response> {
        Ok(Response::new(self.validate_ephemeral(req.into_inner()).await))
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> RpcResult<pb::open_ephemeral_resource::Response> {
        Ok(Response::new(self.open_ephemeral(req.into_inner()).await))
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> RpcResult<pb::renew_ephemeral_resource::Response> {
        Ok(Response::new(self.renew_ephemeral(req.into_inner()).await))
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> RpcResult<pb::close_ephemeral_resource::Response> {
        Ok(Response::new(self.close_ephemeral(req.into_inner()).await))
    }

    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> RpcResult<BoxStream<pb::list_resource::Event>> {
        Ok(Response::new(self.list_stream(req.into_inner())))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> RpcResult<pb::validate_list_resource_config::Response> {
        Ok(Response::new(self.validate_list(req.into_inner()).await))
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

    // State stores are experimental in Terraform 1.15 ("state_store" blocks are refused);
    // tfplug does not offer them yet.

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

    async fn plan_action(&self, req: Request<pb::plan_action::Request>) -> RpcResult<pb::plan_action::Response> {
        Ok(Response::new(self.action_plan(req.into_inner()).await))
    }

    async fn invoke_action(
        &self,
        req: Request<pb::invoke_action::Request>,
    ) -> RpcResult<BoxStream<pb::invoke_action::Event>> {
        Ok(Response::new(self.action_invoke(req.into_inner())))
    }

    async fn validate_action_config(
        &self,
        req: Request<pb::validate_action_config::Request>,
    ) -> RpcResult<pb::validate_action_config::Response> {
        Ok(Response::new(self.action_validate(req.into_inner()).await))
    }

    async fn stop_provider(&self, _: Request<pb::stop_provider::Request>) -> RpcResult<pb::stop_provider::Response> {
        tracing::info!("Terraform asked the provider to stop; cancelling in-flight work");
        self.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response { error: String::new() }))
    }
}
