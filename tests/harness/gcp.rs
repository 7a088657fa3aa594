//! GCP through local fakes: one `gcp_fake.py` per test process (Compute Engine and Cloud DNS checked
//! against Google's discovery documents, Cloud Storage through fake-gcs-server), a lock that runs GCP
//! tests one at a time with Compute state reset before each, and helpers for out-of-band calls.

use std::process::{Child, ChildStdin};
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::aws::{http, spawn_python};
use crate::terraform::{Terraform, Version};

/// The project every GCP test uses.
pub const PROJECT: &str = "oppie-test";

struct Server {
    port: u16,
    violations: tempfile::NamedTempFile,
    _lifeline: ChildStdin,
    _child: Child,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let violations = tempfile::NamedTempFile::new().expect("violations log");
        let (child, stdin, port) = spawn_python("gcp_fake.py", &[violations.path().display().to_string()], &[]);
        Server { port, violations, _lifeline: stdin, _child: child }
    })
}

/// One GCP test: holds the lock; the fake's Compute state is fresh.
pub struct GcpTest {
    _guard: MutexGuard<'static, ()>,
    port: u16,
}

/// Starts a GCP test: waits for the lock, resets the fake.
pub fn gcp_test() -> GcpTest {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let port = server().port;
    let (status, body) = http(port, "POST", "/_fake/reset", "").expect("reset the fake");
    assert_eq!(status, 200, "reset: {body}");
    GcpTest { _guard: guard, port }
}

impl GcpTest {
    /// The Compute Engine base URL (the form of the Google provider's `compute_custom_endpoint`).
    pub fn compute_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/compute/v1/", self.port)
    }

    /// The Cloud Storage base URL.
    pub fn storage_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/storage/v1/", self.port)
    }

    /// A `provider "oppie"` block for GCP on the fakes, no credentials, default tags.
    pub fn provider(&self) -> String {
        self.provider_at(&format!("http://127.0.0.1:{}", self.port))
    }

    /// The same, reaching the fakes at `base` (a fault proxy in front of them).
    pub fn provider_at(&self, base: &str) -> String {
        format!(
            r#"provider "oppie" {{
  default_cloud  = "gcp"
  default_region = "us-east"
  default_tags   = {{ project = "shop", environment = "dev" }}
  gcp {{
    project      = "{PROJECT}"
    max_attempts = 4
    endpoints = {{
      compute  = "{base}/compute/v1/"
      storage  = "{base}/storage/v1/"
      dns      = "{base}/dns/v1/"
      sqladmin = "{base}/sqladmin/"
      redis    = "{base}/redis/"
      cloudkms = "{base}/cloudkms/"
    }}
  }}
}}
"#
        )
    }

    /// A Cloud DNS call made out of band: `path` under the project.
    pub fn dns(&self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        let (status, text) = http(self.port, method, &format!("/dns/v1/projects/{PROJECT}/{path}"), body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    /// The fake's URL, for a fault proxy in front of it.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every Compute object the fake holds: (path, kind, network path).
    pub fn objects(&self) -> Vec<(String, String, Option<String>)> {
        let (_, body) = http(self.port, "GET", "/_fake/objects", "").expect("objects");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        v["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                let s = |k: &str| o[k].as_str().unwrap_or_default().to_string();
                (s("path"), s("kind"), o["network"].as_str().map(str::to_string))
            })
            .collect()
    }

    /// A Terraform 1.15 working directory whose provider finds no Google credentials of the
    /// user's and no metadata server.
    pub fn terraform(&self) -> Terraform {
        let mut tf = Terraform::new(Version::Latest);
        for (k, v) in no_credentials_env() {
            tf.env(k, v);
        }
        tf
    }

    /// A Compute call made out of band (like gcloud would): `path` under the project.
    pub fn compute(&self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        let (status, text) = http(self.port, method, &format!("/compute/v1/projects/{PROJECT}/{path}"), body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    /// A Cloud Storage call made out of band: `path` under /storage/v1/.
    pub fn storage(&self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        let (status, text) = http(self.port, method, &format!("/storage/v1/{path}"), body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    /// The fake's Cloud SQL, Memorystore and Cloud KMS objects (see tests/tools/gcp_data.py).
    pub fn data(&self) -> serde_json::Value {
        let (_, body) = http(self.port, "GET", "/_fake/data", "").expect("data objects");
        serde_json::from_str(&body).unwrap_or_default()
    }

    /// Whether Cloud SQL user `user` of `instance` ("project/name") has `password`.
    pub fn sql_password_is(&self, instance: &str, user: &str, password: &str) -> bool {
        let ask = serde_json::json!({"instance": instance, "user": user, "password": password});
        let (_, body) = http(self.port, "POST", "/_fake/sql-password", &ask.to_string()).expect("password check");
        serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default()["matches"] == true
    }

    /// Makes the fake misbehave (see tests/tools/gcp_fake.py for the fields).
    pub fn fault(&self, rule: serde_json::Value) {
        let (status, body) = http(self.port, "POST", "/_fake/faults", &rule.to_string()).expect("add fault");
        assert_eq!(status, 200, "{body}");
    }

    /// Drops the faults not used up.
    pub fn clear_faults(&self) {
        let (status, body) = http(self.port, "DELETE", "/_fake/faults", "").expect("clear faults");
        assert_eq!(status, 200, "{body}");
    }

    /// Every API call since the reset, as "method-id status".
    pub fn calls(&self) -> Vec<String> {
        let (_, body) = http(self.port, "GET", "/_fake/calls", "").expect("calls");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        v["calls"].as_array().into_iter().flatten().filter_map(|c| c.as_str().map(str::to_string)).collect()
    }

    /// A service-account key file (JSON) whose token endpoint is the fake's.
    pub fn service_account_key(&self) -> String {
        let (status, body) = http(self.port, "GET", "/_fake/service-account", "").expect("service account");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Every API call since the reset, as "method-id bearer" or "method-id none".
    pub fn auth_calls(&self) -> Vec<String> {
        let (_, body) = http(self.port, "GET", "/_fake/auth", "").expect("auth calls");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        v["calls"].as_array().into_iter().flatten().filter_map(|c| c.as_str().map(str::to_string)).collect()
    }

    /// The violations logged so far, emptying the log (for tests of the fake itself).
    pub fn take_violations(&self) -> String {
        let path = server().violations.path();
        let text = std::fs::read_to_string(path).unwrap_or_default();
        std::fs::write(path, "").expect("empty the violations log");
        text
    }

    /// How many calls of `method` (e.g. "compute.networks.insert") the fake answered.
    pub fn count(&self, method: &str) -> usize {
        self.calls().iter().filter(|c| c.split(' ').next() == Some(method)).count()
    }
}

impl Drop for GcpTest {
    /// Every test fails if the provider sent anything the API description does not have.
    fn drop(&mut self) {
        let text = std::fs::read_to_string(server().violations.path()).unwrap_or_default();
        if !text.is_empty() && !std::thread::panicking() {
            let _ = std::fs::write(server().violations.path(), "");
            panic!("requests outside Google's API description:\n{text}");
        }
    }
}

/// Environment for a provider process that must not find any Google credentials.
pub fn no_credentials_env() -> [(&'static str, &'static str); 3] {
    [
        ("GOOGLE_APPLICATION_CREDENTIALS", ""),
        ("CLOUDSDK_CONFIG", "/nonexistent/oppie-gcloud"),
        ("GCE_METADATA_HOST", "127.0.0.1:9"),
    ]
}
