//! AutoMTLS: the certificate exchange go-plugin does with Terraform.
//! Terraform passes its client certificate in `PLUGIN_CLIENT_CERT`; we answer with a fresh
//! self-signed server certificate in the handshake line and accept exactly that client.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tokio_rustls::TlsAcceptor;

/// A TLS acceptor and the DER certificate to announce in the handshake.
pub(crate) struct ServerTls {
    pub acceptor: TlsAcceptor,
    pub cert_der: Vec<u8>,
}

/// Builds the server side of AutoMTLS for the client certificate Terraform sent.
pub(crate) fn auto_mtls(client_cert_pem: &str) -> Result<ServerTls, String> {
    let client = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(|e| format!("PLUGIN_CLIENT_CERT is not a PEM certificate: {e}"))?;
    let (cert_der, key_der) = self_signed_localhost()?;
    // aws-lc-rs, not ring: Terraform's client key is ECDSA P-521, which ring cannot verify.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier =
        PinnedClient { expected: client.into_owned(), algorithms: provider.signature_verification_algorithms };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![CertificateDer::from(cert_der.clone())], key_der)
        .map_err(|e| format!("TLS setup: {e}"))?;
    // grpc-go (Terraform ≥ 1.12) refuses a TLS server that does not negotiate h2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerTls { acceptor: TlsAcceptor::from(Arc::new(config)), cert_der })
}

fn self_signed_localhost() -> Result<(Vec<u8>, PrivateKeyDer<'static>), String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| format!("key generation: {e}"))?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).map_err(|e| format!("certificate: {e}"))?;
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params.distinguished_name.push(DnType::OrganizationName, "tfplug");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::seconds(30);
    params.not_after = now + time::Duration::days(365);
    let cert = params.self_signed(&key).map_err(|e| format!("certificate: {e}"))?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().to_vec(), key_der))
}

/// Accepts exactly the certificate Terraform announced, checking the handshake
/// signature (Terraform's certificate is a self-signed CA, which webpki refuses as a leaf).
#[derive(Debug)]
struct PinnedClient {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClient {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
