//! The `mock` feature as users see it: the README's example, run for real,
//! and the mock deployment's routing across services.

use provena_client::mock::{MockProvena, job::MockServerExt as _, registry::MockServerExt as _};
use provena_client::models::GetJobResponse;

#[tokio::test]
async fn the_readme_example_passes() {
    let mock = MockProvena::start().await;
    let done: GetJobResponse = serde_json::from_value(serde_json::json!({"job": {
        "session_id": "s-1", "created_timestamp": 0, "username": "me", "payload": {},
        "job_type": "PROV_LODGE", "job_sub_type": "MODEL_RUN_PROV_LODGE", "status": "SUCCEEDED"
    }}))
    .unwrap();
    let fetch = mock.server().get_job(|when, then| {
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
    let about = mock.server().version(|_, then| {
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
