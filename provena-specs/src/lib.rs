//! The derivation of `provena-client`'s vendored OpenAPI documents, and the
//! semantic drift between them and what the Provena services publish.
//!
//! `provena-client` generates its raw clients from the documents under its
//! `specs/` directory. Those are not the services' own documents as served
//! but a normalised form of them: prose stripped, nullable unions rewritten
//! for OpenAPI 3.0, response types the services do not declare filled in
//! from small overlay files, enums and objects opened for forward
//! compatibility, and a meta record beside each document saying what was
//! done. This crate holds that derivation ([`derive()`]), the pass that keeps
//! one schema name meaning one schema across documents ([`harmonise`]), and
//! the comparison of a fresh derivation with committed files, in API terms
//! ([`compare`]).
//!
//! It reads and compares documents; it fetches nothing. Its two front ends
//! bring the bytes: the repository's `cargo xtask specs sync|check` (files or
//! URLs) and `provena specs check` (a live deployment, through the client's
//! own HTTP stack).
//!
//! ```
//! use provena_specs::{Committed, Vendored, compare, derive};
//!
//! let upstream = br#"{"openapi": "3.0.2", "info": {"title": "t", "version": "1"},
//!     "paths": {"/ping": {"get": {"operationId": "ping",
//!         "responses": {"200": {"description": "ok"}}}}}}"#;
//! let derived = derive("job", "job.json", upstream, None)?;
//!
//! // Compared with its own text: no drift.
//! let same = Vendored {
//!     spec_label: "specs/job.json",
//!     spec: Committed::Bytes(derived.spec_text.as_bytes()),
//!     meta_label: "specs/job.meta.json",
//!     meta: Committed::Bytes(derived.meta_text.as_bytes()),
//! };
//! assert!(compare(&derived, &same).is_empty());
//!
//! // Compared with a document that had one more operation: named.
//! let mut older = derived.spec.clone();
//! older["paths"]["/gone"] = serde_json::json!({"delete": {"operationId": "gone",
//!     "responses": {"200": {"description": "ok"}}}});
//! let older = provena_specs::canonical_json(&older);
//! let before = Vendored { spec: Committed::Bytes(older.as_bytes()), ..same };
//! assert_eq!(compare(&derived, &before), ["operation removed: DELETE /gone (gone)"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod canon;
mod derive;
mod drift;
mod error;
mod meta;
mod overlay;
mod rules;
mod shared;
mod walk;

pub use canon::to_string as canonical_json;
pub use derive::{Derived, derive};
pub use drift::{Committed, Comparison, Vendored, compare, compare_parts};
pub use error::Error;
pub use overlay::Overlay;
pub use shared::{conflicts, harmonise, harmonise_with, refuse};

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
