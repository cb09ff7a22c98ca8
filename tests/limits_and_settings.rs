//! Response size limits at their exact boundary, for JSON and file bodies,
//! with and without `Content-Length`; and the configured connect timeout and
//! user agent reaching the requests the client sends.

mod common;

use std::time::{Duration, Instant};

use common::deployment::MockDeployment;
use common::recorder::Reply;
use provena_client::Error;
use provena_client::retry::RetryPolicy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A JSON health answer (`{"message": "x..."}`) of exactly `size` bytes.
fn health_of_size(size: usize) -> Vec<u8> {
    let frame = r#"{"message":""}"#.len();
    format!(r#"{{"message":"{}"}}"#, "x".repeat(size - frame)).into_bytes()
}

/// A CSV body of exactly `size` bytes.
fn csv_of_size(size: usize) -> Vec<u8> {
    let mut csv = b"a,b\n".repeat(size / 4 + 1);
    csv.truncate(size);
    csv
}

/// Answers the next request on a loopback port with `body` in chunked
/// transfer encoding (no `Content-Length`), `chunk` bytes per chunk. Returns
/// the server's base URL.
async fn chunked_server(content_type: &'static str, body: Vec<u8>, chunk: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let mut head = Vec::new();
        let mut buffer = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => head.extend_from_slice(&buffer[..read]),
            }
        }
        let mut answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n\
             transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        )
        .into_bytes();
        for piece in body.chunks(chunk) {
            answer.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            answer.extend_from_slice(piece);
            answer.extend_from_slice(b"\r\n");
        }
        answer.extend_from_slice(b"0\r\n\r\n");
        // The client may stop reading an oversized body: a failed write is fine.
        let _ = stream.write_all(&answer).await;
        let _ = stream.shutdown().await;
    });
    url
}

