//! Identities on the wire: schemas, the identity in read/plan/apply/import/move
//! responses, its upgrade, and the rules tfplug enforces on provider code.

use tfplug::proto::tfplugin6 as pb;
use tfplug::{Type, Value};

use crate::provider::keyed_schema;
use crate::{client, errors, identity, msgpack, start, value};

fn id_ty() -> Type {
    Type::object([("key", Type::String), ("region", Type::String)])
}

fn state(key: &str, value: &str) -> Value {
    Value::object([("key", Value::from(key)), ("region", Value::from("eu")), ("value", Value::from(value))])
}

fn id(key: &str) -> Value {
    Value::object([("key", Value::from(key)), ("region", Value::from("eu"))])
}

#[tokio::test]
async fn identity_schemas_are_served_with_their_versions() {
    let r = start().await;
    let mut c = client(&r);
    let resp =
        c.get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {}).await.unwrap().into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let keyed = &resp.identity_schemas["test_keyed"];
    assert_eq!(keyed.version, 2);
    let key = keyed.identity_attributes.iter().find(|a| a.name == "key").unwrap();
    assert!(key.required_for_import && !key.optional_for_import);
    assert_eq!(key.r#type, b"\"string\"");
    assert!(!resp.identity_schemas.contains_key("test_slow"), "types without identity have none");
}

