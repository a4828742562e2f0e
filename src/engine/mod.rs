//! The only door to the Docker Engine: the only code that imports bollard. It carries out the
//! plan's specs and answers in dockhand's own types.

mod auth;
mod build;
mod choice;
mod client;
mod connect;
mod container;
mod control;
mod error;
mod exec;
mod files;
mod registry;
mod ssh;
mod tls;
mod transport;
mod types;

pub use auth::{AuthError, RegistryAuth, config_file, credentials_for, registry_of};
pub use choice::{
    ChoiceSource, DEFAULT_SOCKET, DockerEnv, EngineChoice, EngineHost, EngineRequest, Location,
    SSH_COMMAND_ENV, TlsFiles, context_id,
};
pub use client::{Engine, docker_host};
pub use error::EngineError;
pub use exec::{ExecOutcome, ExecOutput};
pub use types::{
    ContainerInfo, ContainerState, ContainerStatus, HealthStatus, ImageFacts, ResourceInfo,
    TransferUpdate,
};
