//! A fault-injecting HTTP proxy between the provider and an emulator or fake, for the fault
//! tests of every cloud: each call is named (an AWS `Action`, `S3-<METHOD>-<subresource>`,
//! else `<METHOD> <path>`) and matched against rules that drop the connection before the
//! call reaches the cloud, drop it after the cloud acted (the answer is lost), answer an
//! error without forwarding, lose a forwarded call's answer behind a 500, or stall it.
//! Runs on its own thread; rules change while it runs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// What a rule does to a matching call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Close the connection without forwarding: the cloud never sees the call.
    DropBefore,
    /// Forward the call, wait for the cloud's whole answer, then close the connection
    /// without passing it on: the call happened, the provider cannot know.
    DropAfter,
    /// Answer 503 (AWS: `RequestLimitExceeded`) without forwarding.
    Throttle,
    /// Answer 500 without forwarding.
    Error500,
    /// Forward the call, then answer 500 instead of the cloud's answer.
    Lost500,
    /// Hold the call this long, then forward it.
    Stall(Duration),
    /// Forward the call and answer as if the object were still being made: a ready status
    /// in the answer (an RDS instance or ElastiCache group `available`) becomes `creating`.
    /// Emulators finish at once; this shows a wait polling, and ending at its timeout.
    Busy,
}

impl Fault {
    fn parse(s: &str) -> Option<Fault> {
        Some(match s {
            "drop" => Fault::DropBefore,
            "lostdrop" => Fault::DropAfter,
            "throttle" => Fault::Throttle,
            "error500" => Fault::Error500,
            "lost500" => Fault::Lost500,
            "stall" => Fault::Stall(Duration::from_secs(30)),
            "busy" => Fault::Busy,
            _ => return None,
        })
    }

    fn label(self) -> &'static str {
        match self {
            Fault::DropBefore => "dropped",
            Fault::DropAfter => "lost-drop",
            Fault::Throttle | Fault::Error500 => "fault",
            Fault::Lost500 => "lost",
            Fault::Stall(_) => "stalled",
            Fault::Busy => "busy",
        }
    }
}

/// Which calls a rule hits.
#[derive(Debug, Clone)]
pub enum Match {
    /// Calls of this name (see the module docs).
    Call(String),
    /// Calls whose name matches this pattern, where `*` stands for any text
    /// (`PUT */virtualNetworks/*`).
    Glob(String),
}

impl Match {
    /// True when `call` is hit.
    pub fn hits(&self, call: &str) -> bool {
        match self {
            Match::Call(c) => c == call,
            Match::Glob(g) => glob(g, call),
        }
    }
}

/// `*`-pattern matching of a whole text.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return pattern == text;
    }
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

#[derive(Debug, Clone)]
struct Rule {
    what: Match,
    fault: Fault,
    /// Matching calls to let through before the first hit.
    skip: u32,
    /// Hits left; `None`: every matching call.
    left: Option<u32>,
}

/// One call the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Its name.
    pub call: String,
    /// The status passed on (0 when the connection was dropped).
    pub status: u16,
    /// `forwarded`, or the fault's label.
    pub outcome: String,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: Vec<Seen>,
}

