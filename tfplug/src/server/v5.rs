//! Protocol 5 on top of the protocol 6 service. Requests and most responses are the
//! same bytes in both majors, so every RPC forwards; only schemas are converted.

use std::sync::Arc;

use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use super::service::ProviderService;
use crate::proto::tfplugin5 as pb5;
use crate::proto::tfplugin6 as pb6;
use crate::proto::tfplugin6::provider_server::Provider as V6;
use crate::provider::Provider;

/// The protocol 5 service: a view of the protocol 6 one.
pub struct V5<P: Provider>(pub Arc<ProviderService<P>>);

type RpcResult<T> = Result<Response<T>, Status>;

/// Writes the impl: `$v5 => $v6 ($module)` forwards, plus the hand-written methods.
macro_rules! protocol5 {
    ($($v5:ident => $v6:ident ($m:ident)),* $(,)? ; $($special:item)*) => {
        #[tonic::async_trait]
        impl<P: Provider> pb5::provider_server::Provider for V5<P> {
            $(
                async fn $v5(&self, req: Request<pb6::$m::Request>) -> RpcResult<pb6::$m::Response> {
                    V6::$v6(self.0.as_ref(), req).await
                }
            )*
            $($special)*
        }
    };
}

protocol5! {
    prepare_provider_config => validate_provider_config (validate_provider_config),
    validate_resource_type_config => validate_resource_config (validate_resource_config),
    validate_data_source_config => validate_data_resource_config (validate_data_resource_config),
    upgrade_resource_state => upgrade_resource_state (upgrade_resource_state),
    get_resource_identity_schemas => get_resource_identity_schemas (get_resource_identity_schemas),
    upgrade_resource_identity => upgrade_resource_identity (upgrade_resource_identity),
    configure => configure_provider (configure_provider),
    read_resource => read_resource (read_resource),
    plan_resource_change => plan_resource_change (plan_resource_change),
    apply_resource_change => apply_resource_change (apply_resource_change),
    import_resource_state => import_resource_state (import_resource_state),
    move_resource_state => move_resource_state (move_resource_state),
    read_data_source => read_data_source (read_data_source),
    generate_resource_config => generate_resource_config (generate_resource_config),
    validate_ephemeral_resource_config => validate_ephemeral_resource_config (validate_ephemeral_resource_config),
    open_ephemeral_resource => open_ephemeral_resource (open_ephemeral_resource),
    renew_ephemeral_resource => renew_ephemeral_resource (renew_ephemeral_resource),
    close_ephemeral_resource => close_ephemeral_resource (close_ephemeral_resource),
    validate_list_resource_config => validate_list_resource_config (validate_list_resource_config),
    get_functions => get_functions (get_functions),
    call_function => call_function (call_function),
    plan_action => plan_action (plan_action),
    validate_action_config => validate_action_config (validate_action_config),
    stop => stop_provider (stop_provider);

    async fn get_schema(&self, req: Request<pb6::get_provider_schema::Request>) -> RpcResult<pb5::get_provider_schema::Response> {
        let r = V6::get_provider_schema(self.0.as_ref(), req).await?.into_inner();
        Ok(Response::new(schema_response(r)))
    }

    async fn get_metadata(&self, req: Request<pb6::get_metadata::Request>) -> RpcResult<pb5::get_metadata::Response> {
        let r = V6::get_metadata(self.0.as_ref(), req).await?.into_inner();
        Ok(Response::new(pb5::get_metadata::Response {
            server_capabilities: r.server_capabilities,
            diagnostics: r.diagnostics,
            data_sources: r.data_sources,
            resources: r.resources,
            functions: r.functions,
            ephemeral_resources: r.ephemeral_resources,
            list_resources: r.list_resources,
            actions: r.actions,
        }))
    }

    async fn list_resource(&self, req: Request<pb6::list_resource::Request>) -> RpcResult<BoxStream<pb6::list_resource::Event>> {
        V6::list_resource(self.0.as_ref(), req).await
    }

    async fn invoke_action(&self, req: Request<pb6::invoke_action::Request>) -> RpcResult<BoxStream<pb6::invoke_action::Event>> {
        V6::invoke_action(self.0.as_ref(), req).await
    }
}

