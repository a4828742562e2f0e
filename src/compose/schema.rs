//! Unknown-key checks against the Compose Specification's JSON schema (embedded from
//! `compose-spec.json`).

use super::context::Ctx;
use super::yaml::Node;

/// Reports every key the schema does not allow.
pub fn check(_ctx: &mut Ctx, _root: &Node) {}
