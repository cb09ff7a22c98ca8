//! `open_enums`: forward compatibility. A value that a server adds to an enum
//! (a new job type or status) must not make a whole response fail to decode.
//! Every component string enum `X` with two or more values moves to `XKnown`
//! and `X` becomes "a known value, or any other string":
//!
//! ```json
//! {"anyOf": [{"title": "Known", "allOf": [{"$ref": "#/components/schemas/XKnown"}]},
//!            {"title": "Unknown", "type": "string"}]}
//! ```
//!
//! `anyOf` says exactly that, so validating servers and mocks (Prism) accept
//! known values and generate strings for it. typify 0.8 would turn such an
//! overlapping `anyOf` into a struct of flattened `Option`s, so `build.rs`
//! hands it to progenitor as a `oneOf`, which typify generates as the untagged
//! `enum X { Known(XKnown), Unknown(String) }` (variants named by the titles,
//! tried in order, so a known value decodes as `Known`). (A `oneOf` in the
//! document itself would be wrong: a known value matches both branches. An
//! exclusive `not` on the Unknown branch makes Prism's generator emit numbers.)
//! Single-value enums are discriminator literals and stay closed.
//!
//! Runs after the overlays, so overlay enums are covered too.

use serde_json::{Map, Value, json};

use super::{RuleCtx, RuleOutput};
use crate::Result;

/// The suffix of the component that holds the closed enum.
pub const KNOWN: &str = "Known";

const PREFIX: &str = "#/components/schemas/";

/// `{"type": "string", "enum": [two or more strings]}`.
fn is_open_candidate(s: &Value) -> bool {
    s.get("type").and_then(Value::as_str) == Some("string")
        && s.get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| e.len() >= 2 && e.iter().all(Value::is_string))
}

/// The wrapper that replaces `name`.
pub fn wrapper(name: &str) -> Value {
    json!({"anyOf": [
        {"title": "Known", "allOf": [{"$ref": format!("{PREFIX}{name}{KNOWN}")}]},
        {"title": "Unknown", "type": "string"}
    ]})
}

/// If `name` is the closed half (`XKnown`) of an open enum in `schemas`,
/// the open enum's name `X`.
pub fn open_enum_of<'a>(name: &'a str, schemas: &Map<String, Value>) -> Option<&'a str> {
    let base = name.strip_suffix(KNOWN)?;
    let outer = schemas.get(base)?;
    let mut bare = outer.clone();
    if let Some(m) = bare.as_object_mut() {
        m.remove("nullable");
        m.remove("default");
    }
    (bare == wrapper(base)).then_some(base)
}

pub fn apply(doc: &mut Value, _ctx: &RuleCtx<'_>) -> Result<RuleOutput> {
    let mut out = RuleOutput::default();
    let Some(schemas) = doc
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .and_then(Value::as_object_mut)
    else {
        return Ok(out);
    };
    let names: Vec<String> = schemas
        .iter()
        .filter(|(n, s)| is_open_candidate(s) && open_enum_of(n, schemas).is_none())
        .map(|(n, _)| n.clone())
        .collect();
    for name in names {
        let known = format!("{name}{KNOWN}");
        if schemas.contains_key(&known) {
            out.warnings.push(format!(
                "open_enums: enum {name} left closed: a schema named {known} already exists"
            ));
            continue;
        }
        let Some(Value::Object(mut closed)) = schemas.remove(&name) else {
            continue;
        };
        let mut outer = wrapper(&name);
        // A null or a default describes the field, not the value set: they
        // stay on the outer schema (typify reads them there).
        for key in ["nullable", "default"] {
            if let Some(v) = closed.remove(key) {
                outer[key] = v;
            }
        }
        schemas.insert(known, Value::Object(closed));
        schemas.insert(name, outer);
        out.count += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(schemas: Value) -> (Value, RuleOutput) {
        let mut doc = json!({"components": {"schemas": schemas}});
        let out = apply(&mut doc, &RuleCtx { service: "job" }).unwrap();
        (doc["components"]["schemas"].clone(), out)
    }

    #[test]
    fn string_enum_is_opened() {
        let (s, out) = run(json!({
            "JobStatus": {"type": "string", "enum": ["PENDING", "FAILED"]},
            "Literal": {"type": "string", "enum": ["ONLY"]},
            "Numbers": {"type": "integer", "enum": [1, 2]},
            "Obj": {"type": "object", "properties": {"s": {"type": "string", "enum": ["A", "B"]}}}
        }));
        assert_eq!(out.count, 1);
        assert_eq!(
            s["JobStatus"],
            json!({"anyOf": [
                {"title": "Known", "allOf": [{"$ref": "#/components/schemas/JobStatusKnown"}]},
                {"title": "Unknown", "type": "string"}
            ]})
        );
        assert_eq!(
            s["JobStatusKnown"],
            json!({"type": "string", "enum": ["PENDING", "FAILED"]})
        );
        // Literals, non-string enums and inline enums are left alone.
        assert_eq!(s["Literal"], json!({"type": "string", "enum": ["ONLY"]}));
        assert_eq!(s["Numbers"], json!({"type": "integer", "enum": [1, 2]}));
        assert_eq!(s.as_object().unwrap().len(), 5);
        assert_eq!(
            open_enum_of("JobStatusKnown", s.as_object().unwrap()),
            Some("JobStatus")
        );
        assert_eq!(open_enum_of("JobStatus", s.as_object().unwrap()), None);
    }

    #[test]
    fn nullable_and_default_stay_outside() {
        let (s, out) = run(json!({
            "E": {"type": "string", "enum": ["A", "B"], "nullable": true, "default": "A"}
        }));
        assert_eq!(out.count, 1);
        assert_eq!(s["E"]["nullable"], true);
        assert_eq!(s["E"]["default"], "A");
        assert_eq!(s["EKnown"], json!({"type": "string", "enum": ["A", "B"]}));
        assert_eq!(open_enum_of("EKnown", s.as_object().unwrap()), Some("E"));
    }

    #[test]
    fn name_collision_is_a_warning_and_idempotent() {
        let (s, out) = run(json!({
            "E": {"type": "string", "enum": ["A", "B"]},
            "EKnown": {"type": "object"}
        }));
        assert_eq!(out.count, 0);
        assert_eq!(out.warnings.len(), 1);
        assert_eq!(s["E"], json!({"type": "string", "enum": ["A", "B"]}));

        let (once, _) = run(json!({"E": {"type": "string", "enum": ["A", "B"]}}));
        let (twice, out) = run(once.clone());
        assert_eq!(out.count, 0);
        assert!(out.warnings.is_empty());
        assert_eq!(once, twice);
    }
}
