//! A Keycloak stand-in for the auth tests: a real HTTP/1.1 server on
//! 127.0.0.1 that speaks the token and device-authorization endpoints' wire
//! format (form-encoded requests, JSON answers, OAuth error codes), issues
//! JWT-shaped access tokens with an `exp` claim, records every request, and
//! plays scripted device-flow sequences.
//!
//! Nothing here depends on the wall clock beyond the token lifetimes a test
//! sets: to make callers overlap with a token request, a test holds the
//! answers ([`Keycloak::hold_answers`]) until every caller has arrived, rather
//! than sleeping and hoping ([`signal_first_poll`] tells when a caller is
//! in). [`RefusingPort`] stands for an unreachable Keycloak without freeing a
//! port that another test's server could take. [`LogCapture::wait_for`] waits
//! for a line to be logged, so that a test can react to what the client did
//! instead of guessing how long it takes.
#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinHandle;
use url::Url;

/// The client id the stand-in accepts.
pub const CLIENT_ID: &str = "provena-test-cli";
/// The realm name in the stand-in's URLs.
pub const REALM: &str = "test";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A reqwest client like the crate's users build one (rustls with ring).
pub fn http() -> reqwest::Client {
    // Installing twice fails harmlessly: the first provider stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .build()
        .expect("build reqwest client")
}

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request path.
    pub path: String,
    /// `Content-Type` header.
    pub content_type: Option<String>,
    /// Decoded form fields, in order.
    pub form: Vec<(String, String)>,
    /// When it arrived.
    pub at: Instant,
}

impl Received {
    /// The value of form field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the token endpoint answers to the next device-code poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStep {
    /// `authorization_pending`
    Pending,
    /// `slow_down`
    SlowDown,
    /// The user approved: tokens.
    Approve,
    /// `expired_token`
    Expire,
    /// `access_denied`
    Deny,
}

struct DeviceScript {
    device_code: String,
    user_code: String,
    interval: u64,
    expires_in: u64,
    steps: VecDeque<DeviceStep>,
}

struct State {
    base: String,
    access_lifetime: i64,
    exp_claim: bool,
    expires_in: Option<i64>,
    rotate_refresh: bool,
    delay: Duration,
    valid_refresh: HashSet<String>,
    issued: Vec<String>,
    token_requests: Vec<Received>,
    device_requests: Vec<Received>,
    device: Option<DeviceScript>,
    raw_token_answer: Option<(u16, String)>,
    counter: u64,
    /// `true` while answers flow; `false` holds them (see `hold_answers`).
    open: watch::Sender<bool>,
}

/// The running stand-in; the server stops when this is dropped.
pub struct Keycloak {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for Keycloak {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Keycloak {
    /// Starts a stand-in on an ephemeral loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            base: format!("http://{addr}"),
            access_lifetime: 300,
            exp_claim: true,
            expires_in: None,
            rotate_refresh: true,
            delay: Duration::ZERO,
            valid_refresh: HashSet::new(),
            issued: Vec::new(),
            token_requests: Vec::new(),
            device_requests: Vec::new(),
            device: None,
            raw_token_answer: None,
            counter: 0,
            open: watch::Sender::new(true),
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, state, task }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("stand-in state")
    }

    /// `http://127.0.0.1:PORT/auth/realms/test`
    pub fn realm_url(&self) -> Url {
        Url::parse(&format!("http://{}/auth/realms/{REALM}", self.addr)).expect("realm url")
    }

    /// Creates an offline token that the token endpoint accepts.
    pub fn issue_offline_token(&self) -> String {
        let mut st = self.state();
        st.counter += 1;
        let token = format!("offline-{}-{}", st.counter, nonce());
        st.valid_refresh.insert(token.clone());
        st.issued.push(token.clone());
        token
    }

    /// Makes every refresh token issued so far invalid (`invalid_grant`).
    pub fn revoke_refresh_tokens(&self) {
        self.state().valid_refresh.clear();
    }

    /// Lifetime of issued access tokens, in seconds (`exp` = now + this).
    pub fn set_access_lifetime(&self, secs: i64) {
        self.state().access_lifetime = secs;
    }

    /// Whether access tokens carry an `exp` claim.
    pub fn set_exp_claim(&self, on: bool) {
        self.state().exp_claim = on;
    }

