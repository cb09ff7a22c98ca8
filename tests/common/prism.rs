//! Stoplight Prism for the contract tests: finding the mock servers that
//! `scripts/prism run` started (from the environment), and a recording
//! loopback proxy between the client and them.
//!
//! Prism answers a request that breaks the document with the document's own
//! 422 (or 401 for a missing bearer token) and lists what was wrong in its
//! `sl-violations` response header, which the client never surfaces. The
//! proxy keeps every exchange, violations included, so that a test can say
//! exactly what Prism rejected. It also asks Prism for the mode under test:
//! static (no preference) or dynamic with a fixed seed
//! (`Prefer: dynamic=true, seed=N`, honoured per request).
#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use provena_client::auth::StaticToken;
use provena_client::retry::RetryPolicy;
use provena_client::services::SERVICES;
use provena_client::{Config, ProvenaClient};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::skip::Missing;

/// The token the contract clients send.
pub const TOKEN: &str = "contract-test-token";

/// Writes a line to the real stderr, past the test harness's capture, so
/// that it shows in a plain `cargo test` run.
pub fn announce(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Which documents a set of Prism servers serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentSet {
    /// The vendored, normalised `specs/`.
    Specs,
    /// Upstream `served/`: what deployments serve.
    Served,
    /// Upstream `typed/`: the same with every response typed.
    Typed,
}

impl DocumentSet {
    fn env_prefix(self) -> &'static str {
        match self {
            DocumentSet::Specs => "PROVENA_PRISM_SPECS",
            DocumentSet::Served => "PROVENA_PRISM_SERVED",
            DocumentSet::Typed => "PROVENA_PRISM_TYPED",
        }
    }

    /// A name for messages.
    pub fn label(self) -> &'static str {
        match self {
            DocumentSet::Specs => "vendored specs/",
            DocumentSet::Served => "upstream served/",
            DocumentSet::Typed => "upstream typed/",
        }
    }
}

/// The Prism servers of one document set: a base URL per service.
#[derive(Debug, Clone)]
pub struct PrismServers {
    /// The documents they serve.
    pub set: DocumentSet,
    urls: BTreeMap<&'static str, String>,
}

impl PrismServers {
    /// The servers `scripts/prism run` announced for `set`: `None` when there
    /// are none; a panic when only some services have one.
    pub fn from_env(set: DocumentSet) -> Option<Self> {
        let mut urls = BTreeMap::new();
        let mut missing = Vec::new();
        for service in SERVICES {
            let name = Self::variable(set, service.name);
            match std::env::var(&name) {
                Ok(url) if !url.trim().is_empty() => {
                    urls.insert(service.name, url.trim().trim_end_matches('/').to_string());
                }
                _ => missing.push(name),
            }
        }
        if urls.is_empty() {
            return None;
        }
        assert!(
            missing.is_empty(),
            "Prism servers of {} are only partly announced; missing: {}",
            set.label(),
            missing.join(", ")
        );
        Some(Self { set, urls })
    }

    /// `PROVENA_PRISM_{SET}_{SERVICE}_URL`.
    fn variable(set: DocumentSet, service: &str) -> String {
        format!(
            "{}_{}_URL",
            set.env_prefix(),
            service.to_uppercase().replace('-', "_")
        )
    }

    /// The servers for `set`, or what is missing for them and how to provide
    /// it (for [`skip::trial`](super::skip::trial), which fails in CI and
    /// skips visibly elsewhere).
    pub fn require(set: DocumentSet) -> Result<Self, Missing> {
        if let Some(servers) = Self::from_env(set) {
            return Ok(servers);
        }
        let services: Vec<String> = SERVICES
            .iter()
            .map(|s| s.name.to_uppercase().replace('-', "_"))
            .collect();
        let what = format!(
            "Prism on the {} documents ({}_<SERVICE>_URL unset, <SERVICE> = {})",
            set.label(),
            set.env_prefix(),
            services.join(", ")
        );
        const RUN: &str = "scripts/prism run -- cargo test --test contract";
        let how = match set {
            DocumentSet::Specs => format!(
                "run `{RUN}` (or scripts/test): it installs the pinned Prism with npm \
                 (needs Node >= 20.16), starts the servers and sets these variables"
            ),
            DocumentSet::Served | DocumentSet::Typed => {
                let (dir, origin) = upstream_dir();
                if dir.join("served").is_dir() && dir.join("typed").is_dir() {
                    format!(
                        "run `{RUN}`: it serves the upstream documents it finds in {} ({origin})",
                        dir.display()
                    )
                } else {
                    format!(
                        "put the upstream provena-openapi documents (its served/ and typed/ \
                         directories) in {} ({origin}; not found there), then run `{RUN}`",
                        dir.display()
                    )
                }
            }
        };
        Err(Missing::new(what, how))
    }

