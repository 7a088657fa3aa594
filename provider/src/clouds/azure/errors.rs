//! Azure error answers as [`CloudError`]s: ARM's `{"error": {"code", "message"}}` and Blob
//! storage's XML `<Error><Code>`, with the `x-ms-request-id`, classified by code.

use crate::clouds::http::{ErrorReader, Reply, kind_of};
use crate::clouds::{CloudError, ErrorKind};

/// Azure Resource Manager errors.
pub struct Arm;
/// Blob storage (data plane) errors.
pub struct Blob;

/// The kind an Azure error code stands for.
pub fn classify(code: &str, fallback: ErrorKind) -> ErrorKind {
    match code {
        "ResourceNotFound" | "ResourceGroupNotFound" | "NotFound" | "ContainerNotFound" | "ParentResourceNotFound" => {
            ErrorKind::NotFound
        }
        "InUseSubnetCannotBeDeleted"
        | "NicInUse"
        | "InUseNetworkSecurityGroupCannotBeDeleted"
        | "PublicIPAddressInUse"
        | "AnotherOperationInProgress"
        | "RetryableError"
        | "ContainerBeingDeleted" => ErrorKind::InUse,
        "AuthorizationFailed" | "InvalidAuthenticationToken" | "AuthenticationFailed" | "AuthorizationFailure" => {
            ErrorKind::Auth
        }
        "TooManyRequests" | "ServerBusy" | "InternalServerError" | "ServiceUnavailable" | "OperationTimedOut" => {
            ErrorKind::Transient
        }
        _ => fallback,
    }
}

impl ErrorReader for Arm {
    fn service(&self) -> &'static str {
        "Azure Resource Manager"
    }
    fn error(&self, operation: &str, reply: &Reply) -> CloudError {
        let e = &reply.json["error"];
        let code = e["code"].as_str().map(str::to_string);
        let message = e["message"].as_str().map(str::to_string).unwrap_or_else(|| {
            format!("HTTP status {}: {}", reply.status.as_u16(), reply.text.chars().take(200).collect::<String>())
        });
        let kind = classify(code.as_deref().unwrap_or_default(), kind_of(reply.status));
        let request_id =
            reply.header("x-ms-request-id").or(reply.header("x-ms-correlation-request-id")).map(str::to_string);
        CloudError { kind, service: self.service(), operation: operation.to_string(), code, message, request_id }
    }
}

fn xml_field(text: &str, tag: &str) -> Option<String> {
    let start = text.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = text[start..].find(&format!("</{tag}>"))? + start;
    Some(text[start..end].lines().next().unwrap_or_default().trim().to_string())
}

impl ErrorReader for Blob {
    fn service(&self) -> &'static str {
        "Azure Blob"
    }
    fn error(&self, operation: &str, reply: &Reply) -> CloudError {
        let code = reply.header("x-ms-error-code").map(str::to_string).or_else(|| xml_field(&reply.text, "Code"));
        let message =
            xml_field(&reply.text, "Message").unwrap_or_else(|| format!("HTTP status {}", reply.status.as_u16()));
        let kind = classify(code.as_deref().unwrap_or_default(), kind_of(reply.status));
        CloudError {
            kind,
            service: self.service(),
            operation: operation.to_string(),
            code,
            message,
            request_id: reply.header("x-ms-request-id").map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_error_text_reads_without_panicking(text in "(<Code>|</Code>|<Message>|é|[a-zA-Z \n])*") {
            let _ = (xml_field(&text, "Code"), xml_field(&text, "Message"));
        }
    }

    #[test]
    fn codes_classify_and_xml_is_read() {
        assert_eq!(classify("InUseSubnetCannotBeDeleted", ErrorKind::Other), ErrorKind::InUse);
        assert_eq!(classify("ResourceGroupNotFound", ErrorKind::Other), ErrorKind::NotFound);
        assert_eq!(classify("Whatever", ErrorKind::Invalid), ErrorKind::Invalid);
        let x = "<?xml version=\"1.0\"?><Error><Code>ContainerNotFound</Code><Message>The specified container does not exist.\nRequestId:1</Message></Error>";
        assert_eq!(xml_field(x, "Code").as_deref(), Some("ContainerNotFound"));
        assert_eq!(xml_field(x, "Message").as_deref(), Some("The specified container does not exist."));
    }
}
