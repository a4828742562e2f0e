//! Registry credentials where the docker CLI keeps them: the Docker config file
//! (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`), its `auths` entries, and
//! the credential helpers it names (`credHelpers` per registry, `credsStore` for the rest).
//! Reading the file is pure and tested here; running a helper is the only other I/O.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use thiserror::Error;
use tokio::io::AsyncWriteExt;

/// The registry Docker Hub's images live in, as dockhand names it.
pub const DOCKER_HUB: &str = "docker.io";

/// The server address the docker CLI files Docker Hub's credentials under.
const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

/// How long a credential helper may take to answer.
const HELPER_TIMEOUT: Duration = Duration::from_secs(60);

/// Credentials for one registry. Its `Debug` hides the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryAuth {
    /// The registry they are for (`127.0.0.1:5000`, `docker.io`).
    pub registry: String,
    /// The user name, if the registry takes a user name and a password.
    pub username: Option<String>,
    /// The password.
    pub password: Option<String>,
    /// A token the registry gave at `docker login`, used instead of a password.
    pub identity_token: Option<String>,
}

impl fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |s: &Option<String>| s.as_ref().map(|_| "***");
        f.debug_struct("RegistryAuth")
            .field("registry", &self.registry)
            .field("username", &self.username)
            .field("password", &hidden(&self.password))
            .field("identity_token", &hidden(&self.identity_token))
            .finish()
    }
}

/// Why the credentials for a registry could not be found.
#[derive(Debug, Error)]
pub enum AuthError {
    /// The config file exists but cannot be read.
    #[error("cannot read the Docker config file {path}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not the JSON the docker CLI writes.
    #[error(
        "the Docker config file {path} is not valid; fix it (or log in again with `docker login`), or point DOCKER_CONFIG at another folder"
    )]
    Parse {
        /// The file.
        path: String,
        /// What is wrong with it.
        #[source]
        source: serde_json::Error,
    },
    /// An `auths` entry's `auth` is not base64 of `user:password`.
    #[error(
        "the `auth` of {registry} in {path} is not base64 of user:password; log in again with `docker login {registry}`"
    )]
    BadAuth {
        /// The file.
        path: String,
        /// The entry's registry.
        registry: String,
    },
    /// The credential helper the config names could not be run.
    #[error(
        "cannot run the credential helper {program} that {path} names for {registry}; install it on PATH, or remove it from the file"
    )]
    HelperMissing {
        /// The helper's program (`docker-credential-pass`).
        program: String,
        /// The registry asked about.
        registry: String,
        /// The config file that names it.
        path: String,
        /// Why it could not run.
        #[source]
        source: std::io::Error,
    },
    /// The credential helper ran and failed.
    #[error("the credential helper {program} failed for {registry}: {message}")]
    Helper {
        /// The helper's program.
        program: String,
        /// The registry asked about.
        registry: String,
        /// What it printed, or that it timed out.
        message: String,
    },
    /// The credential helper's answer is not the JSON helpers print.
    #[error(
        "the credential helper {program} answered for {registry} with something other than its JSON"
    )]
    HelperOutput {
        /// The helper's program.
        program: String,
        /// The registry asked about.
        registry: String,
        /// What is wrong with the answer.
        #[source]
        source: serde_json::Error,
    },
}

/// The parts of the Docker config file that hold credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct DockerConfig {
    /// Credentials stored in the file, by server address as `docker login` wrote it.
    #[serde(default)]
    pub auths: BTreeMap<String, AuthEntry>,
    /// The helper that stores every registry's credentials (`desktop`, `pass`, ...).
    #[serde(default, rename = "credsStore")]
    pub creds_store: Option<String>,
    /// Helpers for particular registries, by registry host.
    #[serde(default, rename = "credHelpers")]
    pub cred_helpers: BTreeMap<String, String>,
}

/// One `auths` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AuthEntry {
    /// Base64 of `user:password`.
    #[serde(default)]
    pub auth: Option<String>,
    /// The user name, when stored apart.
    #[serde(default)]
    pub username: Option<String>,
    /// The password, when stored apart.
    #[serde(default)]
    pub password: Option<String>,
    /// A token given at login, used instead of a password.
    #[serde(default, rename = "identitytoken")]
    pub identity_token: Option<String>,
}

