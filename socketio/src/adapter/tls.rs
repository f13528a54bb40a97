//! rustls client settings shared by the Redis and AMQP brokers (feature `tls`): the ring
//! provider (no OpenSSL), the system roots plus a CA file, a client certificate, and the
//! mapping of TLS failures to a [`BrokerError::Tls`] that names the host and the reason.

// Each broker uses part of this module; with one broker feature the rest is unused.
#![cfg_attr(not(all(feature = "redis", feature = "amqp")), allow(dead_code))]

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::broker::{BrokerError, TlsOptions};

/// Make ring the process default provider, unless the application installed one. The `redis`
/// crate builds its rustls configuration with the process default.
pub(crate) fn install_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Fails only if another thread installed one meanwhile, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

fn file_error(path: &Path, what: &str, e: impl std::fmt::Display) -> BrokerError {
    BrokerError::Tls {
        host: path.display().to_string(),
        reason: format!("cannot read the {what}: {e}"),
    }
}

/// The certificates of a PEM file (at least one).
fn read_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, BrokerError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(path, what, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, what, e))?;
    if certs.is_empty() {
        return Err(file_error(path, what, "no CERTIFICATE block in the file"));
    }
    Ok(certs)
}

/// The system's roots that rustls accepts as trust anchors (unparsable ones are skipped).
fn system_roots() -> Vec<CertificateDer<'static>> {
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::debug!(error = %e, "while loading the system's root certificates");
    }
    found
        .certs
        .into_iter()
        .filter(|c| RootCertStore::empty().add(c.clone()).is_ok())
        .collect()
}

/// The trusted roots: the system's (unless turned off) and the CA file's.
fn trusted(opts: &TlsOptions, host: &str) -> Result<Vec<CertificateDer<'static>>, BrokerError> {
    let mut roots = if opts.system_roots {
        system_roots()
    } else {
        Vec::new()
    };
    if let Some(ca) = &opts.ca_file {
        roots.extend(read_certs(ca, "CA file")?);
    }
    if roots.is_empty() {
        return Err(BrokerError::Tls {
            host: host.to_owned(),
            reason: "no trusted root certificate (system roots off or empty, and no CA file)"
                .into(),
        });
    }
    Ok(roots)
}

/// A certificate chain and its key, PEM.
pub(crate) type PemPair = (Vec<u8>, Vec<u8>);

/// The client certificate chain and key as PEM bytes, checked to parse.
pub(crate) fn client_pem(opts: &TlsOptions) -> Result<Option<PemPair>, BrokerError> {
    let (cert, key) = match (&opts.client_cert, &opts.client_key) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        (Some(p), None) | (None, Some(p)) => return Err(half_pair(p)),
    };
    read_certs(cert, "client certificate")?;
    PrivateKeyDer::from_pem_file(key).map_err(|e| file_error(key, "client key", e))?;
    let c = std::fs::read(cert).map_err(|e| file_error(cert, "client certificate", e))?;
    let k = std::fs::read(key).map_err(|e| file_error(key, "client key", e))?;
    Ok(Some((c, k)))
}

/// The trusted roots as one PEM bundle, for the `redis` crate (whose own root store, when
/// given one, replaces the system roots); `None` when the system roots alone are wanted, which
/// the crate loads itself.
pub(crate) fn roots_pem(opts: &TlsOptions, host: &str) -> Result<Option<Vec<u8>>, BrokerError> {
    if opts.system_roots && opts.ca_file.is_none() {
        return Ok(None);
    }
    let roots = trusted(opts, host)?;
    let mut pem = Vec::with_capacity(roots.len() * 2048);
    for cert in &roots {
        pem_block(&mut pem, cert.as_ref());
    }
    Ok(Some(pem))
}

fn pem_block(out: &mut Vec<u8>, der: &[u8]) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(b"-----END CERTIFICATE-----\n");
}

/// A complete rustls client configuration (the AMQP broker's).
pub(crate) fn client_config(
    opts: &TlsOptions,
    host: &str,
) -> Result<rustls::ClientConfig, BrokerError> {
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(trusted(opts, host)?);
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| BrokerError::Tls {
        host: host.to_owned(),
        reason: e.to_string(),
    })?
    .with_root_certificates(store);
    let config = match (&opts.client_cert, &opts.client_key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let chain = read_certs(cert, "client certificate")?;
            let key =
                PrivateKeyDer::from_pem_file(key).map_err(|e| file_error(key, "client key", e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| BrokerError::Tls {
                    host: cert.display().to_string(),
                    reason: format!("unusable client certificate or key: {e}"),
                })?
        }
        (Some(p), None) | (None, Some(p)) => return Err(half_pair(p)),
    };
    Ok(config)
}

fn half_pair(path: &Path) -> BrokerError {
    BrokerError::Tls {
        host: path.display().to_string(),
        reason: "a client certificate needs both the certificate and the key file".into(),
    }
}

