//! `oppie-policy serve`: the policy set behind HTTP/JSON and gRPC on one port (HTTP/1.1 and h2,
//! plain or TLS), with hot reload, bearer tokens, limits, metrics and graceful shutdown.
//!
//! ```no_run
//! use oppie_policy::PolicySet;
//! use oppie_policy::server::{Config, Server};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::new("127.0.0.1:8181".parse()?, PolicySet::builder().policy("policies"), vec!["policies".into()]);
//! let server = Server::bind(config).await?;
//! server.run(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(())
//! # }
//! ```

pub mod auth;
mod connection;
mod evaluate;
mod grpc;
mod http;
mod metrics;
mod store;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

pub use auth::Tokens;
pub use connection::IdleTimeouts;
pub use evaluate::Refusal;
pub use grpc::proto;
pub use store::{Loaded, Reload};
pub use tls::TlsFiles;

use crate::error::{Error, Result};
use crate::policy_set::PolicySetBuilder;

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen (port 0 picks a free one; see [`Server::local_addr`]).
    pub addr: SocketAddr,
    /// How to build the policy set (at start and at every reload).
    pub builder: PolicySetBuilder,
    /// The policy and data paths; their contents define the revision and are polled for changes.
    pub watched: Vec<PathBuf>,
    /// Accepted bearer tokens; `None` serves without authentication.
    pub tokens: Option<Tokens>,
    /// TLS (and mTLS) material; `None` serves plain HTTP/1.1 and h2c.
    pub tls: Option<TlsFiles>,
    /// Largest accepted request body, in bytes.
    pub max_body: usize,
    /// Evaluations running at once.
    pub max_concurrency: usize,
    /// Requests that may wait for an evaluation slot; more are refused with 503 / UNAVAILABLE.
    pub max_queue: usize,
    /// How often the sources are checked for changes; `None` reloads on SIGHUP only.
    pub reload_interval: Option<Duration>,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_timeout: Duration,
    /// How long a connection may stay silent (shorter before its first accepted request; that
    /// one also bounds the time to send a request head).
    pub idle: IdleTimeouts,
    /// Connections held open at once; at most half of them before their first accepted request
    /// (more are closed at once).
    pub max_connections: usize,
}

impl Config {
    /// Defaults: no token, no TLS, 8 MiB bodies, two evaluations per core with 256 waiting,
    /// a 2 s reload poll and a 30 s shutdown grace period.
    pub fn new(addr: SocketAddr, builder: PolicySetBuilder, watched: Vec<PathBuf>) -> Self {
        Self {
            addr,
            // A server sees the same few resource types again and again (see `specialise`).
            builder: builder.specialise(true),
            watched,
            tokens: None,
            tls: None,
            max_body: 8 * 1024 * 1024,
            // Two per core: with one, a core waits while an answer goes out and the next request
            // reaches an evaluation thread (1,500 vs 1,750 one-resource checks/s on 2 cores).
            max_concurrency: std::thread::available_parallelism().map_or(2, usize::from) * 2,
            max_queue: 256,
            reload_interval: Some(Duration::from_secs(2)),
            shutdown_timeout: Duration::from_secs(30),
            idle: IdleTimeouts::default(),
            max_connections: 512,
        }
    }
}

/// A bound server with its policies compiled, ready to [`run`](Server::run).
pub struct Server {
    listener: TcpListener,
    app: axum::Router,
    acceptor: Option<TlsAcceptor>,
    store: Arc<store::Store>,
    reload_interval: Option<Duration>,
    shutdown_timeout: Duration,
    idle: IdleTimeouts,
    caps: connection::Caps,
    metrics: Arc<metrics::Metrics>,
}