    /// Override the `expires_in` of token answers (default: the lifetime).
    pub fn set_expires_in(&self, secs: Option<i64>) {
        self.state().expires_in = secs;
    }

    /// Whether token answers include a new refresh token.
    pub fn set_rotate_refresh(&self, on: bool) {
        self.state().rotate_refresh = on;
    }

    /// Delay before every answer. To make concurrent callers overlap, prefer
    /// [`Self::hold_answers`]: a delay only makes an overlap likely.
    pub fn set_delay(&self, delay: Duration) {
        self.state().delay = delay;
    }

    /// Holds the answers of the token and device endpoints: requests are
    /// still received and recorded at once, but each waits for
    /// [`Self::release_answers`] before it is answered.
    pub fn hold_answers(&self) {
        self.state().open.send_replace(false);
    }

    /// Answers every held request and stops holding.
    pub fn release_answers(&self) {
        self.state().open.send_replace(true);
    }

    /// Answer the next token requests with this raw status and body.
    pub fn set_raw_token_answer(&self, status: u16, body: &str) {
        self.state().raw_token_answer = Some((status, body.to_owned()));
    }

    /// Scripts the device flow: the device endpoint hands out a code with
    /// `interval` and `expires_in` (seconds as the server states them), and
    /// each poll answers the next step (`Pending` once the script runs out).
    pub fn script_device(&self, interval: u64, expires_in: u64, steps: &[DeviceStep]) {
        let mut st = self.state();
        st.counter += 1;
        let device_code = format!("device-code-{}-{}", st.counter, nonce());
        st.issued.push(device_code.clone());
        st.device = Some(DeviceScript {
            device_code,
            user_code: "WDJB-MJHT".into(),
            interval,
            expires_in,
            steps: steps.iter().copied().collect(),
        });
    }

    /// All requests to the token endpoint, in arrival order.
    pub fn token_requests(&self) -> Vec<Received> {
        self.state().token_requests.clone()
    }

    /// How many token requests arrived.
    pub fn token_request_count(&self) -> usize {
        self.state().token_requests.len()
    }

    /// Token requests with this grant type.
    pub fn polls(&self) -> Vec<Received> {
        self.token_requests()
            .into_iter()
            .filter(|r| r.field("grant_type") == Some(DEVICE_GRANT))
            .collect()
    }

    /// All requests to the device authorization endpoint.
    pub fn device_requests(&self) -> Vec<Received> {
        self.state().device_requests.clone()
    }

    /// Every secret the stand-in handed out: access, refresh and offline
    /// tokens and device codes.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.state().issued.clone()
    }

    /// The most recently issued access token.
    pub fn last_access_token(&self) -> Option<String> {
        self.state()
            .issued
            .iter()
            .rev()
            .find(|t| t.matches('.').count() == 2)
            .cloned()
    }
}

/// A loopback port on which every connection is refused, reserved for as long
/// as this value lives: a socket bound to it that never listens.
///
/// Binding a listener on port 0, reading the port and dropping the listener
/// does not give a closed port: the kernel may hand the same port to the next
/// server that binds port 0, such as another test's stand-in, which then
/// answers requests meant to fail. A bound socket keeps the port: without
/// `SO_REUSEADDR` on it, no other socket can bind the port, and as it does not
/// listen, the kernel refuses connections to it (`ECONNREFUSED`).
pub struct RefusingPort {
    socket: TcpSocket,
    addr: SocketAddr,
}

