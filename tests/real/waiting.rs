//! Job waiters against the real job API. Nothing works the jobs here, so
//! each workflow plays the worker from a background task after a pause
//! (`helper.py complete-job`): until then the job API answers the job's
//! fetch with 400 "not found", which the waiter must sit out (its grace
//! period), exactly as right after a real submission.

use std::sync::Arc;
use std::time::Duration;

use provena_client::clients::registry::Model;
use provena_client::jobs::{JobOutcome, JobResult, WaitError};
use provena_client::models as rt;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::job::{await_launched, work};
use super::{Ctx, from_json, unique};

workflows! {
    "waiting":
    a_launched_job_is_awaited_through_its_unseen_period_to_success,
    a_failed_job_is_awaited_to_its_workers_info,
    a_registry_version_is_started_and_awaited_in_one_call,
}

/// Writes the job's row (`status`, `result`, `info`) after `after`, from a
/// background task.
fn complete_later(
    ctx: &Arc<Ctx>,
    session_id: String,
    status: &'static str,
    result: Option<Value>,
    info: Option<&'static str>,
    after: Duration,
) -> JoinHandle<()> {
    let ctx = Arc::clone(ctx);
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        tokio::task::spawn_blocking(move || work(&ctx, &session_id, status, result.as_ref(), info))
            .await
            .expect("the worker's stand-in ran");
    })
}

/// Launches a `REGISTRY_WAKE_UP` job of the admin user's own.
async fn launch_own_job(ctx: &Ctx) -> String {
    let request: rt::AdminLaunchJobRequest = from_json(json!({
        "job_type": "REGISTRY", "job_sub_type": "REGISTRY_WAKE_UP",
        "job_payload": {"reason": unique("awaited")}
    }));
    ctx.admin
        .job_api()
        .admin()
        .launch_job(&request)
        .await
        .expect("launch a job")
        .session_id
}

/// The statuses the job API answered the fetches of `session_id` with.
fn fetch_statuses(ctx: &Ctx, session_id: &str) -> Vec<u16> {
    ctx.proxies
        .iter()
        .filter(|proxy| proxy.service() == "job")
        .flat_map(|proxy| proxy.exchanges())
        .filter(|exchange| {
            exchange.path == "/jobs/user/fetch"
                && exchange
                    .query
                    .as_deref()
                    .is_some_and(|query| query.contains(session_id))
        })
        .map(|exchange| exchange.status)
        .collect()
}

async fn a_launched_job_is_awaited_through_its_unseen_period_to_success(ctx: Arc<Ctx>) {
    let session_id = launch_own_job(&ctx).await;
    let worker = complete_later(
        &ctx,
        session_id.clone(),
        "SUCCEEDED",
        Some(json!({})),
        None,
        Duration::from_millis(1500),
    );

    let job = ctx
        .admin
        .job_api()
        .wait(session_id.clone())
        .poll_delays(Duration::from_millis(100), Duration::from_millis(400))
        .max_wait(Duration::from_secs(60))
        .send()
        .await
        .expect("the job succeeds once its worker says so");
    worker.await.expect("the worker's stand-in finished");

    assert_eq!(job.job.session_id, session_id);
    assert_eq!(
        job.result,
        JobResult::Empty,
        "a wake-up has an empty result"
    );
    let statuses = fetch_statuses(&ctx, &session_id);
    assert_eq!(
        statuses.first(),
        Some(&400),
        "unseen at first: {statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&200), "seen at last: {statuses:?}");
}

async fn a_failed_job_is_awaited_to_its_workers_info(ctx: Arc<Ctx>) {
    let session_id = launch_own_job(&ctx).await;
    let worker = complete_later(
        &ctx,
        session_id.clone(),
        "FAILED",
        None,
        Some("the stand-in worker gave up"),
        Duration::from_millis(800),
    );
    let jobs = ctx.admin.job_api();

    let outcome = jobs
        .wait(session_id.clone())
        .poll_delays(Duration::from_millis(100), Duration::from_millis(400))
        .until_finished()
        .await
        .expect("the job finishes");
    worker.await.expect("the worker's stand-in finished");

    match outcome {
        JobOutcome::Failed(job) => assert_eq!(job.info(), Some("the stand-in worker gave up")),
        other => panic!("expected a failed job, got {other:?}"),
    }
    // Waiting for success on a failed job is an error carrying the same info.
    let error = jobs
        .await_successful_job_completion(&session_id)
        .await
        .expect_err("the job failed");
    assert!(
        matches!(&error, WaitError::Failed(job) if job.info() == Some("the stand-in worker gave up")),
        "{error:?}"
    );
}

async fn a_registry_version_is_started_and_awaited_in_one_call(ctx: Arc<Ctx>) {
    let registry = ctx.admin.registry();
    let name = unique("Awaited version");
    let info: rt::ModelDomainInfo = from_json(json!({
        "display_name": name, "name": name, "description": "a model",
        "documentation_url": "https://example.org/docs", "source_url": "https://example.org/src"
    }));
    let id = registry
        .create_item::<Model>(&info)
        .await
        .expect("create a model")
        .created_item
        .expect("created model")
        .id;

    // The worker's stand-in finds the version job the registry starts, and
    // completes it with the result a registry worker writes.
    let worker = {
        let ctx = Arc::clone(&ctx);
        let id = id.clone();
        tokio::spawn(async move {
            let launched =
                await_launched(&ctx, &["--subtype", "REGISTER_VERSION_ACTIVITY"], |job| {
                    job["payload"]["from_version_id"] == id.as_str()
                })
                .await;
            let session_id = launched["session_id"]
                .as_str()
                .expect("a session id")
                .to_string();
            let result = json!({"version_activity_id": unique("10378.1/activity"), "lodge_session_id": "lodge"});
            tokio::task::spawn_blocking({
                let ctx = Arc::clone(&ctx);
                let session_id = session_id.clone();
                move || work(&ctx, &session_id, "SUCCEEDED", Some(&result), None)
            })
            .await
            .expect("the worker's stand-in ran");
            session_id
        })
    };
    let request: rt::VersionRequest = from_json(json!({"id": id, "reason": "awaited"}));

    let done = ctx
        .admin
        .job_api()
        .start_and_wait(registry.version::<Model>(&request))
        .await
        .expect("versioned, and the version's job succeeded");
    let completed = worker.await.expect("the worker's stand-in finished");

    assert_ne!(done.response.new_version_id, id);
    assert_eq!(done.response.version_job_session_id, completed);
    match done.job.result {
        JobResult::VersionActivityRegistered(activity) => {
            assert!(activity.activity_id.starts_with("10378.1/activity"));
            assert_eq!(activity.lodge_session_id, "lodge");
        }
        other => panic!("expected a registered version activity, got {other:?}"),
    }
}
