//! The facade against the real upstream Provena servers.
//!
//! `scripts/real-servers/run run -- cargo test --test real_servers` starts the
//! registry, job, data store and auth APIs from `../shared/provena-upstream`
//! (unmodified, on moto and two small stand-ins) and exports where they are.
//! Each workflow below drives the facade through what users do and checks
//! contents, not only the absence of errors. Every request passes a recording
//! proxy, so that after the run the suite can say
//!
//! - which operations were exercised against a real server (the coverage line:
//!   every operation of the four services is either exercised or listed in
//!   `real::NOT_RUNNABLE` with the reason, or the suite fails), and
//! - which fields, enum values, types or nulls the real answers carry that the
//!   vendored documents do not declare (a finding not in [`KNOWN_FINDINGS`]
//!   fails the suite, so the next hidden field is named here, not discovered
//!   as a decode failure in a user's pipeline).
//!
//! Without the servers' variables the workflows are reported as ignored (and,
//! under `CI=true`, the run fails naming what is missing).

mod common;
mod real;

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::{Arguments, Trial};
use real::{Ctx, NOT_RUNNABLE, RealEnv, SERVICES, Workflow};

/// A class of disagreement between the real servers and the vendored
/// documents that is known and handled: a finding kind, in a schema, at a
/// member name, wherever (which operation, how deep) it shows up.
struct KnownFinding {
    kind: &'static str,
    schema: &'static str,
    member: &'static str,
    why: &'static str,
}

/// Every known class; anything else the real servers send fails the suite.
const KNOWN_FINDINGS: &[KnownFinding] = &[KnownFinding {
    kind: "UndeclaredField",
    schema: "CollectionFormatDatasetInfo",
    member: "version",
    why: "hidden from the schema upstream (RegistryModels.py, hidden_from_schema); \
          kept in `extra` by the open_objects rule and sent back on update",
}];

impl KnownFinding {
    fn matches(&self, finding: &common::undeclared::Finding) -> bool {
        finding.kind.as_str() == self.kind
            && finding.schema == self.schema
            && finding.path.rsplit('/').next() == Some(self.member)
    }
}

fn workflows() -> Vec<(&'static str, Workflow)> {
    let mut all = Vec::new();
    all.extend(real::registry::WORKFLOWS.iter().copied());
    all.extend(real::datastore::WORKFLOWS.iter().copied());
    all.extend(real::job::WORKFLOWS.iter().copied());
    all.extend(real::auth::WORKFLOWS.iter().copied());
    all.extend(real::cli::WORKFLOWS.iter().copied());
    all.extend(real::search::WORKFLOWS.iter().copied());
    all.extend(real::paging::WORKFLOWS.iter().copied());
    all.extend(real::waiting::WORKFLOWS.iter().copied());
    all
}

fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    // The workflows share the servers' state (lists, links, locks): one at a
    // time keeps every assertion about that state exact.
    args.test_threads = Some(1);
    let selective = args.filter.is_some() || !args.skip.is_empty() || args.list;

    let env = match RealEnv::from_env() {
        Ok(env) => env,
        Err(missing) => {
            let reason = format!(
                "real servers not running (missing {missing}); run under scripts/real-servers/run"
            );
            if common::skip::in_ci() && !args.list {
                eprintln!("real_servers: FAILED: {reason}");
                return ExitCode::FAILURE;
            }
            let trials = workflows()
                .into_iter()
                .map(|(name, _)| Trial::test(name, || Ok(())).with_ignored_flag(true))
                .collect();
            eprintln!("real_servers: SKIPPED: {reason}");
            return libtest_mimic::run(&args, trials).exit_code();
        }
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let ctx = Arc::new(runtime.block_on(Ctx::start(env)));
    // The registry refuses to create entities and activities for a user
    // without a linked Person: the fixtures (which link the admin user) come
    // first, whatever the order or filter of the workflows.
    runtime.block_on(ctx.fixtures());
    let started = std::time::Instant::now();
    let trials = workflows()
        .into_iter()
        .map(|(name, workflow)| {
            let ctx = Arc::clone(&ctx);
            let handle = runtime.handle().clone();
            Trial::test(name, move || {
                handle.block_on(workflow(ctx));
                Ok(())
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    // The dataset-file workflows' local trees.
    common::s3::remove_scratch();
    eprintln!(
        "real_servers: workflows took {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let exchanges: Vec<_> = ctx.proxies.iter().flat_map(|p| p.exchanges()).collect();
    let report = common::undeclared::report(&common::specs::specs_dir(), &exchanges);
    let mut failed = conclusion.has_failed();
    if !selective {
        failed |= !coverage(&report.observed);
    }
    failed |= !findings(&report);
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints the coverage line; false when an operation is neither exercised
/// nor explained.
fn coverage(observed: &BTreeMap<(String, String), BTreeSet<u16>>) -> bool {
    let mut total = 0;
    let mut seen = 0;
    let mut unexplained = Vec::new();
    let mut excused = Vec::new();
    for service in SERVICES {
        for operation in common::specs::operations(service) {
            total += 1;
            let key = (service.to_string(), operation.operation_id.clone());
            if observed.contains_key(&key) {
                seen += 1;
            } else if let Some((_, _, reason)) = NOT_RUNNABLE
                .iter()
                .find(|(s, op, _)| *s == service && *op == operation.operation_id)
            {
                excused.push(format!("{service}.{}: {reason}", operation.operation_id));
            } else {
                unexplained.push(format!("{service}.{}", operation.operation_id));
            }
        }
    }
    let listed: Vec<String> = NOT_RUNNABLE
        .iter()
        .map(|(service, op, _)| format!("{service}.{op}"))
        .collect();
    eprintln!(
        "real-server coverage: {seen}/{total} operations ({} not runnable: {})",
        excused.len(),
        listed.join(", ")
    );
    for line in &excused {
        eprintln!("  not runnable: {line}");
    }
    for (service, operation) in observed.keys() {
        if NOT_RUNNABLE
            .iter()
            .any(|(s, op, _)| s == service && op == operation)
        {
            eprintln!("  listed as not runnable but exercised: {service}.{operation}");
            unexplained.push(format!("{service}.{operation} (remove from NOT_RUNNABLE)"));
        }
    }
    if !unexplained.is_empty() {
        eprintln!(
            "real_servers: FAILED: {} operations neither exercised nor explained:\n  {}",
            unexplained.len(),
            unexplained.join("\n  ")
        );
    }
    unexplained.is_empty()
}

/// Prints what the real answers carry that the documents do not declare;
/// false when something is not in [`KNOWN_FINDINGS`].
fn findings(report: &common::undeclared::Report) -> bool {
    eprintln!("real-server findings against specs/:\n{}", report.render());
    let mut new = 0;
    for reported in &report.findings {
        match KNOWN_FINDINGS.iter().find(|k| k.matches(&reported.finding)) {
            Some(known) => eprintln!("  known: {} ({})", reported.render(), known.why),
            None => {
                new += 1;
                eprintln!("  NEW: {}", reported.render());
            }
        }
    }
    if new > 0 {
        eprintln!(
            "real_servers: FAILED: {new} new disagreements between the real servers and specs/; \
             handle each in the client and add it to KNOWN_FINDINGS with the reason"
        );
    }
    new == 0
}
