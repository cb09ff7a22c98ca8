//! The transport under faults: which requests are retried and how often, the
//! 401 refresh, timeouts, redirects, body limits and what tracing records.
//! Every case counts the attempts the fault-injecting loopback server saw.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::deployment::{MockDeployment, TOKEN};
use common::keycloak::{LogCapture, RefusingPort};
use common::raw_tcp::{RawReply, RawServer};
use common::recorder::{Recorder, Reply};
use provena_client::auth::{AccessToken, AuthError, AuthManager};
use provena_client::retry::RetryPolicy;
use provena_client::{Config, Error, ProvenaClient, Upload};
use serde_json::json;

/// Fast retries, so that the tests do not wait long.
fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        max_elapsed: Duration::from_secs(20),
    }
}

fn unavailable() -> Reply {
    Reply::json(503, &json!({"detail": "cold start"}))
}

fn health() -> Reply {
    Reply::json(200, &json!({"message": "ok"}))
}

fn sample<T: serde::de::DeserializeOwned>(service: &str, schema: &str) -> T {
    let document = common::specs::document(service);
    let value = common::specs::sample(
        &document,
        &json!({"$ref": format!("#/components/schemas/{schema}")}),
    );
    serde_json::from_value(value).expect("schema sample decodes")
}

#[tokio::test]
async fn a_get_is_retried_on_503_until_it_succeeds() {
    let deployment = MockDeployment::start().await;
    let job = deployment.service("job");
    job.push(unavailable());
    job.push(unavailable());
    job.push(health());
    let client = deployment.client_with(deployment.config_builder().retry(quick_retries(4)));

    client
        .job_api()
        .get_health_check()
        .await
        .expect("third attempt succeeds");

    assert_eq!(job.hits(), 3);
}

#[tokio::test]
async fn retries_stop_at_the_attempt_limit() {
    let deployment = MockDeployment::start().await;
    let job = deployment.service("job");
    job.set_fallback(Reply::json(502, &json!({"detail": "bad gateway"})));
    let client = deployment.client_with(deployment.config_builder().retry(quick_retries(3)));

    let error = client.job_api().fetch_job("s-1").await.unwrap_err();

    assert!(
        matches!(error, Error::Status { status: 502, .. }),
        "{error:?}"
    );
    assert_eq!(job.hits(), 3);
}

#[tokio::test]
async fn each_transient_status_is_retried_and_others_are_not() {
    let deployment = MockDeployment::start().await;
    let search = deployment.service("search");
    let client = deployment.client_with(deployment.config_builder().retry(quick_retries(2)));
    for (status, expected_hits) in [
        (429, 2),
        (502, 2),
        (503, 2),
        (504, 2),
        (500, 1),
        (404, 1),
        (400, 1),
    ] {
        deployment.reset();
        search.set_fallback(Reply::json(status, &json!({"detail": "x"})));
        let _ = client
            .search()
            .search_registry("q", None, None)
            .await
            .unwrap_err();
        assert_eq!(search.hits(), expected_hits, "status {status}");
    }
}

#[tokio::test]
async fn a_get_is_retried_when_the_connection_drops() {
    let deployment = MockDeployment::start().await;
    let registry = deployment.service("registry");
    registry.push(Reply::Drop);
    registry.push(health());
    let client = deployment.client_with(deployment.config_builder().retry(quick_retries(3)));

    client
        .registry()
        .get_health_check()
        .await
        .expect("retried after the drop");

    assert_eq!(registry.hits(), 2);
}

const HEALTH: &str = r#"{"message":"ok"}"#;

