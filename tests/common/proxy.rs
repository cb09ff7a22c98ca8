//! A loopback reverse proxy that records what passes through it.
//!
//! The real-server suite points the client at one proxy per service; each
//! proxy forwards the request unchanged (but for `Host` and hop-by-hop
//! headers) to the real upstream and hands the upstream's answer back
//! unchanged, keeping a copy of both bodies. The copies are what
//! [`super::undeclared::report`] walks: the responses the client really got,
//! whatever the client made of them (a field the client's types drop is
//! still in the recording).
//!
//! The proxy neither follows redirects nor retries: the client under test
//! must see exactly what the server said, and each attempt the client makes
//! is one exchange.
#![allow(dead_code)] // each test binary uses a different part of it

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use url::Url;

/// How much of each body an exchange keeps by default. Bodies are always
/// forwarded whole; only the recording is cut (and marked truncated).
pub const RECORD_LIMIT: usize = 4 * 1024 * 1024;

/// Headers that describe one connection rather than the message (RFC 9110
/// §7.6.1), plus `Host`, which must name the upstream. `Content-Length` is
/// left to the forwarding client, which knows the body it sends.
const NOT_FORWARDED: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// One request and its answer, as the proxy saw them.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The service the proxy stands for (the spec file stem).
    pub service: &'static str,
    /// Upper-case method.
    pub method: String,
    /// Request path as the client sent it (relative to the proxy's base).
    pub path: String,
    /// Raw query string, without `?`.
    pub query: Option<String>,
    /// Upstream status; 502 when the upstream could not be reached.
    pub status: u16,
    /// The request body (at most the recording limit).
    pub request_body: Bytes,
    /// The request body was longer than what is kept.
    pub request_truncated: bool,
    /// The response body (at most the recording limit).
    pub response_body: Bytes,
    /// The response body was longer than what is kept.
    pub response_truncated: bool,
    /// The response `Content-Type`.
    pub content_type: Option<String>,
    /// Why the upstream gave no answer (then `status` is the proxy's 502).
    pub error: Option<String>,
}

impl Exchange {
    /// The response body as JSON, if it is complete JSON.
    pub fn response_json(&self) -> Option<serde_json::Value> {
        if self.response_truncated {
            return None;
        }
        serde_json::from_slice(&self.response_body).ok()
    }
}

struct Shared {
    service: &'static str,
    upstream: Url,
    client: reqwest::Client,
    record_limit: usize,
    exchanges: Mutex<Vec<Exchange>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Vec<Exchange>> {
        self.exchanges
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The proxy. Dropping it (or [`RecordingProxy::shutdown`]) stops it and
/// closes its connections.
pub struct RecordingProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl RecordingProxy {
    /// Starts a proxy for `service` on an ephemeral 127.0.0.1 port,
    /// forwarding to `upstream_base` (e.g. `https://registry.example.org`;
    /// a path prefix is kept: `{base}/{request path}`), recording at most
    /// [`RECORD_LIMIT`] bytes of each body.
    ///
    /// Panics if `upstream_base` is not a URL or the port cannot be bound:
    /// both are mistakes in the test setup.
    pub async fn start(service: &'static str, upstream_base: &str) -> Self {
        Self::start_with_limit(service, upstream_base, RECORD_LIMIT).await
    }

    /// [`RecordingProxy::start`] with another recording limit per body.
    pub async fn start_with_limit(
        service: &'static str,
        upstream_base: &str,
        record_limit: usize,
    ) -> Self {
        let upstream = Url::parse(upstream_base)
            .unwrap_or_else(|e| panic!("upstream base {upstream_base:?}: {e}"));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            service,
            client: forwarding_client(&upstream),
            upstream,
            record_limit,
            exchanges: Mutex::new(Vec::new()),
        });
        let state = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            // The connections live in this task's set, so aborting the task
            // closes them too (a kept-alive connection would otherwise keep
            // forwarding after the proxy is gone).
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else {
                            // Out of descriptors, say: wait rather than spin.
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        };
                        let state = Arc::clone(&state);
                        connections.spawn(async move {
                            let service = service_fn(move |request| {
                                forward(Arc::clone(&state), request)
                            });
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                    // Reap finished connections so that the set stays small.
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Self {
            addr,
            shared,
            task: Some(task),
        }
    }

    /// The base URL to give the client: `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The service this proxy stands for.
    pub fn service(&self) -> &'static str {
        self.shared.service
    }

    /// Every exchange completed so far, in order of completion.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.lock().clone()
    }

