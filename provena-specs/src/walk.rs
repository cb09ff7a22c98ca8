//! A structural walk over an OpenAPI 3.0 document.
//!
//! The rules must know *what* an object is: in a schema, `title` and
//! `description` are prose, but inside a `properties` map they are field
//! names, and `default`/`example`/`enum` hold data. So instead of a blind
//! recursive walk, this follows the OpenAPI object graph and hands each
//! object to the callback tagged with its kind. Map containers (`properties`,
//! `paths`, `responses`, `components/schemas`, ...) are never handed over
//! themselves, so their keys can't be mistaken for keywords.

use serde_json::{Map, Value};

pub type Obj = Map<String, Value>;

/// What an object handed to the callback is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Schema Object (or a `$ref` standing in for one).
    Schema,
    /// A Response Object: its `description` is REQUIRED by OpenAPI 3.0.
    Response,
    /// Any other OpenAPI object (info, operation, parameter, ...).
    Other,
}

/// The HTTP methods a Path Item may hold, lower-case as in the document.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

type Visit<'f> = dyn FnMut(Kind, &mut Obj) + 'f;

fn obj<'a>(m: &'a mut Obj, key: &str) -> Option<&'a mut Obj> {
    m.get_mut(key).and_then(Value::as_object_mut)
}

fn arr<'a>(m: &'a mut Obj, key: &str) -> Option<&'a mut Vec<Value>> {
    m.get_mut(key).and_then(Value::as_array_mut)
}

/// Visits every object of the document; schemas are visited children first,
/// so a rule that rewrites a schema sees already-rewritten subschemas.
pub fn walk_document(doc: &mut Value, f: &mut Visit<'_>) {
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    if let Some(info) = obj(root, "info") {
        f(Kind::Other, info);
    }
    if let Some(servers) = arr(root, "servers") {
        servers.iter_mut().for_each(|s| server(s, f));
    }
    if let Some(paths) = obj(root, "paths") {
        paths.values_mut().for_each(|item| path_item(item, f));
    }
    if let Some(c) = obj(root, "components") {
        components(c, f);
    }
    if let Some(tags) = arr(root, "tags") {
        for tag in tags.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(docs) = obj(tag, "externalDocs") {
                f(Kind::Other, docs);
            }
            f(Kind::Other, tag);
        }
    }
    if let Some(docs) = obj(root, "externalDocs") {
        f(Kind::Other, docs);
    }
}

/// Visits a schema and all its subschemas, children first.
pub fn walk_schema(v: &mut Value, f: &mut Visit<'_>) {
    let Some(m) = v.as_object_mut() else { return };
    if let Some(props) = obj(m, "properties") {
        props.values_mut().for_each(|s| walk_schema(s, f));
    }
    match m.get_mut("items") {
        Some(Value::Array(tuple)) => tuple.iter_mut().for_each(|s| walk_schema(s, f)),
        Some(s @ Value::Object(_)) => walk_schema(s, f),
        _ => {}
    }
    if let Some(s @ Value::Object(_)) = m.get_mut("additionalProperties") {
        walk_schema(s, f);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(members) = arr(m, key) {
            members.iter_mut().for_each(|s| walk_schema(s, f));
        }
    }
    if let Some(s) = m.get_mut("not") {
        walk_schema(s, f);
    }
    if let Some(docs) = obj(m, "externalDocs") {
        f(Kind::Other, docs);
    }
    f(Kind::Schema, m);
}

fn server(v: &mut Value, f: &mut Visit<'_>) {
    let Some(m) = v.as_object_mut() else { return };
    if let Some(vars) = obj(m, "variables") {
        vars.values_mut()
            .filter_map(Value::as_object_mut)
            .for_each(|var| f(Kind::Other, var));
    }
    f(Kind::Other, m);
}

fn path_item(v: &mut Value, f: &mut Visit<'_>) {
    let Some(m) = v.as_object_mut() else { return };
    for method in METHODS {
        if let Some(op) = m.get_mut(method) {
            operation(op, f);
        }
    }
    if let Some(params) = arr(m, "parameters") {
        params.iter_mut().for_each(|p| parameter(p, f));
    }
    if let Some(servers) = arr(m, "servers") {
        servers.iter_mut().for_each(|s| server(s, f));
    }
    f(Kind::Other, m);
}

fn operation(v: &mut Value, f: &mut Visit<'_>) {
    let Some(m) = v.as_object_mut() else { return };
    if let Some(params) = arr(m, "parameters") {
        params.iter_mut().for_each(|p| parameter(p, f));
    }
    if let Some(body) = m.get_mut("requestBody") {
        request_body(body, f);
    }
    if let Some(responses) = obj(m, "responses") {
        responses.values_mut().for_each(|r| response(r, f));
    }
    if let Some(callbacks) = obj(m, "callbacks") {
        callbacks.values_mut().for_each(|c| callback(c, f));
    }
    if let Some(servers) = arr(m, "servers") {
        servers.iter_mut().for_each(|s| server(s, f));
    }
    if let Some(docs) = obj(m, "externalDocs") {
        f(Kind::Other, docs);
    }
    f(Kind::Other, m);
}

