//! Finding a reused stack (`dockhand test --reuse`, `StackBuilder::reuse`): the identity of the
//! stack an earlier run left up, or a new one, and the lock that makes runs of it take turns.

use std::collections::BTreeMap;

use super::error::RunError;
use super::shared::share_dir_error;
use super::stack::StackBuilder;
use crate::cleanup::shared::{Locked, ShareDir};
use crate::engine::Engine;
use crate::labels;
use crate::plan::{RunIdentity, reuse};

/// Takes the lock of reused stack `key` (waiting for a run holding it) and reads the identity
/// of the stack an earlier run left up under that name, or makes a new one.
pub(super) async fn reused_identity(
    engine: &Engine,
    key: &str,
) -> Result<(RunIdentity, Locked), RunError> {
    let dir = ShareDir::for_fingerprint(&format!("reuse-{key}"));
    let lock = dir
        .lock_async()
        .await
        .map_err(|e| share_dir_error(&dir, e))?;
    let selector = BTreeMap::from([
        (labels::MANAGED.to_string(), "true".to_string()),
        (labels::REUSE.to_string(), key.to_string()),
    ]);
    let left_up = engine.containers_with(&selector).await?;
    let run = left_up
        .iter()
        .find_map(|c| reuse::identity_of(&c.labels))
        .unwrap_or_else(|| {
            let mut run = RunIdentity::new();
            run.keep = true;
            run.reuse = Some(key.to_string());
            run
        });
    Ok((run, lock))
}

impl StackBuilder {
    /// Reuses the stack an earlier `reuse(true)` stack (or `dockhand test --reuse` run) of the
    /// same project and services left up: services whose settings and image still match are
    /// kept, after their `x-dockhand.reset` commands, the rest recreated with what depends on
    /// them. Dropping the [`Stack`](super::Stack) leaves it up for the next test run;
    /// [`down`](super::Stack::down) or `dockhand down --reused` removes it.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// let stack = dockhand::Stack::builder()
    ///     .file("compose/redis.yml")
    ///     .reuse(true)
    ///     .up()
    ///     .await?; // a second run finds it up and ready at once
    /// # Ok(()) }
    /// ```
    pub fn reuse(mut self, reuse: bool) -> Self {
        self.reuse = reuse;
        self
    }
}
