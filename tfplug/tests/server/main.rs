//! The served protocol, exercised in-process over a Unix socket with generated gRPC
//! clients, one file per concern: the basics, what apply keeps after a failure,
//! identities, deferral, and the streamed and stateless features (lists, actions,
//! ephemeral resources).

mod apply;
mod basics;
mod deferral;
mod identity;
mod provider;
mod streams;

use hyper_util::rt::TokioIo;
use tfplug::proto::tfplugin6 as pb;
use tfplug::{Type, Value};
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};

/// A served [`provider::TestProvider`] and a channel to it.
pub struct Running {
    pub channel: Channel,
    pub shutdown: CancellationToken,
    pub server: tokio::task::JoinHandle<Result<(), String>>,
    _dir: tempfile::TempDir,
}

pub async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    let listener = UnixListener::bind(&path).unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(tfplug::server::serve_on(provider::TestProvider, listener, shutdown.clone()));
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

/// A client of protocol 6.
pub fn client(r: &Running) -> pb::provider_client::ProviderClient<Channel> {
    pb::provider_client::ProviderClient::new(r.channel.clone())
}

pub fn msgpack(v: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue { msgpack: tfplug::cty::msgpack::encode(v, ty).unwrap(), json: Vec::new() }
}

/// Decodes a value Terraform would receive.
pub fn value(dv: Option<&pb::DynamicValue>, ty: &Type) -> Value {
    match dv {
        Some(dv) if !dv.msgpack.is_empty() => tfplug::cty::msgpack::decode(&dv.msgpack, ty).unwrap(),
        _ => Value::Null,
    }
}

/// An identity as Terraform sends it.
pub fn identity(v: &Value, ty: &Type) -> pb::ResourceIdentityData {
    pb::ResourceIdentityData { identity_data: Some(msgpack(v, ty)) }
}

/// The summaries of error diagnostics.
pub fn errors(d: &[pb::Diagnostic]) -> Vec<String> {
    d.iter().filter(|d| d.severity == pb::diagnostic::Severity::Error as i32).map(|d| d.summary.clone()).collect()
}
