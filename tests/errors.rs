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
        .get_export_groups()
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
        .explore_upstream("x", std::num::NonZeroU64::new(1))
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
    let first_bytes = "x".repeat(provena_client::error::BODY_EXCERPT_LIMIT);
    assert_eq!(
        *body,
        format!("{first_bytes}…"),
        "the first 512 bytes, marked as cut"
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
    let error = client
        .registry()
        .general()
        .get_current_provena_version()
        .await
        .unwrap_err();
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

fn sample_of(service: &str, schema: &str) -> serde_json::Value {
    let document = common::specs::document(service);
    common::specs::sample(
        &document,
        &json!({ "$ref": format!("#/components/schemas/{schema}") }),
    )
}

#[tokio::test]
async fn a_mint_that_fails_after_minting_keeps_the_minted_handle() {
    let deployment = MockDeployment::start().await;
    let mut answer = sample_of("datastore", "MintResponse");
    answer["status"] = json!({"success": false, "details": "no creation job was spun off"});
    answer["handle"] = json!("10378.1/42");
    deployment
        .service("datastore")
        .push(Reply::json(200, &answer));
    let metadata = serde_json::from_value(sample_of("datastore", "CollectionFormat"))
        .expect("sample metadata");

    let error = deployment
        .client()
        .datastore()
        .mint_dataset(&metadata)
        .await
        .unwrap_err();

    let body = error.rejected_body().expect("an in-body failure");
    let minted = body
        .decoded::<provena_client::models::MintResponse>()
        .expect("the body decodes as the operation's response");
    assert_eq!(minted.handle.as_deref(), Some("10378.1/42"));
    assert_eq!(body.json().expect("JSON")["handle"], "10378.1/42");
    assert!(
        matches!(&error, Error::Rejected { details, .. } if details == "no creation job was spun off"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_rejected_body_that_is_not_the_response_type_is_still_there_as_json() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(Reply::json(
        200,
        &json!({"status": {"success": false, "details": "nope"}, "extra": [1, 2]}),
    ));
    let error = deployment
        .client()
        .prov()
        .add_study_link("mr", "st")
        .await
        .unwrap_err();
    let body = error.rejected_body().expect("an in-body failure");
    assert_eq!(body.json().expect("JSON")["extra"], json!([1, 2]));
    assert!(body.decoded::<String>().is_none(), "not a String");
}

#[tokio::test]
async fn debug_output_of_a_rejection_shows_no_body_content() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(Reply::json(
        200,
        &json!({"status": {"success": false, "details": "x"}, "token": "secret-value-9"}),
    ));
    let error = deployment
        .client()
        .prov()
        .add_study_link("mr", "st")
        .await
        .unwrap_err();
    let debug = format!("{error:?}");
    assert!(!debug.contains("secret-value-9"), "{debug}");
    assert!(debug.contains("RejectedBody"), "{debug}");
}

#[tokio::test]
async fn the_registrys_200_not_found_is_a_typed_not_found() {
    let deployment = MockDeployment::start().await;
    deployment.service("registry").push(Reply::json(
        200,
        &json!({"status": {"success": false,
            "details": "Could not find the given key (10378.1/9) in the registry. Details '10378.1/9'."}}),
    ));
    let error = deployment
        .client()
        .registry()
        .fetch_item::<Organisation>("10378.1/9", None)
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.status(), Some(200));
    assert!(error.to_string().contains("10378.1/9"), "{error}");
}

#[tokio::test]
async fn another_registry_failure_is_a_rejection_not_a_not_found() {
    let deployment = MockDeployment::start().await;
    deployment.service("registry").push(Reply::json(
        200,
        &json!({"status": {"success": false, "details": "Value error. Details bad."}}),
    ));
    let error = deployment
        .client()
        .registry()
        .fetch_item::<Organisation>("10378.1/9", None)
        .await
        .unwrap_err();
    assert!(!error.is_not_found(), "{error:?}");
    assert!(matches!(error, Error::Rejected { .. }), "{error:?}");
}

#[tokio::test]
async fn the_job_apis_400_for_an_unknown_session_is_a_typed_not_found() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("job")
        .push(Reply::json(400, &detail("Item was not found.")));
    let error = deployment
        .client()
        .job_api()
        .fetch_job("no-such-session")
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.status(), Some(400));
}

