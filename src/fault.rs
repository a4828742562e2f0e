//! Fault injection for dockhand's own tests, so they can prove what happens when dockhand itself
//! breaks: `DOCKHAND_FAULT=panic:<point>` panics at that point, `DOCKHAND_FAULT=fail:<point>`
//! makes the operation there fail.
//!
//! Points: `panic:after-up` (dependencies ready, test command not started yet), `fail:signals`
//! (listening for signals).

/// The environment variable that names the fault.
pub const FAULT_ENV: &str = "DOCKHAND_FAULT";

fn asked(kind: &str, point: &str) -> bool {
    std::env::var(FAULT_ENV)
        .ok()
        .and_then(|f| f.strip_prefix(kind)?.strip_prefix(':').map(|p| p == point))
        .unwrap_or(false)
}

/// Panics if `DOCKHAND_FAULT` asks for a panic at `point`.
pub fn inject(point: &str) {
    if asked("panic", point) {
        panic!("{FAULT_ENV}: injected panic at {point}");
    }
}

/// An error if `DOCKHAND_FAULT` asks for the operation at `point` to fail.
pub fn fail(point: &str) -> std::io::Result<()> {
    if asked("fail", point) {
        return Err(std::io::Error::other(format!(
            "{FAULT_ENV}: injected failure at {point}"
        )));
    }
    Ok(())
}
