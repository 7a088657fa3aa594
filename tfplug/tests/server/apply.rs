//! What `ApplyResourceChange` returns when create or update fails: the rule documented
//! on `ApplyResponse` (`created()`, a changed state, or nothing recorded).

use tfplug::Value;
use tfplug::proto::tfplugin6 as pb;

use crate::provider::schema;
use crate::{client, errors, msgpack, start, value};

/// Every value known at plan time: the case the old "state equals plan" heuristic lost.
fn planned(name: &str) -> Value {
    Value::object([("name", Value::from(name)), ("id", Value::from(format!("bucket-{name}")))])
}

fn apply(name: &str, prior: Value) -> pb::apply_resource_change::Request {
    let ty = schema().ty();
    pb::apply_resource_change::Request {
        type_name: "test_flaky".into(),
        prior_state: Some(msgpack(&prior, &ty)),
        planned_state: Some(msgpack(&planned(name), &ty)),
        config: Some(msgpack(&Value::object([("name", Value::from(name)), ("id", Value::Null)]), &ty)),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_failed_create_keeps_the_state_once_created_was_called() {
    let r = start().await;
    let mut c = client(&r);
    let ty = schema().ty();
    let resp = c.apply_resource_change(apply("created-then-fail", Value::Null)).await.unwrap().into_inner();
    assert_eq!(errors(&resp.diagnostics), ["Cloud error"]);
    // Equal to the plan, yet kept: Terraform stores it tainted and nothing is orphaned.
    assert_eq!(value(resp.new_state.as_ref(), &ty), planned("created-then-fail"));
}

#[tokio::test]
async fn a_failed_create_that_recorded_nothing_leaves_no_state() {
    let r = start().await;
    let mut c = client(&r);
    let resp = c.apply_resource_change(apply("fail", Value::Null)).await.unwrap().into_inner();
    assert_eq!(errors(&resp.diagnostics), ["Cloud error"]);
    assert!(value(resp.new_state.as_ref(), &schema().ty()).is_null());
}

#[tokio::test]
async fn a_failed_create_the_resource_says_made_nothing_leaves_no_state() {
    let r = start().await;
    let mut c = client(&r);
    let resp = c.apply_resource_change(apply("refused", Value::Null)).await.unwrap().into_inner();
    assert_eq!(errors(&resp.diagnostics), ["Cloud error"]);
    assert!(value(resp.new_state.as_ref(), &schema().ty()).is_null(), "not_created() wins over a changed state");
}

#[tokio::test]
async fn a_failed_create_that_changed_the_state_keeps_it_as_before() {
    let r = start().await;
    let mut c = client(&r);
    let resp = c.apply_resource_change(apply("set-then-fail", Value::Null)).await.unwrap().into_inner();
    assert_eq!(errors(&resp.diagnostics), ["Cloud error"]);
    let state = value(resp.new_state.as_ref(), &schema().ty());
    assert_eq!(state.attr("id"), Some(&Value::from("partial")));
}

#[tokio::test]
async fn a_failed_update_keeps_the_prior_state_unless_created_was_called() {
    let r = start().await;
    let mut c = client(&r);
    let ty = schema().ty();
    let prior = Value::object([("name", Value::from("old")), ("id", Value::from("bucket-old"))]);
    let resp = c.apply_resource_change(apply("fail", prior.clone())).await.unwrap().into_inner();
    assert_eq!(value(resp.new_state.as_ref(), &ty), prior, "nothing changed remotely");
    let resp = c.apply_resource_change(apply("created-then-fail", prior)).await.unwrap().into_inner();
    assert_eq!(value(resp.new_state.as_ref(), &ty), planned("created-then-fail"), "the change went through");
}