impl RefusingPort {
    /// Reserves a free port on 127.0.0.1.
    pub fn new() -> Self {
        let socket = TcpSocket::new_v4().expect("socket");
        // The default, made explicit: with it, another socket that sets
        // SO_REUSEADDR (as listeners do) could bind the same port.
        socket.set_reuseaddr(false).expect("SO_REUSEADDR off");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind loopback");
        let addr = socket.local_addr().expect("local addr");
        Self { socket, addr }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts listening on the reserved port: from now on connections are
    /// accepted, and the port was never free in between.
    pub fn listen(self) -> TcpListener {
        self.socket.listen(1024).expect("listen")
    }
}

impl Default for RefusingPort {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `future`, adding a permit to `arrived` as soon as its first poll has
/// returned. A token call's first poll reads the manager's state and queues
/// for the renewal (or starts the request): once `arrived` holds a permit per
/// caller, every caller is inside its call, whatever the scheduler did.
pub async fn signal_first_poll<F: Future>(future: F, arrived: Arc<Semaphore>) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut arrival = Arrival(Some(arrived));
    std::future::poll_fn(move |cx| {
        let poll = future.as_mut().poll(cx);
        arrival.signal();
        poll
    })
    .await
}

/// Adds one permit, once: after the first poll, or when a panic in it drops
/// this (so that the test fails with that panic instead of waiting forever).
struct Arrival(Option<Arc<Semaphore>>);

impl Arrival {
    fn signal(&mut self) {
        if let Some(arrived) = self.0.take() {
            arrived.add_permits(1);
        }
    }
}

impl Drop for Arrival {
    fn drop(&mut self) {
        self.signal();
    }
}

fn nonce() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

fn json(status: u16, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).expect("status");
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response<Full<Bytes>> {
    json(
        status,
        serde_json::json!({ "error": error, "error_description": description }),
    )
}

async fn handle(
    state: Arc<Mutex<State>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let received = Received {
        path: path.clone(),
        content_type,
        form: url::form_urlencoded::parse(&body).into_owned().collect(),
        at: Instant::now(),
    };
    let token_path = format!("/auth/realms/{REALM}/protocol/openid-connect/token");
    let device_path = format!("/auth/realms/{REALM}/protocol/openid-connect/auth/device");

    let (delay, mut open) = {
        let st = state.lock().expect("state");
        (st.delay, st.open.subscribe())
    };
    if method != Method::POST {
        return Ok(oauth_error(
            405,
            "invalid_request",
            "HTTP method not allowed",
        ));
    }
    let response = if path == token_path {
        state
            .lock()
            .expect("state")
            .token_requests
            .push(received.clone());
        let _ = open.wait_for(|open| *open).await;
        tokio::time::sleep(delay).await;
        token(&mut state.lock().expect("state"), &received)
    } else if path == device_path {
        state
            .lock()
            .expect("state")
            .device_requests
            .push(received.clone());
        let _ = open.wait_for(|open| *open).await;
        tokio::time::sleep(delay).await;
        device(&mut state.lock().expect("state"), &received)
    } else {
        oauth_error(404, "not_found", "no such endpoint")
    };
    Ok(response)
}

fn device(st: &mut State, req: &Received) -> Response<Full<Bytes>> {
    if req.field("client_id") != Some(CLIENT_ID) {
        return oauth_error(
            401,
            "invalid_client",
            "Invalid client or Invalid client credentials",
        );
    }
    let base = st.base.clone();
    let Some(script) = &st.device else {
        return oauth_error(
            400,
            "unauthorized_client",
            "Client is not allowed to initiate OAuth 2.0 Device Authorization Grant",
        );
    };
    let uri = format!("{base}/auth/realms/{REALM}/device");
    json(
        200,
        serde_json::json!({
            "device_code": script.device_code,
            "user_code": script.user_code,
            "verification_uri": uri,
            "verification_uri_complete": format!("{uri}?user_code={}", script.user_code),
            "expires_in": script.expires_in,
            "interval": script.interval,
        }),
    )
}

fn token(st: &mut State, req: &Received) -> Response<Full<Bytes>> {
    if let Some((status, body)) = &st.raw_token_answer {
        let mut response = Response::new(Full::new(Bytes::from(body.clone())));
        *response.status_mut() = StatusCode::from_u16(*status).expect("status");
        return response;
    }
    if req.field("client_id") != Some(CLIENT_ID) {
        return oauth_error(
            401,
            "invalid_client",
            "Invalid client or Invalid client credentials",
        );
    }
    match req.field("grant_type") {
        Some("refresh_token") => {
            let presented = req.field("refresh_token").unwrap_or_default();
            if st.valid_refresh.contains(presented) {
                tokens(st)
            } else {
                oauth_error(400, "invalid_grant", "Invalid refresh token")
            }
        }
        Some(DEVICE_GRANT) => {
            let Some(script) = st.device.as_mut() else {
                return oauth_error(400, "invalid_grant", "Device code not valid");
            };
            if req.field("device_code") != Some(script.device_code.as_str()) {
                return oauth_error(400, "invalid_grant", "Device code not valid");
            }
            match script.steps.pop_front().unwrap_or(DeviceStep::Pending) {
                DeviceStep::Pending => oauth_error(
                    400,
                    "authorization_pending",
                    "The authorization request is still pending",
                ),
                DeviceStep::SlowDown => oauth_error(400, "slow_down", "Slow down"),
                DeviceStep::Expire => oauth_error(400, "expired_token", "Device code is expired"),
                DeviceStep::Deny => oauth_error(
                    400,
                    "access_denied",
                    "The end user denied the authorization request",
                ),
                DeviceStep::Approve => tokens(st),
            }
        }
        _ => oauth_error(400, "unsupported_grant_type", "Unsupported grant_type"),
    }
}

fn tokens(st: &mut State) -> Response<Full<Bytes>> {
    st.counter += 1;
    let n = st.counter;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"stand-in"}"#);
    let mut claims = serde_json::json!({
        "iat": now,
        "jti": format!("at-{n}-{}", nonce()),
        "iss": format!("{}/auth/realms/{REALM}", st.base),
        "azp": CLIENT_ID,
        "typ": "Bearer",
    });
    if st.exp_claim {
        claims["exp"] = serde_json::json!(now + st.access_lifetime);
    }
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signature = URL_SAFE_NO_PAD.encode(format!("signature-{n}"));
    let access = format!("{header}.{payload}.{signature}");
    st.issued.push(access.clone());
    let mut body = serde_json::json!({
        "access_token": access,
        "expires_in": st.expires_in.unwrap_or(st.access_lifetime),
        "refresh_expires_in": 0,
        "token_type": "Bearer",
        "not-before-policy": 0,
        "session_state": format!("session-{n}"),
        "scope": "openid offline_access",
    });
    if st.rotate_refresh {
        let refresh = format!("refresh-{n}-{}", nonce());
        st.valid_refresh.insert(refresh.clone());
        st.issued.push(refresh.clone());
        body["refresh_token"] = serde_json::json!(refresh);
    }
    json(200, body)
}

