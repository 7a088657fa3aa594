//! Azure configuration and the ARM request verbs every resource file uses: PUT, PATCH and
//! DELETE as long-running operations (polled on `Azure-AsyncOperation` or `Location`), GET.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tfplug::Diagnostics;
use tokio::sync::Mutex;

use super::AzureRegion;
use super::auth::{self, Credentials, Inputs};
use super::errors::{Arm, Blob};
use crate::clouds::http::{self, Api, Call, Reply, TokenSource};
use crate::clouds::{CloudError, ErrorKind};

/// Default number of attempts per API call (first try plus retries).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// The public cloud's Resource Manager, as the azurerm provider spells it.
pub const PUBLIC_MANAGEMENT: &str = "https://management.azure.com/";

/// Microsoft Entra ID of the public cloud.
pub const PUBLIC_AUTHORITY: &str = "https://login.microsoftonline.com/";

/// Longest pause between two polls of a long-running operation.
const POLL_CAP: Duration = Duration::from_secs(10);

/// The `azure { ... }` block of the provider (the `ARM_*` variables fill its gaps).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Subscription holding every resource.
    pub subscription_id: Option<String>,
    /// Credentials.
    pub inputs: Inputs,
    /// Resource Manager base URL (default the public cloud's).
    pub management: Option<String>,
    /// Blob service base URL; default `https://<account>.blob.core.windows.net/`.
    pub blob: Option<String>,
    /// Entra ID base URL (default the public cloud's).
    pub authority: Option<String>,
    /// Attempts per call, retries included.
    pub max_attempts: u32,
}

impl Settings {
    /// The settings with `ARM_*` variables filling what the block leaves unset.
    pub fn with_env(mut self) -> Settings {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        self.subscription_id = self.subscription_id.or_else(|| env("ARM_SUBSCRIPTION_ID"));
        self.inputs = self.inputs.with_env();
        self
    }
}

/// What every region of the subscription shares, built on first use.
struct Shared {
    subscription: Option<String>,
    management: url::Url,
    blob: Option<url::Url>,
    arm: Api,
    blob_api: Api,
}

/// Azure for the whole provider process: the settings, and one [`AzureRegion`] per region.
pub struct AzureCloud {
    settings: Settings,
    shared: Mutex<Option<Arc<Shared>>>,
    regions: Mutex<HashMap<String, Arc<AzureRegion>>>,
}

/// Stands in for credentials that could not be chosen: every request fails with why, so a
/// plan that makes no request still works without credentials.
struct Missing(String);

#[tfplug::async_trait]
impl TokenSource for Missing {
    async fn token(&self) -> Result<String, CloudError> {
        Err(CloudError {
            kind: ErrorKind::Auth,
            service: "Azure AD",
            operation: "credentials".into(),
            code: None,
            message: self.0.clone(),
            request_id: None,
        })
    }
}

fn config_error(e: String) -> Diagnostics {
    Diagnostics::error("Invalid azure provider settings", e)
}

impl AzureCloud {
    /// Nothing is read or called until a region is asked for.
    pub fn new(settings: Settings) -> Self {
        AzureCloud { settings, shared: Mutex::new(None), regions: Mutex::new(HashMap::new()) }
    }

    async fn shared(&self) -> Result<Arc<Shared>, Diagnostics> {
        let mut slot = self.shared.lock().await;
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let s = &self.settings;
        let management =
            http::base_url(s.management.as_deref().unwrap_or(PUBLIC_MANAGEMENT), "management").map_err(config_error)?;
        let blob = s.blob.as_deref().map(|b| http::base_url(b, "blob")).transpose().map_err(config_error)?;
        let authority = s.authority.as_deref().unwrap_or(PUBLIC_AUTHORITY);
        let client = http::http_client().map_err(|e| e.to_diagnostics("Azure"))?;
        let emulator = http::is_loopback(&management);
        let tokens: Option<Arc<dyn TokenSource>> =
            match auth::choose(&s.inputs, authority, management.as_str(), emulator) {
                Ok(None) => None,
                Ok(Some(source)) => Some(Credentials::new(source, client.clone())),
                Err(why) => Some(Arc::new(Missing(why))),
            };
        let attempts = s.max_attempts.max(1);
        let shared = Arc::new(Shared {
            subscription: s.subscription_id.clone(),
            management,
            blob,
            arm: Api::new(client.clone(), attempts, tokens, Arc::new(Arm)),
            blob_api: Api::new(client, attempts, None, Arc::new(Blob)),
        });
        *slot = Some(shared.clone());
        Ok(shared)
    }

