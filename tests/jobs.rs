//! Job waiters (`provena_client::jobs`) against loopback servers, on paused
//! tokio time (every pause between polls is virtual), and report downloads
//! through a temporary file.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use provena_client::clients::registry::Model;
use provena_client::jobs::{
    JOB_STARTING_RESPONSES, JobOutcome, JobResult, ReportError, StartsJob, WaitError,
};
use provena_client::models;
use serde_json::{Value, json};

use common::deployment::MockDeployment;
use common::raw_tcp::{RawReply, RawServer};
use common::recorder::{Recorded, Recorder, Reply};
use common::specs;

const SECOND: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------- fixtures

/// The job service's answer for a session it does not know (yet).
fn unknown_session() -> Reply {
    Reply::json(400, &json!({"detail": "Item was not found."}))
}

/// A job row with `status`, of `sub_type`, with `result` and `info`.
fn job_row(status: &str, sub_type: &str, result: Option<Value>, info: Option<&str>) -> Value {
    json!({
        "session_id": "session-1",
        "created_timestamp": 1_700_000_000,
        "username": "someone",
        "payload": {},
        "job_type": if sub_type == "GENERATE_REPORT" { "REPORT" } else { "REGISTRY" },
        "job_sub_type": sub_type,
        "status": status,
        "result": result,
        "info": info,
    })
}

fn fetched(row: Value) -> Reply {
    Reply::json(200, &json!({ "job": row }))
}

/// Answers the polls in order with `replies`; the last one repeats.
/// Records the (virtual) instant of each poll.
fn serve_polls(server: &Recorder, replies: Vec<Reply>) -> Arc<Mutex<Vec<tokio::time::Instant>>> {
    let instants = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&instants);
    server.respond_with(move |_| {
        let mut seen = seen.lock().expect("poll log");
        seen.push(tokio::time::Instant::now());
        let n = seen.len() - 1;
        replies[n.min(replies.len() - 1)].clone()
    });
    instants
}

fn session_of(request: &Recorded) -> Option<&str> {
    request
        .query
        .iter()
        .find(|(name, _)| name == "session_id")
        .map(|(_, value)| value.as_str())
}

fn registered() -> Value {
    json!({"creation_activity_id": "10378.1/77", "lodge_session_id": "lodge-1"})
}

/// A fresh, empty directory under the system's temporary directory.
fn empty_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("provena-jobs-{name}-{nanos}"));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

fn entries(dir: &PathBuf) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("read directory")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

// ---------------------------------------------------------------- the table

/// Every answer schema of the documents with a top-level `…session_id`
/// field: the answers of operations that start a job.
#[test]
fn every_answer_naming_a_job_session_implements_starts_job() {
    let mut documents = BTreeSet::new();
    for service in [
        "registry",
        "datastore",
        "job",
        "auth",
        "prov",
        "search",
        "id-service",
    ] {
        let document = specs::document(service);
        for operation in specs::operations(service) {
            let Some((_, schema)) = operation.response() else {
                continue;
            };
            let Some(name) = schema.get("$ref").and_then(Value::as_str) else {
                continue;
            };
            let name = name.rsplit('/').next().unwrap_or_default();
            let properties = &document["components"]["schemas"][name]["properties"];
            for field in properties.as_object().into_iter().flatten().map(|(k, _)| k) {
                if field.ends_with("session_id") {
                    documents.insert((name.to_string(), field.clone()));
                }
            }
        }
    }
    let table: BTreeSet<(String, String)> = JOB_STARTING_RESPONSES
        .iter()
        .map(|(response, field)| (response.to_string(), field.to_string()))
        .collect();
    assert_eq!(
        table, documents,
        "src/jobs.rs starts_job! table vs specs/*.json"
    );
}

// ---------------------------------------------------------------- waiting

#[tokio::test(start_paused = true)]
async fn a_job_unknown_at_first_then_pending_yields_its_typed_result_once_succeeded() {
    let deployment = MockDeployment::start().await;
    let polls = serve_polls(
        deployment.service("job"),
        vec![
            unknown_session(),
            unknown_session(),
            unknown_session(),
            fetched(job_row("PENDING", "REGISTER_CREATE_ACTIVITY", None, None)),
            fetched(job_row(
                "IN_PROGRESS",
                "REGISTER_CREATE_ACTIVITY",
                None,
                None,
            )),
            fetched(job_row(
                "SUCCEEDED",
                "REGISTER_CREATE_ACTIVITY",
                Some(registered()),
                None,
            )),
        ],
    );

    let job = deployment
        .client()
        .job_api()
        .wait("session-1")
        .send()
        .await
        .expect("the job succeeds");

    match job.result {
        JobResult::CreateActivityRegistered(activity) => {
            assert_eq!(activity.activity_id, "10378.1/77");
            assert_eq!(activity.lodge_session_id, "lodge-1");
        }
        other => panic!("expected a registered creation activity, got {other:?}"),
    }
    assert_eq!(polls.lock().expect("polls").len(), 6);
    for request in deployment.service("job").requests() {
        assert_eq!(request.path, "/jobs/user/fetch");
        assert_eq!(session_of(&request), Some("session-1"));
    }
}

