//! TLS for the policy server: a certificate chain and key from PEM files, and optionally mTLS
//! (client certificates must chain to `--client-ca`). rustls on aws-lc-rs, as in tfplug.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio_rustls::TlsAcceptor;

use crate::error::{Error, Location, Result};

/// Where the server's TLS material is.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM CA certificates; when set, every client must present a certificate signed by one.
    pub client_ca: Option<PathBuf>,
}

impl TlsFiles {
    /// Reads the files and builds the acceptor. ALPN offers h2 (gRPC) and http/1.1.
    pub fn acceptor(&self) -> Result<TlsAcceptor> {
        let chain = certificates(&self.cert)?;
        let key = PrivateKeyDer::from_pem_file(&self.key).map_err(|e| pem_error(&self.key, "a private key", &e))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(&self.cert, &e))?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in certificates(ca)? {
                    roots.add(cert).map_err(|e| tls_error(ca, &e))?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().map_err(|e| {
                        Error::Input { location: Location::file(ca.display().to_string()), message: e.to_string() }
                    })?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_single_cert(chain, key).map_err(|e| tls_error(&self.key, &e))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, "certificates", &e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, "certificates", &e))?;
    if certs.is_empty() {
        return Err(Error::Input {
            location: Location::file(path.display().to_string()),
            message: "no PEM certificate found (expected -----BEGIN CERTIFICATE-----)".into(),
        });
    }
    Ok(certs)
}

fn pem_error(path: &Path, what: &str, e: &rustls::pki_types::pem::Error) -> Error {
    match e {
        rustls::pki_types::pem::Error::Io(io) => Error::io(path, std::io::Error::new(io.kind(), io.to_string())),
        other => Error::Input {
            location: Location::file(path.display().to_string()),
            message: format!("expected PEM {what}: {other}"),
        },
    }
}

fn tls_error(path: &Path, e: &rustls::Error) -> Error {
    Error::Input { location: Location::file(path.display().to_string()), message: format!("TLS setup: {e}") }
}
