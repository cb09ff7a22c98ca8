//! Fixtures of the dataset-file tests (feature `s3`): a loopback stand-in of
//! the data store's three routes a transfer uses (fetch the dataset, read and
//! write credentials), counting the credential calls, in front of the moto
//! server the real-server harness runs (moto takes any keys); local
//! directories and file contents.
#![allow(dead_code)] // each test binary uses a different part of it

use std::path::{Path, PathBuf};

use httpmock::Method::{GET, POST};
use httpmock::{Mock, MockServer};
use provena_client::auth::StaticToken;
use provena_client::datasets::{Canceller, DatasetFiles, MIN_PART_SIZE, Progress};
use provena_client::{Config, ProvenaClient};
use serde_json::{Value, json};

use super::skip::{self, Missing};

/// Where moto and the harness' helper are (the real-server harness's
/// variables).
#[derive(Debug, Clone)]
pub struct Moto {
    /// moto's endpoint, `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The data store's bucket (exists in moto).
    pub bucket: String,
    /// The venv's python and `helper.py`, to put keys the client refuses to
    /// write.
    pub python: String,
    /// `scripts/real-servers/helper.py`.
    pub helper: String,
}

impl Moto {
    /// From the environment `scripts/real-servers/run` exports.
    pub fn from_env() -> Result<Self, Missing> {
        let how = "run the tests through scripts/real-servers/run (it starts moto)";
        Ok(Self {
            endpoint: skip::env("PROVENA_REAL_AWS_ENDPOINT", "moto's endpoint", how)?,
            bucket: skip::env("PROVENA_REAL_S3_BUCKET", "the data store's bucket", how)?,
            python: skip::env("PROVENA_REAL_PYTHON", "the harness' python", how)?,
            helper: skip::env("PROVENA_REAL_HELPER", "the harness' helper.py", how)?,
        })
    }

    /// Puts `body` at `key` with boto3 (through helper.py), bypassing the
    /// client's key checks.
    pub fn put_raw(&self, key: &str, body: &[u8]) {
        let file = temp_dir("raw-put").join("body");
        std::fs::write(&file, body).expect("write the body");
        let output = std::process::Command::new(&self.python)
            .arg(&self.helper)
            .args(["s3-put", key])
            .arg(&file)
            .args(["--bucket", &self.bucket])
            .output()
            .expect("run helper.py s3-put");
        assert!(
            output.status.success(),
            "helper.py s3-put {key}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The keys under `prefix`, as S3 lists them (helper.py, boto3).
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let output = std::process::Command::new(&self.python)
            .arg(&self.helper)
            .args(["s3-list", prefix])
            .output()
            .expect("run helper.py s3-list");
        assert!(
            output.status.success(),
            "helper.py s3-list {prefix}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| line.split_whitespace().next().unwrap_or("").to_string())
            .filter(|key| !key.is_empty())
            .collect()
    }
}

/// The data store stand-in of one dataset whose files live in moto.
pub struct StandIn {
    server: MockServer,
    read: usize,
    write: usize,
    fetch: usize,
    /// The dataset's id.
    pub dataset_id: String,
    /// Its key prefix (`datasets/<unique>/`).
    pub prefix: String,
    moto: Moto,
}

/// How long the stand-in's credentials live.
#[derive(Debug, Clone, Copy)]
pub enum Lifetime {
    /// An hour: fresh for the whole test.
    Hour,
    /// A minute: inside the client's refresh margin from the start, so each
    /// request asks again.
    Minute,
}

impl StandIn {
    /// Starts a stand-in serving dataset `10378.1/<unique>` with files under
    /// a fresh prefix of moto's bucket.
    pub async fn start(moto: &Moto, lifetime: Lifetime) -> Self {
        let unique = unique("s3test");
        let dataset_id = format!("10378.1/{unique}");
        let prefix = format!("datasets/{unique}/");
        let server = MockServer::start_async().await;

        let document = super::specs::document("datastore");
        let mut item = super::specs::sample(
            &document,
            &json!({"$ref": "#/components/schemas/ItemDataset"}),
        );
        item["id"] = json!(dataset_id);
        item["s3"] = json!({
            "bucket_name": moto.bucket,
            "path": prefix,
            "s3_uri": format!("s3://{}/{prefix}", moto.bucket),
        });
        let fetch = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/registry/items/fetch-dataset")
                    .query_param("handle_id", &dataset_id);
                then.status(200)
                    .json_body(json!({"status": {"success": true, "details": "ok"}, "item": item}));
            })
            .await
            .id();
        let seconds = match lifetime {
            Lifetime::Hour => 3600,
            Lifetime::Minute => 60,
        };
        let credentials = move || -> Value {
            let expiry = chrono::Utc::now() + chrono::Duration::seconds(seconds);
            json!({
                "status": {"success": true, "details": "ok"},
                "credentials": {
                    "aws_access_key_id": "AKIASTANDIN",
                    "aws_secret_access_key": "stand-in-secret",
                    "aws_session_token": "stand-in-session",
                    "expiry": expiry.to_rfc3339(),
                },
                "console_session_url": null
            })
        };
        let read = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/registry/credentials/generate-read-access-credentials");
                then.status(200).json_body(credentials());
            })
            .await
            .id();
        let write = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/registry/credentials/generate-write-access-credentials");
                then.status(200).json_body(credentials());
            })
            .await
            .id();
        Self {
            server,
            read,
            write,
            fetch,
            dataset_id,
            prefix,
            moto: moto.clone(),
        }
    }

    /// A client whose data store is this stand-in.
    pub fn client(&self) -> ProvenaClient {
        let config = Config::builder()
            .domain("not-running.invalid")
            .realm("provena")
            .endpoint("datastore", self.server.base_url())
            .build()
            .expect("stand-in configuration");
        ProvenaClient::new(config, StaticToken::shared("stand-in-token")).expect("client")
    }

    /// The stand-in's base URL (the data store's endpoint for a client or
    /// the CLI).
    pub fn url(&self) -> String {
        self.server.base_url()
    }

    /// The dataset's files, on moto, with the smallest part size.
    pub fn files(&self) -> DatasetFiles {
        self.files_at(&self.moto.endpoint)
    }

    /// The dataset's files on another S3 endpoint.
    pub fn files_at(&self, endpoint: &str) -> DatasetFiles {
        self.client()
            .datastore()
            .files(&self.dataset_id)
            .s3_endpoint(endpoint)
            .part_size(MIN_PART_SIZE)
    }

    fn calls(&self, id: usize) -> usize {
        Mock::new(id, &self.server).calls()
    }

    /// Calls of the read-credentials route so far.
    pub fn read_credential_calls(&self) -> usize {
        self.calls(self.read)
    }

    /// Calls of the write-credentials route so far.
    pub fn write_credential_calls(&self) -> usize {
        self.calls(self.write)
    }
}

