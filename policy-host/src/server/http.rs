//! The HTTP/JSON front end and the layers every request passes (gRPC included): metrics,
//! bearer-token auth and the body limit; `/health` is the only route without a token.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::auth::Tokens;
use super::evaluate::{Checked, Evaluator, Refusal};
use super::metrics::Metrics;
use crate::input::Input;
use crate::rules::Enforcement;

/// What the handlers and layers share.
pub(crate) struct AppState {
    pub(crate) evaluator: Arc<Evaluator>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) tokens: Option<Tokens>,
    pub(crate) max_body: usize,
}

/// The whole service: the HTTP routes and `grpc` (tonic's routes) behind the same layers.
pub(crate) fn router(state: Arc<AppState>, grpc: Router) -> Router {
    let http = Router::new()
        .route("/v1/check", post(check))
        .route("/v1/check/resource", post(check_resource))
        .route("/v1/data", post(data_root).get(data_root))
        .route("/v1/data/{*path}", post(data).get(data))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(state.max_body))
        .with_state(Arc::clone(&state));
    let health_state = Arc::clone(&state);
    http.merge(grpc)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), guard))
        // Added after the guard, so load balancers probe it without a token.
        .route("/health", get(move || health(Arc::clone(&health_state))))
        .layer(middleware::from_fn_with_state(state, observe))
}

/// Counts every request by protocol, route and status, with its latency.
async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let grpc = is_grpc(&request);
    let route = route_of(request.uri().path());
    let response = next.run(request).await;
    let status = if grpc {
        // Trailers-only answers (every error) carry the code in the headers; a successful
        // call's code travels in the trailers, after this layer has returned.
        response.headers().get("grpc-status").and_then(|v| v.to_str().ok()).unwrap_or("0").to_string()
    } else {
        response.status().as_u16().to_string()
    };
    state.metrics.request(if grpc { "grpc" } else { "http" }, route, status, started.elapsed());
    response
}

/// Refuses requests without an accepted token (401 / UNAUTHENTICATED) and requests whose
/// declared length exceeds the limit (413 / RESOURCE_EXHAUSTED) before reading any body.
async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let grpc = is_grpc(&request);
    let standing = request.extensions().get::<super::connection::Standing>().cloned();
    if let Some(tokens) = &state.tokens {
        let presented = request.headers().get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
        if !tokens.accepts(presented) {
            state.metrics.rejected("unauthorized");
            if grpc {
                return tonic::Status::unauthenticated("a valid bearer token is required").into_http();
            }
            let mut response = error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid bearer token is required (Authorization: Bearer <token>)",
            );
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    // A request with an accepted token (or any, without tokens) proves its connection: it gets
    // the longer idle timeout and leaves the places of unproven connections.
    if let Some(standing) = &standing {
        standing.prove();
    }
    if !grpc && route_of(request.uri().path()) == "other" {
        // The gRPC routes' fallback would answer `grpc-status: 12` with HTTP 200.
        return error(StatusCode::NOT_FOUND, "not_found", &format!("no route {}", request.uri().path()));
    }
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > state.max_body as u64) {
        state.metrics.rejected("too_large");
        let message = format!("the request body exceeds the limit of {} bytes", state.max_body);
        if grpc {
            return tonic::Status::resource_exhausted(message).into_http();
        }
        return error(StatusCode::PAYLOAD_TOO_LARGE, "request_too_large", &message);
    }
    let response = next.run(request).await;
    // A body without a declared length (chunked) that runs past the limit is refused by the
    // body extractor in plain text; answer in the documented JSON shape instead.
    let json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !grpc && response.status() == StatusCode::PAYLOAD_TOO_LARGE && !json {
        state.metrics.rejected("too_large");
        let message = format!("the request body exceeds the limit of {} bytes", state.max_body);
        return error(StatusCode::PAYLOAD_TOO_LARGE, "request_too_large", &message);
    }
    response
}

fn is_grpc(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

/// A fixed label per route, so paths chosen by clients cannot grow the metric families.
fn route_of(path: &str) -> &'static str {
    match path {
        "/v1/check" => "/v1/check",
        "/v1/check/resource" => "/v1/check/resource",
        "/health" => "/health",
        "/metrics" => "/metrics",
        "/oppie.policy.v1.PolicyService/Check" => "Check",
        "/oppie.policy.v1.PolicyService/CheckResource" => "CheckResource",
        p if p == "/v1/data" || p.starts_with("/v1/data/") => "/v1/data",
        _ => "other",
    }
}

