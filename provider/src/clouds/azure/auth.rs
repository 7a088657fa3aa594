//! Azure credentials: a service principal's client secret or certificate (client-credentials
//! grant at Microsoft Entra ID), a managed identity (the instance metadata service), or the
//! Azure CLI's token cache. Chosen without any network call; tokens come on first use.

use crate::secret::Secret;
use std::path::PathBuf;
use std::sync::Arc;

use aws_lc_rs::digest;
use serde_json::{Value, json};

use crate::clouds::http::TokenSource;
use crate::clouds::oauth::{self, Cache, RsaKey, Token};
use crate::clouds::{CloudError, ErrorKind};

const SERVICE: &str = "Azure AD";

/// Where tokens come from.
pub enum Source {
    /// Client id and secret.
    Secret {
        /// Token endpoint of the tenant.
        token_url: String,
        /// Application (client) id.
        client_id: String,
        /// Client secret.
        secret: Secret,
        /// `<management>/.default`.
        scope: String,
    },
    /// Client id and a certificate: a signed JWT assertion.
    Certificate {
        /// Token endpoint of the tenant.
        token_url: String,
        /// Application (client) id.
        client_id: String,
        /// The certificate's private key.
        key: RsaKey,
        /// SHA-1 thumbprint of the certificate, base64url (the JWT's `x5t`).
        thumbprint: String,
        /// `<management>/.default`.
        scope: String,
    },
    /// Managed identity through the instance metadata service.
    ManagedIdentity {
        /// IMDS base URL.
        endpoint: String,
        /// Resource (the management endpoint).
        resource: String,
        /// A user-assigned identity's client id.
        client_id: Option<String>,
    },
    /// The Azure CLI's MSAL token cache (`az login`).
    Cli {
        /// `msal_token_cache.json`.
        file: PathBuf,
        /// Tenant to pick a token of, when set.
        tenant: Option<String>,
    },
}

/// What the provider block and `ARM_*` variables configure.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Tenant id.
    pub tenant_id: Option<String>,
    /// Client id.
    pub client_id: Option<String>,
    /// Client secret.
    pub client_secret: Option<Secret>,
    /// PEM text or path holding the certificate and its private key.
    pub client_certificate: Option<String>,
    /// Use the managed identity.
    pub use_msi: bool,
    /// Use the Azure CLI's token cache.
    pub use_cli: bool,
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

impl Inputs {
    /// The block's settings, with `ARM_*` variables filling the gaps.
    pub fn with_env(mut self) -> Inputs {
        self.tenant_id = self.tenant_id.or_else(|| env("ARM_TENANT_ID"));
        self.client_id = self.client_id.or_else(|| env("ARM_CLIENT_ID"));
        self.client_secret = self.client_secret.or_else(|| env("ARM_CLIENT_SECRET").map(Secret::from));
        self.client_certificate = self.client_certificate.or_else(|| env("ARM_CLIENT_CERTIFICATE_PATH"));
        self.use_msi = self.use_msi || env("ARM_USE_MSI").as_deref() == Some("true");
        self.use_cli = self.use_cli || env("ARM_USE_CLI").as_deref() == Some("true");
        self
    }
}

fn read_pem(text_or_path: &str) -> Result<String, String> {
    if text_or_path.contains("-----BEGIN") {
        Ok(text_or_path.to_string())
    } else {
        std::fs::read_to_string(text_or_path)
            .map_err(|e| format!("cannot read client certificate {text_or_path:?}: {e}"))
    }
}

