//! Contract tests: every facade method (the table of `common/cases.rs`)
//! against Stoplight Prism serving the OpenAPI documents.
//!
//! Prism validates each request against the document (method, path, query,
//! body, content type, the bearer token of the OAuth2 scheme) and answers
//! with data its schemas allow: static samples, or random data for a fixed
//! seed. So a request the document does not allow fails here, naming the case
//! and Prism's message, and so does any schema-valid response that does not
//! decode.
//!
//! The servers come from `scripts/prism run` (which `scripts/test` uses); it
//! installs the pinned Prism, starts one server per service and document and
//! exports their URLs. A test whose servers are missing follows the rule of
//! `common/skip.rs`: it fails in CI (`CI=true`), and elsewhere it is reported
//! as `ignored (missing: ...)`, with a `SKIPPED:` line on stderr saying how to
//! provide them. Hence this binary's own harness (`harness = false`,
//! libtest-mimic): the built-in one cannot ignore a test at run time.
//!
//! - vendored `specs/`: requests validate, responses decode in static mode and
//!   in dynamic mode with three seeds, and every operation is exercised;
//! - upstream documents (when `scripts/prism` found them): requests validate
//!   against `served/` (what deployments serve; its answers are ignored, since
//!   34 of its responses are untyped), and responses generated from `typed/`
//!   decode, statically and with the same seeds.

mod common;

use std::collections::BTreeSet;
use std::future::Future;
use std::process::ExitCode;

use common::cases::{Case, all_cases};
use common::prism::{
    DocumentSet, Exchange, Mode, PrismProxy, PrismServers, announce, path_matches,
};
use common::skip;
use common::specs::{self, SpecOperation};
use libtest_mimic::{Arguments, Trial};
use serde_json::Value;

/// The only operation no facade method reaches, on purpose.
const EXCLUDED_PATH: &str = "/admin/sentry-debug";

/// One case run through the proxy.
struct CaseRun {
    /// `service METHOD path (operation_id)`.
    label: String,
    operation: SpecOperation,
    /// The facade's result.
    result: provena_client::Result<()>,
    /// What went through the proxy.
    exchanges: Vec<Exchange>,
}

impl CaseRun {
    /// Why Prism did not accept the request as the case's operation, if it
    /// did not.
    fn request_problem(&self) -> Option<String> {
        let [exchange] = self.exchanges.as_slice() else {
            return Some(format!(
                "sent {} requests, expected 1 (result: {})",
                self.exchanges.len(),
                describe(&self.result)
            ));
        };
        let operation = &self.operation;
        if exchange.service != operation.service
            || exchange.method != operation.method
            || !path_matches(&operation.path, &exchange.path)
        {
            return Some(format!(
                "sent {} {} to {}, expected {} {} to {}",
                exchange.method,
                exchange.path,
                exchange.service,
                operation.method,
                operation.path,
                operation.service
            ));
        }
        let errors = exchange.request_errors();
        if !errors.is_empty() {
            let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
            let more = if exchange.violations_truncated {
                "; ... (Prism cut the list short)"
            } else {
                ""
            };
            return Some(format!(
                "Prism rejected the request (HTTP {}): {}{more}",
                exchange.status,
                messages.join("; ")
            ));
        }
        if !(200..300).contains(&exchange.status) {
            return Some(format!(
                "Prism answered HTTP {}: {}",
                exchange.status,
                exchange.body_excerpt()
            ));
        }
        None
    }

    /// Whether the response decoded: a failure, or a reason why this case
    /// says nothing (Prism's own answer broke the schema, or Prism failed).
    fn decode_verdict(&self) -> Verdict {
        if let Some(problem) = self.request_problem() {
            if let Some(reason) = self.prism_failure() {
                return Verdict::Unchecked(reason);
            }
            return Verdict::Fail(problem);
        }
        let Err(error) = &self.result else {
            return Verdict::Pass;
        };
        let broken: Vec<String> = self
            .exchanges
            .iter()
            .flat_map(|e| &e.violations)
            .filter(|v| v.is_response_error())
            .map(ToString::to_string)
            .collect();
        if broken.is_empty() {
            Verdict::Fail(format!("does not decode: {error}"))
        } else {
            let more = match broken.len() {
                0..=3 => String::new(),
                n => format!("; and {} more", n - 3),
            };
            Verdict::Unchecked(format!(
                "Prism's answer is not schema-valid ({}{more}); the client said: {error}",
                broken[..broken.len().min(3)].join("; ")
            ))
        }
    }