#[tokio::test]
async fn another_job_api_400_stays_a_bad_request() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("job")
        .push(Reply::json(400, &detail("Invalid payload supplied: x.")));
    let error = deployment
        .client()
        .job_api()
        .fetch_job("s-1")
        .await
        .unwrap_err();
    assert!(!error.is_not_found(), "{error:?}");
    assert!(matches!(error, Error::BadRequest { .. }), "{error:?}");
}

#[tokio::test]
async fn the_data_stores_relayed_registry_not_found_is_a_typed_not_found() {
    let deployment = MockDeployment::start().await;
    deployment.service("datastore").push(Reply::json(
        400,
        &detail("The registry API responded with status success False during dataset fetching. Details: Could not find the given key (10378.1/5) in the registry."),
    ));
    let error = deployment
        .client()
        .datastore()
        .fetch_dataset("10378.1/5")
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
}

#[tokio::test]
async fn a_plain_404_is_not_found() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("search")
        .push(Reply::json(404, &detail("Not Found")));
    let error = deployment
        .client()
        .search()
        .search_registry("q", None, None)
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.status(), Some(404));
}

#[tokio::test]
async fn a_user_without_a_link_is_an_ordinary_answer_with_no_person() {
    let deployment = MockDeployment::start().await;
    deployment.service("auth").push(Reply::json(
        200,
        &json!({"success": false, "person_id": null}),
    ));
    let answer = deployment
        .client()
        .auth()
        .get_link_lookup_username(None)
        .await
        .expect("\"not linked\" is an answer, not a failure");
    assert!(!answer.success);
    assert_eq!(answer.person_id, None);
}

#[tokio::test]
async fn a_failed_state_change_is_an_error_even_without_a_top_level_status() {
    let deployment = MockDeployment::start().await;
    deployment.service("auth").push(Reply::json(
        200,
        &json!({"state_change": {"success": false, "details": "Could not update."},
                "email_alert": {"success": true, "details": "No email requested."}}),
    ));
    let request = serde_json::from_value(sample_of("auth", "AccessRequestStatusChange"))
        .expect("sample request");
    let error = deployment
        .client()
        .auth()
        .admin()
        .post_change_request_state(&request, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Rejected { details, .. } if details == "Could not update."),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_state_change_whose_email_alone_failed_is_returned() {
    let deployment = MockDeployment::start().await;
    deployment.service("auth").push(Reply::json(
        200,
        &json!({"state_change": {"success": true, "details": "Updated status to APPROVED."},
                "email_alert": {"success": false, "details": "No email address was present in the record so no email was sent."}}),
    ));
    let request = serde_json::from_value(sample_of("auth", "AccessRequestStatusChange"))
        .expect("sample request");
    let answer = deployment
        .client()
        .auth()
        .admin()
        .post_change_request_state(&request, Some(true))
        .await
        .expect("the state changed");
    assert!(answer.state_change.success);
    assert!(!answer.email_alert.success);
}

#[tokio::test]
async fn invalid_metadata_is_the_answer_of_validate_metadata() {
    let deployment = MockDeployment::start().await;
    deployment.service("datastore").push(Reply::json(
        200,
        &json!({"success": false, "details": "Failed field value validation. Error: x"}),
    ));
    let metadata = serde_json::from_value(sample_of("datastore", "CollectionFormat"))
        .expect("sample metadata");
    let answer = deployment
        .client()
        .datastore()
        .validate_metadata(&metadata)
        .await
        .expect("validation answered");
    assert!(!answer.success);
    assert!(answer.details.contains("Failed field value validation"));
}

#[tokio::test]
async fn an_unknown_access_request_is_a_typed_not_found() {
    let deployment = MockDeployment::start().await;
    deployment.service("auth").push(Reply::json(
        200,
        &json!({"success": false, "details": "Could not find item in table."}),
    ));
    let request =
        serde_json::from_value(sample_of("auth", "RequestAddNote")).expect("sample request");
    let error = deployment
        .client()
        .auth()
        .admin()
        .post_add_note(&request)
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
}

#[tokio::test]
async fn invalid_domain_information_is_the_answer_of_a_registry_validate() {
    let deployment = MockDeployment::start().await;
    deployment.service("registry").push(Reply::json(
        200,
        &json!({"status": {"success": false, "details": "Validation Error: name missing"}}),
    ));
    let info = serde_json::from_value(sample_of("registry", "OrganisationDomainInfo"))
        .expect("sample domain info");
    let answer = deployment
        .client()
        .registry()
        .validate_item::<Organisation>(&info)
        .await
        .expect("validation answered");
    assert!(!answer.status.success);
    assert!(answer.status.details.contains("name missing"));
}
