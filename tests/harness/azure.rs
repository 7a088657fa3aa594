//! Azure through a fake Resource Manager (tests/fakes/azure/fake_arm.py, which checks every
//! request against the published API description) and Azurite for blob containers: one of
//! each per test process, a lock that runs Azure tests one at a time with the fake reset
//! before each, and helpers to look at and change things out of band.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use aws_lc_rs::hmac;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::aws::http;
use crate::terraform::{Terraform, Version, repo_root, tools_dir};

/// The subscription the tests use.
pub const SUBSCRIPTION: &str = "00000000-0000-0000-0000-0000000000aa";

/// Azurite's development account and published key.
const DEV_ACCOUNT: &str = "devstoreaccount1";
const DEV_KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

struct Process {
    port: u16,
    _lifeline: Option<ChildStdin>,
    child: Child,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fake_arm() -> &'static Mutex<Process> {
    static ARM: OnceLock<Mutex<Process>> = OnceLock::new();
    ARM.get_or_init(|| {
        let mut child = Command::new("python3")
            .arg(repo_root().join("tests/fakes/azure/fake_arm.py"))
            .arg("0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start fake_arm.py");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read port line");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("fake_arm.py said {line:?}"));
        Mutex::new(Process { port, _lifeline: stdin, child })
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn azurite() -> &'static Mutex<Process> {
    static AZURITE: OnceLock<Mutex<Process>> = OnceLock::new();
    AZURITE.get_or_init(|| {
        let bin = tools_dir().join("node_modules/.bin/azurite-blob");
        assert!(bin.exists(), "{} missing: run `make tools`", bin.display());
        let port = free_port();
        // Through tests/tools/lifeline.py, which holds azurite only while this process holds its
        // stdin: the static is never dropped, and azurite would outlive every test run.
        let mut child = Command::new("python3")
            .arg(repo_root().join("tests/tools/lifeline.py"))
            .arg(bin)
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string(), "--inMemoryPersistence", "--silent"])
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start azurite-blob");
        let lifeline = child.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(60);
        while http(port, "GET", "/", "").is_err() {
            assert!(Instant::now() < deadline, "azurite did not answer on port {port}");
            std::thread::sleep(Duration::from_millis(200));
        }
        Mutex::new(Process { port, _lifeline: lifeline, child })
    })
}

fn port_of(p: &'static Mutex<Process>) -> u16 {
    p.lock().unwrap_or_else(std::sync::PoisonError::into_inner).port
}

/// One Azure test: holds the lock; the fake ARM is fresh.
pub struct AzureTest {
    _guard: MutexGuard<'static, ()>,
    /// The fake ARM's port.
    pub arm: u16,
    /// Azurite's blob port.
    pub blob: u16,
}

/// Starts an Azure test: waits for the lock, resets the fake.
pub fn azure_test() -> AzureTest {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let arm = port_of(fake_arm());
    let blob = port_of(azurite());
    let t = AzureTest { _guard: guard, arm, blob };
    t.control("reset", &json!({}));
    t
}

impl AzureTest {
    /// The fake's management endpoint, as the provider block takes it.
    pub fn management(&self) -> String {
        format!("http://127.0.0.1:{}/", self.arm)
    }