fn callback(v: &mut Value, f: &mut Visit<'_>) {
    if let Some(m) = v.as_object_mut() {
        m.values_mut().for_each(|item| path_item(item, f));
    }
}

fn examples(m: &mut Obj, f: &mut Visit<'_>) {
    if let Some(ex) = obj(m, "examples") {
        ex.values_mut()
            .filter_map(Value::as_object_mut)
            .for_each(|e| f(Kind::Other, e));
    }
}

/// Parameter and Header objects have the same shape.
fn parameter(v: &mut Value, f: &mut Visit<'_>) {
    let Some(m) = v.as_object_mut() else { return };
    if let Some(s) = m.get_mut("schema") {
        walk_schema(s, f);
    }
    if let Some(c) = obj(m, "content") {
        content(c, f);
    }
    examples(m, f);
    f(Kind::Other, m);
}

fn content(c: &mut Obj, f: &mut Visit<'_>) {
    for media in c.values_mut().filter_map(Value::as_object_mut) {
        if let Some(s) = media.get_mut("schema") {
            walk_schema(s, f);
        }
        examples(media, f);
        if let Some(enc) = obj(media, "encoding") {
            for e in enc.values_mut().filter_map(Value::as_object_mut) {
                if let Some(headers) = obj(e, "headers") {
                    headers.values_mut().for_each(|h| parameter(h, f));
                }
            }
        }
        f(Kind::Other, media);
    }
}

fn request_body(v: &mut Value, f: &mut Visit<'_>) {
    let Some(m) = v.as_object_mut() else { return };
    if let Some(c) = obj(m, "content") {
        content(c, f);
    }
    f(Kind::Other, m);
}

fn response(v: &mut Value, f: &mut Visit<'_>) {
    let Some(m) = v.as_object_mut() else { return };
    if let Some(headers) = obj(m, "headers") {
        headers.values_mut().for_each(|h| parameter(h, f));
    }
    if let Some(c) = obj(m, "content") {
        content(c, f);
    }
    if let Some(links) = obj(m, "links") {
        links
            .values_mut()
            .filter_map(Value::as_object_mut)
            .for_each(|l| f(Kind::Other, l));
    }
    f(Kind::Response, m);
}

fn components(c: &mut Obj, f: &mut Visit<'_>) {
    if let Some(schemas) = obj(c, "schemas") {
        schemas.values_mut().for_each(|s| walk_schema(s, f));
    }
    if let Some(responses) = obj(c, "responses") {
        responses.values_mut().for_each(|r| response(r, f));
    }
    for key in ["parameters", "headers"] {
        if let Some(params) = obj(c, key) {
            params.values_mut().for_each(|p| parameter(p, f));
        }
    }
    if let Some(bodies) = obj(c, "requestBodies") {
        bodies.values_mut().for_each(|b| request_body(b, f));
    }
    for key in ["examples", "securitySchemes", "links"] {
        if let Some(items) = obj(c, key) {
            items
                .values_mut()
                .filter_map(Value::as_object_mut)
                .for_each(|i| f(Kind::Other, i));
        }
    }
    if let Some(callbacks) = obj(c, "callbacks") {
        callbacks.values_mut().for_each(|cb| callback(cb, f));
    }
}

/// Every operation as (upper-case method, path, operation object).
pub fn operations_mut(doc: &mut Value) -> Vec<(String, String, &mut Obj)> {
    let mut out = Vec::new();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return out;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            if let Some(op) = op.as_object_mut() {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    out
}

/// Every operation as (upper-case method, path, operation object), read-only.
pub fn operations(doc: &Value) -> Vec<(String, String, &Obj)> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            if let Some(op) = op.as_object() {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    out
}

/// The operation at `METHOD path`, if the document has it.
pub fn operation_mut<'a>(doc: &'a mut Value, method: &str, path: &str) -> Option<&'a mut Obj> {
    doc.get_mut("paths")?
        .get_mut(path)?
        .get_mut(method.to_lowercase())?
        .as_object_mut()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn property_maps_are_not_visited_as_objects() {
        let mut doc = json!({
            "openapi": "3.0.2",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}},
            "components": {"schemas": {"A": {"properties": {"title": {"type": "string"}}}}}
        });
        let mut kinds = Vec::new();
        walk_document(&mut doc, &mut |k, m| {
            kinds.push((k, m.keys().cloned().collect::<Vec<_>>()))
        });
        // The properties map itself (key "title") must never be handed over.
        assert!(!kinds.iter().any(|(_, keys)| keys == &["title".to_string()]));
        assert!(kinds.contains(&(Kind::Response, vec!["description".to_string()])));
        assert_eq!(kinds.iter().filter(|(k, _)| *k == Kind::Schema).count(), 2);
    }
}