#[tokio::test]
async fn a_get_whose_connection_drops_mid_body_is_retried() {
    let server = RawServer::start(vec![RawReply::cut(HEALTH, 5), RawReply::full(HEALTH)]).await;
    let deployment = MockDeployment::start().await;
    let client = deployment.client_with(
        deployment
            .config_builder()
            .endpoint("job", server.url())
            .retry(quick_retries(3)),
    );

    let health = client
        .job_api()
        .get_health_check()
        .await
        .expect("retried after the body broke off");

    assert_eq!(health["message"], "ok");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_body_that_keeps_breaking_off_is_a_retryable_connection_error() {
    let server = RawServer::start(vec![RawReply::cut(HEALTH, 5)]).await;
    let deployment = MockDeployment::start().await;
    let client = deployment.client_with(
        deployment
            .config_builder()
            .endpoint("job", server.url())
            .retry(quick_retries(2)),
    );

    let error = client.job_api().get_health_check().await.unwrap_err();

    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(server.hits(), 2, "every attempt allowed");
}

#[tokio::test]
async fn a_read_only_post_is_retried() {
    let deployment = MockDeployment::start().await;
    let job = deployment.service("job");
    job.push(unavailable());
    job.push(Reply::json(200, &json!({"jobs": []})));
    let client = deployment.client_with(deployment.config_builder().retry(quick_retries(3)));

    let request = serde_json::from_value(json!({})).expect("empty list request");
    client
        .job_api()
        .list_jobs(&request)
        .await
        .expect("list retried");

    assert_eq!(job.hits(), 2);
}

#[tokio::test]
async fn a_creating_post_is_not_retried_on_503() {
    let deployment = MockDeployment::start().await;
    let datastore = deployment.service("datastore");
    datastore.set_fallback(unavailable());
    let client = deployment.client_with(deployment.config_builder().retry(quick_retries(4)));

    let metadata = sample("datastore", "CollectionFormat");
    let error = client
        .datastore()
        .mint_dataset(&metadata)
        .await
        .unwrap_err();

    assert!(
        matches!(error, Error::Status { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(datastore.hits(), 1, "a mint must never be sent twice");
}

#[tokio::test]
async fn a_creating_post_is_not_retried_when_the_connection_drops_after_sending() {
    let deployment = MockDeployment::start().await;
    let job = deployment.service("job");
    job.set_fallback(Reply::Drop);
    let client = deployment.client_with(deployment.config_builder().retry(quick_retries(4)));

    let request = sample("job", "AdminLaunchJobRequest");
    let error = client
        .job_api()
        .admin()
        .launch_job(&request)
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    assert_eq!(job.hits(), 1, "the server may have started the job");
}

#[tokio::test]
async fn a_creating_post_is_retried_when_nothing_was_sent() {
    // A port nobody listens on yet: the first attempt is refused before any
    // byte leaves. The server starts listening on that same socket (so that no
    // other test's server can take the port in between) only once the client
    // has logged the refused attempt as one to retry: for a write, only a
    // failed connect is. Nothing here depends on how long anything takes.
    let logs = LogCapture::start();
    let port = RefusingPort::new();
    let base = port.url();
    let deployment = MockDeployment::start().await;
    let policy = RetryPolicy {
        max_attempts: 12,
        initial_backoff: Duration::from_millis(40),
        max_backoff: Duration::from_millis(400),
        max_elapsed: Duration::from_secs(20),
    };
    let client = deployment.client_with(
        deployment
            .config_builder()
            .endpoint("id-service", base)
            .retry(policy),
    );
    let late_server = async {
        logs.wait_for("retryable=true").await;
        let listener = port.listen();
        let (mut stream, _) = listener.accept().await.expect("the retry connects");
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buffer = vec![0u8; 64 * 1024];
        let read = stream.read(&mut buffer).await.expect("request");
        let body = r#"{"id":"10378.1/9","properties":[]}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(answer.as_bytes()).await.expect("answer");
        String::from_utf8_lossy(&buffer[..read]).into_owned()
    };

    let request = sample("id-service", "MintRequest");
    let (handle, seen) = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::join!(client.id_service().mint(&request), late_server)
    })
    .await
    .unwrap_or_else(|_| panic!("no retry reached the server; the log:\n{}", logs.text()));

    let handle = handle.expect("mint after a refused connection");
    assert_eq!(handle.id, "10378.1/9");
    assert!(seen.starts_with("POST /handle/mint"), "{seen}");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let deployment = MockDeployment::start().await;
    let search = deployment.service("search");
    search.push(Reply::json(429, &json!({"detail": "slow down"})).with_header("retry-after", "1"));
    search.push(health());
    let policy = RetryPolicy {
        max_backoff: Duration::from_secs(5),
        ..quick_retries(2)
    };
    let client = deployment.client_with(deployment.config_builder().retry(policy));

    let started = Instant::now();
    client
        .search()
        .get_health_check()
        .await
        .expect("second attempt succeeds");

    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(search.hits(), 2);
}

#[tokio::test]
async fn disabled_retries_send_once() {
    let deployment = MockDeployment::start().await;
    let job = deployment.service("job");
    job.set_fallback(unavailable());
    let client = deployment.client_with(deployment.config_builder().retry(RetryPolicy::disabled()));

    let _ = client.job_api().get_health_check().await.unwrap_err();

    assert_eq!(job.hits(), 1);
}

#[tokio::test]
async fn no_retry_starts_after_the_total_time_budget() {
    // Answers take 1 s and the budget is 1.9 s: the first retry starts
    // within it (unless the first attempt ran 880 ms late), the second could
    // not start before 2 s. Exactly two attempts, whatever the load.
    let deployment = MockDeployment::start().await;
    let job = deployment.service("job");
    job.set_fallback(unavailable().delayed(Duration::from_secs(1)));
    let policy = RetryPolicy {
        max_elapsed: Duration::from_millis(1_900),
        ..quick_retries(50)
    };
    let client = deployment.client_with(deployment.config_builder().retry(policy));

    let error = client.job_api().get_health_check().await.unwrap_err();

    assert!(
        matches!(error, Error::Status { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(
        job.hits(),
        2,
        "attempts within a 1.9 s budget of 1 s answers"
    );
}

/// An auth manager that hands out `t1`, then `t2`, ... on each forced refresh.
#[derive(Debug, Default)]
struct Rotating {
    refreshes: AtomicUsize,
}

#[async_trait]
impl AuthManager for Rotating {
    async fn access_token(&self) -> Result<AccessToken, AuthError> {
        Ok(AccessToken::new(format!(
            "t{}",
            self.refreshes.load(Ordering::SeqCst) + 1
        )))
    }

    async fn force_refresh(&self) -> Result<AccessToken, AuthError> {
        let n = self.refreshes.fetch_add(1, Ordering::SeqCst) + 2;
        Ok(AccessToken::new(format!("t{n}")))
    }
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_retries_with_the_new_one() {
    let deployment = MockDeployment::start().await;
    let prov = deployment.service("prov");
    prov.push(Reply::json(401, &json!({"detail": "expired"})));
    prov.push(health());
    let auth = Arc::new(Rotating::default());
    let config = deployment.config_builder().build().unwrap();
    let client = ProvenaClient::new(config, auth.clone()).unwrap();

    client
        .prov()
        .get_health_check()
        .await
        .expect("retried with a fresh token");

    let requests = prov.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("authorization"), Some("Bearer t1"));
    assert_eq!(requests[1].header("authorization"), Some("Bearer t2"));
    assert_eq!(auth.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_second_401_is_returned_as_unauthorised_even_for_a_creating_post() {
    let deployment = MockDeployment::start().await;
    let prov = deployment.service("prov");
    prov.set_fallback(Reply::json(401, &json!({"detail": "no"})));
    let auth = Arc::new(Rotating::default());
    let client =
        ProvenaClient::new(deployment.config_builder().build().unwrap(), auth.clone()).unwrap();

    let record = sample("prov", "ModelRunRecord");
    let error = client.prov().register_model_run(&record).await.unwrap_err();

    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    assert_eq!(prov.hits(), 2);
    assert_eq!(auth.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_401_on_a_request_that_cannot_be_sent_again_refreshes_the_token_for_the_next_call() {
    let deployment = MockDeployment::start().await;
    let prov = deployment.service("prov");
    prov.push(Reply::json(401, &json!({"detail": "expired"})));
    prov.push(health());
    let auth = Arc::new(Rotating::default());
    let client =
        ProvenaClient::new(deployment.config_builder().build().unwrap(), auth.clone()).unwrap();
    // A streamed upload: its body cannot be copied, so it is not sent again.
    let csv = Upload::reader(std::io::Cursor::new(b"a,b\n".to_vec()));

    let error = client
        .prov()
        .convert_model_runs_to_csv(csv)
        .await
        .unwrap_err();
    client
        .prov()
        .get_health_check()
        .await
        .expect("the next call is accepted");

    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    let requests = prov.requests();
    assert_eq!(requests.len(), 2, "the upload was not sent again");
    assert_eq!(requests[0].header("authorization"), Some("Bearer t1"));
    assert_eq!(requests[1].header("authorization"), Some("Bearer t2"));
    assert_eq!(auth.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_silent_server_times_out_within_the_bound() {
    let deployment = MockDeployment::start().await;
    deployment.service("search").set_fallback(Reply::Hang);
    let client = deployment.client_with(
        deployment
            .config_builder()
            .request_timeout(Duration::from_millis(300))
            .retry(RetryPolicy::disabled()),
    );

    let started = Instant::now();
    let error = client.search().get_health_check().await.unwrap_err();

    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(error.to_string(), "search.root: timed out");
}

#[tokio::test]
async fn a_per_call_timeout_overrides_the_configured_one() {
    let deployment = MockDeployment::start().await;
    let prov = deployment.service("prov");
    // Every request is answered 600 ms after it arrives, three times the
    // configured timeout: that timeout always comes first (reqwest checks it
    // before the answer, even when both are due), and only a timeout that
    // replaced it lets the answer arrive. Not a queue of a hang, then an
    // answer: the first call may time out before its request arrives, and the
    // second would then hang. The per-call 30 s is a safety net for a loaded
    // machine.
    prov.set_fallback(Reply::raw(200, "text/csv", "a,b\n").delayed(Duration::from_millis(600)));
    let client = deployment.client_with(
        deployment
            .config_builder()
            .request_timeout(Duration::from_millis(200))
            .retry(RetryPolicy::disabled()),
    );

    let short = client.prov().generate_csv_template("t").await.unwrap_err();
    assert!(matches!(short, Error::Timeout { .. }), "{short:?}");

    let csv = provena_client::with_timeout(
        Duration::from_secs(30),
        client.prov().generate_csv_template("t"),
    )
    .await
    .expect("the longer per-call timeout lets the slow answer arrive");
    assert_eq!(&csv[..], b"a,b\n");
}

#[tokio::test]
async fn timeouts_of_safe_operations_are_retried() {
    let deployment = MockDeployment::start().await;
    let search = deployment.service("search");
    // The first attempt is never answered, so whatever the timeout, it ends
    // in one; the retry is answered at once, and the same timeout has to be
    // long enough for it on a loaded machine.
    search.push(Reply::Hang);
    search.push(health());
    let client = deployment.client_with(
        deployment
            .config_builder()
            .request_timeout(Duration::from_secs(5))
            .retry(quick_retries(2)),
    );

    client
        .search()
        .get_health_check()
        .await
        .expect("second attempt answers");

    assert_eq!(search.hits(), 2);
}

#[tokio::test]
async fn the_token_is_not_sent_to_another_host_after_a_redirect() {
    let deployment = MockDeployment::start().await;
    let elsewhere = Recorder::start().await;
    elsewhere.push(health());
    deployment.service("registry").push(
        Reply::raw(307, "text/plain", "moved")
            .with_header("location", &format!("{}/", elsewhere.url())),
    );

    deployment
        .client()
        .registry()
        .get_health_check()
        .await
        .expect("redirect followed");

    let first = &deployment.service("registry").requests()[0];
    assert_eq!(
        first.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let followed = &elsewhere.requests()[0];
    assert_eq!(
        followed.header("authorization"),
        None,
        "credentials leaked to {}",
        followed.host
    );
}

#[tokio::test]
async fn a_json_body_above_the_limit_is_refused() {
    let deployment = MockDeployment::start().await;
    let big = json!({"message": "x".repeat(10_000)});
    deployment.service("job").push(Reply::json(200, &big));
    let client = deployment.client_with(deployment.config_builder().max_body_bytes(4_096));

    let error = client.job_api().get_health_check().await.unwrap_err();

    assert!(
        matches!(error, Error::TooLarge { limit: 4_096, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_file_body_above_the_limit_is_refused() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("prov")
        .push(Reply::raw(200, "text/csv", "a,b\n".repeat(5_000)));
    let client = deployment.client_with(deployment.config_builder().max_body_bytes(1_000));

    let error = client.prov().generate_csv_template("t").await.unwrap_err();

    assert!(
        matches!(error, Error::TooLarge { limit: 1_000, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn tracing_records_the_operation_and_never_the_token() {
    let logs = LogCapture::start();
    let deployment = MockDeployment::start().await;
    let search = deployment.service("search");
    search.push(unavailable());
    search.push(health());
    let client = deployment.client_with(deployment.config_builder().retry(quick_retries(2)));

    client.search().get_health_check().await.expect("succeeds");

    let text = logs.text();
    assert!(text.contains("provena.request"), "{text}");
    assert!(
        text.contains("service=\"search\"") || text.contains("service=search"),
        "{text}"
    );
    assert!(
        text.contains("operation=\"root\"") || text.contains("operation=root"),
        "{text}"
    );
    assert!(text.contains("attempt=2"), "{text}");
    assert!(text.contains("status=200"), "{text}");
    assert!(text.contains("duration_ms="), "{text}");
    assert!(!text.contains(TOKEN), "the token leaked into the logs");
}

/// The one `operation finished` event logged so far.
fn finished_event(logs: &LogCapture) -> String {
    let text = logs.text();
    let events: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("operation finished"))
        .collect();
    assert_eq!(events.len(), 1, "{text}");
    events[0].to_string()
}

#[tokio::test]
async fn an_operation_answered_404_is_logged_as_failed() {
    let logs = LogCapture::start();
    let deployment = MockDeployment::start().await;
    deployment
        .service("job")
        .push(Reply::json(404, &json!({"detail": "no such job"})));

    let _ = deployment
        .client()
        .job_api()
        .fetch_job("s-1")
        .await
        .unwrap_err();

    let event = finished_event(&logs);
    assert!(event.contains("ok=false"), "{event}");
    assert!(event.contains("error.kind=not_found"), "{event}");
    assert!(event.contains("status=404"), "{event}");
}

#[tokio::test]
async fn an_operation_answered_500_is_logged_as_failed() {
    let logs = LogCapture::start();
    let deployment = MockDeployment::start().await;
    deployment
        .service("search")
        .push(Reply::json(500, &json!({"detail": "boom"})));

    let _ = deployment
        .client()
        .search()
        .search_registry("q", None, None)
        .await
        .unwrap_err();

    let event = finished_event(&logs);
    assert!(event.contains("ok=false"), "{event}");
    assert!(event.contains("error.kind=status"), "{event}");
    assert!(event.contains("status=500"), "{event}");
}

#[tokio::test]
async fn an_operation_rejected_in_its_body_is_logged_as_failed() {
    let logs = LogCapture::start();
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(Reply::json(
        200,
        &json!({"status": {"success": false, "details": "locked"}}),
    ));

    let error = deployment
        .client()
        .prov()
        .add_study_link("m-1", "s-1")
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Rejected { .. }), "{error:?}");
    let event = finished_event(&logs);
    assert!(event.contains("ok=false"), "{event}");
    assert!(event.contains("error.kind=rejected"), "{event}");
}

#[tokio::test]
async fn an_operation_with_an_oversized_body_is_logged_as_failed() {
    let logs = LogCapture::start();
    let deployment = MockDeployment::start().await;
    let big = json!({"message": "x".repeat(10_000)});
    deployment.service("job").push(Reply::json(200, &big));
    let client = deployment.client_with(deployment.config_builder().max_body_bytes(4_096));

    let _ = client.job_api().get_health_check().await.unwrap_err();

    let event = finished_event(&logs);
    assert!(event.contains("ok=false"), "{event}");
    assert!(event.contains("error.kind=too_large"), "{event}");
}

#[tokio::test]
async fn an_operation_whose_connection_drops_is_logged_as_failed() {
    let logs = LogCapture::start();
    let deployment = MockDeployment::start().await;
    deployment.service("job").set_fallback(Reply::Drop);
    let client = deployment.client_with(deployment.config_builder().retry(RetryPolicy::disabled()));

    let _ = client.job_api().get_health_check().await.unwrap_err();

    let event = finished_event(&logs);
    assert!(event.contains("ok=false"), "{event}");
    assert!(event.contains("error.kind=connection"), "{event}");
}

#[tokio::test]
async fn a_successful_operation_is_logged_as_ok() {
    let logs = LogCapture::start();
    let deployment = MockDeployment::start().await;
    deployment.service("job").push(health());

    deployment
        .client()
        .job_api()
        .get_health_check()
        .await
        .expect("succeeds");

    let event = finished_event(&logs);
    assert!(event.contains("ok=true"), "{event}");
    assert!(!event.contains("error.kind"), "{event}");
}

// That the `Authorization` header itself is marked sensitive (hidden from a
// request's debug output) is a unit test in src/transport.rs: no public
// value holds a request.
#[tokio::test]
async fn the_clients_debug_output_never_shows_the_token() {
    let config = Config::builder().domain("example.org").build().unwrap();
    let client =
        ProvenaClient::new(config, provena_client::auth::StaticToken::shared(TOKEN)).unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains(TOKEN), "{debug}");
}

#[test]
fn a_facade_calls_future_is_small_because_the_request_path_lives_behind_a_box() {
    // Futures are moved at every level they are awaited through and held
    // whole by callers that keep many in flight (`join_all` over thousands
    // of fetches); the retry loop and body read behind them measure KBs.
    let config = Config::builder()
        .domain("example.invalid")
        .endpoint("registry", "http://127.0.0.1:9")
        .build()
        .expect("config");
    let client = ProvenaClient::new(config, provena_client::auth::StaticToken::shared(TOKEN))
        .expect("client");
    let registry = client.registry();

    let future =
        registry.fetch_item::<provena_client::clients::registry::Organisation>("10378.1/1", None);

    assert!(
        std::mem::size_of_val(&future) <= 512,
        "{} bytes",
        std::mem::size_of_val(&future)
    );
}
