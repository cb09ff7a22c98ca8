//! `open_objects`: forward compatibility for objects, the companion of
//! `open_enums`. A field a server sends that the document does not list must
//! neither fail the decode nor vanish on a fetch-modify-update round trip.
//!
//! The first happened for real: the registry's dataset schemas are declared
//! `additionalProperties: false` (typify then generates
//! `#[serde(deny_unknown_fields)]`), while the server's model carries a field
//! hidden from its schema (`version`), so every dataset read failed. The second
//! would follow from merely dropping the flag: the client would decode the
//! dataset, drop `version`, and an update would send the item back without it.
//!
//! So an object schema with properties gets `additionalProperties: {}` when it
//! is closed (`false`) or when it is a round-trip type: reachable both from a
//! request (body or parameter) and from a response of the same document. For
//! such a schema typify generates a flattened `extra` map that keeps every
//! unlisted field as JSON and writes it back unchanged. Response-only objects
//! keep the implicit permissive schema: unknown fields decode and are ignored,
//! since nothing is ever sent back from them.
//!
//! Runs after the overlays, so overlay schemas are covered too.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{RuleCtx, RuleOutput};
use crate::Result;
use crate::walk::operations;

const PREFIX: &str = "#/components/schemas/";

/// Adds to `names` every component schema `node` refers to, transitively.
fn reach(node: &Value, schemas: &Map<String, Value>, names: &mut BTreeSet<String>) {
    match node {
        Value::Object(m) => {
            if let Some(name) = m
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(PREFIX))
                && names.insert(name.to_string())
                && let Some(target) = schemas.get(name)
            {
                reach(target, schemas, names);
            }
            m.values().for_each(|v| reach(v, schemas, names));
        }
        Value::Array(items) => items.iter().for_each(|v| reach(v, schemas, names)),
        _ => {}
    }
}

/// The component schemas that appear on both sides of some exchange.
fn round_trip_types(doc: &Value, schemas: &Map<String, Value>) -> BTreeSet<String> {
    let mut sent = BTreeSet::new();
    let mut received = BTreeSet::new();
    for (_, _, op) in operations(doc) {
        for key in ["requestBody", "parameters"] {
            if let Some(node) = op.get(key) {
                reach(node, schemas, &mut sent);
            }
        }
        if let Some(responses) = op.get("responses") {
            reach(responses, schemas, &mut received);
        }
    }
    sent.intersection(&received).cloned().collect()
}

/// True when `schema` is an object with listed properties whose unknown
/// fields must be kept.
fn should_open(schema: &Value, round_trip: bool) -> bool {
    let Some(m) = schema.as_object() else {
        return false;
    };
    let lists_properties = m
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    if !lists_properties {
        return false;
    }
    match m.get("additionalProperties") {
        Some(Value::Bool(false)) => true,
        None | Some(Value::Bool(true)) => round_trip,
        // A schema for the extra values already yields an `extra` map.
        Some(_) => false,
    }
}

pub fn apply(doc: &mut Value, _ctx: &RuleCtx<'_>) -> Result<RuleOutput> {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Ok(RuleOutput::default());
    };
    let round_trip = round_trip_types(doc, schemas);
    let open: Vec<String> = schemas
        .iter()
        .filter(|(name, schema)| should_open(schema, round_trip.contains(*name)))
        .map(|(name, _)| name.clone())
        .collect();
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for name in &open {
            if let Some(m) = schemas.get_mut(name).and_then(Value::as_object_mut) {
                m.insert("additionalProperties".into(), json!({}));
            }
        }
    }
    Ok(RuleOutput::count(open.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(request: Option<&str>, response: &str) -> Value {
        let mut op = json!({"responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {"$ref": format!("{PREFIX}{response}")}}}}}});
        if let Some(request) = request {
            op["requestBody"] = json!({"content": {"application/json": {
                "schema": {"$ref": format!("{PREFIX}{request}")}}}});
        }
        op
    }

    fn object(props: &[&str]) -> Value {
        let props: Map<String, Value> = props
            .iter()
            .map(|p| (p.to_string(), json!({"type": "string"})))
            .collect();
        json!({"type": "object", "properties": props})
    }

    fn run(paths: Value, schemas: Value) -> (Value, usize) {
        let mut doc = json!({"openapi": "3.0.2", "paths": paths,
            "components": {"schemas": schemas}});
        let out = apply(
            &mut doc,
            &RuleCtx {
                service: "registry",
            },
        )
        .unwrap();
        (doc["components"]["schemas"].clone(), out.count)
    }

    #[test]
    fn closed_response_object_is_opened() {
        let mut closed = object(&["name"]);
        closed["additionalProperties"] = json!(false);
        let (schemas, count) = run(
            json!({"/fetch": {"get": op(None, "Info")}}),
            json!({"Info": closed}),
        );
        assert_eq!(count, 1);
        assert_eq!(schemas["Info"]["additionalProperties"], json!({}));
    }

    #[test]
    fn round_trip_type_nested_under_both_sides_keeps_unknown_fields() {
        let mut item = object(&["id"]);
        item["properties"]["domain"] = json!({"allOf": [{"$ref": format!("{PREFIX}Domain")}]});
        let (schemas, count) = run(
            json!({"/fetch": {"get": op(None, "Item")},
                   "/update": {"put": op(Some("Domain"), "Status")}}),
            json!({"Item": item, "Domain": object(&["name"]), "Status": object(&["success"])}),
        );
        assert_eq!(count, 1, "only Domain is both sent and received");
        assert_eq!(schemas["Domain"]["additionalProperties"], json!({}));
        assert!(schemas["Item"].get("additionalProperties").is_none());
        assert!(schemas["Status"].get("additionalProperties").is_none());
    }

    #[test]
    fn maps_enums_and_empty_objects_are_left_alone() {
        let map = json!({"type": "object", "additionalProperties": {"type": "string"}});
        let (schemas, count) = run(
            json!({"/x": {"post": op(Some("Both"), "Both")}}),
            json!({"Both": {"type": "object", "properties": {
                    "m": {"$ref": format!("{PREFIX}Map")},
                    "e": {"$ref": format!("{PREFIX}Kind")},
                    "o": {"$ref": format!("{PREFIX}Empty")}}},
                   "Map": map.clone(),
                   "Kind": {"type": "string", "enum": ["a", "b"]},
                   "Empty": {"type": "object"}}),
        );
        assert_eq!(count, 1);
        assert_eq!(schemas["Map"], map);
        assert_eq!(
            schemas["Kind"],
            json!({"type": "string", "enum": ["a", "b"]})
        );
        assert_eq!(schemas["Empty"], json!({"type": "object"}));
    }

    #[test]
    fn applying_twice_changes_nothing_more() {
        let paths = json!({"/x": {"post": op(Some("Both"), "Both")}});
        let (schemas, first) = run(paths.clone(), json!({"Both": object(&["a"])}));
        let (again, second) = run(paths, schemas.clone());
        assert_eq!(first, 1);
        assert_eq!(second, 0);
        assert_eq!(schemas, again);
    }
}
