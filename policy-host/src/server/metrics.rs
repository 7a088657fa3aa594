//! The server's Prometheus metrics: requests by route and status, latency, evaluations,
//! findings by level, reloads and the revision in force; rendered as OpenMetrics text.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::findings::Finding;
use crate::report::status;
use crate::rules::Enforcement;

/// A request, labelled by protocol (`http` or `grpc`), route and outcome (the HTTP status code
/// for HTTP routes, the gRPC status code for gRPC methods).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    protocol: &'static str,
    route: &'static str,
    status: String,
}

/// A latency observation, labelled by protocol and route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    protocol: &'static str,
    route: &'static str,
}

/// A finding, labelled by enforcement level and status (fail, warn, error, excepted).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    enforcement: &'static str,
    status: &'static str,
}

/// One label: `result` (success or failure), `reason` or `revision`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RevisionLabel {
    revision: String,
}

/// Request latency buckets, in seconds: 0.5 ms to 10 s (an evaluation is milliseconds; the top
/// buckets catch queueing and large plans).
fn latency_histogram() -> Histogram {
    Histogram::new([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
}

/// Every metric the server exports, registered once.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    evaluations: Counter,
    evaluation_seconds: Histogram,
    findings: Family<FindingLabels, Counter>,
    reloads: Family<ResultLabel, Counter>,
    rejected: Family<ReasonLabel, Counter>,
    in_flight: Gauge,
    rules: Gauge,
    revision: Family<RevisionLabel, Gauge>,
    last_reload: Gauge,
    /// Serialises revision changes so the info metric never shows two revisions.
    revision_lock: Mutex<()>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("oppie_policy");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("requests", "Requests by protocol, route and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register("request_duration_seconds", "Request latency in seconds", latency.clone());
        let evaluations = Counter::default();
        registry.register("evaluations", "Policy set evaluations (one per checked document)", evaluations.clone());
        let evaluation_seconds = latency_histogram();
        registry.register(
            "evaluation_duration_seconds",
            "Time to evaluate every rule against one document, in seconds",
            evaluation_seconds.clone(),
        );
        let findings = Family::<FindingLabels, Counter>::default();
        registry.register("findings", "Findings by enforcement level and status", findings.clone());
        let reloads = Family::<ResultLabel, Counter>::default();
        registry.register("reloads", "Policy reloads by result (success or failure)", reloads.clone());
        let rejected = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "rejected_requests",
            "Requests refused before evaluation, by reason (unauthorized, too_large, overloaded)",
            rejected.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("in_flight_evaluations", "Evaluations running now", in_flight.clone());
        let rules = Gauge::default();
        registry.register("rules", "Check rules in the policy set in force", rules.clone());
        let revision = Family::<RevisionLabel, Gauge>::default();
        registry.register("policy_revision", "The revision of the policy set in force (value 1)", revision.clone());
        let last_reload = Gauge::default();
        registry.register(
            "last_reload_success_timestamp_seconds",
            "Unix time the policy set in force was loaded",
            last_reload.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            evaluations,
            evaluation_seconds,
            findings,
            reloads,
            rejected,
            in_flight,
            rules,
            revision,
            last_reload,
            revision_lock: Mutex::new(()),
        }
    }

    /// Counts a finished request and records its latency.
    pub(crate) fn request(&self, protocol: &'static str, route: &'static str, status: String, elapsed: Duration) {
        self.requests.get_or_create(&RequestLabels { protocol, route, status }).inc();
        self.latency.get_or_create(&RouteLabels { protocol, route }).observe(elapsed.as_secs_f64());
    }

    /// Counts an evaluation and its findings at the request's fail level.
    pub(crate) fn evaluation(&self, findings: &[Finding], fail_on: Enforcement, elapsed: Duration) {
        self.evaluations.inc();
        self.evaluation_seconds.observe(elapsed.as_secs_f64());
        for finding in findings {
            let label = status(finding, fail_on).name();
            self.findings
                .get_or_create(&FindingLabels { enforcement: finding.enforcement.as_str(), status: label })
                .inc();
        }
    }

    /// Counts a request refused before evaluation.
    pub(crate) fn rejected(&self, reason: &'static str) {
        self.rejected.get_or_create(&ReasonLabel { reason }).inc();
    }

    /// The gauge of evaluations in progress.
    pub(crate) fn in_flight(&self) -> &Gauge {
        &self.in_flight
    }

    /// Records a successful (re)load: the new revision, rule count and time.
    pub(crate) fn loaded(&self, revision: &str, rules: usize, initial: bool) {
        if !initial {
            self.reloads.get_or_create(&ResultLabel { result: "success" }).inc();
        }
        let _serial = self.revision_lock.lock();
        self.revision.clear();
        self.revision.get_or_create(&RevisionLabel { revision: revision.to_string() }).set(1);
        self.rules.set(i64::try_from(rules).unwrap_or(i64::MAX));
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        self.last_reload.set(i64::try_from(now.as_secs()).unwrap_or(i64::MAX));
    }

    /// Counts a reload that failed (the previous set stays in force).
    pub(crate) fn reload_failed(&self) {
        self.reloads.get_or_create(&ResultLabel { result: "failure" }).inc();
    }

    /// The OpenMetrics text exposition (which Prometheus scrapes natively).
    pub(crate) fn render(&self) -> String {
        let mut text = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::warn!("cannot encode metrics: {e}");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names_every_family() {
        let metrics = Metrics::new();
        metrics.request("http", "/v1/check", "200".into(), Duration::from_millis(3));
        metrics.loaded("sha256:abc", 37, true);
        metrics.loaded("sha256:def", 38, false);
        metrics.reload_failed();
        metrics.rejected("unauthorized");
        let text = metrics.render();
        assert!(
            text.contains(r#"oppie_policy_requests_total{protocol="http",route="/v1/check",status="200"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"oppie_policy_request_duration_seconds_bucket{le="0.005",protocol="http",route="/v1/check"} 1"#
            ) || text.contains(
                r#"oppie_policy_request_duration_seconds_bucket{protocol="http",route="/v1/check",le="0.005"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"oppie_policy_policy_revision{revision="sha256:def"} 1"#), "{text}");
        assert!(!text.contains("sha256:abc"), "the old revision is gone: {text}");
        assert!(text.contains(r#"oppie_policy_reloads_total{result="success"} 1"#), "{text}");
        assert!(text.contains(r#"oppie_policy_reloads_total{result="failure"} 1"#), "{text}");
        assert!(text.contains(r#"oppie_policy_rejected_requests_total{reason="unauthorized"} 1"#), "{text}");
        assert!(text.contains("oppie_policy_rules 38"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
