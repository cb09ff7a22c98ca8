//! The hand-written multipart upload (`convert_model_runs_csv`): bytes, text,
//! a file path and an async reader all arrive as the `csv_file` part; content
//! in memory is sent again on a retry, a stream is sent once.

mod common;

use std::time::Duration;

use common::deployment::MockDeployment;
use common::recorder::Reply;
use provena_client::retry::RetryPolicy;
use provena_client::{Error, Upload};
use serde_json::json;

const CSV: &str = "display_name,description\nrun one,first\nrun two,second\n";

fn converted() -> Reply {
    Reply::json(
        200,
        &json!({"status": {"success": true, "details": "ok"}, "new_records": []}),
    )
}

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

/// The `csv_file` part's content, from a recorded multipart body.
fn csv_part(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let start = text.find("name=\"csv_file\"").expect("a csv_file part");
    let content = &text[start..];
    let content = &content[content.find("\r\n\r\n").expect("part headers end") + 4..];
    content[..content.find("\r\n--").expect("part end")].to_string()
}

/// A fresh directory under the system's temp dir, named after `tag` and this
/// process, holding `runs.csv` with [`CSV`] in it.
fn csv_file(tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("runs.csv");
    std::fs::write(&path, CSV).unwrap();
    (dir, path)
}

#[tokio::test]
async fn a_file_path_is_uploaded_as_text_csv() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(converted());
    let (dir, path) = csv_file("provena-multipart");

    deployment
        .client()
        .prov()
        .convert_model_runs_to_csv(path.as_path())
        .await
        .expect("converted");

    let request = &deployment.service("prov").requests()[0];
    assert_eq!(request.path, "/bulk/convert_model_runs/csv");
    assert!(
        request
            .header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    assert!(String::from_utf8_lossy(&request.body).contains("Content-Type: text/csv"));
    assert_eq!(csv_part(&request.body), CSV);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn an_async_reader_is_streamed_as_the_csv_part() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(converted());
    let reader = std::io::Cursor::new(CSV.as_bytes().to_vec());

    deployment
        .client()
        .prov()
        .convert_model_runs_to_csv(Upload::reader(reader))
        .await
        .expect("converted");

    let request = &deployment.service("prov").requests()[0];
    assert_eq!(csv_part(&request.body), CSV);
    assert!(request.header("authorization").is_some());
}

#[tokio::test]
async fn a_missing_file_is_invalid_input_and_nothing_is_sent() {
    let deployment = MockDeployment::start().await;
    let missing = std::path::Path::new("/nonexistent/provena/runs.csv");

    let error = deployment
        .client()
        .prov()
        .convert_model_runs_to_csv(missing)
        .await
        .unwrap_err();

    assert!(
        matches!(&error, Error::InvalidInput { message, .. } if message.contains("/nonexistent/provena/runs.csv")),
        "{error:?}"
    );
    assert_eq!(deployment.service("prov").hits(), 0);
}

#[tokio::test]
async fn a_rejected_conversion_reports_the_servers_details() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(Reply::json(
        200,
        &json!({"status": {"success": false, "details": "row 2: unknown dataset"}}),
    ));

    let error = deployment
        .client()
        .prov()
        .convert_model_runs_to_csv(CSV.as_bytes().to_vec())
        .await
        .unwrap_err();

    assert!(
        matches!(&error, Error::Rejected { details, .. } if details == "row 2: unknown dataset"),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_upload_from_bytes_is_sent_again_whole_after_a_503() {
    let deployment = MockDeployment::start().await;
    let prov = deployment.service("prov");
    prov.push(unavailable());
    prov.push(converted());
    let client = deployment.client_with(deployment.config_builder().retry(quick_retries(3)));

    client
        .prov()
        .convert_model_runs_to_csv(CSV.as_bytes())
        .await
        .expect("converted on the second attempt");

    let requests = prov.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(csv_part(&requests[1].body), CSV);
    assert_eq!(requests[1].body, requests[0].body, "the same body again");
    assert_eq!(
        requests[1].header("content-length"),
        Some(requests[1].body.len().to_string().as_str())
    );
    assert_eq!(
        requests[1].header("content-type"),
        requests[0].header("content-type"),
        "the same boundary again"
    );
}

#[tokio::test]
async fn an_upload_from_a_reader_is_sent_once_even_after_a_503() {
    let deployment = MockDeployment::start().await;
    let prov = deployment.service("prov");
    prov.set_fallback(unavailable());
    let client = deployment.client_with(deployment.config_builder().retry(quick_retries(3)));
    let reader = std::io::Cursor::new(CSV.as_bytes().to_vec());

    let error = client
        .prov()
        .convert_model_runs_to_csv(Upload::reader(reader))
        .await
        .unwrap_err();

    assert!(
        matches!(error, Error::Status { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(prov.hits(), 1, "a stream cannot be sent again");
}

#[tokio::test]
async fn a_str_is_uploaded_as_the_csv_content_not_as_a_path() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(converted());

    deployment
        .client()
        .prov()
        .convert_model_runs_to_csv(CSV)
        .await
        .expect("converted");

    let request = &deployment.service("prov").requests()[0];
    assert_eq!(csv_part(&request.body), CSV);
}

#[tokio::test]
async fn a_string_is_uploaded_as_the_csv_content() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(converted());

    deployment
        .client()
        .prov()
        .convert_model_runs_to_csv(CSV.to_string())
        .await
        .expect("converted");

    let request = &deployment.service("prov").requests()[0];
    assert_eq!(csv_part(&request.body), CSV);
}

#[tokio::test]
async fn a_path_buf_is_uploaded_as_the_files_content() {
    let deployment = MockDeployment::start().await;
    deployment.service("prov").push(converted());
    let (dir, path) = csv_file("provena-multipart-buf");

    deployment
        .client()
        .prov()
        .convert_model_runs_to_csv(path.clone())
        .await
        .expect("converted");

    let request = &deployment.service("prov").requests()[0];
    assert_eq!(csv_part(&request.body), CSV);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_missing_file_given_by_from_path_is_invalid_input_naming_it() {
    let deployment = MockDeployment::start().await;

    let error = deployment
        .client()
        .prov()
        .convert_model_runs_to_csv(Upload::from_path("/nonexistent/provena/other.csv"))
        .await
        .unwrap_err();

    assert!(
        matches!(&error, Error::InvalidInput { message, .. }
            if message.starts_with("cannot open /nonexistent/provena/other.csv: ")),
        "{error:?}"
    );
    assert_eq!(deployment.service("prov").hits(), 0);
}
