//! `pre_stop` hooks, run as docker compose runs them before it stops a container (`down`,
//! `stop`): with exec, with each hook's own user, privileges, working folder and variables.

use std::time::Duration;

use futures_util::future::join_all;

use super::error::RunError;
use super::stack::by_service;
use crate::engine::Engine;
use crate::plan::{Hook, StackPlan};

/// How long one `pre_stop` hook may take before the stop goes on without it.
pub(super) const PRE_STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the `pre_stop` hooks of every running container of the stack (one-off containers
/// left out, as `docker compose down` leaves them): the containers at once, each one's hooks
/// in order, the first that fails ending that container's. Returns one message for each hook
/// that failed or could not run; whoever tears down goes on whatever they say.
pub(super) async fn pre_stop_all(engine: &Engine, plan: &StackPlan) -> Vec<String> {
    if plan
        .services
        .values()
        .all(|s| s.container.pre_stop.is_empty())
    {
        return Vec::new();
    }
    let found = match engine.containers_with(&plan.run_labels()).await {
        Ok(found) => by_service(found),
        Err(e) => return vec![format!("pre_stop hooks not run: {e}")],
    };
    let runs = plan.services.values().flat_map(|sp| {
        let containers = found.get(&sp.name).map(Vec::as_slice).unwrap_or_default();
        containers
            .iter()
            .filter(|c| c.state == "running")
            .map(move |c| pre_stop(engine, &sp.name, &sp.container.pre_stop, &c.id))
    });
    join_all(runs)
        .await
        .into_iter()
        .filter_map(Result::err)
        .map(|e| e.to_string())
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
