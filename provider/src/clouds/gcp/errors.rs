//! GCP error answers (`{"error": {"code", "message", "errors": [{"reason"}], "status"}}`) as
//! [`CloudError`]s: the reason kept as the code, and classified (not found, in use, ...).

use crate::clouds::http::{ErrorReader, Reply, kind_of};
use crate::clouds::{CloudError, ErrorKind};

/// Compute Engine errors.
pub struct Compute;
/// Cloud Storage errors.
pub struct Storage;
/// Cloud DNS errors.
pub struct Dns;
/// The errors of another Google API (Cloud SQL, Memorystore, Cloud KMS), by service name.
pub struct Named(pub &'static str);

impl ErrorReader for Named {
    fn service(&self) -> &'static str {
        self.0
    }
    fn error(&self, operation: &str, reply: &Reply) -> CloudError {
        read(self.0, operation, reply)
    }
}

fn read(service: &'static str, operation: &str, reply: &Reply) -> CloudError {
    let e = &reply.json["error"];
    let reason = e["errors"][0]["reason"].as_str().or_else(|| e["status"].as_str()).map(str::to_string);
    let message = e["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("HTTP status {}{}", reply.status.as_u16(), snippet(&reply.text)));
    let kind = match reason.as_deref() {
        Some("resourceInUseByAnotherResource") => ErrorKind::InUse,
        Some("notFound") => ErrorKind::NotFound,
        Some("rateLimitExceeded" | "userRateLimitExceeded" | "backendError") => ErrorKind::Transient,
        Some("NOT_FOUND" | "instanceDoesNotExist") => ErrorKind::NotFound,
        Some("ALREADY_EXISTS" | "FAILED_PRECONDITION" | "INVALID_ARGUMENT") => ErrorKind::Invalid,
        _ => kind_of(reply.status),
    };
    let request_id = ["x-request-id", "x-guploader-uploadid", "x-goog-request-id"]
        .iter()
        .find_map(|h| reply.header(h))
        .map(str::to_string);
    CloudError { kind, service, operation: operation.to_string(), code: reason, message, request_id }
}

fn snippet(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() { String::new() } else { format!(": {}", t.chars().take(200).collect::<String>()) }
}

impl ErrorReader for Compute {
    fn service(&self) -> &'static str {
        "GCP Compute"
    }
    fn error(&self, operation: &str, reply: &Reply) -> CloudError {
        read(self.service(), operation, reply)
    }
}

impl ErrorReader for Storage {
    fn service(&self) -> &'static str {
        "GCP Storage"
    }
    fn error(&self, operation: &str, reply: &Reply) -> CloudError {
        read(self.service(), operation, reply)
    }
}

impl ErrorReader for Dns {
    fn service(&self) -> &'static str {
        "GCP Cloud DNS"
    }
    fn error(&self, operation: &str, reply: &Reply) -> CloudError {
        read(self.service(), operation, reply)
    }
}
