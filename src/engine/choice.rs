//! Which Docker engine to talk to, chosen as the docker CLI chooses it: `-H`, else `--context`,
//! else `DOCKER_HOST`, else `DOCKER_CONTEXT`, else the current context of the Docker config,
//! else the local socket; with the TLS files of `DOCKER_CERT_PATH` or of the context. Whether
//! the engine counts as local follows from its address unless the user says.
//!
//! The choice is plain data. Deciding it reads the environment and, for a context, two small
//! files of the Docker config folder; nothing here talks to an engine.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::EngineError;

/// The engine's socket when nothing else is chosen.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The environment variable holding the ssh command (and leading arguments, in shell words)
/// used for `ssh://` engines, as `GIT_SSH_COMMAND` does for git: `ssh -F ci/ssh_config`.
pub const SSH_COMMAND_ENV: &str = "DOCKHAND_SSH_COMMAND";

/// An engine's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineHost {
    /// A unix socket on this machine (`unix:///var/run/docker.sock`).
    Unix(PathBuf),
    /// A TCP address (`tcp://build-box:2376`), with TLS when the choice has TLS files.
    Tcp {
        /// Host name or IP address (an IPv6 address without brackets).
        host: String,
        /// The port; 2375 by default, 2376 with TLS.
        port: u16,
    },
    /// A machine reached with ssh, where `docker system dial-stdio` reaches its engine
    /// (`ssh://ci@build-box:2222`).
    Ssh {
        /// The user to log in as; `None` leaves it to ssh (its config, else the local user).
        user: Option<String>,
        /// Host name (or ssh config alias) or IP address.
        host: String,
        /// The port; `None` leaves it to ssh.
        port: Option<u16>,
    },
}

impl EngineHost {
    /// Reads an address as `-H` and `DOCKER_HOST` take it: `unix://PATH`, `tcp://HOST[:PORT]`
    /// (`http://` alike; no scheme means tcp) or `ssh://[USER@]HOST[:PORT]`. `tls` picks the
    /// default TCP port. The error says what is wrong.
    pub fn parse(address: &str, tls: bool) -> Result<EngineHost, String> {
        let address = address.trim();
        let (scheme, rest) = match address.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("tcp".to_string(), address),
        };
        match scheme.as_str() {
            "unix" => {
                if !rest.starts_with('/') {
                    return Err(
                        "a unix socket is an absolute path: unix:///var/run/docker.sock".into(),
                    );
                }
                Ok(EngineHost::Unix(PathBuf::from(rest)))
            }
            "tcp" | "http" => {
                let authority = without_path(rest)?;
                let (host, port) = split_port(authority)?;
                if host.is_empty() {
                    return Err("no host name: tcp://HOST:PORT".into());
                }
                Ok(EngineHost::Tcp {
                    host,
                    port: port.unwrap_or(if tls { 2376 } else { 2375 }),
                })
            }
            "ssh" => {
                let authority = without_path(rest)?;
                let (user, authority) = match authority.rsplit_once('@') {
                    Some((user, host)) if !user.is_empty() => (Some(user.to_string()), host),
                    Some(_) => return Err("an empty user name before @".into()),
                    None => (None, authority),
                };
                let (host, port) = split_port(authority)?;
                if host.is_empty() {
                    return Err("no host name: ssh://USER@HOST[:PORT]".into());
                }
                Ok(EngineHost::Ssh { user, host, port })
            }
            other => Err(format!(
                "dockhand reaches engines over unix://, tcp:// and ssh://, not {other}://"
            )),
        }
    }

    /// Whether the address is on this machine: a unix socket, or TCP to a loopback address.
    /// An ssh address never is (the point of ssh is another machine).
    pub fn is_on_this_machine(&self) -> bool {
        match self {
            EngineHost::Unix(_) => true,
            EngineHost::Tcp { host, .. } => is_loopback(host),
            EngineHost::Ssh { .. } => false,
        }
    }

    /// The host at which the engine's published ports are reached from here: the address's
    /// host for TCP and ssh, loopback for a socket.
    pub fn published_host(&self) -> String {
        match self {
            EngineHost::Unix(_) => "127.0.0.1".into(),
            EngineHost::Tcp { host, .. } | EngineHost::Ssh { host, .. } => host.clone(),
        }
    }
}

