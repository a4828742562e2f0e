//! Engines over TCP with TLS, as the docker CLI reaches them with `DOCKER_TLS_VERIFY`: the
//! engine's certificate must be signed by the CA in `ca.pem`, and this client offers the
//! certificate in `cert.pem`. Connections are kept and reused, so a run makes a handful of TLS
//! handshakes rather than one per call.

use std::sync::Arc;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use super::choice::{EngineChoice, EngineHost, TlsFiles, tls_holder};
use super::error::EngineError;
use super::transport::{IDLE, RequestBody, kept_connections};

/// The TLS settings from the files of `tls`: the CA alone decides which engine certificates
/// are trusted (no system roots), and the client certificate goes with its key.
pub(super) fn client_config(
    choice: &EngineChoice,
    tls: &TlsFiles,
) -> Result<ClientConfig, EngineError> {
    let invalid = |what: &'static str, path: std::path::PathBuf, problem: String| {
        EngineError::TlsFileInvalid {
            what,
            path,
            problem,
            holder: tls_holder(choice),
        }
    };
    let mut roots = RootCertStore::empty();
    let cas = CertificateDer::pem_file_iter(tls.ca())
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid("CA certificate", tls.ca(), e.to_string()))?;
    for ca in cas {
        roots
            .add(ca)
            .map_err(|e| invalid("CA certificate", tls.ca(), e.to_string()))?;
    }
    let certs = CertificateDer::pem_file_iter(tls.cert())
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid("client certificate", tls.cert(), e.to_string()))?;
    let key = PrivateKeyDer::from_pem_file(tls.key())
        .map_err(|e| invalid("client key", tls.key(), e.to_string()))?;
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(ring_provider);
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("CA certificate", tls.ca(), e.to_string()))?
        .with_root_certificates(roots)
        .with_client_auth_cert(certs, key)
        .map_err(|e| {
            invalid(
                "client key",
                tls.key(),
                format!(
                    "it does not go with the client certificate {}: {e}",
                    tls.cert().display()
                ),
            )
        })
}

/// The *ring* provider this crate builds rustls with, for a process that installed none of
/// its own. (rustls marks it deprecated for lacking post-quantum key exchange; an engine's
/// handshake then settles on X25519.)
#[allow(deprecated)]
fn ring_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client of the TCP engine `choice` names, over TLS with the files of `tls`.
pub(super) fn connect(
    choice: &EngineChoice,
    tls: &TlsFiles,
    timeout: u64,
) -> Result<bollard::Docker, EngineError> {
    let config = client_config(choice, tls)?;
    let mut http = HttpConnector::new();
    // The connector is handed https:// addresses; TLS is layered on by the wrapper.
    http.enforce_http(false);
    let https = HttpsConnector::from((http, config));
    let client: Client<_, RequestBody> = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(IDLE)
        .build(https);
    let address = match &choice.host {
        EngineHost::Tcp { host, port } if host.contains(':') => format!("https://[{host}]:{port}"),
        EngineHost::Tcp { host, port } => format!("https://{host}:{port}"),
        other => other.to_string(),
    };
    kept_connections(client, &address, timeout).map_err(|source| EngineError::NoAnswer {
        host: choice.host.to_string(),
        from: choice.source.to_string(),
        source: Box::new(source),
    })
}

/// What the engine's TLS layer answers one plain request with, over a connection of its own:
/// the error of the handshake or of the first read (an alert such as `CertificateRequired`,
/// a certificate it refused), or `None` when the request goes through or nothing answers. A
/// failed first contact asks this when its own error came back without the TLS layer's words
/// (a pooled connection seen closed before it was ready).
pub(super) async fn what_tls_says(choice: &EngineChoice, tls: &TlsFiles) -> Option<String> {
    use std::io::{Read, Write};
    use std::net::{TcpStream, ToSocketAddrs};
    let EngineHost::Tcp { host, port } = choice.host.clone() else {
        return None;
    };
    let config = Arc::new(client_config(choice, tls).ok()?);
    let wait = std::time::Duration::from_secs(5);
    tokio::task::spawn_blocking(move || {
        let name = rustls::pki_types::ServerName::try_from(host.clone()).ok()?;
        let mut conn = rustls::ClientConnection::new(config, name).ok()?;
        let addr = (host.as_str(), port).to_socket_addrs().ok()?.next()?;
        let mut sock = TcpStream::connect_timeout(&addr, wait).ok()?;
        sock.set_read_timeout(Some(wait)).ok()?;
        sock.set_write_timeout(Some(wait)).ok()?;
        let mut stream = rustls::Stream::new(&mut conn, &mut sock);
        let request = b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n";
        if let Err(e) = stream.write_all(request) {
            return Some(e.to_string());
        }
        let mut answer = [0u8; 64];
        stream.read(&mut answer).err().map(|e| e.to_string())
    })
    .await
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_of_another_certificate_is_named() {
        // A throwaway self-signed certificate (P-256), its key, and another certificate's key.
        let dir = tempfile::tempdir().unwrap();
        let tls = TlsFiles::in_dir(dir.path());
        std::fs::write(tls.ca(), CERT_A).unwrap();
        std::fs::write(tls.cert(), CERT_A).unwrap();
        std::fs::write(tls.key(), KEY_B).unwrap();
        let choice = EngineChoice {
            host: EngineHost::parse("tcp://127.0.0.1:2376", true).unwrap(),
            tls: Some(tls.clone()),
            ..EngineChoice::default()
        };
        let e = client_config(&choice, &tls).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("client key"), "{text}");
        assert!(
            text.contains("does not go with the client certificate"),
            "{text}"
        );
        std::fs::write(tls.key(), KEY_A).unwrap();
        client_config(&choice, &tls).unwrap();
    }

    const CERT_A: &str = "-----BEGIN CERTIFICATE-----
MIIBgTCCASegAwIBAgIUVGjuE29TZgiAkpU1g+Yn0dIkg5EwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKZG9ja2hhbmQtYTAgFw0yNjEyMDUxMjI3MzRaGA8yMTI2MTEx
MTEyMjczNFowFTETMBEGA1UEAwwKZG9ja2hhbmQtYTBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABEKCn0jNUtDbY6W7hiscUBYXs4zWtGRa0XaZUXy6wQgagYVkriLR
jXl48UdR9FzP+yUNX5VWSnlEgdfxY9dabA6jUzBRMB0GA1UdDgQWBBTpTojgWkxl
VUqocvewNIrMLeK6NDAfBgNVHSMEGDAWgBTpTojgWkxlVUqocvewNIrMLeK6NDAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDLIIdAECND6WDuqTyl
vX8PfohTa5FMf0OsPvYfVHn/QQIgLHY34bqhX2VGotlHyOlmhCAxDu07szI/6Vq/
K1yjZ5Q=
-----END CERTIFICATE-----
";
    const KEY_A: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgC5g0NL1Yy7HO1F+s
aeHwqUSmr6pR08kYBjz/xmqVrDChRANCAARCgp9IzVLQ22Olu4YrHFAWF7OM1rRk
WtF2mVF8usEIGoGFZK4i0Y15ePFHUfRcz/slDV+VVkp5RIHX8WPXWmwO
-----END PRIVATE KEY-----
";
    const KEY_B: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsZQEenBPoS0qidkl
RjYMPdRQVFAtrHLbyv8oH3dN0AShRANCAATx2/HsITvKkQtZg72pcOiQAv5bYzfP
xkSR/Wx5PT1qUxc/0xy36SXTaWFTUz17tLN61UWAlpQkeVs9R0Fe2e7G
-----END PRIVATE KEY-----
";
}
