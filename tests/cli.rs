//! The `provena` binary (feature `cli`) against loopback servers: exit
//! codes, output formats, configuration and files.
//!
//! Commands whose services run here are also tested against the real
//! servers (tests/real/cli.rs); these cover what needs a scripted answer.

mod common;

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use httpmock::MockServer;
use provena_client::mock::*;

const TOKEN: &str = "cli-test-token";

/// `provena` with every service at `server`, a static token and no config
/// file or cached login from the machine running the tests.
fn provena(server: &MockServer, home: &Path) -> Command {
    let mut command = Command::cargo_bin("provena").expect("the cli feature builds the binary");
    command
        .env_clear()
        .env("PROVENA_ACCESS_TOKEN", TOKEN)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .args(["--domain", "test.invalid", "--realm", "r"]);
    for service in provena_client::services::SERVICES {
        command
            .arg("--endpoint")
            .arg(format!("{}={}", service.name, server.base_url()));
    }
    command
}

fn home() -> tempdir::Dir {
    tempdir::Dir::new()
}

/// A throwaway directory, removed on drop.
mod tempdir {
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new() -> Self {
            let path = std::env::temp_dir().join(format!(
                "provena-cli-test-{}-{}",
                std::process::id(),
                fastrand::u64(..)
            ));
            std::fs::create_dir_all(&path).expect("temp dir");
            Self(path)
        }
    }
    impl std::ops::Deref for Dir {
        type Target = std::path::Path;
        fn deref(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn fetched_item() -> provena_client::models::UntypedFetchResponse {
    serde_json::from_value(serde_json::json!({
        "status": {"success": true, "details": "fetched"},
        "item": {"id": "10378.1/7", "display_name": "Soil moisture 2024", "item_category": "ENTITY",
                 "item_subtype": "DATASET", "owner_username": "ana", "record_type": "COMPLETE_ITEM"}
    }))
    .expect("a valid fetch response")
}

/// The resume behaviour itself is tested on moto (tests/datasets_s3.rs,
/// `the_cli_*`): this binary's harness cannot report a moto-less run as
/// ignored.
#[test]
fn dataset_download_help_explains_resuming_and_the_partial_files() {
    let server = MockServer::start();
    let output = provena(&server, &home())
        .args(["dataset", "download", "--help"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let help = stdout(&output);
    for needle in ["--no-resume", ".provena-part", "never a half file"] {
        assert!(help.contains(needle), "{needle} in {help}");
    }
}

#[test]
fn help_lists_the_exit_codes_and_succeeds() {
    let server = MockServer::start();
    let output = provena(&server, &home())
        .arg("--help")
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert!(
        stdout(&output).contains("3  login needed"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn an_unknown_flag_is_a_usage_error_with_exit_code_2() {
    let server = MockServer::start();
    let output = provena(&server, &home())
        .args(["get", "--frobnicate"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn get_prints_the_items_main_fields_as_text() {
    let server = MockServer::start();
    let item = fetched_item();
    let fetch = server.general_fetch_item(|when, then| {
        when.id("10378.1/7");
        then.ok(&item);
    });

    let output = provena(&server, &home())
        .args(["get", "10378.1/7"])
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("Soil moisture 2024"), "{text}");
    assert!(text.contains("ENTITY / DATASET"), "{text}");
    fetch.assert();
}

#[test]
fn get_with_json_output_prints_the_whole_record_as_json() {
    let server = MockServer::start();
    let item = fetched_item();
    server.general_fetch_item(|when, then| {
        when.id("10378.1/7");
        then.ok(&item);
    });

    let output = provena(&server, &home())
        .args(["get", "10378.1/7", "--output", "json"])
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", stderr(&output));
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(
        printed,
        serde_json::Value::Object(item.item.expect("an item"))
    );
}

#[test]
fn the_bearer_token_is_sent_and_never_printed() {
    let server = MockServer::start();
    let item = fetched_item();
    let fetch = server.mock(|when, then| {
        when.path("/registry/general/fetch")
            .header("authorization", format!("Bearer {TOKEN}"));
        then.status(200)
            .json_body(serde_json::to_value(&item).expect("json"));
    });

    let output = provena(&server, &home())
        .args(["get", "10378.1/7", "-v"])
        .output()
        .expect("runs");

    fetch.assert();
    assert!(!stdout(&output).contains(TOKEN) && !stderr(&output).contains(TOKEN));
}

#[test]
fn a_service_error_is_one_line_with_exit_code_1() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.path("/registry/general/fetch");
        then.status(500).body("database on fire");
    });

    let output = provena(&server, &home())
        .args(["get", "10378.1/7"])
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("provena: "), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains(" { "),
        "no panic or debug dump: {err}"
    );
}

#[test]
fn search_sends_the_subtype_and_limit_and_prints_ids_with_scores() {
    let server = MockServer::start();
    let results: provena_client::models::QueryResults = serde_json::from_value(serde_json::json!({
        "status": {"success": true, "details": "2 results"},
        "results": [{"id": "10378.1/1", "score": 0.9}, {"id": "10378.1/2", "score": 0.5}]
    }))
    .expect("valid results");
    let search = server.mock(|when, then| {
        when.query_param("query", "soil")
            .query_param("subtype_filter", "MODEL_RUN")
            .query_param("record_limit", "2");
        then.status(200)
            .json_body(serde_json::to_value(&results).expect("json"));
    });

    let output = provena(&server, &home())
        .args(["search", "soil", "--subtype", "model-run", "--limit", "2"])
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", stderr(&output));
    search.assert();
    let text = stdout(&output);
    assert!(
        text.contains("10378.1/1") && text.contains("0.900"),
        "{text}"
    );
}

#[test]
fn an_unknown_subtype_is_a_usage_error_listing_the_known_ones() {
    let server = MockServer::start();
    let output = provena(&server, &home())
        .args(["search", "soil", "--subtype", "datset"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("model-run"), "{}", stderr(&output));
}

#[test]
fn without_any_login_the_exit_code_is_3_and_says_how_to_log_in() {
    let server = MockServer::start();
    let home = home();
    let output = provena(&server, &home)
        .env_remove("PROVENA_ACCESS_TOKEN")
        .env("PROVENA_TOKEN_CACHE_DIR", home.join("tokens"))
        .args([
            "--client-id",
            "cli",
            "--keycloak-url",
            &format!("{}/realms/r", server.base_url()),
        ])
        .args(["get", "10378.1/7"])
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("provena login"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn model_run_template_is_written_whole_to_the_output_file() {
    let server = MockServer::start();
    let csv = "display_name,description\n";
    let template = server.mock(|when, then| {
        when.query_param("workflow_template_id", "10378.1/9");
        then.status(200)
            .header("content-type", "text/csv")
            .body(csv);
    });
    let home = home();
    let target = home.join("template.csv");

    let output = provena(&server, &home)
        .args(["model-run", "template", "10378.1/9", "-o"])
        .arg(&target)
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", stderr(&output));
    template.assert();
    assert_eq!(std::fs::read_to_string(&target).expect("written"), csv);
    let leftovers: Vec<_> = std::fs::read_dir(&*home)
        .expect("listable")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind");
}

#[test]
fn model_run_register_from_json_registers_the_record() {
    let server = MockServer::start();
    let answer: provena_client::models::RegisterModelRunResponse = serde_json::from_value(
        serde_json::json!({"status": {"success": true, "details": "started"}, "session_id": "s-42"}),
    )
    .expect("valid response");
    let register = server.register_model_run(|_, then| {
        then.ok(&answer);
    });
    let home = home();
    let record = home.join("run.json");
    std::fs::write(&record, include_str!("data/model-run-record.json")).expect("written");

    let output = provena(&server, &home)
        .args(["model-run", "register", "--output", "json"])
        .arg(&record)
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", stderr(&output));
    register.assert();
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(printed[0]["session_id"], "s-42");
}

#[test]
fn a_record_file_that_is_not_a_record_fails_naming_the_file() {
    let server = MockServer::start();
    let home = home();
    let record = home.join("broken.json");
    std::fs::write(&record, "{\"display_name\": 3}").expect("written");

    let output = provena(&server, &home)
        .args(["model-run", "register"])
        .arg(&record)
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("broken.json"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn completions_are_printed_for_bash() {
    let server = MockServer::start();
    let output = provena(&server, &home())
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert!(stdout(&output).contains("provena"), "a completion script");
}

fn lineage_answer() -> provena_client::models::LineageResponse {
    serde_json::from_str(include_str!("data/prov/explore_upstream.json")).expect("a lineage answer")
}

#[test]
fn lineage_prints_an_indented_tree_by_default() {
    let server = MockServer::start();
    let answer = lineage_answer();
    let root = answer
        .lineage()
        .expect("readable")
        .nodes()
        .next()
        .expect("a node")
        .id()
        .clone();
    server.explore_upstream(|_, then| {
        then.ok(&answer);
    });

    let output = provena(&server, &home())
        .args(["lineage", root.as_str()])
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with(root.as_str()), "{text}");
    assert!(
        text.lines().skip(1).all(|line| line.starts_with("  ")),
        "{text}"
    );
}

#[test]
fn lineage_as_dot_is_the_graphs_dot_rendering() {
    let server = MockServer::start();
    let answer = lineage_answer();
    server.explore_downstream(|_, then| {
        then.ok(&answer);
    });

    let output = provena(&server, &home())
        .args([
            "lineage",
            "10378.1/1",
            "--downstream",
            "--depth",
            "2",
            "--format",
            "dot",
        ])
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).trim_end(),
        answer.lineage().expect("readable").to_dot().trim_end()
    );
}

#[test]
fn lineage_with_json_output_prints_the_node_link_graph() {
    let server = MockServer::start();
    let answer = lineage_answer();
    server.explore_upstream(|_, then| {
        then.ok(&answer);
    });

    let output = provena(&server, &home())
        .args(["lineage", "10378.1/1", "--output", "json"])
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", stderr(&output));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(printed, serde_json::to_value(&answer.graph).expect("json"));
}

#[test]
fn a_lineage_depth_of_zero_is_a_usage_error() {
    let server = MockServer::start();
    let output = provena(&server, &home())
        .args(["lineage", "x", "--depth", "0"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn dataset_mint_refuses_metadata_that_does_not_match_naming_the_file() {
    let server = MockServer::start();
    let home = home();
    let file = home.join("dataset.yaml");
    std::fs::write(&file, "associations:\n  organisation_id: 7\n").expect("written");

    let output = provena(&server, &home)
        .args(["dataset", "mint"])
        .arg(&file)
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("dataset.yaml"),
        "{}",
        stderr(&output)
    );
}

/// A job row as the job service serves it.
fn job(
    status: &str,
    sub_type: &str,
    result: serde_json::Value,
    info: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({"job": {
        "session_id": "s-1", "created_timestamp": 0, "username": "me", "payload": {},
        "job_type": match sub_type { "GENERATE_REPORT" => "REPORT", "SEND_EMAIL" => "EMAIL", _ => "PROV_LODGE" },
        "job_sub_type": sub_type, "status": status, "gsi_status": status,
        "result": result, "info": info
    }})
}

/// `provena job watch s-1` against a job API whose fetch of `s-1` answers
/// `body`.
fn watch_job(body: serde_json::Value) -> std::process::Output {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.path("/jobs/user/fetch")
            .query_param("session_id", "s-1");
        then.status(200).json_body(body);
    });
    provena(&server, &home())
        .args(["job", "watch", "s-1"])
        .output()
        .expect("runs")
}

#[test]
fn job_watch_prints_the_final_status_of_a_job_that_succeeded() {
    let output = watch_job(job(
        "SUCCEEDED",
        "SEND_EMAIL",
        serde_json::Value::Null,
        None,
    ));

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().next(), Some("job s-1: SUCCEEDED"));
}

#[test]
fn job_watch_shows_a_succeeded_job_whose_result_this_client_cannot_type() {
    let output = watch_job(job(
        "SUCCEEDED",
        "MODEL_RUN_LODGE_ONLY",
        serde_json::json!({"unexpected": "shape"}),
        None,
    ));

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().next(), Some("job s-1: SUCCEEDED"));
}

#[test]
fn job_watch_exits_4_when_the_job_failed_and_says_why() {
    let output = watch_job(job(
        "FAILED",
        "MODEL_RUN_LODGE_ONLY",
        serde_json::Value::Null,
        Some("no such template"),
    ));

    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no such template"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn report_starts_the_job_waits_and_writes_the_docx() {
    let server = MockServer::start();
    let home = home();
    let docx = b"PK\x03\x04 pretend docx".to_vec();
    let start = server.mock(|when, then| {
        when.path("/explore/generate/report");
        then.status(200).json_body(serde_json::json!({
            "status": {"success": true, "details": "started"}, "session_id": "s-1"
        }));
    });
    server.mock(|when, then| {
        when.path("/jobs/user/fetch");
        then.status(200).json_body(job(
            "SUCCEEDED",
            "GENERATE_REPORT",
            serde_json::json!({"report_url": format!("{}/reports/r.docx?X-Amz-Signature=secret", server.base_url())}),
            None,
        ));
    });
    let download = server.mock(|when, then| {
        when.path("/reports/r.docx");
        then.status(200).body(&docx);
    });
    let target = home.join("report.docx");

    let output = provena(&server, &home)
        .args([
            "report",
            "10378.1/5",
            "--depth",
            "2",
            "--subtype",
            "model-run",
            "-o",
        ])
        .arg(&target)
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", stderr(&output));
    start.assert();
    download.assert();
    assert_eq!(std::fs::read(&target).expect("written"), docx);
    assert!(!stdout(&output).contains("secret") && !stderr(&output).contains("secret"));
}

#[test]
fn list_follows_every_page_and_prints_one_line_per_item() {
    let server = MockServer::start();
    let page = |items: serde_json::Value, key: serde_json::Value| {
        serde_json::json!({"status": {"success": true, "details": "ok"}, "items": items,
                           "pagination_key": key, "total_item_count": 3})
    };
    let item = |id: &str| serde_json::json!({"id": id, "display_name": format!("name of {id}")});
    let second = server.mock(|when, then| {
        when.path("/registry/general/list")
            .body_includes("\"next\"");
        then.status(200).json_body(page(
            serde_json::json!([item("10378.1/3")]),
            serde_json::Value::Null,
        ));
    });
    let first = server.mock(|when, then| {
        when.path("/registry/general/list")
            .body_includes("\"MODEL\"");
        then.status(200).json_body(page(
            serde_json::json!([item("10378.1/1"), item("10378.1/2")]),
            serde_json::json!({"next": "page-2"}),
        ));
    });

    let output = provena(&server, &home())
        .args(["list", "model"])
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", stderr(&output));
    let ids: Vec<String> = stdout(&output)
        .lines()
        .map(|line| line.split_whitespace().next().unwrap_or("").to_owned())
        .collect();
    assert_eq!(ids, ["10378.1/1", "10378.1/2", "10378.1/3"]);
    first.assert();
    second.assert();
}

#[test]
fn list_with_json_output_is_one_array_and_a_limit_stops_early() {
    let server = MockServer::start();
    let items: Vec<_> = (0..5)
        .map(|i| serde_json::json!({"id": format!("10378.1/{i}")}))
        .collect();
    let only = server.mock(|when, then| {
        when.path("/registry/general/list");
        then.status(200).json_body(serde_json::json!({
            "status": {"success": true, "details": "ok"}, "items": items,
            "pagination_key": {"next": "more"}
        }));
    });

    let output = provena(&server, &home())
        .args(["list", "dataset", "--limit", "3", "--output", "json"])
        .output()
        .expect("runs");

    assert!(output.status.success(), "{}", stderr(&output));
    let printed: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("a JSON array");
    assert_eq!(printed.len(), 3);
    only.assert_calls(1);
}

#[test]
fn login_prints_the_url_and_code_then_commands_use_the_cached_login_until_logout() {
    use common::keycloak::{CLIENT_ID, DeviceStep, Keycloak};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime for the Keycloak stand-in");
    let keycloak = runtime.block_on(Keycloak::start());
    keycloak.script_device(1, 600, &[DeviceStep::Pending, DeviceStep::Approve]);
    let server = MockServer::start();
    let home = home();
    let logged_in = |command: &mut Command| {
        command
            .env_remove("PROVENA_ACCESS_TOKEN")
            .env("PROVENA_TOKEN_CACHE_DIR", home.join("tokens"))
            .args([
                "--client-id",
                CLIENT_ID,
                "--keycloak-url",
                keycloak.realm_url().as_str(),
            ]);
    };

    let mut login = provena(&server, &home);
    logged_in(&mut login);
    let login = login.arg("login").output().expect("runs");

    assert!(login.status.success(), "{}", stderr(&login));
    assert!(
        stderr(&login).contains("confirm the code"),
        "{}",
        stderr(&login)
    );
    let token = keycloak
        .last_access_token()
        .expect("the stand-in issued a token");
    assert!(!stdout(&login).contains(&token) && !stderr(&login).contains(&token));

    // A later command, in a new process, finds the login in the cache.
    let item = fetched_item();
    let fetch = server.mock(|when, then| {
        when.path("/registry/general/fetch")
            .header("authorization", format!("Bearer {token}"));
        then.status(200)
            .json_body(serde_json::to_value(&item).expect("json"));
    });
    let mut get = provena(&server, &home);
    logged_in(&mut get);
    let get = get.args(["get", "10378.1/7"]).output().expect("runs");
    assert!(get.status.success(), "{}", stderr(&get));
    fetch.assert();

    let mut logout = provena(&server, &home);
    logged_in(&mut logout);
    assert!(
        logout
            .arg("logout")
            .output()
            .expect("runs")
            .status
            .success()
    );
    let mut after = provena(&server, &home);
    logged_in(&mut after);
    let after = after.args(["get", "10378.1/7"]).output().expect("runs");
    assert_eq!(after.status.code(), Some(3), "{}", stderr(&after));
}

// ------------------------------------------------------------ specs check

/// The upstream documents the vendored specs were derived from
/// (`$PROVENA_OPENAPI_DIR/served`, else `../shared/provena-openapi/served`
/// beside the repository); `None` after the skip rule when they are absent.
fn served_dir(test: &str) -> Option<std::path::PathBuf> {
    let root = match std::env::var_os("PROVENA_OPENAPI_DIR") {
        Some(dir) if !dir.is_empty() => std::path::PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/provena-openapi"),
    };
    let served = root.join("served");
    if served.is_dir() {
        return Some(served);
    }
    common::skip::missing(
        test,
        &common::skip::Missing::new(
            format!("the upstream OpenAPI documents at {}", served.display()),
            "put provena-openapi (with served/) beside the repository or set PROVENA_OPENAPI_DIR",
        ),
    );
    None
}

/// A writable copy of the upstream documents.
fn served_copy(served: &Path) -> tempdir::Dir {
    let dir = tempdir::Dir::new();
    for entry in std::fs::read_dir(served).expect("served/ lists") {
        let entry = entry.expect("an entry");
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".json") {
            let bytes = std::fs::read(entry.path()).expect("a document");
            std::fs::write(dir.join(name), bytes).expect("copied");
        }
    }
    dir
}

fn edit_document(dir: &Path, service: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join(format!("{service}.json"));
    let mut document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
    edit(&mut document);
    std::fs::write(&path, serde_json::to_vec(&document).expect("JSON")).expect("written");
}

/// The job document without the admin access check and with `User` (the
/// general access check's answer) missing its `email` field.
fn drifted_job_document(dir: &Path) {
    edit_document(dir, "job", |document| {
        let paths = document["paths"].as_object_mut().expect("paths");
        assert!(paths.remove("/check-access/check-admin-access").is_some());
        let user = document["components"]["schemas"]["User"]["properties"]
            .as_object_mut()
            .expect("User has properties");
        assert!(user.remove("email").is_some());
    });
}

#[test]
fn specs_check_from_the_upstream_documents_finds_no_drift() {
    let Some(served) = served_dir("specs_check_from_the_upstream_documents_finds_no_drift") else {
        return;
    };
    let server = MockServer::start();
    let output = provena(&server, &home())
        .args(["specs", "check", "--from"])
        .arg(&served)
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for service in provena_client::services::SERVICES {
        assert!(
            stdout(&output).contains(&format!("{}: no drift\n", service.name)),
            "{}",
            stdout(&output)
        );
    }
}

#[test]
fn specs_check_names_the_service_operation_and_field_that_drifted_and_exits_5() {
    let Some(served) =
        served_dir("specs_check_names_the_service_operation_and_field_that_drifted_and_exits_5")
    else {
        return;
    };
    let dir = served_copy(&served);
    drifted_job_document(&dir);
    let server = MockServer::start();

    let output = provena(&server, &home())
        .args(["specs", "check", "--from"])
        .arg(&*dir)
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    let report = stdout(&output);
    assert!(report.contains("registry: no drift\n"), "{report}");
    assert!(report.contains("job: drift"), "{report}");
    assert!(
        report.contains(
            "  - operation removed: GET /check-access/check-admin-access (check_admin_access)\n"
        ),
        "{report}"
    );
    assert!(
        report.contains("  - schema User: field \"email\" removed\n"),
        "{report}"
    );
    assert_eq!(
        stderr(&output),
        "provena: 1 of 7 services drifted (job) from the documents this client was built from\n"
    );
}

#[test]
fn specs_check_of_a_document_changed_only_in_prose_reports_no_drift_with_a_note() {
    let Some(served) =
        served_dir("specs_check_of_a_document_changed_only_in_prose_reports_no_drift_with_a_note")
    else {
        return;
    };
    let dir = served_copy(&served);
    // What a deployment with its own wording would serve.
    edit_document(&dir, "job", |document| {
        document["info"]["description"] = serde_json::json!("Our own deployment's words.");
        for item in document["paths"]
            .as_object_mut()
            .expect("paths")
            .values_mut()
        {
            for operation in item.as_object_mut().expect("a path item").values_mut() {
                operation["summary"] = serde_json::json!("Reworded");
                operation["description"] = serde_json::json!("Reworded at length.");
            }
        }
    });
    let server = MockServer::start();

    let output = provena(&server, &home())
        .args(["specs", "check", "--only", "job", "--from"])
        .arg(&*dir)
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = stdout(&output);
    assert!(
        report.starts_with(
            "job: no drift; the document differs only in what the client does not use"
        ),
        "{report}"
    );
    assert!(
        report.contains("\n  note: upstream sha256 changed: "),
        "{report}"
    );
    assert!(!report.contains("  - "), "no drift lines: {report}");
}

#[test]
fn specs_check_with_json_output_lists_each_services_drift() {
    let Some(served) = served_dir("specs_check_with_json_output_lists_each_services_drift") else {
        return;
    };
    let dir = served_copy(&served);
    drifted_job_document(&dir);
    let server = MockServer::start();

    let output = provena(&server, &home())
        .args(["--output", "json", "specs", "check", "--only", "job"])
        .args(["--only", "auth", "--from"])
        .arg(&*dir)
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the report is JSON");
    assert_eq!(report["drift"], true);
    let services = report["services"].as_array().expect("a list of services");
    let names: Vec<&str> = services
        .iter()
        .map(|s| s["service"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ["auth", "job"]);
    assert_eq!(services[0]["drift"], serde_json::json!([]));
    assert_eq!(services[0]["notes"], serde_json::json!([]));
    let job = services[1]["drift"].as_array().expect("a list of lines");
    assert!(
        job.contains(&serde_json::json!("schema User: field \"email\" removed")),
        "{job:?}"
    );
    assert!(
        services[1]["source"]
            .as_str()
            .is_some_and(|s| s.ends_with("/job.json")),
        "{report}"
    );
}

#[test]
fn specs_check_reads_each_services_openapi_json_from_the_configured_deployment() {
    let Some(served) =
        served_dir("specs_check_reads_each_services_openapi_json_from_the_configured_deployment")
    else {
        return;
    };
    let server = MockServer::start();
    let mut documents = Vec::new();
    let mut command = provena(&server, &home());
    for service in provena_client::services::SERVICES {
        let body = std::fs::read(served.join(format!("{}.json", service.name))).expect("read");
        documents.push(server.mock(|when, then| {
            when.method(httpmock::Method::GET)
                .path(format!("/{}/openapi.json", service.name));
            then.status(200)
                .header("content-type", "application/json")
                .body(body);
        }));
        // Later flags win: each service under its own path of the server.
        command.arg("--endpoint").arg(format!(
            "{}={}/{}",
            service.name,
            server.base_url(),
            service.name
        ));
    }

    let output = command.args(["specs", "check"]).output().expect("runs");

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output).matches(": no drift\n").count(), 7);
    for document in documents {
        document.assert();
    }
}

#[test]
fn specs_check_against_an_unreachable_deployment_fails_with_one_line() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let server = MockServer::start();

    let output = provena(&server, &home())
        .args(["--endpoint", &format!("registry=http://127.0.0.1:{port}")])
        .args(["specs", "check", "--only", "registry"])
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    let error = stderr(&output);
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(
        error.starts_with(&format!(
            "provena: cannot fetch http://127.0.0.1:{port}/openapi.json: "
        )),
        "{error}"
    );
    assert!(!error.contains("panicked"), "{error}");
}

#[test]
fn specs_check_of_an_unknown_service_is_a_usage_error() {
    let server = MockServer::start();
    let output = provena(&server, &home())
        .args(["specs", "check", "--only", "regsitry", "--from", "."])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("regsitry"), "{}", stderr(&output));
}
