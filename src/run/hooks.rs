//! Lifecycle hooks, run as docker compose runs them: `post_start` right after a container
//! starts, `pre_stop` before it is stopped (`down`, `stop`); with exec, with each hook's own
//! user, privileges, working folder and variables.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::future::join_all;

use super::error::RunError;
use crate::engine::Engine;
use crate::labels;
use crate::plan::{Hook, ServicePlan};

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

/// Runs the service's `post_start` hooks in container `id`, in order, however long they take;
/// the first that fails fails the service's set-up (compose fails its `up` the same way).
pub(super) async fn post_start(
    engine: &Engine,
    sp: &ServicePlan,
    id: &str,
) -> Result<(), RunError> {
    for (i, hook) in sp.container.post_start.iter().enumerate() {
        run_hook(engine, "post_start", &sp.name, i, hook, id).await?;
    }
    Ok(())
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
        let run = run_hook(engine, "pre_stop", service, i, hook, id);
        match tokio::time::timeout(PRE_STOP_TIMEOUT, run).await {
            Ok(Ok(())) => {}
            // A container gone or stopped meanwhile has nothing left to prepare.
            Ok(Err(RunError::Engine(e))) if e.is_gone() => return Ok(()),
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(failed(
                    "pre_stop",
                    service,
                    i,
                    hook,
                    -1,
                    format!("still running after {} s", PRE_STOP_TIMEOUT.as_secs()),
                ));
            }
        }
    }
    Ok(())
}

/// Runs hook number `i` (0-based) of `service`'s `which` hooks in container `id`; an exit
/// status other than 0 is the error.
async fn run_hook(
    engine: &Engine,
    which: &'static str,
    service: &str,
    i: usize,
    hook: &Hook,
    id: &str,
) -> Result<(), RunError> {
    let run = engine.exec_hook(id, hook).await?;
    match run.exit_code {
        Some(0) => Ok(()),
        code => Err(failed(
            which,
            service,
            i,
            hook,
            code.unwrap_or(-1),
            run.output,
        )),
    }
}

fn failed(
    which: &'static str,
    service: &str,
    i: usize,
    hook: &Hook,
    code: i64,
    output: String,
) -> RunError {
    RunError::Hook {
        which,
        service: service.to_string(),
        number: i + 1,
        command: hook.command.join(" "),
        code,
        output,
    }
}
