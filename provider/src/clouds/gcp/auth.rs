//! GCP credentials: a service-account key (OAuth2 JWT grant), an authorized-user file from
//! `gcloud auth application-default login` (refresh-token grant), or the GCE metadata server.
//! Chosen without any network call; tokens are fetched on the first request.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::clouds::http::TokenSource;
use crate::clouds::oauth::{self, Cache, RsaKey, Token};
use crate::clouds::{CloudError, ErrorKind};
use crate::secret::Secret;

const SERVICE: &str = "GCP OAuth";

/// The scope every request needs.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// Where a token comes from.
pub enum Source {
    /// A service-account key: a JWT signed with its key, exchanged at `token_uri`.
    ServiceAccount {
        /// The account's e-mail (the JWT issuer).
        email: String,
        /// Its private key.
        key: RsaKey,
        /// The token endpoint.
        token_uri: String,
    },
    /// A user's refresh token (application-default credentials of gcloud).
    AuthorizedUser {
        /// OAuth client id.
        client_id: String,
        /// OAuth client secret.
        client_secret: Secret,
        /// The refresh token.
        refresh_token: Secret,
        /// The token endpoint.
        token_uri: String,
    },
    /// The metadata server of the VM the provider runs on.
    Metadata {
        /// `host[:port]` of the metadata server.
        host: String,
    },
}

/// Reads a credentials JSON document (a key file's content, or a path to one).
pub fn parse(text_or_path: &str) -> Result<Source, String> {
    let text = if text_or_path.trim_start().starts_with('{') {
        text_or_path.to_string()
    } else {
        std::fs::read_to_string(text_or_path).map_err(|e| match shown_path(text_or_path) {
            Some(path) => format!("cannot read the credentials file {path:?}: {e}"),
            // Not a path: most likely a key pasted in another form; never echo it.
            None => "the credentials are neither a JSON key nor the path of a readable file (the value is not shown, as it may be the key itself)".to_string(),
        })?
    };
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("the credentials are not JSON: {e}"))?;
    let field = |k: &str| v[k].as_str().map(str::to_string).ok_or_else(|| format!("the credentials lack {k:?}"));
    let token_uri = v["token_uri"].as_str().unwrap_or(DEFAULT_TOKEN_URI).to_string();
    match v["type"].as_str() {
        Some("service_account") => Ok(Source::ServiceAccount {
            email: field("client_email")?,
            key: RsaKey::from_pem(&field("private_key")?)?,
            token_uri,
        }),
        Some("authorized_user") => Ok(Source::AuthorizedUser {
            client_id: field("client_id")?,
            client_secret: Secret::new(field("client_secret")?),
            refresh_token: Secret::new(field("refresh_token")?),
            token_uri,
        }),
        other => Err(format!(
            "credentials of type {other:?} are not supported: use a service-account key or gcloud's application-default credentials"
        )),
    }
}

/// `text` when it looks like a file path (one short line, no spaces), else `None`: a value
/// that is not a path may be a secret and is never shown.
fn shown_path(text: &str) -> Option<&str> {
    let t = text.trim();
    let path_like = !t.is_empty()
        && t.len() <= 255
        && !t.chars().any(|c| c.is_whitespace() || c.is_control())
        && (t.contains('/') || t.ends_with(".json"));
    path_like.then_some(t)
}

/// gcloud's application-default credentials file, if there is one.
fn adc_file() -> Option<PathBuf> {
    let dir = match std::env::var_os("CLOUDSDK_CONFIG") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".config/gcloud"),
    };
    let f = dir.join("application_default_credentials.json");
    f.is_file().then_some(f)
}