impl DockerConfig {
    /// Reads a config file's text.
    pub fn parse(text: &str) -> Result<DockerConfig, serde_json::Error> {
        if text.trim().is_empty() {
            return Ok(DockerConfig::default());
        }
        serde_json::from_str(text)
    }

    /// The helper that holds `registry`'s credentials: its `credHelpers` entry, else
    /// `credsStore`.
    pub fn helper_for(&self, registry: &str) -> Option<&str> {
        self.cred_helpers
            .iter()
            .find(|(key, _)| server_host(key) == registry)
            .map(|(_, helper)| helper.as_str())
            .or(self.creds_store.as_deref())
            .filter(|h| !h.is_empty())
    }

    /// The credentials the `auths` entry of `registry` holds, if it has one with any. `path`
    /// names the file in errors.
    pub fn entry_for(&self, registry: &str, path: &str) -> Result<Option<RegistryAuth>, AuthError> {
        let Some(entry) = self
            .auths
            .iter()
            .find(|(key, _)| server_host(key) == registry)
            .map(|(_, entry)| entry)
        else {
            return Ok(None);
        };
        let bad = || AuthError::BadAuth {
            path: path.to_string(),
            registry: registry.to_string(),
        };
        let (mut username, mut password) = (entry.username.clone(), entry.password.clone());
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| bad())?;
            let text = String::from_utf8(bytes).map_err(|_| bad())?;
            let (user, pass) = text.split_once(':').ok_or_else(bad)?;
            username = Some(user.to_string());
            password = Some(pass.to_string());
        }
        let identity_token = entry.identity_token.clone().filter(|t| !t.is_empty());
        if username.is_none() && identity_token.is_none() {
            return Ok(None);
        }
        Ok(Some(RegistryAuth {
            registry: registry.to_string(),
            username,
            password,
            identity_token,
        }))
    }
}

/// The registry an image reference names: its first part when that looks like a host (holds
/// a `.` or a `:`, or is `localhost`), else Docker Hub. `127.0.0.1:5000/team/app:1` is in
/// `127.0.0.1:5000`; `team/app` and `redis:7` are in `docker.io`.
pub fn registry_of(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => {
            server_host(first)
        }
        _ => DOCKER_HUB.to_string(),
    }
}

/// A server address as the config file keys it (`https://index.docker.io/v1/`,
/// `http://127.0.0.1:5000`, `registry.example`) reduced to the registry's host, Docker Hub's
/// names all to [`DOCKER_HUB`].
fn server_host(address: &str) -> String {
    let rest = address
        .strip_prefix("https://")
        .or_else(|| address.strip_prefix("http://"))
        .unwrap_or(address);
    let host = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_string()
        }
        _ => host,
    }
}

/// The server address a credential helper is asked about for `registry`: the one
/// `docker login` stored it under.
pub fn helper_server(registry: &str) -> &str {
    if registry == DOCKER_HUB {
        DOCKER_HUB_SERVER
    } else {
        registry
    }
}

/// A credential helper's answer to `get`.
#[derive(Debug, Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// The credentials in a helper's answer; a user name of `<token>` means the secret is an
/// identity token.
fn parse_helper_answer(registry: &str, stdout: &str) -> Result<RegistryAuth, serde_json::Error> {
    let answer: HelperAnswer = serde_json::from_str(stdout)?;
    let token = answer.username == "<token>";
    Ok(RegistryAuth {
        registry: registry.to_string(),
        username: (!token).then_some(answer.username),
        password: (!token).then(|| answer.secret.clone()),
        identity_token: token.then_some(answer.secret),
    })
}

/// Whether a helper's failure only says it has nothing for the server.
fn is_not_found(output: &str) -> bool {
    output
        .to_ascii_lowercase()
        .contains("credentials not found")
}

