//! One model, one schema: the pass over all derived documents together.
//!
//! The library generates one Rust type per component schema name, shared by
//! every service (`provena_client::models`), so a name must mean the same
//! schema in every document that has it. Upstream already keeps the shared
//! models identical; the per-document `open_objects` rule does not, since it
//! opens a schema where *that document* both sends and receives it. A model
//! fetched from one service and sent to another (a dataset's domain info, a
//! model run's) is a round trip too, so a name opened in one document is
//! opened in every document that has it.
//!
//! Anything else that differs under one name is an error naming the schema
//! and the documents: merging it silently would give one service the other's
//! type.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::derive::Derived;
use crate::{Error, Result, canon};

/// Name of the count this pass records in each meta file.
pub(crate) const RULE: &str = "open_objects_shared";

fn schemas(spec: &Value) -> Option<&serde_json::Map<String, Value>> {
    spec.pointer("/components/schemas")
        .and_then(Value::as_object)
}

fn is_opened(schema: &Value) -> bool {
    schema.get("additionalProperties") == Some(&json!({}))
}

/// `schema` as it would be opened: only object schemas that list properties
/// and say nothing about additional ones can be.
fn opened(schema: &Value) -> Option<Value> {
    let object = schema.as_object()?;
    let lists_properties = object
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    if !lists_properties || object.contains_key("additionalProperties") {
        return None;
    }
    let mut object = object.clone();
    object.insert("additionalProperties".into(), json!({}));
    Some(Value::Object(object))
}

/// Opens shared schema names alike: a name that one document opens (gives
/// `additionalProperties: {}`) is opened in every document that has it, and
/// each document's text and meta record (the count under
/// `open_objects_shared`) are updated.
///
/// Run it over all the documents derived together. Returns the names that
/// several documents still give different schemas (see [`conflicts`]).
/// When only some services are derived, use [`harmonise_with`] and the
/// others' committed documents.
pub fn harmonise(derived: &mut [Derived]) -> Vec<String> {
    harmonise_with(derived, &[])
}

/// [`harmonise`] for a subset of the services: `others` are the committed
/// (already harmonised) documents of the services not derived, whose opened
/// schema names count as opened too. Without them a subset would lose the
/// openings that came from the other documents, and so differ from what a
/// derivation of every service writes.
///
/// Conflicts are reported among `derived` only.
pub fn harmonise_with(derived: &mut [Derived], others: &[&Value]) -> Vec<String> {
    let mut opened_somewhere: BTreeSet<String> = BTreeSet::new();
    let documents = derived
        .iter()
        .map(|d| &d.spec)
        .chain(others.iter().copied());
    for spec in documents {
        for (name, schema) in schemas(spec).into_iter().flatten() {
            if is_opened(schema) {
                opened_somewhere.insert(name.clone());
            }
        }
    }
    for d in derived.iter_mut() {
        let mut count = 0;
        if let Some(schemas) = d
            .spec
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        {
            for (name, schema) in schemas.iter_mut() {
                if opened_somewhere.contains(name)
                    && let Some(open) = opened(schema)
                {
                    *schema = open;
                    count += 1;
                }
            }
        }
        record(d, count);
    }
    conflicts(derived)
}

fn record(d: &mut Derived, count: usize) {
    match d.rule_counts.iter_mut().find(|(name, _)| *name == RULE) {
        Some(entry) => entry.1 = count,
        None => d.rule_counts.push((RULE, count)),
    }
    if let Some(rules) = d.meta.get_mut("rules").and_then(Value::as_object_mut) {
        rules.insert(RULE.into(), json!(count));
    }
    d.spec_text = canon::to_string(&d.spec);
    d.meta_text = canon::to_string(&d.meta);
}

/// The schema names that two documents give different content, each as
/// `Name (first and second document)`. The client generates one type per
/// name, so a sync refuses these (see [`refuse`]).
pub fn conflicts(derived: &[Derived]) -> Vec<String> {
    let mut first: BTreeMap<&str, (&str, &Value)> = BTreeMap::new();
    let mut conflicts = Vec::new();
    for d in derived {
        for (name, schema) in schemas(&d.spec).into_iter().flatten() {
            match first.get(name.as_str()) {
                None => {
                    first.insert(name, (&d.service, schema));
                }
                Some((service, earlier)) if *earlier != schema => {
                    conflicts.push(format!("{name} ({service} and {})", d.service))
                }
                Some(_) => {}
            }
        }
    }
    conflicts
}

