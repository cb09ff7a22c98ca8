//! Values the client does not know yet (a new job type, a new status) decode
//! as explicit unknown variants instead of failing the whole response.

mod common;

use common::deployment::MockDeployment;
use common::recorder::Reply;
use provena_client::models::{JobStatus, JobType};
use serde_json::json;

fn job(session_id: &str, job_type: &str, status: &str) -> serde_json::Value {
    json!({
        "session_id": session_id, "created_timestamp": 1700000000, "username": "ana",
        "payload": {}, "job_type": job_type, "job_sub_type": "MODEL_RUN_PROV_LODGE",
        "status": status, "batch_id": null, "info": null, "result": null
    })
}

#[tokio::test]
async fn a_job_page_with_an_unknown_job_type_decodes_and_shows_it() {
    let deployment = MockDeployment::start().await;
    deployment.service("job").push(Reply::json(
        200,
        &json!({"jobs": [
            job("s-1", "PROV_LODGE", "SUCCEEDED"),
            job("s-2", "QUANTUM_ANNEAL", "TELEPORTED"),
        ], "pagination_key": null}),
    ));
    let request = serde_json::from_value(json!({})).expect("empty list request");

    let page = deployment
        .client()
        .job_api()
        .list_jobs(&request)
        .await
        .expect("page decodes");

    let jobs = page.jobs;
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].job_type, JobType::ProvLodge);
    assert_eq!(jobs[0].status, JobStatus::Succeeded);
    assert!(
        matches!(&jobs[1].job_type, JobType::Unknown(value) if value == "QUANTUM_ANNEAL"),
        "{:?}",
        jobs[1].job_type
    );
    assert!(!jobs[1].status.is_known());
    assert_eq!(jobs[1].status.to_string(), "TELEPORTED");
}

#[test]
fn known_values_serialise_to_their_wire_strings() {
    let status = JobStatus::InProgress;
    assert_eq!(serde_json::to_value(&status).unwrap(), json!("IN_PROGRESS"));
    assert_eq!(status.to_string(), "IN_PROGRESS");
    assert_eq!(
        serde_json::to_value(JobStatus::Unknown("NEW".into())).unwrap(),
        json!("NEW")
    );
}

#[test]
fn a_known_value_decodes_as_its_one_level_variant() {
    let decoded: JobStatus = serde_json::from_value(json!("FAILED")).unwrap();
    assert!(matches!(decoded, JobStatus::Failed));
    assert!(decoded.is_known());
    assert_eq!(decoded.as_str(), "FAILED");
}

#[test]
fn an_unknown_value_round_trips_unchanged() {
    let decoded: JobStatus = serde_json::from_value(json!("PAUSED")).unwrap();
    assert!(matches!(&decoded, JobStatus::Unknown(value) if value == "PAUSED"));
    assert_eq!(serde_json::to_value(&decoded).unwrap(), json!("PAUSED"));
}

#[test]
fn a_known_value_spelt_as_unknown_is_the_same_value() {
    // Equality, ordering and hashing go by the wire string, so a value built
    // by hand from a string compares equal to the variant.
    let by_hand = JobStatus::Unknown("SUCCEEDED".into());
    assert_eq!(by_hand, JobStatus::Succeeded);
    let set: std::collections::HashSet<JobStatus> = [by_hand, JobStatus::Succeeded].into();
    assert_eq!(set.len(), 1);
}

#[test]
fn strings_parse_into_the_known_variant_and_known_lists_every_value() {
    assert!(matches!(
        "IN_PROGRESS".parse::<JobStatus>(),
        Ok(JobStatus::InProgress)
    ));
    assert!(matches!(JobStatus::from("SUCCEEDED"), JobStatus::Succeeded));
    assert!(matches!(JobStatus::from(String::from("X")), JobStatus::Unknown(v) if v == "X"));
    let known: Vec<&str> = JobStatus::KNOWN.iter().map(JobStatus::as_str).collect();
    assert_eq!(
        known,
        ["PENDING", "DEQUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED"]
    );
}

/// A dataset item as the real registry sends it: `collection_format.dataset_info`
/// carries `version`, a field hidden from the documents' schema (declared
/// `additionalProperties: false`), plus a field no document knows at all.
fn dataset_fetch_with_hidden_fields() -> serde_json::Value {
    let document = common::specs::document("datastore");
    let mut answer = common::specs::sample(
        &document,
        &json!({"$ref": "#/components/schemas/RegistryFetchResponse"}),
    );
    let item = common::specs::sample(
        &document,
        &json!({"$ref": "#/components/schemas/ItemDataset"}),
    );
    answer["item"] = item;
    answer["status"] = json!({"success": true, "details": "ok"});
    let info = &mut answer["item"]["collection_format"]["dataset_info"];
    info["version"] = json!(null);
    info["added_upstream"] = json!({"nested": [1, 2, 3]});
    answer
}

#[tokio::test]
async fn a_dataset_with_fields_the_documents_do_not_list_decodes() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("datastore")
        .push(Reply::json(200, &dataset_fetch_with_hidden_fields()));

    let fetched = deployment
        .client()
        .datastore()
        .fetch_dataset("10378.1/1")
        .await
        .expect("a dataset with unlisted fields decodes");

    let item = fetched.item.expect("item");
    let extra = &item.collection_format.dataset_info.extra;
    assert_eq!(extra.get("version"), Some(&json!(null)));
    assert_eq!(
        extra.get("added_upstream"),
        Some(&json!({"nested": [1, 2, 3]}))
    );
}

#[tokio::test]
async fn unlisted_fields_survive_a_fetch_modify_update_round_trip() {
    let deployment = MockDeployment::start().await;
    let mut answer = dataset_fetch_with_hidden_fields();
    answer["item"]["collection_format"]["dataset_info"]["version"] = json!("3");
    deployment
        .service("datastore")
        .push(Reply::json(200, &answer));
    let client = deployment.client();
    let fetched = client
        .datastore()
        .fetch_dataset("10378.1/1")
        .await
        .expect("fetch");
    let mut metadata = fetched.item.expect("item").collection_format;
    metadata.dataset_info.description = "edited".into();

    let document = common::specs::document("datastore");
    let mut updated = common::specs::sample(
        &document,
        &json!({"$ref": "#/components/schemas/UpdateMetadataResponse"}),
    );
    updated["status"] = json!({"success": true, "details": "ok"});
    deployment
        .service("datastore")
        .push(Reply::json(200, &updated));
    client
        .datastore()
        .update_metadata("10378.1/1", "edit description", &metadata)
        .await
        .expect("update");

    let sent = deployment.service("datastore").requests();
    let body = sent
        .last()
        .and_then(|r| r.json())
        .expect("a JSON update body");
    assert_eq!(body["dataset_info"]["description"], "edited");
    assert_eq!(
        body["dataset_info"]["version"], "3",
        "the hidden field goes back"
    );
    assert_eq!(
        body["dataset_info"]["added_upstream"],
        json!({"nested": [1, 2, 3]})
    );
}
