//! Basics of the served protocol: cancellation by StopProvider, panics, every RPC
//! answering, protocol 5 schemas, message size, health and shutdown.

use std::time::{Duration, Instant};

use tfplug::proto::tfplugin5::provider_client::ProviderClient as V5Client;
use tfplug::proto::tfplugin6 as pb;
use tfplug::proto::tfplugin6::provider_client::ProviderClient;
use tfplug::{Type, Value};

use crate::provider::schema;
use crate::{msgpack, start};

fn ty() -> Type {
    schema().ty()
}

fn apply_create(type_name: &str) -> pb::apply_resource_change::Request {
    let planned = Value::object([("name", Value::from("a")), ("id", Value::unknown())]);
    pb::apply_resource_change::Request {
        type_name: type_name.into(),
        prior_state: Some(msgpack(&Value::Null, &ty())),
        planned_state: Some(msgpack(&planned, &ty())),
        config: Some(msgpack(&Value::object([("name", Value::from("a")), ("id", Value::Null)]), &ty())),
        ..Default::default()
    }
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_work_and_keeps_serving() {
    let r = start().await;
    let mut client = ProviderClient::new(r.channel.clone());
    let mut c2 = client.clone();
    let started = Instant::now();
    let apply = tokio::spawn(async move { c2.apply_resource_change(apply_create("test_slow")).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    client.stop_provider(pb::stop_provider::Request {}).await.unwrap();
    let resp = apply.await.unwrap().unwrap().into_inner();
    assert!(started.elapsed() < Duration::from_secs(5), "cancelled promptly");
    assert_eq!(resp.diagnostics.len(), 1);
    assert!(resp.diagnostics[0].summary.contains("Cancelled"), "{:?}", resp.diagnostics);
    // Nothing was recorded, so nothing is left in state.
    let state = tfplug::cty::msgpack::decode(&resp.new_state.unwrap().msgpack, &ty()).unwrap();
    assert!(state.is_null());
    // Still serving after StopProvider.
    client.get_provider_schema(pb::get_provider_schema::Request {}).await.unwrap();
    r.shutdown.cancel();
}

#[tokio::test]
async fn a_panicking_resource_becomes_an_error_diagnostic() {
    let r = start().await;
    let mut client = ProviderClient::new(r.channel.clone());
    let resp = client.apply_resource_change(apply_create("test_panicky")).await.unwrap().into_inner();
    let d = &resp.diagnostics[0];
    assert_eq!(d.severity, pb::diagnostic::Severity::Error as i32);
    assert!(d.detail.contains("deliberate test panic"), "{d:?}");
    // The process is fine: the next call works.
    client.get_provider_schema(pb::get_provider_schema::Request {}).await.unwrap();
}

#[tokio::test]
async fn every_rpc_answers_with_diagnostics_not_status_errors() {
    let r = start().await;
    let mut c = ProviderClient::new(r.channel.clone());
    let eph = c.open_ephemeral_resource(pb::open_ephemeral_resource::Request::default()).await.unwrap().into_inner();
    assert!(!eph.diagnostics.is_empty());
    let mv = c.move_resource_state(pb::move_resource_state::Request::default()).await.unwrap().into_inner();
    assert!(!mv.diagnostics.is_empty());
    let ss = c.validate_state_store_config(pb::validate_state_store::Request::default()).await.unwrap().into_inner();
    assert!(!ss.diagnostics.is_empty());
    let ids =
        c.get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {}).await.unwrap().into_inner();
    assert!(ids.identity_schemas.contains_key("test_keyed") && ids.diagnostics.is_empty());
    let mut list = c.list_resource(pb::list_resource::Request::default()).await.unwrap().into_inner();
    let event = list.message().await.unwrap().unwrap();
    assert!(!event.diagnostic.is_empty());
    let mut action = c.invoke_action(pb::invoke_action::Request::default()).await.unwrap().into_inner();
    assert!(action.message().await.unwrap().is_some());
    let unknown = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "nope".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(unknown.diagnostics[0].detail.contains("nope"));
    let garbage = c
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_slow".into(),
            config: Some(pb::DynamicValue { msgpack: vec![0xc1, 0xff], json: Vec::new() }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(garbage.diagnostics[0].summary.contains("Invalid"), "{:?}", garbage.diagnostics);
    let meta = c.get_metadata(pb::get_metadata::Request {}).await.unwrap().into_inner();
    assert_eq!(meta.resources.len(), 4);
    assert!(meta.server_capabilities.unwrap().plan_destroy);
}

#[tokio::test]
async fn protocol_5_serves_converted_schemas() {
    let r = start().await;
    let mut v5 = V5Client::new(r.channel.clone());
    let resp = v5.get_schema(pb::get_provider_schema::Request {}).await.unwrap().into_inner();
    assert!(resp.resource_schemas.contains_key("test_slow"));
    assert!(resp.server_capabilities.unwrap().get_provider_schema_optional);
    // test_panicky uses nested attributes, which protocol 5 cannot carry.
    assert!(resp.diagnostics.iter().any(|d| d.detail.contains("test_panicky.rules")), "{:?}", resp.diagnostics);
}

#[tokio::test]
async fn messages_over_four_mebibytes_are_accepted() {
    let r = start().await;
    let mut c = ProviderClient::new(r.channel.clone()).max_encoding_message_size(64 << 20);
    let big = Value::object([("name", Value::from("x".repeat(6 << 20))), ("id", Value::Null)]);
    let resp = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "test_slow".into(),
            config: Some(msgpack(&big, &ty())),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
}

#[tokio::test]
async fn health_and_shutdown() {
    let r = start().await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(r.channel.clone());
    let status = health.check(tonic_health::pb::HealthCheckRequest { service: "plugin".into() }).await.unwrap();
    assert_eq!(status.into_inner().status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
    let mut ctl = tfplug::proto::plugin::grpc_controller_client::GrpcControllerClient::new(r.channel.clone());
    let mut stdio = tfplug::proto::plugin::grpc_stdio_client::GrpcStdioClient::new(r.channel.clone());
    let mut stream = stdio.stream_stdio(()).await.unwrap().into_inner();
    let started = Instant::now();
    ctl.shutdown(tfplug::proto::plugin::Empty {}).await.unwrap();
    // The stdio stream ends and the server stops well inside Terraform's 2 s grace.
    assert!(stream.message().await.map(|m| m.is_none()).unwrap_or(true));
    let done = tokio::time::timeout(Duration::from_secs(2), r.server).await;
    assert!(done.is_ok(), "server did not stop");
    assert!(started.elapsed() < Duration::from_secs(2));
}
