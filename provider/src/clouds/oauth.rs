//! OAuth 2.0 pieces the GCP and Azure credentials share: RS256-signed JWTs (Google's JWT
//! grant, Azure's certificate assertion), PEM keys, token endpoints, and a token cache.

use std::time::{Duration, Instant};

use aws_lc_rs::{rand, signature};
use base64::Engine as _;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::clouds::{CloudError, ErrorKind};

/// base64url without padding, as JWTs use.
pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An RSA private key able to sign RS256.
pub struct RsaKey(signature::RsaKeyPair);

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaKey(..)")
    }
}

impl RsaKey {
    /// Reads the first private key of a PEM text (PKCS#8 or PKCS#1).
    pub fn from_pem(pem: &str) -> Result<RsaKey, String> {
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| format!("no RSA private key in the PEM text: {e}"))?;
        let pair = match &der {
            PrivateKeyDer::Pkcs8(k) => signature::RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => signature::RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => return Err("the private key is not an RSA key".into()),
        };
        pair.map(RsaKey).map_err(|e| format!("the RSA private key cannot be used: {e}"))
    }

    /// A signed JWT: base64url(header).base64url(claims).base64url(RS256 signature).
    pub fn jwt(&self, header: &Value, claims: &Value) -> Result<String, String> {
        let signing_input =
            format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
        let mut sig = vec![0u8; self.0.public_modulus_len()];
        self.0
            .sign(&signature::RSA_PKCS1_SHA256, &rand::SystemRandom::new(), signing_input.as_bytes(), &mut sig)
            .map_err(|e| format!("signing failed: {e}"))?;
        Ok(format!("{signing_input}.{}", b64url(&sig)))
    }

    /// The public key (DER, PKCS#1), for checks.
    #[cfg(test)]
    pub fn public_der(&self) -> Vec<u8> {
        use aws_lc_rs::signature::KeyPair as _;
        self.0.public_key().as_ref().to_vec()
    }
}

/// The first certificate of a PEM text, as DER.
#[allow(dead_code, reason = "for Azure certificate credentials, which land separately")]
pub fn certificate_der(pem: &str) -> Result<Vec<u8>, String> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map(|c| c.as_ref().to_vec())
        .map_err(|e| format!("no certificate in the PEM text: {e}"))
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// An access token and when to stop using it.
#[derive(Clone)]
pub struct Token {
    /// The bearer token.
    pub secret: String,
    /// Renew after this instant.
    pub renew_at: Instant,
}

impl Token {
    /// A token valid for `expires_in` seconds; renewed a minute early.
    pub fn new(secret: String, expires_in: u64) -> Token {
        let life = Duration::from_secs(expires_in.saturating_sub(60).max(1));
        Token { secret, renew_at: Instant::now() + life }
    }
}

/// One token at a time, fetched on first use and again when it runs out.
#[derive(Default)]
pub struct Cache(Mutex<Option<Token>>);

impl Cache {
    /// The cached token, or a new one from `fetch`.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<String, CloudError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Token, CloudError>>,
    {
        let mut slot = self.0.lock().await;
        if let Some(t) = slot.as_ref()
            && t.renew_at > Instant::now()
        {
            return Ok(t.secret.clone());
        }
        let t = fetch().await?;
        let secret = t.secret.clone();
        *slot = Some(t);
        Ok(secret)
    }
}

/// An authentication failure of `service`.
pub fn auth_error(service: &'static str, operation: &str, message: impl Into<String>) -> CloudError {
    CloudError {
        kind: ErrorKind::Auth,
        service,
        operation: operation.to_string(),
        code: None,
        message: message.into(),
        request_id: None,
    }
}

/// POSTs a form to a token endpoint; returns the access token and its lifetime (seconds).
pub async fn token_request(
    http: &reqwest::Client,
    service: &'static str,
    url: &str,
    form: &[(&str, &str)],
) -> Result<Token, CloudError> {
    let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let resp = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| auth_error(service, "token", format!("could not reach the token endpoint {url}: {e}")))?;
    let status = resp.status();
    let json: Value = resp.json().await.unwrap_or(Value::Null);
    token_from(service, status.as_u16(), &json)
}

/// Reads `{access_token, expires_in}` (Azure's managed identity sends `expires_in` as text).
pub fn token_from(service: &'static str, status: u16, json: &Value) -> Result<Token, CloudError> {
    if !(200..300).contains(&status) {
        let code = json["error"].as_str().map(str::to_string);
        let message = json["error_description"].as_str().unwrap_or("the token endpoint refused the credentials");
        let mut e = auth_error(service, "token", format!("HTTP {status}: {message}"));
        e.code = code;
        return Err(e);
    }
    let Some(token) = json["access_token"].as_str() else {
        return Err(auth_error(service, "token", "the token endpoint answered without access_token"));
    };
    let expires_in = match &json["expires_in"] {
        Value::Number(n) => n.as_u64().unwrap_or(300),
        Value::String(s) => s.parse().unwrap_or(300),
        _ => 300,
    };
    Ok(Token::new(token.to_string(), expires_in))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A 2048-bit RSA test key (PKCS#8), generated for these tests only.
    pub fn test_key_pem() -> String {
        use aws_lc_rs::encoding::{AsDer as _, Pkcs8V1Der};
        let doc = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let der: Pkcs8V1Der<'static> = doc.as_der().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let lines: Vec<String> = b64.as_bytes().chunks(64).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n"))
    }

    #[test]
    fn jwts_verify_with_the_public_key() {
        let key = RsaKey::from_pem(&test_key_pem()).unwrap();
        let jwt =
            key.jwt(&serde_json::json!({"alg": "RS256", "typ": "JWT"}), &serde_json::json!({"iss": "a"})).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let public = signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, key.public_der());
        public.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig).unwrap();
        assert!(RsaKey::from_pem("not a key").is_err());
    }

    #[test]
    fn token_answers_are_read() {
        let t = token_from("x", 200, &serde_json::json!({"access_token": "t", "expires_in": "3599"})).unwrap();
        assert_eq!(t.secret, "t");
        let e = token_from("x", 400, &serde_json::json!({"error": "invalid_grant", "error_description": "bad"}))
            .err()
            .unwrap();
        assert_eq!(e.code.as_deref(), Some("invalid_grant"));
        assert_eq!(e.kind, ErrorKind::Auth);
    }
}