impl fmt::Display for EngineHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bracketed = |host: &str| {
            if host.contains(':') {
                format!("[{host}]")
            } else {
                host.to_string()
            }
        };
        match self {
            EngineHost::Unix(path) => write!(f, "unix://{}", path.display()),
            EngineHost::Tcp { host, port } => write!(f, "tcp://{}:{port}", bracketed(host)),
            EngineHost::Ssh { user, host, port } => {
                f.write_str("ssh://")?;
                if let Some(user) = user {
                    write!(f, "{user}@")?;
                }
                f.write_str(&bracketed(host))?;
                if let Some(port) = port {
                    write!(f, ":{port}")?;
                }
                Ok(())
            }
        }
    }
}

/// `host[:port]` with no path after it (a lone `/` is fine).
fn without_path(rest: &str) -> Result<&str, String> {
    match rest.split_once('/') {
        Some((authority, "")) => Ok(authority),
        Some((_, path)) => Err(format!(
            "a path after the host (/{path}) is not supported; give only HOST[:PORT]"
        )),
        None => Ok(rest),
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let bad_port = |p: &str| format!("{p:?} is not a port number (1 to 65535)");
    let parse = |p: &str| match p.parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(bad_port(p)),
    };
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| "an IPv6 address without its closing ]".to_string())?;
        return match after.strip_prefix(':') {
            Some(p) => Ok((host.to_string(), Some(parse(p)?))),
            None if after.is_empty() => Ok((host.to_string(), None)),
            None => Err(format!("{after:?} after the IPv6 address")),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, p)) => Ok((host.to_string(), Some(parse(p)?))),
        None => Ok((authority.to_string(), None)),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The TLS files of an engine reached over TCP: a folder holding `ca.pem` (the CA that signed
/// the engine's certificate), `cert.pem` and `key.pem` (this client's certificate and key), as
/// `DOCKER_CERT_PATH` and the contexts hold them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The folder.
    pub dir: PathBuf,
}

impl TlsFiles {
    /// The files in `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> TlsFiles {
        TlsFiles { dir: dir.into() }
    }

    /// The CA certificate the engine's certificate must be signed by.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// This client's certificate.
    pub fn cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// This client's private key.
    pub fn key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

/// Where the choice came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChoiceSource {
    /// The `-H`/`--host` option (or the library's [`EngineChoice::host`]).
    HostOption,
    /// The `DOCKER_HOST` environment variable.
    DockerHost,
    /// A Docker context, and what named it.
    Context {
        /// The context's name.
        name: String,
        /// What named it: `--context`, `DOCKER_CONTEXT`, or the config file's `currentContext`.
        named_by: String,
    },
    /// Nothing: the local socket.
    Default,
}

impl fmt::Display for ChoiceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChoiceSource::HostOption => f.write_str("--host"),
            ChoiceSource::DockerHost => f.write_str("DOCKER_HOST"),
            ChoiceSource::Context { name, named_by } => {
                write!(f, "context {name} (named by {named_by})")
            }
            ChoiceSource::Default => f.write_str("the default socket"),
        }
    }
}

/// Whether the engine runs on this machine: decided from its address, or said by the user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Location {
    /// From the address: a unix socket or TCP to loopback is local; ssh and other TCP are not.
    #[default]
    FromAddress,
    /// On this machine whatever its address (`--engine-is-local`).
    Local,
    /// On another machine whatever its address (`--engine-is-remote`): a socket forwarded
    /// from elsewhere, a TCP port forwarded to loopback.
    Remote,
}

/// What the user asked for on the command line; the rest comes from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineRequest {
    /// `-H`/`--host`.
    pub host: Option<String>,
    /// `--context`.
    pub context: Option<String>,
    /// `--engine-is-local`, `--engine-is-remote`.
    pub location: Location,
    /// `--allow-remote-binds`: the folders bind-mounted from this machine exist at the same
    /// paths on the engine's host.
    pub allow_remote_binds: bool,
}

