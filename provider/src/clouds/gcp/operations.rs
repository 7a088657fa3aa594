//! The long-running operations of the Google APIs beyond Compute Engine: Cloud SQL's own
//! (`sql#operation`, `status` PENDING -> RUNNING -> DONE, `error.errors[]`) and
//! `google.longrunning.Operation` (Memorystore: `done`, `error`), polled with growing pauses.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::GcpRegion;
use crate::clouds::http::{self, Api, Call};
use crate::clouds::{CloudError, ErrorKind};

/// Longest pause between two polls: databases take minutes.
const POLL_CAP: Duration = Duration::from_secs(15);

impl GcpRegion {
    /// A Cloud SQL Admin URL: `path` under `v1/projects/<project>/`.
    pub fn sql_url(&self, path: &str, query: &[(&str, &str)]) -> url::Url {
        http::join(&self.sql_base, &format!("v1/projects/{}/{path}", self.project), query)
    }

    /// A Memorystore URL: `path` under `v1/`.
    pub fn redis_url(&self, path: &str, query: &[(&str, &str)]) -> url::Url {
        http::join(&self.redis_base, &format!("v1/{path}"), query)
    }

    /// A Cloud KMS URL: `path` under `v1/`.
    pub fn kms_url(&self, path: &str, query: &[(&str, &str)]) -> url::Url {
        http::join(&self.kms_base, &format!("v1/{path}"), query)
    }

    /// `projects/<project>/locations/<region>`.
    pub fn location(&self) -> String {
        format!("projects/{}/locations/{}", self.project, self.region)
    }

    /// Sends a Cloud SQL call answered with an operation; returns the operation's name.
    pub async fn sql_start(&self, call: Call) -> Result<String, CloudError> {
        let op = call.operation.clone();
        let r = self.sql.send(call).await?;
        r.json["name"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| CloudError::other("GCP Cloud SQL", op, "the answer named no operation"))
    }

    /// Waits for Cloud SQL operation `name` to be DONE; its error becomes ours.
    pub async fn sql_wait(&self, name: &str, op: &str) -> Result<(), CloudError> {
        let url = self.sql_url(&format!("operations/{name}"), &[]);
        let done = crate::clouds::wait::poll(POLL_CAP, || async {
            let r = self.sql.send(Call::new(Method::GET, url.clone(), "operations.get")).await?;
            Ok((r.json["status"] == "DONE").then_some(r.json))
        })
        .await?;
        match done["error"]["errors"].as_array().and_then(|e| e.first()) {
            Some(err) => Err(failed("GCP Cloud SQL", op, err["code"].as_str(), err["message"].as_str(), name)),
            None => Ok(()),
        }
    }

    /// Sends a Cloud SQL call and waits for its operation.
    pub async fn sql_op(&self, call: Call) -> Result<(), CloudError> {
        let op = call.operation.clone();
        let name = self.sql_start(call).await?;
        self.sql_wait(&name, &op).await
    }

    /// Waits for a `google.longrunning.Operation` of `api` (at `<base>/v1/<name>`).
    pub async fn lro_wait(&self, api: &Api, base: &url::Url, operation: &Value, op: &str) -> Result<(), CloudError> {
        let name = operation["name"].as_str().unwrap_or_default().to_string();
        let current = if operation["done"] == true {
            operation.clone()
        } else {
            let url = http::join(base, &format!("v1/{name}"), &[]);
            crate::clouds::wait::poll(POLL_CAP, || async {
                let r = api.send(Call::new(Method::GET, url.clone(), "operations.get")).await?;
                Ok((r.json["done"] == true).then_some(r.json))
            })
            .await?
        };
        let err = &current["error"];
        if err.is_object() {
            let code = err["code"].as_i64().map(|c| c.to_string());
            return Err(failed(api.service(), op, code.as_deref(), err["message"].as_str(), &name));
        }
        Ok(())
    }
}

fn failed(service: &'static str, op: &str, code: Option<&str>, message: Option<&str>, name: &str) -> CloudError {
    let kind = match code {
        Some("5" | "NOT_FOUND") => ErrorKind::NotFound,
        Some("3" | "6" | "9" | "INVALID_ARGUMENT" | "ALREADY_EXISTS" | "FAILED_PRECONDITION" | "QUOTA_EXCEEDED") => {
            ErrorKind::Invalid
        }
        Some("13" | "14" | "INTERNAL_ERROR") => ErrorKind::Transient,
        _ => ErrorKind::Other,
    };
    CloudError {
        kind,
        service,
        operation: op.to_string(),
        code: code.map(str::to_string),
        message: message.unwrap_or("the operation failed").to_string(),
        request_id: Some(format!("operation {name}")),
    }
}
