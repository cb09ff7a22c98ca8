//! One case per facade method, against seven recording servers on loopback.
//!
//! Each case calls one facade method with known arguments (request bodies are
//! schema-valid samples made from `specs/`), lets the right service's server
//! answer with a schema-valid sample response, and checks what arrived: the
//! method, the path, the exact query, the JSON body, the bearer token, and
//! that no other service was called; then that the response decoded. A final
//! check fails if any operation of `specs/` (but `sentry-debug`) was not
//! reached by some case.

mod common;

use std::collections::BTreeSet;

use common::cases::all_cases;
use common::deployment::{MockDeployment, TOKEN};
use common::recorder::Reply;
use common::specs::{self, SpecOperation};
use provena_client::clients::registry::SUBTYPE_ROUTES;
use serde_json::Value;

fn find_operation(service: &'static str, operation_id: &str) -> SpecOperation {
    specs::operations(service)
        .into_iter()
        .find(|op| op.operation_id == operation_id)
        .unwrap_or_else(|| panic!("{service} has no operation {operation_id}"))
}

/// A 200 answer the operation's schema allows.
fn sample_reply(operation: &SpecOperation) -> Reply {
    match operation.response() {
        Some(("application/json", schema)) => Reply::json(
            200,
            &specs::sample(&specs::document(operation.service), schema),
        ),
        Some((media, _)) => Reply::raw(200, media, "KEY=value\n"),
        None => Reply::json(200, &serde_json::json!({})),
    }
}

#[tokio::test]
async fn every_facade_method_sends_the_documented_request_and_decodes_the_response() {
    let deployment = MockDeployment::start().await;
    let client = deployment.client();
    let mut covered = BTreeSet::new();
    let mut failures = Vec::new();

    for case in all_cases() {
        let operation = find_operation(case.service, &case.operation_id);
        let document = specs::document(case.service);
        let request_body = operation
            .request_schema()
            .map(|schema| specs::sample(&document, schema));
        deployment.reset();
        deployment
            .service(case.service)
            .push(sample_reply(&operation));

        let label = format!(
            "{} {} ({})",
            operation.method, operation.path, case.operation_id
        );
        if let Err(error) =
            (case.call)(client.clone(), request_body.clone().unwrap_or(Value::Null)).await
        {
            failures.push(format!("{label}: call failed: {error}"));
            continue;
        }
        for (service, recorder) in deployment.all() {
            let hits = recorder.hits();
            let expected = usize::from(service == case.service);
            if hits != expected {
                failures.push(format!(
                    "{label}: {service} received {hits} requests, expected {expected}"
                ));
            }
        }
        let Some(request) = deployment
            .service(case.service)
            .requests()
            .into_iter()
            .next()
        else {
            continue;
        };
        if request.method != operation.method || request.path != operation.path {
            failures.push(format!("{label}: sent {} {}", request.method, request.path));
        }
        let mut sent_query: Vec<(String, String)> = request.query.clone();
        let mut expected_query: Vec<(String, String)> = case
            .query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        sent_query.sort();
        expected_query.sort();
        if sent_query != expected_query {
            failures.push(format!(
                "{label}: query {sent_query:?}, expected {expected_query:?}"
            ));
        }
        if request.header("authorization") != Some(format!("Bearer {TOKEN}").as_str()) {
            failures.push(format!("{label}: missing or wrong bearer token"));
        }
        if let Some(expected) = &request_body
            && request.json().as_ref() != Some(expected)
        {
            failures.push(format!(
                "{label}: body {:?}, expected {expected}",
                request.json()
            ));
        }
        if operation.body.get("x-provena-handwritten").is_some() {
            let content_type = request.header("content-type").unwrap_or_default();
            let text = String::from_utf8_lossy(&request.body);
            if !content_type.starts_with("multipart/form-data")
                || !text.contains("name=\"csv_file\"")
                || !text.contains("text/csv")
                || !text.contains("a,b\n1,2\n")
            {
                failures.push(format!(
                    "{label}: not a multipart upload of csv_file: {content_type}"
                ));
            }
        }
        covered.insert((
            case.service,
            operation.method.clone(),
            operation.path.clone(),
        ));
    }

    let mut uncovered = Vec::new();
    for service in provena_client::services::SERVICES {
        for operation in specs::operations(service.name) {
            if operation.path == "/admin/sentry-debug" {
                continue;
            }
            if !covered.contains(&(
                service.name,
                operation.method.clone(),
                operation.path.clone(),
            )) {
                uncovered.push(format!(
                    "{} {} {} ({})",
                    service.name, operation.method, operation.path, operation.operation_id
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        uncovered.is_empty(),
        "operations without a facade method:\n{}",
        uncovered.join("\n")
    );
}

#[test]
fn subtype_route_table_matches_the_registry_document_route_by_route() {
    let operations = specs::operations("registry");
    let paths: BTreeSet<(String, String)> = operations
        .iter()
        .map(|op| (op.method.clone(), op.path.clone()))
        .collect();
    let shared = [
        ("GET", "fetch"),
        ("POST", "list"),
        ("POST", "validate"),
        ("GET", "schema"),
        ("GET", "ui_schema"),
        ("GET", "auth/evaluate"),
        ("GET", "auth/configuration"),
        ("PUT", "auth/configuration"),
        ("GET", "auth/roles"),
        ("PUT", "locks/lock"),
        ("PUT", "locks/unlock"),
        ("GET", "locks/history"),
        ("GET", "locks/locked"),
    ];
    use provena_client::clients::registry::Capability;
    let optional = [
        (Capability::Create, "POST", "create"),
        (Capability::Update, "PUT", "update"),
        (Capability::Seed, "POST", "seed"),
        (Capability::Revert, "PUT", "revert"),
        (Capability::Version, "POST", "version"),
    ];
    let mut expected = BTreeSet::new();
    for route in SUBTYPE_ROUTES {
        for (method, action) in shared {
            expected.insert((method.to_string(), route.path(action)));
        }
        for (capability, method, action) in optional {
            let path = (method.to_string(), route.path(action));
            // A capability must exist upstream exactly when the table claims it.
            assert_eq!(
                route.capabilities.contains(&capability),
                paths.contains(&path),
                "{} {:?}",
                route.name,
                capability
            );
            expected.insert(path);
        }
    }
    let subtype_paths: BTreeSet<_> = paths
        .iter()
        .filter(|(_, path)| {
            [
                "/registry/agent/",
                "/registry/entity/",
                "/registry/activity/",
            ]
            .iter()
            .any(|p| path.starts_with(p))
        })
        .filter(|(_, path)| !path.ends_with("/user/releases"))
        .cloned()
        .collect();
    let claimed: BTreeSet<_> = expected.intersection(&paths).cloned().collect();
    assert_eq!(
        claimed, subtype_paths,
        "every subtype route upstream is in the table"
    );
    assert_eq!(SUBTYPE_ROUTES.len(), 10);
}