/// Everything logged through `tracing` while the guard lives, on this thread
/// (and in blocking tasks that carry the subscriber along).
///
/// The capture is a thread-local default subscriber, and `tracing` caches
/// per call site, process-wide, whether any subscriber is interested in it.
/// While exactly one dispatcher is registered, that cache is filled from the
/// default of whichever thread first reaches the call site: a parallel test
/// without a subscriber reaching `obtained a new access token` first would
/// cache "never" and blind the capture (tokio-rs/tracing#3611; it happened
/// under load). Two inert dispatchers registered once per process, before any
/// capture, keep `tracing` on its other path, which asks every registered
/// dispatcher, the capture included, under a lock that orders it with
/// registrations.
pub struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
    written: Arc<Notify>,
    _guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone)]
struct CaptureWriter {
    buffer: Arc<Mutex<Vec<u8>>>,
    written: Arc<Notify>,
}

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer
            .lock()
            .expect("log buffer")
            .extend_from_slice(buf);
        self.written.notify_waiters();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// Captures every level, from every crate, as plain text.
    pub fn start() -> Self {
        static ANCHORS: OnceLock<[tracing::Dispatch; 2]> = OnceLock::new();
        ANCHORS.get_or_init(|| {
            [(), ()].map(|()| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()))
        });
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let written = Arc::new(Notify::new());
        let writer = CaptureWriter {
            buffer: buffer.clone(),
            written: written.clone(),
        };
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        Self {
            buffer,
            written,
            _guard: guard,
        }
    }

    /// The text logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().expect("log buffer")).into_owned()
    }

    /// Waits until the text logged so far contains `needle`, without a time
    /// limit of its own: wrap it in a generous `tokio::time::timeout`.
    pub async fn wait_for(&self, needle: &str) {
        loop {
            let written = self.written.notified();
            let mut written = std::pin::pin!(written);
            // Registered before the check, so a write in between still wakes.
            written.as_mut().enable();
            if self.text().contains(needle) {
                return;
            }
            written.await;
        }
    }
}