    /// The version `scripts/prism` reported, for messages.
    pub fn version() -> String {
        std::env::var("PROVENA_PRISM_VERSION").unwrap_or_else(|_| "(unknown version)".into())
    }
}

/// Where `scripts/prism` looks for the upstream documents:
/// `$PROVENA_OPENAPI_DIR`, else `../shared/provena-openapi` beside the
/// repository; with a word on which it was.
fn upstream_dir() -> (PathBuf, &'static str) {
    match std::env::var_os("PROVENA_OPENAPI_DIR") {
        Some(dir) if !dir.is_empty() => (PathBuf::from(dir), "$PROVENA_OPENAPI_DIR"),
        _ => {
            let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
            let beside = beside.canonicalize().unwrap_or(beside);
            (
                beside.join("shared/provena-openapi"),
                "the default; set PROVENA_OPENAPI_DIR to use another directory",
            )
        }
    }
}

/// How Prism makes up its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// From the document's examples, else a static sample of the schema.
    Static,
    /// Random schema-valid data, deterministic for a seed.
    Dynamic {
        /// The seed.
        seed: u32,
    },
}

impl Mode {
    fn prefer(self) -> Option<String> {
        match self {
            Mode::Static => None,
            Mode::Dynamic { seed } => Some(format!("dynamic=true, seed={seed}")),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Static => write!(f, "static mode"),
            Mode::Dynamic { seed } => write!(f, "dynamic mode, seed {seed}"),
        }
    }
}

/// One entry of Prism's `sl-violations` header.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Violation {
    /// Where: `["request", "body", ...]` or `["response", ...]`.
    #[serde(default)]
    pub location: Vec<Value>,
    /// `Error`, `Warning`, ...
    #[serde(default)]
    pub severity: String,
    /// What Prism says.
    #[serde(default)]
    pub message: String,
}

impl Violation {
    /// Whether this is an error about the request.
    pub fn is_request_error(&self) -> bool {
        self.severity == "Error" && self.location.first().and_then(Value::as_str) == Some("request")
    }

    /// Whether this is an error about Prism's own response.
    pub fn is_response_error(&self) -> bool {
        self.severity == "Error"
            && self.location.first().and_then(Value::as_str) == Some("response")
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location: Vec<String> = self
            .location
            .iter()
            .map(|part| match part {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .collect();
        write!(
            f,
            "{}: {} [{}]",
            location.join("."),
            self.message,
            self.severity
        )
    }
}

/// One request through the proxy and Prism's answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The service, from the first path segment.
    pub service: String,
    /// Upper-case method.
    pub method: String,
    /// The path as Prism saw it (without the service segment).
    pub path: String,
    /// Prism's status.
    pub status: u16,
    /// Prism's `sl-violations`, about the request and its own response.
    pub violations: Vec<Violation>,
    /// Whether Prism cut the header short (it lists request violations
    /// first, so those are complete unless the header is all requests).
    pub violations_truncated: bool,
    /// Prism's response body (before the proxy's success flip).
    pub body: Bytes,
}

impl Exchange {
    /// Prism's errors about the request.
    pub fn request_errors(&self) -> Vec<&Violation> {
        self.violations
            .iter()
            .filter(|v| v.is_request_error())
            .collect()
    }

    /// At most 300 characters of the body.
    pub fn body_excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut end = text.len().min(300);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text[..end].to_string()
    }
}

/// A loopback reverse proxy: `/{service}/...` goes to that service's Prism.
pub struct PrismProxy {
    addr: SocketAddr,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    task: JoinHandle<()>,
    /// Where it forwards to.
    pub servers: PrismServers,
    /// The mode it asks Prism for.
    pub mode: Mode,
}