/// The Docker config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn config_file() -> Option<PathBuf> {
    let dir = match std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?).join(".docker"),
    };
    Some(dir.join("config.json"))
}

/// The credentials the Docker config gives for `registry`, asking its credential helper when
/// it names one (and falling back on an `auths` entry when the helper has none). No config
/// file: none.
pub async fn credentials_for(registry: &str) -> Result<Option<RegistryAuth>, AuthError> {
    let Some(path) = config_file() else {
        return Ok(None);
    };
    credentials_in(&path, registry).await
}

/// [`credentials_for`] with the config file at `path`.
pub async fn credentials_in(
    path: &Path,
    registry: &str,
) -> Result<Option<RegistryAuth>, AuthError> {
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(AuthError::Read {
                path: shown,
                source,
            });
        }
    };
    let config = DockerConfig::parse(&text).map_err(|source| AuthError::Parse {
        path: shown.clone(),
        source,
    })?;
    config.credentials_for(registry, &shown).await
}

impl DockerConfig {
    /// The credentials this config gives for `registry`: its credential helper's when it
    /// names one (falling back on an `auths` entry when the helper has none). `shown` names
    /// the config file in errors.
    async fn credentials_for(
        &self,
        registry: &str,
        shown: &str,
    ) -> Result<Option<RegistryAuth>, AuthError> {
        if let Some(helper) = self.helper_for(registry) {
            let program = format!("docker-credential-{helper}");
            if let Some(found) = run_helper(&program, registry, shown).await? {
                return Ok(Some(found));
            }
        }
        self.entry_for(registry, shown)
    }
}

/// Every registry's credentials the Docker config at `path` holds (each `auths` entry and
/// each `credHelpers` registry, helpers asked where the config names them), written as a
/// Docker config file of `auths` alone, the way the docker CLI saves one: what docker compose
/// gives a container with `use_api_socket`. No config file: `{"auths": {}}`.
pub async fn credentials_file(path: Option<&Path>) -> Result<Vec<u8>, AuthError> {
    let mut auths = serde_json::Map::new();
    if let Some(path) = path
        && let Ok(text) = std::fs::read_to_string(path)
    {
        let shown = path.display().to_string();
        let config = DockerConfig::parse(&text).map_err(|source| AuthError::Parse {
            path: shown.clone(),
            source,
        })?;
        let servers = config.auths.keys().chain(config.cred_helpers.keys());
        for server in servers.cloned().collect::<std::collections::BTreeSet<_>>() {
            // A server with nothing stored keeps an empty entry, as the CLI writes it.
            let mut entry = serde_json::Map::new();
            if let Some(found) = config
                .credentials_for(&server_host(&server), &shown)
                .await?
            {
                if let (Some(user), Some(pass)) = (&found.username, &found.password) {
                    let auth = format!("{user}:{pass}");
                    let auth = base64::engine::general_purpose::STANDARD.encode(auth);
                    entry.insert("auth".into(), auth.into());
                }
                if let Some(token) = found.identity_token {
                    entry.insert("identitytoken".into(), token.into());
                }
            }
            auths.insert(server, entry.into());
        }
    }
    let file = serde_json::json!({ "auths": auths });
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(&file, &mut ser).expect("JSON of strings");
    Ok(out)
}

