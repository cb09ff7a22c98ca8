//! Shared test helpers.

pub mod keycloak;
