//! The streamed and stateless features: list resources (limit, include_resource,
//! warnings), actions (progress, then the result), ephemeral resources (open, renew,
//! close) and their validation; and protocol 5 carrying the new schemas.

use std::sync::atomic::Ordering;

use tfplug::proto::tfplugin5::provider_client::ProviderClient as V5Client;
use tfplug::proto::tfplugin6 as pb;
use tfplug::proto::tfplugin6::invoke_action::event::Type as Ev;
use tfplug::{Type, Value};

use crate::provider::{CLOSED, LIST_SENDS, keyed_schema};
use crate::{client, errors, msgpack, start, value};

fn list_config(count: i64) -> pb::DynamicValue {
    msgpack(&Value::object([("count", Value::from(count))]), &Type::object([("count", Type::Number)]))
}

#[tokio::test]
async fn a_list_stops_at_the_limit_and_fills_objects_through_the_resource() {
    let r = start().await;
    let mut c = client(&r);
    let mut stream = c
        .list_resource(pb::list_resource::Request {
            type_name: "test_keyed".into(),
            config: Some(list_config(10)),
            include_resource_object: true,
            limit: 3,
        })
        .await
        .unwrap()
        .into_inner();
    let mut items = Vec::new();
    let mut warnings = Vec::new();
    while let Some(event) = stream.message().await.unwrap() {
        if event.identity.is_some() {
            items.push(event);
        } else {
            warnings.extend(event.diagnostic);
        }
    }
    assert_eq!(items.len(), 3);
    // The list saw `send` say stop right at the limit instead of listing all ten.
    assert_eq!(LIST_SENDS.0.load(Ordering::SeqCst), 2);
    assert_eq!(LIST_SENDS.1.load(Ordering::SeqCst), 1);
    assert_eq!(warnings.iter().map(|w| w.summary.as_str()).collect::<Vec<_>>(), ["Listed"]);
    let first = &items[0];
    assert_eq!(first.display_name, "key 0");
    let obj = value(first.resource_object.as_ref(), &keyed_schema().ty());
    assert_eq!(obj.attr("key"), Some(&Value::from("k0")));
    assert_eq!(obj.attr("region"), Some(&Value::from("eu")), "read through the resource");
    // Without include_resource_object, no objects.
    let mut bare = c
        .list_resource(pb::list_resource::Request {
            type_name: "test_keyed".into(),
            config: Some(list_config(1)),
            include_resource_object: false,
            limit: 100,
        })
        .await
        .unwrap()
        .into_inner();
    let event = bare.message().await.unwrap().unwrap();
    assert!(event.identity.is_some() && event.resource_object.is_none());
}

#[tokio::test]
async fn list_config_is_validated_against_its_schema() {
    let r = start().await;
    let mut c = client(&r);
    let ok = c
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: "test_keyed".into(),
            config: Some(list_config(1)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
    let unknown = c
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: "test_nope".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&unknown.diagnostics), ["Unknown list resource type"]);
}

fn countdown(from: i64, fail_at: Option<i64>) -> pb::DynamicValue {
    let ty = Type::object([("from", Type::Number), ("fail_at", Type::Number)]);
    msgpack(&Value::object([("from", Value::from(from)), ("fail_at", fail_at.map_or(Value::Null, Value::from))]), &ty)
}

async fn invoke(
    c: &mut pb::provider_client::ProviderClient<tonic::transport::Channel>,
    config: pb::DynamicValue,
) -> (Vec<String>, Vec<pb::Diagnostic>) {
    let mut stream = c
        .invoke_action(pb::invoke_action::Request {
            action_type: "test_countdown".into(),
            config: Some(config),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let (mut progress, mut done) = (Vec::new(), None);
    while let Some(event) = stream.message().await.unwrap() {
        match event.r#type {
            Some(Ev::Progress(p)) => progress.push(p.message),
            Some(Ev::Completed(c)) => done = Some(c.diagnostics),
            None => panic!("empty event"),
        }
    }
    (progress, done.expect("a completed event ends the stream"))
}

#[tokio::test]
async fn an_action_streams_progress_then_its_result() {
    let r = start().await;
    let mut c = client(&r);
    let (progress, result) = invoke(&mut c, countdown(3, None)).await;
    assert_eq!(progress, ["3", "2", "1", "0"]);
    assert!(errors(&result).is_empty(), "{result:?}");
    assert_eq!(result.iter().map(|d| d.summary.as_str()).collect::<Vec<_>>(), ["Done"]);
    let (progress, result) = invoke(&mut c, countdown(3, Some(1))).await;
    assert_eq!(progress, ["3", "2"]);
    assert_eq!(errors(&result), ["Countdown failed"]);
    let ty = Type::object([("from", Type::Number), ("fail_at", Type::Number)]);
    let planned = c
        .plan_action(pb::plan_action::Request {
            action_type: "test_countdown".into(),
            config: Some(msgpack(&Value::object([("from", Value::unknown()), ("fail_at", Value::Null)]), &ty)),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(planned.diagnostics[0].summary, "Count unknown");
    let invalid = c
        .validate_action_config(pb::validate_action_config::Request {
            type_name: "test_countdown".into(),
            config: Some(msgpack(&Value::object([("from", Value::Null), ("fail_at", Value::Null)]), &ty)),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(invalid.diagnostics.is_empty(), "required is Terraform's to check: {:?}", invalid.diagnostics);
}

#[tokio::test]
async fn an_ephemeral_resource_opens_renews_and_closes() {
    let r = start().await;
    let mut c = client(&r);
    let ty = Type::object([("scope", Type::String), ("value", Type::String)]);
    let opened = c
        .open_ephemeral_resource(pb::open_ephemeral_resource::Request {
            type_name: "test_token".into(),
            config: Some(msgpack(&Value::object([("scope", Value::Null), ("value", Value::Null)]), &ty)),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(opened.diagnostics.is_empty(), "{:?}", opened.diagnostics);
    let result = value(opened.result.as_ref(), &ty);
    assert_eq!(result.attr("value"), Some(&Value::from("token-read")), "default applied before open");
    assert_eq!(opened.renew_at.map(|t| t.seconds), Some(2_000_000_000));
    let renewed = c
        .renew_ephemeral_resource(pb::renew_ephemeral_resource::Request {
            type_name: "test_token".into(),
            private: opened.private.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(renewed.diagnostics.is_empty(), "{:?}", renewed.diagnostics);
    let lease = tfplug::Private::from_bytes(renewed.private.as_deref().unwrap());
    assert_eq!(lease.get::<i64>("lease").unwrap(), Some(2));
    let closed = c
        .close_ephemeral_resource(pb::close_ephemeral_resource::Request {
            type_name: "test_token".into(),
            private: renewed.private,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(closed.diagnostics.is_empty(), "{:?}", closed.diagnostics);
    assert_eq!(CLOSED.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn protocol_5_offers_lists_actions_and_ephemeral_resources() {
    let r = start().await;
    let mut v5 = V5Client::new(r.channel.clone());
    let resp = v5.get_schema(pb::get_provider_schema::Request {}).await.unwrap().into_inner();
    assert!(resp.list_resource_schemas.contains_key("test_keyed"));
    assert!(resp.action_schemas.contains_key("test_countdown"));
    assert!(resp.ephemeral_resource_schemas.contains_key("test_token"));
    let meta = v5.get_metadata(pb::get_metadata::Request {}).await.unwrap().into_inner();
    assert_eq!(meta.list_resources.len(), 1);
    assert_eq!(meta.actions.len(), 1);
}
