//! `specs sync` from the shared directory reproduces the committed specs/,
//! `specs check` agrees, and syncing from `typed/` shows the overlays are
//! redundant there (they were drafted from it).

mod common;
use common::*;

#[test]
fn sync_from_served_reproduces_committed_specs_and_is_stable() {
    let Some(upstream) = upstream_dir("sync_from_served_reproduces_committed_specs_and_is_stable")
    else {
        return;
    };
    let from = served_arg(&upstream);
    let exact_meta = from == "../shared/provena-openapi/served";
    let out = TempDir::new("sync");
    let out_arg = out.path().to_str().unwrap();

    let o = xtask(&["specs", "sync", "--from", &from, "--out", out_arg]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_same_as_committed(out.path(), exact_meta);
    // One summary line per service, with every rule named.
    let summary = stdout(&o);
    assert!(summary.contains(
        "registry: strip_prose=1418 nullable_any_of=285 tuple_items=1 handwritten_multipart=0 file_media_types=1 overlays=1"
    ));
    assert!(summary.contains("prov: ") && summary.contains("handwritten_multipart=1"));

    // Deterministic: a second run over the same input changes no byte.
    let before = snapshot(out.path());
    let o = xtask(&["specs", "sync", "--from", &from, "--out", out_arg]);
    assert!(o.status.success());
    assert!(
        stdout(&o).contains("0 files written, 14 unchanged"),
        "{}",
        stdout(&o)
    );
    assert_eq!(snapshot(out.path()), before);
}

#[test]
fn check_passes_on_committed_specs() {
    let Some(upstream) = upstream_dir("check_passes_on_committed_specs") else {
        return;
    };
    let from = served_arg(&upstream);
    let o = xtask(&["specs", "check", "--from", &from]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        stdout(&o),
        stderr(&o)
    );
    assert_eq!(stdout(&o).trim(), format!("specs are in sync with {from}"));
}

#[test]
fn committed_specs_are_plain_openapi_30_with_markers() {
    let specs = repo_root().join("specs");
    for s in SERVICES {
        let text = std::fs::read_to_string(specs.join(format!("{s}.json"))).unwrap();
        assert!(!text.contains("\"null\""), "{s}: type null remains");
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["info"]["title"], format!("Provena {s} API"));
        assert!(text.ends_with("}\n"));
    }
    let prov = read_json(&specs.join("prov.json"));
    let op = &prov["paths"]["/bulk/convert_model_runs/csv"]["post"];
    assert_eq!(op["x-provena-handwritten"], "multipart");
    let csv = &prov["paths"]["/bulk/generate_template/csv"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        csv,
        &serde_json::json!({"text/csv": {"schema": {"type": "string", "format": "binary"}}})
    );
    let meta = read_json(&specs.join("prov.meta.json"));
    assert_eq!(
        meta["handwritten"][0]["operationId"],
        "convert_model_runs_csv"
    );
}

#[test]
fn sync_from_typed_reports_every_overlay_redundant() {
    let Some(upstream) = upstream_dir("sync_from_typed_reports_every_overlay_redundant") else {
        return;
    };
    let out = TempDir::new("typed");
    let typed = upstream.join("typed");
    let o = xtask(&[
        "specs",
        "sync",
        "--from",
        typed.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let err = stderr(&o);
    for needle in [
        "warning: job: overlay specs/overlays/job.json: schema \"GetJobResponse\" is redundant (upstream now declares it)",
        "warning: job: overlay specs/overlays/job.json: response \"GET /jobs/user/fetch\" is redundant (upstream now declares it)",
        "warning: id-service: overlay specs/overlays/id-service.json: schema \"Handle\" is redundant",
        "warning: datastore: overlay specs/overlays/datastore.json: response \"POST /release/approval-request\" is redundant",
        "warning: prov: overlay specs/overlays/prov.json: schema \"RegisterBatchModelRunResponse\" is redundant",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    // Nothing was applied, and the warnings are kept in the meta record.
    let meta = read_json(&out.path().join("job.meta.json"));
    assert_eq!(meta["rules"]["overlays"], 0);
    assert!(
        meta["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("GetJobResponse"))
    );
    // With the overlays redundant, typed/ and served/ agree on the job API's
    // response schemas: the overlays say what upstream's annotations say.
    let served_job = read_json(&repo_root().join("specs/job.json"));
    let typed_job = read_json(&out.path().join("job.json"));
    assert_eq!(
        served_job["components"]["schemas"],
        typed_job["components"]["schemas"]
    );
}

#[test]
fn check_of_a_service_sharing_opened_schemas_alone_passes_on_committed_specs() {
    let Some(upstream) =
        upstream_dir("check_of_a_service_sharing_opened_schemas_alone_passes_on_committed_specs")
    else {
        return;
    };
    let from = served_arg(&upstream);
    // Some of their schemas are open only because another document opens
    // the same name: checked alone, the other committed documents count.
    for service in ["datastore", "prov"] {
        let o = xtask(&["specs", "check", "--from", &from, "--only", service]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{service}: stdout: {}\nstderr: {}",
            stdout(&o),
            stderr(&o)
        );
    }
}
