//! GCP configuration: project, credentials, the Compute Engine, Cloud Storage and Cloud DNS base URLs
//! (overridable like the Google provider's custom endpoints), retries, and long-running
//! Compute operations polled with bounded backoff.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tfplug::Diagnostics;
use tokio::sync::Mutex;

use super::{GcpRegion, auth, errors};
use crate::clouds::http::{self, Api, Call, TokenSource};
use crate::clouds::{CloudError, ErrorKind};

/// Default attempts per call (first try included).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Compute Engine API base.
pub const COMPUTE: &str = "https://compute.googleapis.com/compute/v1/";
/// Cloud Storage JSON API base.
pub const STORAGE: &str = "https://storage.googleapis.com/storage/v1/";
/// Cloud DNS API base.
pub const DNS: &str = "https://dns.googleapis.com/dns/v1/";
/// Cloud SQL Admin API base (paths start `v1/`).
pub const SQLADMIN: &str = "https://sqladmin.googleapis.com/";
/// Memorystore for Redis API base (paths start `v1/`).
pub const REDIS: &str = "https://redis.googleapis.com/";
/// Cloud KMS API base (paths start `v1/`).
pub const CLOUDKMS: &str = "https://cloudkms.googleapis.com/";

/// The `gcp { ... }` block of the provider.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Project id every resource goes to.
    pub project: Option<String>,
    /// Service-account key JSON (content or path); else the default chain.
    pub credentials: Option<crate::secret::Secret>,
    /// Compute Engine base URL override.
    pub compute_endpoint: Option<String>,
    /// Cloud Storage base URL override.
    pub storage_endpoint: Option<String>,
    /// Cloud DNS base URL override.
    pub dns_endpoint: Option<String>,
    /// Cloud SQL Admin base URL override.
    pub sqladmin_endpoint: Option<String>,
    /// Memorystore for Redis base URL override.
    pub redis_endpoint: Option<String>,
    /// Cloud KMS base URL override.
    pub cloudkms_endpoint: Option<String>,
    /// Attempts per call.
    pub max_attempts: u32,
}

struct Shared {
    compute: url::Url,
    storage: url::Url,
    dns: url::Url,
    /// Cloud SQL, Memorystore and Cloud KMS bases, each with its tokens.
    services: [(url::Url, Option<Arc<dyn TokenSource>>); 3],
    /// Tokens for Compute calls; `None`: unauthenticated (an emulator on this machine).
    compute_auth: Option<Arc<dyn TokenSource>>,
    /// Tokens for Cloud Storage calls.
    storage_auth: Option<Arc<dyn TokenSource>>,
    /// Tokens for Cloud DNS calls.
    dns_auth: Option<Arc<dyn TokenSource>>,
    http: reqwest::Client,
}

/// GCP for the whole provider process: credentials built on first use, one client set per region.
pub struct GcpCloud {
    settings: Settings,
    shared: tokio::sync::OnceCell<Result<Arc<Shared>, String>>,
    regions: Mutex<HashMap<String, Arc<GcpRegion>>>,
}

fn config_error(detail: impl Into<String>) -> Diagnostics {
    Diagnostics::error("Invalid gcp provider settings", detail.into())
}

impl GcpCloud {
    /// Nothing is read until a region is asked for.
    pub fn new(settings: Settings) -> Self {
        GcpCloud { settings, shared: tokio::sync::OnceCell::new(), regions: Mutex::new(HashMap::new()) }
    }

    /// True when requests would carry credentials configured explicitly (a key, or the
    /// environment's key file); planning only then asks the cloud for image ids.
    pub fn has_explicit_credentials(&self) -> bool {
        self.settings.credentials.as_ref().is_some_and(|c| !c.expose().trim().is_empty())
            || std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS").is_some_and(|v| !v.is_empty())
    }

