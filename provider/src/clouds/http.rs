//! REST plumbing shared by the GCP and Azure backends: one JSON request with bounded
//! retries (429 and 5xx, honouring `Retry-After`), bearer tokens, and error answers.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::clouds::{CloudError, ErrorKind};

/// Longest wait a `Retry-After` header may ask for; longer asks are cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Gives a bearer token for each request (cached by the implementation).
#[tfplug::async_trait]
pub trait TokenSource: Send + Sync {
    /// A valid access token.
    async fn token(&self) -> Result<String, CloudError>;
}

/// An answer, any status.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, parsed when it is JSON (`Null` otherwise or when empty).
    pub json: Value,
    /// The raw body.
    pub text: String,
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One outgoing request.
#[derive(Debug, Clone)]
pub struct Call {
    /// Method.
    pub method: Method,
    /// Full URL.
    pub url: url::Url,
    /// JSON body.
    pub body: Option<Value>,
    /// Raw body with its content type (instead of `body`).
    pub raw: Option<(String, Vec<u8>)>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The API operation, for errors and logs (e.g. "networks.insert").
    pub operation: String,
}

impl Call {
    /// A call without body.
    pub fn new(method: Method, url: url::Url, operation: impl Into<String>) -> Call {
        Call { method, url, body: None, raw: None, headers: Vec::new(), operation: operation.into() }
    }

    /// With a JSON body.
    pub fn json(mut self, body: Value) -> Call {
        self.body = Some(body);
        self
    }

    /// With a header.
    #[allow(dead_code, reason = "for the Azure backend (x-ms-version and friends), which lands separately")]
    pub fn header(mut self, k: &str, v: impl Into<String>) -> Call {
        self.headers.push((k.to_string(), v.into()));
        self
    }
}

/// Signs a call just before it is sent (Azure Storage Shared Key); runs again on retries.
pub trait Signer: Send + Sync {
    /// Adds the authentication headers.
    fn sign(&self, call: &mut Call);
}

/// How a cloud reads its error answers.
pub trait ErrorReader: Send + Sync {
    /// The service name shown in errors, e.g. "GCP Compute".
    fn service(&self) -> &'static str;
    /// Turns a non-success reply into an error.
    fn error(&self, operation: &str, reply: &Reply) -> CloudError;
}

/// A client for one API: HTTP with retries, optional bearer tokens, the cloud's errors.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    /// Attempts per call, first included.
    pub max_attempts: u32,
    auth: Option<Arc<dyn TokenSource>>,
    errors: Arc<dyn ErrorReader>,
}

/// The shared HTTP client settings: rustls, bounded connect and request time.
pub fn http_client() -> Result<reqwest::Client, CloudError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .user_agent(concat!("terraform-provider-oppie/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CloudError::other("HTTP", "client", format!("could not build the HTTP client: {e}")))
}

/// The wait a `Retry-After` header asks for (seconds or an HTTP date), capped.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs).min(MAX_RETRY_AFTER));
    }
    let when = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
    let wait = when - time::OffsetDateTime::now_utc();
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

/// True for answers worth another try.
pub fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED
}

/// The error kind an HTTP status suggests.
pub fn kind_of(status: StatusCode) -> ErrorKind {
    match status.as_u16() {
        404 | 410 => ErrorKind::NotFound,
        401 | 403 => ErrorKind::Auth,
        429 | 500..=599 => ErrorKind::Transient,
        400 | 409 | 412 | 422 => ErrorKind::Invalid,
        _ => ErrorKind::Other,
    }
}

impl Api {
    /// A client; `auth` None sends requests without credentials (emulators).
    pub fn new(
        http: reqwest::Client,
        max_attempts: u32,
        auth: Option<Arc<dyn TokenSource>>,
        errors: Arc<dyn ErrorReader>,
    ) -> Api {
        Api { http, max_attempts: max_attempts.max(1), auth, errors }
    }

