//! `oppie-policy serve`: flags to a server configuration, the runtime, and the signals that end
//! it (SIGINT/SIGTERM: graceful shutdown, exit 0; SIGHUP: reload the policies).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use oppie_policy::server::{Config, Server, TlsFiles, Tokens};

use super::{EXIT_PASS, PolicyArgs, parse_duration};

#[derive(Debug, Args)]
#[command(after_help = "Endpoints (one port, HTTP/1.1 and h2; gRPC on h2):
  POST /v1/check            plan or state JSON -> the `check --format json` document, plus
                            `findings` (all findings in one list) and `revision`
  POST /v1/check/resource   one resource_changes entry -> the same document
  POST /v1/data/{path}      OPA Data API: {\"input\": ...} -> {\"result\": ...} ({} if undefined)
  GET  /health              {\"status\": \"ok\", \"revision\": ...} (no token needed)
  GET  /metrics             Prometheus / OpenMetrics text
  gRPC oppie.policy.v1.PolicyService/Check and /CheckResource
`?fail_on=LEVEL` (HTTP) or `fail_on` (gRPC) sets the failing level (default soft-mandatory).
Errors: 400 bad input, 401 token, 413 body too large, 503 over --max-concurrency + --max-queue.
Reload: the policy and data paths are polled every --reload-interval and on SIGHUP; a set that
does not compile is logged and counted, and the previous one stays in force.
Exit codes: 0 after a graceful shutdown (SIGINT/SIGTERM), 2 if the server cannot start.")]
pub(super) struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the bound address is printed on stdout).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8181")]
    addr: SocketAddr,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Only rules in this package (exactly, as conftest) are checks. Repeatable; default: conftest's
    /// `main` when the policies declare it, else every package.
    #[arg(short, long = "namespace", value_name = "PACKAGE")]
    namespaces: Vec<String>,
    /// Every package's rules are checks (conftest's --all-namespaces).
    #[arg(long, conflicts_with = "namespaces")]
    all_namespaces: bool,
    /// Bearer token clients must send (`Authorization: Bearer <token>`). Without --token and
    /// --token-file the server accepts every client.
    #[arg(long, value_name = "TOKEN", env = "OPPIE_POLICY_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// File of accepted tokens, one per line (# starts a comment), in addition to --token.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS (h2 and http/1.1 by ALPN).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// PEM CA certificates: require client certificates signed by one of them (mTLS).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    client_ca: Option<PathBuf>,
    /// Largest request body (bytes; suffixes KiB, MiB, GiB).
    #[arg(long, value_name = "BYTES", default_value = "8MiB", value_parser = parse_size)]
    max_body: usize,
    /// Evaluations running at once (0: two per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    max_concurrency: usize,
    /// Requests that may wait for an evaluation slot; beyond it requests get 503 / UNAVAILABLE.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_queue: usize,
    /// How often to check the policy and data paths for changes (e.g. 500ms, 2s); 0 turns
    /// polling off (SIGHUP still reloads).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_interval)]
    reload_interval: Duration,
    /// How long in-flight requests may take to finish after SIGINT/SIGTERM.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    shutdown_timeout: Duration,
    /// How long a connection may stay silent before its first accepted request (also the time
    /// to send a request head).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    header_timeout: Duration,
    /// How long a connection may stay silent after it.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// Connections open at once; at most half of them before their first accepted request.
    #[arg(long, value_name = "N", default_value_t = 512)]
    max_connections: usize,
}

pub(super) fn run(args: &ServeArgs) -> anyhow::Result<u8> {
    let mut watched = args.policy.policies.clone();
    if watched.is_empty() {
        let dir = oppie_policy::policy_set::default_policy_dir()
            .ok_or_else(|| anyhow::anyhow!("no --policy given, and neither ./policies nor ./policy exists"))?;
        watched.push(dir.to_path_buf());
    }
    watched.extend(args.policy.data.iter().cloned());
    let mut config = Config::new(
        args.addr,
        args.policy
            .builder()?
            .namespaces(args.namespaces.clone())
            .all_namespaces(args.all_namespaces)
            .conftest_namespaces(true),
        watched,
    );
    config.tokens = tokens(args)?;
    config.tls = args.tls_cert.as_ref().zip(args.tls_key.as_ref()).map(|(cert, key)| TlsFiles {
        cert: cert.clone(),
        key: key.clone(),
        client_ca: args.client_ca.clone(),
    });
    config.max_body = args.max_body;
    if args.max_concurrency > 0 {
        config.max_concurrency = args.max_concurrency;
    }
    config.max_queue = args.max_queue;
    config.reload_interval = (!args.reload_interval.is_zero()).then_some(args.reload_interval);
    config.shutdown_timeout = args.shutdown_timeout;
    config.idle = oppie_policy::server::IdleTimeouts { unproven: args.header_timeout, proven: args.idle_timeout };
    config.max_connections = args.max_connections;
    let tls = config.tls.is_some();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(oppie_policy::limits::EVAL_STACK_BYTES)
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async move {
        let server = Server::bind(config).await?;
        let addr = server.local_addr()?;
        let scheme = if tls { "https" } else { "http" };
        // The first stdout line tells scripts and tests where the server is (port 0 included).
        println!("oppie-policy: serving {scheme}://{addr} (revision {})", server.revision());
        server.run(shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(EXIT_PASS)
}

fn tokens(args: &ServeArgs) -> anyhow::Result<Option<Tokens>> {
    let mut tokens = args.token.as_deref().map(|t| Tokens::from_values([t])).filter(|t| !t.is_empty());
    if let Some(path) = &args.token_file {
        let from_file = Tokens::from_file(path)?;
        match tokens.as_mut() {
            Some(t) => t.extend(from_file),
            None => tokens = Some(from_file),
        }
    }
    Ok(tokens)
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutdown signal received");
}

/// `0` (off) or a duration.
fn parse_interval(text: &str) -> Result<Duration, String> {
    if matches!(text.trim(), "0" | "0s" | "0ms" | "off") { Ok(Duration::ZERO) } else { parse_duration(text) }
}

/// `1048576`, `512KiB`, `8MiB`, `1GiB` (also KB/MB/GB as powers of 1000).
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => return Err(format!("unknown size unit \"{other}\" (use bytes, KiB, MiB or GiB)")),
    };
    let value: u64 = number.parse().map_err(|_| format!("invalid size \"{text}\" (e.g. 1048576, 512KiB, 8MiB)"))?;
    let bytes = value.checked_mul(scale).filter(|b| *b > 0).ok_or_else(|| format!("size out of range: \"{text}\""))?;
    usize::try_from(bytes).map_err(|_| format!("size out of range: \"{text}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_intervals_parse() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("2kb"), Ok(2000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3PiB").unwrap_err().contains("unknown size unit"));
        assert_eq!(parse_interval("off"), Ok(Duration::ZERO));
        assert_eq!(parse_interval("500ms"), Ok(Duration::from_millis(500)));
    }
}
