//! The go-plugin services every plugin process serves next to the provider:
//! `GRPCController` (shutdown), `GRPCStdio` and `GRPCBroker` (kept open, unused).

use tokio_util::sync::CancellationToken;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use crate::proto::plugin;

/// Shutdown, stdio and broker, all tied to one shutdown token.
#[derive(Clone)]
pub(crate) struct GoPlugin {
    pub shutdown: CancellationToken,
    /// In debug (reattach) mode one server outlives many Terraform runs.
    pub ignore_shutdown: bool,
}

impl GoPlugin {
    /// A stream that sends nothing and ends when the process shuts down, so that
    /// graceful shutdown is not held up by it.
    fn idle_until_shutdown<T: Send + 'static>(&self) -> BoxStream<T> {
        let token = self.shutdown.clone();
        Box::pin(futures::stream::unfold(Some(token), |t| async move {
            if let Some(t) = t {
                t.cancelled().await;
            }
            None
        }))
    }
}

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for GoPlugin {
    async fn shutdown(&self, _: Request<plugin::Empty>) -> Result<Response<plugin::Empty>, Status> {
        if self.ignore_shutdown {
            tracing::debug!("shutdown requested; staying up in debug mode");
        } else {
            tracing::debug!("shutdown requested");
            self.shutdown.cancel();
        }
        Ok(Response::new(plugin::Empty {}))
    }
}

#[tonic::async_trait]
impl plugin::grpc_stdio_server::GrpcStdio for GoPlugin {
    async fn stream_stdio(&self, _: Request<()>) -> Result<Response<BoxStream<plugin::StdioData>>, Status> {
        Ok(Response::new(self.idle_until_shutdown()))
    }
}

#[tonic::async_trait]
impl plugin::grpc_broker_server::GrpcBroker for GoPlugin {
    async fn start_stream(
        &self,
        _: Request<Streaming<plugin::ConnInfo>>,
    ) -> Result<Response<BoxStream<plugin::ConnInfo>>, Status> {
        Ok(Response::new(self.idle_until_shutdown()))
    }
}
