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
