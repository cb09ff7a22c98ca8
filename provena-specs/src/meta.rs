//! The meta record written beside each spec (`specs/{service}.meta.json`):
//! where the spec came from and what the sync did to it, so that `check` can
//! say *why* a spec would change and reviewers can see the rules' effect.

use serde_json::{Map, Value, json};

use crate::overlay::Applied;
use crate::rules::Handwritten;

/// The field that `check` ignores: the same upstream read from a directory
/// or a URL must not count as drift.
pub const SOURCE: &str = "source";

pub struct MetaInput<'a> {
    pub service: &'a str,
    pub source: &'a str,
    pub upstream_sha256: &'a str,
    pub openapi: &'a str,
    pub rules: &'a [(&'static str, usize)],
    pub overlays: &'a Applied,
    pub handwritten: &'a [Handwritten],
    pub warnings: &'a [String],
}

pub fn build(m: &MetaInput<'_>) -> Value {
    let rules: Map<String, Value> = m
        .rules
        .iter()
        .map(|(name, n)| (name.to_string(), json!(n)))
        .collect();
    // Sorted so the record doesn't depend on the document's key order.
    let mut sorted: Vec<&Handwritten> = m.handwritten.iter().collect();
    sorted.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    let handwritten: Vec<Value> = sorted
        .into_iter()
        .map(|h| json!({"method": h.method, "path": h.path, "operationId": h.operation_id, "reason": h.reason}))
        .collect();
    json!({
        "service": m.service,
        SOURCE: m.source,
        "upstream_sha256": m.upstream_sha256,
        "openapi": m.openapi,
        "rules": rules,
        "overlays": {"responses": m.overlays.responses, "schemas": m.overlays.schemas},
        "handwritten": handwritten,
        "warnings": m.warnings,
    })
}

/// The meta without its `source`, for comparisons.
pub fn without_source(meta: &Value) -> Value {
    let mut m = meta.clone();
    if let Some(obj) = m.as_object_mut() {
        obj.remove(SOURCE);
    }
    m
}
