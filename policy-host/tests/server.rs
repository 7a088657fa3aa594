//! End-to-end tests of `oppie-policy serve`: a real server process on a loopback port, driven
//! over HTTP/JSON and gRPC (checks, Data API, auth, mTLS, limits, reload, metrics, shutdown).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oppie_policy::server::proto::policy_service_client::PolicyServiceClient;
use oppie_policy::server::proto::{CheckRequest, CheckResourceRequest};
use serde_json::{Value, json};

fn repo_policies() -> PathBuf {
    manifest_dir().join("../policies")
}

fn fixture(path: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(path)
}

/// A running `oppie-policy serve`; killed on drop unless it already exited.
struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT` (or https).
    url: String,
    port: u16,
    stderr: PathBuf,
    _logs: tempfile::TempDir,
}

impl Served {
    fn start(args: &[&str]) -> Self {
        let logs = tempfile::tempdir().unwrap();
        let stderr = logs.path().join("stderr.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_oppie-policy"))
            .args(["-v", "serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .env_remove("OPPIE_POLICY_TOKEN")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let Some(url) = line.split_whitespace().nth(2).filter(|u| u.contains("://")) else {
            let _ = child.wait();
            panic!("the server did not start: {line}\n{}", std::fs::read_to_string(&stderr).unwrap_or_default());
        };
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        Served { child, url: url.to_string(), port, stderr, _logs: logs }
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    async fn grpc(&self) -> PolicyServiceClient<tonic::transport::Channel> {
        PolicyServiceClient::connect(format!("http://127.0.0.1:{}", self.port)).await.unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap()
}

async fn post_json(url: &str, body: Vec<u8>) -> (u16, Value) {
    let response = client().post(url).body(body).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

async fn get_text(url: &str) -> (u16, String) {
    let response = client().get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// An `oppie_firewall` change opening SSH to the world: the provider's plan-time entry.
fn open_ssh_change() -> Value {
    json!({
        "address": "oppie_firewall.web",
        "mode": "managed",
        "type": "oppie_firewall",
        "name": "web",
        "provider_name": "registry.terraform.io/oppie/oppie",
        "change": {
            "actions": ["create"],
            "before": null,
            "after": {
                "name": "shop-prod-web",
                "network_id": "net-1",
                "tags": {"environment": "prod", "owner": "web", "cost-center": "shop"},
                "ingress": [{"protocol": "tcp", "ports": "22", "sources": ["0.0.0.0/0"]}]
            },
            "after_unknown": {"id": true}
        }
    })
}

/// The provider's document for one change (see provider/src/governance/document.rs).
fn provider_document(change: &Value) -> Value {
    json!({
        "format_version": "1.2",
        "terraform_version": "1.15.5",
        "planned_values": {"root_module": {"resources": []}},
        "resource_changes": [change]
    })
}

fn rule_ids(findings: &Value) -> Vec<String> {
    let mut ids: Vec<String> =
        findings.as_array().unwrap().iter().map(|f| f["rule_id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn http_check_of_a_plan_matches_check_format_json() {
    let policies = repo_policies();
    let server = Served::start(&["--policy", policies.to_str().unwrap()]);
    let plan = fixture("plans/oppie.json");
    let cli = Command::new(env!("CARGO_BIN_EXE_oppie-policy"))
        .args(["check", "--format", "json", "--no-costs", "--policy", policies.to_str().unwrap()])
        .arg(&plan)
        .output()
        .unwrap();
    let expected: Value = serde_json::from_slice(&cli.stdout).unwrap();
    let (status, served) = post_json(&format!("{}/v1/check", server.url), std::fs::read(&plan).unwrap()).await;
    assert_eq!(status, 200, "{served}");
    assert!(!expected["files"][0]["findings"].as_array().unwrap().is_empty(), "the fixture has findings");
    assert_eq!(served["files"][0]["findings"], expected["files"][0]["findings"]);
    assert_eq!(served["findings"], expected["files"][0]["findings"], "the flat list the provider reads");
    for key in ["schema", "passed", "fail_on", "summary"] {
        assert_eq!(served[key], expected[key], "{key}");
    }
    assert!(served["revision"].as_str().unwrap().starts_with("sha256:"));
    // By default the catalogue holds the rules the findings cite; ?rules=all gives check's whole catalogue.
    let cited: Vec<&str> =
        served["findings"].as_array().unwrap().iter().map(|f| f["rule_id"].as_str().unwrap()).collect();
    let catalogue = expected["rules"].as_array().unwrap();
    let wanted: Vec<&Value> = catalogue.iter().filter(|r| cited.contains(&r["id"].as_str().unwrap())).collect();
    assert!(!wanted.is_empty() && wanted.len() < catalogue.len(), "the fixture cites some of the rules");
    assert_eq!(served["rules"].as_array().unwrap().iter().collect::<Vec<_>>(), wanted);
    let (status, whole) = post_json(&format!("{}/v1/check?rules=all", server.url), std::fs::read(&plan).unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(whole["rules"], expected["rules"]);
    let (status, bad) = post_json(&format!("{}/v1/check?rules=some", server.url), b"{}".to_vec()).await;
    assert_eq!((status, bad["code"].as_str()), (400, Some("invalid_parameter")));

    let (status, lenient) =
        post_json(&format!("{}/v1/check?fail_on=hard-mandatory", server.url), std::fs::read(&plan).unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(lenient["fail_on"], "hard-mandatory");
    let (status, bad) = post_json(&format!("{}/v1/check?fail_on=sometimes", server.url), b"{}".to_vec()).await;
    assert_eq!((status, bad["code"].as_str()), (400, Some("invalid_parameter")));

    let (status, refused) = post_json(&format!("{}/v1/check", server.url), b"{\"resource_changes\": [".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(refused["code"], "invalid_input");
    assert!(refused["message"].as_str().unwrap().starts_with("request:1:"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_resource_checks_agree_over_grpc_and_http() {
    let server = Served::start(&["--policy", repo_policies().to_str().unwrap()]);
    let change = open_ssh_change();
    let (status, provider) =
        post_json(&format!("{}/v1/check", server.url), serde_json::to_vec(&provider_document(&change)).unwrap()).await;
    assert_eq!(status, 200, "{provider}");
    let ssh: Vec<&Value> =
        provider["findings"].as_array().unwrap().iter().filter(|f| f["rule_id"] == "OPP-NET-001").collect();
    assert_eq!(ssh.len(), 1, "{provider}");
    assert_eq!(ssh[0]["resource"], "oppie_firewall.web");
    assert_eq!(ssh[0]["path"][0], "ingress");
    assert_eq!(ssh[0]["enforcement"], "hard-mandatory");

    let (status, resource) =
        post_json(&format!("{}/v1/check/resource", server.url), serde_json::to_vec(&change).unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(rule_ids(&resource["findings"]), rule_ids(&provider["findings"]));

    let mut grpc = server.grpc().await;
    let answer = grpc
        .check_resource(CheckResourceRequest {
            resource_change_json: serde_json::to_vec(&change).unwrap(),
            fail_on: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut grpc_ids: Vec<String> = answer.findings.iter().map(|f| f.rule_id.clone()).collect();
    grpc_ids.sort();
    assert_eq!(grpc_ids, rule_ids(&provider["findings"]));
    assert!(!answer.passed);
    assert_eq!(answer.fail_on, "soft-mandatory");
    assert_eq!(answer.revision, provider["revision"].as_str().unwrap());
    let grpc_ssh = answer.findings.iter().find(|f| f.rule_id == "OPP-NET-001").unwrap();
    assert_eq!(grpc_ssh.message, ssh[0]["message"].as_str().unwrap());
    assert_eq!(grpc_ssh.status, "fail");
    assert_eq!(answer.summary.unwrap().failures as usize, provider["summary"]["failures"].as_u64().unwrap() as usize);

    let plan = grpc
        .check(CheckRequest {
            plan_json: std::fs::read(fixture("plans/oppie.json")).unwrap(),
            fail_on: "advisory".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.fail_on, "advisory");
    assert!(!plan.findings.is_empty());

    let bad = grpc
        .check_resource(CheckResourceRequest { resource_change_json: b"[]".to_vec(), fail_on: String::new() })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(bad.message().contains("expected one resource change"), "{}", bad.message());
}

#[tokio::test(flavor = "multi_thread")]
async fn data_api_answers_like_opa() {
    let server = Served::start(&["--policy", repo_policies().to_str().unwrap()]);
    let url = format!("{}/v1/data/oppie/rules/network/ssh_open_to_world/deny", server.url);
    let body = json!({"input": provider_document(&open_ssh_change())});
    let (status, answer) = post_json(&url, serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(status, 200, "{answer}");
    let results = answer["result"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{answer}");
    assert!(results[0]["msg"].as_str().unwrap().contains("oppie_firewall.web"), "{answer}");

    let clean = json!({"input": {"resource_changes": []}});
    let (_, empty) = post_json(&url, serde_json::to_vec(&clean).unwrap()).await;
    assert_eq!(empty, json!({"result": []}));
    let (status, undefined) =
        post_json(&format!("{}/v1/data/no/such/document", server.url), serde_json::to_vec(&clean).unwrap()).await;
    assert_eq!((status, undefined), (200, json!({})));
    let (status, bad) = post_json(&url, b"[1, 2]".to_vec()).await;
    assert_eq!((status, bad["code"].as_str()), (400, Some("invalid_parameter")));
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_tokens_are_required_except_for_health() {
    let server = Served::start(&["--policy", repo_policies().to_str().unwrap(), "--token", "s3cret-token"]);
    let check = format!("{}/v1/check/resource", server.url);
    let body = serde_json::to_vec(&open_ssh_change()).unwrap();
    let none = client().post(&check).body(body.clone()).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let wrong = client().post(&check).bearer_auth("s3cret-tokeN").body(body.clone()).send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let right = client().post(&check).bearer_auth("s3cret-token").body(body.clone()).send().await.unwrap();
    assert_eq!(right.status().as_u16(), 200);
    assert_eq!(get_text(&format!("{}/health", server.url)).await.0, 200);
    assert_eq!(get_text(&format!("{}/metrics", server.url)).await.0, 401);

    let mut grpc = server.grpc().await;
    let refused = grpc
        .check_resource(CheckResourceRequest { resource_change_json: body.clone(), fail_on: String::new() })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let mut request = tonic::Request::new(CheckResourceRequest { resource_change_json: body, fail_on: String::new() });
    request.metadata_mut().insert("authorization", "Bearer s3cret-token".parse().unwrap());
    assert!(grpc.check_resource(request).await.is_ok());

    let metrics = client().get(format!("{}/metrics", server.url)).bearer_auth("s3cret-token").send().await.unwrap();
    let text = metrics.text().await.unwrap();
    assert!(text.contains(r#"oppie_policy_rejected_requests_total{reason="unauthorized"} 4"#), "{text}");
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (ca, ca_pem) = authority("test CA");
        let (server, server_key) = leaf(&ca, "127.0.0.1");
        let (client, client_key) = leaf(&ca, "client");
        let (stranger_ca, _) = authority("other CA");
        let (stranger, stranger_key) = leaf(&stranger_ca, "stranger");
        for (name, text) in [
            ("ca.pem", ca_pem),
            ("server.pem", server),
            ("server.key", server_key),
            ("client.pem", format!("{client}{client_key}")),
            ("stranger.pem", format!("{stranger}{stranger_key}")),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn client(&self, identity: Option<&str>) -> reqwest::Client {
        let ca = reqwest::Certificate::from_pem(&std::fs::read(self.path("ca.pem")).unwrap()).unwrap();
        let mut builder = reqwest::Client::builder().tls_certs_only([ca]).timeout(Duration::from_secs(30));
        if let Some(name) = identity {
            builder = builder.identity(reqwest::Identity::from_pem(&std::fs::read(self.path(name)).unwrap()).unwrap());
        }
        builder.build().unwrap()
    }
}

fn authority(name: &str) -> (rcgen::Issuer<'static, rcgen::KeyPair>, String) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::DigitalSignature];
    let key = rcgen::KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    (rcgen::Issuer::new(params, key), pem)
}

fn leaf(issuer: &rcgen::Issuer<'static, rcgen::KeyPair>, name: &str) -> (String, String) {
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    let key = rcgen::KeyPair::generate().unwrap();
    (params.signed_by(&key, issuer).unwrap().pem(), key.serialize_pem())
}

#[tokio::test(flavor = "multi_thread")]
async fn mtls_accepts_known_clients_and_refuses_others() {
    let pki = Pki::new();
    let server = Served::start(&[
        "--policy",
        repo_policies().to_str().unwrap(),
        "--tls-cert",
        &pki.path("server.pem"),
        "--tls-key",
        &pki.path("server.key"),
        "--client-ca",
        &pki.path("ca.pem"),
    ]);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let health = format!("{}/health", server.url);
    let known = pki.client(Some("client.pem")).get(&health).send().await.unwrap();
    assert_eq!(known.status().as_u16(), 200);
    let check = pki
        .client(Some("client.pem"))
        .post(format!("{}/v1/check/resource", server.url))
        .body(serde_json::to_vec(&open_ssh_change()).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(check.status().as_u16(), 200);
    assert!(pki.client(None).get(&health).send().await.is_err(), "no client certificate");
    assert!(pki.client(Some("stranger.pem")).get(&health).send().await.is_err(), "a certificate from another CA");
    assert!(server.logs().contains("TLS handshake refused"), "{}", server.logs());
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_over_the_limit_are_refused() {
    let server = Served::start(&["--policy", repo_policies().to_str().unwrap(), "--max-body", "4KiB"]);
    let mut change = open_ssh_change();
    change["change"]["after"]["description"] = Value::String("x".repeat(8 * 1024));
    let (status, refused) =
        post_json(&format!("{}/v1/check/resource", server.url), serde_json::to_vec(&change).unwrap()).await;
    assert_eq!(status, 413);
    assert_eq!(refused["code"], "request_too_large");
    let (status, _) =
        post_json(&format!("{}/v1/check/resource", server.url), serde_json::to_vec(&open_ssh_change()).unwrap()).await;
    assert_eq!(status, 200, "a small body still passes");
    let mut grpc = server.grpc().await;
    let refused = grpc
        .check_resource(CheckResourceRequest {
            resource_change_json: serde_json::to_vec(&change).unwrap(),
            fail_on: String::new(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(refused.code(), tonic::Code::ResourceExhausted | tonic::Code::OutOfRange),
        "{:?}: {}",
        refused.code(),
        refused.message()
    );
}

/// A policy directory with two rules whose messages carry a version.
fn versioned_policies(dir: &Path, version: u32) {
    for name in ["first", "second"] {
        let text = format!(
            "package reload.{name}\n\n# METADATA\n# custom:\n#   id: RLD-{name}\ndeny contains msg if {{\n\tsome rc in input.resource_changes\n\tmsg := sprintf(\"{name} v{version}: %s\", [rc.address])\n}}\n"
        );
        std::fs::write(dir.join(format!("{name}.rego")), text).unwrap();
    }
}

async fn revision(url: &str) -> String {
    let (_, text) = get_text(&format!("{url}/health")).await;
    let health: Value = serde_json::from_str(&text).unwrap();
    health["revision"].as_str().unwrap().to_string()
}

async fn wait_for_revision_change(url: &str, from: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = revision(url).await;
        if now != from {
            return now;
        }
        assert!(Instant::now() < deadline, "the revision did not change");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hot_reload_swaps_whole_policy_sets_under_load() {
    let dir = tempfile::tempdir().unwrap();
    versioned_policies(dir.path(), 1);
    let server = Served::start(&["--policy", dir.path().to_str().unwrap(), "--reload-interval", "50ms"]);
    let url = server.url.clone();
    let first = revision(&url).await;

    // Clients check continuously while the policies are rewritten; every answer must come
    // from one whole revision: both rules at the same version, and one version per revision.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (url, stop) = (url.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            let body = serde_json::to_vec(&open_ssh_change()).unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (status, answer) = post_json(&format!("{url}/v1/check/resource"), body.clone()).await;
                assert_eq!(status, 200, "{answer}");
                let versions: Vec<String> = answer["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["message"].as_str().unwrap().split(':').next().unwrap().to_string())
                    .collect();
                seen.push((answer["revision"].as_str().unwrap().to_string(), versions));
            }
            seen
        }));
    }
    let mut revisions = vec![first.clone()];
    for version in 2..=4 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        // Write to the side and rename, as editors and deploy tools do.
        let staging = tempfile::tempdir().unwrap();
        versioned_policies(staging.path(), version);
        for name in ["first.rego", "second.rego"] {
            std::fs::copy(staging.path().join(name), dir.path().join(format!(".{name}.tmp"))).unwrap();
            std::fs::rename(dir.path().join(format!(".{name}.tmp")), dir.path().join(name)).unwrap();
        }
        wait_for_revision_change(&url, revisions.last().unwrap()).await;
        // Both files are renamed in quick succession; a poll between them yields an
        // intermediate revision, so wait until the second rule is at the new version too.
        let deadline = Instant::now() + Duration::from_secs(30);
        let latest;
        loop {
            let (_, answer) =
                post_json(&format!("{url}/v1/check/resource"), serde_json::to_vec(&open_ssh_change()).unwrap()).await;
            let messages: Vec<&str> =
                answer["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
            if messages.iter().all(|m| m.contains(&format!(" v{version}:"))) {
                latest = answer["revision"].as_str().unwrap().to_string();
                break;
            }
            assert!(Instant::now() < deadline, "version {version} never took effect: {messages:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        revisions.push(latest);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut by_revision = std::collections::BTreeMap::<String, Vec<String>>::new();
    let mut answers = 0;
    for client in clients {
        for (revision, mut versions) in client.await.unwrap() {
            answers += 1;
            versions.sort();
            assert_eq!(versions.len(), 2, "both rules answer every request: {versions:?}");
            let known = by_revision.entry(revision.clone()).or_insert_with(|| versions.clone());
            assert_eq!(*known, versions, "revision {revision} answered with two different policy sets");
        }
    }
    assert!(answers > 20, "the clients kept checking during the reloads ({answers} answers)");
    assert!(by_revision.len() >= 2, "answers came from several revisions: {by_revision:?}");

    // A broken edit is refused: the last good set stays in force and the failure is counted.
    let good = revision(&url).await;
    // Written to the side and renamed, so no poll sees a half-written file (which would be a
    // second, different failure).
    let broken = dir.path().join(".second.rego.tmp");
    std::fs::write(&broken, "package reload.second\n\ndeny contains msg if {\n").unwrap();
    std::fs::rename(&broken, dir.path().join("second.rego")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.logs().contains("policy reload failed") {
        assert!(Instant::now() < deadline, "the failed reload was not logged: {}", server.logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(revision(&url).await, good);
    let (status, answer) =
        post_json(&format!("{url}/v1/check/resource"), serde_json::to_vec(&open_ssh_change()).unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["findings"].as_array().unwrap().len(), 2);
    let (_, metrics) = get_text(&format!("{url}/metrics")).await;
    assert!(metrics.contains(r#"oppie_policy_reloads_total{result="failure"} 1"#), "reported once: {metrics}");
    assert!(metrics.contains(&format!(r#"oppie_policy_policy_revision{{revision="{good}"}} 1"#)), "{metrics}");

    // Fixing the file and sending SIGHUP reloads at once.
    versioned_policies(dir.path(), 9);
    server.signal("HUP");
    let fixed = wait_for_revision_change(&url, &good).await;
    assert_ne!(fixed, good);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_requests_evaluations_and_findings() {
    let server = Served::start(&["--policy", repo_policies().to_str().unwrap()]);
    let body = serde_json::to_vec(&open_ssh_change()).unwrap();
    let mut hard_failures = 0;
    for _ in 0..3 {
        let (status, answer) = post_json(&format!("{}/v1/check/resource", server.url), body.clone()).await;
        assert_eq!(status, 200);
        hard_failures = answer["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["enforcement"] == "hard-mandatory" && f["status"] == "fail")
            .count();
    }
    assert!(hard_failures >= 1, "SSH open to the world is hard-mandatory");
    let hard =
        format!(r#"oppie_policy_findings_total{{enforcement="hard-mandatory",status="fail"}} {}"#, 4 * hard_failures);
    assert_eq!(post_json(&format!("{}/v1/check", server.url), b"nope".to_vec()).await.0, 400);
    let mut grpc = server.grpc().await;
    grpc.check_resource(CheckResourceRequest { resource_change_json: body, fail_on: String::new() }).await.unwrap();
    let (status, text) = get_text(&format!("{}/metrics", server.url)).await;
    assert_eq!(status, 200);
    for expected in [
        r#"oppie_policy_requests_total{protocol="http",route="/v1/check/resource",status="200"} 3"#,
        r#"oppie_policy_requests_total{protocol="http",route="/v1/check",status="400"} 1"#,
        r#"oppie_policy_requests_total{protocol="grpc",route="CheckResource",status="0"} 1"#,
        "oppie_policy_evaluations_total 4",
        &hard,
        "oppie_policy_in_flight_evaluations 0",
        "# TYPE oppie_policy_request_duration_seconds histogram",
    ] {
        assert!(text.contains(expected), "missing {expected}:\n{text}");
    }
    let rules = text.lines().find_map(|l| l.strip_prefix("oppie_policy_rules ")).unwrap();
    assert!(rules.parse::<u32>().unwrap() > 30, "{rules}");
}

/// A rule that takes a noticeable time, to hold an evaluation in flight.
fn slow_policy(dir: &Path) {
    std::fs::write(
        dir.join("slow.rego"),
        "package slow\n\ndeny contains msg if {\n\tsome rc in input.resource_changes\n\tn := count([x | some x in numbers.range(1, 300000); x % 7 == 0])\n\tmsg := sprintf(\"%s counted %d\", [rc.address, n])\n}\n",
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn graceful_shutdown_finishes_the_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    slow_policy(dir.path());
    let mut server = Served::start(&["--policy", dir.path().to_str().unwrap()]);
    let url = format!("{}/v1/check/resource", server.url);
    let body = serde_json::to_vec(&open_ssh_change()).unwrap();
    let started = Instant::now();
    let in_flight = tokio::spawn(post_json_owned(url.clone(), body.clone()));
    // Wait until the evaluation is running (the gauge), then ask the server to stop.
    let metrics_url = format!("{}/metrics", server.url);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !get_text(&metrics_url).await.1.contains("oppie_policy_in_flight_evaluations 1") {
        assert!(Instant::now() < deadline, "the evaluation never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.signal("TERM");
    let (status, answer) = in_flight.await.unwrap();
    assert_eq!(status, 200, "{answer}");
    assert!(answer["findings"][0]["message"].as_str().unwrap().contains("counted 42857"), "{answer}");
    let exit = tokio::task::spawn_blocking(move || {
        let status = server.child.wait().unwrap();
        (status, server.logs())
    })
    .await
    .unwrap();
    assert_eq!(exit.0.code(), Some(0), "{}", exit.1);
    assert!(exit.1.contains("shutting down"), "{}", exit.1);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(client().post(&url).body(body).send().await.is_err(), "no longer accepting");
}

async fn post_json_owned(url: String, body: Vec<u8>) -> (u16, Value) {
    post_json(&url, body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_beyond_the_concurrency_bound_get_503() {
    let dir = tempfile::tempdir().unwrap();
    slow_policy(dir.path());
    let server =
        Served::start(&["--policy", dir.path().to_str().unwrap(), "--max-concurrency", "1", "--max-queue", "0"]);
    let url = format!("{}/v1/check/resource", server.url);
    let body = serde_json::to_vec(&open_ssh_change()).unwrap();
    let first = tokio::spawn(post_json_owned(url.clone(), body.clone()));
    let metrics_url = format!("{}/metrics", server.url);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !get_text(&metrics_url).await.1.contains("oppie_policy_in_flight_evaluations 1") {
        assert!(Instant::now() < deadline, "the evaluation never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let response = client().post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let mut grpc = server.grpc().await;
    let refused = grpc
        .check_resource(CheckResourceRequest { resource_change_json: body, fail_on: String::new() })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unavailable);
    assert_eq!(first.await.unwrap().0, 200);
    let (_, text) = get_text(&metrics_url).await;
    assert!(text.contains(r#"oppie_policy_rejected_requests_total{reason="overloaded"} 2"#), "{text}");
}

#[test]
fn bad_policies_stop_the_server_with_exit_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_oppie-policy"))
        .args(["serve", "--addr", "127.0.0.1:0", "--policy"])
        .arg(fixture("broken"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.rego:"), "{stderr}");
    let mut out = String::new();
    output.stdout.as_slice().read_to_string(&mut out).unwrap();
    assert!(out.is_empty(), "nothing served: {out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_get_404_and_chunked_bodies_over_the_limit_get_the_json_error() {
    let served = Served::start(&["-p", repo_policies().to_str().unwrap(), "--max-body", "1KiB"]);
    let response = client().get(format!("{}/v2/nothing", served.url)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    // No Content-Length: the body comes in chunks past the 1 KiB limit.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(format!("127.0.0.1:{}", served.port)).await.unwrap();
    let mut request = b"POST /v1/check HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..64 {
        request.extend_from_slice(b"400\r\n");
        request.extend_from_slice(&[b' '; 1024]);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let _ = stream.write_all(&request).await;
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/json") && answer.contains("request_too_large"), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_connections_are_closed_and_cannot_crowd_out_health() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let served = Served::start(&[
        "-p",
        repo_policies().to_str().unwrap(),
        "--token",
        "secret",
        "--header-timeout",
        "1s",
        "--max-connections",
        "40",
    ]);
    let address = format!("127.0.0.1:{}", served.port);
    // Silent connections (slowloris): more than the server holds for unproven clients.
    let mut idle = Vec::new();
    for _ in 0..60 {
        if let Ok(stream) = tokio::net::TcpStream::connect(&address).await {
            idle.push(stream);
        }
    }
    // They are closed after the header timeout...
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut closed = 0;
    for stream in &mut idle {
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut byte)).await {
            Ok(Ok(0)) | Ok(Err(_)) => closed += 1,
            _ => {}
        }
    }
    assert_eq!(closed, idle.len(), "every silent connection is closed");
    // ... and a slow request head is cut off too.
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), slow.read_to_end(&mut rest)).await;
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"), "a head sent too slowly is not served");
    // The health check still answers while more silent clients arrive.
    let mut more = Vec::new();
    for _ in 0..30 {
        if let Ok(stream) = tokio::net::TcpStream::connect(&address).await {
            more.push(stream);
        }
    }
    let (status, _) = get_text(&format!("{}/health", served.url)).await;
    assert_eq!(status, 200);
    drop(more);
}

/// The package's directory: cargo's `CARGO_MANIFEST_DIR` when it runs this binary, else the one it
/// was built from. Not the build-time value alone: a target directory shared by several clones
/// (CI's, outside the clone) reuses a build from another clone, which may be gone by now.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}