    /// The service name.
    pub fn service(&self) -> &'static str {
        self.errors.service()
    }

    /// Sends `call` (signed by `signer` when given) until it answers without a retryable
    /// status or attempts run out; returns the last answer whatever its status.
    pub async fn send_raw(&self, call: &Call, signer: Option<&dyn Signer>) -> Result<Reply, CloudError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut c = call.clone();
            if let Some(s) = signer {
                s.sign(&mut c);
            }
            let mut req = self.http.request(c.method.clone(), c.url.clone());
            for (k, v) in &c.headers {
                req = req.header(k.as_str(), v.as_str());
            }
            if let Some(auth) = &self.auth {
                req = req.bearer_auth(auth.token().await?);
            }
            if let Some(body) = &c.body {
                req = req.header("content-type", "application/json").body(body.to_string());
            } else if let Some((ctype, bytes)) = &c.raw {
                req = req.header("content-type", ctype.as_str()).body(bytes.clone());
            } else if matches!(c.method, Method::POST | Method::PUT | Method::PATCH) {
                req = req.header("content-length", "0");
            }
            // A connection lost while the body arrives is a lost answer like any other:
            // the call may have happened, and is retried (creates carry their idempotency).
            let outcome = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    resp.text().await.map(|text| (status, headers, text))
                }
                Err(e) => Err(e),
            };
            let wait = match outcome {
                Ok((status, headers, text)) => {
                    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
                    let reply = Reply { status, headers, json, text };
                    if !retryable(status) || attempt >= self.max_attempts {
                        return Ok(reply);
                    }
                    tracing::debug!(operation = %call.operation, %status, attempt, "retrying");
                    retry_after(&reply.headers).unwrap_or_else(|| crate::clouds::wait::backoff(attempt))
                }
                Err(e) => {
                    if attempt >= self.max_attempts {
                        return Err(CloudError {
                            kind: ErrorKind::Transient,
                            service: self.service(),
                            operation: call.operation.clone(),
                            code: None,
                            message: format!(
                                "could not reach {}: {}",
                                call.url.origin().ascii_serialization(),
                                chain(&e)
                            ),
                            request_id: None,
                        });
                    }
                    tracing::debug!(operation = %call.operation, error = %e, attempt, "retrying");
                    crate::clouds::wait::backoff(attempt)
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends `call`; a non-success answer becomes the cloud's error.
    pub async fn send(&self, call: Call) -> Result<Reply, CloudError> {
        let reply = self.send_raw(&call, None).await?;
        if reply.status.is_success() { Ok(reply) } else { Err(self.errors.error(&call.operation, &reply)) }
    }

    /// Sends `call`; `None` when the object is not there (404).
    pub async fn get_opt(&self, call: Call) -> Result<Option<Reply>, CloudError> {
        match self.send(call).await {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The error a reply stands for.
    #[allow(dead_code, reason = "for the Azure backend's long-running operations, which land separately")]
    pub fn error(&self, operation: &str, reply: &Reply) -> CloudError {
        self.errors.error(operation, reply)
    }
}

/// An error with its sources, one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// True when `url`'s host is this machine (an emulator): such endpoints get no credentials
/// unless some are configured. The rule is shared with the policy tools and `oppie`.
pub use oppie_policy::net::is_loopback;

/// Parses a base URL and makes sure it ends with '/', so relative paths join under it.
pub fn base_url(text: &str, what: &str) -> Result<url::Url, String> {
    let mut u = url::Url::parse(text).map_err(|e| format!("{what} endpoint {text:?} is not a URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("{what} endpoint {text:?} must be an http or https URL"));
    }
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    Ok(u)
}

/// `base` joined with `path` (no leading slash) and query pairs.
pub fn join(base: &url::Url, path: &str, query: &[(&str, &str)]) -> url::Url {
    let mut u = base.join(path.trim_start_matches('/')).unwrap_or_else(|_| base.clone());
    if !query.is_empty() {
        let mut q = u.query_pairs_mut();
        for (k, v) in query {
            q.append_pair(k, v);
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_capped() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after", "3600".parse().unwrap());
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::ZERO), "a date in the past");
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn statuses_classify() {
        assert!(retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(retryable(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!retryable(StatusCode::CONFLICT));
        assert_eq!(kind_of(StatusCode::NOT_FOUND), ErrorKind::NotFound);
        assert_eq!(kind_of(StatusCode::FORBIDDEN), ErrorKind::Auth);
    }

    #[test]
    fn endpoints_are_bases() {
        let b = base_url("https://storage.googleapis.com/storage/v1", "storage").unwrap();
        assert_eq!(
            join(&b, "b/x", &[("project", "p")]).as_str(),
            "https://storage.googleapis.com/storage/v1/b/x?project=p"
        );
        assert!(is_loopback(&base_url("http://127.0.0.1:9/", "x").unwrap()));
        assert!(is_loopback(&base_url("http://localhost:9/", "x").unwrap()));
        assert!(!is_loopback(&b));
        assert!(base_url("ftp://x/", "x").is_err());
    }

    #[test]
    fn backoff_is_bounded() {
        for a in 0..30 {
            assert!(crate::clouds::wait::backoff(a) <= Duration::from_secs(20));
        }
    }
}
