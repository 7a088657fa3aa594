//! A minimal go-plugin client for measuring providers the way Terraform launches them:
//! time from process start to the handshake line (with AutoMTLS, as Terraform does), the
//! `GetProviderSchema` round trip, and peak RSS. Works for any provider binary, Rust or Go.
//!
//! ```text
//! plugin_probe handshake <provider-binary> [runs]
//! plugin_probe schema <provider-binary> <protocol 5|6> [calls]
//! ```
//! Prints one JSON object per invocation.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use tfplug::proto::{plugin, tfplugin5, tfplugin6};
use tonic::transport::Endpoint;

const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

fn client_cert_pem() -> String {
    // A self-signed client certificate like the one Terraform passes in PLUGIN_CLIENT_CERT.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params.self_signed(&key).expect("cert").pem()
}

fn launch(bin: &str, cert: Option<&str>, protocols: &str) -> std::process::Child {
    let mut cmd = Command::new(bin);
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", protocols)
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env_remove("TF_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match cert {
        Some(c) => cmd.env("PLUGIN_CLIENT_CERT", c),
        None => cmd.env_remove("PLUGIN_CLIENT_CERT"),
    };
    cmd.spawn().expect("spawn provider")
}

fn first_line(child: &mut std::process::Child) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("handshake line");
    line.trim().to_string()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn handshake(bin: &str, runs: usize) {
    let cert = client_cert_pem();
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let mut child = launch(bin, Some(&cert), "5,6");
        let line = first_line(&mut child);
        ms.push(start.elapsed().as_secs_f64() * 1e3);
        assert!(line.starts_with("1|"), "not a handshake: {line}");
        let _ = child.kill();
        let _ = child.wait();
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({"binary": bin, "runs": runs, "median_ms": percentile(&ms, 0.5), "p90_ms": percentile(&ms, 0.9), "min_ms": ms[0]})
    );
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

async fn schema(bin: &str, protocol: u8, calls: usize) {
    let mut child = launch(bin, None, &protocol.to_string());
    let line = first_line(&mut child);
    let parts: Vec<&str> = line.split('|').collect();
    assert_eq!(parts.get(2), Some(&"unix"), "unix socket expected: {line}");
    let path = parts[3].to_string();
    let channel = Endpoint::try_from("http://[::]:50051")
        .expect("endpoint")
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move { Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(path).await?)) }
        }))
        .await
        .expect("connect");
    let mut v6 = tfplugin6::provider_client::ProviderClient::new(channel.clone()).max_decoding_message_size(64 << 20);
    let mut v5 = tfplugin5::provider_client::ProviderClient::new(channel.clone()).max_decoding_message_size(64 << 20);
    let mut us = Vec::with_capacity(calls);
    let mut bytes = 0usize;
    for i in 0..=calls {
        let start = Instant::now();
        let size = if protocol == 6 {
            let r = v6.get_provider_schema(tfplugin6::get_provider_schema::Request {}).await.expect("schema");
            prost::Message::encoded_len(r.get_ref())
        } else {
            let r = v5.get_schema(tfplugin6::get_provider_schema::Request {}).await.expect("schema");
            prost::Message::encoded_len(r.get_ref())
        };
        if i > 0 {
            us.push(start.elapsed().as_secs_f64() * 1e6);
        }
        bytes = size;
    }
    let rss = peak_rss_kib(child.id());
    let mut ctl = plugin::grpc_controller_client::GrpcControllerClient::new(channel);
    let _ = tokio::time::timeout(Duration::from_secs(2), ctl.shutdown(plugin::Empty {})).await;
    let _ = child.kill();
    let _ = child.wait();
    us.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "binary": bin, "protocol": protocol, "calls": calls, "schema_bytes": bytes,
            "median_us": percentile(&us, 0.5), "p99_us": percentile(&us, 0.99), "peak_rss_mib": rss as f64 / 1024.0
        })
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["handshake", bin, rest @ ..] => handshake(bin, rest.first().and_then(|r| r.parse().ok()).unwrap_or(50)),
        ["schema", bin, proto, rest @ ..] => {
            schema(bin, proto.parse().unwrap_or(6), rest.first().and_then(|r| r.parse().ok()).unwrap_or(200)).await
        }
        _ => {
            eprintln!("usage: plugin_probe handshake <binary> [runs] | schema <binary> <5|6> [calls]");
            std::process::exit(2);
        }
    }
}
