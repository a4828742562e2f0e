//! Integration tests against the real Docker Engine: one test binary, a module per area.
//!
//! Every test that touches the engine checks that nothing of its run is left afterwards.
//! They need a running Docker daemon and the fixture images (`fixtures/images/build.sh`).

mod bad_input;
mod command_line;
mod config;
mod guarantees;
mod layout;
mod library;
mod library_ops;
mod lifecycle;
mod parity_config;
mod parity_runtime;
mod probes;
mod progress;
mod readiness;
mod registry;
mod remote;
mod reports;
mod reuse;
mod runtime_keys;
mod shared;
mod signals;
mod support;
mod sweep;
mod test_command;
