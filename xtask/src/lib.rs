//! `cargo xtask`: derives the vendored `specs/` from the upstream Provena
//! OpenAPI documents (`specs sync`) and reports semantic drift (`specs check`).
//!
//! Kept as a library so the integration tests can drive the same code paths
//! as the binary.

pub mod canon;
pub mod cli;
pub mod derive;
pub mod drift;
pub mod error;
pub mod meta;
pub mod overlay;
pub mod rules;
pub mod shared;
pub mod source;
pub mod walk;

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
