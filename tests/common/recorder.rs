//! A recording HTTP server on 127.0.0.1 for the service tests: it keeps every
//! request it receives (method, path, query, headers, body) and answers with
//! scripted replies, including faults (dropped connections, silence, delays).
#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Upper-case method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Bytes,
    /// The `Host` header.
    pub host: String,
}

impl Recorded {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with a status, headers and body, after an optional delay.
    Respond {
        /// Status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Body bytes.
        body: Bytes,
        /// Wait this long before answering.
        delay: Duration,
    },
    /// Close the connection without answering.
    Drop,
    /// Never answer (until the client gives up).
    Hang,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Reply::Respond {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(body.to_string()),
            delay: Duration::ZERO,
        }
    }

    /// An answer with a given content type and raw body.
    pub fn raw(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Reply::Respond {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// Adds a header to a `Respond` reply.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Respond { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// Delays a `Respond` reply.
    pub fn delayed(mut self, wait: Duration) -> Self {
        if let Reply::Respond { delay, .. } = &mut self {
            *delay = wait;
        }
        self
    }
}

/// Computes the reply to a request from the request itself.
pub type Responder = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    queue: VecDeque<Reply>,
    responder: Option<Responder>,
    fallback: Option<Reply>,
}

/// The server. Dropping it stops it.
pub struct Recorder {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorder {
    /// Starts a server on an ephemeral loopback port. Unscripted requests get
    /// `404 {"detail": "no reply scripted"}`.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(Arc::clone(&state), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, state, task }
    }

    /// `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a reply for the next unanswered request.
    pub fn push(&self, reply: Reply) {
        self.lock().queue.push_back(reply);
    }

    /// Answers every request the queue does not with `responder`'s reply to
    /// it (for servers that generate pages, or count polls).
    pub fn respond_with(&self, responder: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) {
        self.lock().responder = Some(Arc::new(responder));
    }

    /// The reply used when the queue is empty.
    pub fn set_fallback(&self, reply: Reply) {
        self.lock().fallback = Some(reply);
    }

    /// Forgets queued replies, the responder, the fallback and recorded requests.
    pub fn reset(&self) {
        *self.lock() = State::default();
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Every request received so far, forgetting them.
    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.lock().requests)
    }

    /// How many requests arrived.
    pub fn hits(&self) -> usize {
        self.lock().requests.len()
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let query = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect::<Vec<_>>();
    let host = parts
        .headers
        .get("host")
        .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned())
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query,
        headers,
        body,
        host,
    };
    let reply = {
        let mut state = state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let reply = state
            .queue
            .pop_front()
            .or_else(|| state.responder.as_ref().map(|respond| respond(&recorded)))
            .or_else(|| state.fallback.clone());
        state.requests.push(recorded);
        reply
    };
    match reply
        .unwrap_or_else(|| Reply::json(404, &serde_json::json!({"detail": "no reply scripted"})))
    {
        Reply::Respond {
            status,
            headers,
            body,
            delay,
        } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let mut response = Response::new(Full::new(body));
            *response.status_mut() = hyper::StatusCode::from_u16(status)
                .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (
                    hyper::header::HeaderName::from_bytes(name.as_bytes()),
                    hyper::header::HeaderValue::from_str(&value),
                ) {
                    response.headers_mut().append(name, value);
                }
            }
            Ok(response)
        }
        Reply::Drop => Err(std::io::Error::other("connection dropped on purpose")),
        Reply::Hang => {
            std::future::pending::<()>().await;
            Err(std::io::Error::other("unreachable"))
        }
    }
}
