//! A Management Server behind TLS, with a certificate made on the fly: one signed by a private
//! CA (to test `--ca-cert` with a real CA) or a self-signed one made the way `openssl req -x509`
//! makes it (`CA:TRUE`, no subject alternative name), to test pinning.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

pub struct TlsStub {
    pub port: u16,
    /// PEM of the certificate to trust: the CA's, or the self-signed server certificate itself.
    pub ca_pem: String,
    /// DER of the certificate the server presents.
    pub server_der: Vec<u8>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsStub {
    /// `sha256:<hex>` of the presented certificate, computed here independently of the gateway.
    pub fn fingerprint(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.server_der);
        let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }
}

impl Drop for TlsStub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A server whose certificate (for 127.0.0.1) a private CA signed.
pub async fn start() -> TlsStub {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "backup-mcp test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    serve(leaf.der().to_vec(), &leaf_key, ca_cert.pem()).await
}

/// A server presenting a self-signed `CA:TRUE` certificate, as `openssl req -x509` makes.
pub async fn start_self_signed() -> TlsStub {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "127.0.0.1");
    let cert = params.self_signed(&key).unwrap();
    serve(cert.der().to_vec(), &key, cert.pem()).await
}

/// A man in the middle: presents `cert_der` (someone else's certificate, which it copied) but
/// signs the handshake with a key of its own, as it must without the real private key.
pub async fn start_impostor(cert_der: Vec<u8>) -> TlsStub {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let own_key = rcgen::KeyPair::generate().unwrap();
    serve(cert_der, &own_key, String::new()).await
}

/// Answers Authenticate with a fresh JWT as text and every other request (the health read)
/// with an empty OData collection.
async fn serve(server_der: Vec<u8>, key: &rcgen::KeyPair, ca_pem: String) -> TlsStub {
    // Built by hand rather than with `with_single_cert`, which refuses a key that does not
    // match the certificate (the impostor's case).
    let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let signing_key = rustls::crypto::ring::sign::any_supported_type(&key_der).unwrap();
    let certified = rustls::sign::CertifiedKey::new(vec![server_der.clone().into()], signing_key);
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 16 * 1024];
                let n = tls.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]);
                let (content_type, body) = if request.contains("/api/Account/Authenticate") {
                    ("text/plain", super::jwt("tls"))
                } else {
                    ("application/json", r#"{"value":[]}"#.to_owned())
                };
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    TlsStub {
        port,
        ca_pem,
        server_der,
        task,
    }
}