    /// Prism's own failure to make up an answer (a generator crash), which
    /// says nothing about the client.
    fn prism_failure(&self) -> Option<String> {
        let [exchange] = self.exchanges.as_slice() else {
            return None;
        };
        let body: Value = serde_json::from_slice(&exchange.body).ok()?;
        (exchange.status == 500
            && exchange.request_errors().is_empty()
            && body["type"] == "https://stoplight.io/prism/errors#UNKNOWN")
            .then(|| {
                let title = body["title"].as_str().unwrap_or_default();
                format!(
                    "Prism failed to generate an answer: {}",
                    title.lines().next().unwrap_or_default()
                )
            })
    }
}

/// The outcome of a response check.
enum Verdict {
    Pass,
    Fail(String),
    /// Not a check of the client, for the reason given.
    Unchecked(String),
}

fn describe(result: &provena_client::Result<()>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(error) => error.to_string(),
    }
}

fn find_operation(service: &'static str, operation_id: &str) -> SpecOperation {
    specs::operations(service)
        .into_iter()
        .find(|op| op.operation_id == operation_id)
        .unwrap_or_else(|| panic!("{service} has no operation {operation_id}"))
}

/// Runs every case, one after the other, through a proxy to `servers`.
async fn run_cases(servers: &PrismServers, mode: Mode) -> (String, Vec<CaseRun>) {
    let proxy = PrismProxy::start(servers, mode).await;
    let client = proxy.client();
    let mut runs = Vec::new();
    for Case {
        service,
        operation_id,
        call,
        ..
    } in all_cases()
    {
        let operation = find_operation(service, &operation_id);
        let document = specs::document(service);
        let body = operation
            .request_schema()
            .map(|schema| specs::sample(&document, schema))
            .unwrap_or(Value::Null);
        proxy.take();
        let result = call(client.clone(), body).await;
        runs.push(CaseRun {
            label: format!(
                "{service} {} {} ({operation_id})",
                operation.method, operation.path
            ),
            operation,
            result,
            exchanges: proxy.take(),
        });
    }
    (proxy.label(), runs)
}

