//! Typed async client for [Provena](https://github.com/provena/provena), the
//! open provenance platform: its registry of people, organisations, models,
//! datasets, studies and model runs, its data store, lineage queries, async
//! jobs and persistent handles.
//!
//! Start with [`ProvenaClient`]: one value, cheap to clone, owning one pooled
//! HTTP client and one [`auth::AuthManager`], from which the seven service
//! clients are reached.
//!
//! ```no_run
//! use provena_client::{Config, ProvenaClient, auth::StaticToken};
//!
//! # async fn run() -> provena_client::Result<()> {
//! let config = Config::builder().domain("example.provena.io").realm("provena").build()?;
//! let client = ProvenaClient::new(config, StaticToken::shared("access-token"))?;
//! let hits = client.search().search_registry("soil moisture", Some(5), None).await?;
//! println!("{} results", hits.results.map(|r| r.len()).unwrap_or(0));
//! # Ok(()) }
//! ```
//!
//! Layers: [`raw`] holds the clients progenitor generates from the vendored
//! OpenAPI documents; [`clients`] the hand-written facade in the shapes of the
//! Python client's L2 layer; [`transport`] the one path every request takes.
#![warn(missing_docs)]
// docs.rs (`--cfg docsrs`, nightly) marks feature-gated items as such.
#![cfg_attr(docsrs, feature(doc_cfg))]
// With every service feature off, the request machinery has no user.
#![cfg_attr(
    not(any(
        feature = "auth",
        feature = "registry",
        feature = "datastore",
        feature = "search",
        feature = "prov",
        feature = "job",
        feature = "id-service"
    )),
    allow(dead_code, unused_macros)
)]

pub mod auth;
mod client;
pub mod clients;
pub mod config;
#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
pub mod datasets;
pub mod error;
pub mod ids;
#[cfg(feature = "job")]
#[cfg_attr(docsrs, doc(cfg(feature = "job")))]
pub mod jobs;
#[cfg(feature = "lineage")]
#[cfg_attr(docsrs, doc(cfg(feature = "lineage")))]
pub mod lineage;
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;
pub mod models;
/// What the servers' in-body answers mean: which `success: false` flags are
/// ordinary answers, and which messages mean "not found".
pub mod outcomes;
pub mod pagination;
pub mod raw;
pub mod retry;
#[cfg(all(feature = "search", feature = "registry"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "search", feature = "registry"))))]
pub mod search_and_fetch;
/// The table of Provena services and where a deployment serves them.
pub mod services;
mod success_flags;
pub mod transport;
mod upload;

pub use client::{ProvenaClient, build_http_client, install_crypto_provider};
pub use config::{Config, ConfigBuilder};
pub use error::{Error, FieldError, OperationName, RejectedBody, Result};
pub use progenitor_client::ByteStream;
pub use transport::with_timeout;
pub use upload::Upload;

// The README's code blocks are compiled as doctests, so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
