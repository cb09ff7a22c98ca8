//! The facade's `registry().fetch_item::<Organisation>` against plain reqwest
//! with serde_json decoding into the same generated type, on one loopback server
//! in one process: sequential calls and 64 concurrent callers, in interleaved
//! rounds (the two clients alternate, and which goes first alternates too), so
//! that drift in the machine's load hits both alike. Also counts the
//! connections each client opens per 1,000 sequential calls, and optionally
//! runs the Python client (scripts/bench_python.py) against the same server.
//!
//! ```text
//! cargo bench --bench facade_vs_reqwest -- [--smoke] [--rounds N] [--reps N]
//!     [--calls N] [--concurrent-calls N] [--concurrency N]
//!     [--server-threads N] [--client-threads N]
//!     [--python PYTHON] [--python-calls N] [--json]
//! cargo bench --bench facade_vs_reqwest -- --only facade|reqwest [--calls N]
//! ```
//!
//! `--only` makes N sequential calls of one client on a single-threaded
//! runtime and nothing else, for a profiler: under
//! `valgrind --tool=callgrind` the difference between two call counts is the
//! per-call instruction cost of that client, whatever the machine's load.
//!
//! Under `cargo test` (no `--bench` argument) it runs a smoke pass. Progress
//! goes to stderr; the summary (text, or JSON with `--json`) to stdout.

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Args, BenchServer, FETCH_ID, FETCH_PATH, ListMode, Routes, TOKEN};
use provena_client::clients::registry::Organisation;
use provena_client::models::{OrganisationFetchResponse, OrganisationFetchResponseItem};
use provena_client::{Config, ProvenaClient, auth::StaticToken};
use serde_json::{Value, json};

/// The two clients under comparison.
#[derive(Clone)]
enum Subject {
    Facade(ProvenaClient),
    Plain {
        http: reqwest::Client,
        url: Arc<str>,
        bearer: Arc<str>,
    },
}

impl Subject {
    /// A new client of `kind` for the server at `base` (its own connection pool).
    fn new(kind: &str, base: &str) -> Self {
        let config = Config::builder()
            .domain("bench.invalid")
            .endpoint("registry", base)
            .build()
            .expect("bench configuration");
        match kind {
            "facade" => Subject::Facade(
                ProvenaClient::new(config, StaticToken::shared(TOKEN)).expect("facade client"),
            ),
            _ => {
                // The very reqwest client the facade builds for itself (same
                // timeouts, user agent and TLS provider).
                let http = provena_client::build_http_client(&config).expect("reqwest client");
                Subject::Plain {
                    http,
                    url: format!("{base}{FETCH_PATH}").into(),
                    bearer: format!("Bearer {TOKEN}").into(),
                }
            }
        }
    }

    /// One fetch, decoded into the generated type.
    async fn call(&self) -> OrganisationFetchResponse {
        match self {
            Subject::Facade(client) => client
                .registry()
                .fetch_item::<Organisation>(FETCH_ID, None)
                .await
                .expect("facade fetch"),
            Subject::Plain { http, url, bearer } => {
                let response = http
                    .get(&**url)
                    .query(&[("id", FETCH_ID)])
                    .header(reqwest::header::AUTHORIZATION, &**bearer)
                    .send()
                    .await
                    .expect("reqwest send")
                    .error_for_status()
                    .expect("reqwest status");
                let body = response.bytes().await.expect("reqwest body");
                serde_json::from_slice(&body).expect("decode OrganisationFetchResponse")
            }
        }
    }
}

/// Checks that the fixture decodes into a complete organisation, so that
/// neither client measures an error path.
fn check(response: &OrganisationFetchResponse) {
    match &response.item {
        Some(OrganisationFetchResponseItem::ItemOrganisation(item)) => {
            assert!(item.display_name.starts_with("CERO"), "unexpected item");
            assert_eq!(item.history.len(), 2);
        }
        other => panic!("the fixture did not decode as a complete organisation: {other:?}"),
    }
}

