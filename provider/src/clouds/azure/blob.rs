//! The Blob service data plane for containers, signed with Shared Key: the account key from
//! ARM (`listKeys`), or Azurite's published development key when the blob endpoint is an
//! emulator on this machine.

use aws_lc_rs::hmac;
use base64::Engine as _;
use reqwest::Method;

use super::{AzureRegion, api};
use crate::clouds::http::{self, Call, Signer};
use crate::clouds::{CloudError, ErrorKind};

/// The storage service version Oppie speaks (Azurite 3.x accepts it).
const VERSION: &str = "2021-12-02";

/// Azurite's development account and its published key (from the Azurite documentation;
/// it authenticates against the local emulator only).
pub const DEV_ACCOUNT: &str = "devstoreaccount1";
const DEV_KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Shared Key authentication for one account.
pub struct SharedKey {
    account: String,
    key: hmac::Key,
}

impl SharedKey {
    /// A signer for `account` with its base64 key.
    pub fn new(account: &str, key_b64: &str) -> Result<SharedKey, CloudError> {
        let raw = base64::engine::general_purpose::STANDARD.decode(key_b64).map_err(|e| CloudError {
            kind: ErrorKind::Auth,
            service: "Azure Blob",
            operation: "Shared Key".into(),
            code: None,
            message: format!("the account key of {account} is not base64: {e}"),
            request_id: None,
        })?;
        Ok(SharedKey { account: account.to_string(), key: hmac::Key::new(hmac::HMAC_SHA256, &raw) })
    }

    /// The string Shared Key signs (Blob service, version 2009-09-19 and later).
    fn string_to_sign(&self, call: &Call) -> String {
        let header = |name: &str| {
            call.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).unwrap_or("")
        };
        let length = match &call.raw {
            Some((_, b)) if !b.is_empty() => b.len().to_string(),
            _ => String::new(),
        };
        let ctype = call.raw.as_ref().map(|(t, _)| t.as_str()).unwrap_or("");
        let mut ms: Vec<(String, &str)> = call
            .headers
            .iter()
            .filter(|(k, _)| k.to_ascii_lowercase().starts_with("x-ms-"))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim()))
            .collect();
        ms.sort();
        let mut s = format!(
            "{}\n{}\n{}\n{length}\n{}\n{ctype}\n\n{}\n{}\n{}\n{}\n{}\n",
            call.method.as_str(),
            header("content-encoding"),
            header("content-language"),
            header("content-md5"),
            header("if-modified-since"),
            header("if-match"),
            header("if-none-match"),
            header("if-unmodified-since"),
            header("range"),
        );
        for (k, v) in ms {
            s.push_str(&format!("{k}:{v}\n"));
        }
        s.push_str(&format!("/{}{}", self.account, call.url.path()));
        let mut q: Vec<(String, String)> =
            call.url.query_pairs().map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned())).collect();
        q.sort();
        for (k, v) in q {
            s.push_str(&format!("\n{k}:{v}"));
        }
        s
    }
}

impl Signer for SharedKey {
    fn sign(&self, call: &mut Call) {
        call.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("x-ms-date") && !k.eq_ignore_ascii_case("authorization"));
        let now = time::OffsetDateTime::now_utc();
        let date = now
            .format(time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            ))
            .unwrap_or_default();
        call.headers.push(("x-ms-date".into(), date));
        if !call.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("x-ms-version")) {
            call.headers.push(("x-ms-version".into(), VERSION.into()));
        }
        let sig = hmac::sign(&self.key, self.string_to_sign(call).as_bytes());
        let b64 = base64::engine::general_purpose::STANDARD.encode(sig.as_ref());
        call.headers.push(("Authorization".into(), format!("SharedKey {}:{b64}", self.account)));
    }
}

/// Where a container lives and how to sign for it.
pub struct ContainerClient {
    /// `<account base>/<container>`.
    pub url: url::Url,
    /// The signer.
    pub signer: SharedKey,
}

/// Where an account's blob service is and how requests to it are signed.
#[derive(Debug, PartialEq, Eq)]
enum Location {
    /// An emulator on this machine: path-style URL, Azurite's development key for `signing`.
    Emulator { base: url::Url, signing: String },
    /// Azure: the account's own host, its key from ARM.
    Account { base: url::Url },
}

/// The blob service of `account`: a loopback `endpoint` is an emulator whose first path
/// segment names the account it signs as; another endpoint may carry `{account}`; no
/// endpoint means the public cloud's `https://<account>.blob.core.windows.net/`.
fn location(endpoint: Option<&url::Url>, account: &str) -> Result<Location, CloudError> {
    match endpoint {
        Some(base) if http::is_loopback(base) => {
            let signing = base.path_segments().and_then(|mut s| s.next()).filter(|s| !s.is_empty());
            Ok(Location::Emulator { base: base.clone(), signing: signing.unwrap_or(DEV_ACCOUNT).to_string() })
        }
        other => {
            let text = match other {
                Some(b) => b.as_str().replace("%7Baccount%7D", account).replace("{account}", account),
                None => format!("https://{account}.blob.core.windows.net/"),
            };
            let base = http::base_url(&text, "blob").map_err(|m| CloudError::other("Azure Blob", "endpoint", m))?;
            Ok(Location::Account { base })
        }
    }
}

