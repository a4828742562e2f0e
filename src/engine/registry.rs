//! Images to and from registries: pulls and pushes with their progress and the credentials
//! the Docker config holds, and tags.

use bollard::auth::DockerCredentials;
use bollard::query_parameters::{
    CreateImageOptionsBuilder, PushImageOptionsBuilder, TagImageOptionsBuilder,
};
use futures_util::StreamExt;

use super::auth::{RegistryAuth, credentials_for, registry_of};
use super::client::Engine;
use super::error::EngineError;
use super::types::TransferUpdate;
use crate::plan::split_tag;

impl Engine {
    /// Pulls `image` (`repo:tag`) for `service`, with the credentials the Docker config holds
    /// for its registry; each progress message goes to `progress`.
    pub async fn pull(
        &self,
        service: &str,
        image: &str,
        mut progress: impl FnMut(TransferUpdate<'_>),
    ) -> Result<(), EngineError> {
        let registry = registry_of(image);
        let credentials = credentials_for(&registry).await?.map(docker_credentials);
        let (repo, tag) = split_tag(image);
        let opts = CreateImageOptionsBuilder::default()
            .from_image(&repo)
            .tag(tag.as_deref().unwrap_or("latest"))
            .build();
        let failed = |message: String| EngineError::Pull {
            service: service.to_string(),
            image: image.to_string(),
            registry: registry.clone(),
            message,
        };
        let mut stream = self.docker().create_image(Some(opts), None, credentials);
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| failed(engine_message(&e)))?;
            if let Some(status) = &info.status {
                let detail = info.progress_detail.unwrap_or_default();
                progress(TransferUpdate {
                    layer: info.id.as_deref(),
                    status,
                    current: detail.current.and_then(|c| u64::try_from(c).ok()),
                    total: detail.total.and_then(|t| u64::try_from(t).ok()),
                });
            }
        }
        Ok(())
    }

    /// Pushes `image` (`repo:tag`, that tag alone) to the registry its name names, with the
    /// credentials the Docker config holds for it; each progress message goes to `progress`.
    pub async fn push(
        &self,
        image: &str,
        mut progress: impl FnMut(TransferUpdate<'_>),
    ) -> Result<(), EngineError> {
        let registry = registry_of(image);
        let credentials = credentials_for(&registry).await?.map(docker_credentials);
        let (repo, tag) = split_tag(image);
        // Without a tag the engine pushes every tag of the repository.
        let opts = PushImageOptionsBuilder::default()
            .tag(tag.as_deref().unwrap_or("latest"))
            .build();
        let failed = |message: String| EngineError::Push {
            image: image.to_string(),
            registry: registry.clone(),
            message,
        };
        let mut stream = self.docker().push_image(&repo, Some(opts), credentials);
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| failed(engine_message(&e)))?;
            if let Some(status) = &info.status {
                let detail = info.progress_detail.unwrap_or_default();
                progress(TransferUpdate {
                    layer: None,
                    status,
                    current: detail.current.and_then(|c| u64::try_from(c).ok()),
                    total: detail.total.and_then(|t| u64::try_from(t).ok()),
                });
            }
        }
        Ok(())
    }

    /// Gives the image `image` names the further reference `target` (`repo:tag`).
    pub async fn tag(&self, image: &str, target: &str) -> Result<(), EngineError> {
        let (repo, tag) = split_tag(target);
        let opts = TagImageOptionsBuilder::default()
            .repo(&repo)
            .tag(tag.as_deref().unwrap_or("latest"))
            .build();
        self.docker()
            .tag_image(image, Some(opts))
            .await
            .map_err(EngineError::api(format!(
                "tagging image {image} as {target}"
            )))
    }
}

/// What the engine (or the registry behind it) said, without bollard's own prefix.
fn engine_message(e: &bollard::errors::Error) -> String {
    match e {
        bollard::errors::Error::DockerStreamError { error } => error.clone(),
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Credentials as the engine takes them for one registry.
fn docker_credentials(auth: RegistryAuth) -> DockerCredentials {
    DockerCredentials {
        username: auth.username,
        password: auth.password,
        identitytoken: auth.identity_token,
        serveraddress: Some(auth.registry),
        ..Default::default()
    }
}
