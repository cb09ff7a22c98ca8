//! `cargo xtask`: derives the vendored `specs/` from the upstream Provena
//! OpenAPI documents (`specs sync`) and reports semantic drift (`specs check`).
//!
//! The derivation and the drift report are the `provena-specs` crate's (the
//! `provena` CLI's `specs check` uses them too); this is their front end for
//! the repository: arguments, reading files and URLs, writing `specs/`.
//! Kept as a library so the integration tests can drive the same code paths
//! as the binary.

pub mod cli;
pub mod error;
pub mod source;
pub mod specs;

/// The service table shared with the library and its build script; included
/// rather than copied so the three can never disagree.
pub mod services {
    include!("../../src/services.rs");

    /// Looks a service up by its spec name.
    pub fn find(name: &str) -> Option<&'static ServiceInfo> {
        SERVICES.iter().find(|s| s.name == name)
    }

    /// The known names, for error messages.
    pub fn names() -> String {
        SERVICES
            .iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub use error::{Error, Result};