    /// The clients for `region` (native name, e.g. "westeurope").
    pub async fn region(&self, region: &str) -> Result<Arc<AzureRegion>, Diagnostics> {
        let shared = self.shared().await?;
        let mut regions = self.regions.lock().await;
        if let Some(r) = regions.get(region) {
            return Ok(r.clone());
        }
        let r = Arc::new(AzureRegion {
            subscription: shared.subscription.clone(),
            region: region.to_string(),
            management: shared.management.clone(),
            blob_base: shared.blob.clone(),
            arm: shared.arm.clone(),
            blob: shared.blob_api.clone(),
            pending: Mutex::new(HashMap::new()),
        });
        regions.insert(region.to_string(), r.clone());
        Ok(r)
    }
}

/// How a long-running operation reports progress.
#[derive(Debug, Clone)]
pub(crate) enum Tracker {
    /// `Azure-AsyncOperation`: an operation resource with `status`.
    AsyncOperation(url::Url),
    /// `Location`: 202 while running, then the result.
    Location(url::Url),
}

fn tracker(reply: &Reply) -> Option<Tracker> {
    let parse = |h: &str| reply.header(h).and_then(|v| url::Url::parse(v).ok());
    if let Some(u) = parse("azure-asyncoperation") {
        return Some(Tracker::AsyncOperation(u));
    }
    if reply.status.as_u16() == 202 || reply.status.as_u16() == 201 {
        return parse("location").map(Tracker::Location);
    }
    None
}

fn operation_failed(operation: &str, body: &Value, status: &str) -> CloudError {
    let e = &body["error"];
    let code = e["code"].as_str().map(str::to_string);
    CloudError {
        kind: super::errors::classify(code.as_deref().unwrap_or_default(), ErrorKind::Other),
        service: "Azure Resource Manager",
        operation: operation.to_string(),
        code,
        message: e["message"].as_str().map_or_else(|| format!("the operation ended {status}"), str::to_string),
        request_id: None,
    }
}

/// Pages an ARM list may have before it counts as a runaway (ARM pages hold up to 1,000).
const MAX_LIST_PAGES: usize = 1000;

/// A list's `nextLink` when it stays on the management endpoint (scheme, host and port).
fn next_page(next: &str, management: &url::Url) -> Option<url::Url> {
    url::Url::parse(next).ok().filter(|u| u.origin() == management.origin())
}

