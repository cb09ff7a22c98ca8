//! Overlays: response types that a live deployment doesn't declare (FastAPI
//! 0.88 ignores return annotations), supplied by `specs/overlays/{service}.json`.
//!
//! They only ever fill gaps. If upstream starts declaring the same thing the
//! overlay is redundant (a warning, so it can be deleted at leisure); if
//! upstream declares something different, the overlay is wrong and the sync
//! stops, because silently preferring either side would hide a real change.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::walk::operation_mut;
use crate::{Error, Result};

/// A service's overlay file, parsed: what to add to its document where the
/// document is silent.
///
/// The file is a JSON object with two optional members: `responses`, which
/// maps `"METHOD /path"` to the schema of that operation's 200
/// `application/json` response, and `schemas`, component schemas to add.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    label: String,
    responses: Map<String, Value>,
    schemas: Map<String, Value>,
}

/// What applying an overlay did (recorded in the meta record).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    /// The responses filled in, as `"METHOD /path"`.
    pub(crate) responses: Vec<String>,
    /// The schemas added.
    pub(crate) schemas: Vec<String>,
    /// One warning per entry the document now declares itself.
    pub(crate) redundant: Vec<String>,
}

impl Applied {
    pub(crate) fn count(&self) -> usize {
        self.responses.len() + self.schemas.len()
    }
}

impl Overlay {
    /// Parses an overlay file's bytes. `label` names the file in error
    /// messages and warnings (a stable, relative name such as
    /// `specs/overlays/job.json`).
    ///
    /// Unknown keys are errors, so that a typo cannot silently disable part
    /// of an overlay.
    ///
    /// ```
    /// let overlay = provena_specs::Overlay::from_slice(
    ///     "overlays/job.json",
    ///     br#"{"schemas": {"Jobs": {"type": "array"}}}"#,
    /// )?;
    /// assert_eq!(overlay.label(), "overlays/job.json");
    /// assert!(provena_specs::Overlay::from_slice("x.json", br#"{"response": {}}"#).is_err());
    /// # Ok::<(), provena_specs::Error>(())
    /// ```
    pub fn from_slice(label: &str, bytes: &[u8]) -> Result<Self> {
        let value: Value = serde_json::from_slice(bytes).map_err(|source| Error::OverlayJson {
            label: label.to_owned(),
            source,
        })?;
        parse(label.to_owned(), value)
    }

    /// Reads `{dir}/{service}.json`, naming it `{label_dir}/{service}.json`;
    /// `None` when the service has no overlay file.
    pub fn load(dir: &Path, label_dir: &str, service: &str) -> Result<Option<Self>> {
        let path = dir.join(format!("{service}.json"));
        let label = format!("{}/{service}.json", label_dir.trim_end_matches('/'));
        match std::fs::read(&path) {
            Ok(bytes) => Self::from_slice(&label, &bytes).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::OverlayUnreadable { label, source }),
        }
    }

    /// How the file is named in messages.
    pub fn label(&self) -> &str {
        &self.label
    }
}

fn bad(label: &str, message: String) -> Error {
    Error::Overlay {
        label: label.to_owned(),
        message,
    }
}

/// Validates the overlay's shape.
pub(crate) fn parse(label: String, value: Value) -> Result<Overlay> {
    let Value::Object(top) = value else {
        return Err(bad(&label, "expected a JSON object".to_owned()));
    };
    let mut overlay = Overlay {
        label,
        ..Default::default()
    };
    for (key, v) in top {
        let target = match key.as_str() {
            "responses" => &mut overlay.responses,
            "schemas" => &mut overlay.schemas,
            _ => {
                return Err(bad(
                    &overlay.label,
                    format!("unknown key \"{key}\" (expected \"responses\" and \"schemas\")"),
                ));
            }
        };
        let Value::Object(map) = v else {
            return Err(bad(&overlay.label, format!("\"{key}\" must be an object")));
        };
        *target = map;
    }
    Ok(overlay)
}