/// Fails listing every case `check` finds a problem with.
fn assert_requests(label: &str, runs: &[CaseRun]) {
    assert!(!runs.is_empty(), "the case table is empty");
    let failures: Vec<String> = runs
        .iter()
        .filter_map(|run| {
            run.request_problem()
                .map(|problem| format!("  {}: {problem}", run.label))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "requests: {} of {} cases failed against {label}:\n{}",
        failures.len(),
        runs.len(),
        failures.join("\n")
    );
}

/// Fails listing every case whose response does not decode; says which
/// cases could not be checked because of Prism.
fn assert_responses_decode(label: &str, runs: &[CaseRun]) {
    assert!(!runs.is_empty(), "the case table is empty");
    let mut failures = Vec::new();
    let mut unchecked = Vec::new();
    for run in runs {
        match run.decode_verdict() {
            Verdict::Pass => {}
            Verdict::Fail(problem) => failures.push(format!("  {}: {problem}", run.label)),
            Verdict::Unchecked(reason) => unchecked.push(format!("  {}: {reason}", run.label)),
        }
    }
    if !unchecked.is_empty() {
        announce(&format!(
            "contract: {} of {} responses not checked against {label}, because of Prism:\n{}",
            unchecked.len(),
            runs.len(),
            unchecked.join("\n")
        ));
    }
    assert!(
        failures.is_empty(),
        "responses: {} of {} cases failed against {label}:\n{}",
        failures.len(),
        runs.len(),
        failures.join("\n")
    );
    assert!(
        unchecked.len() < runs.len(),
        "no response could be checked against {label}"
    );
}

/// Every operation of the vendored documents but the excluded one.
fn spec_operations() -> BTreeSet<(&'static str, String, String)> {
    provena_client::services::SERVICES
        .iter()
        .flat_map(|service| specs::operations(service.name))
        .filter(|op| op.path != EXCLUDED_PATH)
        .map(|op| (op.service, op.method, op.path))
        .collect()
}

/// The harness itself: a request the document forbids must come out as a
/// request problem carrying Prism's message, and a missing token too.
async fn an_invalid_request_is_reported_with_prisms_message(servers: PrismServers) {
    let proxy = PrismProxy::start(&servers, Mode::Static).await;
    let http = reqwest::Client::new();
    let operation = find_operation("auth", "user_describe_group");
    let url = format!("{}{}", proxy.url("auth"), operation.path);
    for (what, request, expected) in [
        (
            "without the required query parameter `id`",
            http.get(&url).bearer_auth(common::prism::TOKEN),
            "must have required property 'id'",
        ),
        (
            "without a bearer token",
            http.get(&url).query(&[("id", "g-1")]),
            "HTTP 401",
        ),
    ] {
        let sent = request.send().await;
        let run = CaseRun {
            label: format!("auth GET {} {what}", operation.path),
            operation: operation.clone(),
            result: Ok(()),
            exchanges: proxy.take(),
        };
        assert!(sent.is_ok(), "{}: {sent:?}", run.label);
        let problem = run.request_problem();
        assert!(
            problem.as_deref().is_some_and(|p| p.contains(expected)),
            "{}: expected a request problem mentioning {expected:?}, got {problem:?}",
            run.label
        );
    }
}

/// Every request of the case table validates (the vendored `specs/`, or
/// upstream `served/`, which leaves many responses untyped: only the
/// requests are checked there).
async fn requests_validate(servers: PrismServers) {
    let (label, runs) = run_cases(&servers, Mode::Static).await;
    assert_requests(&label, &runs);
}

/// Every response Prism makes up in `mode` decodes.
async fn responses_decode(servers: PrismServers, mode: Mode) {
    let (label, runs) = run_cases(&servers, mode).await;
    assert_responses_decode(&label, &runs);
}

async fn every_operation_is_exercised(servers: PrismServers) {
    let (label, runs) = run_cases(&servers, Mode::Static).await;
    let exercised: BTreeSet<_> = runs
        .iter()
        .filter(|run| run.request_problem().is_none())
        .map(|run| {
            (
                run.operation.service,
                run.operation.method.clone(),
                run.operation.path.clone(),
            )
        })
        .collect();
    let all = spec_operations();
    let covered = all.intersection(&exercised).count();
    announce(&format!(
        "contract coverage: {covered}/{} operations",
        all.len()
    ));
    let missing: Vec<String> = all
        .difference(&exercised)
        .map(|(service, method, path)| format!("  {service} {method} {path}"))
        .collect();
    assert!(
        missing.is_empty(),
        "contract coverage {covered}/{} against {label}; not exercised (no case, or Prism rejected it):\n{}",
        all.len(),
        missing.join("\n")
    );
}

/// A test that needs the Prism servers of `set` and runs `test` on them, on
/// a current-thread Tokio runtime (as `#[tokio::test]` would).
fn prism_trial<F, Fut>(name: &str, set: DocumentSet, test: F) -> Trial
where
    F: FnOnce(PrismServers) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    skip::trial(
        name,
        move || PrismServers::require(set),
        move |servers| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("Tokio runtime")
                .block_on(test(servers))
        },
    )
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let mut trials = vec![
        prism_trial(
            "an_invalid_request_is_reported_with_prisms_message",
            DocumentSet::Specs,
            an_invalid_request_is_reported_with_prisms_message,
        ),
        prism_trial(
            "requests_validate_against_vendored_specs",
            DocumentSet::Specs,
            requests_validate,
        ),
        prism_trial("static_responses_decode", DocumentSet::Specs, |servers| {
            responses_decode(servers, Mode::Static)
        }),
        prism_trial(
            "every_operation_is_exercised",
            DocumentSet::Specs,
            every_operation_is_exercised,
        ),
        prism_trial(
            "requests_validate_against_served_upstream",
            DocumentSet::Served,
            requests_validate,
        ),
        prism_trial(
            "typed_upstream_static_responses_decode",
            DocumentSet::Typed,
            |servers| responses_decode(servers, Mode::Static),
        ),
    ];
    for seed in [1, 2, 3] {
        let mode = Mode::Dynamic { seed };
        trials.push(prism_trial(
            &format!("dynamic_responses_decode_with_seed_{seed}"),
            DocumentSet::Specs,
            move |servers| responses_decode(servers, mode),
        ));
        trials.push(prism_trial(
            &format!("typed_upstream_responses_decode_with_seed_{seed}"),
            DocumentSet::Typed,
            move |servers| responses_decode(servers, mode),
        ));
    }
    trials.sort_by(|a, b| a.name().cmp(b.name()));
    let conclusion = libtest_mimic::run(&args, trials);
    skip::report("contract");
    conclusion.exit_code()
}