/// A running proxy (stops when dropped).
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The name of a call: the AWS query `Action`, S3's method and subresource, else method and
/// path (GCP and Azure REST).
pub fn call_name(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let pairs = |text: &str| -> HashMap<String, String> {
        url::form_urlencoded::parse(text.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    };
    let form = pairs(std::str::from_utf8(body).unwrap_or(""));
    let q = pairs(query);
    if let Some(action) = form.get("Action").or_else(|| q.get("Action")) {
        return action.clone();
    }
    let s3_style = path.starts_with('/')
        && !path.contains("/compute/")
        && !path.contains("/subscriptions/")
        && !path.contains("/storage/v1/")
        && !path.contains("/dns/v1/")
        && !path.contains("/v1/projects/")
        && !path.contains("/_fake");
    if s3_style && !q.contains_key("api-version") && !q.contains_key("restype") && !q.contains_key("comp") {
        let sub = query.split('&').next().unwrap_or("").split('=').next().unwrap_or("");
        return if sub.is_empty() { format!("S3-{method}") } else { format!("S3-{method}-{sub}") };
    }
    format!("{method} {path}")
}

impl FaultProxy {
    /// A proxy in front of `upstream` (`http://127.0.0.1:PORT`), with AWS-style rules
    /// `CALL:MODE:COUNT` (`MODE`: drop, lostdrop, throttle, error500, lost500, stall;
    /// `COUNT`: a number or `always`).
    pub fn start(upstream: &str, rules: &[&str]) -> FaultProxy {
        let upstream: hyper::Uri = upstream.parse().expect("upstream URL");
        let state = Arc::new(Mutex::new(State::default()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("proxy address");
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("proxy runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
                loop {
                    let (stream, _) = tokio::select! {
                        r = listener.accept() => match r { Ok(s) => s, Err(_) => continue },
                        _ = &mut rx => return,
                    };
                    let (client, state, upstream) = (client.clone(), shared.clone(), upstream.clone());
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(move |req| {
                            handle(req, client.clone(), state.clone(), upstream.clone())
                        });
                        // A fault ends the connection by failing the service.
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            });
        });
        let p = FaultProxy { addr, state, stop: Some(tx), thread: Some(thread) };
        for r in rules {
            p.rule(r);
        }
        p
    }

    /// The proxy's URL.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds a rule written `CALL:MODE:COUNT`.
    pub fn rule(&self, spec: &str) {
        let mut parts = spec.rsplitn(3, ':');
        let (count, mode, call) = (parts.next(), parts.next(), parts.next());
        let (Some(count), Some(mode), Some(call)) = (count, mode, call) else { panic!("bad rule {spec:?}") };
        let fault = Fault::parse(mode).unwrap_or_else(|| panic!("bad fault mode in {spec:?}"));
        let times = if count == "always" { None } else { Some(count.parse().expect("rule count")) };
        self.add(Match::Call(call.to_string()), fault, times);
    }

    /// Adds a rule: `fault` on the next `times` matching calls (`None`: all of them).
    pub fn add(&self, what: Match, fault: Fault, times: Option<u32>) {
        self.add_after(what, fault, 0, times);
    }

    /// Adds a rule that lets `skip` matching calls through, then does `fault` on the next
    /// `times` (`None`: all of them).
    pub fn add_after(&self, what: Match, fault: Fault, skip: u32, times: Option<u32>) {
        self.state.lock().expect("proxy state").rules.push(Rule { what, fault, skip, left: times });
    }

    /// Removes every rule: the cloud is reachable again.
    pub fn clear(&self) {
        self.state.lock().expect("proxy state").rules.clear();
    }

    /// Every call so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().expect("proxy state").seen.clone()
    }

    /// Every call so far as (name, status, outcome).
    pub fn calls(&self) -> Vec<(String, u16, String)> {
        self.seen().into_iter().map(|s| (s.call, s.status, s.outcome)).collect()
    }

    /// How many calls named `call` the proxy saw.
    pub fn count(&self, call: &str) -> usize {
        self.seen().iter().filter(|s| s.call == call).count()
    }

    /// How many calls matching `what` reached the cloud.
    pub fn reached(&self, what: &Match) -> usize {
        self.seen().iter().filter(|s| what.hits(&s.call) && !matches!(s.outcome.as_str(), "dropped" | "fault")).count()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Takes the fault for `call`, if a rule has one left.
fn take_fault(state: &Mutex<State>, call: &str) -> Option<Fault> {
    let mut s = state.lock().ok()?;
    let rule = s.rules.iter_mut().find(|r| r.what.hits(call) && r.left != Some(0))?;
    if rule.skip > 0 {
        rule.skip -= 1;
        return None;
    }
    if let Some(n) = &mut rule.left {
        *n -= 1;
    }
    Some(rule.fault)
}

fn record(state: &Mutex<State>, call: &str, status: u16, outcome: &str) {
    if let Ok(mut s) = state.lock() {
        s.seen.push(Seen { call: call.to_string(), status, outcome: outcome.to_string() });
    }
}

/// An error answer in the cloud's style (AWS XML when the call is an AWS one, else JSON).
fn error_answer(call: &str, status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    let rest = call.contains(' ');
    let body = if rest {
        format!(
            r#"{{"error": {{"code": {status}, "message": "{message}", "status": "{code}", "errors": [{{"reason": "backendError", "message": "{message}"}}]}}}}"#
        )
    } else if call.starts_with("S3-") {
        format!("<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-1</RequestId></Error>")
    } else {
        format!(
            "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>fault-1</RequestID></Response>"
        )
    };
    Response::builder()
        .status(status)
        .header("content-type", if rest { "application/json" } else { "text/xml" })
        .header("x-amzn-requestid", "fault-1")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

async fn handle(
    req: Request<Incoming>,
    client: Client<HttpConnector, Full<Bytes>>,
    state: Arc<Mutex<State>>,
    upstream: hyper::Uri,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let pq = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    // JSON-protocol AWS services (KMS) name the operation in X-Amz-Target.
    let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let call = match target.and_then(|t| t.rsplit_once('.')) {
        Some((_, op)) => op.to_string(),
        None => call_name(parts.method.as_str(), &pq, &body),
    };
    let fault = take_fault(&state, &call);
    let dropped = || std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "fault: connection dropped");
    match fault {
        Some(Fault::DropBefore) => {
            record(&state, &call, 0, "dropped");
            return Err(dropped());
        }
        Some(Fault::Throttle) => {
            record(&state, &call, 503, "fault");
            return Ok(error_answer(&call, 503, "RequestLimitExceeded", "Request limit exceeded."));
        }
        Some(Fault::Error500) => {
            record(&state, &call, 500, "fault");
            return Ok(error_answer(&call, 500, "InternalError", "An internal error has occurred."));
        }
        Some(Fault::Stall(d)) => tokio::time::sleep(d).await,
        _ => {}
    }
    let uri = format!(
        "{}://{}{pq}",
        upstream.scheme_str().unwrap_or("http"),
        upstream.authority().map(|a| a.as_str()).unwrap_or("127.0.0.1")
    );
    let mut out = Request::builder().method(parts.method.clone()).uri(uri);
    for (k, v) in &parts.headers {
        if k != "connection" && k != "transfer-encoding" {
            out = out.header(k, v);
        }
    }
    let out = out.body(Full::new(body)).map_err(std::io::Error::other)?;
    let resp = match client.request(out).await {
        Ok(r) => r,
        Err(e) => {
            record(&state, &call, 502, "upstream-error");
            return Ok(Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Full::new(Bytes::from(format!("proxy: {e}"))))
                .unwrap_or_default());
        }
    };
    let (rparts, rbody) = resp.into_parts();
    let mut rbody = rbody.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    if fault == Some(Fault::Busy) {
        rbody = Bytes::from(busy(&String::from_utf8_lossy(&rbody)));
    }
    let status = rparts.status.as_u16();
    match fault {
        Some(Fault::DropAfter) => {
            record(&state, &call, status, "lost-drop");
            return Err(dropped());
        }
        Some(Fault::Lost500) => {
            record(&state, &call, 500, "lost");
            return Ok(error_answer(&call, 500, "InternalError", "An internal error has occurred."));
        }
        Some(f) => record(&state, &call, status, f.label()),
        None => record(&state, &call, status, "forwarded"),
    }
    let mut back = Response::builder().status(rparts.status);
    for (k, v) in &rparts.headers {
        if k != "connection" && k != "transfer-encoding" && k != "content-length" {
            back = back.header(k, v);
        }
    }
    Ok(back.body(Full::new(rbody)).unwrap_or_default())
}

/// An answer with its ready statuses turned into in-progress ones.
fn busy(body: &str) -> String {
    const READY: [(&str, &str); 4] = [
        ("<DBInstanceStatus>available</DBInstanceStatus>", "<DBInstanceStatus>creating</DBInstanceStatus>"),
        ("<Status>available</Status>", "<Status>creating</Status>"),
        ("\"state\": \"READY\"", "\"state\": \"CREATING\""),
        ("\"provisioningState\": \"Succeeded\"", "\"provisioningState\": \"Creating\""),
    ];
    READY.iter().fold(body.to_string(), |b, (from, to)| b.replace(from, to))
}

#[cfg(test)]
mod tests {
    use super::{Match, busy, call_name};

    #[test]
    fn busy_answers_hold_objects_in_creation() {
        assert_eq!(
            busy("<a><DBInstanceStatus>available</DBInstanceStatus></a>"),
            "<a><DBInstanceStatus>creating</DBInstanceStatus></a>"
        );
        assert_eq!(busy("{\"state\": \"READY\"}"), "{\"state\": \"CREATING\"}");
    }

    #[test]
    fn globs_match_whole_names() {
        let m = Match::Glob("PUT */virtualNetworks/*".into());
        assert!(m.hits("PUT /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/n"));
        assert!(!m.hits("GET /subscriptions/s/virtualNetworks/n"));
        assert!(!m.hits("PUT /subscriptions/s/virtualNetworks"));
        assert!(Match::Glob("GET */operations/*".into()).hits("GET /compute/v1/projects/p/global/operations/op-1"));
        assert!(Match::Glob("S3-PUT".into()).hits("S3-PUT") && !Match::Glob("S3-PUT".into()).hits("S3-PUT-tagging"));
    }

    #[test]
    fn calls_are_named_by_cloud() {
        assert_eq!(call_name("POST", "/", b"Action=CreateVpc&Version=2016-11-15"), "CreateVpc");
        assert_eq!(call_name("PUT", "/shop-media?versioning", b""), "S3-PUT-versioning");
        assert_eq!(call_name("PUT", "/shop-media", b""), "S3-PUT");
        assert_eq!(call_name("POST", "/dns/v1/projects/p/managedZones", b"{}"), "POST /dns/v1/projects/p/managedZones");
        assert_eq!(
            call_name("POST", "/compute/v1/projects/p/global/networks?requestId=1", b"{}"),
            "POST /compute/v1/projects/p/global/networks"
        );
        assert_eq!(
            call_name("POST", "/sqladmin/v1/projects/p/instances", b"{}"),
            "POST /sqladmin/v1/projects/p/instances"
        );
        assert_eq!(
            call_name("PUT", "/subscriptions/s/resourceGroups/g?api-version=2025-04-01", b"{}"),
            "PUT /subscriptions/s/resourceGroups/g"
        );
    }
}