impl AzureRegion {
    /// The data-plane client for `container` of storage account `account_id` (ARM id).
    pub(crate) async fn container(&self, account_id: &str, container: &str) -> Result<ContainerClient, CloudError> {
        let account = super::names::last(account_id);
        match location(self.blob_base.as_ref(), account)? {
            Location::Emulator { base, signing } => Ok(ContainerClient {
                url: http::join(&base, container, &[]),
                signer: SharedKey::new(&signing, DEV_KEY)?,
            }),
            Location::Account { base } => {
                let keys = self.action(account_id, "listKeys", api::STORAGE, "storageAccounts.listKeys").await?;
                let key = keys["keys"][0]["value"].as_str().ok_or_else(|| {
                    CloudError::other("Azure Resource Manager", "storageAccounts.listKeys", "the answer holds no key")
                })?;
                Ok(ContainerClient { url: http::join(&base, container, &[]), signer: SharedKey::new(account, key)? })
            }
        }
    }

    fn container_call(c: &ContainerClient, method: Method, extra: &[(&str, &str)], operation: &str) -> Call {
        let mut url = c.url.clone();
        url.query_pairs_mut().append_pair("restype", "container");
        for (k, v) in extra {
            url.query_pairs_mut().append_pair(k, v);
        }
        Call::new(method, url, operation)
    }

    /// Creates the container (an existing one counts); `public`: anonymous read of blobs.
    pub(crate) async fn create_container(&self, c: &ContainerClient, public: bool) -> Result<(), CloudError> {
        let mut call = Self::container_call(c, Method::PUT, &[], "Create Container");
        if public {
            call = call.header("x-ms-blob-public-access", "blob");
        }
        match self.blob_send(c, call).await {
            Err(e) if e.code.as_deref() == Some("ContainerAlreadyExists") => Ok(()),
            r => r.map(|_| ()),
        }
    }

    /// The container's public access level (`None`: private), or `None` outside when it is gone.
    pub(crate) async fn container_access(&self, c: &ContainerClient) -> Result<Option<Option<String>>, CloudError> {
        let call = Self::container_call(c, Method::GET, &[], "Get Container Properties");
        match self.blob_send(c, call).await {
            Ok(r) => Ok(Some(r.header("x-ms-blob-public-access").map(str::to_string))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sets the public access level.
    pub(crate) async fn set_container_access(&self, c: &ContainerClient, public: bool) -> Result<(), CloudError> {
        let mut call = Self::container_call(c, Method::PUT, &[("comp", "acl")], "Set Container ACL");
        if public {
            call = call.header("x-ms-blob-public-access", "blob");
        }
        self.blob_send(c, call).await.map(|_| ())
    }

    /// True when the container holds a blob.
    pub(crate) async fn container_has_blobs(&self, c: &ContainerClient) -> Result<bool, CloudError> {
        let call = Self::container_call(c, Method::GET, &[("comp", "list"), ("maxresults", "1")], "List Blobs");
        Ok(self.blob_send(c, call).await?.text.contains("<Blob>"))
    }

    /// Deletes the container and every blob in it; gone already counts.
    pub(crate) async fn delete_container(&self, c: &ContainerClient) -> Result<(), CloudError> {
        match self.blob_send(c, Self::container_call(c, Method::DELETE, &[], "Delete Container")).await {
            Err(e) if !e.is_not_found() => Err(e),
            _ => Ok(()),
        }
    }

    async fn blob_send(&self, c: &ContainerClient, call: Call) -> Result<http::Reply, CloudError> {
        let reply = self.blob.send_raw(&call, Some(&c.signer)).await?;
        if reply.status.is_success() { Ok(reply) } else { Err(self.blob.error(&call.operation, &reply)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_locations_follow_the_endpoint() {
        let u = |s: &str| http::base_url(s, "blob").unwrap();
        assert_eq!(
            location(Some(&u("http://127.0.0.1:10000/devstoreaccount1")), "shopmedia").unwrap(),
            Location::Emulator { base: u("http://127.0.0.1:10000/devstoreaccount1/"), signing: DEV_ACCOUNT.into() }
        );
        assert_eq!(
            location(None, "shopmedia").unwrap(),
            Location::Account { base: u("https://shopmedia.blob.core.windows.net/") }
        );
        assert_eq!(
            location(Some(&u("https://{account}.blob.core.chinacloudapi.cn/")), "shopmedia").unwrap(),
            Location::Account { base: u("https://shopmedia.blob.core.chinacloudapi.cn/") }
        );
    }

    #[test]
    fn string_to_sign_follows_the_shared_key_layout() {
        let k = SharedKey::new(DEV_ACCOUNT, DEV_KEY).unwrap();
        let url = url::Url::parse("http://127.0.0.1:10000/devstoreaccount1/media?restype=container&comp=acl").unwrap();
        let call = Call::new(Method::PUT, url, "x").header("x-ms-version", VERSION).header("x-ms-date", "D");
        let s = k.string_to_sign(&call);
        assert!(s.starts_with("PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\nx-ms-version:2021-12-02\n"), "{s:?}");
        assert!(s.ends_with("/devstoreaccount1/devstoreaccount1/media\ncomp:acl\nrestype:container"), "{s:?}");
        let mut signed = call.clone();
        k.sign(&mut signed);
        assert!(
            signed.headers.iter().any(|(h, v)| h == "Authorization" && v.starts_with("SharedKey devstoreaccount1:"))
        );
        assert!(SharedKey::new("a", "not base64!").is_err());
    }
}
