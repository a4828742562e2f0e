//! dockhand tests an application the way it ships: inside its own Docker image, next to the real
//! databases and caches it talks to, all described by the compose file the team already has.
#![forbid(unsafe_code)]

pub mod compose;
pub mod plan;
pub mod verdict;
pub mod report;
