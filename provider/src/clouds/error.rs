//! [`CloudError`]: a failed cloud API call, with the cloud's own error code, message and
//! request id, turned into a Terraform diagnostic that names all three.

use std::fmt;

use tfplug::Diagnostics;

/// What kind of failure, as far as the resource logic cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The object does not exist (gone out of band, or never was).
    NotFound,
    /// Something still depends on the object (retry later, or remove the dependant).
    InUse,
    /// The cloud refused the request as invalid; retrying will not help.
    Invalid,
    /// Credentials missing or refused.
    Auth,
    /// Throttling, 5xx, or a dropped connection, after the SDK's own retries.
    Transient,
    /// Anything else.
    Other,
}

/// One failed call.
#[derive(Debug, Clone)]
pub struct CloudError {
    /// The failure's kind.
    pub kind: ErrorKind,
    /// The service, e.g. "AWS EC2".
    pub service: &'static str,
    /// The API operation, e.g. "CreateVpc".
    pub operation: String,
    /// The cloud's error code, e.g. "InvalidVpcID.NotFound".
    pub code: Option<String>,
    /// The cloud's message.
    pub message: String,
    /// The request id the cloud gave (for its support).
    pub request_id: Option<String>,
}

impl CloudError {
    /// An error not tied to an API answer (e.g. a wait that saw a failed state).
    pub fn other(service: &'static str, operation: impl Into<String>, message: impl Into<String>) -> Self {
        CloudError {
            kind: ErrorKind::Other,
            service,
            operation: operation.into(),
            code: None,
            message: message.into(),
            request_id: None,
        }
    }

    /// A call this provider does not offer on this cloud (yet): refused, nothing happened.
    pub fn unsupported(service: &'static str, operation: impl Into<String>, message: impl Into<String>) -> Self {
        CloudError {
            kind: ErrorKind::Invalid,
            service,
            operation: operation.into(),
            code: Some("NotSupported".into()),
            message: message.into(),
            request_id: None,
        }
    }

    /// True when the object is gone.
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// The error of a step after a create made part of its object (a resource group, an
    /// address): no longer a refusal of the whole, so the create protocol keeps the object
    /// tracked and its delete removes the parts.
    pub fn after_partial_create(mut self) -> Self {
        if self.is_refusal() {
            self.kind = ErrorKind::Other;
        }
        self
    }

    /// True when the cloud turned the request down, so it certainly did not happen: bad
    /// input, no permission, a missing or busy dependency. Server errors, throttling after
    /// the last retry and lost connections leave it open.
    pub fn is_refusal(&self) -> bool {
        matches!(self.kind, ErrorKind::Invalid | ErrorKind::Auth | ErrorKind::NotFound | ErrorKind::InUse)
    }

    /// The error as a Terraform diagnostic: what failed, then code, message and request id.
    pub fn to_diagnostics(&self, what: &str) -> Diagnostics {
        Diagnostics::error(format!("{what}: {} {} failed", self.service, self.operation), self.detail())
    }

    /// The detail text.
    pub fn detail(&self) -> String {
        let mut d = self.message.clone();
        if let Some(code) = &self.code {
            d.push_str(&format!("\n\nError code: {code}"));
        }
        if let Some(id) = &self.request_id {
            d.push_str(&format!("\nRequest id: {id}"));
        }
        d
    }
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.service, self.operation)?;
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CloudError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_carry_code_message_and_request_id() {
        let e = CloudError {
            kind: ErrorKind::Invalid,
            service: "AWS EC2",
            operation: "CreateVpc".into(),
            code: Some("InvalidVpc.Range".into()),
            message: "The CIDR '10.0.0.0/8' is invalid.".into(),
            request_id: Some("req-1".into()),
        };
        let d = e.to_diagnostics("Creating network");
        assert_eq!(d.0[0].summary, "Creating network: AWS EC2 CreateVpc failed");
        assert!(d.0[0].detail.contains("Error code: InvalidVpc.Range"));
        assert!(d.0[0].detail.contains("Request id: req-1"));
        assert!(e.to_string().contains("InvalidVpc.Range: The CIDR"));
    }
}
