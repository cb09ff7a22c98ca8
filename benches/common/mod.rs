//! What the benches share: realistic registry bodies and a fast loopback
//! HTTP/1.1 server that serves them from memory on its own thread and runtime
//! (so it never competes with the client's tokio workers for a scheduler) and
//! counts the connections it accepts.
#![allow(dead_code)] // each bench uses a different part

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Route of `registry().fetch_item::<Organisation>`.
pub const FETCH_PATH: &str = "/registry/agent/organisation/fetch";
/// Route of `registry().list_items::<Organisation>`.
pub const LIST_PATH: &str = "/registry/agent/organisation/list";
/// The bearer token every client sends (the server does not check it).
pub const TOKEN: &str = "bench-token";
/// The id the fetch benches ask for.
pub const FETCH_ID: &str = "10378.1/1712345";

/// One complete organisation record as the registry stores it: two history
/// entries, user metadata, versioning and workflow links. About 1.15 KB of JSON.
pub fn organisation_item(index: usize) -> Value {
    let id = format!("10378.1/{}", 1_700_000 + index);
    let name = format!("Coastal Ecosystems Research Organisation {index}");
    let display = format!("CERO {index}");
    let domain_info = json!({
        "name": name,
        "display_name": display,
        "ror": "https://ror.org/03qn8fb07",
    });
    json!({
        "id": id,
        "name": name,
        "display_name": display,
        "ror": "https://ror.org/03qn8fb07",
        "user_metadata": {
            "division": "Marine and atmospheric science",
            "contact": format!("registry-team-{index}@example.org"),
        },
        "owner_username": "alex.morgan@example.org",
        "created_timestamp": 1_712_345_678,
        "updated_timestamp": 1_712_399_001,
        "item_category": "AGENT",
        "item_subtype": "ORGANISATION",
        "record_type": "COMPLETE_ITEM",
        "history": [
            {
                "id": 0,
                "timestamp": 1_712_345_678,
                "reason": "Initial record creation",
                "username": "alex.morgan@example.org",
                "item": domain_info.clone(),
            },
            {
                "id": 1,
                "timestamp": 1_712_399_001,
                "reason": "Corrected the contact address",
                "username": "alex.morgan@example.org",
                "item": domain_info,
            },
        ],
        "versioning_info": {
            "version": 1,
            "reason": "first version",
            "previous_version": null,
            "next_version": null,
        },
        "workflow_links": {
            "create_activity_workflow_id": format!("10378.1/{}", 2_700_000 + index),
            "version_activity_workflow_id": null,
        },
    })
}

/// The body of a successful `fetch_item::<Organisation>` (about 1.3 KB).
pub fn fetch_body() -> Bytes {
    let body = json!({
        "status": { "success": true, "details": "Successfully fetched item." },
        "item": organisation_item(12_345),
        "item_is_seed": false,
        "locked": false,
        "roles": ["metadata-read", "metadata-write", "admin"],
    });
    Bytes::from(body.to_string())
}