/// Calls/s and per-call latencies of one timed run.
struct Run {
    calls_per_s: f64,
    latencies: Vec<Duration>,
}

async fn sequential(subject: &Subject, calls: usize) -> Run {
    let mut latencies = Vec::with_capacity(calls);
    let start = Instant::now();
    for _ in 0..calls {
        let began = Instant::now();
        black_box(subject.call().await);
        latencies.push(began.elapsed());
    }
    let elapsed = start.elapsed();
    Run {
        calls_per_s: calls as f64 / elapsed.as_secs_f64(),
        latencies,
    }
}

async fn concurrent(subject: &Subject, calls: usize, callers: usize) -> Run {
    let per_caller = calls.div_ceil(callers);
    let start = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let subject = subject.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_caller);
                for _ in 0..per_caller {
                    let began = Instant::now();
                    black_box(subject.call().await);
                    latencies.push(began.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(per_caller * callers);
    for task in tasks {
        latencies.extend(task.await.expect("caller task"));
    }
    let elapsed = start.elapsed();
    Run {
        calls_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
        latencies,
    }
}

/// Results of one client in one mode, over all repetitions.
#[derive(Default)]
struct Series {
    /// calls/s per round, per repetition.
    rounds: Vec<Vec<f64>>,
    latencies: Vec<Duration>,
}

impl Series {
    fn summary(&self) -> Value {
        let all: Vec<f64> = self.rounds.iter().flatten().copied().collect();
        let mut latencies = self.latencies.clone();
        latencies.sort();
        let micros = |q| common::quantile(&latencies, q).map(|d: Duration| d.as_secs_f64() * 1e6);
        json!({
            "calls_per_s_median": common::median(&all),
            "calls_per_s_median_per_rep": self.rounds.iter().map(|r| common::median(r)).collect::<Vec<_>>(),
            "calls_per_s_rounds": self.rounds,
            "latency_us_p50": micros(0.50),
            "latency_us_p99": micros(0.99),
        })
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Sequential,
    Concurrent,
}

struct Settings {
    rounds: usize,
    reps: usize,
    calls: usize,
    concurrent_calls: usize,
    concurrency: usize,
}

/// Interleaved rounds of both clients in one mode; per repetition, the
/// median over rounds of the per-round ratio facade/reqwest.
async fn compare(server: &BenchServer, settings: &Settings, mode: Mode) -> Value {
    let label = match mode {
        Mode::Sequential => "sequential".to_string(),
        Mode::Concurrent => format!("{}-way", settings.concurrency),
    };
    let mut facade = Series::default();
    let mut plain = Series::default();
    let mut ratios_per_rep = Vec::new();
    for rep in 0..settings.reps {
        // Fresh clients per repetition, warmed up (pool filled, first-call
        // costs paid) before timing.
        let subjects = [
            Subject::new("facade", &server.url()),
            Subject::new("reqwest", &server.url()),
        ];
        for subject in &subjects {
            check(&subject.call().await);
            let _ = concurrent(subject, settings.concurrency * 4, settings.concurrency).await;
        }
        let mut facade_rounds = Vec::new();
        let mut plain_rounds = Vec::new();
        let mut ratios = Vec::new();
        for round in 0..settings.rounds {
            let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            let mut speeds = [0.0f64; 2];
            for index in order {
                let subject = &subjects[index];
                let run = match mode {
                    Mode::Sequential => sequential(subject, settings.calls).await,
                    Mode::Concurrent => {
                        concurrent(subject, settings.concurrent_calls, settings.concurrency).await
                    }
                };
                speeds[index] = run.calls_per_s;
                let series = if index == 0 { &mut facade } else { &mut plain };
                series.latencies.extend(run.latencies);
            }
            eprintln!(
                "{label} rep {} round {:>2}: facade {:>9.0} calls/s  reqwest {:>9.0} calls/s  ratio {:.3}",
                rep + 1,
                round + 1,
                speeds[0],
                speeds[1],
                speeds[0] / speeds[1]
            );
            facade_rounds.push(speeds[0]);
            plain_rounds.push(speeds[1]);
            ratios.push(speeds[0] / speeds[1]);
        }
        facade.rounds.push(facade_rounds);
        plain.rounds.push(plain_rounds);
        ratios_per_rep.push(common::median(&ratios));
    }
    let min = ratios_per_rep.iter().copied().fold(f64::INFINITY, f64::min);
    let max = ratios_per_rep
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    json!({
        "mode": label,
        "facade": facade.summary(),
        "reqwest": plain.summary(),
        "ratio_median": common::median(&ratios_per_rep),
        "ratio_min": min,
        "ratio_max": max,
        "ratio_per_rep": ratios_per_rep,
    })
}

/// Connections a fresh client opens over `calls` sequential calls.
async fn connections_per_calls(server: &BenchServer, kind: &str, calls: usize) -> u64 {
    let subject = Subject::new(kind, &server.url());
    let before = server.connections();
    for _ in 0..calls {
        black_box(subject.call().await);
    }
    server.connections() - before
}

/// Runs scripts/bench_python.py with `python` against the server; its JSON
/// report plus the connections the server accepted meanwhile.
fn python_client(server: &BenchServer, python: &str, calls: usize) -> Value {
    let driver = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bench_python.py");
    let before = server.connections();
    let output = std::process::Command::new(python)
        .arg(driver)
        .env("PROVENA_BENCH_URL", server.url())
        .env("PROVENA_BENCH_CALLS", calls.to_string())
        .env("PROVENA_BENCH_ID", FETCH_ID)
        .env("PROVENA_BENCH_TOKEN", TOKEN)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run the Python driver");
    let connections = server.connections() - before;
    assert!(
        output.status.success(),
        "the Python driver failed: {}",
        output.status
    );
    let mut report: Value =
        serde_json::from_slice(&output.stdout).expect("the Python driver prints one JSON object");
    let total_calls =
        report["calls"].as_u64().unwrap_or(0) + report["warmup_calls"].as_u64().unwrap_or(0);
    report["connections"] = json!(connections);
    report["connections_per_1000_calls"] =
        json!(connections as f64 * 1000.0 / total_calls.max(1) as f64);
    report
}

fn main() {
    let args = Args::from_env();
    let smoke = args.smoke();
    let settings = Settings {
        rounds: args.value("--rounds").unwrap_or(if smoke { 2 } else { 20 }),
        reps: args.value("--reps").unwrap_or(if smoke { 1 } else { 3 }),
        calls: args
            .value("--calls")
            .unwrap_or(if smoke { 20 } else { 2_000 }),
        concurrent_calls: args.value("--concurrent-calls").unwrap_or(if smoke {
            128
        } else {
            8_192
        }),
        concurrency: args.value("--concurrency").unwrap_or(64),
    };
    let server_threads: usize = args.value("--server-threads").unwrap_or(1);
    let client_threads: usize = args
        .value("--client-threads")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let connection_calls: usize = if smoke { 20 } else { 1_000 };
    let python_calls: usize =
        args.value("--python-calls")
            .unwrap_or(if smoke { 20 } else { 1_000 });

    let fetch = common::fetch_body();
    let body_bytes = fetch.len();
    let server = BenchServer::start(
        Routes {
            fetch,
            list: ListMode::Whole(bytes::Bytes::new()),
        },
        server_threads,
    );
    eprintln!(
        "bench server at {} (fetch body {body_bytes} bytes)",
        server.url()
    );

    if let Some(kind) = args.string("--only") {
        let calls: usize = args.value("--calls").unwrap_or(1_000);
        only(&server, &kind, calls, args.value("--client-threads"));
        return;
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(client_threads)
        .enable_all()
        .build()
        .expect("client runtime");
    let report = runtime.block_on(async {
        let sequential = compare(&server, &settings, Mode::Sequential).await;
        let concurrent = compare(&server, &settings, Mode::Concurrent).await;
        let facade_connections = connections_per_calls(&server, "facade", connection_calls).await;
        let plain_connections = connections_per_calls(&server, "reqwest", connection_calls).await;
        json!({
            "bench": "facade_vs_reqwest",
            "smoke": smoke,
            "settings": {
                "rounds": settings.rounds,
                "reps": settings.reps,
                "sequential_calls_per_round": settings.calls,
                "concurrent_calls_per_round": settings.concurrent_calls,
                "concurrency": settings.concurrency,
                "server_threads": server_threads,
                "client_threads": client_threads,
                "fetch_body_bytes": body_bytes,
            },
            "sequential": sequential,
            "concurrent": concurrent,
            "connections": {
                "sequential_calls": connection_calls,
                "facade": facade_connections,
                "reqwest": plain_connections,
            },
        })
    });
    let mut report = report;
    if let Some(python) = args.string("--python") {
        eprintln!("Python client: {python_calls} sequential calls");
        report["python"] = python_client(&server, &python, python_calls);
    }

    if args.flag("--json") {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("JSON report")
        );
    } else {
        print_text(&report);
    }
}

/// `--only`: `calls` sequential calls of one client after a short warm-up,
/// on a single-threaded runtime (or, with `--client-threads N`, the
/// comparison's multi-threaded one).
fn only(server: &BenchServer, kind: &str, calls: usize, threads: Option<usize>) {
    assert!(
        matches!(kind, "facade" | "reqwest"),
        "--only expects facade or reqwest, got {kind:?}"
    );
    let runtime = match threads {
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Some(threads) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build(),
    }
    .expect("client runtime");
    runtime.block_on(async {
        let subject = Subject::new(kind, &server.url());
        check(&subject.call().await);
        let run = sequential(&subject, calls).await;
        eprintln!("{kind}: {calls} calls, {:.0} calls/s", run.calls_per_s);
    });
}

fn print_text(report: &Value) {
    for mode in ["sequential", "concurrent"] {
        let r = &report[mode];
        println!(
            "{:<12} facade {:>9.0} calls/s (p50 {:.0} µs, p99 {:.0} µs)  reqwest {:>9.0} calls/s (p50 {:.0} µs, p99 {:.0} µs)  ratio {:.3} [{:.3}–{:.3}]",
            r["mode"].as_str().unwrap_or(mode),
            r["facade"]["calls_per_s_median"]
                .as_f64()
                .unwrap_or(f64::NAN),
            r["facade"]["latency_us_p50"].as_f64().unwrap_or(f64::NAN),
            r["facade"]["latency_us_p99"].as_f64().unwrap_or(f64::NAN),
            r["reqwest"]["calls_per_s_median"]
                .as_f64()
                .unwrap_or(f64::NAN),
            r["reqwest"]["latency_us_p50"].as_f64().unwrap_or(f64::NAN),
            r["reqwest"]["latency_us_p99"].as_f64().unwrap_or(f64::NAN),
            r["ratio_median"].as_f64().unwrap_or(f64::NAN),
            r["ratio_min"].as_f64().unwrap_or(f64::NAN),
            r["ratio_max"].as_f64().unwrap_or(f64::NAN),
        );
    }
    let c = &report["connections"];
    println!(
        "connections over {} sequential calls: facade {}, reqwest {}",
        c["sequential_calls"], c["facade"], c["reqwest"]
    );
    if let Some(python) = report.get("python") {
        println!(
            "Python client {}: {:.1} calls/s, {} connections for {} calls",
            python["version"],
            python["calls_per_s"].as_f64().unwrap_or(f64::NAN),
            python["connections"],
            python["calls"]
        );
    }
}
