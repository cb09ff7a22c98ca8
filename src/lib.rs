//! Typed async client for [Provena](https://github.com/provena/provena), the
//! open provenance platform.
#![warn(missing_docs)]

pub mod auth;
pub mod raw;
pub mod transport;
