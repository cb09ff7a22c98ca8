//! Peak heap and wall time of one large registry list response (20,000
//! organisations, tens of MB) through the facade's
//! `registry().list_items::<Organisation>` and through plain reqwest +
//! serde_json into the same generated type; and 100,000 items paged through
//! the facade's stream (and by hand with reqwest) in flat memory.
//!
//! ```text
//! cargo bench --bench memory -- [--smoke] [--items N] [--reps N]
//!     [--stream-items N] [--stream-page N] [--json]
//! ```
//!
//! Peak heap comes from a counting global allocator (below): the bytes live
//! on the heap, the highest value reached, and a reset of that high-water
//! mark before each measured call. It counts every thread of the process, the
//! loopback server's too; the server serves one pre-built body (cloning a
//! `Bytes` is a reference count), so what it adds per call is a few KB of
//! connection buffers. `dhat` (kube's choice) would also do, but it records a
//! backtrace per allocation, which slows a decode of millions of small
//! allocations by orders of magnitude, and it brings `backtrace` with its
//! DWARF readers into the build; the numbers needed here are only current and
//! peak bytes.
//!
//! Reported per client: wall time, peak heap during the call, what the
//! decoded value still holds after the call, and both divided by the body.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::{Args, BenchServer, LIST_PATH, ListMode, Routes, TOKEN};
use provena_client::clients::registry::Organisation;
use provena_client::models::{OrganisationListResponse, SubtypeListRequest};
use provena_client::{Config, ProvenaClient, auth::StaticToken};
use serde_json::{Value, json};

/// The system allocator, counting live bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    fn grew(size: usize) {
        let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
        PEAK.fetch_max(live, Ordering::Relaxed);
    }

    fn shrank(size: usize) {
        LIVE.fetch_sub(size, Ordering::Relaxed);
    }

    /// Bytes live now.
    fn live() -> usize {
        LIVE.load(Ordering::Relaxed)
    }

    /// Restarts the high-water mark from the bytes live now.
    fn reset_peak() -> usize {
        let live = Self::live();
        PEAK.store(live, Ordering::Relaxed);
        live
    }

    fn peak() -> usize {
        PEAK.load(Ordering::Relaxed)
    }
}

// SAFETY: every call is forwarded unchanged to `System`; the counters only
// observe the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            Self::grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            Self::grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        Self::shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            // Counted as a grow then a shrink, so the peak sees both blocks
            // (a realloc that moves holds both for a moment).
            Self::grew(new_size);
            Self::shrank(layout.size());
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn config(base: &str) -> Config {
    Config::builder()
        .domain("bench.invalid")
        .endpoint("registry", base)
        .build()
        .expect("bench configuration")
}

fn list_request(page_size: usize, pagination_key: Option<Value>) -> SubtypeListRequest {
    serde_json::from_value(json!({ "page_size": page_size, "pagination_key": pagination_key }))
        .expect("SubtypeListRequest")
}

/// One whole-list call of `kind`: peak heap during the call and the heap
/// still held while the decoded response is alive, both above the baseline.
async fn list_once(kind: &str, base: &str, items: usize) -> (usize, usize) {
    let request = list_request(items, None);
    let config = config(base);
    // Clients are built before the peak is reset, so their own allocations
    // (connection pool, TLS roots) do not count.
    let facade = ProvenaClient::new(config.clone(), StaticToken::shared(TOKEN)).expect("facade");
    let http = provena_client::build_http_client(&config).expect("reqwest client");
    let url = format!("{base}{LIST_PATH}");
    let baseline = Counting::reset_peak();
    let response: OrganisationListResponse = match kind {
        "facade" => facade
            .registry()
            .list_items::<Organisation>(&request)
            .await
            .expect("facade list"),
        _ => {
            let response = http
                .post(&url)
                .bearer_auth(TOKEN)
                .json(&request)
                .send()
                .await
                .expect("reqwest send")
                .error_for_status()
                .expect("reqwest status");
            let body = response.bytes().await.expect("reqwest body");
            serde_json::from_slice(&body).expect("decode OrganisationListResponse")
        }
    };
    let peak = Counting::peak().saturating_sub(baseline);
    let retained = Counting::live().saturating_sub(baseline);
    let count = response.items.as_ref().map_or(0, Vec::len);
    black_box(&response);
    drop(response);
    assert_eq!(count, items, "{kind} decoded every item");
    (peak, retained)
}