#[tokio::test]
async fn a_json_body_of_exactly_the_limit_is_accepted() {
    let deployment = MockDeployment::start().await;
    let body = health_of_size(4_096);
    deployment
        .service("job")
        .push(Reply::raw(200, "application/json", body));
    let client = deployment.client_with(deployment.config_builder().max_body_bytes(4_096));

    let health = client.job_api().get_health_check().await.expect("fits");

    assert_eq!(health["message"].len(), 4_096 - r#"{"message":""}"#.len());
}

#[tokio::test]
async fn a_json_body_one_byte_over_the_limit_is_too_large() {
    let deployment = MockDeployment::start().await;
    let body = health_of_size(4_097);
    deployment
        .service("job")
        .push(Reply::raw(200, "application/json", body));
    let client = deployment.client_with(deployment.config_builder().max_body_bytes(4_096));

    let error = client.job_api().get_health_check().await.unwrap_err();

    assert!(
        matches!(&error, Error::TooLarge { limit: 4_096, operation }
            if operation.to_string() == "job.root"),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_error_body_over_the_limit_is_too_large_rather_than_read() {
    let deployment = MockDeployment::start().await;
    let detail = serde_json::json!({"detail": "x".repeat(5_000)});
    deployment.service("job").push(Reply::json(400, &detail));
    let client = deployment.client_with(
        deployment
            .config_builder()
            .max_body_bytes(4_096)
            .retry(RetryPolicy::disabled()),
    );

    let error = client.job_api().fetch_job("s-1").await.unwrap_err();

    assert!(
        matches!(error, Error::TooLarge { limit: 4_096, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_chunked_json_body_of_exactly_the_limit_is_accepted() {
    let deployment = MockDeployment::start().await;
    let server = chunked_server("application/json", health_of_size(4_096), 1_000).await;
    let client = deployment.client_with(
        deployment
            .config_builder()
            .endpoint("job", server)
            .max_body_bytes(4_096)
            .retry(RetryPolicy::disabled()),
    );

    let health = client.job_api().get_health_check().await.expect("fits");

    assert_eq!(health["message"].len(), 4_096 - r#"{"message":""}"#.len());
}

#[tokio::test]
async fn a_chunked_json_body_one_byte_over_the_limit_is_too_large() {
    let deployment = MockDeployment::start().await;
    let server = chunked_server("application/json", health_of_size(4_097), 1_000).await;
    let client = deployment.client_with(
        deployment
            .config_builder()
            .endpoint("job", server)
            .max_body_bytes(4_096)
            .retry(RetryPolicy::disabled()),
    );

    let error = client.job_api().get_health_check().await.unwrap_err();

    assert!(
        matches!(error, Error::TooLarge { limit: 4_096, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_file_body_of_exactly_the_limit_is_returned_whole() {
    let deployment = MockDeployment::start().await;
    let csv = csv_of_size(1_000);
    deployment
        .service("prov")
        .push(Reply::raw(200, "text/csv", csv.clone()));
    let client = deployment.client_with(deployment.config_builder().max_body_bytes(1_000));

    let body = client
        .prov()
        .generate_csv_template("t")
        .await
        .expect("fits");

    assert_eq!(&body[..], &csv[..]);
}

#[tokio::test]
async fn a_file_body_one_byte_over_the_limit_is_too_large() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("prov")
        .push(Reply::raw(200, "text/csv", csv_of_size(1_001)));
    let client = deployment.client_with(deployment.config_builder().max_body_bytes(1_000));

    let error = client.prov().generate_csv_template("t").await.unwrap_err();

    assert!(
        matches!(&error, Error::TooLarge { limit: 1_000, operation }
            if operation.to_string() == "prov.generate_template_csv"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_chunked_file_body_is_held_to_the_limit_chunk_by_chunk() {
    let deployment = MockDeployment::start().await;
    let fits = chunked_server("text/csv", csv_of_size(1_000), 300).await;
    let over = chunked_server("text/csv", csv_of_size(1_001), 300).await;
    let client_for = |server: String| {
        deployment.client_with(
            deployment
                .config_builder()
                .endpoint("prov", server)
                .max_body_bytes(1_000)
                .retry(RetryPolicy::disabled()),
        )
    };

    let body = client_for(fits)
        .prov()
        .generate_csv_template("t")
        .await
        .expect("fits");
    let error = client_for(over)
        .prov()
        .generate_csv_template("t")
        .await
        .unwrap_err();

    assert_eq!(&body[..], &csv_of_size(1_000)[..]);
    assert!(
        matches!(error, Error::TooLarge { limit: 1_000, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_default_user_agent_names_the_crate_and_its_version() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("search")
        .push(Reply::json(200, &serde_json::json!({"message": "ok"})));

    deployment
        .client()
        .search()
        .get_health_check()
        .await
        .expect("answered");

    let request = &deployment.service("search").requests()[0];
    let expected = format!("provena-client-rust/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(request.header("user-agent"), Some(expected.as_str()));
}

#[tokio::test]
async fn a_configured_user_agent_is_sent_with_every_request() {
    let deployment = MockDeployment::start().await;
    deployment
        .service("search")
        .push(Reply::json(200, &serde_json::json!({"message": "ok"})));
    let client = deployment.client_with(deployment.config_builder().user_agent("my-pipeline/2.0"));

    client.search().get_health_check().await.expect("answered");

    let request = &deployment.service("search").requests()[0];
    assert_eq!(request.header("user-agent"), Some("my-pipeline/2.0"));
}

/// A loopback listener whose accept queue is full: the kernel drops further
/// connection attempts (SYNs) instead of refusing them, so a connect hangs
/// until the client's connect timeout. Keep the value alive while in use.
struct Unanswering {
    _listener: tokio::net::TcpListener,
    _queued: Vec<std::net::TcpStream>,
    url: String,
}

impl Unanswering {
    fn new() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("address"))
            .expect("bind");
        let listener = socket.listen(0).expect("listen");
        let addr = listener.local_addr().expect("address");
        // Fill the accept queue (one connection for a backlog of 0 on Linux)
        // until a connection attempt goes unanswered.
        let mut queued = Vec::new();
        for _ in 0..8 {
            match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(stream) => queued.push(stream),
                Err(_) => break,
            }
        }
        Self {
            _listener: listener,
            _queued: queued,
            url: format!("http://{addr}"),
        }
    }
}

#[tokio::test]
async fn the_connect_timeout_bounds_a_connection_that_is_never_accepted() {
    let deployment = MockDeployment::start().await;
    let silent = Unanswering::new();
    let client = deployment.client_with(
        deployment
            .config_builder()
            .endpoint("search", silent.url.clone())
            .connect_timeout(Duration::from_millis(400))
            .request_timeout(Duration::from_secs(30))
            .retry(RetryPolicy::disabled()),
    );

    let started = Instant::now();
    let error = client.search().get_health_check().await.unwrap_err();
    let took = started.elapsed();

    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(10),
        "gave up after {took:?}, with a 400 ms connect and a 30 s request timeout"
    );
}