/// Applies `overlay` to an already normalised document.
pub(crate) fn apply(doc: &mut Value, overlay: &Overlay) -> Result<Applied> {
    let label = &overlay.label;
    let mut applied = Applied::default();
    // Sorted, whatever serde_json's map order is, so meta and warnings are
    // deterministic.
    let responses: BTreeMap<&String, &Value> = overlay.responses.iter().collect();
    for (key, schema) in responses {
        let Some((method, path)) = key.split_once(' ') else {
            return Err(bad(
                label,
                format!("response key \"{key}\" is not \"METHOD /path\""),
            ));
        };
        let Some(op) = operation_mut(doc, method, path) else {
            return Err(bad(
                label,
                format!("response \"{key}\" names no upstream operation"),
            ));
        };
        let Some(media) = op
            .get_mut("responses")
            .and_then(|r| r.get_mut("200"))
            .and_then(|r| r.get_mut("content"))
            .and_then(|c| c.get_mut("application/json"))
            .and_then(Value::as_object_mut)
        else {
            return Err(bad(
                label,
                format!(
                    "response \"{key}\": upstream operation has no 200 application/json response"
                ),
            ));
        };
        match media.get("schema") {
            None => {}
            Some(Value::Object(m)) if m.is_empty() => {}
            Some(upstream) if upstream == schema => {
                applied.redundant.push(format!(
                    "overlay {label}: response \"{key}\" is redundant (upstream now declares it)"
                ));
                continue;
            }
            Some(_) => {
                return Err(bad(
                    label,
                    format!(
                        "response \"{key}\" contradicts upstream, which declares a different schema; fix or remove the overlay entry"
                    ),
                ));
            }
        }
        media.insert("schema".into(), schema.clone());
        applied.responses.push(key.clone());
    }

    if overlay.schemas.is_empty() {
        return Ok(applied);
    }
    let Some(root) = doc.as_object_mut() else {
        return Err(bad(label, "document is not an object".to_owned()));
    };
    let schemas = root
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .map(|c| {
            c.entry("schemas")
                .or_insert_with(|| Value::Object(Map::new()))
        })
        .and_then(Value::as_object_mut);
    let Some(schemas) = schemas else {
        return Err(bad(
            label,
            "upstream components/schemas is not an object".to_owned(),
        ));
    };
    let overlay_schemas: BTreeMap<&String, &Value> = overlay.schemas.iter().collect();
    for (name, schema) in overlay_schemas {
        match schemas.get(name) {
            None => {
                schemas.insert(name.clone(), schema.clone());
                applied.schemas.push(name.clone());
            }
            Some(upstream) if upstream == schema => {
                applied.redundant.push(format!(
                    "overlay {label}: schema \"{name}\" is redundant (upstream now declares it)"
                ));
            }
            Some(_) => {
                return Err(bad(
                    label,
                    format!(
                        "schema \"{name}\" contradicts upstream's components/schemas/{name}; fix or remove the overlay entry"
                    ),
                ));
            }
        }
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(schema: Value) -> Value {
        json!({
            "paths": {"/jobs": {"get": {"responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": schema}}}}}}},
            "components": {"schemas": {"Job": {"type": "object"}}}
        })
    }

    fn overlay(v: Value) -> Overlay {
        parse("specs/overlays/job.json".into(), v).unwrap()
    }

    #[test]
    fn fills_empty_response_and_adds_schema() {
        let mut d = doc(json!({}));
        let o = overlay(
            json!({"responses": {"GET /jobs": {"$ref": "#/components/schemas/List"}},
                               "schemas": {"List": {"type": "array"}}}),
        );
        let a = apply(&mut d, &o).unwrap();
        assert_eq!(a.responses, vec!["GET /jobs"]);
        assert_eq!(a.schemas, vec!["List"]);
        assert!(a.redundant.is_empty());
        assert_eq!(
            d["paths"]["/jobs"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/List"
        );
        assert_eq!(d["components"]["schemas"]["List"], json!({"type": "array"}));
    }

    #[test]
    fn identical_upstream_is_redundant() {
        let mut d = doc(json!({"$ref": "#/components/schemas/Job"}));
        let o = overlay(
            json!({"responses": {"GET /jobs": {"$ref": "#/components/schemas/Job"}},
                               "schemas": {"Job": {"type": "object"}}}),
        );
        let a = apply(&mut d, &o).unwrap();
        assert_eq!(a.count(), 0);
        assert_eq!(a.redundant.len(), 2);
        assert!(a.redundant[0].contains("\"GET /jobs\" is redundant"));
    }

    #[test]
    fn contradictions_and_unknown_operations_fail() {
        let mut d = doc(json!({"$ref": "#/components/schemas/Job"}));
        let e = apply(
            &mut d,
            &overlay(json!({"responses": {"GET /jobs": {"type": "string"}}})),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("specs/overlays/job.json")
                && e.to_string().contains("GET /jobs"),
            "{e}"
        );
        let e = apply(
            &mut d,
            &overlay(json!({"schemas": {"Job": {"type": "string"}}})),
        )
        .unwrap_err();
        assert!(e.to_string().contains("schema \"Job\""), "{e}");
        let e = apply(&mut d, &overlay(json!({"responses": {"POST /nope": {}}}))).unwrap_err();
        assert!(
            e.to_string()
                .contains("\"POST /nope\" names no upstream operation"),
            "{e}"
        );
        assert!(parse("x".into(), json!({"response": {}})).is_err());
    }
}