/// The environment variables and Docker config folder the choice reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerEnv {
    /// `DOCKER_HOST`.
    pub host: Option<String>,
    /// `DOCKER_TLS_VERIFY` is set to anything but empty.
    pub tls_verify: bool,
    /// `DOCKER_TLS` is set to anything but empty (TLS without checking the engine).
    pub tls_unverified: bool,
    /// `DOCKER_CERT_PATH`.
    pub cert_path: Option<PathBuf>,
    /// `DOCKER_CONTEXT`.
    pub context: Option<String>,
    /// `DOCKER_CONFIG`, else `~/.docker`; `None` when neither is known.
    pub config_dir: Option<PathBuf>,
    /// `DOCKHAND_SSH_COMMAND`.
    pub ssh_command: Option<String>,
}

impl DockerEnv {
    /// This process's environment.
    pub fn from_process() -> DockerEnv {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let config_dir = var("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| Path::new(&h).join(".docker")));
        DockerEnv {
            host: var("DOCKER_HOST"),
            tls_verify: var("DOCKER_TLS_VERIFY").is_some(),
            tls_unverified: var("DOCKER_TLS").is_some(),
            cert_path: var("DOCKER_CERT_PATH").map(PathBuf::from),
            context: var("DOCKER_CONTEXT"),
            config_dir,
            ssh_command: var(SSH_COMMAND_ENV),
        }
    }
}

/// The engine to talk to and how: its address, its TLS files, whether it counts as local.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use dockhand::engine::EngineChoice;
///
/// // As the docker CLI would choose (DOCKER_HOST, DOCKER_CONTEXT, the current context):
/// let from_env = EngineChoice::from_env()?;
/// // Or named, with TLS files from DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set:
/// let build_box = EngineChoice::host("tcp://build-box:2376")?;
/// let stack = dockhand::Stack::builder()
///     .file("compose.yml")
///     .engine(build_box)
///     .up()
///     .await?;
/// # let _ = (from_env, stack); Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineChoice {
    /// The address.
    pub host: EngineHost,
    /// TLS files, for a TCP address that uses TLS.
    pub tls: Option<TlsFiles>,
    /// Where the choice came from.
    pub source: ChoiceSource,
    /// Whether the engine counts as local.
    pub location: Location,
    /// The folders bind-mounted from this machine exist at the same paths on a remote
    /// engine's host.
    pub allow_remote_binds: bool,
    /// The ssh command and its leading arguments for an ssh address (default `ssh`).
    pub ssh_command: Vec<String>,
}

impl Default for EngineChoice {
    /// The local socket, no TLS.
    fn default() -> Self {
        EngineChoice {
            host: EngineHost::Unix(PathBuf::from(DEFAULT_SOCKET)),
            tls: None,
            source: ChoiceSource::Default,
            location: Location::FromAddress,
            allow_remote_binds: false,
            ssh_command: vec!["ssh".into()],
        }
    }
}

/// The context store's metadata of one context, as `docker context create` writes it.
#[derive(Debug, Deserialize)]
struct ContextMeta {
    #[serde(rename = "Endpoints", default)]
    endpoints: std::collections::BTreeMap<String, ContextEndpoint>,
}

#[derive(Debug, Deserialize)]
struct ContextEndpoint {
    #[serde(rename = "Host", default)]
    host: Option<String>,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: bool,
}

/// The part of the Docker config file the choice reads.
#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(rename = "currentContext", default)]
    current_context: Option<String>,
}

impl EngineChoice {
    /// The engine as the docker CLI would choose it from this process's environment and
    /// Docker config.
    pub fn from_env() -> Result<EngineChoice, EngineError> {
        EngineChoice::resolve(&EngineRequest::default(), &DockerEnv::from_process())
    }

    /// The engine at `address` (as `-H` takes it), with the TLS files of `DOCKER_CERT_PATH`
    /// when `DOCKER_TLS_VERIFY` is set.
    pub fn host(address: &str) -> Result<EngineChoice, EngineError> {
        let request = EngineRequest {
            host: Some(address.to_string()),
            ..EngineRequest::default()
        };
        EngineChoice::resolve(&request, &DockerEnv::from_process())
    }