/// A TLS failure reported by a client library, as a [`BrokerError::Tls`] for `host`: the
/// broker's certificate is not trusted or does not name the host, or the broker refused the
/// handshake (typically: no or a wrong client certificate). `None` for other errors.
pub(crate) fn classify(host: &str, message: &str) -> Option<BrokerError> {
    let reason = if let Some(i) = message.find("invalid peer certificate: ") {
        let what = message
            .get(i + "invalid peer certificate: ".len()..)
            .unwrap_or("")
            .split([',', '\n', ')'])
            .next()
            .unwrap_or("")
            .trim();
        let why = if what.starts_with("UnknownIssuer") {
            "the broker's certificate is not signed by a trusted CA (set the CA file)"
        } else if what.starts_with("NotValidForName") {
            "the broker's certificate does not name this host"
        } else if what.starts_with("Expired") || what.starts_with("NotValidYet") {
            "the broker's certificate is outside its validity period"
        } else if what.starts_with("Revoked") {
            "the broker's certificate is revoked"
        } else {
            "the broker's certificate was rejected"
        };
        format!("{why} ({what})")
    } else if let Some(i) = message.find("received fatal alert: ") {
        let alert = message
            .get(i + "received fatal alert: ".len()..)
            .unwrap_or("")
            .split([',', '\n', ')', ' '])
            .next()
            .unwrap_or("")
            .trim();
        let why = match alert {
            "CertificateRequired" | "HandshakeFailure" => {
                "the broker requires a client certificate (set one) or refused the handshake"
            }
            "BadCertificate" | "UnknownCA" | "CertificateUnknown" | "AccessDenied" => {
                "the broker refused the client certificate"
            }
            _ => "the broker aborted the TLS handshake",
        };
        format!("{why} (alert {alert})")
    } else if message.contains("peer is incompatible") || message.contains("InvalidCertificate") {
        format!("TLS handshake failed: {message}")
    } else {
        return None;
    };
    Some(BrokerError::Tls {
        host: host.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn classifies_rustls_failures() {
        let e = classify(
            "h:6380",
            "Connection refused - IoError: invalid peer certificate: UnknownIssuer",
        )
        .unwrap();
        let BrokerError::Tls { host, reason } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(host, "h:6380");
        assert!(reason.contains("not signed by a trusted CA"), "{reason}");
        assert!(reason.contains("UnknownIssuer"), "{reason}");
        assert!(e.to_string().contains("h:6380"), "{e}");

        let e = classify(
            "h:1",
            "invalid peer certificate: NotValidForName { expected: .. }",
        );
        assert!(
            matches!(e, Some(BrokerError::Tls { reason, .. }) if reason.contains("does not name"))
        );
        let e = classify("h:1", "io error: received fatal alert: CertificateRequired");
        assert!(
            matches!(e, Some(BrokerError::Tls { reason, .. }) if reason.contains("requires a client certificate"))
        );
        let e = classify("h:1", "received fatal alert: UnknownCA");
        assert!(
            matches!(e, Some(BrokerError::Tls { reason, .. }) if reason.contains("refused the client certificate"))
        );
        assert!(classify("h:1", "Connection refused (os error 111)").is_none());
    }

    #[test]
    fn half_a_client_certificate_is_an_error() {
        let opts = TlsOptions {
            client_cert: Some("/nonexistent/c.pem".into()),
            ..TlsOptions::default()
        };
        assert!(matches!(
            client_pem(&opts),
            Err(BrokerError::Tls { reason, .. }) if reason.contains("both")
        ));
        let opts = TlsOptions::default().client_cert("/nonexistent/c.pem", "/nonexistent/k.pem");
        assert!(matches!(
            client_pem(&opts),
            Err(BrokerError::Tls { host, reason }) if host == "/nonexistent/c.pem" && reason.contains("client certificate")
        ));
    }

    #[test]
    fn missing_ca_file_names_the_file() {
        let opts = TlsOptions::default().ca_file("/nonexistent/ca.pem");
        let err = roots_pem(&opts, "h:1").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
        let opts = TlsOptions::default().system_roots(false);
        let err = client_config(&opts, "h:1").unwrap_err();
        assert!(matches!(err, BrokerError::Tls { .. }), "{err}");
        assert_eq!(roots_pem(&TlsOptions::default(), "h").unwrap(), None);
    }

    #[test]
    fn pem_blocks_wrap_at_64() {
        let mut out = Vec::new();
        pem_block(&mut out, &[0u8; 100]);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first(), Some(&"-----BEGIN CERTIFICATE-----"));
        assert_eq!(lines.get(1).map(|l| l.len()), Some(64));
        assert_eq!(lines.last(), Some(&"-----END CERTIFICATE-----"));
        let der: Vec<_> = CertificateDer::pem_slice_iter(text.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(der.first().map(|d| d.as_ref().len()), Some(100));
    }
}