/// Converts the schema response; nested attributes cannot be expressed in protocol 5,
/// so a schema using them is reported instead of silently mangled.
fn schema_response(r: pb6::get_provider_schema::Response) -> pb5::get_provider_schema::Response {
    let mut problems = Vec::new();
    let mut conv = |s: pb6::Schema, name: &str| schema(s, name, &mut problems);
    let provider = r.provider.map(|s| conv(s, "provider"));
    let provider_meta = r.provider_meta.map(|s| conv(s, "provider_meta"));
    let resource_schemas = r
        .resource_schemas
        .into_iter()
        .map(|(k, s)| {
            let v = conv(s, &k);
            (k, v)
        })
        .collect();
    let data_source_schemas = r
        .data_source_schemas
        .into_iter()
        .map(|(k, s)| {
            let v = conv(s, &k);
            (k, v)
        })
        .collect();
    let ephemeral_resource_schemas = r
        .ephemeral_resource_schemas
        .into_iter()
        .map(|(k, s)| {
            let v = conv(s, &k);
            (k, v)
        })
        .collect();
    let list_resource_schemas = r
        .list_resource_schemas
        .into_iter()
        .map(|(k, s)| {
            let v = conv(s, &k);
            (k, v)
        })
        .collect();
    let action_schemas = r
        .action_schemas
        .into_iter()
        .map(|(k, a)| {
            let v = pb5::ActionSchema { schema: a.schema.map(|s| conv(s, &k)) };
            (k, v)
        })
        .collect();
    let mut diagnostics = r.diagnostics;
    diagnostics.extend(problems.into_iter().map(|p| pb6::Diagnostic {
        severity: pb6::diagnostic::Severity::Error as i32,
        summary: "Schema not expressible in plugin protocol 5".into(),
        detail: format!("{p} uses nested attributes, which need protocol 6 (Terraform 1.0 or later)."),
        attribute: None,
    }));
    pb5::get_provider_schema::Response {
        provider,
        resource_schemas,
        data_source_schemas,
        diagnostics,
        provider_meta,
        server_capabilities: r.server_capabilities,
        functions: r.functions,
        ephemeral_resource_schemas,
        list_resource_schemas,
        action_schemas,
    }
}

fn schema(s: pb6::Schema, name: &str, problems: &mut Vec<String>) -> pb5::Schema {
    pb5::Schema { version: s.version, block: s.block.map(|b| block(b, name, problems)) }
}

fn block(b: pb6::schema::Block, at: &str, problems: &mut Vec<String>) -> pb5::schema::Block {
    pb5::schema::Block {
        version: b.version,
        attributes: b
            .attributes
            .into_iter()
            .map(|a| {
                if a.nested_type.is_some() {
                    problems.push(format!("{at}.{}", a.name));
                }
                pb5::schema::Attribute {
                    name: a.name,
                    r#type: a.r#type,
                    description: a.description,
                    required: a.required,
                    optional: a.optional,
                    computed: a.computed,
                    sensitive: a.sensitive,
                    description_kind: a.description_kind,
                    deprecated: a.deprecated,
                    write_only: a.write_only,
                    deprecation_message: a.deprecation_message,
                }
            })
            .collect(),
        block_types: b
            .block_types
            .into_iter()
            .map(|nb| {
                let inner_at = format!("{at}.{}", nb.type_name);
                pb5::schema::NestedBlock {
                    block: nb.block.map(|b| block(b, &inner_at, problems)),
                    type_name: nb.type_name,
                    nesting: nb.nesting,
                    min_items: nb.min_items,
                    max_items: nb.max_items,
                }
            })
            .collect(),
        description: b.description,
        description_kind: b.description_kind,
        deprecated: b.deprecated,
        deprecation_message: b.deprecation_message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    /// The forwarding relies on protocol 5 requests being protocol 6 bytes; check the
    /// one response whose field numbers moved.
    #[test]
    fn write_only_moves_from_field_11_to_10() {
        let v6 = pb6::get_provider_schema::Response {
            provider: Some(pb6::Schema {
                version: 1,
                block: Some(pb6::schema::Block {
                    attributes: vec![pb6::schema::Attribute {
                        name: "token".into(),
                        r#type: b"\"string\"".to_vec(),
                        optional: true,
                        write_only: true,
                        deprecated: true,
                        deprecation_message: "use token_v2".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            }),
            ..Default::default()
        };
        let v5 = schema_response(v6);
        let bytes = v5.encode_to_vec();
        let back = pb5::get_provider_schema::Response::decode(bytes.as_slice()).unwrap();
        let attr = &back.provider.unwrap().block.unwrap().attributes[0];
        assert!(attr.write_only);
        assert_eq!(attr.deprecation_message, "use token_v2");
        // Decoded as protocol 6 the same bytes would mean something else: proof the
        // conversion is needed.
        let as_v6 = pb6::get_provider_schema::Response::decode(bytes.as_slice());
        let misread = as_v6.ok().and_then(|w| w.provider).and_then(|p| p.block).map(|b| b.attributes[0].write_only);
        assert_ne!(misread, Some(true));
    }
}
