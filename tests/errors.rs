//! How failures reach the caller: one typed error per kind, naming the
//! operation, for a sample of operations across the services.

mod common;

use common::deployment::MockDeployment;
use common::recorder::Reply;
use provena_client::Error;
use provena_client::clients::registry::Organisation;
use serde_json::json;

fn detail(text: &str) -> serde_json::Value {
    json!({ "detail": text })
}

#[tokio::test]
async fn status_400_is_bad_request_with_the_server_detail() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("datastore")
        .push(Reply::json(400, &detail("dataset name missing")));
    let document = common::specs::document("datastore");
    let schema = json!({"$ref": "#/components/schemas/CollectionFormat"});
    let metadata =
        serde_json::from_value(common::specs::sample(&document, &schema)).expect("sample metadata");
    let error = deployment
        .client()
        .datastore()
        .mint_dataset(&metadata)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::BadRequest { detail, .. } if detail == "dataset name missing"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "datastore.mint_dataset: bad request (400): dataset name missing"
    );
}

#[tokio::test]
async fn status_401_after_a_refresh_is_unauthorised() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("registry")
        .set_fallback(Reply::json(401, &detail("token expired")));
    let error = deployment
        .client()
        .registry()
        .fetch_item::<Organisation>("10378.1/1", None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    assert_eq!(
        error.operation().unwrap().to_string(),
        "registry.fetch_agent_organisation"
    );
    // One refresh, one retry: two requests, never more.
    assert_eq!(deployment.service("registry").hits(), 2);
}

#[tokio::test]
async fn status_403_is_forbidden() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("auth")
        .push(Reply::json(403, &detail("not an admin")));
    let error = deployment
        .client()
        .auth()
        .admin()
        .groups_export()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Forbidden { detail, .. } if detail == "not an admin"),
        "{error:?}"
    );
}

#[tokio::test]
async fn status_404_is_not_found() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("job")
        .push(Reply::json(404, &detail("no such session")));
    let error = deployment
        .client()
        .job_api()
        .fetch_job("missing")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::NotFound { detail, .. } if detail == "no such session"),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(404));
}

#[tokio::test]
async fn status_422_carries_the_field_errors() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(Reply::json(
        422,
        &json!({"detail": [
            {"loc": ["query", "depth"], "msg": "value is not a valid integer", "type": "type_error.integer"},
            {"loc": ["query", "starting_id"], "msg": "field required", "type": "value_error.missing"}
        ]}),
    ));
    let error = deployment
        .client()
        .prov()
        .explore_upstream("x", Some(1))
        .await
        .unwrap_err();
    let Error::Validation { errors, operation } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(operation.to_string(), "prov.explore_upstream");
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].location, "query.depth");
    assert_eq!(errors[1].message, "field required");
    assert!(
        error
            .to_string()
            .contains("query.starting_id: field required"),
        "{error}"
    );
}

#[tokio::test]
async fn status_500_keeps_a_bounded_excerpt_of_the_body() {
    let deployment = MockDeployment::start().await;
    let long = "x".repeat(10_000);
    deployment
        .service("search")
        .set_fallback(Reply::raw(500, "text/plain", long));
    let error = deployment
        .client()
        .search()
        .search_registry("q", None, None)
        .await
        .unwrap_err();
    let Error::Status { status, body, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 500);
    assert!(
        body.len() < 1_000,
        "excerpt is bounded, got {} bytes",
        body.len()
    );
}

#[tokio::test]
async fn success_false_in_a_200_body_is_rejected_with_the_details() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(Reply::json(
        200,
        &json!({"status": {"success": false, "details": "model run not found"}}),
    ));
    let error = deployment
        .client()
        .prov()
        .add_study_link("mr", "st")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { details, .. } if details == "model run not found"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "prov.add_study_link: the server reported failure: model run not found"
    );
}

#[tokio::test]
async fn a_bare_status_body_with_success_false_is_rejected() {
    let deployment = MockDeployment::start().await;
    deployment.service("auth").push(Reply::json(
        200,
        &json!({"success": false, "details": "closed"}),
    ));
    let error = deployment
        .client()
        .auth()
        .check_public_access()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { details, .. } if details == "closed"),
        "{error:?}"
    );
}

#[tokio::test]
async fn success_true_is_returned_as_the_value() {
    let deployment = MockDeployment::start().await;
    deployment.service("auth").push(Reply::json(
        200,
        &json!({"success": true, "details": "open"}),
    ));
    let status = deployment
        .client()
        .auth()
        .check_public_access()
        .await
        .expect("success");
    assert!(status.success);
}

#[tokio::test]
async fn a_truncated_body_is_a_decode_error_naming_the_operation() {
    let deployment = MockDeployment::start().await;
    deployment.service("job").push(Reply::raw(
        200,
        "application/json",
        r#"{"jobs": [{"session_id": "s-1", "#,
    ));
    let request =
        serde_json::from_value(json!({})).expect("every field of the list request is optional");
    let error = deployment
        .client()
        .job_api()
        .list_jobs(&request)
        .await
        .unwrap_err();
    let Error::Decode {
        operation,
        excerpt,
        message,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(operation.to_string(), "job.list_jobs");
    assert!(excerpt.starts_with(r#"{"jobs""#), "{excerpt}");
    assert!(message.contains("EOF"), "{message}");
}

#[tokio::test]
async fn a_non_json_success_body_is_a_decode_error() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("id-service")
        .push(Reply::raw(200, "text/html", "<html>maintenance</html>"));
    let error = deployment
        .client()
        .id_service()
        .get("10378.1/1")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Decode { excerpt, .. } if excerpt.contains("maintenance")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_gateway_error_page_is_a_status_error_with_its_excerpt() {
    let deployment = MockDeployment::start().await;
    let client = deployment.client_with(
        deployment
            .config_builder()
            .retry(provena_client::retry::RetryPolicy::disabled()),
    );
    deployment
        .service("registry")
        .push(Reply::raw(502, "text/html", "<html>bad gateway</html>"));
    let error = client.registry().general().version().await.unwrap_err();
    assert!(
        matches!(&error, Error::Status { status: 502, body, .. } if body.contains("bad gateway")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_connection_error() {
    let deployment = MockDeployment::start().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let client = deployment.client_with(
        deployment
            .config_builder()
            .endpoint("search", format!("http://127.0.0.1:{port}"))
            .retry(provena_client::retry::RetryPolicy::disabled()),
    );
    let error = client.search().get_health_check().await.unwrap_err();
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("search.root: connection failed"),
        "{error}"
    );
}
