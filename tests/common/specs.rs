//! Reading the vendored `specs/` in tests, and making schema-valid sample
//! values from them (the representative requests and responses of the
//! per-operation tests).
#![allow(dead_code)] // each test binary uses a different part of it

use std::path::PathBuf;

use serde_json::{Map, Value, json};

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// One operation of a vendored document.
#[derive(Debug, Clone)]
pub struct SpecOperation {
    /// Service name.
    pub service: &'static str,
    /// Upper-case method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// `operationId`.
    pub operation_id: String,
    /// The operation object.
    pub body: Value,
}

impl SpecOperation {
    /// The JSON request body schema, if any.
    pub fn request_schema(&self) -> Option<&Value> {
        self.body
            .pointer("/requestBody/content/application~1json/schema")
    }

    /// The 200 response's media type and schema.
    pub fn response(&self) -> Option<(&str, &Value)> {
        let content = self.body.pointer("/responses/200/content")?.as_object()?;
        let (media, entry) = content.iter().next()?;
        Some((media.as_str(), entry.get("schema")?))
    }

    /// Parameter names declared `in` a place (`query`, `path`, ...).
    pub fn parameters(&self, place: &str) -> Vec<(String, bool)> {
        self.body
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|p| p.get("in").and_then(Value::as_str) == Some(place))
            .map(|p| {
                (
                    p.get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    p.get("required").and_then(Value::as_bool).unwrap_or(false),
                )
            })
            .collect()
    }
}

/// The repository's `specs/` directory.
pub fn specs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs")
}

/// The vendored document of a service.
pub fn document(service: &str) -> Value {
    let path = specs_dir().join(format!("{service}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every operation of a service's document.
pub fn operations(service: &'static str) -> Vec<SpecOperation> {
    let document = document(service);
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(body) = item.get(method) {
                out.push(SpecOperation {
                    service,
                    method: method.to_uppercase(),
                    path: path.clone(),
                    operation_id: body["operationId"].as_str().unwrap_or_default().to_string(),
                    body: body.clone(),
                });
            }
        }
    }
    out
}

/// A schema-valid value for `schema`, with every property filled in (to
/// exercise decoding of optional fields too), one item per array, the first
/// value of each enum. Recursion is cut by dropping optional members deeper
/// than a few levels.
pub fn sample(document: &Value, schema: &Value) -> Value {
    sample_at(document, schema, 0)
}

fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => document
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {reference}")),
        None => schema,
    }
}

fn sample_at(document: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(document, schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.first().cloned().unwrap_or(Value::Null);
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in parts {
            match sample_at(document, part, depth) {
                Value::Object(fields) => merged.extend(fields),
                other if parts.len() == 1 => return other,
                _ => {}
            }
        }
        return Value::Object(merged);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|v| v.first())
        {
            return sample_at(document, first, depth);
        }
    }
    let kind = schema.get("type").and_then(Value::as_str);
    match kind {
        Some("string") => string_sample(schema),
        Some("integer") => json!(
            schema
                .get("minimum")
                .and_then(Value::as_i64)
                .unwrap_or(1)
                .max(1)
        ),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let count = if depth > 5 { min } else { min.max(1) };
            Value::Array(
                (0..count)
                    .map(|_| sample_at(document, &items, depth + 1))
                    .collect(),
            )
        }
        Some("object") | None if schema.get("properties").is_some() || kind == Some("object") => {
            object_sample(document, schema, depth)
        }
        _ => json!({"key": "sample"}),
    }
}

fn object_sample(document: &Value, schema: &Value, depth: usize) -> Value {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut fields = Map::new();
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if depth > 3 && !required.contains(&name.as_str()) {
            continue;
        }
        fields.insert(name.clone(), sample_at(document, property, depth + 1));
    }
    let free_form = schema.get("properties").is_none()
        && schema.get("additionalProperties") != Some(&json!(false));
    if free_form {
        // A free-form object gets one member, so that an empty map that a
        // serializer may skip cannot hide a lost field.
        let extra = schema
            .get("additionalProperties")
            .filter(|v| v.is_object())
            .cloned()
            .unwrap_or(json!({"type": "string"}));
        fields.insert("key".into(), sample_at(document, &extra, depth + 1));
    }
    Value::Object(fields)
}

fn string_sample(schema: &Value) -> Value {
    let text = match schema.get("format").and_then(Value::as_str) {
        Some("date") => "2024-05-17".to_string(),
        Some("date-time") => "2024-05-17T10:20:30Z".to_string(),
        Some("uri") => "https://example.org/item".to_string(),
        Some("email") => "someone@example.org".to_string(),
        _ => "sample".to_string(),
    };
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    if text.len() < min {
        json!("s".repeat(min))
    } else {
        json!(text)
    }
}
