//! Connecting to the chosen engine (a unix socket, TCP with or without TLS, ssh), and turning a
//! failed first contact into an error that names the file or host and what to fix.

use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};

use super::choice::{EngineChoice, EngineHost, TlsFiles, tls_holder};
use super::client::Engine;
use super::error::EngineError;
use super::ssh::{self, SshFailure, SshLog};

/// Seconds any one call may take (a build or a pull streams within it).
const CALL_TIMEOUT: u64 = 600;
/// How long the first contact (a ping and the version) may take, an ssh login included.
const FIRST_CONTACT: Duration = Duration::from_secs(20);
/// How long a failed first contact over ssh waits for what ssh said.
const SSH_SAID: Duration = Duration::from_secs(3);
impl Engine {
    /// Connects to the engine the environment chooses (`DOCKER_HOST`, `DOCKER_CONTEXT`, the
    /// Docker config's current context, else the local socket), checks that it answers and
    /// agrees on an API version.
    pub async fn connect() -> Result<Engine, EngineError> {
        Engine::connect_to(&EngineChoice::from_env()?).await
    }

    /// Connects to the engine `choice` names, checks that it answers and agrees on an API
    /// version. A failure says what to fix: a missing or wrong TLS file, a key ssh could not
    /// log in with, a host that does not answer.
    pub async fn connect_to(choice: &EngineChoice) -> Result<Engine, EngineError> {
        let (docker, ssh_log) = open(choice)?;
        let first = async move {
            docker.ping().await?;
            docker.negotiate_version().await
        };
        match tokio::time::timeout(FIRST_CONTACT, first).await {
            Ok(Ok(docker)) => {
                let published = ssh::real_host_name(choice).await;
                Ok(Engine::from_parts(docker, choice.clone(), published))
            }
            Ok(Err(e)) => Err(diagnose(choice, e, ssh_log.as_ref()).await),
            Err(_) => Err(diagnose(
                choice,
                bollard::errors::Error::RequestTimeoutError,
                ssh_log.as_ref(),
            )
            .await),
        }
    }
}

/// A client for `choice`, not yet in contact; for ssh, the log of its ssh processes.
fn open(choice: &EngineChoice) -> Result<(Docker, Option<SshLog>), EngineError> {
    let address = choice.host.to_string();
    let opened = match (&choice.host, &choice.tls) {
        (EngineHost::Unix(_), _) => {
            Docker::connect_with_unix(&address, CALL_TIMEOUT, API_DEFAULT_VERSION)
        }
        (EngineHost::Tcp { .. }, None) => {
            Docker::connect_with_http(&address, CALL_TIMEOUT, API_DEFAULT_VERSION)
        }
        (EngineHost::Tcp { .. }, Some(tls)) => {
            check_tls_files(choice, tls)?;
            return Ok((super::tls::connect(choice, tls, CALL_TIMEOUT)?, None));
        }
        (EngineHost::Ssh { .. }, _) => {
            return ssh::connect(choice, CALL_TIMEOUT)
                .map(|(docker, log)| (docker, Some(log)))
                .map_err(|source| no_answer(choice, source));
        }
    };
    opened
        .map(|docker| (docker, None))
        .map_err(|source| no_answer(choice, source))
}

/// Each TLS file is there and holds what it should, so that a missing client certificate is
/// named here rather than refused by the engine without a word about which file.
fn check_tls_files(choice: &EngineChoice, tls: &TlsFiles) -> Result<(), EngineError> {
    let files = [
        ("CA certificate", tls.ca(), "CERTIFICATE-----"),
        ("client certificate", tls.cert(), "CERTIFICATE-----"),
        ("client key", tls.key(), "PRIVATE KEY-----"),
    ];
    for (what, path, marker) in files {
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(EngineError::TlsFileMissing {
                    what,
                    path,
                    holder: tls_holder(choice),
                });
            }
            Err(e) => {
                return Err(EngineError::TlsFileInvalid {
                    what,
                    path,
                    problem: e.to_string(),
                    holder: tls_holder(choice),
                });
            }
        };
        if !text.contains("-----BEGIN ") || !text.contains(marker) {
            return Err(EngineError::TlsFileInvalid {
                what,
                path,
                problem: format!("it is not PEM text with a {marker:?} block"),
                holder: tls_holder(choice),
            });
        }
    }
    Ok(())
}

fn no_answer(choice: &EngineChoice, source: bollard::errors::Error) -> EngineError {
    match choice.host {
        EngineHost::Unix(_) => EngineError::Unreachable {
            host: choice.host.to_string(),
            source,
        },
        _ => EngineError::NoAnswer {
            host: choice.host.to_string(),
            from: choice.source.to_string(),
            source: Box::new(source),
        },
    }
}