    async fn shared(&self) -> Result<Arc<Shared>, Diagnostics> {
        let r = self
            .shared
            .get_or_init(|| async {
                let compute = http::base_url(self.settings.compute_endpoint.as_deref().unwrap_or(COMPUTE), "compute")?;
                let storage = http::base_url(self.settings.storage_endpoint.as_deref().unwrap_or(STORAGE), "storage")?;
                let dns = http::base_url(self.settings.dns_endpoint.as_deref().unwrap_or(DNS), "dns")?;
                let s = &self.settings;
                let sql = http::base_url(s.sqladmin_endpoint.as_deref().unwrap_or(SQLADMIN), "sqladmin")?;
                let redis = http::base_url(s.redis_endpoint.as_deref().unwrap_or(REDIS), "redis")?;
                let kms = http::base_url(s.cloudkms_endpoint.as_deref().unwrap_or(CLOUDKMS), "cloudkms")?;
                let client = http::http_client().map_err(|e| e.message)?;
                // Each API on this machine (an emulator) goes unauthenticated unless
                // credentials are configured explicitly; the others use the whole chain.
                let explicit = self.has_explicit_credentials();
                let local = |u: &url::Url| !explicit && http::is_loopback(u);
                let chain = if [&compute, &storage, &dns, &sql, &redis, &kms].iter().all(|u| local(u)) {
                    None
                } else {
                    let source = auth::choose(self.settings.credentials.as_ref().map(crate::secret::Secret::expose))?;
                    Some(auth::Credentials::new(source, client.clone()) as Arc<dyn TokenSource>)
                };
                let auth_for = |u: &url::Url| if local(u) { None } else { chain.clone() };
                let compute_auth = auth_for(&compute);
                let storage_auth = auth_for(&storage);
                let dns_auth = auth_for(&dns);
                let services =
                    [(sql.clone(), auth_for(&sql)), (redis.clone(), auth_for(&redis)), (kms.clone(), auth_for(&kms))];
                Ok(Arc::new(Shared {
                    compute,
                    storage,
                    dns,
                    services,
                    compute_auth,
                    storage_auth,
                    dns_auth,
                    http: client,
                }))
            })
            .await;
        r.clone().map_err(config_error)
    }

    /// The clients for native region `region`.
    pub async fn region(&self, region: &str) -> Result<Arc<GcpRegion>, Diagnostics> {
        let mut regions = self.regions.lock().await;
        if let Some(r) = regions.get(region) {
            return Ok(r.clone());
        }
        let project = self.settings.project.clone().filter(|p| !p.is_empty()).ok_or_else(|| {
            config_error("Set gcp { project } in the provider block: every GCP resource belongs to a project.")
        })?;
        let s = self.shared().await?;
        let attempts = self.settings.max_attempts.max(1);
        let r = Arc::new(GcpRegion {
            project,
            region: region.to_string(),
            compute_base: s.compute.clone(),
            storage_base: s.storage.clone(),
            dns_base: s.dns.clone(),
            compute: Api::new(s.http.clone(), attempts, s.compute_auth.clone(), Arc::new(errors::Compute)),
            storage: Api::new(s.http.clone(), attempts, s.storage_auth.clone(), Arc::new(errors::Storage)),
            dns: Api::new(s.http.clone(), attempts, s.dns_auth.clone(), Arc::new(errors::Dns)),
            sql_base: s.services[0].0.clone(),
            sql: Api::new(s.http.clone(), attempts, s.services[0].1.clone(), Arc::new(errors::Named("GCP Cloud SQL"))),
            redis_base: s.services[1].0.clone(),
            redis: Api::new(
                s.http.clone(),
                attempts,
                s.services[1].1.clone(),
                Arc::new(errors::Named("GCP Memorystore")),
            ),
            kms_base: s.services[2].0.clone(),
            kms: Api::new(s.http.clone(), attempts, s.services[2].1.clone(), Arc::new(errors::Named("GCP Cloud KMS"))),
            pending: std::sync::Mutex::new(HashMap::new()),
        });
        regions.insert(region.to_string(), r.clone());
        Ok(r)
    }
}