    /// Azurite's account URL, path style.
    pub fn blob_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/{DEV_ACCOUNT}", self.blob)
    }

    /// A `provider "oppie"` block for Azure with `management` as the ARM endpoint.
    pub fn provider_with(&self, management: &str, extra: &str) -> String {
        self.provider_via(management, &self.blob_endpoint(), extra)
    }

    /// Azurite's URL (for a fault proxy in front of it).
    pub fn blob_base(&self) -> String {
        format!("http://127.0.0.1:{}", self.blob)
    }

    /// A provider block reaching ARM at `management` and blob storage at `blob`.
    pub fn provider_via(&self, management: &str, blob: &str, extra: &str) -> String {
        format!(
            r#"provider "oppie" {{
  default_cloud  = "azure"
  default_region = "eu-west"
  default_tags   = {{ project = "shop", environment = "dev" }}
  azure {{
    subscription_id = "{SUBSCRIPTION}"
    max_attempts    = 4
    endpoints = {{
      management = "{management}"
      blob       = "{blob}"
    }}
{extra}  }}
}}
"#
        )
    }

    /// The provider block pointing at the fake.
    pub fn provider(&self) -> String {
        self.provider_with(&self.management(), "")
    }

    /// A Terraform 1.15 working directory whose provider sees no Azure credentials of the
    /// machine (no ARM_* variables, no Azure CLI files).
    pub fn terraform(&self) -> Terraform {
        let mut tf = Terraform::new(Version::Latest);
        tf.env("AZURE_CONFIG_DIR", "/nonexistent/oppie-test-azure");
        for k in ["ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID", "ARM_USE_MSI"] {
            tf.env(k, "");
        }
        tf
    }

    /// POSTs to a control endpoint of the fake (`reset`, `faults`, `fail_operation`,
    /// `drift`, `remove`); returns the answer.
    pub fn control(&self, what: &str, body: &Value) -> Value {
        let (status, text) =
            http(self.arm, "POST", &format!("/_fake/{what}"), &body.to_string()).expect("fake control");
        assert_eq!(status, 200, "/_fake/{what}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// The token requests the fake's Entra ID endpoint answered (form fields).
    pub fn tokens(&self) -> Vec<Value> {
        self.fetch("tokens").as_array().cloned().unwrap_or_default()
    }

    fn fetch(&self, what: &str) -> Value {
        let (status, text) = http(self.arm, "GET", &format!("/_fake/{what}"), "").expect("fake query");
        assert_eq!(status, 200, "/_fake/{what}: {text}");
        serde_json::from_str(&text).expect("fake JSON")
    }

    /// Every ARM request so far: method, path, api_version, status, authorization.
    pub fn requests(&self) -> Vec<Value> {
        self.fetch("requests").as_array().cloned().unwrap_or_default()
    }

    /// Requests of `method` whose path ends with `suffix` (case-insensitive).
    pub fn count(&self, method: &str, suffix: &str) -> usize {
        let s = suffix.to_ascii_lowercase();
        self.requests()
            .iter()
            .filter(|r| {
                r["method"] == method && r["path"].as_str().is_some_and(|p| p.to_ascii_lowercase().ends_with(&s))
            })
            .count()
    }

    /// Fails the test when the fake rejected a request as not matching the API description.
    #[track_caller]
    pub fn assert_conforming(&self) {
        let r = self.fetch("rejections");
        assert_eq!(r, json!([]), "requests the ARM API description does not allow");
    }

    /// Every resource the fake holds, by lower-case id.
    pub fn resources(&self) -> serde_json::Map<String, Value> {
        self.fetch("resources").as_object().cloned().unwrap_or_default()
    }

    /// The resource with `id`, if the fake holds it.
    pub fn resource(&self, id: &str) -> Option<Value> {
        self.resources().get(&id.to_ascii_lowercase()).cloned()
    }

    /// Container names in Azurite's development account.
    pub fn containers(&self) -> Vec<String> {
        let (status, body) = self.blob_request("GET", "?comp=list", &[("comp", "list")]);
        assert_eq!(status, 200, "list containers: {body}");
        body.split("<Name>").skip(1).filter_map(|s| s.split_once("</Name>").map(|(n, _)| n.to_string())).collect()
    }

    /// Deletes a container behind the provider's back.
    pub fn delete_container(&self, name: &str) {
        let (status, body) =
            self.blob_request("DELETE", &format!("{name}?restype=container"), &[("restype", "container")]);
        assert_eq!(status, 202, "delete container: {body}");
    }

    /// A Shared Key request to Azurite (`path` relative to the account, query in it).
    fn blob_request(&self, method: &str, path: &str, query: &[(&str, &str)]) -> (u16, String) {
        let date = "Mon, 23 Nov 2026 00:00:00 GMT";
        let resource_path = path.split('?').next().unwrap_or_default();
        let mut canon = format!("/{DEV_ACCOUNT}/{DEV_ACCOUNT}/{resource_path}");
        let mut q: Vec<_> = query.to_vec();
        q.sort();
        for (k, v) in q {
            canon.push_str(&format!("\n{k}:{v}"));
        }
        let to_sign = format!("{method}\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:2021-12-02\n{canon}");
        let key = base64::engine::general_purpose::STANDARD.decode(DEV_KEY).expect("dev key");
        let sig = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), to_sign.as_bytes());
        let auth =
            format!("SharedKey {DEV_ACCOUNT}:{}", base64::engine::general_purpose::STANDARD.encode(sig.as_ref()));
        let headers = [("x-ms-date", date.to_string()), ("x-ms-version", "2021-12-02".into()), ("Authorization", auth)];
        http_with(self.blob, method, &format!("/{DEV_ACCOUNT}/{path}"), &headers).expect("azurite")
    }
}

/// An HTTP/1.1 request without body and with extra headers; status and body.
fn http_with(port: u16, method: &str, path: &str, headers: &[(&str, String)]) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// The ARM id of resource group `rg` in the test subscription.
pub fn group_id(rg: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}")
}
