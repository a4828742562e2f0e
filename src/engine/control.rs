//! Freezing and thawing a running container, for tests that inject faults: a paused
//! container keeps its connections open but answers nothing.

use super::client::Engine;
use super::error::EngineError;

impl Engine {
    /// Freezes every process of container `id` (the cgroup freezer); it answers nothing until
    /// [`unpause`](Self::unpause).
    pub async fn pause(&self, id: &str) -> Result<(), EngineError> {
        self.docker()
            .pause_container(id)
            .await
            .map_err(EngineError::api(format!("pausing container {id}")))
    }

    /// Thaws container `id` after [`pause`](Self::pause).
    pub async fn unpause(&self, id: &str) -> Result<(), EngineError> {
        self.docker()
            .unpause_container(id)
            .await
            .map_err(EngineError::api(format!("unpausing container {id}")))
    }
}
