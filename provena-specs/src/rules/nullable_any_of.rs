//! `nullable_any_of`: `anyOf: [X, {type: null}]` is JSON Schema, not OpenAPI
//! 3.0, and progenitor panics on `type: null`; 3.0 says `nullable: true`.

use serde_json::{Value, json};

use super::{RuleCtx, RuleOutput};
use crate::Result;
use crate::walk::Obj;

/// `{type: null}`, possibly still carrying prose.
fn is_null_schema(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        m.get("type").and_then(Value::as_str) == Some("null")
            && m.keys()
                .all(|k| matches!(k.as_str(), "type" | "title" | "description"))
    })
}

/// Rewrites one schema in place; true if it changed.
pub fn rewrite(schema: &mut Obj) -> bool {
    let Some(Value::Array(members)) = schema.get("anyOf") else {
        return false;
    };
    if !members.iter().any(is_null_schema) {
        return false;
    }
    let rest: Vec<Value> = members
        .iter()
        .filter(|m| !is_null_schema(m))
        .cloned()
        .collect();
    schema.remove("anyOf");
    let mut siblings = std::mem::take(schema);
    match rest.as_slice() {
        [] => {}
        [single] => match single.as_object() {
            // Siblings of a $ref are ignored in 3.0, so wrap it.
            Some(m) if m.contains_key("$ref") => {
                siblings.insert("allOf".into(), json!([single]));
            }
            Some(m)
                if m.iter()
                    .all(|(k, v)| siblings.get(k).is_none_or(|s| s == v)) =>
            {
                // The common case, e.g. {maxLength, anyOf: [{maxLength, type}]}:
                // merging loses nothing because no keyword disagrees.
                for (k, v) in m {
                    siblings.insert(k.clone(), v.clone());
                }
            }
            // A keyword disagrees between outer and inner: keep both as allOf.
            _ => {
                siblings.insert("allOf".into(), json!([single]));
            }
        },
        several => {
            siblings.insert("anyOf".into(), Value::Array(several.to_vec()));
        }
    }
    siblings.insert("nullable".into(), Value::Bool(true));
    *schema = siblings;
    true
}

pub fn apply(doc: &mut Value, _ctx: &RuleCtx<'_>) -> Result<RuleOutput> {
    Ok(super::rewrite_each_schema(doc, rewrite))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_to(doc: &mut Value) -> RuleOutput {
        apply(
            doc,
            &RuleCtx {
                service: "registry",
            },
        )
        .unwrap()
    }

    fn one(v: Value) -> Value {
        let mut doc = json!({"components": {"schemas": {"S": v}}});
        let out = apply_to(&mut doc);
        assert_eq!(out.count, 1);
        doc["components"]["schemas"]["S"].clone()
    }

    #[test]
    fn scalar_member_is_merged_with_siblings() {
        assert_eq!(
            one(
                json!({"maxLength": 5, "default": "x", "anyOf": [{"maxLength": 5, "type": "string"}, {"title": "None", "type": "null"}]})
            ),
            json!({"maxLength": 5, "default": "x", "type": "string", "nullable": true})
        );
    }

    #[test]
    fn ref_member_becomes_all_of() {
        assert_eq!(
            one(
                json!({"default": null, "anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}]})
            ),
            json!({"default": null, "allOf": [{"$ref": "#/components/schemas/A"}], "nullable": true})
        );
    }

    #[test]
    fn several_members_stay_any_of() {
        assert_eq!(
            one(
                json!({"anyOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}, {"type": "null"}]})
            ),
            json!({"anyOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}], "nullable": true})
        );
    }

    #[test]
    fn conflicting_sibling_keeps_both() {
        assert_eq!(
            one(
                json!({"format": "uri", "anyOf": [{"type": "string", "format": "email"}, {"type": "null"}]})
            ),
            json!({"format": "uri", "allOf": [{"type": "string", "format": "email"}], "nullable": true})
        );
    }

    #[test]
    fn nested_and_untouched_cases() {
        let mut doc = json!({"components": {"schemas": {
            "A": {"properties": {"x": {"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}}},
            "B": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "C": {"properties": {"anyOf": {"type": "string"}}}
        }}});
        let out = apply_to(&mut doc);
        assert_eq!(out.count, 1);
        assert_eq!(
            doc["components"]["schemas"]["A"]["properties"]["x"]["items"],
            json!({"type": "integer", "nullable": true})
        );
        assert_eq!(
            doc["components"]["schemas"]["B"],
            json!({"anyOf": [{"type": "integer"}, {"type": "string"}]})
        );
    }
}