#[tokio::test(start_paused = true)]
async fn pauses_between_polls_double_with_jitter_up_to_the_maximum() {
    let deployment = MockDeployment::start().await;
    let mut replies = vec![fetched(job_row("PENDING", "REGISTRY_WAKE_UP", None, None)); 9];
    replies.push(fetched(job_row(
        "SUCCEEDED",
        "REGISTRY_WAKE_UP",
        None,
        None,
    )));
    let polls = serve_polls(deployment.service("job"), replies);

    let job = deployment
        .client()
        .job_api()
        .wait("session-1")
        .poll_delays(SECOND, 8 * SECOND)
        .send()
        .await
        .expect("the job succeeds");

    assert_eq!(job.result, JobResult::Empty);
    let polls = polls.lock().expect("polls").clone();
    assert_eq!(polls.len(), 10);
    for (n, pair) in polls.windows(2).enumerate() {
        let pause = pair[1] - pair[0];
        let ceiling = (SECOND * 2u32.pow(n as u32)).min(8 * SECOND);
        assert!(
            pause >= ceiling / 2 && pause <= ceiling,
            "pause {n}: {pause:?}, ceiling {ceiling:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_job_still_pending_at_the_limit_times_out_with_its_last_status() {
    let deployment = MockDeployment::start().await;
    let polls = serve_polls(
        deployment.service("job"),
        vec![fetched(job_row(
            "IN_PROGRESS",
            "REGISTRY_WAKE_UP",
            None,
            None,
        ))],
    );
    let started = tokio::time::Instant::now();

    let error = deployment
        .client()
        .job_api()
        .wait("session-1")
        .max_wait(60 * SECOND)
        .poll_delays(SECOND, 10 * SECOND)
        .send()
        .await
        .expect_err("the job never finishes");

    match &error {
        WaitError::TimedOut {
            session_id,
            waited,
            last_status,
        } => {
            assert_eq!(session_id, "session-1");
            assert_eq!(*waited, 60 * SECOND, "the last poll is at the limit");
            assert_eq!(last_status, &Some(models::JobStatus::InProgress));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(error.to_string().contains("IN_PROGRESS"), "{error}");
    let polls = polls.lock().expect("polls").clone();
    assert_eq!(*polls.last().expect("polls") - started, 60 * SECOND);
    assert!(polls.len() <= 13, "{} polls in a minute", polls.len());
}

#[tokio::test(start_paused = true)]
async fn a_job_never_seen_times_out_without_a_status_when_the_grace_outlasts_the_wait() {
    let deployment = MockDeployment::start().await;
    serve_polls(deployment.service("job"), vec![unknown_session()]);

    let error = deployment
        .client()
        .job_api()
        .wait("session-1")
        .max_wait(30 * SECOND)
        .grace_period(60 * SECOND)
        .send()
        .await
        .expect_err("never visible");

    assert!(
        matches!(
            error,
            WaitError::TimedOut {
                last_status: None,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_job_still_unknown_after_the_grace_period_is_an_api_error() {
    let deployment = MockDeployment::start().await;
    let polls = serve_polls(deployment.service("job"), vec![unknown_session()]);
    let started = tokio::time::Instant::now();

    let error = deployment
        .client()
        .job_api()
        .wait("session-1")
        .grace_period(10 * SECOND)
        .send()
        .await
        .expect_err("unknown for good");

    match &error {
        WaitError::Api { session_id, source } => {
            assert_eq!(session_id, "session-1");
            assert!(source.is_not_found(), "{source}");
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    let last = *polls.lock().expect("polls").last().expect("polls");
    assert!(
        last - started > 10 * SECOND,
        "gave up only after the grace period"
    );
}

#[tokio::test(start_paused = true)]
async fn no_access_ends_the_wait_at_once() {
    let deployment = MockDeployment::start().await;
    let polls = serve_polls(
        deployment.service("job"),
        vec![Reply::json(403, &json!({"detail": "forbidden"}))],
    );

    let error = deployment
        .client()
        .job_api()
        .wait("session-1")
        .send()
        .await
        .expect_err("forbidden");

    assert!(matches!(&error, WaitError::Api { source, .. } if source.status() == Some(403)));
    assert_eq!(polls.lock().expect("polls").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_job_is_an_error_of_send_and_an_outcome_of_until_finished() {
    let deployment = MockDeployment::start().await;
    serve_polls(
        deployment.service("job"),
        vec![fetched(job_row(
            "FAILED",
            "REGISTRY_WAKE_UP",
            None,
            Some("the worker gave up"),
        ))],
    );
    let client = deployment.client();
    let jobs = client.job_api();

    let error = jobs.wait("session-1").send().await.expect_err("failed");
    let failed = error.failed_job().expect("a failed job");
    assert_eq!(failed.info(), Some("the worker gave up"));
    assert!(error.to_string().contains("the worker gave up"), "{error}");

    match jobs
        .await_job_completion("session-1")
        .await
        .expect("an outcome")
    {
        JobOutcome::Failed(job) => assert_eq!(job.info(), Some("the worker gave up")),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_result_that_is_not_its_sub_types_shape_is_an_error_naming_the_sub_type() {
    let deployment = MockDeployment::start().await;
    serve_polls(
        deployment.service("job"),
        vec![fetched(job_row(
            "SUCCEEDED",
            "REGISTER_CREATE_ACTIVITY",
            Some(json!({"x": 1})),
            None,
        ))],
    );

    let error = deployment
        .client()
        .job_api()
        .await_successful_job_completion("session-1")
        .await
        .expect_err("undecodable");

    assert!(
        matches!(&error, WaitError::UndecodableResult { sub_type, .. } if sub_type == "REGISTER_CREATE_ACTIVITY"),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn as_admin_polls_the_administrators_fetch() {
    let deployment = MockDeployment::start().await;
    serve_polls(
        deployment.service("job"),
        vec![fetched(job_row(
            "SUCCEEDED",
            "REGISTRY_WAKE_UP",
            None,
            None,
        ))],
    );

    deployment
        .client()
        .job_api()
        .wait("session-1")
        .as_admin()
        .send()
        .await
        .expect("succeeds");

    let requests = deployment.service("job").requests();
    assert_eq!(requests[0].path, "/jobs/admin/fetch");
}

#[tokio::test(start_paused = true)]
async fn start_and_wait_waits_for_the_job_the_starting_answer_names() {
    let deployment = MockDeployment::start().await;
    deployment.service("registry").push(Reply::json(
        200,
        &json!({"new_version_id": "10378.1/9", "version_job_session_id": "version-job"}),
    ));
    serve_polls(
        deployment.service("job"),
        vec![
            unknown_session(),
            fetched(job_row(
                "SUCCEEDED",
                "REGISTER_VERSION_ACTIVITY",
                Some(json!({"version_activity_id": "10378.1/10", "lodge_session_id": "lodge-2"})),
                None,
            )),
        ],
    );
    let client = deployment.client();
    let request: models::VersionRequest =
        serde_json::from_value(json!({"id": "10378.1/8", "reason": "new data"})).expect("request");

    let done = client
        .job_api()
        .start_and_wait(client.registry().version::<Model>(&request))
        .await
        .expect("versioned and recorded");

    assert_eq!(done.response.new_version_id, "10378.1/9");
    assert!(
        matches!(done.job.result, JobResult::VersionActivityRegistered(a) if a.activity_id == "10378.1/10")
    );
    let polls = deployment.service("job").requests();
    assert!(
        polls
            .iter()
            .all(|poll| session_of(poll) == Some("version-job"))
    );
}

#[tokio::test(start_paused = true)]
async fn start_and_wait_reports_an_answer_without_a_session_id_as_not_started() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(Reply::json(
        200,
        &json!({"status": {"success": true, "details": "ok"}, "session_id": null}),
    ));
    let client = deployment.client();
    let batch = models::RegisterBatchModelRunRequest { records: vec![] };

    let error = client
        .job_api()
        .start_and_wait(client.prov().register_batch_model_runs(&batch))
        .await
        .expect_err("no job");

    assert!(
        matches!(
            error,
            WaitError::NotStarted {
                response: "RegisterBatchModelRunResponse"
            }
        ),
        "{error:?}"
    );
    assert_eq!(deployment.service("job").hits(), 0);
}

#[tokio::test(start_paused = true)]
async fn start_and_wait_reports_a_failed_start_without_polling() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("prov")
        .push(Reply::json(403, &json!({"detail": "no"})));
    let client = deployment.client();
    let batch = models::RegisterBatchModelRunRequest { records: vec![] };

    let error = client
        .job_api()
        .start_and_wait(client.prov().register_batch_model_runs(&batch))
        .await
        .expect_err("refused");

    assert!(matches!(&error, WaitError::Start(source) if source.status() == Some(403)));
    assert_eq!(deployment.service("job").hits(), 0);
}

// ---------------------------------------------------------------- reports

fn report_request() -> models::GenerateReportRequest {
    serde_json::from_value(json!({"id": "10378.1/5", "item_subtype": "MODEL_RUN", "depth": 2}))
        .expect("request")
}

/// The prov API starts report job `report-job`; the job API says it
/// succeeded with `report_url`.
fn serve_report_job(deployment: &MockDeployment, report_url: &str) {
    deployment
        .service("prov")
        .push(Reply::json(200, &json!({"session_id": "report-job"})));
    serve_polls(
        deployment.service("job"),
        vec![
            unknown_session(),
            fetched(job_row(
                "SUCCEEDED",
                "GENERATE_REPORT",
                Some(json!({ "report_url": report_url })),
                None,
            )),
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn a_report_is_downloaded_whole_into_its_path() {
    let deployment = MockDeployment::start().await;
    let storage = Recorder::start().await;
    let docx: Vec<u8> = (0..200_000u32).map(|n| (n % 251) as u8).collect();
    storage.push(Reply::raw(
        200,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        docx.clone(),
    ));
    let url = format!("{}/reports/r.docx?X-Amz-Signature=secret", storage.url());
    serve_report_job(&deployment, &url);
    let dir = empty_dir("whole");
    let path = dir.join("lineage.docx");

    let report = deployment
        .client()
        .generate_report_to_path(&report_request(), &path)
        .await
        .expect("the report is written");

    assert_eq!(report.path, path);
    assert_eq!(report.bytes, docx.len() as u64);
    assert_eq!(report.session_id, "report-job");
    assert_eq!(std::fs::read(&path).expect("the report"), docx);
    assert_eq!(
        entries(&dir),
        BTreeSet::from(["lineage.docx".to_string()]),
        "no temporary file left"
    );
    let download = &storage.requests()[0];
    assert_eq!(download.path, "/reports/r.docx");
    assert_eq!(
        download.header("authorization"),
        None,
        "a presigned URL gets no bearer token"
    );
    let started = &deployment.service("prov").requests()[0];
    assert_eq!(started.path, "/explore/generate/report");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(start_paused = true)]
async fn a_refused_download_leaves_no_file_and_keeps_an_existing_one() {
    let deployment = MockDeployment::start().await;
    let storage = Recorder::start().await;
    storage.push(Reply::raw(
        403,
        "application/xml",
        "<Error>AccessDenied</Error>",
    ));
    let url = format!("{}/reports/r.docx?X-Amz-Signature=secret", storage.url());
    serve_report_job(&deployment, &url);
    let dir = empty_dir("refused");
    let path = dir.join("lineage.docx");
    std::fs::write(&path, b"the previous report").expect("an older report");

    let error = deployment
        .client()
        .generate_report_to_path(&report_request(), &path)
        .await
        .expect_err("refused");

    match &error {
        ReportError::Download { status, url, .. } => {
            assert_eq!(*status, Some(403));
            assert!(!url.contains("secret"), "{url}");
        }
        other => panic!("expected a download error, got {other:?}"),
    }
    assert!(!error.to_string().contains("secret"), "{error}");
    assert_eq!(std::fs::read(&path).expect("kept"), b"the previous report");
    assert_eq!(entries(&dir), BTreeSet::from(["lineage.docx".to_string()]));
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(start_paused = true)]
async fn a_download_cut_short_leaves_no_partial_file() {
    let deployment = MockDeployment::start().await;
    let body = "x".repeat(50_000);
    let storage = RawServer::start(vec![RawReply::cut(&body, 10_000)]).await;
    let url = format!("{}/reports/r.docx?X-Amz-Signature=secret", storage.url());
    serve_report_job(&deployment, &url);
    let dir = empty_dir("cut");
    let path = dir.join("lineage.docx");

    let error = deployment
        .client()
        .generate_report_to_path(&report_request(), &path)
        .await
        .expect_err("cut short");

    assert!(
        matches!(
            error,
            ReportError::Download {
                status: Some(200),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        entries(&dir).is_empty(),
        "neither the report nor its temporary file: {:?}",
        entries(&dir)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(start_paused = true)]
async fn a_failed_report_job_is_a_job_error_and_downloads_nothing() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("prov")
        .push(Reply::json(200, &json!({"session_id": "report-job"})));
    serve_polls(
        deployment.service("job"),
        vec![fetched(job_row(
            "FAILED",
            "GENERATE_REPORT",
            None,
            Some("no such item"),
        ))],
    );
    let dir = empty_dir("failed-job");

    let error = deployment
        .client()
        .generate_report_to_path(&report_request(), dir.join("lineage.docx"))
        .await
        .expect_err("the job failed");

    assert!(
        matches!(&error, ReportError::Job(WaitError::Failed(job)) if job.info() == Some("no such item"))
    );
    assert!(entries(&dir).is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(start_paused = true)]
async fn by_default_the_first_pause_is_at_most_half_a_second_and_the_grace_two_minutes() {
    let deployment = MockDeployment::start().await;
    let polls = serve_polls(deployment.service("job"), vec![unknown_session()]);
    let started = tokio::time::Instant::now();

    let error = deployment
        .client()
        .job_api()
        .wait("session-1")
        .send()
        .await
        .expect_err("never visible");

    assert!(matches!(error, WaitError::Api { .. }), "{error:?}");
    let polls = polls.lock().expect("polls").clone();
    let first_pause = polls[1] - polls[0];
    assert!(
        first_pause >= Duration::from_millis(250) && first_pause <= Duration::from_millis(500),
        "{first_pause:?}"
    );
    let gave_up = *polls.last().expect("polls") - started;
    assert!(
        gave_up > 120 * SECOND,
        "not before the grace period ended: {gave_up:?}"
    );
    let before_last = polls[polls.len() - 2] - started;
    assert!(
        before_last <= 120 * SECOND,
        "the poll before was still within it: {before_last:?}"
    );
    // Pauses double from half a second up to fifteen: from the sixth on,
    // each is between half of that and all of it.
    let capped: Vec<Duration> = polls
        .windows(2)
        .skip(5)
        .map(|pair| pair[1] - pair[0])
        .collect();
    assert!(capped.len() >= 5, "{} pauses at the cap", capped.len());
    for pause in &capped {
        assert!(
            *pause >= Duration::from_millis(7500) && *pause <= 15 * SECOND,
            "{pause:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_starting_answer_gives_a_wait_for_its_job_to_configure() {
    let deployment = MockDeployment::start().await;
    serve_polls(
        deployment.service("job"),
        vec![fetched(job_row("PENDING", "REGISTRY_WAKE_UP", None, None))],
    );
    let launched: models::AdminLaunchJobResponse =
        serde_json::from_value(json!({"session_id": "launched"})).expect("answer");
    let client = deployment.client();

    let error = launched
        .job_wait(client.job_api())
        .expect("the answer names a job")
        .as_admin()
        .max_wait(5 * SECOND)
        .send()
        .await
        .expect_err("still pending");

    assert!(
        matches!(&error, WaitError::TimedOut { session_id, waited, .. }
        if session_id == "launched" && waited == &(5 * SECOND)),
        "{error:?}"
    );
    let polls = deployment.service("job").requests();
    assert!(
        polls
            .iter()
            .all(|poll| poll.path == "/jobs/admin/fetch" && session_of(poll) == Some("launched"))
    );
}

#[tokio::test(start_paused = true)]
async fn start_and_wait_follows_an_optional_session_id_that_is_there() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(Reply::json(
        200,
        &json!({"status": {"success": true, "details": "ok"}, "session_id": "batch-job"}),
    ));
    serve_polls(
        deployment.service("job"),
        vec![fetched(job_row(
            "SUCCEEDED",
            "MODEL_RUN_BATCH_SUBMIT",
            Some(json!({"batch_id": "b-7"})),
            None,
        ))],
    );
    let client = deployment.client();
    let batch = models::RegisterBatchModelRunRequest { records: vec![] };

    let done = client
        .job_api()
        .start_and_wait(client.prov().register_batch_model_runs(&batch))
        .await
        .expect("submitted");

    assert!(matches!(done.job.result, JobResult::BatchSubmitted(b) if b.batch_id == "b-7"));
    let polls = deployment.service("job").requests();
    assert_eq!(polls.len(), 1);
    assert_eq!(session_of(&polls[0]), Some("batch-job"));
}
