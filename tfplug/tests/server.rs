//! The served protocol, exercised in-process over a Unix socket with generated gRPC
//! clients: cancellation by StopProvider, panics, every RPC answering, protocol 5
//! schemas, message size, health and shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use tfplug::proto::tfplugin5::provider_client::ProviderClient as V5Client;
use tfplug::proto::tfplugin6 as pb;
use tfplug::proto::tfplugin6::provider_client::ProviderClient;
use tfplug::schema::Nesting;
use tfplug::{
    ApplyResponse, Attribute, Block, ConfigureRequest, Context, Diagnostics, Object, Private, ReadResponse, Resource,
    Schema, Type, Value,
};
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};

struct TestProvider;

struct Slow;
struct Panicky;
/// Fails its create the way `name` says: after the cloud took it (`created`), before
/// (`refused`), or with the plan's state left as it was and nothing said (`silent`).
struct HalfCreated;

fn schema() -> Schema {
    Schema::new(
        0,
        Block::new().attribute(Attribute::string("name").required()).attribute(Attribute::string("id").computed()),
    )
}

#[tfplug::async_trait]
impl Resource<()> for Slow {
    fn type_name(&self) -> &str {
        "test_slow"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn create(&self, ctx: &Context<()>, _c: &Object, resp: &mut ApplyResponse) -> Result<(), Diagnostics> {
        ctx.bounded("creating test_slow", Duration::from_secs(30), std::future::pending::<Result<(), Diagnostics>>())
            .await?;
        resp.state.set_attr("id", &"never")
    }
    async fn read(&self, _ctx: &Context<()>, _resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn update(&self, _: &Context<()>, _: &Object, _: &Object, _: &mut ApplyResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn delete(&self, _: &Context<()>, _: &Object, _: &Private) -> Result<(), Diagnostics> {
        Ok(())
    }
}

#[tfplug::async_trait]
impl Resource<()> for Panicky {
    fn type_name(&self) -> &str {
        "test_panicky"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            schema().block.attribute(
                Attribute::nested("rules", Nesting::List, vec![Attribute::number("port").required()]).optional(),
            ),
        )
    }
    async fn create(&self, _: &Context<()>, _: &Object, _: &mut ApplyResponse) -> Result<(), Diagnostics> {
        panic!("deliberate test panic")
    }
    async fn read(&self, _ctx: &Context<()>, _resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn update(&self, _: &Context<()>, _: &Object, _: &Object, _: &mut ApplyResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn delete(&self, _: &Context<()>, _: &Object, _: &Private) -> Result<(), Diagnostics> {
        Ok(())
    }
}

#[tfplug::async_trait]
impl Resource<()> for HalfCreated {
    fn type_name(&self) -> &str {
        "test_half"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn create(&self, _: &Context<()>, c: &Object, resp: &mut ApplyResponse) -> Result<(), Diagnostics> {
        // The id is known at plan time here (like a bucket named by its name), so the
        // state equals the plan whatever happens.
        match c.attr("name").as_str() {
            Some("created") => resp.created(),
            Some("refused") => {
                resp.state.set_attr("id", &"would-be")?;
                resp.not_created();
            }
            _ => {}
        }
        Err(Diagnostics::error("Create failed", "after the first step"))
    }
    async fn read(&self, _ctx: &Context<()>, _resp: &mut ReadResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn update(&self, _: &Context<()>, _: &Object, _: &Object, _: &mut ApplyResponse) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn delete(&self, _: &Context<()>, _: &Object, _: &Private) -> Result<(), Diagnostics> {
        Ok(())
    }
}

#[tfplug::async_trait]
impl tfplug::Provider for TestProvider {
    type Client = ();
    fn type_name(&self) -> &str {
        "test"
    }
    fn version(&self) -> &str {
        "0.0.0"
    }
    fn schema(&self) -> Schema {
        Schema::default()
    }
    async fn configure(&self, _req: ConfigureRequest) -> Result<(), Diagnostics> {
        Ok(())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        vec![Arc::new(Slow), Arc::new(Panicky), Arc::new(HalfCreated)]
    }
}

struct Running {
    channel: Channel,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<Result<(), String>>,
    _dir: tempfile::TempDir,
}

async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    let listener = UnixListener::bind(&path).unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(tfplug::server::serve_on(TestProvider, listener, shutdown.clone()));
    let channel = Endpoint::try_from("http://[::]:50051")
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move { Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(path).await?)) }
        }))
        .await
        .unwrap();
    Running { channel, shutdown, server, _dir: dir }
}

fn msgpack(v: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue { msgpack: tfplug::cty::msgpack::encode(v, ty).unwrap(), json: Vec::new() }
}

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
async fn a_failed_create_keeps_its_state_exactly_when_the_object_exists() {
    let r = start().await;
    let mut client = ProviderClient::new(r.channel.clone());
    for (name, kept) in [("created", true), ("refused", false), ("silent", false)] {
        let planned = Value::object([("name", Value::from(name)), ("id", Value::from(name))]);
        let mut req = apply_create("test_half");
        req.planned_state = Some(msgpack(&planned, &ty()));
        req.config = Some(msgpack(&Value::object([("name", Value::from(name)), ("id", Value::Null)]), &ty()));
        let resp = client.apply_resource_change(req).await.unwrap().into_inner();
        assert!(resp.diagnostics.iter().any(|d| d.summary == "Create failed"), "{name}: {:?}", resp.diagnostics);
        let state = tfplug::cty::msgpack::decode(&resp.new_state.unwrap().msgpack, &ty()).unwrap();
        assert_eq!(!state.is_null(), kept, "{name}: {state:?}");
        if kept {
            assert_eq!(state, planned, "{name}: the id known at plan time is kept");
        }
    }
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
    assert!(ids.identity_schemas.is_empty() && ids.diagnostics.is_empty());
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
    assert_eq!(meta.resources.len(), 3);
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
