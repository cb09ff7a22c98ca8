//! One Rust type per Provena model, shared by every service.
//!
//! The build script merges the component schemas of the enabled services'
//! documents into one typify type space, so a [`ModelRunRecord`] fetched from
//! the registry is the type the prov API takes, and a schema name given two
//! different contents fails the build. The generated clients in
//! [`crate::raw`] refer to these types; only the few request shapes that are
//! not models (inline parameter enums, for instance) stay there.
//!
//! * **Builders.** Every struct has `Type::builder()`, a [`builder`] value
//!   with one setter per field and `Default` for the optional ones; it turns
//!   into the type with `try_into()` (a missing required field is an
//!   [`error::ConversionError`] naming it). Code written with builders keeps
//!   compiling when upstream adds an optional field.
//! * **Enums.** A known value is one variant (`JobStatus::Succeeded`); a
//!   value this client does not know decodes into `Unknown(String)` and is
//!   sent back as it came.
//! * **Unknown fields.** Models that travel both ways keep fields the
//!   documents do not list in `extra`, and send them back.
//! * **Secrets.** Fields named in [`SECRET_FIELDS`] show as `"<redacted>"`
//!   in `Debug` (see [`REDACTED`]).
//!
//! ```
//! use provena_client::models::{JobStatus, ModelRunRecord};
//!
//! let status: JobStatus = serde_json::from_str("\"SUCCEEDED\"").unwrap();
//! assert_eq!(status, JobStatus::Succeeded);
//! let newer: JobStatus = serde_json::from_str("\"PAUSED\"").unwrap();
//! assert_eq!(newer, JobStatus::Unknown("PAUSED".into()));
//!
//! // A missing required field is an error naming it, not a panic.
//! let record: Result<ModelRunRecord, _> = ModelRunRecord::builder()
//!     .display_name("Run 1")
//!     .try_into();
//! assert!(record.unwrap_err().to_string().contains("associations"));
//! ```
#![allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    unused_imports,
    irrefutable_let_patterns,
    rustdoc::all
)]

#[macro_use]
mod macros;
mod impls;

include!("secret_fields.rs");
include!(concat!(env!("OUT_DIR"), "/models.rs"));