/// A list response holding `items` organisations; with `next_offset`, the
/// pagination key that asks for the page starting there.
pub fn list_body(first: usize, items: usize, total: usize, next_offset: Option<usize>) -> Bytes {
    // Written piecewise so that a 20,000-item body is not held twice as a
    // `Value` tree and a string while it is generated.
    let mut out = String::with_capacity(items * 1_200 + 512);
    out.push_str(r#"{"status":{"success":true,"details":"Successfully listed items."},"items":["#);
    for index in first..first + items {
        if index > first {
            out.push(',');
        }
        out.push_str(&organisation_item(index).to_string());
    }
    out.push_str("],");
    match next_offset {
        Some(offset) => out.push_str(&format!(r#""pagination_key":{{"offset":{offset}}},"#)),
        None => out.push_str(r#""pagination_key":null,"#),
    }
    out.push_str(&format!(
        r#""total_item_count":{total},"complete_item_count":{total},"seed_item_count":0,"unparsable_item_count":0,"not_authorised_count":0,"seed_items":[],"unparsable_items":[]}}"#
    ));
    Bytes::from(out)
}

/// What the server answers on the list route.
#[derive(Clone)]
pub enum ListMode {
    /// One canned body, whatever the request.
    Whole(Bytes),
    /// `total` items in pages of `page_size`, following `{"offset": n}` keys.
    /// Every page repeats the same canned items (only the key changes), so the
    /// server holds one page, not the whole collection.
    Paged {
        /// Items in the whole collection.
        total: usize,
        /// Items per page.
        page_size: usize,
        /// The `"items":[...]` array of one page, without brackets.
        page_items: Bytes,
    },
}

impl ListMode {
    /// Paged mode with the page generated once.
    pub fn paged(total: usize, page_size: usize) -> Self {
        let mut items = String::new();
        for index in 0..page_size {
            if index > 0 {
                items.push(',');
            }
            items.push_str(&organisation_item(index).to_string());
        }
        ListMode::Paged {
            total,
            page_size,
            page_items: Bytes::from(items),
        }
    }
}

/// What the server serves.
#[derive(Clone)]
pub struct Routes {
    /// Body of the fetch route.
    pub fetch: Bytes,
    /// Behaviour of the list route.
    pub list: ListMode,
}

/// A running server. Dropping it stops it and joins its thread.
pub struct BenchServer {
    addr: SocketAddr,
    connections: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BenchServer {
    /// Starts serving `routes` on an ephemeral loopback port, on a thread of
    /// its own with a tokio runtime of `threads` workers (1: current-thread).
    pub fn start(routes: Routes, threads: usize) -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        std_listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = std_listener.local_addr().expect("local address");
        let connections = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&connections);
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || {
                let runtime = if threads <= 1 {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                } else {
                    tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(threads)
                        .enable_all()
                        .build()
                }
                .expect("server runtime");
                runtime.block_on(serve(std_listener, Arc::new(routes), counter, stopped));
            })
            .expect("spawn the server thread");
        Self {
            addr,
            connections,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted since the start.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    routes: Arc<Routes>,
    connections: Arc<AtomicU64>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        connections.fetch_add(1, Ordering::Relaxed);
        let routes = Arc::clone(&routes);
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(Arc::clone(&routes), request));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn json_response(body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

async fn answer(
    routes: Arc<Routes>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let response = match (&parts.method, parts.uri.path()) {
        (&Method::GET, FETCH_PATH) => json_response(routes.fetch.clone()),
        (&Method::POST, LIST_PATH) => {
            let request_body = body
                .collect()
                .await
                .map(|collected| collected.to_bytes())
                .unwrap_or_default();
            match &routes.list {
                ListMode::Whole(body) => json_response(body.clone()),
                ListMode::Paged {
                    total,
                    page_size,
                    page_items,
                } => json_response(page(&request_body, *total, *page_size, page_items)),
            }
        }
        _ => {
            let mut response = Response::new(Full::new(Bytes::from_static(
                br#"{"detail":"the bench server does not serve this route"}"#,
            )));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    };
    Ok(response)
}

/// One page of the paged list: the offset comes from the request's
/// `pagination_key` (`{"offset": n}`; absent on the first page).
fn page(request: &[u8], total: usize, page_size: usize, page_items: &Bytes) -> Bytes {
    let offset = serde_json::from_slice::<Value>(request)
        .ok()
        .and_then(|v| v.pointer("/pagination_key/offset").and_then(Value::as_u64))
        .unwrap_or(0) as usize;
    let count = page_size.min(total.saturating_sub(offset));
    let next = (offset + count < total).then_some(offset + count);
    // The canned page holds `page_size` items; a short last page cuts it at
    // the item boundary (items are separated by `},{` only at top level
    // because each item is one compact object).
    let items: &[u8] = if count == page_size {
        page_items
    } else {
        cut_items(page_items, count)
    };
    let mut out = Vec::with_capacity(items.len() + 512);
    out.extend_from_slice(
        br#"{"status":{"success":true,"details":"Successfully listed items."},"items":["#,
    );
    out.extend_from_slice(items);
    out.extend_from_slice(b"],");
    match next {
        Some(next) => {
            out.extend_from_slice(format!(r#""pagination_key":{{"offset":{next}}},"#).as_bytes())
        }
        None => out.extend_from_slice(br#""pagination_key":null,"#),
    }
    out.extend_from_slice(
        format!(r#""total_item_count":{total},"complete_item_count":{total}}}"#).as_bytes(),
    );
    Bytes::from(out)
}

/// The first `count` items of a comma-separated run of compact JSON objects.
fn cut_items(items: &[u8], count: usize) -> &[u8] {
    if count == 0 {
        return &[];
    }
    let mut depth = 0usize;
    let mut seen = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (at, &byte) in items.iter().enumerate() {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    seen += 1;
                    if seen == count {
                        return &items[..=at];
                    }
                }
            }
            _ => {}
        }
    }
    items
}

/// Command-line flags shared by the benches: `--name value` pairs and bare
/// switches. `cargo bench` appends `--bench`; `cargo test` does not, which is
/// how a bench knows it runs as a test (and then does a smoke pass).
pub struct Args {
    raw: Vec<String>,
}

impl Args {
    /// The process's arguments.
    pub fn from_env() -> Self {
        Self {
            raw: std::env::args().skip(1).collect(),
        }
    }

    /// Whether the bare switch `name` is present.
    pub fn flag(&self, name: &str) -> bool {
        self.raw.iter().any(|a| a == name)
    }

    /// The value after `name`, parsed.
    pub fn value<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        let at = self.raw.iter().position(|a| a == name)?;
        let value = self.raw.get(at + 1)?;
        match value.parse() {
            Ok(value) => Some(value),
            Err(_) => panic!("{name} expects a value, got {value:?}"),
        }
    }

    /// The value after `name` as a string.
    pub fn string(&self, name: &str) -> Option<String> {
        self.value::<String>(name)
    }

    /// A smoke pass: asked for, or run by `cargo test` (no `--bench`).
    pub fn smoke(&self) -> bool {
        self.flag("--smoke") || !self.flag("--bench")
    }
}

/// The value at quantile `q` (0..=1) of sorted `values` (nearest rank).
pub fn quantile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// The median of `values` (mean of the two middle ones for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}