/// Picks the credentials: `credentials` from the provider block, then
/// `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's application-default file, then the metadata
/// server. (Emulator endpoints without explicit credentials never get here: see the client.)
pub fn choose(configured: Option<&str>) -> Result<Source, String> {
    if let Some(c) = configured.filter(|c| !c.trim().is_empty()) {
        return parse(c);
    }
    if let Some(p) = std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS").filter(|p| !p.is_empty()) {
        return parse(&p.to_string_lossy());
    }
    if let Some(f) = adc_file() {
        return parse(&f.to_string_lossy());
    }
    let host = std::env::var("GCE_METADATA_HOST").unwrap_or_else(|_| "metadata.google.internal".into());
    Ok(Source::Metadata { host })
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
            Source::ServiceAccount { email, key, token_uri } => {
                let now = oauth::now_secs();
                let claims = json!({"iss": email, "scope": SCOPE, "aud": token_uri, "iat": now, "exp": now + 3600});
                let jwt = key
                    .jwt(&json!({"alg": "RS256", "typ": "JWT"}), &claims)
                    .map_err(|e| oauth::auth_error(SERVICE, "jwt", e))?;
                oauth::token_request(
                    &self.http,
                    SERVICE,
                    token_uri,
                    &[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", &jwt)],
                )
                .await
            }
            Source::AuthorizedUser { client_id, client_secret, refresh_token, token_uri } => {
                oauth::token_request(
                    &self.http,
                    SERVICE,
                    token_uri,
                    &[
                        ("grant_type", "refresh_token"),
                        ("client_id", client_id),
                        ("client_secret", client_secret.expose()),
                        ("refresh_token", refresh_token.expose()),
                    ],
                )
                .await
            }
            Source::Metadata { host } => {
                let url = format!("http://{host}/computeMetadata/v1/instance/service-accounts/default/token");
                let resp = self.http.get(&url).header("Metadata-Flavor", "Google").send().await.map_err(|e| {
                    let mut err = oauth::auth_error(
                        SERVICE,
                        "metadata",
                        format!(
                            "no credentials: set gcp {{ credentials }} or GOOGLE_APPLICATION_CREDENTIALS, or run on GCP (the metadata server at {host} did not answer: {e})"
                        ),
                    );
                    err.kind = ErrorKind::Auth;
                    err
                })?;
                let status = resp.status().as_u16();
                let json: Value = resp.json().await.unwrap_or(Value::Null);
                oauth::token_from(SERVICE, status, &json)
            }
        }
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
    fn a_credentials_value_that_is_not_a_path_is_never_echoed() {
        const CANARY: &str = "canary-key-material-Q7w1";
        for value in [
            format!("-----BEGIN PRIVATE KEY-----\n{CANARY}\n-----END PRIVATE KEY-----"),
            format!("  {CANARY}"),
            format!("base64:{CANARY}=="),
        ] {
            let e = parse(&value).err().expect("not credentials");
            assert!(!e.contains(CANARY), "{e}");
            assert!(e.contains("not shown"), "{e}");
        }
        // A path is shown, so the user sees which file is missing.
        let e = parse("/nonexistent/key.json").err().expect("no such file");
        assert!(e.contains("/nonexistent/key.json"), "{e}");
        let settings = crate::clouds::gcp::Settings {
            credentials: Some(crate::secret::Secret::new(CANARY)),
            ..Default::default()
        };
        assert!(!format!("{settings:?}").contains(CANARY));
    }

    use super::*;

    #[test]
    fn key_files_are_read() {
        let pem = crate::clouds::oauth::tests::test_key_pem();
        let doc = json!({"type": "service_account", "client_email": "a@p.iam.gserviceaccount.com", "private_key": pem, "token_uri": "http://127.0.0.1:1/token"});
        match parse(&doc.to_string()).unwrap() {
            Source::ServiceAccount { email, token_uri, .. } => {
                assert_eq!(email, "a@p.iam.gserviceaccount.com");
                assert_eq!(token_uri, "http://127.0.0.1:1/token");
            }
            _ => panic!("not a service account"),
        }
        let user = json!({"type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r"});
        assert!(matches!(parse(&user.to_string()), Ok(Source::AuthorizedUser { .. })));
        let problem = |r: Result<Source, String>| r.err().unwrap_or_default();
        assert!(problem(parse("{\"type\": \"external_account\"}")).contains("not supported"));
        assert!(problem(parse("/nonexistent/key.json")).contains("cannot read"));
    }

    /// Serves one HTTP answer on a local port; hands back the request text it saw.
    async fn one_shot(answer: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let task = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            // Read the headers, then as many body bytes as content-length says.
            let mut seen = Vec::new();
            let mut buf = vec![0u8; 8192];
            loop {
                let n = sock.read(&mut buf).await.unwrap();
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let want = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if n == 0 || seen.len() >= end + 4 + want {
                        break;
                    }
                } else if n == 0 {
                    break;
                }
            }
            let body = answer.to_string();
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            sock.write_all(reply.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&seen).into_owned()
        });
        (host, task)
    }

    #[tokio::test]
    async fn the_metadata_server_is_asked_with_its_flavor_header() {
        let (host, seen) = one_shot(r#"{"access_token":"meta-token","expires_in":3599,"token_type":"Bearer"}"#).await;
        let creds = Credentials::new(Source::Metadata { host }, reqwest::Client::new());
        assert_eq!(creds.token().await.unwrap(), "meta-token");
        let request = seen.await.unwrap().to_ascii_lowercase();
        assert!(request.starts_with("get /computemetadata/v1/instance/service-accounts/default/token"), "{request}");
        assert!(request.contains("metadata-flavor: google"), "{request}");
        // Cached: a second call makes no request (the one-shot server is gone).
        assert_eq!(creds.token().await.unwrap(), "meta-token");
    }

    #[tokio::test]
    async fn an_authorized_user_file_uses_the_refresh_token_grant() {
        let (host, seen) = one_shot(r#"{"access_token":"user-token","expires_in":3599}"#).await;
        let file = json!({"type": "authorized_user", "client_id": "cid", "client_secret": "cs", "refresh_token": "rt",
            "token_uri": format!("http://{host}/token")});
        let source = parse(&file.to_string()).unwrap_or_else(|e| panic!("{e}"));
        let creds = Credentials::new(source, reqwest::Client::new());
        assert_eq!(creds.token().await.unwrap(), "user-token");
        let request = seen.await.unwrap();
        assert!(request.starts_with("POST /token"), "{request}");
        assert!(request.contains("grant_type=refresh_token") && request.contains("refresh_token=rt"), "{request}");
    }
}
