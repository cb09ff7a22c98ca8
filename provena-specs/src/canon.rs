//! Canonical JSON text: 2-space pretty printing with object keys sorted.
//!
//! serde_json's own order depends on whether some crate in the build enables
//! its `preserve_order` feature (feature unification across the workspace), so
//! the sorting is done here explicitly to keep the output byte-stable.

use serde_json::Value;

/// `v` as the vendored files are written: pretty-printed with two-space
/// indentation, object keys sorted, and a trailing newline.
///
/// ```
/// let text = provena_specs::canonical_json(&serde_json::json!({"b": 1, "a": []}));
/// assert_eq!(text, "{\n  \"a\": [],\n  \"b\": 1\n}\n");
/// ```
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    write(v, 0, &mut out);
    out.push('\n');
    out
}

fn indent(level: usize, out: &mut String) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write(v: &Value, level: usize, out: &mut String) {
    match v {
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(level + 1, out);
                write(item, level + 1, out);
            }
            out.push('\n');
            indent(level, out);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("{\n");
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(level + 1, out);
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                if let Some(item) = map.get(key) {
                    write(item, level + 1, out);
                }
            }
            out.push('\n');
            indent(level, out);
            out.push('}');
        }
        // Scalars: serde_json's Display is the same text its serializer writes.
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_serde_pretty_with_sorted_keys() {
        let v = json!({"b": [1, {"z": null, "a": "x\"y"}], "a": {}, "c": [], "d": 1.5});
        let expected = "{\n  \"a\": {},\n  \"b\": [\n    1,\n    {\n      \"a\": \"x\\\"y\",\n      \"z\": null\n    }\n  ],\n  \"c\": [],\n  \"d\": 1.5\n}\n";
        assert_eq!(to_string(&v), expected);
        let reparsed: Value = serde_json::from_str(&to_string(&v)).unwrap();
        assert_eq!(reparsed, v);
    }
}
