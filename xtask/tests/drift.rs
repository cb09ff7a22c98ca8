//! `specs check` against mutated copies of the upstream documents: it must
//! fail and name each change specifically.

mod common;
use common::*;
use serde_json::{Value, json};

fn edit(dir: &std::path::Path, service: &str, f: impl FnOnce(&mut Value)) {
    let path = dir.join(format!("{service}.json"));
    let mut doc = read_json(&path);
    f(&mut doc);
    write_json(&path, &doc);
}

#[test]
fn check_names_each_upstream_change() {
    let Some(upstream) = upstream_dir("check_names_each_upstream_change") else {
        return;
    };
    let dir = TempDir::new("drift");
    copy_dir(&upstream.join("served"), dir.path());
    let d = dir.path();

    // 1. an operation removed (one without an overlay: removing an
    //    overlaid one is an overlay error, tested in overlays.rs)
    edit(d, "job", |doc| {
        doc["paths"]
            .as_object_mut()
            .unwrap()
            .remove("/check-access/check-admin-access");
    });
    // 2. an operation added
    edit(d, "job", |doc| {
        doc["paths"]["/jobs/user/cancel"] = json!({"delete": {"operationId": "cancel_job",
            "responses": {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {}}}}}}});
    });
    // 3. a query parameter added
    edit(d, "search", |doc| {
        doc["paths"]["/search/entity-registry"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({"required": false, "schema": {"title": "Sort Order", "type": "string"}, "name": "sort_order", "in": "query"}));
    });
    // 4. a field's type changed
    edit(d, "search", |doc| {
        doc["components"]["schemas"]["Status"]["properties"]["details"]["type"] = json!("integer");
    });
    // 5. a field made required
    edit(d, "prov", |doc| {
        doc["components"]["schemas"]["RegisterModelRunResponse"]["required"] =
            json!(["status", "session_id"]);
    });
    // 6. an enum value added
    edit(d, "search", |doc| {
        doc["components"]["schemas"]["ItemSubType"]["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("NEW_SUBTYPE"));
    });
    // 7. a component schema removed
    edit(d, "datastore", |doc| {
        doc["components"]["schemas"]
            .as_object_mut()
            .unwrap()
            .remove("SortType");
    });
    // 8. an operationId changed
    edit(d, "id-service", |doc| {
        doc["paths"]["/handle/mint"]["post"]["operationId"] = json!("mint_handle");
    });
    // 9. a parameter made required, another retyped
    edit(d, "prov", |doc| {
        let params = &mut doc["paths"]["/explore/upstream"]["get"]["parameters"];
        params[1]["required"] = json!(true);
        params[0]["schema"]["type"] = json!("integer");
    });
    // 10. a field no longer nullable (one anyOf-null fewer for the rule);
    //    made required too, else optional_is_nullable would keep it nullable
    edit(d, "registry", |doc| {
        doc["components"]["schemas"]["AccessInfo"]["properties"]["description"] =
            json!({"type": "string"});
        doc["components"]["schemas"]["AccessInfo"]["required"] = json!(["description"]);
    });
    // 11. a prose-only change: invisible after strip_prose, but the sha moves
    edit(d, "auth", |doc| {
        doc["info"]["description"] = json!("new words");
    });

    let o = xtask(&["specs", "check", "--from", d.to_str().unwrap()]);
    let report = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "report:\n{report}\nstderr: {}",
        stderr(&o)
    );
    for needle in [
        "operation removed: GET /check-access/check-admin-access (check_admin_access)",
        // 10 again: the registry's AccessInfo no longer matches the data store's
        "one name, different schemas: AccessInfo (registry and datastore)",
        "operation added: DELETE /jobs/user/cancel (cancel_job)",
        "operation GET /search/entity-registry (search_entity_registry): parameter query \"sort_order\" added (string, optional)",
        "schema Status: field \"details\" type string -> integer",
        "schema RegisterModelRunResponse: field \"session_id\" now required",
        "enum ItemSubType: value \"NEW_SUBTYPE\" added",
        "schema removed: SortType",
        "operation POST /handle/mint: operationId changed \"mint\" -> \"mint_handle\"",
        "operation GET /explore/upstream (explore_upstream): parameter query \"depth\" now required",
        "operation GET /explore/upstream (explore_upstream): parameter query \"starting_id\" type string -> integer",
        "schema AccessInfo: field \"description\" nullable changed true -> false",
        "schema AccessInfo: field \"description\" now required",
        "rule nullable_any_of: 285 -> 284",
        "rule strip_prose: 239 -> 240",
        "upstream sha256 changed: 3bc1ced8",
    ] {
        assert!(
            report.contains(needle),
            "missing {needle:?} in report:\n{report}"
        );
    }
    // Grouped per service; unchanged services are not mentioned.
    for s in [
        "job",
        "search",
        "prov",
        "datastore",
        "id-service",
        "registry",
        "auth",
    ] {
        assert!(
            report.contains(&format!("\n{s}:\n")),
            "no {s} group in:\n{report}"
        );
    }
    assert!(report.contains("7 service(s) drifted"));
    // Not a text diff.
    assert!(!report.contains("@@"));
}

#[test]
fn upstream_served_compactly_as_a_live_server_does_is_no_drift() {
    let Some(upstream) =
        upstream_dir("upstream_served_compactly_as_a_live_server_does_is_no_drift")
    else {
        return;
    };
    let dir = TempDir::new("compact");
    copy_dir(&upstream.join("served"), dir.path());
    // A live server's /openapi.json: same content, no whitespace, other key order.
    let path = dir.path().join("registry.json");
    let doc = read_json(&path);
    let mut reordered = serde_json::Map::new();
    if let Value::Object(members) = doc {
        for (key, value) in members.into_iter().rev() {
            reordered.insert(key, value);
        }
    }
    std::fs::write(
        &path,
        serde_json::to_vec(&Value::Object(reordered)).unwrap(),
    )
    .unwrap();

    let o = xtask(&["specs", "check", "--from", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn check_reports_a_missing_or_hand_edited_spec() {
    let Some(upstream) = upstream_dir("check_reports_a_missing_or_hand_edited_spec") else {
        return;
    };
    let specs = TempDir::new("specs-edited");
    copy_dir(&repo_root().join("specs"), specs.path());
    std::fs::remove_file(specs.path().join("search.json")).unwrap();
    // Reformat job.json (same content, other bytes) and hand-edit id-service.
    let job = read_json(&specs.path().join("job.json"));
    std::fs::write(
        specs.path().join("job.json"),
        serde_json::to_vec(&job).unwrap(),
    )
    .unwrap();
    edit(specs.path(), "id-service", |doc| {
        doc["paths"]["/handle/get"]["get"]["deprecated"] = json!(true)
    });

    let served = upstream.join("served");
    let o = xtask(&[
        "specs",
        "check",
        "--from",
        served.to_str().unwrap(),
        "--specs",
        specs.path().to_str().unwrap(),
    ]);
    let report = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{report}");
    assert!(
        report.contains("/search.json is missing (sync would create it)"),
        "{report}"
    );
    assert!(
        report.contains("/job.json: same content, different formatting"),
        "{report}"
    );
    assert!(
        report.contains("operation GET /handle/get (get): deprecated changed: true -> (none)"),
        "{report}"
    );
}