impl Drop for PrismProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Forward {
    servers: PrismServers,
    mode: Mode,
    http: reqwest::Client,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl PrismProxy {
    /// Starts a proxy to `servers`, asking for `mode`.
    pub async fn start(servers: &PrismServers, mode: Mode) -> Self {
        provena_client::install_crypto_provider();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let forward = Arc::new(Forward {
            servers: servers.clone(),
            mode,
            http: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .expect("proxy HTTP client"),
            exchanges: Arc::clone(&exchanges),
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let forward = Arc::clone(&forward);
                tokio::spawn(async move {
                    let service = service_fn(move |request| Arc::clone(&forward).handle(request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            exchanges,
            task,
            servers: servers.clone(),
            mode,
        }
    }

    /// A client of the whole deployment through this proxy, retries off.
    pub fn client(&self) -> ProvenaClient {
        let mut builder = Config::builder()
            .retry(RetryPolicy::disabled())
            .request_timeout(Duration::from_secs(60));
        for service in SERVICES {
            builder = builder.endpoint(
                service.name,
                format!("http://{}/{}", self.addr, service.name),
            );
        }
        let config = builder.build().expect("valid contract configuration");
        ProvenaClient::new(config, StaticToken::shared(TOKEN)).expect("client builds")
    }

    /// `http://127.0.0.1:{port}/{service}`: the service's base URL through
    /// the proxy.
    pub fn url(&self, service: &str) -> String {
        format!("http://{}/{service}", self.addr)
    }

    /// The exchanges since the last call.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(
            &mut self
                .exchanges
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// What this proxy serves, for messages.
    pub fn label(&self) -> String {
        format!(
            "Prism {} on {}, {}",
            PrismServers::version(),
            self.servers.set.label(),
            self.mode
        )
    }
}

/// Hop-by-hop and length headers, which each side sets itself.
const SKIPPED_HEADERS: [&str; 5] = [
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
];

impl Forward {
    async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, std::io::Error> {
        let (parts, body) = request.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let full_path = parts.uri.path();
        let (service, path) = match full_path.trim_start_matches('/').split_once('/') {
            Some((service, rest)) => (service.to_string(), format!("/{rest}")),
            None => (full_path.trim_start_matches('/').to_string(), "/".into()),
        };
        let Some(base) = self.servers.urls.get(service.as_str()) else {
            return Ok(plain(
                502,
                format!("no Prism server for service {service:?}"),
            ));
        };
        let target = match parts.uri.query() {
            Some(query) => format!("{base}{path}?{query}"),
            None => format!("{base}{path}"),
        };
        let mut outgoing = self.http.request(parts.method.clone(), target).body(body);
        for (name, value) in &parts.headers {
            if !SKIPPED_HEADERS.contains(&name.as_str()) {
                outgoing = outgoing.header(name, value);
            }
        }
        if let Some(prefer) = self.mode.prefer() {
            outgoing = outgoing.header("prefer", prefer);
        }
        let answer = match outgoing.send().await {
            Ok(answer) => answer,
            Err(error) => {
                return Ok(plain(
                    502,
                    format!("the proxy could not reach Prism for {service}: {error}"),
                ));
            }
        };
        let status = answer.status();
        let headers = answer.headers().clone();
        let body = answer.bytes().await.unwrap_or_default();
        let violations_raw = headers
            .get("sl-violations")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let (violations, violations_truncated) = violations_raw
            .as_deref()
            .map(parse_violations)
            .unwrap_or_default();
        let json = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        let forwarded = if status.is_success() && json {
            force_success(&body).unwrap_or_else(|| body.clone())
        } else {
            body.clone()
        };
        self.exchanges
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(Exchange {
                service,
                method: parts.method.as_str().to_string(),
                path,
                status: status.as_u16(),
                violations,
                violations_truncated,
                body,
            });
        let mut response = Response::new(Full::new(forwarded));
        *response.status_mut() = status;
        for (name, value) in &headers {
            if !SKIPPED_HEADERS.contains(&name.as_str()) {
                response.headers_mut().append(name, value.clone());
            }
        }
        Ok(response)
    }
}

/// Reads Prism's `sl-violations` header. Past 8 KiB Prism cuts it and puts
/// `Too many violations! ` in front: every complete entry is kept then.
fn parse_violations(raw: &str) -> (Vec<Violation>, bool) {
    if let Ok(all) = serde_json::from_str::<Vec<Violation>>(raw) {
        return (all, false);
    }
    let violations = raw
        .match_indices("{\"location\"")
        .filter_map(|(start, _)| {
            serde_json::Deserializer::from_str(&raw[start..])
                .into_iter::<Violation>()
                .next()?
                .ok()
        })
        .collect();
    (violations, true)
}

/// Random data says `success == false` half of the time, and the client
/// then reports the in-body failure without decoding the rest. To have every
/// response decoded, every `false` success flag the client checks (the
/// body's own and those one member deep: `status.success`,
/// `state_change.success`, ...) becomes `true`, which the schema allows just
/// as well.
fn force_success(body: &[u8]) -> Option<Bytes> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object_mut()?;
    let mut changed = false;
    let mut flip = |flag: Option<&mut Value>| {
        if let Some(flag) = flag
            && *flag == Value::Bool(false)
        {
            *flag = Value::Bool(true);
            changed = true;
        }
    };
    flip(object.get_mut("success"));
    for member in object.values_mut() {
        if let Value::Object(member) = member {
            flip(member.get_mut("success"));
        }
    }
    changed.then(|| serde_json::to_vec(&value).ok().map(Bytes::from))?
}

fn plain(status: u16, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
    response
}

/// Whether a concrete path matches an OpenAPI path template.
pub fn path_matches(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}