    /// The Docker context `name`, from the Docker config folder.
    pub fn context(name: &str) -> Result<EngineChoice, EngineError> {
        let request = EngineRequest {
            context: Some(name.to_string()),
            ..EngineRequest::default()
        };
        EngineChoice::resolve(&request, &DockerEnv::from_process())
    }

    /// TLS with the files in `dir` (`ca.pem`, `cert.pem`, `key.pem`).
    pub fn with_tls(mut self, dir: impl Into<PathBuf>) -> EngineChoice {
        self.tls = Some(TlsFiles::in_dir(dir));
        self
    }

    /// Counts the engine as local or remote whatever its address.
    pub fn located(mut self, location: Location) -> EngineChoice {
        self.location = location;
        self
    }

    /// Says that the folders bind-mounted from this machine exist at the same paths on the
    /// remote engine's host, so binds are allowed there.
    pub fn allowing_remote_binds(mut self, allow: bool) -> EngineChoice {
        self.allow_remote_binds = allow;
        self
    }

    /// Whether the engine runs on this machine: the user's word, else its address.
    pub fn is_local(&self) -> bool {
        match self.location {
            Location::Local => true,
            Location::Remote => false,
            Location::FromAddress => self.host.is_on_this_machine(),
        }
    }

    /// Decides the engine from the command line's `request` and the environment `env`, as
    /// the docker CLI does: `--context`, else `-H`, else `DOCKER_HOST`, else `DOCKER_CONTEXT`,
    /// else the config file's `currentContext`, else the local socket. `-H` and `--context`
    /// together are an error. Reads the config file and the named context's metadata.
    pub fn resolve(request: &EngineRequest, env: &DockerEnv) -> Result<EngineChoice, EngineError> {
        if let (Some(host), Some(context)) = (&request.host, &request.context) {
            return Err(EngineError::ConflictingChoice {
                host: host.clone(),
                context: context.clone(),
            });
        }
        let named = match (&request.context, &request.host, &env.host, &env.context) {
            (Some(c), _, _, _) => Some((c.clone(), "--context".to_string())),
            (None, Some(_), _, _) | (None, None, Some(_), _) => None,
            (None, None, None, Some(c)) => Some((c.clone(), "DOCKER_CONTEXT".to_string())),
            (None, None, None, None) => current_context(env)?,
        };
        let mut choice = match named {
            Some((name, named_by)) if name != "default" => from_context(env, name, named_by)?,
            _ => from_host(request.host.as_deref(), env)?,
        };
        choice.location = request.location;
        choice.allow_remote_binds = request.allow_remote_binds;
        choice.ssh_command = match &env.ssh_command {
            Some(command) => shell_words::split(command)
                .ok()
                .filter(|words| !words.is_empty())
                .ok_or_else(|| EngineError::BadSshCommand {
                    command: command.clone(),
                })?,
            None => vec!["ssh".into()],
        };
        Ok(choice)
    }

    /// The variables that make a dockhand process started from this one (the reaper, a shared
    /// stack's keeper) choose the same engine: `Some` to set, `None` to remove.
    pub fn child_env(&self) -> Vec<(&'static str, Option<String>)> {
        let tls = self.tls.as_ref();
        vec![
            ("DOCKER_HOST", Some(self.host.to_string())),
            ("DOCKER_TLS_VERIFY", tls.map(|_| "1".to_string())),
            ("DOCKER_TLS", None),
            ("DOCKER_CERT_PATH", tls.map(|t| t.dir.display().to_string())),
            ("DOCKER_CONTEXT", None),
            (SSH_COMMAND_ENV, Some(shell_words::join(&self.ssh_command))),
        ]
    }
}

/// The config file's `currentContext`, if it names one.
fn current_context(env: &DockerEnv) -> Result<Option<(String, String)>, EngineError> {
    let Some(dir) = &env.config_dir else {
        return Ok(None);
    };
    let path = dir.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(EngineError::UnreadableConfig { path, source }),
    };
    let config: ConfigFile = serde_json::from_str(&text).map_err(|e| EngineError::BadConfig {
        path: path.clone(),
        problem: e.to_string(),
    })?;
    Ok(config
        .current_context
        .filter(|c| !c.is_empty())
        .map(|c| (c, format!("currentContext in {}", path.display()))))
}