/// Runs `program get` with `registry`'s server address on its standard input, as the docker
/// CLI does; `None` when it has no credentials for it. `path` is the config file naming it.
pub async fn run_helper(
    program: &str,
    registry: &str,
    path: &str,
) -> Result<Option<RegistryAuth>, AuthError> {
    let mut child = tokio::process::Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| AuthError::HelperMissing {
            program: program.to_string(),
            registry: registry.to_string(),
            path: path.to_string(),
            source,
        })?;
    let failed = |message: String| AuthError::Helper {
        program: program.to_string(),
        registry: registry.to_string(),
        message,
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading its input is judged by its exit status below.
        let _ = stdin.write_all(helper_server(registry).as_bytes()).await;
    }
    let output = match tokio::time::timeout(HELPER_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(failed(e.to_string())),
        Err(_) => {
            return Err(failed(format!(
                "no answer after {}s",
                HELPER_TIMEOUT.as_secs()
            )));
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if is_not_found(&stdout) || is_not_found(&stderr) {
            return Ok(None);
        }
        let said = format!("{} {}", stdout.trim(), stderr.trim());
        return Err(failed(match said.trim() {
            "" => format!("it exited with {}", output.status),
            text => text.to_string(),
        }));
    }
    parse_helper_answer(registry, &stdout)
        .map(Some)
        .map_err(|source| AuthError::HelperOutput {
            program: program.to_string(),
            registry: registry.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn the_registry_is_the_first_part_when_it_looks_like_a_host() {
        assert_eq!(registry_of("127.0.0.1:5000/team/app:abc"), "127.0.0.1:5000");
        assert_eq!(registry_of("registry.example/app"), "registry.example");
        assert_eq!(registry_of("localhost/app:1"), "localhost");
        assert_eq!(registry_of("team/app:1"), DOCKER_HUB);
        assert_eq!(registry_of("redis:7"), DOCKER_HUB);
        assert_eq!(registry_of("docker.io/library/redis"), DOCKER_HUB);
        assert_eq!(registry_of("index.docker.io/team/app"), DOCKER_HUB);
    }

    #[test]
    fn an_auths_entry_is_found_under_any_spelling_of_its_server() {
        let text = format!(
            r#"{{"auths": {{
                "http://127.0.0.1:5000/v2/": {{"auth": "{}"}},
                "https://index.docker.io/v1/": {{"username": "hub", "password": "pw"}},
                "ghcr.io": {{"identitytoken": "tok"}},
                "empty.example": {{}}
            }}}}"#,
            b64("alice:s3:cret")
        );
        let config = DockerConfig::parse(&text).unwrap();
        let local = config
            .entry_for("127.0.0.1:5000", "c.json")
            .unwrap()
            .unwrap();
        assert_eq!(local.username.as_deref(), Some("alice"));
        assert_eq!(local.password.as_deref(), Some("s3:cret"));
        let hub = config.entry_for(DOCKER_HUB, "c.json").unwrap().unwrap();
        assert_eq!(
            (hub.username.as_deref(), hub.password.as_deref()),
            (Some("hub"), Some("pw"))
        );
        let ghcr = config.entry_for("ghcr.io", "c.json").unwrap().unwrap();
        assert_eq!(ghcr.identity_token.as_deref(), Some("tok"));
        assert_eq!(config.entry_for("empty.example", "c.json").unwrap(), None);
        assert_eq!(config.entry_for("other.example", "c.json").unwrap(), None);
    }

    #[test]
    fn a_broken_auth_names_the_file_and_the_registry() {
        let config =
            DockerConfig::parse(r#"{"auths": {"r.example": {"auth": "not base64!"}}}"#).unwrap();
        let err = config
            .entry_for("r.example", "/home/u/.docker/config.json")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the `auth` of r.example in /home/u/.docker/config.json is not base64 of user:password; log in again with `docker login r.example`"
        );
        let no_colon = format!(
            r#"{{"auths": {{"r.example": {{"auth": "{}"}}}}}}"#,
            b64("alice")
        );
        let config = DockerConfig::parse(&no_colon).unwrap();
        assert!(matches!(
            config.entry_for("r.example", "c.json"),
            Err(AuthError::BadAuth { .. })
        ));
    }

    #[test]
    fn a_registry_helper_wins_over_the_store() {
        let config = DockerConfig::parse(
            r#"{"credsStore": "desktop", "credHelpers": {"127.0.0.1:5000": "dhtest"}}"#,
        )
        .unwrap();
        assert_eq!(config.helper_for("127.0.0.1:5000"), Some("dhtest"));
        assert_eq!(config.helper_for("ghcr.io"), Some("desktop"));
        assert_eq!(DockerConfig::parse("").unwrap().helper_for("ghcr.io"), None);
        assert_eq!(DockerConfig::parse("{}").unwrap(), DockerConfig::default());
        assert!(DockerConfig::parse("{auths").is_err());
    }

    #[test]
    fn a_helper_answer_gives_a_password_or_an_identity_token() {
        let auth = parse_helper_answer(
            "r.example",
            r#"{"ServerURL": "r.example", "Username": "bob", "Secret": "pw"}"#,
        )
        .unwrap();
        assert_eq!(
            (auth.username.as_deref(), auth.password.as_deref()),
            (Some("bob"), Some("pw"))
        );
        let token = parse_helper_answer(
            "r.example",
            r#"{"ServerURL": "r.example", "Username": "<token>", "Secret": "t0k"}"#,
        )
        .unwrap();
        assert_eq!(token.username, None);
        assert_eq!(token.identity_token.as_deref(), Some("t0k"));
        assert!(!format!("{token:?}").contains("t0k"));
        assert_eq!(helper_server(DOCKER_HUB), "https://index.docker.io/v1/");
        assert_eq!(helper_server("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    /// A helper in a temporary folder that runs `script`.
    fn helper(dir: &Path, script: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("docker-credential-dhtest");
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }

    #[tokio::test]
    async fn a_helper_is_asked_with_the_server_on_its_input() {
        let dir = tempfile::tempdir().unwrap();
        let program = helper(
            dir.path(),
            r#"read server; [ "$1" = get ] || exit 9
printf '{"ServerURL":"%s","Username":"u-%s","Secret":"pw"}' "$server" "$server""#,
        );
        let auth = run_helper(&program, "127.0.0.1:5000", "c.json")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(auth.username.as_deref(), Some("u-127.0.0.1:5000"));
        assert_eq!(auth.password.as_deref(), Some("pw"));
    }

    #[tokio::test]
    async fn a_helper_without_credentials_gives_none_and_a_failing_one_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let program = helper(
            dir.path(),
            "echo 'credentials not found in native keychain'; exit 1",
        );
        assert_eq!(
            run_helper(&program, "r.example", "c.json").await.unwrap(),
            None
        );
        let program = helper(dir.path(), "echo 'keychain locked' >&2; exit 1");
        let err = run_helper(&program, "r.example", "c.json")
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("failed for r.example: keychain locked"),
            "{err}"
        );
        let err = run_helper("docker-credential-dockhand-absent", "r.example", "c.json")
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::HelperMissing { .. }), "{err}");
    }

    #[tokio::test]
    async fn credentials_come_from_the_file_and_a_missing_file_gives_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        assert_eq!(credentials_in(&path, "r.example").await.unwrap(), None);
        std::fs::write(
            &path,
            format!(
                r#"{{"auths": {{"r.example": {{"auth": "{}"}}}}}}"#,
                b64("a:b")
            ),
        )
        .unwrap();
        let auth = credentials_in(&path, "r.example").await.unwrap().unwrap();
        assert_eq!(auth.password.as_deref(), Some("b"));
        std::fs::write(&path, "{").unwrap();
        let err = credentials_in(&path, "r.example").await.unwrap_err();
        assert!(
            err.to_string().starts_with("the Docker config file "),
            "{err}"
        );
    }

    #[tokio::test]
    async fn the_credentials_file_is_written_as_the_docker_cli_saves_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let empty = credentials_file(Some(&path)).await.unwrap();
        assert_eq!(String::from_utf8(empty).unwrap(), "{\n\t\"auths\": {}\n}");
        std::fs::write(
            &path,
            format!(
                r#"{{"auths": {{"r.example": {{"auth": "{}"}}, "t.example": {{"identitytoken": "tok"}}, "e.example": {{}}}}}}"#,
                b64("a:b")
            ),
        )
        .unwrap();
        let file = String::from_utf8(credentials_file(Some(&path)).await.unwrap()).unwrap();
        assert_eq!(
            file,
            format!(
                "{{\n\t\"auths\": {{\n\t\t\"e.example\": {{}},\n\t\t\"r.example\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}},\n\t\t\"t.example\": {{\n\t\t\t\"identitytoken\": \"tok\"\n\t\t}}\n\t}}\n}}",
                b64("a:b")
            )
        );
    }
}