/// A fresh request id: Compute Engine ignores a repeated request carrying the same id, so
/// a retried insert or action never happens twice.
pub fn request_id() -> String {
    let h = crate::clouds::creation_token();
    format!("{}-{}-4{}-8{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

impl GcpRegion {
    /// A Compute Engine URL under the project: `path` like "global/networks".
    pub fn compute_url(&self, path: &str, query: &[(&str, &str)]) -> url::Url {
        http::join(&self.compute_base, &format!("projects/{}/{path}", self.project), query)
    }

    /// A Cloud Storage URL.
    pub fn storage_url(&self, path: &str, query: &[(&str, &str)]) -> url::Url {
        http::join(&self.storage_base, path, query)
    }

    /// A Cloud DNS URL under the project: `path` like "managedZones".
    pub fn dns_url(&self, path: &str, query: &[(&str, &str)]) -> url::Url {
        http::join(&self.dns_base, &format!("projects/{}/{path}", self.project), query)
    }

    /// GET of a Cloud DNS object; `None` when it is gone.
    pub async fn dns_get(&self, path: &str, op: &str) -> Result<Option<Value>, CloudError> {
        Ok(self.dns.get_opt(Call::new(Method::GET, self.dns_url(path, &[]), op)).await?.map(|r| r.json))
    }

    /// A Cloud DNS call with an optional body; its answer (Cloud DNS changes are applied
    /// when answered, or reported as a change the caller reads back).
    pub async fn dns_send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        op: &str,
    ) -> Result<Value, CloudError> {
        let mut call = Call::new(method, self.dns_url(path, &[]), op);
        if let Some(b) = body {
            call = call.json(b);
        }
        Ok(self.dns.send(call).await?.json)
    }

    /// GET of a Compute object; `None` when it is gone.
    pub async fn compute_get(&self, path: &str, op: &str) -> Result<Option<Value>, CloudError> {
        Ok(self.compute.get_opt(Call::new(Method::GET, self.compute_url(path, &[]), op)).await?.map(|r| r.json))
    }

    /// Sends a Compute call that answers with an Operation (carrying a fresh request id,
    /// so retries are safe) and waits until the operation is done.
    pub async fn compute_op(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        op: &str,
    ) -> Result<Value, CloudError> {
        let operation = self.compute_start(method, path, query, body, op).await?;
        self.wait(operation, op).await
    }

    /// Sends a Compute call that answers with an Operation (with a fresh request id) and
    /// returns the operation as accepted, not yet done.
    pub async fn compute_start(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        op: &str,
    ) -> Result<Value, CloudError> {
        let rid = request_id();
        let mut q: Vec<(&str, &str)> = query.to_vec();
        q.push(("requestId", &rid));
        let mut call = Call::new(method, self.compute_url(path, &q), op);
        if let Some(b) = body {
            call = call.json(b);
        }
        Ok(self.compute.send(call).await?.json)
    }

    /// Starts a Compute call that makes (or changes) object `id` and remembers its operation,
    /// so [`GcpRegion::finish`] can wait for it: the caller records `id` in between.
    pub async fn begin(
        &self,
        id: &str,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        op: &str,
    ) -> Result<(), CloudError> {
        let operation = self.compute_start(method, path, query, body, op).await?;
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(id.to_string(), operation);
        }
        Ok(())
    }

    /// Waits for the operation [`GcpRegion::begin`] started on `id` in this process, if any.
    pub async fn finish(&self, id: &str, op: &str) -> Result<(), CloudError> {
        let operation = self.pending.lock().ok().and_then(|mut p| p.remove(id));
        match operation {
            Some(o) => self.wait(o, op).await.map(|_| ()),
            None => Ok(()),
        }
    }

    /// Polls an Operation until DONE (0.25 s, growing to 5 s); its error becomes ours.
    pub async fn wait(&self, operation: Value, op: &str) -> Result<Value, CloudError> {
        let name = operation["name"].as_str().unwrap_or_default().to_string();
        let scope = if let Some(z) = operation["zone"].as_str() {
            format!("zones/{}/operations/{name}", last(z))
        } else if let Some(r) = operation["region"].as_str() {
            format!("regions/{}/operations/{name}", last(r))
        } else {
            format!("global/operations/{name}")
        };
        let current = if operation["status"] == "DONE" {
            operation
        } else {
            crate::clouds::wait::poll(Duration::from_secs(5), || async {
                let r =
                    self.compute.send(Call::new(Method::GET, self.compute_url(&scope, &[]), "operations.get")).await?;
                Ok((r.json["status"] == "DONE").then_some(r.json))
            })
            .await?
        };
        if let Some(err) = current["error"]["errors"].as_array().and_then(|e| e.first()) {
            let code = err["code"].as_str().unwrap_or("OPERATION_FAILED").to_string();
            let kind = match code.as_str() {
                "RESOURCE_NOT_FOUND" | "NOT_FOUND" => ErrorKind::NotFound,
                "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE" | "RESOURCE_NOT_READY" => ErrorKind::InUse,
                "QUOTA_EXCEEDED" | "INVALID_USAGE" | "INVALID_FIELD_VALUE" | "ALREADY_EXISTS" => ErrorKind::Invalid,
                "ZONE_RESOURCE_POOL_EXHAUSTED" | "INTERNAL_ERROR" => ErrorKind::Transient,
                _ => ErrorKind::Other,
            };
            return Err(CloudError {
                kind,
                service: "GCP Compute",
                operation: op.to_string(),
                code: Some(code),
                message: err["message"].as_str().unwrap_or("the operation failed").to_string(),
                request_id: current["id"].as_str().map(|id| format!("operation {name} ({id})")),
            });
        }
        Ok(current)
    }
}

