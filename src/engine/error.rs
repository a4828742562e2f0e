//! Errors from talking to the Docker Engine.

use thiserror::Error;

/// What went wrong talking to the Docker Engine, with the service, image or object it concerned.
#[derive(Debug, Error)]
pub enum EngineError {
    /// No daemon answers at the configured address.
    #[error(
        "no Docker daemon answers at {host}; start one (`sudo systemctl start docker`, or `dockerd &` as root) or point DOCKER_HOST at a running daemon"
    )]
    Unreachable {
        /// The address tried (`DOCKER_HOST`, or the local socket).
        host: String,
        /// The client's error.
        #[source]
        source: bollard::errors::Error,
    },
    /// No engine answers at a TCP or ssh address.
    #[error(
        "no Docker engine answers at {host} (from {from}); check the address and port, that the engine listens there, and that no firewall stands between this machine and it"
    )]
    NoAnswer {
        /// The address tried.
        host: String,
        /// What chose it (`DOCKER_HOST`, `--host`, a context).
        from: String,
        /// The client's error.
        #[source]
        source: Box<bollard::errors::Error>,
    },
    /// `--host` and `--context` both name an engine.
    #[error("both --host ({host}) and --context ({context}) name an engine; give only one of them")]
    ConflictingChoice {
        /// The `--host` value.
        host: String,
        /// The `--context` value.
        context: String,
    },
    /// An engine address that dockhand cannot use.
    #[error("invalid engine address {address:?} from {from}: {problem}")]
    BadAddress {
        /// The address as given.
        address: String,
        /// What gave it (`DOCKER_HOST`, `--host`, a context).
        from: String,
        /// What is wrong, and what a valid one looks like.
        problem: String,
    },
    /// A Docker context named by `--context`, `DOCKER_CONTEXT` or the config's
    /// `currentContext` is not in the context store.
    #[error(
        "no Docker context named {name} (named by {named_by}): {} does not exist; `docker context ls` lists the contexts, `docker context create` makes one", meta.display()
    )]
    NoSuchContext {
        /// The context's name.
        name: String,
        /// What named it.
        named_by: String,
        /// Where its metadata would be.
        meta: std::path::PathBuf,
    },
    /// The Docker config file or a context's metadata could not be read.
    #[error("error reading {}", path.display())]
    UnreadableConfig {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The Docker config file or a context's metadata is not what Docker writes.
    #[error("{} is not a valid Docker config file: {problem}; fix or remove it", path.display())]
    BadConfig {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// TLS that does not check the engine's certificate (`DOCKER_TLS` without
    /// `DOCKER_TLS_VERIFY`, a context with SkipTLSVerify).
    #[error(
        "{from} asks for TLS without checking the engine's certificate, which dockhand does not do; set DOCKER_TLS_VERIFY=1 and put the CA that signed the engine's certificate in {}", dir.join("ca.pem").display()
    )]
    TlsWithoutVerify {
        /// What asked for it.
        from: String,
        /// The TLS folder in use.
        dir: std::path::PathBuf,
    },
    /// `DOCKHAND_SSH_COMMAND` is not a command line.
    #[error(
        "DOCKHAND_SSH_COMMAND {command:?} is not a command line (an unclosed quote?); give the ssh program and its options, such as `ssh -F ci/ssh_config`"
    )]
    BadSshCommand {
        /// The value.
        command: String,
    },
    /// A TLS file the engine's address needs is missing.
    #[error(
        "the {what} {} is missing; {holder} must hold ca.pem (the CA that signed the engine's certificate), cert.pem and key.pem (this client's certificate and key)", path.display()
    )]
    TlsFileMissing {
        /// `CA certificate`, `client certificate`, `client key`.
        what: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// What holds the TLS files (`DOCKER_CERT_PATH`, a context's folder).
        holder: String,
    },
    /// A TLS file cannot be read or holds no PEM certificate or key.
    #[error(
        "the {what} {} cannot be used: {problem}; {holder} must hold PEM files: ca.pem and cert.pem (certificates) and key.pem (a private key)", path.display()
    )]
    TlsFileInvalid {
        /// `CA certificate`, `client certificate`, `client key`.
        what: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        problem: String,
        /// What holds the TLS files.
        holder: String,
    },
    /// The engine's certificate is not signed by the CA dockhand was given.
    #[error(
        "the engine at {host} presented a certificate that the CA in {} did not sign; put the CA that signed the engine's certificate (the engine's --tlscacert) in that file", ca.display()
    )]
    UnknownCa {
        /// The engine's address.
        host: String,
        /// The CA file used.
        ca: std::path::PathBuf,
    },
    /// The engine's certificate does not name the address connected to.
    #[error(
        "the engine's certificate does not hold the address {host} ({said}); connect by a name or IP address the certificate lists, or reissue it with this one in its subjectAltName"
    )]
    CertificateName {
        /// The engine's address.
        host: String,
        /// The TLS library's words.
        said: String,
    },
    /// A certificate of the handshake is out of date.
    #[error("the TLS handshake with the engine at {host} failed: {said}; renew the certificate")]
    CertificateExpired {
        /// The engine's address.
        host: String,
        /// The TLS library's words.
        said: String,
    },
    /// The engine refused this client's certificate.
    #[error(
        "the engine at {host} refused the client certificate {} (TLS alert {alert}); use a client certificate signed by the CA the engine trusts (its --tlscacert), with its own key in key.pem", cert.display()
    )]
    ClientCertRefused {
        /// The engine's address.
        host: String,
        /// The client certificate offered.
        cert: std::path::PathBuf,
        /// The alert the engine sent.
        alert: String,
    },
    /// Another TLS handshake failure.
    #[error("the TLS handshake with the engine at {host} failed: {said}; check the files in {}", dir.display())]
    TlsFailed {
        /// The engine's address.
        host: String,
        /// The TLS library's words.
        said: String,
        /// The TLS folder used.
        dir: std::path::PathBuf,
    },
    /// Plain HTTP sent to an engine that speaks TLS.
    #[error(
        "the engine at {host} speaks TLS; set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem"
    )]
    NeedsTls {
        /// The engine's address.
        host: String,
    },
    /// The ssh program could not be started.
    #[error(
        "cannot run {program} to reach {host}: {message}; install the OpenSSH client (`apt-get install openssh-client`) or name another in DOCKHAND_SSH_COMMAND"
    )]
    SshMissing {
        /// The engine's address.
        host: String,
        /// The program.
        program: String,
        /// Why, as the system says.
        message: String,
    },
    /// ssh could not log in.
    #[error(
        "ssh could not log in to {host}: {said}; dockhand runs ssh with BatchMode=yes, so nothing can prompt for a password or passphrase: load the key into ssh-agent or name it with IdentityFile in ~/.ssh/config (or DOCKHAND_SSH_COMMAND=\"ssh -i KEY\"), and add its public key to ~/.ssh/authorized_keys of that user on the host"
    )]
    SshAuth {
        /// The engine's address.
        host: String,
        /// What ssh printed.
        said: String,
    },
    /// ssh does not trust the host's key.
    #[error(
        "ssh does not trust the host key of {host}: {said}; connect once with ssh to check and accept it, or add it to ~/.ssh/known_hosts"
    )]
    SshHostKey {
        /// The engine's address.
        host: String,
        /// What ssh printed.
        said: String,
    },
    /// ssh cannot reach the host.
    #[error(
        "ssh cannot reach {host}: {said}; check the host name and port, and that sshd runs there"
    )]
    SshUnreachable {
        /// The engine's address.
        host: String,
        /// What ssh printed.
        said: String,
    },
    /// The host has no docker command for `docker system dial-stdio`.
    #[error(
        "{host} has no docker command to reach its engine with (`docker system dial-stdio`): {said}; install the Docker CLI there, on the PATH of non-interactive ssh sessions"
    )]
    SshNoDocker {
        /// The engine's address.
        host: String,
        /// What ssh printed.
        said: String,
    },
    /// The docker command on the host cannot reach its engine.
    #[error(
        "the docker command on {host} cannot reach its engine: {said}; start the engine there, and let the ssh user use its socket (the docker group)"
    )]
    SshNoDaemon {
        /// The engine's address.
        host: String,
        /// What ssh printed.
        said: String,
    },
    /// Another ssh failure.
    #[error("ssh to {host} failed: {said}")]
    SshFailed {
        /// The engine's address.
        host: String,
        /// What ssh printed.
        said: String,
    },
    /// A pull failed: the image is not in the registry, the registry refused the
    /// credentials, or it cannot be reached.
    #[error(
        "could not pull image {image} for service {service} from {registry}: {message}; check the name and tag, and the credentials for {registry} in the Docker config (`docker login {registry}`)"
    )]
    Pull {
        /// The service whose image it is.
        service: String,
        /// The image reference.
        image: String,
        /// The registry its name names.
        registry: String,
        /// The engine's or the registry's message.
        message: String,
    },
    /// A push failed: the registry refused the credentials or the push, or cannot be reached.
    #[error(
        "could not push {image} to {registry}: {message}; check the credentials for {registry} in the Docker config (`docker login {registry}`) and that they may push there"
    )]
    Push {
        /// The image reference pushed.
        image: String,
        /// The registry its name names.
        registry: String,
        /// The engine's or the registry's message.
        message: String,
    },
    /// The credentials for a registry could not be read from the Docker config.
    #[error(transparent)]
    Auth(#[from] super::auth::AuthError),
    /// An image is not local and `pull_policy: never` forbids pulling it.
    #[error(
        "image {image} for service {service} is not present locally, and its pull_policy is never; build or load it first"
    )]
    ImageNotLocal {
        /// The service that runs it.
        service: String,
        /// The image reference.
        image: String,
    },
    /// An image build failed.
    #[error("could not build image {image} for service {service}: {message}{}", build_tail(.output))]
    Build {
        /// The service whose image it is.
        service: String,
        /// The image reference being built.
        image: String,
        /// The builder's error message.
        message: String,
        /// The last lines the build printed.
        output: Vec<String>,
    },
    /// The build context could not be read (a missing folder, an unreadable file).
    #[error("error reading the build context {path} of service {service}")]
    BuildContext {
        /// The service being built.
        service: String,
        /// The context folder.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A secret or config reads an environment variable that is not set.
    #[error(
        "environment variable {variable} required by {what} of service {service} is not set; set it in the environment or in the .env file"
    )]
    UnsetVariable {
        /// The variable.
        variable: String,
        /// What needs it (`secret "token"`).
        what: String,
        /// The service that receives it.
        service: String,
    },
    /// A file of this machine to copy into a container (a secret or config on a remote
    /// engine) could not be read.
    #[error("error reading {what} of service {service} from {}", path.display())]
    HostFile {
        /// What the file is (`secret "token"`).
        what: String,
        /// The service that receives it.
        service: String,
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Files to put into a container could not be packed.
    #[error("error packing {what}")]
    Archive {
        /// What was being packed.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A path to copy from, or a directory to copy into, is not in the container.
    #[error(
        "no {path} in container {container}; paths are read inside the container, and a directory to copy into must exist there"
    )]
    NoSuchPath {
        /// The container's id.
        container: String,
        /// The path, as the container sees it.
        path: String,
        /// The engine's answer.
        #[source]
        source: bollard::errors::Error,
    },
    /// Files copied out of a container could not be written into a local directory.
    #[error("error unpacking {what} into {dir}")]
    Unpack {
        /// What was copied: the path and its container.
        what: String,
        /// The local directory.
        dir: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Any other call the engine refused or failed.
    #[error("error {action}")]
    Api {
        /// What dockhand was doing (`creating network x`).
        action: String,
        /// The engine's answer.
        #[source]
        source: bollard::errors::Error,
    },
}

fn build_tail(output: &[String]) -> String {
    if output.is_empty() {
        return String::new();
    }
    let mut s = String::from("\nlast lines of the build:");
    for line in output {
        s.push_str("\n  | ");
        s.push_str(line);
    }
    s
}

impl EngineError {
    /// Wraps an API error with what dockhand was doing ("creating network x").
    pub fn api(action: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> EngineError {
        let action = action.into();
        move |source| EngineError::Api { action, source }
    }

    /// Whether the engine answered that the object is gone (404) or in no state for the call
    /// (409: a container that is not running, a removal under way).
    pub fn is_gone(&self) -> bool {
        matches!(self, EngineError::Api { source, .. } if is_not_found(source) || is_conflict(source))
    }
}

/// Whether an API error is the engine's 404 (the object is already gone).
pub(super) fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// Whether an API error is a 409 conflict (removal already in progress, name in use).
pub(super) fn is_conflict(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 409,
            ..
        }
    )
}
