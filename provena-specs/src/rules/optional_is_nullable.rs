//! `optional_is_nullable`: FastAPI + pydantic 1 emit `Optional[X] = None` as
//! a property that is merely absent from `required`, yet the server sends
//! `null` for it when unset. typify makes some such properties non-Option
//! (`{"type": "object"}` -> `Map` with `#[serde(default)]`), which then fails
//! on `null` (seen: the job API's `JobStatusTable.result: null`). So every
//! optional property without a non-null `default` is marked `nullable`.
//!
//! Runs after the overlays, so overlay schemas are covered too.

use serde_json::{Value, json};

use super::{RuleCtx, RuleOutput};
use crate::Result;
use crate::walk::{Kind, Obj, walk_document};

/// Marks one property schema nullable; true if it changed.
fn mark(prop: &mut Value) -> bool {
    let Some(p) = prop.as_object_mut() else {
        return false;
    };
    // pydantic fills a non-null default in, so the server never sends null.
    if p.get("default").is_some_and(|d| !d.is_null()) {
        return false;
    }
    if p.get("nullable").and_then(Value::as_bool) == Some(true) {
        return false;
    }
    if let Some(r) = p.remove("$ref") {
        // Siblings of a $ref are ignored in 3.0: the ref goes into an allOf.
        p.insert("allOf".into(), json!([{"$ref": r}]));
    }
    p.insert("nullable".into(), Value::Bool(true));
    true
}

/// Rewrites the properties of one object schema; returns how many changed.
pub fn rewrite(schema: &mut Obj) -> usize {
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return 0;
    };
    // Property names are map keys, never keywords: only the values are read.
    props
        .iter_mut()
        .filter(|(name, _)| !required.contains(name))
        .map(|(_, prop)| mark(prop))
        .filter(|changed| *changed)
        .count()
}

pub fn apply(doc: &mut Value, _ctx: &RuleCtx<'_>) -> Result<RuleOutput> {
    let mut count = 0;
    walk_document(doc, &mut |kind, obj| {
        if kind == Kind::Schema {
            count += rewrite(obj);
        }
    });
    Ok(RuleOutput::count(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(schemas: Value) -> (Value, usize) {
        let mut doc = json!({"components": {"schemas": schemas}});
        let out = apply(&mut doc, &RuleCtx { service: "job" }).unwrap();
        (doc["components"]["schemas"].clone(), out.count)
    }

    #[test]
    fn optional_properties_become_nullable() {
        let (s, n) = run(
            json!({"JobStatusTable": {"type": "object", "required": ["session_id"],
            "properties": {
                "session_id": {"type": "string"},
                "result": {"type": "object"},
                "status": {"$ref": "#/components/schemas/JobStatus"},
                "info": {"type": "string", "default": null},
                "gsi_status": {"type": "string", "default": "ok"},
                "kind": {"allOf": [{"$ref": "#/components/schemas/K"}], "default": "A"},
                "note": {"type": "string", "nullable": true}
            }}}),
        );
        assert_eq!(n, 3);
        assert_eq!(
            s["JobStatusTable"]["properties"],
            json!({
                "session_id": {"type": "string"},
                "result": {"type": "object", "nullable": true},
                "status": {"allOf": [{"$ref": "#/components/schemas/JobStatus"}], "nullable": true},
                "info": {"type": "string", "default": null, "nullable": true},
                "gsi_status": {"type": "string", "default": "ok"},
                "kind": {"allOf": [{"$ref": "#/components/schemas/K"}], "default": "A"},
                "note": {"type": "string", "nullable": true}
            })
        );
    }

    #[test]
    fn nested_objects_and_members_are_covered() {
        let (s, n) = run(
            json!({"A": {"type": "object", "required": ["xs"], "properties": {
            "xs": {"type": "array", "items": {"type": "object", "properties": {"y": {"type": "integer"}}}},
            "m": {"type": "object", "additionalProperties": {"type": "object", "required": [],
                "properties": {"z": {"type": "boolean"}}}}
        }, "allOf": [{"type": "object", "properties": {"w": {"type": "string"}}}]}}),
        );
        // y, m, z, w
        assert_eq!(n, 4);
        let a = &s["A"];
        assert_eq!(
            a["properties"]["xs"]["items"]["properties"]["y"]["nullable"],
            true
        );
        assert_eq!(a["properties"]["m"]["nullable"], true);
        assert_eq!(
            a["properties"]["m"]["additionalProperties"]["properties"]["z"]["nullable"],
            true
        );
        assert_eq!(a["allOf"][0]["properties"]["w"]["nullable"], true);
        assert!(a["properties"]["xs"].get("nullable").is_none());
    }

    #[test]
    fn keyword_named_fields_are_plain_fields() {
        // Fields named like keywords: `type`, `items`, `properties`, `required`.
        let (s, n) = run(
            json!({"B": {"type": "object", "required": ["type"], "properties": {
                "type": {"type": "string"},
                "items": {"type": "array", "items": {"type": "string"}},
                "properties": {"type": "object"},
                "required": {"type": "boolean", "default": false}
            }}}),
        );
        assert_eq!(n, 2);
        assert_eq!(
            s["B"],
            json!({"type": "object", "required": ["type"], "properties": {
                "type": {"type": "string"},
                "items": {"type": "array", "items": {"type": "string"}, "nullable": true},
                "properties": {"type": "object", "nullable": true},
                "required": {"type": "boolean", "default": false}
            }})
        );
    }

    #[test]
    fn idempotent() {
        let schemas = json!({"C": {"type": "object", "properties": {"r": {"$ref": "#/components/schemas/D"}}}});
        let (once, n1) = run(schemas);
        assert_eq!(n1, 1);
        let (twice, n2) = run(once.clone());
        assert_eq!(n2, 0);
        assert_eq!(once, twice);
    }
}