impl GcpRegion {
    /// Every item of a Compute `list` (`path` like "global/networks"), following pages.
    pub async fn compute_list(&self, path: &str, op: &str) -> Result<Vec<Value>, CloudError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let q: Vec<(&str, &str)> = token.as_deref().map(|t| vec![("pageToken", t)]).unwrap_or_default();
            let r = self.compute.send(Call::new(Method::GET, self.compute_url(path, &q), op)).await?.json;
            out.extend(r["items"].as_array().into_iter().flatten().cloned());
            match r["nextPageToken"].as_str().filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t.to_string()),
                None => return Ok(out),
            }
        }
    }

    /// Every item of a Compute `aggregatedList` of `collection` ("instances") in this region's
    /// zones, with the zone's name, following pages.
    pub async fn compute_aggregated(&self, collection: &str, op: &str) -> Result<Vec<(String, Value)>, CloudError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let prefix = format!("zones/{}-", self.region);
        loop {
            let q: Vec<(&str, &str)> = token.as_deref().map(|t| vec![("pageToken", t)]).unwrap_or_default();
            let path = format!("aggregated/{collection}");
            let r = self.compute.send(Call::new(Method::GET, self.compute_url(&path, &q), op)).await?.json;
            for (scope, list) in r["items"].as_object().into_iter().flatten() {
                let Some(zone) = scope.strip_prefix("zones/").filter(|_| scope.starts_with(&prefix)) else { continue };
                for item in list[collection].as_array().into_iter().flatten() {
                    out.push((zone.to_string(), item.clone()));
                }
            }
            match r["nextPageToken"].as_str().filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t.to_string()),
                None => return Ok(out),
            }
        }
    }
}

/// The last path segment of a URL or resource path.
pub fn last(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// A Compute resource path from a full URL ("https://.../compute/v1/projects/p/..." ->
/// "projects/p/..."); paths pass through.
pub fn resource_path(s: &str) -> String {
    match s.find("/projects/") {
        Some(i) => s[i + 1..].to_string(),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_ids() {
        assert_eq!(last("https://x/compute/v1/projects/p/zones/us-east1-b"), "us-east1-b");
        assert_eq!(resource_path("https://x/compute/v1/projects/p/global/networks/n"), "projects/p/global/networks/n");
        assert_eq!(resource_path("projects/p/global/networks/n"), "projects/p/global/networks/n");
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
    }
}
