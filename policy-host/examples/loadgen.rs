//! A bounded load generator for `oppie-policy serve`: N connections, each sending one-resource
//! checks back to back (the provider's plan-time document) for a fixed time; prints checks/s,
//! latency percentiles and errors as one JSON object.
//!
//! ```text
//! cargo run --release -p oppie-policy --example loadgen -- \
//!     --url http://127.0.0.1:8181 --connections 8 --duration 20s [--warmup 2s] [--token T]
//! ```

use std::time::{Duration, Instant};

use serde_json::json;

#[derive(Debug)]
struct Options {
    url: String,
    connections: usize,
    duration: Duration,
    warmup: Duration,
    token: Option<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: loadgen --url URL [--connections N] [--duration 20s] [--warmup 2s] [--token TOKEN]\n\
         Sends POST {{url}}/v1/check with one-resource plan documents from N connections."
    );
    std::process::exit(2)
}

fn seconds(text: &str) -> Duration {
    let number = text.trim_end_matches('s');
    match number.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Duration::from_secs_f64(value),
        _ => usage(),
    }
}

fn options() -> Options {
    let mut options = Options {
        url: String::new(),
        connections: 8,
        duration: Duration::from_secs(20),
        warmup: Duration::from_secs(2),
        token: std::env::var("OPPIE_POLICY_TOKEN").ok(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--url" => options.url = value.trim_end_matches('/').to_string(),
            "--connections" => options.connections = value.parse().unwrap_or_else(|_| usage()),
            "--duration" => options.duration = seconds(&value),
            "--warmup" => options.warmup = seconds(&value),
            "--token" => options.token = Some(value),
            _ => usage(),
        }
    }
    if options.url.is_empty() || options.connections == 0 {
        usage();
    }
    options
}

/// The provider's plan-time document for resource number `n`: a rotating mix of the resource
/// types the provider gates (firewall, bucket, instance, network, subnet), each one distinct.
fn document(n: usize) -> Vec<u8> {
    let tags = json!({"project": "shop", "environment": "prod", "owner": "web", "cost-center": "cc-1"});
    let (kind, after) = match n % 5 {
        0 => (
            "oppie_firewall",
            json!({"name": format!("shop-prod-web-fw{n}"), "network_id": "net-1", "tags": tags,
                   "ingress": [{"protocol": "tcp", "ports": if n.is_multiple_of(2) { "22" } else { "443" }, "sources": ["0.0.0.0/0"]}]}),
        ),
        1 => (
            "oppie_bucket",
            json!({"name": format!("shop-prod-api-logs{n}"), "versioning": !n.is_multiple_of(3), "encrypted": true, "tags": tags}),
        ),
        2 => (
            "oppie_instance",
            json!({"name": format!("shop-prod-api-vm{n}"), "size": "m", "image": "ubuntu-24.04", "subnet_id": "sub-1",
                   "disk_encrypted": true, "public_ip": n.is_multiple_of(4), "tags": tags, "estimated_monthly_cost": 70.08}),
        ),
        3 => ("oppie_network", json!({"name": format!("shop-prod-core-net{n}"), "cidr": "10.0.0.0/16", "tags": tags})),
        _ => (
            "oppie_subnet",
            json!({"name": format!("shop-prod-core-sub{n}"), "network_id": "net-1", "cidr": "10.0.1.0/24", "public": false, "tags": tags}),
        ),
    };
    let name = format!("r{n}");
    let plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.15.5",
        "planned_values": {"root_module": {"resources": []}},
        "resource_changes": [{
            "address": format!("{kind}.{name}"),
            "mode": "managed",
            "type": kind,
            "name": name,
            "provider_name": "registry.terraform.io/oppie/oppie",
            "change": {"actions": ["create"], "before": null, "after": after, "after_unknown": {"id": true}}
        }]
    });
    serde_json::to_vec(&plan).unwrap_or_default()
}

#[derive(Default)]
struct Tally {
    /// Latencies in microseconds of successful checks inside the measured window.
    latencies: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

async fn worker(worker: usize, options: std::sync::Arc<Options>, warm_until: Instant, end: Instant) -> Tally {
    // One client per worker with one idle connection: N workers are N keep-alive connections.
    let client = match reqwest::Client::builder().pool_max_idle_per_host(1).timeout(Duration::from_secs(30)).build() {
        Ok(client) => client,
        Err(e) => return Tally { errors: 1, first_error: Some(e.to_string()), ..Tally::default() },
    };
    let url = format!("{}/v1/check", options.url);
    let mut tally = Tally::default();
    let mut n = worker;
    while Instant::now() < end {
        let body = document(n);
        n += options.connections;
        let mut request = client.post(&url).header("content-type", "application/json").body(body);
        if let Some(token) = &options.token {
            request = request.bearer_auth(token);
        }
        let started = Instant::now();
        let outcome = match request.send().await {
            Ok(response) if response.status().is_success() => match response.bytes().await {
                Ok(body) if body.windows(11).any(|w| w == b"\"findings\":") => Ok(()),
                Ok(_) => Err("answer without findings".to_string()),
                Err(e) => Err(e.to_string()),
            },
            Ok(response) => Err(format!("HTTP {}", response.status())),
            Err(e) => Err(e.to_string()),
        };
        let elapsed = started.elapsed();
        if started < warm_until {
            continue;
        }
        match outcome {
            Ok(()) => tally.latencies.push(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)),
            Err(e) => {
                tally.errors += 1;
                tally.first_error.get_or_insert(e);
            }
        }
    }
    tally
}

fn percentile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let options = std::sync::Arc::new(options());
    let start = Instant::now();
    let warm_until = start + options.warmup;
    let end = warm_until + options.duration;
    let workers: Vec<_> = (0..options.connections)
        .map(|w| tokio::spawn(worker(w, std::sync::Arc::clone(&options), warm_until, end)))
        .collect();
    let mut all = Tally::default();
    for handle in workers {
        match handle.await {
            Ok(tally) => {
                all.latencies.extend(tally.latencies);
                all.errors += tally.errors;
                if all.first_error.is_none() {
                    all.first_error = tally.first_error;
                }
            }
            Err(e) => {
                all.errors += 1;
                all.first_error.get_or_insert(e.to_string());
            }
        }
    }
    all.latencies.sort_unstable();
    let measured = options.duration.as_secs_f64();
    let summary = json!({
        "url": options.url,
        "connections": options.connections,
        "duration_s": measured,
        "warmup_s": options.warmup.as_secs_f64(),
        "checks": all.latencies.len(),
        "errors": all.errors,
        "first_error": all.first_error,
        "checks_per_s": (all.latencies.len() as f64 / measured).round(),
        "latency_ms": {
            "p50": percentile(&all.latencies, 0.50),
            "p90": percentile(&all.latencies, 0.90),
            "p99": percentile(&all.latencies, 0.99),
            "max": all.latencies.last().map_or(0.0, |m| *m as f64 / 1000.0),
        },
    });
    println!("{summary}");
    if all.errors > 0 {
        std::process::exit(1);
    }
}
