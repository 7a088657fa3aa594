//! Serving a provider to Terraform: handshake, transport, TLS, the gRPC services and
//! the process lifecycle (SIGINT ignored, `Shutdown` ends the process promptly).

mod action;
mod adopt;
mod catalog;
mod convert;
mod ephemeral;
mod go_plugin;
pub(crate) mod guard;
mod handshake;
mod identity;
mod list;
mod managed;
mod service;
mod tls;
mod v5;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{UnixListener, UnixStream};
use tokio_stream::wrappers::{ReceiverStream, UnixListenerStream};
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

pub(crate) use list::ListEvent;
pub use service::ProviderService;

use crate::proto::{plugin, tfplugin5, tfplugin6};
use crate::provider::Provider;

/// Largest message accepted or sent: large configs and states exceed tonic's 4 MiB default.
const MAX_MESSAGE: usize = 256 << 20;

/// How the process was asked to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Launched by Terraform (magic cookie present).
    Plugin,
    /// `--debug`: serve without TLS and print `TF_REATTACH_PROVIDERS`.
    Debug,
}

/// Options for [`serve`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Full provider source address, e.g. `registry.terraform.io/oppie/oppie`.
    pub address: String,
    /// Plugin or debug mode.
    pub mode: Mode,
}

/// The whole `main` of a provider binary: handles `--debug`, `--version` and being run
/// by hand, sets up logging, and serves until Terraform is done.
///
/// ```ignore
/// fn main() -> std::process::ExitCode {
///     tfplug::main(MyProvider, "registry.terraform.io/example/example")
/// }
/// ```
pub fn main<P: Provider>(provider: P, address: &str) -> ExitCode {
    crate::logging::install_panic_hook();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = std::env::args()
        .next()
        .map(|a| Path::new(&a).file_name().map_or(a.clone(), |f| f.to_string_lossy().into_owned()));
    let name = name.unwrap_or_else(|| format!("terraform-provider-{}", provider.type_name()));
    let mode = match args.first().map(String::as_str) {
        Some("--version" | "-v") => {
            println!("{name} {}", provider.version());
            return ExitCode::SUCCESS;
        }
        Some("--debug") => Mode::Debug,
        Some("-h" | "--help") => {
            eprintln!("{}", usage(&name, provider.version(), address));
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("unknown argument {other:?}\n\n{}", usage(&name, provider.version(), address));
            return ExitCode::from(2);
        }
        None => Mode::Plugin,
    };
    if mode == Mode::Plugin
        && std::env::var(handshake::MAGIC_COOKIE_KEY).ok().as_deref() != Some(handshake::MAGIC_COOKIE_VALUE)
    {
        eprintln!("{}", usage(&name, provider.version(), address));
        return ExitCode::from(1);
    }
    crate::logging::init(mode == Mode::Debug);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let opts = ServeOptions { address: address.to_string(), mode };
    match runtime.block_on(serve(provider, opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::from(1)
        }
    }
}

fn usage(name: &str, version: &str, address: &str) -> String {
    let short = address.trim_start_matches("registry.terraform.io/");
    let local = short.rsplit('/').next().unwrap_or(short);
    format!(
        "{name} {version}\n\
         \n\
         This is a Terraform/OpenTofu provider plugin. Terraform starts it; it is not meant to\n\
         be run by hand. To use it, declare it in your configuration:\n\
         \n\
         \x20   terraform {{\n\
         \x20     required_providers {{\n\
         \x20       {local} = {{ source = \"{short}\" }}\n\
         \x20     }}\n\
         \x20   }}\n\
         \n\
         and run `terraform init`.\n\
         \n\
         Options:\n\
         \x20 --debug     serve for a debugger: prints TF_REATTACH_PROVIDERS to export\n\
         \x20 --version   print the version\n\
         \x20 --help      this text"
    )
}