/// The error a sync gives for [`conflicts`], if there are any: such
/// documents cannot be written.
///
/// ```
/// assert!(provena_specs::refuse(&[]).is_ok());
/// let error = provena_specs::refuse(&["Info (registry and prov)".to_owned()]).unwrap_err();
/// assert!(error.to_string().contains("Info (registry and prov)"));
/// ```
pub fn refuse(conflicts: &[String]) -> Result<()> {
    if conflicts.is_empty() {
        return Ok(());
    }
    Err(Error::SharedSchemaConflict {
        conflicts: conflicts.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived(service: &str, schemas: Value) -> Derived {
        let spec = json!({"openapi": "3.0.2", "paths": {}, "components": {"schemas": schemas}});
        let meta = json!({"service": service, "rules": {}});
        Derived {
            service: service.to_owned(),
            spec_text: canon::to_string(&spec),
            meta_text: canon::to_string(&meta),
            spec,
            meta,
            rule_counts: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn object() -> Value {
        json!({"type": "object", "properties": {"a": {"type": "string"}}})
    }

    fn open_object() -> Value {
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {}})
    }

    #[test]
    fn a_name_opened_in_one_document_is_opened_in_every_document_that_has_it() {
        let mut all = [
            derived("registry", json!({"Info": open_object()})),
            derived("datastore", json!({"Info": object()})),
        ];
        assert!(harmonise(&mut all).is_empty());
        assert_eq!(all[1].spec["components"]["schemas"]["Info"], open_object());
        assert_eq!(all[1].meta["rules"][RULE], 1);
        assert_eq!(all[0].meta["rules"][RULE], 0);
        assert!(all[1].spec_text.contains("additionalProperties"));
        assert!(all[1].rule_counts.contains(&(RULE, 1)));
    }

    #[test]
    fn a_name_opened_in_a_document_not_derived_is_opened_too() {
        let committed = json!({"components": {"schemas": {"Info": open_object()}}});
        let mut some = [derived("datastore", json!({"Info": object()}))];
        assert!(harmonise_with(&mut some, &[&committed]).is_empty());
        assert_eq!(some[0].spec["components"]["schemas"]["Info"], open_object());
        assert_eq!(some[0].meta["rules"][RULE], 1);
    }

    #[test]
    fn a_name_opened_nowhere_is_left_closed() {
        let mut all = [
            derived("registry", json!({"Info": object()})),
            derived("datastore", json!({"Info": object()})),
        ];
        assert!(harmonise(&mut all).is_empty());
        assert_eq!(all[1].spec["components"]["schemas"]["Info"], object());
        assert_eq!(all[1].meta["rules"][RULE], 0);
    }

    #[test]
    fn an_unshared_name_is_not_opened_by_another_documents_schema_of_another_name() {
        let mut all = [
            derived("registry", json!({"Info": open_object()})),
            derived("datastore", json!({"Other": object()})),
        ];
        assert!(harmonise(&mut all).is_empty());
        assert_eq!(all[1].spec["components"]["schemas"]["Other"], object());
    }

    #[test]
    fn one_name_with_two_contents_fails_naming_the_schema_and_both_documents() {
        let other = json!({"type": "object", "properties": {"b": {"type": "integer"}}});
        let mut all = [
            derived("registry", json!({"Info": object(), "Same": object()})),
            derived("prov", json!({"Info": other, "Same": object()})),
        ];
        assert_eq!(harmonise(&mut all), ["Info (registry and prov)"]);
        let error = refuse(&conflicts(&all)).unwrap_err().to_string();
        assert!(error.contains("Info (registry and prov)"), "{error}");
    }

    #[test]
    fn a_closed_schema_is_not_reopened_and_so_conflicts() {
        let closed = json!({"type": "object", "properties": {"a": {"type": "string"}},
            "additionalProperties": false});
        let mut all = [
            derived("registry", json!({"Info": open_object()})),
            derived("datastore", json!({"Info": closed})),
        ];
        assert_eq!(harmonise(&mut all), ["Info (registry and datastore)"]);
    }
}
