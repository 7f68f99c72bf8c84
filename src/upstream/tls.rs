//! Which server certificates one server's client accepts, beyond the platform's roots.
//!
//! MSPs meet three kinds of certificate: one from a public CA (the platform roots), one from a
//! private CA (`--ca-cert ca.pem`), and a self-signed one made with `openssl req -x509`, which
//! marks it `CA:TRUE`. WebPKI refuses such a certificate as the server's own
//! (`CaUsedAsEndEntity`) even when it is a trusted root, so a certificate given with `--ca-cert`
//! that *is* the presented one is accepted as pinned. `--tls-fingerprint sha256:<hex>` pins the
//! server certificate by hash instead: exactly that certificate, whoever signed it. In both cases
//! the handshake signature is still verified with the presented key, so a pin proves the peer
//! holds the pinned certificate's private key.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};

/// The SHA-256 of a certificate's DER encoding: what `--tls-fingerprint` pins.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn of(der: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest.as_ref());
        Fingerprint(bytes)
    }
}

/// Why a `--tls-fingerprint` value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{0:?} is not a SHA-256 fingerprint: write sha256: and 64 hex digits (colons allowed), as `openssl x509 -noout -fingerprint -sha256 -in cert.pem` prints them"
)]
pub struct BadFingerprint(pub String);

impl std::str::FromStr for Fingerprint {
    type Err = BadFingerprint;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadFingerprint(s.to_owned());
        let trimmed = s.trim();
        let hex = trimmed
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("sha256:"))
            .map(|_| &trimmed[7..])
            .or_else(|| {
                // openssl prints `sha256 Fingerprint=AB:CD:...`.
                trimmed
                    .get(..19)
                    .filter(|p| p.eq_ignore_ascii_case("sha256 fingerprint="))
                    .map(|_| &trimmed[19..])
            })
            // The hex alone: 64 digits can only be a SHA-256 here.
            .unwrap_or(trimmed);
        let digits: Vec<u8> = hex.bytes().filter(|b| *b != b':').collect();
        if digits.len() != 64 {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        for (i, pair) in digits.chunks(2).enumerate() {
            let text = std::str::from_utf8(pair).map_err(|_| bad())?;
            bytes[i] = u8::from_str_radix(text, 16).map_err(|_| bad())?;
        }
        Ok(Fingerprint(bytes))
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sha256:")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What one server's client trusts besides the platform roots.
#[derive(Debug, Default, Clone, Copy)]
pub struct Trust<'a> {
    /// PEM of CA certificates to add to the roots; each is also accepted as the server's own.
    pub ca_cert_pem: Option<&'a str>,
    /// The one server certificate accepted, by hash (the roots are then not consulted).
    pub fingerprint: Option<&'a Fingerprint>,
}

impl Trust<'_> {
    /// True when only the platform roots are trusted.
    pub fn is_default(&self) -> bool {
        self.ca_cert_pem.is_none() && self.fingerprint.is_none()
    }
}

/// Why a trust setting could not be turned into a TLS configuration.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("the saved CA certificate is not valid PEM: {0}")]
    BadPem(String),
    #[error("the saved CA certificate file holds no PEM certificate")]
    NoCertificate,
    #[error("cannot load the platform's trusted certificates: {0}")]
    Roots(rustls::Error),
    #[error("cannot set up TLS: {0}")]
    Setup(rustls::Error),
}

/// The presented certificate is not the pinned one: the connection is refused. Carried inside
/// the rustls error so [`super::http::classify`] can name both fingerprints.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the server's certificate has fingerprint {presented}, not the pinned {pinned}")]
pub struct PinMismatch {
    pub presented: Fingerprint,
    pub pinned: Fingerprint,
}

/// A rustls client configuration for `trust`, with the ALPN protocols reqwest would offer.
pub fn client_config(
    provider: Arc<CryptoProvider>,
    trust: Trust<'_>,
) -> Result<rustls::ClientConfig, TrustError> {
    let verifier = PinningVerifier::new(provider.clone(), trust)?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TrustError::Setup)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Every certificate in a PEM bundle.
fn parse_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>, TrustError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TrustError::BadPem(e.to_string()))?;
    if certs.is_empty() {
        return Err(TrustError::NoCertificate);
    }
    Ok(certs)
}

/// The platform verifier (with the given CAs added), falling back to the pinned certificates;
/// or, with a fingerprint, only the certificate of that hash.
#[derive(Debug)]
struct PinningVerifier {
    roots: Option<rustls_platform_verifier::Verifier>,
    pinned: Vec<CertificateDer<'static>>,
    fingerprint: Option<Fingerprint>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinningVerifier {
    fn new(provider: Arc<CryptoProvider>, trust: Trust<'_>) -> Result<Self, TrustError> {
        let algorithms = provider.signature_verification_algorithms;
        let pinned = trust.ca_cert_pem.map(parse_pem).transpose()?;
        let roots = match trust.fingerprint {
            Some(_) => None,
            None => Some(
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    pinned.clone().unwrap_or_default(),
                    provider,
                )
                .map_err(TrustError::Roots)?,
            ),
        };
        Ok(PinningVerifier {
            roots,
            pinned: pinned.unwrap_or_default(),
            fingerprint: trust.fingerprint.copied(),
            algorithms,
        })
    }
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(pinned) = self.fingerprint {
            let presented = Fingerprint::of(end_entity);
            if presented == pinned {
                return Ok(ServerCertVerified::assertion());
            }
            return Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatch { presented, pinned })),
            )));
        }
        let Some(roots) = &self.roots else {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ));
        };
        match roots.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Ok(verified) => Ok(verified),
            Err(_)
                if self
                    .pinned
                    .iter()
                    .any(|c| c.as_ref() == end_entity.as_ref()) =>
            {
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_in_the_usual_spellings_and_print_one_way() {
        let hex = "AB".repeat(32);
        let colons = vec!["ab"; 32].join(":");
        let a: Fingerprint = format!("sha256:{hex}").parse().unwrap();
        let b: Fingerprint = format!("SHA256:{colons}").parse().unwrap();
        let c: Fingerprint = format!("sha256 Fingerprint={}", colons.to_uppercase())
            .parse()
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.to_string(), format!("sha256:{}", "ab".repeat(32)));
        assert_eq!(hex.parse::<Fingerprint>().unwrap(), a);
        for bad in [
            "sha256:abcd",
            "sha1:ab",
            &format!("sha256:{}", "zz".repeat(32)),
        ] {
            assert!(bad.parse::<Fingerprint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_fingerprint_is_the_sha256_of_the_der() {
        // SHA-256 of the empty input.
        assert_eq!(
            Fingerprint::of(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
