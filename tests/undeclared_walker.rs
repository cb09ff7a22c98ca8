//! Unit tests of the real-server suite's helpers: the walker that finds what
//! responses carry but the documents do not declare
//! (`common::undeclared`), and the recording proxy that collects the
//! responses (`common::proxy`).
// The hand-made registry response is one deep `json!` literal.
#![recursion_limit = "256"]

mod common;

use bytes::Bytes;
use common::proxy::{Exchange, RecordingProxy};
use common::recorder::{Recorder, Reply};
use common::specs::{document, operations, sample, specs_dir};
use common::undeclared::{
    Additional, Finding, FindingKind, INLINE, find_operation, findings_for_response, report, walk,
};
use serde_json::{Value, json};

/// A small document: `Item` is closed, `Open` lists properties without
/// closing, `Kind` is a plain enum and `Colour` an open enum as the sync tool
/// writes them.
fn doc() -> Value {
    json!({
        "openapi": "3.0.2",
        "paths": {},
        "components": {"schemas": {
            "Item": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "id": {"type": "string"},
                    "count": {"type": "integer"},
                    "ratio": {"type": "number"},
                    "flag": {"type": "boolean"},
                    "note": {"type": "string", "nullable": true},
                    "kind": {"$ref": "#/components/schemas/Kind"},
                    "colour": {"allOf": [{"$ref": "#/components/schemas/Colour"}], "default": "RED"},
                    "open": {"$ref": "#/components/schemas/Open"},
                    "maybe_open": {"allOf": [{"$ref": "#/components/schemas/Open"}], "nullable": true},
                    "strict_open": {"allOf": [{"$ref": "#/components/schemas/Open"}]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Open"}},
                    "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                    "extra": {"type": "object", "additionalProperties": true, "properties": {"a": {"type": "string"}}},
                    "kept": {"type": "object", "additionalProperties": {}, "properties": {"a": {"type": "string"}}},
                    "empty": {"type": "object", "additionalProperties": false},
                    "blob": {"type": "object"},
                    "anything": {}
                }
            },
            "Open": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "size": {"type": "integer", "nullable": true}}
            },
            "Kind": {"type": "string", "enum": ["A", "B"]},
            "Colour": {"anyOf": [
                {"title": "Known", "allOf": [{"$ref": "#/components/schemas/ColourKnown"}]},
                {"title": "Unknown", "type": "string"}
            ]},
            "ColourKnown": {"type": "string", "enum": ["RED", "GREEN"]}
        }}
    })
}

fn item() -> Value {
    json!({"$ref": "#/components/schemas/Item"})
}

/// A value of `Item` the walker has nothing to say about.
fn clean_item() -> Value {
    json!({
        "id": "x", "count": 3, "ratio": 0.5, "flag": true, "note": null,
        "kind": "A", "colour": "GREEN", "open": {"name": "n", "size": null},
        "maybe_open": null, "strict_open": {"name": "s"},
        "tags": ["t"], "children": [{"name": "c"}],
        "metadata": {"k": "v"}, "extra": {"a": "x"}, "kept": {"a": "x"}, "empty": {},
        "blob": {"whatever": [1, {"x": null}]}, "anything": [null]
    })
}

fn with(mut base: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    let target = base.pointer_mut(parent).expect("parent exists");
    match target {
        Value::Object(members) => {
            members.insert(key.to_string(), value);
        }
        Value::Array(items) => items[key.parse::<usize>().expect("index")] = value,
        _ => panic!("{parent} is not a container"),
    }
    base
}

fn only(findings: Vec<Finding>) -> Finding {
    assert_eq!(findings.len(), 1, "expected one finding: {findings:#?}");
    findings.into_iter().next().unwrap()
}

#[test]
fn a_clean_value_has_no_findings() {
    assert_eq!(walk(&doc(), &item(), &clean_item()), vec![]);
}

#[test]
fn undeclared_field_in_a_closed_schema() {
    let value = with(clean_item(), "/version", Value::Null);
    let finding = only(walk(&doc(), &item(), &value));
    assert_eq!(finding.kind, FindingKind::UndeclaredField);
    assert_eq!(finding.path, "/version");
    assert_eq!(finding.schema, "Item");
    assert_eq!(finding.seen, "null");
    assert_eq!(finding.additional, Some(Additional::Forbidden));
    assert_eq!(
        finding.describe(),
        "undeclared field /version in Item (seen: null) [additionalProperties: false]"
    );
}

