//! Deferred answers: only when the client allows them; automatic for an unknown
//! provider configuration when the provider opts in; on request from resource code.

use tfplug::Value;
use tfplug::proto::tfplugin6 as pb;

use crate::provider::keyed_schema;
use crate::{client, errors, msgpack, start};

fn caps(deferral_allowed: bool) -> Option<pb::ClientCapabilities> {
    Some(pb::ClientCapabilities { deferral_allowed, write_only_attributes_allowed: true })
}

fn provider_config(endpoint: Value) -> pb::DynamicValue {
    let ty = tfplug::Type::object([("endpoint", tfplug::Type::String)]);
    msgpack(&Value::object([("endpoint", endpoint)]), &ty)
}

fn keyed(value: &str) -> Value {
    Value::object([("key", Value::from("a")), ("region", Value::from("eu")), ("value", Value::from(value))])
}

const PROVIDER_CONFIG_UNKNOWN: i32 = pb::deferred::Reason::ProviderConfigUnknown as i32;

#[tokio::test]
async fn an_unknown_provider_configuration_defers_everything_when_allowed() {
    let r = start().await;
    let mut c = client(&r);
    let configured = c
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: Some(provider_config(Value::unknown())),
            client_capabilities: caps(true),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(configured.diagnostics.is_empty(), "{:?}", configured.diagnostics);
    let ty = keyed_schema().ty();
    let read = c
        .read_resource(pb::read_resource::Request {
            type_name: "test_keyed".into(),
            current_state: Some(msgpack(&keyed("x"), &ty)),
            client_capabilities: caps(true),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.deferred.map(|d| d.reason), Some(PROVIDER_CONFIG_UNKNOWN));
    assert_eq!(read.new_state, Some(msgpack(&keyed("x"), &ty)), "state passed through");
    let plan = c
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_keyed".into(),
            prior_state: Some(msgpack(&Value::Null, &ty)),
            proposed_new_state: Some(msgpack(&keyed("x"), &ty)),
            config: Some(msgpack(&keyed("x"), &ty)),
            client_capabilities: caps(true),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.deferred.map(|d| d.reason), Some(PROVIDER_CONFIG_UNKNOWN));
    let import = c
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "test_keyed".into(),
            id: "a".into(),
            client_capabilities: caps(true),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(import.deferred.map(|d| d.reason), Some(PROVIDER_CONFIG_UNKNOWN));
    assert!(import.imported_resources.is_empty());
    let open = c
        .open_ephemeral_resource(pb::open_ephemeral_resource::Request {
            type_name: "test_token".into(),
            client_capabilities: caps(true),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(open.deferred.map(|d| d.reason), Some(PROVIDER_CONFIG_UNKNOWN));
    let action = c
        .plan_action(pb::plan_action::Request { action_type: "test_countdown".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(action.deferred.map(|d| d.reason), Some(PROVIDER_CONFIG_UNKNOWN));
}

#[tokio::test]
async fn an_unknown_provider_configuration_is_configured_as_usual_when_deferral_is_not_allowed() {
    let r = start().await;
    let mut c = client(&r);
    c.configure_provider(pb::configure_provider::Request {
        terraform_version: "1.15.5".into(),
        config: Some(provider_config(Value::unknown())),
        client_capabilities: caps(false),
    })
    .await
    .unwrap();
    let ty = keyed_schema().ty();
    let read = c
        .read_resource(pb::read_resource::Request {
            type_name: "test_keyed".into(),
            current_state: Some(msgpack(&keyed("x"), &ty)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(read.deferred.is_none());
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
}

#[tokio::test]
async fn resource_code_defers_only_when_the_client_allows_it() {
    let r = start().await;
    let mut c = client(&r);
    let ty = keyed_schema().ty();
    let read = |allowed: bool| pb::read_resource::Request {
        type_name: "test_keyed".into(),
        current_state: Some(msgpack(&keyed("defer"), &ty)),
        client_capabilities: caps(allowed),
        ..Default::default()
    };
    let deferred = c.read_resource(read(true)).await.unwrap().into_inner();
    assert_eq!(deferred.deferred.map(|d| d.reason), Some(pb::deferred::Reason::ResourceConfigUnknown as i32));
    assert!(deferred.diagnostics.is_empty(), "{:?}", deferred.diagnostics);
    let refused = c.read_resource(read(false)).await.unwrap().into_inner();
    assert!(refused.deferred.is_none());
    assert_eq!(errors(&refused.diagnostics), ["Cannot defer"]);
    let plan = c
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_keyed".into(),
            prior_state: Some(msgpack(&Value::Null, &ty)),
            proposed_new_state: Some(msgpack(&keyed("defer"), &ty)),
            config: Some(msgpack(&keyed("defer"), &ty)),
            client_capabilities: caps(true),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.deferred.map(|d| d.reason), Some(pb::deferred::Reason::AbsentPrereq as i32));
    assert!(plan.planned_state.is_some(), "the plan so far goes with the deferral");
}