/// Picks the credentials: client secret, client certificate, managed identity, then (unless
/// the management endpoint is an emulator on this machine) the Azure CLI's token cache.
/// `None`: requests go without credentials.
pub fn choose(i: &Inputs, authority: &str, management: &str, emulator: bool) -> Result<Option<Source>, String> {
    let scope = format!("{}/.default", management.trim_end_matches('/'));
    let token_url = |tenant: &Option<String>| -> Result<String, String> {
        let t = tenant.as_deref().ok_or("set azure { tenant_id } (or ARM_TENANT_ID) for client credentials")?;
        Ok(format!("{}/{t}/oauth2/v2.0/token", authority.trim_end_matches('/')))
    };
    if let Some(secret) = &i.client_secret {
        let client_id = i.client_id.clone().ok_or("client_secret needs client_id (or ARM_CLIENT_ID)")?;
        return Ok(Some(Source::Secret {
            token_url: token_url(&i.tenant_id)?,
            client_id,
            secret: secret.clone(),
            scope,
        }));
    }
    if let Some(cert) = &i.client_certificate {
        let client_id = i.client_id.clone().ok_or("client_certificate needs client_id (or ARM_CLIENT_ID)")?;
        let pem = read_pem(cert)?;
        let der = oauth::certificate_der(&pem)?;
        let thumbprint = oauth::b64url(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der).as_ref());
        return Ok(Some(Source::Certificate {
            token_url: token_url(&i.tenant_id)?,
            client_id,
            key: RsaKey::from_pem(&pem)?,
            thumbprint,
            scope,
        }));
    }
    if i.use_msi {
        let endpoint = env("AZURE_POD_IDENTITY_AUTHORITY_HOST").unwrap_or_else(|| "http://169.254.169.254".into());
        return Ok(Some(Source::ManagedIdentity {
            endpoint,
            resource: management.to_string(),
            client_id: i.client_id.clone(),
        }));
    }
    if emulator && !i.use_cli {
        return Ok(None);
    }
    let dir =
        env("AZURE_CONFIG_DIR").map(PathBuf::from).or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".azure")));
    let file = dir.map(|d| d.join("msal_token_cache.json")).filter(|f| f.is_file()).ok_or(
        "no Azure credentials: set client_id with client_secret or client_certificate, use_msi, or sign in with `az login`",
    )?;
    Ok(Some(Source::Cli { file, tenant: i.tenant_id.clone() }))
}

/// Tokens from a [`Source`], cached.
pub struct Credentials {
    source: Source,
    http: reqwest::Client,
    cache: Cache,
}

impl Credentials {
    /// Tokens from `source`.
    pub fn new(source: Source, http: reqwest::Client) -> Arc<Credentials> {
        Arc::new(Credentials { source, http, cache: Cache::default() })
    }

    async fn fetch(&self) -> Result<Token, CloudError> {
        match &self.source {
            Source::Secret { token_url, client_id, secret, scope } => {
                oauth::token_request(
                    &self.http,
                    SERVICE,
                    token_url,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        ("client_secret", secret.expose()),
                        ("scope", scope),
                    ],
                )
                .await
            }
            Source::Certificate { token_url, client_id, key, thumbprint, scope } => {
                let now = oauth::now_secs();
                let claims = json!({
                    "aud": token_url, "iss": client_id, "sub": client_id,
                    "jti": crate::clouds::creation_token(), "nbf": now, "iat": now, "exp": now + 600,
                });
                let jwt = key
                    .jwt(&json!({"alg": "RS256", "typ": "JWT", "x5t": thumbprint}), &claims)
                    .map_err(|e| oauth::auth_error(SERVICE, "assertion", e))?;
                oauth::token_request(
                    &self.http,
                    SERVICE,
                    token_url,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                        ("client_assertion", &jwt),
                        ("scope", scope),
                    ],
                )
                .await
            }
            Source::ManagedIdentity { endpoint, resource, client_id } => {
                let mut url =
                    url::Url::parse(&format!("{}/metadata/identity/oauth2/token", endpoint.trim_end_matches('/')))
                        .map_err(|e| oauth::auth_error(SERVICE, "managed identity", e.to_string()))?;
                url.query_pairs_mut().append_pair("api-version", "2018-02-01").append_pair("resource", resource);
                if let Some(c) = client_id {
                    url.query_pairs_mut().append_pair("client_id", c);
                }
                let resp = self.http.get(url).header("Metadata", "true").send().await.map_err(|e| {
                    oauth::auth_error(
                        SERVICE,
                        "managed identity",
                        format!("the instance metadata service at {endpoint} did not answer: {e}"),
                    )
                })?;
                let status = resp.status().as_u16();
                let json: Value = resp.json().await.unwrap_or(Value::Null);
                oauth::token_from(SERVICE, status, &json)
            }
            Source::Cli { file, tenant } => cli_token(file, tenant.as_deref()),
        }
    }
}