/// The error text with every cause after it.
fn chain_text(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Why a first contact failed, as precisely as what ssh said or the TLS library's error tells.
async fn diagnose(
    choice: &EngineChoice,
    error: bollard::errors::Error,
    ssh_log: Option<&SshLog>,
) -> EngineError {
    let host = choice.host.to_string();
    if let Some(log) = ssh_log
        && let Some(failure) = log.failure(SSH_SAID).await
    {
        return ssh_error(&host, failure);
    }
    let text = chain_text(&error);
    let problem = match &choice.tls {
        Some(tls) => match tls_problem(&text) {
            Some(problem) => Some(problem),
            // The pool may report a connection closed by the engine's alert without the
            // alert: ask the TLS layer once more, on a connection of our own.
            None => super::tls::what_tls_says(choice, tls)
                .await
                .and_then(|said| tls_problem(&said)),
        },
        None => None,
    };
    if let Some(tls) = &choice.tls
        && let Some(problem) = problem
    {
        return match problem {
            TlsProblem::UnknownCa => EngineError::UnknownCa { host, ca: tls.ca() },
            TlsProblem::WrongName(said) => EngineError::CertificateName { host, said },
            TlsProblem::Expired(said) => EngineError::CertificateExpired { host, said },
            TlsProblem::ClientRefused(alert) => EngineError::ClientCertRefused {
                host,
                cert: tls.cert(),
                alert,
            },
            TlsProblem::Other(said) => EngineError::TlsFailed {
                host,
                said,
                dir: tls.dir.clone(),
            },
        };
    }
    if choice.tls.is_none() && text.contains("HTTP request to an HTTPS server") {
        return EngineError::NeedsTls { host };
    }
    no_answer(choice, error)
}

/// What went wrong in a TLS handshake, read from the error's text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TlsProblem {
    /// The engine's certificate is not signed by our CA.
    UnknownCa,
    /// The engine's certificate does not name the address we connected to.
    WrongName(String),
    /// A certificate is out of date.
    Expired(String),
    /// The engine refused our client certificate (or got none), with the alert it sent.
    ClientRefused(String),
    /// Something else in the handshake.
    Other(String),
}

/// The TLS problem an error text describes; `None` when it is not about TLS (a refused
/// connection, a timeout).
fn tls_problem(text: &str) -> Option<TlsProblem> {
    let clause = |marker: &str| {
        let start = text.find(marker)?;
        let rest = &text[start..];
        Some(rest.split(": ").take(2).collect::<Vec<_>>().join(": "))
    };
    if text.contains("UnknownIssuer") || text.contains("unknown issuer") {
        return Some(TlsProblem::UnknownCa);
    }
    if let Some(said) =
        clause("certificate not valid for name").or_else(|| clause("NotValidForName"))
    {
        return Some(TlsProblem::WrongName(said));
    }
    if let Some(said) = clause("certificate expired").or_else(|| clause("NotValidYet")) {
        return Some(TlsProblem::Expired(said));
    }
    if text.contains("Expired") {
        return Some(TlsProblem::Expired("certificate expired".into()));
    }
    if let Some(at) = text.find("received fatal alert: ") {
        let alert: String = text[at + "received fatal alert: ".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        return Some(match alert.as_str() {
            "CertificateRequired"
            | "BadCertificate"
            | "UnknownCA"
            | "CertificateUnknown"
            | "UnsupportedCertificate"
            | "AccessDenied"
            | "DecryptError"
            | "HandshakeFailure" => TlsProblem::ClientRefused(alert),
            _ => TlsProblem::Other(format!("the engine sent the TLS alert {alert}")),
        });
    }
    for marker in [
        "invalid peer certificate",
        "peer is incompatible",
        "peer misbehaved",
        "received corrupt message",
        "peer sent no certificates",
    ] {
        if let Some(said) = clause(marker) {
            return Some(TlsProblem::Other(said));
        }
    }
    None
}

/// The error for what a failed ssh said.
fn ssh_error(host: &str, failure: SshFailure) -> EngineError {
    let host = host.to_string();
    let said = match failure {
        SshFailure::Spawn { program, message } => {
            return EngineError::SshMissing {
                host,
                program,
                message,
            };
        }
        // Its last full stop would stand before the error's own semicolon.
        SshFailure::Said(said) => said.trim_end_matches('.').to_string(),
    };
    match ssh_problem(&said) {
        SshProblem::Auth => EngineError::SshAuth { host, said },
        SshProblem::HostKey => EngineError::SshHostKey { host, said },
        SshProblem::Unreachable => EngineError::SshUnreachable { host, said },
        SshProblem::NoDocker => EngineError::SshNoDocker { host, said },
        SshProblem::NoDaemon => EngineError::SshNoDaemon { host, said },
        SshProblem::Other => EngineError::SshFailed { host, said },
    }
}

/// What an ssh failure's standard error says went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SshProblem {
    Auth,
    HostKey,
    Unreachable,
    NoDocker,
    NoDaemon,
    Other,
}