/// `{"code": ..., "message": ...}`, OPA's error shape.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json(status, &serde_json::json!({"code": code, "message": message}))
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn refusal(refusal: &Refusal) -> Response {
    match refusal {
        Refusal::Overloaded => {
            let mut response = error(StatusCode::SERVICE_UNAVAILABLE, "overloaded", &refusal.to_string());
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        Refusal::BadInput(message) => error(StatusCode::BAD_REQUEST, "invalid_input", message),
        Refusal::Internal(message) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message),
    }
}

/// `?fail_on=LEVEL`, default soft-mandatory as in `check`.
fn fail_on(uri: &Uri) -> Result<Enforcement, String> {
    let value = uri.query().unwrap_or_default().split('&').find_map(|pair| pair.strip_prefix("fail_on="));
    match value {
        None | Some("") => Ok(Enforcement::SoftMandatory),
        Some(level) => level.parse(),
    }
}

/// The `check --format json` document, plus `findings` (every file's findings in one list,
/// the shape the provider reads) and the `revision` that evaluated it; `rules` holds the rules
/// `catalogue` asks for.
pub(crate) fn check_document(checked: &Checked, catalogue: Catalogue) -> serde_json::Value {
    let mut document = match catalogue {
        Catalogue::All => checked.report.to_json_value(),
        Catalogue::Cited => checked.report.to_json_value_citing(),
    };
    let findings: Vec<serde_json::Value> = document["files"]
        .as_array()
        .map(|files| files.iter().filter_map(|f| f["findings"].as_array()).flatten().cloned().collect())
        .unwrap_or_default();
    if let Some(object) = document.as_object_mut() {
        object.insert("findings".into(), findings.into());
        object.insert("revision".into(), checked.revision.clone().into());
    }
    document
}

/// Which rules a check's answer describes in its `rules` catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Catalogue {
    /// Only the rules its findings cite (the findings carry title, severity, level and
    /// controls themselves): a one-resource answer stays about 1 KB instead of ~40 KB.
    Cited,
    /// Every rule of the policy set, as `check --format json` prints.
    All,
}

/// `?rules=all` asks for the whole rule catalogue; by default only the rules the findings cite.
fn catalogue(uri: &Uri) -> Result<Catalogue, String> {
    let value = uri.query().unwrap_or_default().split('&').find_map(|pair| pair.strip_prefix("rules="));
    match value {
        None | Some("") | Some("cited") => Ok(Catalogue::Cited),
        Some("all") => Ok(Catalogue::All),
        Some(other) => Err(format!("rules={other}: expected all or cited")),
    }
}

/// `POST /v1/check`: a plan or state document.
async fn check(State(state): State<Arc<AppState>>, uri: Uri, body: Bytes) -> Response {
    let (level, catalogue) = match fail_on(&uri).and_then(|level| Ok((level, catalogue(&uri)?))) {
        Ok(parameters) => parameters,
        Err(message) => return error(StatusCode::BAD_REQUEST, "invalid_parameter", &message),
    };
    match state.evaluator.check(body.to_vec(), level).await {
        Ok(checked) => json(StatusCode::OK, &check_document(&checked, catalogue)),
        Err(e) => refusal(&e),
    }
}

/// `POST /v1/check/resource`: one entry of `resource_changes`.
async fn check_resource(State(state): State<Arc<AppState>>, uri: Uri, body: Bytes) -> Response {
    let (level, catalogue) = match fail_on(&uri).and_then(|level| Ok((level, catalogue(&uri)?))) {
        Ok(parameters) => parameters,
        Err(message) => return error(StatusCode::BAD_REQUEST, "invalid_parameter", &message),
    };
    match state.evaluator.check_resource(&body, level).await {
        Ok(checked) => json(StatusCode::OK, &check_document(&checked, catalogue)),
        Err(e) => refusal(&e),
    }
}

/// `POST /v1/data`: the whole data document (OPA's Data API at the root).
async fn data_root(state: State<Arc<AppState>>, body: Bytes) -> Response {
    query_data(state, String::new(), body).await
}

