//! auth workflows against the real auth API.

use super::Workflow;

/// The auth service's workflows, by name.
pub const WORKFLOWS: &[(&str, Workflow)] = &[];