/// The context store's folder name for context `name`: the SHA-256 of the name, in hex.
pub fn context_id(name: &str) -> String {
    hex::encode(Sha256::digest(name.as_bytes()))
}

/// The engine of context `name`: its endpoint's host, and its TLS files when it has any.
fn from_context(
    env: &DockerEnv,
    name: String,
    named_by: String,
) -> Result<EngineChoice, EngineError> {
    let Some(dir) = &env.config_dir else {
        return Err(EngineError::NoSuchContext {
            name,
            named_by,
            meta: PathBuf::from("$DOCKER_CONFIG/contexts"),
        });
    };
    let id = context_id(&name);
    let meta = dir.join("contexts/meta").join(&id).join("meta.json");
    let text = match std::fs::read_to_string(&meta) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(EngineError::NoSuchContext {
                name,
                named_by,
                meta,
            });
        }
        Err(source) => return Err(EngineError::UnreadableConfig { path: meta, source }),
    };
    let parsed: ContextMeta = serde_json::from_str(&text).map_err(|e| EngineError::BadConfig {
        path: meta.clone(),
        problem: e.to_string(),
    })?;
    let endpoint = parsed.endpoints.get("docker");
    let Some(address) = endpoint
        .and_then(|e| e.host.clone())
        .filter(|h| !h.is_empty())
    else {
        return Err(EngineError::BadConfig {
            path: meta,
            problem: "the context has no docker endpoint host (Endpoints.docker.Host)".into(),
        });
    };
    let source = ChoiceSource::Context { name, named_by };
    let tls_dir = dir.join("contexts/tls").join(&id).join("docker");
    let has_tls = ["ca.pem", "cert.pem", "key.pem"]
        .iter()
        .any(|f| tls_dir.join(f).exists());
    if endpoint.is_some_and(|e| e.skip_tls_verify) {
        return Err(EngineError::TlsWithoutVerify {
            from: source.to_string(),
            dir: tls_dir,
        });
    }
    let host = EngineHost::parse(&address, has_tls).map_err(|problem| EngineError::BadAddress {
        address: address.clone(),
        from: source.to_string(),
        problem,
    })?;
    let tls =
        (has_tls && matches!(host, EngineHost::Tcp { .. })).then(|| TlsFiles::in_dir(tls_dir));
    Ok(EngineChoice {
        host,
        tls,
        source,
        ..EngineChoice::default()
    })
}

/// The engine of `-H`, else `DOCKER_HOST`, else the local socket, with the TLS files of
/// `DOCKER_CERT_PATH` (default the Docker config folder) when `DOCKER_TLS_VERIFY` is set.
fn from_host(option: Option<&str>, env: &DockerEnv) -> Result<EngineChoice, EngineError> {
    let (address, source) = match (option, &env.host) {
        (Some(h), _) => (h.to_string(), ChoiceSource::HostOption),
        (None, Some(h)) => (h.clone(), ChoiceSource::DockerHost),
        (None, None) => return Ok(EngineChoice::default()),
    };
    let cert_dir = env
        .cert_path
        .clone()
        .or_else(|| env.config_dir.clone())
        .unwrap_or_else(|| PathBuf::from(".docker"));
    if env.tls_unverified && !env.tls_verify {
        return Err(EngineError::TlsWithoutVerify {
            from: "DOCKER_TLS".into(),
            dir: cert_dir,
        });
    }
    let host =
        EngineHost::parse(&address, env.tls_verify).map_err(|problem| EngineError::BadAddress {
            address: address.clone(),
            from: source.to_string(),
            problem,
        })?;
    let tls = (env.tls_verify && matches!(host, EngineHost::Tcp { .. }))
        .then(|| TlsFiles::in_dir(cert_dir));
    Ok(EngineChoice {
        host,
        tls,
        source,
        ..EngineChoice::default()
    })
}

/// What holds the TLS files, for messages: `DOCKER_CERT_PATH` or the context.
pub(super) fn tls_holder(choice: &EngineChoice) -> String {
    match &choice.source {
        ChoiceSource::Context { name, .. } => format!("the TLS folder of context {name}"),
        _ => "DOCKER_CERT_PATH (default ~/.docker)".into(),
    }
}

#[cfg(test)]
mod tests;
