//! Compose files read as docker compose reads them: YAML with positions, interpolation, .env,
//! merge, extends, include, profiles and validation, producing a [`Project`].

pub mod model;

pub use model::*;