impl Server {
    /// Compiles the policies, prepares TLS and binds the port; any failure here is the
    /// caller's to report (nothing is served yet).
    pub async fn bind(config: Config) -> Result<Self> {
        let metrics = Arc::new(metrics::Metrics::new());
        let (builder, watched, store_metrics) = (config.builder.clone(), config.watched.clone(), Arc::clone(&metrics));
        let store = tokio::task::spawn_blocking(move || store::Store::open(builder, watched, store_metrics))
            .await
            .map_err(|e| Error::Policy {
            location: crate::error::Location::file("<policy loader>"),
            message: format!("the loading thread failed: {e}"),
        })??;
        let store = Arc::new(store);
        let acceptor = config.tls.as_ref().map(TlsFiles::acceptor).transpose()?;
        let evaluator = Arc::new(evaluate::Evaluator::new(
            Arc::clone(&store),
            config.max_concurrency,
            config.max_queue,
            Arc::clone(&metrics),
        ));
        let grpc = grpc::router(Arc::clone(&evaluator), config.max_body);
        let state = Arc::new(http::AppState {
            evaluator,
            metrics: Arc::clone(&metrics),
            tokens: config.tokens.clone(),
            max_body: config.max_body,
        });
        let app = http::router(state, grpc);
        let listener = TcpListener::bind(config.addr).await.map_err(|e| {
            Error::io(
                PathBuf::from(config.addr.to_string()),
                std::io::Error::new(e.kind(), format!("cannot listen: {e}")),
            )
        })?;
        Ok(Self {
            listener,
            app,
            acceptor,
            store,
            reload_interval: config.reload_interval,
            shutdown_timeout: config.shutdown_timeout,
            idle: config.idle,
            caps: connection::Caps::new(config.max_connections),
            metrics,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The revision of the policy set in force.
    pub fn revision(&self) -> String {
        self.store.current().revision.clone()
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight requests finish
    /// (up to the shutdown timeout) and returns. Reloads run on the poll interval and SIGHUP.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let reloader = tokio::spawn(reload_loop(Arc::clone(&self.store), self.reload_interval));
        let graceful = GracefulShutdown::new();
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // A client has this long to send each request head (slow-header clients).
        builder.http1().timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(self.idle.unproven);
        tokio::pin!(shutdown);
        loop {
            // A place among the connections, before accepting: past the cap, new connections
            // wait in the kernel's backlog until one closes (idle ones close on their timeout).
            let place = tokio::select! {
                place = Arc::clone(&self.caps.all).acquire_owned() => place,
                () = &mut shutdown => break,
            };
            let Ok(place) = place else { break };
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of descriptors and the like: pause instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Connections that have not made an accepted request yet hold at most half the
            // places, so idle or unauthenticated clients cannot take them all.
            let Some(standing) = self.caps.admit().await else {
                self.metrics.rejected("connections");
                tracing::info!(%peer, "connection refused: too many connections without an accepted request");
                continue;
            };
            let _ = stream.set_nodelay(true);
            let evicted = standing.clone();
            let stream = connection::IdleIo::new(stream, standing.clone(), self.idle);
            let app = self.app.clone();
            let service = TowerToHyperService::new(tower::ServiceExt::map_request(
                app,
                move |mut request: axum::http::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(standing.clone());
                    request
                },
            ));
            let builder = builder.clone();
            let watcher = graceful.watcher();
            match &self.acceptor {
                None => {
                    let connection = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                    tokio::spawn(async move {
                        let _place = place;
                        tokio::select! {
                            ended = watcher.watch(connection) => if let Err(e) = ended {
                                tracing::debug!(%peer, "connection ended: {e}");
                            },
                            () = evicted.evicted() => tracing::debug!(%peer, "connection closed for a newer one"),
                        }
                    });
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let _place = place;
                        let handshake = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await;
                        let stream = match handshake {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(e)) => return tracing::info!(%peer, "TLS handshake refused: {e}"),
                            Err(_) => return tracing::info!(%peer, "TLS handshake timed out"),
                        };
                        let connection = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                        tokio::select! {
                            ended = watcher.watch(connection) => if let Err(e) = ended {
                                tracing::debug!(%peer, "connection ended: {e}");
                            },
                            () = evicted.evicted() => tracing::debug!(%peer, "connection closed for a newer one"),
                        }
                    });
                }
            }
        }
        drop(self.listener);
        reloader.abort();
        tracing::info!("shutting down: waiting for in-flight requests");
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("all connections closed"),
            () = tokio::time::sleep(self.shutdown_timeout) => {
                tracing::warn!("shutdown timeout of {:?} reached; closing remaining connections", self.shutdown_timeout);
            }
        }
        Ok(())
    }
}

/// Polls the sources every `interval` and reloads on SIGHUP (Unix).
async fn reload_loop(store: Arc<store::Store>, interval: Option<Duration>) {
    #[cfg(unix)]
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(e) => {
            tracing::warn!("cannot listen for SIGHUP: {e}");
            None
        }
    };
    let mut ticker = interval.map(|every| {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker
    });
    loop {
        let poll = async {
            match ticker.as_mut() {
                Some(t) => {
                    t.tick().await;
                }
                None => std::future::pending().await,
            }
        };
        #[cfg(unix)]
        let signalled = async {
            match hangup.as_mut() {
                Some(h) => h.recv().await.is_some(),
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let signalled = std::future::pending::<bool>();
        let event = tokio::select! {
            () = poll => None,
            got = signalled => Some(got),
        };
        match event {
            None => {
                if store.changed().await {
                    store.reload(false).await;
                }
            }
            Some(true) => {
                tracing::info!("SIGHUP: reloading policies");
                store.reload(true).await;
            }
            #[cfg(unix)]
            Some(false) => hangup = None,
            #[cfg(not(unix))]
            Some(false) => {}
        }
    }
}