/// The directory this test process keeps its scratch directories in.
pub fn scratch_root() -> PathBuf {
    std::env::temp_dir().join(format!("provena-s3-tests-{}", std::process::id()))
}

/// Removes [`scratch_root`] and everything in it (at the end of a run).
pub fn remove_scratch() {
    let _ = std::fs::remove_dir_all(scratch_root());
}

/// A new empty directory under [`scratch_root`].
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = scratch_root().join(unique(name));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

/// `prefix` with a suffix no other call has used.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}-{nanos}-{n}")
}

/// `len` bytes that differ from part to part (so a part sent twice or out of
/// order shows).
pub fn patterned(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[2] ^ seed)
        .collect()
}

/// Every file under `root`: its `/`-separated relative path and contents,
/// sorted.
pub fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let entry = entry.expect("directory entry");
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .expect("under root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((relative, std::fs::read(&path).expect("read file")));
            }
        }
    }
    out.sort();
    out
}

/// Writes `files` (relative path, contents) under a new directory.
pub fn tree(name: &str, files: &[(&str, Vec<u8>)]) -> PathBuf {
    let root = temp_dir(name);
    for (relative, contents) in files {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
        std::fs::write(&path, contents).expect("write file");
    }
    root
}

/// A loopback S3 stand-in for one object whose download breaks: `HEAD`
/// answers the object's size; `GET` announces all of it, sends the first
/// `sent` bytes and closes the connection.
pub struct CutS3 {
    addr: std::net::SocketAddr,
    gets: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CutS3 {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CutS3 {
    /// Serves an object of `body`, cut after `sent` bytes.
    pub async fn start(body: Vec<u8>, sent: usize) -> Self {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let gets = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&gets);
        let body = std::sync::Arc::new(body);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let body = std::sync::Arc::clone(&body);
                let counter = std::sync::Arc::clone(&counter);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(read) => head.extend_from_slice(&buffer[..read]),
                        }
                    }
                    let headers = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\netag: \"0123456789abcdef0123456789abcdef\"\r\n\
                         last-modified: Thu, 26 Nov 2026 10:00:00 GMT\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(headers.as_bytes()).await;
                    if head.starts_with(b"GET ") {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let _ = stream.write_all(&body[..sent]).await;
                    }
                    let _ = stream.flush().await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { addr, gets, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many `GET`s it answered.
    pub fn gets(&self) -> usize {
        self.gets.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A loopback proxy in front of moto that forwards every request and counts
/// the object bytes it hands back (bodies of `GET`s of one object, not of
/// listings); told to, it cuts the body of the next such `GET` after a
/// number of bytes and closes the connection, as a broken network would.
pub struct S3Proxy {
    addr: std::net::SocketAddr,
    state: std::sync::Arc<ProxyState>,
    task: tokio::task::JoinHandle<()>,
}

struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    object_bytes: std::sync::atomic::AtomicU64,
    cut_next_get: std::sync::Mutex<Option<u64>>,
    before_ranged_get: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Drop for S3Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type ProxyBody =
    http_body_util::combinators::BoxBody<bytes::Bytes, Box<dyn std::error::Error + Send + Sync>>;

impl S3Proxy {
    /// Starts a proxy forwarding to `upstream` (moto's endpoint).
    pub async fn start(upstream: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let state = std::sync::Arc::new(ProxyState {
            upstream: upstream.trim_end_matches('/').to_string(),
            client: reqwest::Client::new(),
            object_bytes: std::sync::atomic::AtomicU64::new(0),
            cut_next_get: std::sync::Mutex::new(None),
            before_ranged_get: std::sync::Mutex::new(None),
        });
        let shared = std::sync::Arc::clone(&state);
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let state = std::sync::Arc::clone(&shared);
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        std::sync::Arc::clone(&state).forward(request)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, state, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cuts the body of the next object `GET` after `bytes` bytes.
    pub fn cut_next_get_after(&self, bytes: u64) {
        *self
            .state
            .cut_next_get
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(bytes);
    }

    /// Runs `action` (on a blocking thread) before forwarding the next
    /// ranged object `GET`: to change the object between the client's
    /// listing and its `GET`, say.
    pub fn before_next_ranged_get(&self, action: impl FnOnce() + Send + 'static) {
        *self
            .state
            .before_ranged_get
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Box::new(action));
    }

    /// Object bytes handed to the client in successful answers since the
    /// last call (a cut body counts up to the cut).
    pub fn take_object_bytes(&self) -> u64 {
        self.state
            .object_bytes
            .swap(0, std::sync::atomic::Ordering::SeqCst)
    }
}

impl ProxyState {
    async fn forward(
        self: std::sync::Arc<Self>,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<ProxyBody>, std::convert::Infallible> {
        use futures_util::StreamExt;
        use http_body_util::BodyExt;

        let (parts, body) = request.into_parts();
        let is_object_get = parts.method == hyper::Method::GET && parts.uri.query().is_none();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let action = if is_object_get && parts.headers.contains_key(hyper::header::RANGE) {
            self.before_ranged_get
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
        } else {
            None
        };
        if let Some(action) = action {
            tokio::task::spawn_blocking(action)
                .await
                .expect("the action before the ranged GET");
        }
        let mut forwarded = self
            .client
            .request(parts.method.clone(), format!("{}{path}", self.upstream))
            .body(body);
        for (name, value) in &parts.headers {
            if !matches!(name.as_str(), "host" | "connection" | "transfer-encoding") {
                forwarded = forwarded.header(name, value);
            }
        }
        let answer = match forwarded.send().await {
            Ok(answer) => answer,
            Err(error) => {
                let mut failed = hyper::Response::new(
                    http_body_util::Full::new(bytes::Bytes::from(error.to_string()))
                        .map_err(|never| match never {})
                        .boxed(),
                );
                *failed.status_mut() = hyper::StatusCode::BAD_GATEWAY;
                return Ok(failed);
            }
        };
        let mut response = hyper::Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            if !matches!(name.as_str(), "connection" | "transfer-encoding") {
                response = response.header(name, value);
            }
        }
        let is_object_get = is_object_get && answer.status().is_success();
        let mut cut = if is_object_get {
            self.cut_next_get
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
        } else {
            None
        };
        let counting = std::sync::Arc::clone(&self);
        let chunks = answer.bytes_stream().flat_map(move |chunk| {
            let mut out: Vec<Result<hyper::body::Frame<bytes::Bytes>, _>> = Vec::new();
            match chunk {
                Err(error) => out.push(Err(
                    Box::new(error) as Box<dyn std::error::Error + Send + Sync>
                )),
                Ok(mut chunk) => {
                    if let Some(left) = cut {
                        if chunk.len() as u64 >= left {
                            chunk.truncate(left as usize);
                            cut = Some(0);
                        } else {
                            cut = Some(left - chunk.len() as u64);
                        }
                    }
                    if is_object_get {
                        counting
                            .object_bytes
                            .fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::SeqCst);
                    }
                    if !chunk.is_empty() {
                        out.push(Ok(hyper::body::Frame::data(chunk)));
                    }
                    if cut == Some(0) {
                        out.push(Err("cut by the test proxy".into()));
                    }
                }
            }
            futures_util::stream::iter(out)
        });
        let body = BodyExt::boxed(http_body_util::StreamBody::new(chunks));
        Ok(response.body(body).expect("a response of forwarded parts"))
    }
}

/// A canceller and a progress callback that pulls it once the first bytes
/// have moved: a cancel in the middle of a transfer.
pub fn cancel_once_bytes_move() -> (Canceller, impl Fn(&Progress) + Send + Sync + 'static) {
    let cancel = Canceller::new();
    let in_callback = cancel.clone();
    let callback = move |progress: &Progress| {
        if progress.bytes_done > 0 {
            in_callback.cancel();
        }
    };
    (cancel, callback)
}