/// `POST /v1/data/{path}`: OPA's Data API; `{"input": ...}` in, `{"result": ...}` out, `{}`
/// when the document is undefined.
async fn data(state: State<Arc<AppState>>, Path(path): Path<String>, body: Bytes) -> Response {
    query_data(state, path, body).await
}

async fn query_data(State(state): State<Arc<AppState>>, path: String, body: Bytes) -> Response {
    let query = match data_query(&path) {
        Ok(query) => query,
        Err(message) => return error(StatusCode::BAD_REQUEST, "invalid_parameter", &message),
    };
    let input = match data_input(&body) {
        Ok(input) => input,
        Err(message) => return error(StatusCode::BAD_REQUEST, "invalid_parameter", &message),
    };
    let evaluated = state.evaluator.run(move |loaded| loaded.set.query(input.as_ref(), &query)).await;
    match evaluated {
        Ok(Ok(results)) => {
            let value = results.pointer("/result/0/expressions/0/value").cloned();
            json(StatusCode::OK, &value.map_or_else(|| serde_json::json!({}), |v| serde_json::json!({"result": v})))
        }
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", &e.to_string()),
        Err(e) => refusal(&e),
    }
}

/// `a/b/c` as the Rego reference `data.a.b.c`; segments that are not identifiers are quoted.
pub(crate) fn data_query(path: &str) -> Result<String, String> {
    let mut query = String::from("data");
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let identifier = segment.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && segment.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if identifier {
            query.push('.');
            query.push_str(segment);
        } else {
            let quoted = serde_json::to_string(segment).map_err(|e| e.to_string())?;
            query.push('[');
            query.push_str(&quoted);
            query.push(']');
        }
    }
    Ok(query)
}

/// The `input` member of a Data API body; an empty body or one without `input` has none.
fn data_input(body: &[u8]) -> Result<Option<Input>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let text = crate::input::decode_text("request", body).map_err(|e| e.to_string())?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("request:{}:{}: invalid JSON: {e}", e.line(), e.column()))?;
    let Some(object) = value.as_object() else {
        return Err("request: expected a JSON object such as {\"input\": ...}".into());
    };
    let Some(input) = object.get("input") else { return Ok(None) };
    let bytes = serde_json::to_vec(input).map_err(|e| e.to_string())?;
    Input::any_json("input", &bytes).map(Some).map_err(|e| e.to_string())
}

/// `GET /health`: up, and which revision is in force.
async fn health(state: Arc<AppState>) -> Response {
    let loaded = state.evaluator.store().current();
    let loaded_at = loaded.loaded_at.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    json(
        StatusCode::OK,
        &serde_json::json!({
            "status": "ok",
            "revision": loaded.revision,
            "rules": loaded.set.rules().len(),
            "loaded_at": loaded_at,
        }),
    )
}

/// `GET /metrics`: the Prometheus (OpenMetrics) text exposition.
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let text = state.metrics.render();
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], Body::from(text)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_paths_become_references() {
        assert_eq!(data_query("").unwrap(), "data");
        assert_eq!(data_query("oppie/rules/network").unwrap(), "data.oppie.rules.network");
        assert_eq!(data_query("a/b-c//d").unwrap(), "data.a[\"b-c\"].d");
        assert_eq!(data_query("x/\"]; true; [\"").unwrap(), "data.x[\"\\\"]; true; [\\\"\"]");
    }

    #[test]
    fn data_bodies() {
        assert!(data_input(b"").unwrap().is_none());
        assert!(data_input(b"{}").unwrap().is_none());
        let input = data_input(br#"{"input": {"x": 1}}"#).unwrap().unwrap();
        assert_eq!(input.to_json(), serde_json::json!({"x": 1}));
        assert!(data_input(b"[1]").unwrap_err().contains("expected a JSON object"));
        assert!(data_input(b"{\"input\":").unwrap_err().starts_with("request:1:9"));
    }

    #[test]
    fn routes_have_fixed_labels() {
        assert_eq!(route_of("/v1/data/a/b"), "/v1/data");
        assert_eq!(route_of("/oppie.policy.v1.PolicyService/CheckResource"), "CheckResource");
        assert_eq!(route_of("/anything/else"), "other");
    }
}
