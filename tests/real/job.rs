//! job workflows against the real job API.

use super::Workflow;

/// The job service's workflows, by name.
pub const WORKFLOWS: &[(&str, Workflow)] = &[];