/// Serves `provider` until Terraform shuts it down (or Ctrl-C in debug mode).
pub async fn serve<P: Provider>(provider: P, opts: ServeOptions) -> Result<(), String> {
    ignore_sigint(opts.mode == Mode::Debug)?;
    let protocol = match opts.mode {
        Mode::Debug => 6,
        Mode::Plugin => {
            let offered = std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok();
            // TFPLUG_PROTOCOL=5 narrows the offer, to test protocol 5 against a modern core.
            let narrowed = std::env::var("TFPLUG_PROTOCOL")
                .ok()
                .filter(|p| offered.as_deref().is_none_or(|o| o.split(',').any(|v| v.trim() == p)));
            handshake::negotiate(narrowed.or(offered).as_deref())?
        }
    };
    let socket = socket_path();
    let listener = UnixListener::bind(&socket).map_err(|e| format!("cannot listen on {}: {e}", socket.display()))?;
    let _cleanup = RemoveOnDrop(socket.clone());
    let shutdown = CancellationToken::new();

    let client_cert = match opts.mode {
        Mode::Plugin => std::env::var("PLUGIN_CLIENT_CERT").ok().filter(|c| !c.is_empty()),
        Mode::Debug => None,
    };
    let tls = client_cert.as_deref().map(tls::auto_mtls).transpose()?;

    let mut stdout = std::io::stdout().lock();
    match opts.mode {
        Mode::Plugin => {
            let line = handshake::line(protocol, &socket, tls.as_ref().map(|t| t.cert_der.as_slice()));
            writeln!(stdout, "{line}").and_then(|()| stdout.flush()).map_err(|e| format!("handshake: {e}"))?;
        }
        Mode::Debug => {
            let json = handshake::reattach_json(&opts.address, protocol, &socket);
            writeln!(
                stdout,
                "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{json}'\n\nPress Ctrl-C to stop."
            )
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("stdout: {e}"))?;
            let token = shutdown.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    token.cancel();
                }
            });
        }
    }
    drop(stdout);

    let go_plugin = go_plugin::GoPlugin { shutdown: shutdown.clone(), ignore_shutdown: opts.mode == Mode::Debug };
    match tls {
        Some(tls) => {
            let incoming = tls_incoming(listener, tls.acceptor, shutdown.clone());
            run(provider, go_plugin, incoming, shutdown).await
        }
        None => run(provider, go_plugin, UnixListenerStream::new(listener), shutdown).await,
    }
}

/// Serves the provider on an already bound listener until `shutdown`; for tests and
/// embedding.
pub async fn serve_on<P: Provider>(
    provider: P,
    listener: UnixListener,
    shutdown: CancellationToken,
) -> Result<(), String> {
    let go_plugin = go_plugin::GoPlugin { shutdown: shutdown.clone(), ignore_shutdown: false };
    run(provider, go_plugin, UnixListenerStream::new(listener), shutdown).await
}

async fn run<P, S, IO>(
    provider: P,
    go_plugin: go_plugin::GoPlugin,
    incoming: S,
    shutdown: CancellationToken,
) -> Result<(), String>
where
    P: Provider,
    S: tokio_stream::Stream<Item = Result<IO, std::io::Error>> + Send + 'static,
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Connected + Unpin + Send + 'static,
{
    let service = Arc::new(ProviderService::new(provider));
    let v6 = tfplugin6::provider_server::ProviderServer::from_arc(service.clone())
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    let v5 = tfplugin5::provider_server::ProviderServer::new(v5::V5(service))
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter.set_service_status("plugin", tonic_health::ServingStatus::Serving).await;

    let token = shutdown.clone();
    let server = tonic::transport::Server::builder()
        .add_service(v6)
        .add_service(v5)
        .add_service(plugin::grpc_controller_server::GrpcControllerServer::new(go_plugin.clone()))
        .add_service(plugin::grpc_stdio_server::GrpcStdioServer::new(go_plugin.clone()))
        .add_service(plugin::grpc_broker_server::GrpcBrokerServer::new(go_plugin))
        .add_service(health)
        .serve_with_incoming_shutdown(incoming, async move { token.cancelled().await });
    tokio::select! {
        r = server => r.map_err(|e| format!("gRPC server: {e}")),
        // Terraform kills the process 2 s after Shutdown; finish well before that even
        // if a connection lingers.
        () = async { shutdown.cancelled().await; tokio::time::sleep(Duration::from_millis(500)).await } => Ok(()),
    }
}

/// Accepts TLS connections, handshaking each in its own task.
fn tls_incoming(
    listener: UnixListener,
    acceptor: tokio_rustls::TlsAcceptor,
    shutdown: CancellationToken,
) -> ReceiverStream<Result<TlsConn, std::io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                () = shutdown.cancelled() => break,
            };
            match accepted {
                Ok((stream, _)) => {
                    let acceptor = acceptor.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        match acceptor.accept(stream).await {
                            Ok(tls) => {
                                let _ = tx.send(Ok(TlsConn(tls))).await;
                            }
                            Err(e) => tracing::warn!(error = %e, "TLS handshake with Terraform failed"),
                        }
                    });
                }
                Err(e) => {
                    if tx.send(Err(e)).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

/// A TLS connection over the plugin's Unix socket.
struct TlsConn(tokio_rustls::server::TlsStream<UnixStream>);

impl Connected for TlsConn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl tokio::io::AsyncRead for TlsConn {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for TlsConn {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Ctrl-C reaches the whole process group; Terraform handles it with `StopProvider`.
/// Registering a handler replaces the default "terminate" action. In debug mode the
/// Ctrl-C handler stops the server instead.
fn ignore_sigint(debug: bool) -> Result<(), String> {
    if debug {
        return Ok(());
    }
    let mut sig = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| format!("cannot handle SIGINT: {e}"))?;
    tokio::spawn(async move {
        while sig.recv().await.is_some() {
            tracing::debug!("SIGINT ignored; Terraform stops providers with StopProvider");
        }
    });
    Ok(())
}

/// A short, unique socket path (Linux limits `sun_path` to 108 bytes).
fn socket_path() -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!("plugin{}{nanos:x}", std::process::id()))
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
