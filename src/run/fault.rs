//! Fault injection for dockhand's own tests: `DOCKHAND_FAULT=panic:<point>` makes the run panic
//! at that point, so the tests can prove a panic inside dockhand still tears the stack down.
//! Points: `after-up` (dependencies ready, test command not started yet).

/// The environment variable that names the fault.
pub const FAULT_ENV: &str = "DOCKHAND_FAULT";

/// Panics if `DOCKHAND_FAULT` asks for a panic at `point`.
pub fn inject(point: &str) {
    if let Ok(fault) = std::env::var(FAULT_ENV)
        && fault.strip_prefix("panic:") == Some(point)
    {
        panic!("{FAULT_ENV}: injected panic at {point}");
    }
}
