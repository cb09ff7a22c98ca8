//! The `mock` feature as users see it: the README's example, run for real,
//! and the mock deployment's routing across services.

use provena_client::mock::*;
use provena_client::models::GetJobResponse;

#[tokio::test]
async fn the_readme_example_passes() {
    let mock = MockProvena::start().await;
    let done: GetJobResponse = serde_json::from_value(serde_json::json!({"job": {
        "session_id": "s-1", "created_timestamp": 0, "username": "me", "payload": {},
        "job_type": "PROV_LODGE", "job_sub_type": "MODEL_RUN_PROV_LODGE", "status": "SUCCEEDED"
    }}))
    .unwrap();
    let fetch = mock.server().fetch_job(|when, then| {
        when.session_id("s-1");
        then.ok(&done);
    });

    let job = mock.client().job_api().fetch_job("s-1").await.unwrap();

    assert_eq!(job.job.session_id, "s-1");
    fetch.assert();
}

#[tokio::test]
async fn an_unmatched_typed_mock_is_not_hit() {
    let mock = MockProvena::start().await;
    let version = serde_json::from_value(serde_json::json!({"commit_id": "abc", "commit_url": null, "tag_name": "1.2.3", "release_title": null, "release_url": null})).unwrap();
    let about = mock
        .server()
        .general_get_current_provena_version(|_, then| {
            then.ok(&version);
        });
    // A job fetch goes to another route of the same server: not this mock.
    let error = mock
        .client()
        .job_api()
        .fetch_job("s-404")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
    about.assert_calls(0);

    mock.client()
        .registry()
        .general()
        .get_current_provena_version()
        .await
        .unwrap();
    about.assert_calls(1);
}

#[test]
fn the_config_points_every_service_at_the_one_server() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mock = runtime.block_on(MockProvena::start());
    let config = mock.config();
    for service in provena_client::services::SERVICES {
        assert_eq!(
            config
                .endpoint(service.name)
                .unwrap()
                .as_str()
                .trim_end_matches('/'),
            mock.server().base_url()
        );
    }
}

#[tokio::test]
async fn one_common_mock_answers_every_services_health_check() {
    let mock = MockProvena::start().await;
    let healthy = [("message".to_owned(), "ok".to_owned())].into();
    let health = mock.server().get_health_check(|_, then| {
        then.ok(&healthy);
    });
    let client = mock.client();

    let answers = [
        client.registry().get_health_check().await.unwrap(),
        client.job_api().get_health_check().await.unwrap(),
        client.datastore().get_health_check().await.unwrap(),
    ];

    assert!(answers.iter().all(|answer| *answer == healthy));
    health.assert_calls(3);
}

#[tokio::test]
async fn a_sub_client_mock_is_named_with_its_accessor() {
    let mock = MockProvena::start().await;
    let page: provena_client::models::AdminListJobsResponse =
        serde_json::from_value(serde_json::json!({"jobs": [], "pagination_key": null})).unwrap();
    let admin_list = mock.server().admin_list_jobs(|_, then| {
        then.ok(&page);
    });
    let request = serde_json::from_value(serde_json::json!({})).unwrap();

    let listed = mock
        .client()
        .job_api()
        .admin()
        .list_jobs(&request)
        .await
        .unwrap();

    assert_eq!(listed, page);
    admin_list.assert();
}

#[tokio::test]
async fn a_registry_subtype_mock_is_the_generic_method_and_the_subtype() {
    use provena_client::clients::registry::Organisation;
    let mock = MockProvena::start().await;
    let answer: provena_client::models::OrganisationFetchResponse =
        serde_json::from_value(serde_json::json!({
            "status": {"success": false, "details": "not found"}, "item": null, "roles": null,
            "locked": null, "item_is_seed": null
        }))
        .unwrap();
    let fetch = mock.server().fetch_item_organisation(|when, then| {
        when.id("10378.1/1");
        then.ok(&answer);
    });

    let fetched = mock
        .client()
        .registry()
        .fetch_item::<Organisation>("10378.1/1", None)
        .await;

    // `success: false` is a failure the facade reports; the mock was the one asked.
    assert!(fetched.is_err());
    fetch.assert();
}

#[tokio::test]
async fn two_services_whose_operations_share_an_id_keep_distinct_mocks() {
    // Both the data store's and the id service's operation ids are `list`.
    let mock = MockProvena::start().await;
    let datasets: provena_client::models::DatasetListResponse =
        serde_json::from_value(serde_json::json!({
            "status": {"success": true, "details": "listed"}, "items": [], "total_item_count": 0,
            "complete_item_count": 0, "seed_item_count": 0, "unparsable_item_count": 0,
            "not_authorised_count": 0
        }))
        .unwrap();
    let handles: provena_client::models::ListResponse =
        serde_json::from_value(serde_json::json!({"ids": ["10378.1/1"]})).unwrap();
    let list_datasets = mock.server().list_datasets(|_, then| {
        then.ok(&datasets);
    });
    let list_handles = mock.server().list(|_, then| {
        then.ok(&handles);
    });
    let client = mock.client();
    let request = serde_json::from_value(serde_json::json!({})).unwrap();

    assert_eq!(
        client.datastore().list_datasets(&request).await.unwrap(),
        datasets
    );
    assert_eq!(client.id_service().list().await.unwrap(), handles);
    list_datasets.assert();
    list_handles.assert();
}
