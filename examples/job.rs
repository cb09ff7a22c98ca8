//! The async job service: a page of the caller's jobs, unknown job types
//! included.
//!
//! `cargo run --example job` (against a mock unless `PROVENA_DOMAIN` is set).

mod common;

use std::error::Error;

use httpmock::Method::POST;
use provena_client::models::JobType;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let connection = common::connect(|server| {
        let job = |id: &str, kind: &str, status: &str| {
            json!({
                "session_id": id, "created_timestamp": 1700000000, "username": "ana", "payload": {},
                "job_type": kind, "job_sub_type": "MODEL_RUN_PROV_LODGE", "status": status
            })
        };
        server.mock(|when, then| {
            when.method(POST).path("/jobs/user/list");
            then.status(200).json_body(json!({"jobs": [
                job("s-1", "PROV_LODGE", "SUCCEEDED"),
                job("s-2", "A_TYPE_ADDED_LATER", "PENDING"),
            ]}));
        });
    })
    .await?;

    let request = serde_json::from_value(json!({"limit": 10}))?;
    let page = connection.client.job_api().list_jobs(&request).await?;
    for job in page.jobs {
        // Values this client version does not know still arrive, as `Unknown`.
        let kind = match &job.job_type {
            JobType::Unknown(value) => format!("{value} (unknown to this client)"),
            known => known.to_string(),
        };
        println!("{:<6} {:<40} {}", job.session_id, kind, job.status);
    }
    Ok(())
}