/// A valid management token from the CLI's MSAL cache.
fn cli_token(file: &PathBuf, tenant: Option<&str>) -> Result<Token, CloudError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| oauth::auth_error(SERVICE, "az cli", format!("cannot read {}: {e}", file.display())))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| oauth::auth_error(SERVICE, "az cli", format!("{} is not JSON: {e}", file.display())))?;
    let now = oauth::now_secs();
    let best = v["AccessToken"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter(|t| t["target"].as_str().is_some_and(|s| s.contains("management")))
        .filter(|t| tenant.is_none_or(|ten| t["realm"].as_str() == Some(ten)))
        .filter_map(|t| {
            let exp: i64 = t["expires_on"].as_str().and_then(|s| s.parse().ok())?;
            (exp > now + 60).then(|| (exp, t["secret"].as_str().unwrap_or_default().to_string()))
        })
        .max_by_key(|(exp, _)| *exp);
    match best {
        Some((exp, secret)) if !secret.is_empty() => Ok(Token::new(secret, u64::try_from(exp - now).unwrap_or(60))),
        _ => Err(CloudError {
            kind: ErrorKind::Auth,
            service: SERVICE,
            operation: "az cli".into(),
            code: None,
            message: format!(
                "{} holds no valid management token: run `az login` (or `az account get-access-token`)",
                file.display()
            ),
            request_id: None,
        }),
    }
}

#[tfplug::async_trait]
impl TokenSource for Credentials {
    async fn token(&self) -> Result<String, CloudError> {
        self.cache.get(|| self.fetch()).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_secret_never_shows_in_debug_output() {
        let i = Inputs { client_secret: Some(Secret::new("canary-client-secret-9")), ..Inputs::default() };
        assert!(!format!("{i:?}").contains("canary-client-secret-9"));
        let settings = crate::clouds::azure::Settings { inputs: i, ..Default::default() };
        assert!(!format!("{settings:?}").contains("canary-client-secret-9"));
    }

    use super::*;

    #[test]
    fn choice_follows_the_documented_order() {
        let mgmt = "https://management.azure.com/";
        let auth = "https://login.microsoftonline.com";
        let secret = Inputs {
            tenant_id: Some("t".into()),
            client_id: Some("c".into()),
            client_secret: Some(Secret::new("s")),
            ..Inputs::default()
        };
        match choose(&secret, auth, mgmt, false).unwrap() {
            Some(Source::Secret { token_url, scope, .. }) => {
                assert_eq!(token_url, "https://login.microsoftonline.com/t/oauth2/v2.0/token");
                assert_eq!(scope, "https://management.azure.com/.default");
            }
            _ => panic!("secret expected"),
        }
        let msi = Inputs { use_msi: true, ..Inputs::default() };
        assert!(matches!(choose(&msi, auth, mgmt, false).unwrap(), Some(Source::ManagedIdentity { .. })));
        assert!(choose(&Inputs::default(), auth, "http://127.0.0.1:1/", true).unwrap().is_none());
        let no_tenant =
            Inputs { client_id: Some("c".into()), client_secret: Some(Secret::new("s")), ..Inputs::default() };
        assert!(choose(&no_tenant, auth, mgmt, false).err().unwrap().contains("tenant_id"));
    }

    #[test]
    fn cli_cache_tokens_are_picked_by_expiry() {
        let dir = tempfile_dir();
        let f = dir.join("msal_token_cache.json");
        let later = oauth::now_secs() + 3000;
        std::fs::write(
            &f,
            json!({"AccessToken": {
                "a": {"secret": "old", "target": "https://management.core.windows.net//user_impersonation", "expires_on": "1"},
                "b": {"secret": "new", "target": "https://management.core.windows.net//user_impersonation", "expires_on": later.to_string()},
            }})
            .to_string(),
        )
        .unwrap();
        assert_eq!(cli_token(&f, None).unwrap().secret, "new");
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("oppie-az-{}", crate::clouds::creation_token()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
