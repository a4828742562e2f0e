//! `pre_stop` hooks, run as docker compose runs them before it stops a container (`down`,
//! `stop`): with exec, with each hook's own user, privileges, working folder and variables.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::future::join_all;

use super::error::RunError;
use crate::engine::Engine;
use crate::labels;
use crate::plan::Hook;

/// How long one `pre_stop` hook may take before the stop goes on without it.
const PRE_STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the `pre_stop` hooks of every running container `selector` finds (a run's or a
/// project's labels), as docker compose runs them before it stops a stack: the containers at
/// once, each one's hooks in order, the first that fails ending that container's. The hooks
/// come from each container's [`labels::PRE_STOP`] label, so no compose file is needed; one-off
/// containers (a test command's) are left out, as `docker compose run` runs none. Returns one
/// message for each hook that failed or could not run; whoever tears down goes on whatever
/// they say.
pub async fn pre_stop_hooks(engine: &Engine, selector: &BTreeMap<String, String>) -> Vec<String> {
    let found = match engine.containers_with(selector).await {
        Ok(found) => found,
        Err(e) => return vec![format!("pre_stop hooks not run: {e}")],
    };
    let runs = found
        .iter()
        .filter(|c| c.state == "running")
        .filter(|c| c.labels.get(labels::ONEOFF).is_none_or(|o| o != "True"))
        .filter_map(|c| Some((c, c.labels.get(labels::PRE_STOP)?)))
        .map(|(c, json)| async move {
            let service = c.labels.get(labels::SERVICE).map_or("?", String::as_str);
            let hooks: Vec<Hook> = serde_json::from_str(json).map_err(|e| {
                format!(
                    "pre_stop hooks of container {} not run: its label does not read: {e}",
                    c.name
                )
            })?;
            pre_stop(engine, service, &hooks, &c.id)
                .await
                .map_err(|e| e.to_string())
        });
    join_all(runs)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect()
}

/// Runs `hooks` in container `id` of `service`, in order, each within
/// [`PRE_STOP_TIMEOUT`]; the first that fails, cannot run or takes too long is the error.
pub(super) async fn pre_stop(
    engine: &Engine,
    service: &str,
    hooks: &[Hook],
    id: &str,
) -> Result<(), RunError> {
    for (i, hook) in hooks.iter().enumerate() {
        let failed = |code: i64, output: String| RunError::Hook {
            which: "pre_stop",
            service: service.to_string(),
            number: i + 1,
            command: hook.command.join(" "),
            code,
            output,
        };
        match tokio::time::timeout(PRE_STOP_TIMEOUT, engine.exec_hook(id, hook)).await {
            Ok(Ok(run)) if run.exit_code == Some(0) => {}
            Ok(Ok(run)) => return Err(failed(run.exit_code.unwrap_or(-1), run.output)),
            // A container gone or stopped meanwhile has nothing left to prepare.
            Ok(Err(e)) if e.is_gone() => return Ok(()),
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => {
                return Err(failed(
                    -1,
                    format!("still running after {} s", PRE_STOP_TIMEOUT.as_secs()),
                ));
            }
        }
    }
    Ok(())
}
