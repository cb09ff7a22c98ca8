//! `tuple_items`: array-form `items` (a tuple) is not OpenAPI 3.0 and the
//! openapiv3 reader rejects it; keep the element types and the length.

use serde_json::{Value, json};

use super::{RuleCtx, RuleOutput};
use crate::Result;
use crate::walk::Obj;

pub fn rewrite(schema: &mut Obj) -> bool {
    let Some(Value::Array(members)) = schema.get("items") else {
        return false;
    };
    let len = members.len();
    let items = match members.as_slice() {
        [] => json!({}),
        [first, rest @ ..] if rest.iter().all(|m| m == first) => first.clone(),
        several => json!({"anyOf": several}),
    };
    schema.insert("items".into(), items);
    schema.insert("minItems".into(), json!(len));
    schema.insert("maxItems".into(), json!(len));
    true
}

pub fn apply(doc: &mut Value, _ctx: &RuleCtx<'_>) -> Result<RuleOutput> {
    Ok(super::rewrite_each_schema(doc, rewrite))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: Value) -> (Value, usize) {
        let mut doc = json!({"components": {"schemas": {"S": v}}});
        let out = apply(&mut doc, &RuleCtx { service: "auth" }).unwrap();
        (doc["components"]["schemas"]["S"].clone(), out.count)
    }

    #[test]
    fn mixed_tuple_becomes_any_of_with_length() {
        let (s, n) = run(
            json!({"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2,
            "items": [{"type": "string"}, {"type": "object"}]}}),
        );
        assert_eq!(n, 1);
        assert_eq!(
            s,
            json!({"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2,
                "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}}})
        );
    }

    #[test]
    fn uniform_tuple_becomes_single_items() {
        let (s, n) = run(
            json!({"type": "array", "items": [{"type": "number"}, {"type": "number"}, {"type": "number"}]}),
        );
        assert_eq!(n, 1);
        assert_eq!(
            s,
            json!({"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3})
        );
    }

    #[test]
    fn ordinary_items_and_a_field_named_items_are_untouched() {
        let v = json!({"type": "object", "properties": {"items": {"type": "array", "items": {"type": "string"}}}});
        let (s, n) = run(v.clone());
        assert_eq!(n, 0);
        assert_eq!(s, v);
    }
}
