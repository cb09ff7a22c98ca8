//! Overlays that contradict upstream, or name operations upstream doesn't
//! have, stop the sync with a message naming the overlay file and key.

mod common;
use common::*;
use serde_json::json;

fn overlay_dir() -> TempDir {
    let dir = TempDir::new("overlays");
    copy_dir(&repo_root().join("specs/overlays"), dir.path());
    dir
}

fn sync_with_overlays(from: &str, overlays: &str, only: &str) -> (std::process::Output, TempDir) {
    let out = TempDir::new("overlay-out");
    let o = xtask(&[
        "specs",
        "sync",
        "--from",
        from,
        "--overlays",
        overlays,
        "--only",
        only,
        "--out",
        out.path().to_str().unwrap(),
    ]);
    (o, out)
}

fn assert_one_line_error(o: &std::process::Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    for n in needles {
        assert!(err.contains(n), "{err:?} lacks {n:?}");
    }
}

#[test]
fn overlay_response_contradicting_upstream_fails() {
    let Some(upstream) = upstream_dir("overlay_response_contradicting_upstream_fails") else {
        return;
    };
    let dir = overlay_dir();
    let path = dir.path().join("job.json");
    let mut overlay = read_json(&path);
    // typed/ declares GetJobResponse here; claim something else.
    overlay["responses"]["GET /jobs/user/fetch"] =
        json!({"$ref": "#/components/schemas/ListJobsResponse"});
    write_json(&path, &overlay);
    let overlays = dir.path().to_str().unwrap();
    let (o, out) = sync_with_overlays(upstream.join("typed").to_str().unwrap(), overlays, "job");
    assert_one_line_error(
        &o,
        &[
            &format!("overlay {overlays}/job.json"),
            "\"GET /jobs/user/fetch\"",
            "contradicts upstream",
        ],
    );
    assert!(snapshot(out.path()).is_empty());
}

#[test]
fn overlay_schema_contradicting_upstream_fails() {
    let Some(upstream) = upstream_dir("overlay_schema_contradicting_upstream_fails") else {
        return;
    };
    let dir = overlay_dir();
    let path = dir.path().join("search.json");
    let mut overlay = read_json(&path);
    // served/ already has a Status schema, with `details` a string.
    overlay["schemas"] =
        json!({"Status": {"type": "object", "properties": {"details": {"type": "integer"}}}});
    write_json(&path, &overlay);
    let overlays = dir.path().to_str().unwrap();
    let (o, _out) = sync_with_overlays(
        upstream.join("served").to_str().unwrap(),
        overlays,
        "search",
    );
    assert_one_line_error(
        &o,
        &[
            &format!("overlay {overlays}/search.json"),
            "schema \"Status\"",
            "contradicts",
        ],
    );
}

#[test]
fn overlay_for_a_missing_operation_fails() {
    let Some(upstream) = upstream_dir("overlay_for_a_missing_operation_fails") else {
        return;
    };
    let dir = overlay_dir();
    let path = dir.path().join("prov.json");
    let mut overlay = read_json(&path);
    overlay["responses"]["POST /model_run/gone"] = json!({"type": "object"});
    write_json(&path, &overlay);
    let overlays = dir.path().to_str().unwrap();
    let (o, _out) = sync_with_overlays(upstream.join("served").to_str().unwrap(), overlays, "prov");
    assert_one_line_error(
        &o,
        &[
            &format!("overlay {overlays}/prov.json"),
            "\"POST /model_run/gone\" names no upstream operation",
        ],
    );
}

#[test]
fn malformed_overlay_is_named() {
    let Some(upstream) = upstream_dir("malformed_overlay_is_named") else {
        return;
    };
    let dir = overlay_dir();
    std::fs::write(dir.path().join("auth.json"), "{ not json").unwrap();
    let overlays = dir.path().to_str().unwrap();
    let (o, _out) = sync_with_overlays(upstream.join("served").to_str().unwrap(), overlays, "auth");
    assert_one_line_error(
        &o,
        &[&format!("malformed JSON in overlay {overlays}/auth.json")],
    );
}

#[test]
fn redundant_overlay_is_a_warning_not_a_failure() {
    let Some(upstream) = upstream_dir("redundant_overlay_is_a_warning_not_a_failure") else {
        return;
    };
    let dir = overlay_dir();
    let path = dir.path().join("search.json");
    let mut overlay = read_json(&path);
    // Identical to served/'s own (normalised) Status schema.
    let spec = read_json(&repo_root().join("specs/search.json"));
    overlay["schemas"] = json!({"Status": spec["components"]["schemas"]["Status"]});
    write_json(&path, &overlay);
    let overlays = dir.path().to_str().unwrap();
    let (o, out) = sync_with_overlays(
        upstream.join("served").to_str().unwrap(),
        overlays,
        "search",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains(&format!(
        "overlay {overlays}/search.json: schema \"Status\" is redundant (upstream now declares it)"
    )));
    let meta = read_json(&out.path().join("search.meta.json"));
    assert_eq!(meta["overlays"]["schemas"], json!([]));
    assert_eq!(meta["warnings"].as_array().unwrap().len(), 1);
}
