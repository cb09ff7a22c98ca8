//! The generated layer: every operation of `specs/` has a generated method,
//! and a generated call carries the bearer token and decodes typed bodies.

mod common;

use std::collections::BTreeSet;

use common::deployment::TOKEN;
use common::recorder::{Recorder, Reply};
use common::specs;
use futures_util::TryStreamExt;
use provena_client::auth::StaticToken;
use provena_client::raw;
use provena_client::transport::Transport;
use provena_client::{Config, build_http_client};
use serde_json::json;

/// The one operation progenitor cannot generate; the facade writes it by hand.
const HANDWRITTEN: (&str, &str) = ("prov", "convert_model_runs_csv");

fn generated(service: &str) -> &'static [&'static str] {
    match service {
        "auth" => raw::auth::GENERATED_METHODS,
        "registry" => raw::registry::GENERATED_METHODS,
        "datastore" => raw::datastore::GENERATED_METHODS,
        "search" => raw::search::GENERATED_METHODS,
        "prov" => raw::prov::GENERATED_METHODS,
        "job" => raw::job::GENERATED_METHODS,
        "id-service" => raw::id_service::GENERATED_METHODS,
        other => panic!("unknown service {other}"),
    }
}

#[test]
fn every_operation_in_specs_has_a_generated_method() {
    let mut missing = Vec::new();
    let mut handwritten = Vec::new();
    for service in provena_client::services::SERVICES {
        let methods: BTreeSet<&str> = generated(service.name).iter().copied().collect();
        let operations = specs::operations(service.name);
        assert!(!operations.is_empty(), "{} has no operations", service.name);
        for operation in operations {
            if operation.body.get("x-provena-handwritten").is_some() {
                handwritten.push((service.name, operation.operation_id.clone()));
                continue;
            }
            if !methods.contains(operation.operation_id.as_str()) {
                missing.push(format!(
                    "{} {} {} ({})",
                    service.name, operation.method, operation.path, operation.operation_id
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations without a generated method:\n{}",
        missing.join("\n")
    );
    assert_eq!(
        handwritten,
        vec![(HANDWRITTEN.0, HANDWRITTEN.1.to_string())]
    );
}

fn operations_of(service: &str) -> &'static [raw::Operation] {
    match service {
        "auth" => raw::auth::OPERATIONS,
        "registry" => raw::registry::OPERATIONS,
        "datastore" => raw::datastore::OPERATIONS,
        "search" => raw::search::OPERATIONS,
        "prov" => raw::prov::OPERATIONS,
        "job" => raw::job::OPERATIONS,
        _ => raw::id_service::OPERATIONS,
    }
}

#[test]
fn operation_tables_list_every_operation_of_the_documents() {
    for service in provena_client::services::SERVICES {
        let table = operations_of(service.name);
        let from_table: BTreeSet<(String, String)> = table
            .iter()
            .map(|op| (op.method.to_string(), op.path.to_string()))
            .collect();
        let from_spec: BTreeSet<(String, String)> = specs::operations(service.name)
            .into_iter()
            .map(|op| (op.method, op.path))
            .collect();
        assert_eq!(from_table, from_spec, "{}", service.name);
    }
}

#[test]
fn operation_tables_are_sorted_by_unique_operation_id_for_the_transports_binary_search() {
    // By length, then the id itself: the order the transport searches in.
    for service in provena_client::services::SERVICES {
        let ids: Vec<(usize, &str)> = operations_of(service.name)
            .iter()
            .map(|op| (op.operation_id.len(), op.operation_id))
            .collect();
        assert!(
            ids.windows(2).all(|pair| pair[0] < pair[1]),
            "{}: operation ids out of order or repeated: {ids:?}",
            service.name
        );
    }
}

fn transport_for(
    service: &'static str,
    operations: &'static [raw::Operation],
) -> (reqwest::Client, Transport) {
    let config = Config::builder().domain("unused.example").build().unwrap();
    let http = build_http_client(&config).unwrap();
    (
        http,
        Transport::new(StaticToken::shared(TOKEN), &config, service, operations),
    )
}

#[tokio::test]
async fn generated_call_sends_the_bearer_token_and_decodes_a_typed_body() {
    let server = Recorder::start().await;
    server.push(Reply::json(
        200,
        &json!({"job": {"session_id": "s-1", "batch_id": null, "created_timestamp": 1700000000,
            "username": "ana", "job_type": "PROV_LODGE", "job_sub_type": "MODEL_RUN_PROV_LODGE",
            "payload": {}, "status": "SUCCEEDED", "info": null, "result": null}}),
    ));
    let (http, transport) = transport_for("job", raw::job::OPERATIONS);
    let client = raw::job::Client::new_with_client(&server.url(), http, transport);

    let response = client.get_job("s-1").await.expect("typed response");

    let job = response.into_inner().job;
    assert_eq!(job.session_id, "s-1");
    assert_eq!(job.username, "ana");
    let request = &server.requests()[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/jobs/user/fetch");
    assert_eq!(
        request.query,
        vec![("session_id".to_string(), "s-1".to_string())]
    );
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    // progenitor's own header: the document's version.
    let document: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/job.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        request.header("api-version"),
        document["info"]["version"].as_str()
    );
}

#[tokio::test]
async fn csv_route_returns_the_bytes_as_sent() {
    let csv = "model_run_id,display_name\n,first run\n";
    let server = Recorder::start().await;
    server.push(Reply::raw(200, "text/csv; charset=utf-8", csv));
    let (http, transport) = transport_for("prov", raw::prov::OPERATIONS);
    let client = raw::prov::Client::new_with_client(&server.url(), http, transport);

    let stream = client
        .generate_template_csv("10378.1/7")
        .await
        .expect("byte stream")
        .into_inner();
    let chunks: Vec<bytes::Bytes> = stream.into_inner().try_collect().await.expect("body");

    assert_eq!(chunks.concat(), csv.as_bytes());
    let request = &server.requests()[0];
    assert_eq!(request.path, "/bulk/generate_template/csv");
    assert_eq!(
        request.query,
        vec![("workflow_template_id".to_string(), "10378.1/7".to_string())]
    );
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[tokio::test]
async fn an_unexpected_answer_reaches_a_raw_caller_with_its_body_readable() {
    // The transport reads every JSON answer's body; the response a raw
    // caller gets for a status the document does not declare has it back.
    let server = Recorder::start().await;
    // 409: not declared, and not an answer the transport retries.
    server.push(Reply::json(409, &json!({"detail": "already locked"})));
    let (http, transport) = transport_for("job", raw::job::OPERATIONS);
    let client = raw::job::Client::new_with_client(&server.url(), http, transport);

    let error = client
        .get_job("s-1")
        .await
        .expect_err("409 is not declared");

    let progenitor_client::Error::UnexpectedResponse(response) = error else {
        panic!("expected UnexpectedResponse, got {error:?}");
    };
    assert_eq!(response.status(), 409);
    assert_eq!(
        response.text().await.expect("readable"),
        r#"{"detail":"already locked"}"#
    );
}

#[tokio::test]
async fn a_declared_error_answer_decodes_from_the_body_the_transport_read() {
    let server = Recorder::start().await;
    server.push(Reply::json(
        422,
        &json!({"detail": [{"loc": ["query", "session_id"], "msg": "field required", "type": "value_error.missing"}]}),
    ));
    let (http, transport) = transport_for("job", raw::job::OPERATIONS);
    let client = raw::job::Client::new_with_client(&server.url(), http, transport);

    let error = client.get_job("s-1").await.expect_err("422");

    let progenitor_client::Error::ErrorResponse(value) = error else {
        panic!("expected ErrorResponse, got {error:?}");
    };
    assert_eq!(value.status(), 422);
    let detail = value.into_inner().detail.expect("detail");
    assert_eq!(detail[0].msg, "field required");
}

#[tokio::test]
async fn an_absent_optional_query_parameter_is_left_out_and_a_present_one_sent() {
    let server = Recorder::start().await;
    let body = json!({"status": {"success": false, "details": "no such item"}});
    server.push(Reply::json(200, &body));
    server.push(Reply::json(200, &body));
    let (http, transport) = transport_for("registry", raw::registry::OPERATIONS);
    let client = raw::registry::Client::new_with_client(&server.url(), http, transport);

    let _ = client.fetch_agent_organisation("10378.1/1", None).await;
    let _ = client
        .fetch_agent_organisation("10378.1/1", Some(true))
        .await;

    let requests = server.requests();
    assert_eq!(
        requests[0].query,
        vec![("id".to_string(), "10378.1/1".to_string())]
    );
    assert_eq!(
        requests[1].query,
        vec![
            ("id".to_string(), "10378.1/1".to_string()),
            ("seed_allowed".to_string(), "true".to_string())
        ]
    );
}