#[test]
fn undeclared_field_in_an_open_schema_names_the_nested_schema() {
    let value = with(clean_item(), "/open/colour", json!("blue"));
    let finding = only(walk(&doc(), &item(), &value));
    assert_eq!(finding.kind, FindingKind::UndeclaredField);
    assert_eq!(finding.path, "/open/colour");
    assert_eq!(finding.schema, "Open");
    assert_eq!(finding.seen, "\"blue\"");
    assert_eq!(finding.additional, Some(Additional::Unspecified));
    assert_eq!(
        finding.describe(),
        r#"undeclared field /open/colour in Open (seen: "blue")"#
    );
}

#[test]
fn typed_maps_and_free_form_objects_admit_any_key() {
    // `metadata` is a map of strings: a new key is fine, a non-string value
    // is checked against the map's schema, under a normalised key.
    let value = with(clean_item(), "/metadata/other", json!("v"));
    assert_eq!(walk(&doc(), &item(), &value), vec![]);
    let value = with(clean_item(), "/metadata/other", json!(5));
    let finding = only(walk(&doc(), &item(), &value));
    assert_eq!(finding.kind, FindingKind::TypeMismatch);
    assert_eq!(finding.path, "/metadata/other");
    assert_eq!(finding.normalized_path, "/metadata/*");
    assert_eq!(finding.schema, "Item");
    assert_eq!(finding.expected, "string");
    // `blob` lists no properties: any member, any value.
    let value = with(clean_item(), "/blob/new", json!({"deep": [null]}));
    assert_eq!(walk(&doc(), &item(), &value), vec![]);
}