    /// Every exchange completed so far, forgetting them.
    pub fn take_exchanges(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.shared.lock())
    }

    /// Stops the proxy and waits until its port and connections are closed.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

/// The client that talks to the upstream: no redirects followed, no retries
/// (reqwest retries protocol NACKs by default), no decompression (none is
/// compiled in), so the caller gets the upstream's own answer.
fn forwarding_client(upstream: &Url) -> reqwest::Client {
    provena_client::install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never());
    // A loopback upstream (the tests') must not go through a proxy from the
    // environment; a real one may need it.
    let loopback = matches!(
        upstream.host(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    ) || matches!(upstream.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || upstream.host_str() == Some("localhost");
    if loopback {
        builder = builder.no_proxy();
    }
    builder.build().expect("forwarding client builds")
}

/// `{upstream base path}{path}?{query}` on the upstream's origin.
fn upstream_url(base: &Url, path: &str, query: Option<&str>) -> Url {
    let mut url = base.clone();
    url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
    url.set_query(query);
    url
}

fn forwarded(name: &HeaderName) -> bool {
    !NOT_FORWARDED.contains(&name.as_str()) && name != CONTENT_LENGTH
}

fn bounded(body: &Bytes, limit: usize) -> (Bytes, bool) {
    if body.len() > limit {
        (body.slice(..limit), true)
    } else {
        (body.clone(), false)
    }
}

async fn forward(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let (request_body, read_error) = match body.collect().await {
        Ok(collected) => (collected.to_bytes(), None),
        Err(e) => (Bytes::new(), Some(format!("reading the request body: {e}"))),
    };
    let outcome = match read_error {
        Some(error) => Err(error),
        None => {
            let url = upstream_url(&shared.upstream, &path, query.as_deref());
            let mut headers = HeaderMap::new();
            for (name, value) in &parts.headers {
                if forwarded(name) {
                    headers.append(name.clone(), value.clone());
                }
            }
            let mut upstream_request = shared
                .client
                .request(parts.method.clone(), url)
                .headers(headers);
            // A GET without a body must stay without one (no added
            // `Content-Length: 0`).
            let had_body = !request_body.is_empty()
                || parts.headers.contains_key(CONTENT_LENGTH)
                || parts.headers.contains_key("transfer-encoding");
            if had_body {
                upstream_request = upstream_request.body(request_body.clone());
            }
            send(upstream_request).await
        }
    };
    let (request_recorded, request_truncated) = bounded(&request_body, shared.record_limit);
    let mut exchange = Exchange {
        service: shared.service,
        method: parts.method.as_str().to_string(),
        path,
        query,
        status: StatusCode::BAD_GATEWAY.as_u16(),
        request_body: request_recorded,
        request_truncated,
        response_body: Bytes::new(),
        response_truncated: false,
        content_type: None,
        error: None,
    };
    let response = match outcome {
        Ok((status, headers, body)) => {
            let (recorded, truncated) = bounded(&body, shared.record_limit);
            exchange.status = status.as_u16();
            exchange.response_body = recorded;
            exchange.response_truncated = truncated;
            exchange.content_type = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let mut response = Response::new(Full::new(body));
            *response.status_mut() = status;
            for (name, value) in &headers {
                // Content-Length is kept: the body is passed on whole and
                // undecoded, and a HEAD answer needs the upstream's value.
                if !NOT_FORWARDED.contains(&name.as_str()) {
                    response.headers_mut().append(name.clone(), value.clone());
                }
            }
            response
        }
        Err(error) => {
            exchange.error = Some(error.clone());
            let mut response = Response::new(Full::new(Bytes::from(format!(
                "recording proxy: upstream failed: {error}"
            ))));
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            response
        }
    };
    shared.lock().push(exchange);
    Ok(response)
}

async fn send(request: reqwest::RequestBuilder) -> Result<(StatusCode, HeaderMap, Bytes), String> {
    let response = request.send().await.map_err(|e| error_chain(&e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(|e| error_chain(&e))?;
    Ok((status, headers, body))
}

/// The error with its causes (reqwest's own text is often just "error
/// sending request").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
