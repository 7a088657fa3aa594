//! `oppie drift watch`: the schedule (an interval with random jitter), the Prometheus metrics of
//! the scans, and the small HTTP endpoint that serves them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use oppie_policy::Severity;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// A request line or header longer than this ends the connection.
const MAX_LINE: u64 = 8 * 1024;
/// At most this many header lines are read.
const MAX_HEADERS: usize = 64;
/// A client gets this long to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Parses `15m`, `90s`, `2h`, `1h30m` (at least one unit; `0s` only where zero makes sense).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("\"{text}\" is not a duration such as 30s, 15m, 2h or 1h30m");
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n.checked_mul(unit).and_then(|s| total.checked_add(s)).ok_or_else(bad)?;
        digits.clear();
        any = true;
    }
    if !any || !digits.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// The wait before the next cycle: `every` plus a uniform random part of `jitter`, so many
/// watchers started together do not scan (and call the clouds) at the same moment.
pub fn next_wait(every: Duration, jitter: Duration) -> Duration {
    let extra = if jitter.is_zero() { 0 } else { fastrand::u64(0..=jitter.as_millis().min(u64::MAX as u128) as u64) };
    every + Duration::from_millis(extra)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeverityLabels {
    source: String,
    severity: String,
}

/// The watch loop's metrics.
pub struct Metrics {
    registry: Registry,
    items: Family<SeverityLabels, Gauge>,
    duration: Family<SourceLabels, Gauge<f64, AtomicU64>>,
    last_success: Family<SourceLabels, Gauge>,
    scans: Family<SourceLabels, Counter>,
    failures: Family<SourceLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Empty metrics, registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("oppie_drift");
        let items = Family::<SeverityLabels, Gauge>::default();
        let duration = Family::<SourceLabels, Gauge<f64, AtomicU64>>::default();
        let last_success = Family::<SourceLabels, Gauge>::default();
        let scans = Family::<SourceLabels, Counter>::default();
        let failures = Family::<SourceLabels, Counter>::default();
        registry.register("items", "Drift items found by the last scan of a source, by severity", items.clone());
        registry.register("scan_duration_seconds", "Duration of the last scan of a source", duration.clone());
        registry.register(
            "last_success_timestamp_seconds",
            "Unix time of the last scan of a source that completed",
            last_success.clone(),
        );
        registry.register("scans", "Scans of a source", scans.clone());
        registry.register("scan_failures", "Scans of a source that failed", failures.clone());
        Metrics { registry, items, duration, last_success, scans, failures }
    }

    /// Records a completed scan of `source`: its item counts by severity and how long it took.
    pub fn scanned(&self, source: &str, counts: &[(Severity, usize)], took: Duration, at_unix: i64) {
        let all = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];
        for s in all {
            let n = counts.iter().find(|(c, _)| *c == s).map(|(_, n)| *n).unwrap_or(0);
            self.items
                .get_or_create(&SeverityLabels { source: source.to_string(), severity: s.as_str().to_string() })
                .set(n as i64);
        }
        let labels = SourceLabels { source: source.to_string() };
        self.duration.get_or_create(&labels).set(took.as_secs_f64());
        self.last_success.get_or_create(&labels).set(at_unix);
        self.scans.get_or_create(&labels).inc();
    }

    /// Records a failed scan of `source`.
    pub fn failed(&self, source: &str, took: Duration) {
        let labels = SourceLabels { source: source.to_string() };
        self.duration.get_or_create(&labels).set(took.as_secs_f64());
        self.scans.get_or_create(&labels).inc();
        self.failures.get_or_create(&labels).inc();
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::warn!("encoding the metrics: {e}");
        }
        text
    }
}

/// Serves `GET /metrics` (and `GET /health`) on `listener` until the process ends, one short
/// connection at a time: a scraper, not the public.
pub fn serve_metrics(listener: TcpListener, metrics: Arc<Metrics>) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Err(e) = answer(stream, &metrics) {
                tracing::debug!("metrics connection: {e}");
            }
        }
    });
}

fn answer(stream: TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?.take(MAX_LINE * (MAX_HEADERS as u64 + 1)));
    let mut request = String::new();
    reader.read_line(&mut request)?;
    for _ in 0..MAX_HEADERS {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, kind, body) = match (method, path) {
        ("GET", "/metrics") => {
            ("200 OK", "application/openmetrics-text; version=1.0.0; charset=utf-8", metrics.encode())
        }
        ("GET", "/health") => ("200 OK", "text/plain", "ok\n".to_string()),
        ("GET", _) => ("404 Not Found", "text/plain", "not found\n".to_string()),
        _ => ("405 Method Not Allowed", "text/plain", "GET only\n".to_string()),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_schedules() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in ["", "15", "m", "1x", "-1m", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn jitter_stays_within_its_bound() {
        let every = Duration::from_secs(60);
        for _ in 0..200 {
            let w = next_wait(every, Duration::from_secs(5));
            assert!(w >= every && w <= every + Duration::from_secs(5), "{w:?}");
        }
        assert_eq!(next_wait(every, Duration::ZERO), every);
    }

    #[test]
    fn metrics_are_served_and_hostile_requests_end_quietly() {
        let metrics = Arc::new(Metrics::new());
        metrics.scanned(
            "envs/dev",
            &[(Severity::Critical, 1), (Severity::Low, 2)],
            Duration::from_millis(1500),
            1_700_000_000,
        );
        metrics.failed("envs/prod", Duration::from_secs(2));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        serve_metrics(listener, metrics);
        let get = |request: &[u8]| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(request).unwrap();
            let _ = s.shutdown(std::net::Shutdown::Write);
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            out
        };
        let text = get(b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n");
        assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
        assert!(text.contains("oppie_drift_items{source=\"envs/dev\",severity=\"critical\"} 1"), "{text}");
        assert!(text.contains("oppie_drift_items{source=\"envs/dev\",severity=\"high\"} 0"), "{text}");
        assert!(text.contains("oppie_drift_last_success_timestamp_seconds{source=\"envs/dev\"} 1700000000"), "{text}");
        assert!(text.contains("oppie_drift_scan_failures_total{source=\"envs/prod\"} 1"), "{text}");
        assert!(get(b"POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
        // A request line past the limit, and garbage: answered or dropped, the server lives on.
        let _ = get(&vec![b'A'; 100_000]);
        let _ = get(b"\xff\xfe\r\n\r\n");
        assert!(get(b"GET /health HTTP/1.1\r\n\r\n").ends_with("ok\n"));
    }
}