fn ssh_problem(said: &str) -> SshProblem {
    let has = |s: &str| said.contains(s);
    if has("Host key verification failed")
        || has("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || has("host key is known")
    {
        SshProblem::HostKey
    } else if has("Permission denied (") || has("Too many authentication failures") {
        SshProblem::Auth
    } else if has("Could not resolve hostname")
        || has("Connection refused")
        || has("Connection timed out")
        || has("No route to host")
        || has("Network is unreachable")
        || has("Connection closed by")
        || has("Connection reset by")
    {
        SshProblem::Unreachable
    } else if has("docker: command not found")
        || has("docker: not found")
        || has("\"docker\": executable file not found")
        || (has("docker") && has("No such file or directory") && !has("docker.sock"))
    {
        SshProblem::NoDocker
    } else if has("Cannot connect to the Docker daemon")
        || has("permission denied while trying to connect to the Docker daemon")
        || has("docker.sock")
    {
        SshProblem::NoDaemon
    } else {
        SshProblem::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_are_told_apart_by_the_libraries_words() {
        let p = |t: &str| tls_problem(t);
        assert_eq!(
            p("error trying to connect: invalid peer certificate: UnknownIssuer"),
            Some(TlsProblem::UnknownCa)
        );
        assert_eq!(
            p("client error (Connect): received fatal alert: CertificateRequired"),
            Some(TlsProblem::ClientRefused("CertificateRequired".into()))
        );
        assert_eq!(
            p("connection error: received fatal alert: UnknownCA"),
            Some(TlsProblem::ClientRefused("UnknownCA".into()))
        );
        assert!(matches!(
            p("invalid peer certificate: certificate not valid for name \"10.0.0.5\"; certificate is only valid for 127.0.0.1"),
            Some(TlsProblem::WrongName(said)) if said.contains("10.0.0.5")
        ));
        assert!(matches!(
            p("invalid peer certificate: certificate expired: verification time 1 (UNIX)"),
            Some(TlsProblem::Expired(_))
        ));
        assert_eq!(
            p("client error (Connect): tcp connect error: Connection refused (os error 111)"),
            None
        );
        assert_eq!(p("Timeout error"), None);
    }

    #[test]
    fn ssh_failures_are_told_apart_by_what_ssh_printed() {
        assert_eq!(
            ssh_problem("root@127.0.0.1: Permission denied (publickey)."),
            SshProblem::Auth
        );
        assert_eq!(
            ssh_problem("Host key verification failed."),
            SshProblem::HostKey
        );
        assert_eq!(
            ssh_problem("ssh: connect to host 127.0.0.1 port 1: Connection refused"),
            SshProblem::Unreachable
        );
        assert_eq!(
            ssh_problem("ssh: Could not resolve hostname nowhere: Name or service not known"),
            SshProblem::Unreachable
        );
        assert_eq!(
            ssh_problem("bash: line 1: docker: command not found"),
            SshProblem::NoDocker
        );
        assert_eq!(
            ssh_problem(
                "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
            ),
            SshProblem::NoDaemon
        );
        assert_eq!(ssh_problem("something else"), SshProblem::Other);
    }

    #[test]
    fn ssh_errors_name_the_host_and_the_fix() {
        let e = ssh_error(
            "ssh://root@127.0.0.1:2222",
            SshFailure::Said("root@127.0.0.1: Permission denied (publickey).".into()),
        );
        let text = e.to_string();
        assert!(text.contains("ssh://root@127.0.0.1:2222"), "{text}");
        assert!(text.contains("authorized_keys"), "{text}");
        let e = ssh_error(
            "ssh://box",
            SshFailure::Spawn {
                program: "ssh".into(),
                message: "No such file or directory (os error 2)".into(),
            },
        );
        assert!(e.to_string().contains("openssh-client"), "{e}");
    }

    #[test]
    fn missing_and_malformed_tls_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let choice = EngineChoice {
            host: EngineHost::parse("tcp://127.0.0.1:2376", true).unwrap(),
            tls: Some(TlsFiles::in_dir(dir.path())),
            ..EngineChoice::default()
        };
        let tls = choice.tls.clone().unwrap();
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        std::fs::write(tls.ca(), cert).unwrap();
        let e = check_tls_files(&choice, &tls).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("client certificate"), "{text}");
        assert!(text.contains(&tls.cert().display().to_string()), "{text}");
        std::fs::write(tls.cert(), cert).unwrap();
        std::fs::write(tls.key(), cert).unwrap();
        let e = check_tls_files(&choice, &tls).unwrap_err();
        assert!(
            matches!(
                e,
                EngineError::TlsFileInvalid {
                    what: "client key",
                    ..
                }
            ),
            "{e}"
        );
        std::fs::write(
            tls.key(),
            "-----BEGIN PRIVATE KEY-----\nMC4C\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        check_tls_files(&choice, &tls).unwrap();
    }
}