#[test]
fn members_admitted_by_additional_properties_are_still_undeclared() {
    // `true` and `{}` keep unlisted members, but do not name them: found,
    // and marked admitted.
    for pointer in ["/extra/b", "/kept/b"] {
        let value = with(clean_item(), pointer, json!({"c": 1}));
        let finding = only(walk(&doc(), &item(), &value));
        assert_eq!(finding.kind, FindingKind::UndeclaredField);
        assert_eq!(finding.path, pointer);
        assert_eq!(finding.additional, Some(Additional::Admitted));
        assert!(
            finding
                .describe()
                .ends_with(r#"(seen: {"c":1}) [admitted by additionalProperties]"#),
            "{}",
            finding.describe()
        );
    }
    // Their listed members are still checked by their schema.
    let value = with(clean_item(), "/extra/a", json!(1));
    assert_eq!(only(walk(&doc(), &item(), &value)).path, "/extra/a");
    // A closed object without properties admits nothing.
    let value = with(clean_item(), "/empty/x", json!(1));
    let finding = only(walk(&doc(), &item(), &value));
    assert_eq!(finding.additional, Some(Additional::Forbidden));
}

#[test]
fn enum_value_outside_the_enum() {
    let value = with(clean_item(), "/kind", json!("C"));
    let finding = only(walk(&doc(), &item(), &value));
    assert_eq!(finding.kind, FindingKind::UndeclaredEnumValue);
    assert_eq!(finding.path, "/kind");
    assert_eq!(finding.schema, "Kind");
    assert_eq!(finding.expected, r#"one of "A", "B""#);
    assert_eq!(finding.seen, "\"C\"");
}

#[test]
fn open_enum_value_outside_the_known_branch() {
    // The `Unknown` branch admits any string, but the value is still one the
    // document does not name.
    let value = with(clean_item(), "/colour", json!("BLUE"));
    let finding = only(walk(&doc(), &item(), &value));
    assert_eq!(finding.kind, FindingKind::UndeclaredEnumValue);
    assert_eq!(finding.path, "/colour");
    assert_eq!(finding.schema, "ColourKnown");
    assert_eq!(finding.expected, r#"one of "RED", "GREEN""#);
}

#[test]
fn type_mismatches() {
    let cases = [
        ("/id", json!({"nested": true}), "string"),
        ("/count", json!("3"), "integer"),
        ("/count", json!(3.5), "integer"),
        ("/ratio", json!("0.5"), "number"),
        ("/flag", json!(1), "boolean"),
        ("/tags", json!("t"), "array"),
        ("/open", json!(["x"]), "object"),
        // An enum says which strings it takes.
        ("/kind", json!(1), r#"one of "A", "B""#),
        ("/colour", json!(false), r#"one of "RED", "GREEN""#),
    ];
    for (pointer, wrong, expected) in cases {
        let value = with(clean_item(), pointer, wrong.clone());
        let finding = only(walk(&doc(), &item(), &value));
        assert_eq!(
            finding.kind,
            FindingKind::TypeMismatch,
            "{pointer} = {wrong}"
        );
        assert_eq!(finding.path, pointer);
        assert_eq!(finding.seen, wrong.to_string());
        assert!(
            finding.expected.starts_with(expected),
            "{pointer}: {}",
            finding.expected
        );
    }
}

#[test]
fn nulls_where_not_nullable() {
    // Nullable directly, through `allOf` with `nullable`, or untyped: fine.
    for pointer in ["/note", "/maybe_open", "/open/size", "/anything"] {
        let value = with(clean_item(), pointer, Value::Null);
        assert_eq!(walk(&doc(), &item(), &value), vec![], "{pointer}");
    }
    // Not nullable: the finding names the schema holding the member.
    let cases = [
        ("/id", "Item", "string"),
        ("/kind", "Item", "Kind"),
        ("/strict_open", "Item", "Open"),
        ("/open/name", "Open", "string"),
        ("/tags/0", "Item", "string"),
    ];
    for (pointer, schema, expected) in cases {
        let value = with(clean_item(), pointer, Value::Null);
        let finding = only(walk(&doc(), &item(), &value));
        assert_eq!(finding.kind, FindingKind::UnexpectedNull, "{pointer}");
        assert_eq!(finding.path, pointer);
        assert_eq!(finding.schema, schema, "{pointer}");
        assert_eq!(finding.expected, expected, "{pointer}");
    }
}

#[test]
fn array_items_are_walked_and_indices_normalised_and_deduplicated() {
    let children = json!([
        {"name": "a"},
        {"name": "b", "version": null},
        {"name": "c", "version": 2},
        {"name": "d", "size": "big"}
    ]);
    let value = with(clean_item(), "/children", children);
    let findings = walk(&doc(), &item(), &value);
    let summary: Vec<(FindingKind, &str, &str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f.kind,
                f.path.as_str(),
                f.normalized_path.as_str(),
                f.schema.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                FindingKind::TypeMismatch,
                "/children/3/size",
                "/children/*/size",
                "Open"
            ),
            (
                FindingKind::UndeclaredField,
                "/children/1/version",
                "/children/*/version",
                "Open"
            ),
        ]
    );
    // The first occurrence is the one quoted.
    assert_eq!(findings[1].seen, "null");
}

#[test]
fn pointer_segments_are_escaped() {
    let value = with(clean_item(), "/open/a~1b", json!(1));
    let value = with(value, "/open/c~0d", json!(1));
    // `with` inserts the keys literally: "a~1b" and "c~0d".
    let mut paths: Vec<String> = walk(&doc(), &item(), &value)
        .into_iter()
        .map(|f| f.path)
        .collect();
    paths.sort();
    assert_eq!(paths, vec!["/open/a~01b", "/open/c~00d"]);
    let odd = json!({"name": "n", "x/y": 1});
    let finding = only(walk(
        &doc(),
        &json!({"$ref": "#/components/schemas/Open"}),
        &odd,
    ));
    assert_eq!(finding.path, "/x~1y");
}

#[test]
fn all_of_is_the_union_of_its_parts() {
    let document = json!({"components": {"schemas": {
        "Base": {"type": "object", "additionalProperties": false,
                 "properties": {"id": {"type": "string"}}},
        "Extra": {"type": "object", "properties": {"size": {"type": "integer"}}},
        "Both": {"allOf": [
            {"$ref": "#/components/schemas/Base"},
            {"$ref": "#/components/schemas/Extra"},
            {"properties": {"label": {"type": "string"}}}
        ]}
    }}});
    let schema = json!({"$ref": "#/components/schemas/Both"});
    let clean = json!({"id": "x", "size": 1, "label": "l"});
    assert_eq!(walk(&document, &schema, &clean), vec![]);
    // Members of any part are checked by that part's schema.
    let finding = only(walk(&document, &schema, &json!({"size": "1"})));
    assert_eq!(
        (finding.kind, finding.schema.as_str()),
        (FindingKind::TypeMismatch, "Extra")
    );
    // An extra member is undeclared, against the part that closes the object.
    let finding = only(walk(&document, &schema, &json!({"id": "x", "other": []})));
    assert_eq!(finding.kind, FindingKind::UndeclaredField);
    assert_eq!(finding.schema, "Base");
    assert_eq!(finding.additional, Some(Additional::Forbidden));
    // A scalar against an allOf of objects is a type mismatch.
    assert!(
        walk(&document, &schema, &json!("x"))
            .iter()
            .all(|f| f.kind == FindingKind::TypeMismatch)
    );
}

/// The registry's fetch responses: `item` is `anyOf [ItemX, SeededItem]`.
fn union_doc() -> Value {
    json!({"components": {"schemas": {
        "Full": {"type": "object", "properties": {
            "id": {"type": "string"}, "name": {"type": "string"},
            "info": {"$ref": "#/components/schemas/Info"}}},
        "Seed": {"type": "object", "properties": {"id": {"type": "string"}}},
        "Info": {"type": "object", "additionalProperties": false,
                 "properties": {"title": {"type": "string"}}},
        "Response": {"type": "object", "properties": {
            "item": {"anyOf": [{"$ref": "#/components/schemas/Full"},
                               {"$ref": "#/components/schemas/Seed"}],
                     "nullable": true}}},
        "Cat": {"type": "object", "properties": {"kind": {"type": "string"}, "meows": {"type": "boolean"}}},
        "Dog": {"type": "object", "properties": {"kind": {"type": "string"}, "barks": {"type": "boolean"}}},
        "Pet": {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                "discriminator": {"propertyName": "kind",
                                  "mapping": {"dog": "#/components/schemas/Dog"}}},
        "Loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}
    }}})
}

#[test]
fn any_of_takes_the_best_matching_branch() {
    let document = union_doc();
    let schema = json!({"$ref": "#/components/schemas/Response"});
    // Either branch declares these: nothing to report.
    for body in [
        json!({"item": {"id": "1"}}),
        json!({"item": {"id": "1", "name": "n", "info": {"title": "t"}}}),
        json!({"item": null}),
    ] {
        assert_eq!(walk(&document, &schema, &body), vec![], "{body}");
    }
    // A field inside the full item is found against the full branch, not
    // hidden by the seed branch (which would report three fields instead).
    let body = json!({"item": {"id": "1", "name": "n", "info": {"title": "t", "version": null}}});
    let finding = only(walk(&document, &schema, &body));
    assert_eq!(finding.path, "/item/info/version");
    assert_eq!(finding.schema, "Info");
    // A field neither branch declares: one finding, against the first
    // branch of the fewest findings.
    let finding = only(walk(
        &document,
        &schema,
        &json!({"item": {"id": "1", "new": 1}}),
    ));
    assert_eq!(
        (finding.path.as_str(), finding.schema.as_str()),
        ("/item/new", "Full")
    );
    // A value of a type no branch has: one mismatch listing the branches.
    let finding = only(walk(&document, &schema, &json!({"item": "text"})));
    assert_eq!(finding.kind, FindingKind::TypeMismatch);
    assert_eq!(finding.expected, "Full | Seed");
    // Scalar branches.
    let loc = json!({"$ref": "#/components/schemas/Loc"});
    assert_eq!(walk(&document, &loc, &json!(["body", 0])), vec![]);
    let finding = only(walk(&document, &loc, &json!(["body", 1.5])));
    assert_eq!(
        (finding.path.as_str(), finding.expected.as_str()),
        ("/1", "string | integer")
    );
}

#[test]
fn one_of_follows_the_discriminator() {
    let document = union_doc();
    let pet = json!({"$ref": "#/components/schemas/Pet"});
    // Mapped tag: Dog, even though Cat would fit `meows` without findings.
    let finding = only(walk(
        &document,
        &pet,
        &json!({"kind": "dog", "meows": true}),
    ));
    assert_eq!(
        (finding.path.as_str(), finding.schema.as_str()),
        ("/meows", "Dog")
    );
    // Implicit tag: the schema name.
    let finding = only(walk(
        &document,
        &pet,
        &json!({"kind": "Cat", "barks": true}),
    ));
    assert_eq!(
        (finding.path.as_str(), finding.schema.as_str()),
        ("/barks", "Cat")
    );
    // A tag no branch has is an undeclared enum value of the tag.
    let finding = only(walk(
        &document,
        &pet,
        &json!({"kind": "fish", "meows": true}),
    ));
    assert_eq!(finding.kind, FindingKind::UndeclaredEnumValue);
    assert_eq!(finding.path, "/kind");
    assert_eq!(finding.seen, "\"fish\"");
}

#[test]
fn inline_schemas_are_named_inline_and_long_values_are_cut() {
    let schema = json!({"type": "object", "properties": {}});
    let long = "x".repeat(500);
    let finding = only(walk(&json!({}), &schema, &json!({ "big": long })));
    assert_eq!(finding.schema, INLINE);
    assert!(finding.seen.chars().count() <= 81, "{}", finding.seen);
    assert!(finding.seen.ends_with('…'));
}

fn routes_doc() -> Value {
    json!({
        "paths": {
            "/job/fetch/{id}": {"get": {"operationId": "fetch_job", "responses": {
                "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}}}}},
            "/job/fetch/all": {"get": {"operationId": "fetch_all", "responses": {
                "200": {"content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}}}}},
                "4XX": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}},
            "/files/{name}.json": {"get": {"operationId": "file", "responses": {}}},
            "/": {"get": {"operationId": "root", "responses": {
                "200": {"content": {"text/plain": {"schema": {"type": "string"}}}}}}}
        },
        "components": {"schemas": {
            "Job": {"type": "object", "additionalProperties": false, "properties": {"id": {"type": "string"}}},
            "Problem": {"type": "object", "properties": {"detail": {"type": "string"}}}
        }}
    })
}

#[test]
fn concrete_paths_find_their_template() {
    let document = routes_doc();
    let id =
        |method: &str, path: &str| find_operation(&document, method, path).map(|m| m.operation_id);
    assert_eq!(id("GET", "/job/fetch/abc"), Some("fetch_job"));
    assert_eq!(id("get", "/job/fetch/abc?x=1"), Some("fetch_job"));
    assert_eq!(id("GET", "/job/fetch/abc/"), Some("fetch_job"));
    assert_eq!(
        id("GET", "/job/fetch/all"),
        Some("fetch_all"),
        "literal wins"
    );
    assert_eq!(id("GET", "/files/report.json"), Some("file"));
    assert_eq!(id("GET", "/files/.json"), None, "empty parameter");
    assert_eq!(id("GET", "/"), Some("root"));
    assert_eq!(id("POST", "/job/fetch/abc"), None);
    assert_eq!(id("GET", "/job/fetch"), None);
    assert_eq!(id("GET", "/job/fetch/a/b"), None);
}

#[test]
fn findings_for_response_picks_the_schema_for_the_status() {
    let document = routes_doc();
    let (operation, findings) = findings_for_response(
        &document,
        "GET",
        "/job/fetch/abc",
        200,
        &json!({"id": "abc", "owner": "me"}),
    )
    .expect("operation found");
    assert_eq!(operation, "fetch_job");
    let finding = only(findings);
    assert_eq!(
        (finding.path.as_str(), finding.schema.as_str()),
        ("/owner", "Job")
    );
    // A 404 falls under `4XX`.
    let (_, findings) = findings_for_response(
        &document,
        "GET",
        "/job/fetch/all",
        404,
        &json!({"detail": 1}),
    )
    .unwrap();
    assert_eq!(only(findings).schema, "Problem");
    // Undeclared status, non-JSON response: matched, nothing to compare.
    let (_, findings) =
        findings_for_response(&document, "GET", "/job/fetch/abc", 500, &json!({"x": 1})).unwrap();
    assert_eq!(findings, vec![]);
    let (operation, findings) =
        findings_for_response(&document, "GET", "/", 200, &json!({"x": 1})).unwrap();
    assert_eq!((operation.as_str(), findings), ("root", vec![]));
    assert!(findings_for_response(&document, "GET", "/nowhere", 200, &json!({})).is_none());
}

/// A registry dataset fetch as the real server answers it: a complete item
/// whose dataset info carries `"version": null`, which
/// `CollectionFormatDatasetInfo` (closed) does not list.
fn registry_dataset_body() -> Value {
    json!({
        "status": {"success": true, "details": "Successfully fetched item"},
        "item": {
            "id": "10378.1/1234567",
            "owner_username": "someone@example.org",
            "created_timestamp": 1700000000,
            "updated_timestamp": 1700000500,
            "display_name": "River flow observations",
            "item_category": "ENTITY",
            "item_subtype": "DATASET",
            "record_type": "COMPLETE_ITEM",
            "collection_format": {
                "associations": {
                    "organisation_id": "10378.1/111",
                    "data_custodian_id": "10378.1/222",
                    "point_of_contact": null
                },
                "approvals": {
                    "ethics_registration": {"relevant": false, "obtained": false},
                    "ethics_access": {"relevant": false, "obtained": false},
                    "indigenous_knowledge": {"relevant": false, "obtained": false},
                    "export_controls": {"relevant": false, "obtained": false}
                },
                "dataset_info": {
                    "name": "River flow observations",
                    "description": "Daily flow at three gauges",
                    "access_info": {"reposited": true, "uri": null, "description": null},
                    "publisher_id": "10378.1/111",
                    "created_date": {"relevant": true, "value": "2023-01-01"},
                    "published_date": {"relevant": false, "value": null},
                    "license": "https://creativecommons.org/licenses/by/4.0/",
                    "purpose": null,
                    "rights_holder": null,
                    "usage_limitations": null,
                    "preferred_citation": null,
                    "spatial_info": null,
                    "temporal_info": {"duration": {"begin_date": "2023-01-01", "end_date": "2023-12-31"}, "resolution": null},
                    "formats": ["csv"],
                    "keywords": ["hydrology"],
                    "user_metadata": null,
                    "version": null
                }
            },
            "s3": {"bucket_name": "bucket", "path": "datasets/1234567/", "s3_uri": "s3://bucket/datasets/1234567/"},
            "release_status": "NOT_RELEASED",
            "release_history": [],
            "release_approver": null,
            "release_timestamp": null,
            "access_info_uri": null,
            "user_metadata": null,
            "versioning_info": null,
            "workflow_links": {"create_activity_workflow_id": "wf-1", "version_activity_workflow_id": null},
            "history": [{
                "id": 0, "timestamp": 1700000000, "reason": "Initial record creation",
                "username": "someone@example.org",
                "item": {
                    "display_name": "River flow observations",
                    "collection_format": {
                        "associations": {"organisation_id": "10378.1/111"},
                        "approvals": {
                            "ethics_registration": {}, "ethics_access": {},
                            "indigenous_knowledge": {}, "export_controls": {}
                        },
                        "dataset_info": {
                            "name": "River flow observations",
                            "description": "Daily flow at three gauges",
                            "access_info": {"reposited": true},
                            "publisher_id": "10378.1/111",
                            "created_date": {"relevant": false},
                            "published_date": {"relevant": false},
                            "license": "https://creativecommons.org/licenses/by/4.0/",
                            "version": null
                        }
                    },
                    "s3": {"bucket_name": "bucket", "path": "datasets/1234567/", "s3_uri": "s3://bucket/datasets/1234567/"},
                    "release_status": "NOT_RELEASED"
                }
            }]
        },
        "roles": ["metadata-read", "metadata-write"],
        "locked": false,
        "item_is_seed": false
    })
}

/// How a finding in `CollectionFormatDatasetInfo` is annotated, depending
/// on whether the vendored document closes or opens it.
fn dataset_info_note(registry: &Value) -> &'static str {
    let schema = &registry["components"]["schemas"]["CollectionFormatDatasetInfo"];
    if schema["additionalProperties"] == json!(false) {
        "[additionalProperties: false]"
    } else {
        "[admitted by additionalProperties]"
    }
}

#[test]
fn the_registry_dataset_fetch_declares_no_version_in_dataset_info() {
    let registry = document("registry");
    let (operation, findings) = findings_for_response(
        &registry,
        "GET",
        "/registry/entity/dataset/fetch",
        200,
        &registry_dataset_body(),
    )
    .expect("the dataset fetch is in specs/registry.json");
    assert_eq!(operation, "fetch_entity_dataset");
    // The upstream document closes the schema; the sync tool's
    // `open_objects` rule opens it with `{}`. The finding is the same either
    // way, only its note differs.
    let note = dataset_info_note(&registry);
    let summary: Vec<String> = findings.iter().map(Finding::describe).collect();
    assert_eq!(
        summary,
        vec![
            format!(
                "undeclared field /item/collection_format/dataset_info/version in \
                 CollectionFormatDatasetInfo (seen: null) {note}"
            ),
            format!(
                "undeclared field /item/history/*/item/collection_format/dataset_info/version \
                 in CollectionFormatDatasetInfo (seen: null) {note}"
            ),
        ],
        "{findings:#?}"
    );
    assert_eq!(
        findings[0].path,
        "/item/collection_format/dataset_info/version"
    );
    assert_eq!(
        findings[1].path,
        "/item/history/0/item/collection_format/dataset_info/version"
    );
    // A seed item (the other branch of `item`) is clean.
    let seed = json!({
        "status": {"success": true, "details": "ok"},
        "item": {"id": "10378.1/1", "owner_username": "u", "created_timestamp": 1,
                 "updated_timestamp": 1, "item_category": "ENTITY",
                 "item_subtype": "DATASET", "record_type": "SEED_ITEM",
                 "versioning_info": null, "workflow_links": null},
        "item_is_seed": true
    });
    let (_, findings) = findings_for_response(
        &registry,
        "GET",
        "/registry/entity/dataset/fetch",
        200,
        &seed,
    )
    .unwrap();
    assert_eq!(findings, vec![]);
}

/// The walker's false positives: every response sample the specs helper
/// makes is schema-valid, so none may yield a finding.
#[test]
fn schema_valid_samples_of_every_response_have_no_findings() {
    let mut checked = 0;
    for service in [
        "auth",
        "datastore",
        "id-service",
        "job",
        "prov",
        "registry",
        "search",
    ] {
        let spec = document(service);
        for operation in operations(service) {
            let Some(("application/json", schema)) = operation.response() else {
                continue;
            };
            let value = sample(&spec, schema);
            let findings = walk(&spec, schema, &value);
            assert_eq!(findings, vec![], "{service}.{}", operation.operation_id);
            checked += 1;
        }
    }
    assert!(checked > 250, "only {checked} responses checked");
}

fn exchange(service: &'static str, path: &str, status: u16, body: &Value) -> Exchange {
    Exchange {
        service,
        method: "GET".into(),
        path: path.into(),
        query: None,
        status,
        request_body: Bytes::new(),
        request_truncated: false,
        response_body: Bytes::from(body.to_string()),
        response_truncated: false,
        content_type: Some("application/json".into()),
        error: None,
    }
}

#[test]
fn report_merges_findings_and_lists_observed_operations() {
    let dataset = registry_dataset_body();
    let mut other = registry_dataset_body();
    other["item"]["release_status"] = json!("WITHDRAWN");
    let mut truncated = exchange("registry", "/registry/entity/dataset/fetch", 200, &dataset);
    truncated.response_truncated = true;
    let mut broken = exchange("job", "/", 200, &json!({}));
    broken.error = Some("connection refused".into());
    let exchanges = vec![
        exchange("registry", "/registry/entity/dataset/fetch", 200, &dataset),
        exchange("registry", "/registry/entity/dataset/fetch", 200, &other),
        exchange(
            "registry",
            "/registry/entity/dataset/fetch",
            422,
            &json!({"detail": "bad"}),
        ),
        exchange(
            "registry",
            "/registry/nowhere",
            404,
            &json!({"detail": "Not Found"}),
        ),
        truncated,
        broken,
        exchange("nosuch", "/", 200, &json!({})),
    ];
    let report = report(&specs_dir(), &exchanges);
    let observed: Vec<(String, String, Vec<u16>)> = report
        .observed
        .iter()
        .map(|((s, o), statuses)| (s.clone(), o.clone(), statuses.iter().copied().collect()))
        .collect();
    assert_eq!(
        observed,
        vec![(
            "registry".into(),
            "fetch_entity_dataset".into(),
            vec![200, 422]
        )]
    );
    // Sorted by operation and path; the truncated copy was not walked.
    let occurrences: Vec<usize> = report.findings.iter().map(|f| f.occurrences).collect();
    assert_eq!(occurrences, vec![1, 2, 2, 1], "{}", report.render());
    let rendered = report.render();
    let note = dataset_info_note(&document("registry"));
    let expected: [&str; 8] = [
        "registry.fetch_entity_dataset: type mismatch at /detail in HTTPValidationError: \
         expected array (seen: \"bad\") [HTTP 422]",
        &format!(
            "registry.fetch_entity_dataset: undeclared field \
             /item/collection_format/dataset_info/version in CollectionFormatDatasetInfo \
             (seen: null) {note}"
        ),
        &format!(
            "registry.fetch_entity_dataset: undeclared field \
             /item/history/*/item/collection_format/dataset_info/version in \
             CollectionFormatDatasetInfo (seen: null) {note}"
        ),
        "registry.fetch_entity_dataset: undeclared enum value at /item/release_status in \
         ReleasedStatusKnown: expected one of \"NOT_RELEASED\", \"PENDING\", \"RELEASED\" (seen: \"WITHDRAWN\")",
        "not checked: job GET /: upstream error: connection refused",
        "not checked: nosuch: no readable",
        "not checked: registry GET /registry/entity/dataset/fetch (200): response over the recording limit",
        "not checked: registry GET /registry/nowhere: no such operation in the document",
    ];
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{rendered}");
    for (line, want) in lines.iter().zip(&expected) {
        assert!(line.starts_with(want), "{line}\n  wanted {want}");
    }
    // The allow-list: known findings by key, anything else fails the suite.
    let allowed = [
        "registry.fetch_entity_dataset UndeclaredField CollectionFormatDatasetInfo \
         /item/collection_format/dataset_info/version",
        "registry.fetch_entity_dataset UndeclaredField CollectionFormatDatasetInfo \
         /item/history/*/item/collection_format/dataset_info/version",
    ];
    let new: Vec<String> = report
        .unexplained(&allowed)
        .iter()
        .map(|f| f.key())
        .collect();
    assert_eq!(
        new,
        vec![
            "registry.fetch_entity_dataset TypeMismatch HTTPValidationError /detail",
            "registry.fetch_entity_dataset UndeclaredEnumValue ReleasedStatusKnown /item/release_status",
        ]
    );
}

#[tokio::test]
async fn the_proxy_forwards_and_records() {
    let upstream = Recorder::start().await;
    upstream.push(
        Reply::raw(418, "application/json", r#"{"teapot": true}"#).with_header("x-upstream", "yes"),
    );
    let proxy = RecordingProxy::start("registry", &format!("{}/base/", upstream.url())).await;
    let client = reqwest::Client::new();
    let response = client
        .post(format!(
            "{}/registry/thing/create?a=1&b=two%20words",
            proxy.url()
        ))
        .header("authorization", "Bearer t")
        .header("content-type", "application/json")
        .body(r#"{"name": "n"}"#)
        .send()
        .await
        .expect("proxy answers");
    assert_eq!(response.status().as_u16(), 418);
    assert_eq!(response.headers()["x-upstream"], "yes");
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), r#"{"teapot": true}"#);

    let seen = upstream.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, "/base/registry/thing/create");
    assert_eq!(
        seen[0].query,
        vec![("a".into(), "1".into()), ("b".into(), "two words".into())]
    );
    assert_eq!(seen[0].body, Bytes::from_static(br#"{"name": "n"}"#));
    assert_eq!(seen[0].header("authorization"), Some("Bearer t"));
    assert_eq!(seen[0].host, upstream.url().trim_start_matches("http://"));

    let exchanges = proxy.exchanges();
    assert_eq!(exchanges.len(), 1);
    let recorded = &exchanges[0];
    assert_eq!(recorded.service, "registry");
    assert_eq!(recorded.method, "POST");
    assert_eq!(recorded.path, "/registry/thing/create");
    assert_eq!(recorded.query.as_deref(), Some("a=1&b=two%20words"));
    assert_eq!(recorded.status, 418);
    assert_eq!(
        recorded.request_body,
        Bytes::from_static(br#"{"name": "n"}"#)
    );
    assert_eq!(recorded.response_json(), Some(json!({"teapot": true})));
    assert_eq!(recorded.content_type.as_deref(), Some("application/json"));
    assert!(!recorded.request_truncated && !recorded.response_truncated);
    assert_eq!(recorded.error, None);
    proxy.shutdown().await;
}

#[tokio::test]
async fn the_proxy_neither_follows_redirects_nor_retries() {
    let upstream = Recorder::start().await;
    upstream.push(Reply::raw(307, "text/plain", "").with_header("location", "/elsewhere"));
    upstream.push(Reply::raw(503, "application/json", r#"{"detail": "busy"}"#));
    let proxy = RecordingProxy::start("job", &upstream.url()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!("{}/a", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 307);
    assert_eq!(response.headers()["location"], "/elsewhere");
    let response = client
        .get(format!("{}/b", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(upstream.hits(), 2);
    let statuses: Vec<(String, u16)> = proxy
        .take_exchanges()
        .into_iter()
        .map(|e| (e.path, e.status))
        .collect();
    assert_eq!(statuses, vec![("/a".into(), 307), ("/b".into(), 503)]);
    assert!(proxy.exchanges().is_empty());
}

#[tokio::test]
async fn the_proxy_bounds_what_it_records_but_forwards_everything() {
    let upstream = Recorder::start().await;
    let big = "y".repeat(100);
    upstream.push(Reply::raw(200, "application/json", big.clone()));
    let proxy = RecordingProxy::start_with_limit("datastore", &upstream.url(), 16).await;
    let response = reqwest::Client::new()
        .put(format!("{}/upload", proxy.url()))
        .body("z".repeat(40))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), big);
    assert_eq!(upstream.requests()[0].body.len(), 40);
    let recorded = &proxy.exchanges()[0];
    assert_eq!(recorded.request_body.len(), 16);
    assert!(recorded.request_truncated);
    assert_eq!(recorded.response_body, Bytes::from("y".repeat(16)));
    assert!(recorded.response_truncated);
    assert_eq!(recorded.response_json(), None);
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_recorded_502() {
    // Bind and drop a listener for a port nothing listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let proxy = RecordingProxy::start("search", &format!("http://127.0.0.1:{port}")).await;
    let response = reqwest::get(format!("{}/query", proxy.url()))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 502);
    let recorded = &proxy.exchanges()[0];
    assert_eq!(recorded.status, 502);
    assert!(recorded.error.is_some());
}

#[tokio::test]
async fn recorded_registry_responses_feed_the_report() {
    let upstream = Recorder::start().await;
    upstream.set_fallback(Reply::json(200, &registry_dataset_body()));
    let proxy = RecordingProxy::start("registry", &upstream.url()).await;
    let client = reqwest::Client::new();
    for id in ["10378.1/1", "10378.1/2"] {
        let response = client
            .get(format!("{}/registry/entity/dataset/fetch", proxy.url()))
            .query(&[("id", id)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
    let report = report(&specs_dir(), &proxy.exchanges());
    assert_eq!(
        report.observed.keys().collect::<Vec<_>>(),
        vec![&("registry".to_string(), "fetch_entity_dataset".to_string())]
    );
    let keys: Vec<String> = report.findings.iter().map(|f| f.key()).collect();
    assert_eq!(
        keys,
        vec![
            "registry.fetch_entity_dataset UndeclaredField CollectionFormatDatasetInfo \
             /item/collection_format/dataset_info/version",
            "registry.fetch_entity_dataset UndeclaredField CollectionFormatDatasetInfo \
             /item/history/*/item/collection_format/dataset_info/version",
        ]
    );
    assert!(report.findings.iter().all(|f| f.occurrences == 2));
}
