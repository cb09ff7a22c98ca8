//! Shared test helpers.
#![allow(dead_code)]

pub mod cases;
pub mod deployment;
pub mod keycloak;
pub mod prism;
pub mod proxy;
pub mod raw_tcp;
pub mod recorder;
pub mod s3;
pub mod skip;
pub mod specs;
pub mod undeclared;