#[tokio::test]
async fn read_fills_the_identity_from_the_state_and_refuses_a_change() {
    let r = start().await;
    let mut c = client(&r);
    let ty = keyed_schema().ty();
    // No stored identity yet (state from before identities): filled from the state.
    let resp = c
        .read_resource(pb::read_resource::Request {
            type_name: "test_keyed".into(),
            current_state: Some(msgpack(&state("a", "x"), &ty)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    assert_eq!(value(resp.new_identity.and_then(|i| i.identity_data).as_ref(), &id_ty()), id("a"));
    // Resource code that changes a stored identity is a bug, reported as such.
    let resp = c
        .read_resource(pb::read_resource::Request {
            type_name: "test_keyed".into(),
            current_state: Some(msgpack(&state("a", "rekey"), &ty)),
            current_identity: Some(identity(&id("a"), &id_ty())),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&resp.diagnostics), ["Resource identity changed"]);
}

#[tokio::test]
async fn plan_carries_the_identity_known_on_create_and_stored_on_update() {
    let r = start().await;
    let mut c = client(&r);
    let ty = keyed_schema().ty();
    let config = Value::object([("key", Value::from("a")), ("region", Value::Null), ("value", Value::Null)]);
    let proposed = config.clone();
    let create = c
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_keyed".into(),
            prior_state: Some(msgpack(&Value::Null, &ty)),
            proposed_new_state: Some(msgpack(&proposed, &ty)),
            config: Some(msgpack(&config, &ty)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(create.diagnostics.is_empty(), "{:?}", create.diagnostics);
    let planned_identity = value(create.planned_identity.and_then(|i| i.identity_data).as_ref(), &id_ty());
    assert_eq!(planned_identity, id("a"), "region planned by modify_plan, key from config");

    // A key known only after apply: no planned identity (Terraform's JSON plan cannot hold
    // an unknown identity), and apply settles it.
    let unknown_key = Value::object([("key", Value::unknown()), ("region", Value::Null), ("value", Value::Null)]);
    let create = c
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_keyed".into(),
            prior_state: Some(msgpack(&Value::Null, &ty)),
            proposed_new_state: Some(msgpack(&unknown_key, &ty)),
            config: Some(msgpack(&unknown_key, &ty)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(create.diagnostics.is_empty(), "{:?}", create.diagnostics);
    let planned_identity = value(create.planned_identity.and_then(|i| i.identity_data).as_ref(), &id_ty());
    assert!(planned_identity.is_null(), "{planned_identity:?}");

    let prior = state("a", "x");
    let update = c
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "test_keyed".into(),
            prior_state: Some(msgpack(&prior, &ty)),
            proposed_new_state: Some(msgpack(&state("a", "y"), &ty)),
            config: Some(msgpack(&state("a", "y"), &ty)),
            prior_identity: Some(identity(&id("a"), &id_ty())),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(value(update.planned_identity.and_then(|i| i.identity_data).as_ref(), &id_ty()), id("a"));
}

#[tokio::test]
async fn apply_settles_identity_values_unknown_at_plan_time() {
    let r = start().await;
    let mut c = client(&r);
    let ty = keyed_schema().ty();
    let planned = state("a", "x");
    let planned_identity = Value::object([("key", Value::from("a")), ("region", Value::unknown())]);
    let resp = c
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "test_keyed".into(),
            prior_state: Some(msgpack(&Value::Null, &ty)),
            planned_state: Some(msgpack(&planned, &ty)),
            config: Some(msgpack(&planned, &ty)),
            planned_identity: Some(identity(&planned_identity, &id_ty())),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    assert_eq!(value(resp.new_identity.and_then(|i| i.identity_data).as_ref(), &id_ty()), id("a"));
}

#[tokio::test]
async fn import_by_identity_copies_it_into_the_state_and_returns_it() {
    let r = start().await;
    let mut c = client(&r);
    let given = Value::object([("key", Value::from("k9")), ("region", Value::Null)]);
    let resp = c
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "test_keyed".into(),
            identity: Some(identity(&given, &id_ty())),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let imported = &resp.imported_resources[0];
    let state = value(imported.state.as_ref(), &keyed_schema().ty());
    assert_eq!(state.attr("key"), Some(&Value::from("k9")));
    let identity = value(imported.identity.as_ref().and_then(|i| i.identity_data.as_ref()), &id_ty());
    assert_eq!(identity.attr("key"), Some(&Value::from("k9")));
    // Terraform reads the import next, with the identity as returned: the attribute the
    // import block left out (region) is filled now, which is no change of identity.
    let read = c
        .read_resource(pb::read_resource::Request {
            type_name: "test_keyed".into(),
            current_state: imported.state.clone(),
            current_identity: imported.identity.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(value(read.new_identity.and_then(|i| i.identity_data).as_ref(), &id_ty()), id("k9"));
    // Types without identity say so instead of guessing.
    let refused = c
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "test_slow".into(),
            identity: Some(identity_of_nothing()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&refused.diagnostics), ["Import by identity not supported"]);
}

fn identity_of_nothing() -> pb::ResourceIdentityData {
    identity(&Value::object([("x", Value::from("y"))]), &Type::object([("x", Type::String)]))
}

#[tokio::test]
async fn identities_of_older_versions_are_upgraded_and_newer_ones_refused() {
    let r = start().await;
    let mut c = client(&r);
    let upgrade = |version: i64, json: &str| pb::upgrade_resource_identity::Request {
        type_name: "test_keyed".into(),
        version,
        raw_identity: Some(pb::RawState { json: json.as_bytes().to_vec(), ..Default::default() }),
    };
    let resp = c.upgrade_resource_identity(upgrade(1, r#"{"k":"old"}"#)).await.unwrap().into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let upgraded = value(resp.upgraded_identity.and_then(|i| i.identity_data).as_ref(), &id_ty());
    assert_eq!(upgraded, id("old"));
    let same = c.upgrade_resource_identity(upgrade(2, r#"{"key":"a"}"#)).await.unwrap().into_inner();
    let same = value(same.upgraded_identity.and_then(|i| i.identity_data).as_ref(), &id_ty());
    assert_eq!(same, Value::object([("key", Value::from("a")), ("region", Value::Null)]));
    let newer = c.upgrade_resource_identity(upgrade(3, r#"{"key":"a"}"#)).await.unwrap().into_inner();
    assert_eq!(errors(&newer.diagnostics), ["Identity from a newer provider"]);
}

#[tokio::test]
async fn moved_state_gets_an_identity_and_unknown_sources_are_refused() {
    let r = start().await;
    let mut c = client(&r);
    let mv = |source: &str| pb::move_resource_state::Request {
        source_provider_address: "registry.terraform.io/example/test".into(),
        source_type_name: source.into(),
        source_state: Some(pb::RawState { json: br#"{"k":"m1"}"#.to_vec(), ..Default::default() }),
        target_type_name: "test_keyed".into(),
        ..Default::default()
    };
    let resp = c.move_resource_state(mv("test_old_keyed")).await.unwrap().into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = value(resp.target_state.as_ref(), &keyed_schema().ty());
    assert_eq!(state.attr("key"), Some(&Value::from("m1")));
    assert_eq!(value(resp.target_identity.and_then(|i| i.identity_data).as_ref(), &id_ty()), id("m1"));
    let refused = c.move_resource_state(mv("random_string")).await.unwrap().into_inner();
    assert_eq!(errors(&refused.diagnostics), ["Cannot move"]);
    let caps = c.get_provider_schema(pb::get_provider_schema::Request {}).await.unwrap().into_inner();
    let caps = caps.server_capabilities.unwrap();
    assert!(caps.move_resource_state && caps.generate_resource_config);
}

#[tokio::test]
async fn generated_config_leaves_out_what_the_provider_computes() {
    let r = start().await;
    let mut c = client(&r);
    let ty = keyed_schema().ty();
    let resp = c
        .generate_resource_config(pb::generate_resource_config::Request {
            type_name: "test_keyed".into(),
            state: Some(msgpack(&state("a", "x"), &ty)),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    // region is optional+computed: kept, so the import plans no change.
    assert_eq!(value(resp.config.as_ref(), &ty), state("a", "x"));
    let null = c
        .generate_resource_config(pb::generate_resource_config::Request {
            type_name: "test_keyed".into(),
            state: Some(msgpack(&Value::Null, &ty)),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(null.diagnostics.is_empty() && value(null.config.as_ref(), &ty).is_null());
}