/// An ARM location compared as ARM does: "East US" and "eastus" are the same.
fn location_key(l: &str) -> String {
    l.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

impl AzureRegion {
    /// The subscription, or the error that says how to set it.
    pub(crate) fn subscription(&self) -> Result<&str, CloudError> {
        self.subscription.as_deref().ok_or_else(|| CloudError {
            kind: ErrorKind::Invalid,
            service: "Azure Resource Manager",
            operation: "configure".into(),
            code: None,
            message: "no subscription: set azure { subscription_id } or ARM_SUBSCRIPTION_ID".into(),
            request_id: None,
        })
    }

    /// `/subscriptions/<id>/resourceGroups/<rg>`.
    pub(crate) fn group_id(&self, rg: &str) -> Result<String, CloudError> {
        Ok(format!("/subscriptions/{}/resourceGroups/{rg}", self.subscription()?))
    }

    fn call(&self, method: Method, id: &str, api: &str, operation: &str) -> Call {
        Call::new(method, http::join(&self.management, id, &[("api-version", api)]), operation)
    }

    /// GET; `None` when the resource (or its group) is not there.
    pub(crate) async fn get(&self, id: &str, api: &str, operation: &str) -> Result<Option<Value>, CloudError> {
        Ok(self.arm.get_opt(self.call(Method::GET, id, api, operation)).await?.map(|r| r.json))
    }

    /// Every resource of an ARM collection (`collection` like "Microsoft.Network/virtualNetworks")
    /// in this region: in resource group `rg`, or in the whole subscription without one.
    pub(crate) async fn list_in_region(
        &self,
        collection: &str,
        rg: Option<&str>,
        api: &str,
        operation: &str,
    ) -> Result<Vec<Value>, CloudError> {
        let scope = match rg {
            Some(rg) => self.group_id(rg)?,
            None => format!("/subscriptions/{}", self.subscription()?),
        };
        let here = location_key(&self.region);
        let items = self.arm_list(&format!("{scope}/providers/{collection}"), api, operation).await?;
        Ok(items.into_iter().filter(|v| v["location"].as_str().is_some_and(|l| location_key(l) == here)).collect())
    }

    /// Every item of an ARM list (`path` is the collection), following `nextLink` pages. A
    /// page link that leaves the management endpoint is refused: it would carry the token.
    pub(crate) async fn arm_list(&self, path: &str, api: &str, operation: &str) -> Result<Vec<Value>, CloudError> {
        let mut out = Vec::new();
        let mut call = self.call(Method::GET, path, api, operation);
        for _ in 0..MAX_LIST_PAGES {
            let page = self.arm.send(call).await?.json;
            out.extend(page["value"].as_array().into_iter().flatten().cloned());
            let Some(next) = page["nextLink"].as_str().filter(|n| !n.is_empty()) else { return Ok(out) };
            let url = next_page(next, &self.management).ok_or_else(|| {
                CloudError::other(
                    "Azure Resource Manager",
                    operation,
                    "a list page links outside the management endpoint",
                )
            })?;
            call = Call::new(Method::GET, url, operation);
        }
        Err(CloudError::other("Azure Resource Manager", operation, format!("more than {MAX_LIST_PAGES} pages")))
    }

    /// PUT without waiting: remembers the operation so [`Self::settle_put`] can wait for it.
    pub(crate) async fn put_start(&self, id: &str, api: &str, body: Value, operation: &str) -> Result<(), CloudError> {
        let reply = self.arm.send(self.call(Method::PUT, id, api, operation).json(body)).await?;
        if let Some(t) = tracker(&reply) {
            self.pending.lock().await.insert(id.to_ascii_lowercase(), (t, operation.to_string()));
        }
        Ok(())
    }

    /// Waits for what [`Self::put_start`] began on `id` (in this process); else for the
    /// resource's `provisioningState` to settle.
    pub(crate) async fn settle_put(&self, id: &str, api: &str, operation: &str) -> Result<(), CloudError> {
        let pending = self.pending.lock().await.remove(&id.to_ascii_lowercase());
        if let Some((t, op)) = pending {
            return self.track(t, &op).await.map(|_| ());
        }
        crate::clouds::wait::poll(POLL_CAP, || async {
            let Some(v) = self.get(id, api, operation).await? else {
                return Err(CloudError {
                    kind: ErrorKind::NotFound,
                    service: "Azure Resource Manager",
                    operation: operation.to_string(),
                    code: Some("ResourceNotFound".into()),
                    message: format!("{id} is gone"),
                    request_id: None,
                });
            };
            match v["properties"]["provisioningState"].as_str().unwrap_or("Succeeded") {
                "Succeeded" => Ok(Some(())),
                s @ ("Failed" | "Canceled") => Err(operation_failed(operation, &v, s)),
                _ => Ok(None),
            }
        })
        .await
    }

    /// PUT and wait for the operation to finish; the resource as it then is.
    pub(crate) async fn put(&self, id: &str, api: &str, body: Value, operation: &str) -> Result<Value, CloudError> {
        self.send_wait(self.call(Method::PUT, id, api, operation).json(body), id, api).await
    }

    /// PATCH and wait; the resource as it then is.
    pub(crate) async fn patch(&self, id: &str, api: &str, body: Value, operation: &str) -> Result<Value, CloudError> {
        self.send_wait(self.call(Method::PATCH, id, api, operation).json(body), id, api).await
    }

    /// POST an action (`<id>/<action>`) and wait; the action's result.
    pub(crate) async fn action(&self, id: &str, action: &str, api: &str, operation: &str) -> Result<Value, CloudError> {
        let reply = self.arm.send(self.call(Method::POST, &format!("{id}/{action}"), api, operation)).await?;
        match tracker(&reply) {
            Some(t) => self.track(t, operation).await.map(|v| v.unwrap_or(Value::Null)),
            None => Ok(reply.json),
        }
    }

    async fn send_wait(&self, call: Call, id: &str, api: &str) -> Result<Value, CloudError> {
        let operation = call.operation.clone();
        let reply = self.arm.send(call).await?;
        if let Some(t) = tracker(&reply) {
            self.track(t, &operation).await?;
            return self.get(id, api, &operation).await?.ok_or_else(|| {
                CloudError::other(
                    "Azure Resource Manager",
                    operation.clone(),
                    format!("{id} vanished after the operation"),
                )
            });
        }
        Ok(reply.json)
    }

    /// DELETE and wait until it is gone; gone already counts as done.
    pub(crate) async fn delete(&self, id: &str, api: &str, operation: &str) -> Result<(), CloudError> {
        let reply = match self.arm.send(self.call(Method::DELETE, id, api, operation)).await {
            Ok(r) => r,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        if let Some(t) = tracker(&reply) {
            match self.track(t, operation).await {
                Err(e) if !e.is_not_found() => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Polls an operation to its end, pausing as `Retry-After` asks (bounded) or with a
    /// growing interval; a failed operation becomes its error. Returns the final body of a
    /// `Location` operation.
    async fn track(&self, t: Tracker, operation: &str) -> Result<Option<Value>, CloudError> {
        let mut wait = Duration::from_millis(250);
        loop {
            let url = match &t {
                Tracker::AsyncOperation(u) | Tracker::Location(u) => u.clone(),
            };
            let reply = self.arm.send(Call::new(Method::GET, url, format!("{operation} (poll)"))).await?;
            let pause = http::retry_after(&reply.headers).map(|d| d.min(POLL_CAP));
            match &t {
                Tracker::AsyncOperation(_) => match reply.json["status"].as_str().unwrap_or("InProgress") {
                    "Succeeded" => return Ok(None),
                    s @ ("Failed" | "Canceled") => return Err(operation_failed(operation, &reply.json, s)),
                    _ => {}
                },
                Tracker::Location(_) => {
                    if reply.status.as_u16() != 202 {
                        return Ok(Some(reply.json));
                    }
                }
            }
            tokio::time::sleep(pause.unwrap_or(wait)).await;
            wait = (wait * 3 / 2).min(POLL_CAP);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    fn reply(status: u16, headers: &[(&'static str, &str)]) -> Reply {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, v.parse().unwrap());
        }
        Reply { status: StatusCode::from_u16(status).unwrap(), headers: h, json: Value::Null, text: String::new() }
    }

    #[test]
    fn async_operation_header_wins_over_location() {
        let r = reply(201, &[("azure-asyncoperation", "https://m/op/1"), ("location", "https://m/loc/1")]);
        assert!(matches!(tracker(&r), Some(Tracker::AsyncOperation(u)) if u.path() == "/op/1"));
        let r = reply(202, &[("location", "https://m/loc/1")]);
        assert!(matches!(tracker(&r), Some(Tracker::Location(_))));
        assert!(tracker(&reply(200, &[("location", "https://m/loc/1")])).is_none(), "a finished PUT");
    }

    #[test]
    fn list_pages_stay_on_the_management_endpoint() {
        let m = url::Url::parse("https://management.azure.com/").unwrap();
        let next = "https://management.azure.com/subscriptions/s/providers/Microsoft.Network/virtualNetworks?api-version=1&$skiptoken=2";
        assert_eq!(next_page(next, &m).map(|u| u.to_string()).as_deref(), Some(next));
        for hostile in [
            "https://attacker.example/steal",
            "http://management.azure.com/plain",
            "https://management.azure.com:8443/other-port",
            "https://management.azure.com.attacker.example/x",
            "/relative",
            "not a url",
        ] {
            assert!(next_page(hostile, &m).is_none(), "{hostile} would carry the token elsewhere");
        }
        assert_eq!(location_key("West Europe"), location_key("westeurope"));
    }

    #[test]
    fn failed_operations_carry_the_code() {
        let body = serde_json::json!({"status": "Failed", "error": {"code": "QuotaExceeded", "message": "no cores"}});
        let e = operation_failed("virtualMachines.createOrUpdate", &body, "Failed");
        assert_eq!(e.code.as_deref(), Some("QuotaExceeded"));
        assert_eq!(e.message, "no cores");
    }
}