/// Wall time and heap of whole-list calls, alternating the two clients.
async fn whole_list(base: &str, body_bytes: usize, items: usize, reps: usize) -> Value {
    let mut results = Vec::new();
    for kind in ["facade", "reqwest"] {
        let mut walls = Vec::new();
        let mut peaks = Vec::new();
        let mut retained = Vec::new();
        for rep in 0..reps {
            let start = Instant::now();
            let (peak, kept) = list_once(kind, base, items).await;
            let wall = start.elapsed().as_secs_f64();
            eprintln!(
                "{kind} list of {items} items, rep {}: {:.3} s, peak heap {:.1} MB ({:.2}× the body), decoded value {:.1} MB",
                rep + 1,
                wall,
                peak as f64 / 1e6,
                peak as f64 / body_bytes as f64,
                kept as f64 / 1e6
            );
            walls.push(wall);
            peaks.push(peak as f64);
            retained.push(kept as f64);
        }
        let peak = common::median(&peaks);
        let kept = common::median(&retained);
        results.push(json!({
            "client": kind,
            "wall_s_median": common::median(&walls),
            "wall_s_min": walls.iter().copied().fold(f64::INFINITY, f64::min),
            "wall_s_max": walls.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            "peak_heap_bytes": peak,
            "peak_over_body": peak / body_bytes as f64,
            "decoded_bytes": kept,
            "decoded_over_body": kept / body_bytes as f64,
            "transient_over_body": (peak - kept) / body_bytes as f64,
        }));
    }
    json!({ "items": items, "body_bytes": body_bytes, "reps": reps, "clients": results })
}

/// Pages through the paged list with plain reqwest, one page alive at a
/// time: the baseline the facade's stream is compared with.
async fn paged_plain(base: &str, page_size: usize) -> (usize, usize) {
    let config = config(base);
    let http = provena_client::build_http_client(&config).expect("reqwest client");
    let url = format!("{base}{LIST_PATH}");
    let baseline = Counting::reset_peak();
    let mut key: Option<Value> = None;
    let mut seen = 0usize;
    loop {
        let body = http
            .post(&url)
            .bearer_auth(TOKEN)
            .json(&list_request(page_size, key.take()))
            .send()
            .await
            .expect("reqwest send")
            .error_for_status()
            .expect("reqwest status")
            .bytes()
            .await
            .expect("reqwest body");
        let page: OrganisationListResponse = serde_json::from_slice(&body).expect("decode a page");
        seen += page.items.as_ref().map_or(0, Vec::len);
        match page.pagination_key {
            Some(next) if !next.is_empty() => key = Some(Value::Object(next)),
            _ => break,
        }
    }
    (seen, Counting::peak().saturating_sub(baseline))
}

/// The facade's stream over every item of the paged list
/// (`list_items_paginated`): items are counted and dropped as they come.
async fn paged_facade_stream(base: &str, page_size: usize) -> Option<(usize, usize)> {
    use futures_util::StreamExt as _;
    let facade = ProvenaClient::new(config(base), StaticToken::shared(TOKEN)).expect("facade");
    let request = list_request(page_size, None);
    let baseline = Counting::reset_peak();
    let mut items = facade
        .registry()
        .list_items_paginated::<Organisation>(&request)
        .items();
    let mut seen = 0usize;
    while let Some(item) = items.next().await {
        black_box(item.expect("a streamed organisation"));
        seen += 1;
    }
    Some((seen, Counting::peak().saturating_sub(baseline)))
}

