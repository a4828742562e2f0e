//! Fitting a run to its engine: services only a provider plugin runs are refused; for an
//! engine on another machine, secrets and configs are copied in and this machine's folders are
//! refused, unless the user says the same paths exist there.

use super::error::RunError;
use crate::engine::EngineChoice;
use crate::plan::StackPlan;

/// The engine a run talks to: the one chosen for it, else the environment's.
pub(super) fn engine_choice(chosen: Option<&EngineChoice>) -> Result<EngineChoice, RunError> {
    match chosen {
        Some(choice) => Ok(choice.clone()),
        None => Ok(EngineChoice::from_env()?),
    }
}

/// Fits `plan` to the engine `choice` names: a service run by a provider plugin is refused
/// (no engine runs it); unchanged for a local engine; for a remote one,
/// file-backed secrets and configs copied in and ports published (see
/// [`StackPlan::for_remote_engine`]), and bind mounts refused unless `choice` allows them.
pub(super) fn fit_to_engine(plan: &mut StackPlan, choice: &EngineChoice) -> Result<(), RunError> {
    // No engine runs a provider's service: say so before anything is built or started.
    if let Some(sp) = plan.services.values().find(|s| s.provider.is_some()) {
        return Err(RunError::Provider {
            service: sp.name.clone(),
            provider: sp.provider.clone().unwrap_or_default(),
        });
    }
    if choice.is_local() {
        return Ok(());
    }
    let binds = plan.for_remote_engine();
    if binds.is_empty() || choice.allow_remote_binds {
        return Ok(());
    }
    Err(RunError::RemoteBinds {
        host: choice.host.to_string(),
        binds: binds
            .iter()
            .map(|b| format!("service {}: {} at {}", b.service, b.source, b.target))
            .collect::<Vec<_>>()
            .join("; "),
    })
}