/// 100,000 items through pages: peak heap should stay near one page,
/// whatever the number of items.
async fn streamed(server_items: usize, page_size: usize) -> Value {
    let server = BenchServer::start(
        Routes {
            fetch: bytes::Bytes::new(),
            list: ListMode::paged(server_items, page_size),
        },
        1,
    );
    let page_bytes = common::list_body(0, page_size, server_items, Some(page_size)).len();
    let mut results = Vec::new();
    let start = Instant::now();
    let (seen, peak) = paged_plain(&server.url(), page_size).await;
    let wall = start.elapsed().as_secs_f64();
    assert_eq!(seen, server_items, "plain paging saw every item");
    eprintln!(
        "reqwest paging {seen} items in pages of {page_size}: {wall:.3} s, peak heap {:.1} MB ({:.2}× one page)",
        peak as f64 / 1e6,
        peak as f64 / page_bytes as f64
    );
    results.push(
        json!({ "client": "reqwest pages", "items": seen, "wall_s": wall,
        "peak_heap_bytes": peak, "peak_over_page": peak as f64 / page_bytes as f64 }),
    );
    let start = Instant::now();
    match paged_facade_stream(&server.url(), page_size).await {
        Some((seen, peak)) => {
            let wall = start.elapsed().as_secs_f64();
            assert_eq!(seen, server_items, "the facade's stream saw every item");
            results.push(
                json!({ "client": "facade stream", "items": seen, "wall_s": wall,
                "peak_heap_bytes": peak, "peak_over_page": peak as f64 / page_bytes as f64 }),
            );
        }
        None => {
            eprintln!("facade stream: not measured");
            results.push(
                json!({ "client": "facade stream", "todo": "pagination streams not merged yet" }),
            );
        }
    }
    json!({ "items": server_items, "page_size": page_size, "page_bytes": page_bytes, "clients": results })
}

fn main() {
    let args = Args::from_env();
    let smoke = args.smoke();
    let items: usize = args
        .value("--items")
        .unwrap_or(if smoke { 200 } else { 20_000 });
    let reps: usize = args.value("--reps").unwrap_or(if smoke { 1 } else { 3 });
    let stream_items: usize =
        args.value("--stream-items")
            .unwrap_or(if smoke { 500 } else { 100_000 });
    let stream_page: usize = args
        .value("--stream-page")
        .unwrap_or(if smoke { 100 } else { 1_000 });

    let body = common::list_body(0, items, items, None);
    let body_bytes = body.len();
    eprintln!(
        "list body: {items} items, {:.1} MB",
        body_bytes as f64 / 1e6
    );
    let server = BenchServer::start(
        Routes {
            fetch: bytes::Bytes::new(),
            list: ListMode::Whole(body),
        },
        1,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let report = runtime.block_on(async {
        let whole = whole_list(&server.url(), body_bytes, items, reps).await;
        let streamed = streamed(stream_items, stream_page).await;
        json!({ "bench": "memory", "smoke": smoke, "whole_list": whole, "streamed": streamed })
    });

    if args.flag("--json") {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("JSON report")
        );
    } else {
        for client in report["whole_list"]["clients"]
            .as_array()
            .into_iter()
            .flatten()
        {
            println!(
                "list of {items} items ({:.1} MB): {:<8} {:.3} s, peak heap {:.2}× the body, decoded value {:.2}× the body",
                body_bytes as f64 / 1e6,
                client["client"].as_str().unwrap_or("?"),
                client["wall_s_median"].as_f64().unwrap_or(f64::NAN),
                client["peak_over_body"].as_f64().unwrap_or(f64::NAN),
                client["decoded_over_body"].as_f64().unwrap_or(f64::NAN),
            );
        }
        for client in report["streamed"]["clients"]
            .as_array()
            .into_iter()
            .flatten()
        {
            println!("paged {stream_items} items: {client}");
        }
    }
}
