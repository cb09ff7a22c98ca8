//! `provena specs check`: whether a deployment still publishes the API this
//! client was built from.
//!
//! The client's raw clients are generated from normalised copies of the
//! services' OpenAPI documents (the crate's `specs/`), which are compiled
//! into this binary with their overlays. The check fetches each service's
//! `<base URL>/openapi.json` (or reads a directory of documents), derives
//! the normalised form with `provena_specs`, exactly as `cargo xtask specs
//! sync` would, and names every difference from the compiled-in copy.

use std::io::Write;

use clap::{Args, Subcommand};
use futures_util::future::join_all;
use provena_client::services::SERVICES;
use provena_specs::{Committed, Comparison, Derived, Overlay, Vendored};
use serde::Serialize;

use crate::context::Context;
use crate::error::CliError;
use crate::output::Out;

/// `provena specs ...`.
#[derive(Debug, Subcommand)]
pub enum Specs {
    /// Compare the deployment's OpenAPI documents with the ones this client
    /// was built from; exits 5 when they drifted (1 when they could not be
    /// compared).
    Check(Check),
}

/// Options of `provena specs check`.
#[derive(Debug, Args)]
pub struct Check {
    /// Read the documents from DIR/<service>.json, or from URL, instead of the
    /// configured deployment. A URL containing `{prefix}` is a per-service
    /// host (`https://{prefix}.example.org`, each service's `/openapi.json`);
    /// any other URL serves URL/<service>/openapi.json.
    #[arg(long, value_name = "DIR|URL")]
    pub from: Option<String>,
    /// Check only this service (repeatable): auth, registry, datastore,
    /// search, prov, job, id-service.
    #[arg(long, value_name = "SERVICE")]
    pub only: Vec<String>,
}

/// One service's vendored document, meta record and overlay, as compiled in.
struct Embedded {
    name: &'static str,
    spec: &'static str,
    meta: &'static str,
    overlay: &'static str,
}

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        [$(Embedded {
            name: $name,
            spec: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/", $name, ".json")),
            meta: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/", $name, ".meta.json")),
            overlay: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/overlays/", $name, ".json")),
        }),*]
    };
}

/// The documents this binary was built from, one per service of
/// [`SERVICES`] (a unit test keeps the two lists equal).
static EMBEDDED: [Embedded; 7] = embedded![
    "auth",
    "registry",
    "datastore",
    "search",
    "prov",
    "job",
    "id-service",
];

/// The most a document may weigh (the registry's is about 0.25 MB).
const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;

/// Where the upstream documents come from.
enum Source {
    /// Each service's base URL (the configured deployment).
    Deployment(Vec<(&'static str, String)>),
    /// `--from DIR` or `--from URL`.
    From(String),
}

/// The report, as `--output json` prints it.
#[derive(Serialize)]
struct Report {
    /// Whether any service drifted.
    drift: bool,
    services: Vec<ServiceReport>,
    /// Schema names that the fetched documents give different content.
    conflicts: Vec<String>,
}

#[derive(Serialize)]
struct ServiceReport {
    service: &'static str,
    /// Where its document was read.
    source: String,
    /// One line per difference of the API; empty when there is none.
    drift: Vec<String>,
    /// Differences that leave the API as it is: the served document changed
    /// only in what the derivation strips (descriptions, examples), seen in
    /// its hash and rule counts. Not drift.
    notes: Vec<String>,
}

/// Runs `provena specs ...`; `context` is the configured deployment, which
/// `--from` does without (see [`needs_deployment`]).
pub async fn run(out: Out, context: Option<&Context>, command: Specs) -> Result<(), CliError> {
    match command {
        Specs::Check(args) => {
            let source = match (&args.from, context) {
                (Some(from), _) => Source::From(from.clone()),
                (None, Some(context)) => Source::Deployment(
                    SERVICES
                        .iter()
                        .map(|s| {
                            let base = context.config.endpoint(s.name).map(|u| u.to_string());
                            base.map(|base| (s.name, base))
                        })
                        .collect::<Result<_, _>>()?,
                ),
                (None, None) => {
                    return Err(CliError::Usage(
                        "specs check needs --from or a configured deployment".to_owned(),
                    ));
                }
            };
            let http = match &source {
                Source::From(from) if !is_url(from) => None,
                _ => Some(match context {
                    Some(context) => context.http()?,
                    None => standalone_http()?,
                }),
            };
            check(out, http, source, args).await
        }
    }
}

/// An HTTP client for `--from URL` without a configured deployment: the
/// library's default timeouts and user agent.
fn standalone_http() -> Result<reqwest::Client, CliError> {
    provena_client::install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .user_agent(concat!("provena-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| {
            CliError::Failed(format!("cannot build the HTTP client: {}", causes(&error)))
        })
}

/// Whether `specs check` needs the configured deployment: only without `--from`.
pub fn needs_deployment(command: &Specs) -> bool {
    match command {
        Specs::Check(args) => args.from.is_none(),
    }
}

async fn check(
    out: Out,
    http: Option<reqwest::Client>,
    source: Source,
    args: Check,
) -> Result<(), CliError> {
    let chosen = selected(&args.only)?;
    let locations: Vec<(&'static Embedded, Location)> = chosen
        .iter()
        .map(|embedded| (*embedded, locate(&source, embedded.name)))
        .collect();
    let fetched = join_all(
        locations
            .iter()
            .map(|(_, location)| read(http.as_ref(), location)),
    )
    .await;

    let mut derived = Vec::new();
    for ((embedded, location), bytes) in locations.iter().zip(fetched) {
        let bytes = bytes?;
        let overlay_label = format!("specs/overlays/{}.json", embedded.name);
        let overlay = Overlay::from_slice(&overlay_label, embedded.overlay.as_bytes())
            .map_err(|error| CliError::Failed(format!("the built-in {error}")))?;
        let one = provena_specs::derive(embedded.name, location.label(), &bytes, Some(&overlay))
            .map_err(|error| {
                CliError::Failed(format!(
                    "{}: the document cannot be normalised: {error}",
                    embedded.name
                ))
            })?;
        derived.push(one);
    }
    // Shared schema names are opened alike across documents; the services
    // not checked count with their built-in documents.
    let others: Vec<serde_json::Value> = EMBEDDED
        .iter()
        .filter(|e| !chosen.iter().any(|c| c.name == e.name))
        .filter_map(|e| serde_json::from_str(e.spec).ok())
        .collect();
    let others: Vec<&serde_json::Value> = others.iter().collect();
    let conflicts = provena_specs::harmonise_with(&mut derived, &others);

    let services: Vec<ServiceReport> = locations
        .iter()
        .zip(&derived)
        .map(|((embedded, location), derived)| {
            let Comparison {
                document, record, ..
            } = compare(embedded, derived);
            ServiceReport {
                service: embedded.name,
                source: location.label().to_owned(),
                drift: document,
                notes: record,
            }
        })
        .collect();
    let drifted: Vec<&str> = services
        .iter()
        .filter(|s| !s.drift.is_empty())
        .map(|s| s.service)
        .collect();
    let report = Report {
        drift: !drifted.is_empty() || !conflicts.is_empty(),
        services,
        conflicts,
    };
    out.emit(&report, |w| text(w, &report))?;
    if !report.drift {
        return Ok(());
    }
    let what = if drifted.is_empty() {
        "one schema name, different schemas".to_owned()
    } else {
        format!(
            "{} of {} services drifted ({})",
            drifted.len(),
            report.services.len(),
            drifted.join(", ")
        )
    };
    Err(CliError::Drift(format!(
        "{what} from the documents this client was built from"
    )))
}

fn text(w: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    for service in &report.services {
        if service.drift.is_empty() && service.notes.is_empty() {
            writeln!(w, "{}: no drift", service.service)?;
        } else if service.drift.is_empty() {
            writeln!(
                w,
                "{}: no drift; the document differs only in what the client does not use \
                 (descriptions, examples) ({})",
                service.service, service.source
            )?;
            for line in &service.notes {
                writeln!(w, "  note: {line}")?;
            }
        } else {
            writeln!(w, "{}: drift ({})", service.service, service.source)?;
            for line in &service.drift {
                writeln!(w, "  - {line}")?;
            }
            for line in &service.notes {
                writeln!(w, "  note: {line}")?;
            }
        }
    }
    for conflict in &report.conflicts {
        writeln!(w, "one name, different schemas: {conflict}")?;
    }
    Ok(())
}

fn compare(embedded: &Embedded, derived: &Derived) -> Comparison {
    let spec_label = format!("specs/{}.json", embedded.name);
    let meta_label = format!("specs/{}.meta.json", embedded.name);
    provena_specs::compare_parts(
        derived,
        &Vendored {
            spec_label: &spec_label,
            spec: Committed::Bytes(embedded.spec.as_bytes()),
            meta_label: &meta_label,
            meta: Committed::Bytes(embedded.meta.as_bytes()),
        },
    )
}

/// The services named by `--only` (all without it), in the table's order.
fn selected(only: &[String]) -> Result<Vec<&'static Embedded>, CliError> {
    let canonical = |name: &str| name.trim().to_lowercase().replace('_', "-");
    for name in only {
        if !EMBEDDED.iter().any(|e| e.name == canonical(name)) {
            let known: Vec<&str> = EMBEDDED.iter().map(|e| e.name).collect();
            return Err(CliError::Usage(format!(
                "--only {name:?}: unknown service; known: {}",
                known.join(", ")
            )));
        }
    }
    Ok(EMBEDDED
        .iter()
        .filter(|e| only.is_empty() || only.iter().any(|o| canonical(o) == e.name))
        .collect())
}

/// Where one service's document is read.
enum Location {
    File {
        path: std::path::PathBuf,
        label: String,
    },
    Url(String),
}

impl Location {
    fn label(&self) -> &str {
        match self {
            Self::File { label, .. } => label,
            Self::Url(url) => url,
        }
    }
}

fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn locate(source: &Source, service: &'static str) -> Location {
    match source {
        Source::Deployment(bases) => {
            let base = bases
                .iter()
                .find(|(name, _)| *name == service)
                .map(|(_, base)| base.as_str())
                .unwrap_or_default();
            Location::Url(format!("{}/openapi.json", base.trim_end_matches('/')))
        }
        Source::From(from) if is_url(from) => {
            let base = from.trim_end_matches('/');
            if base.contains("{prefix}") {
                let prefix = SERVICES
                    .iter()
                    .find(|s| s.name == service)
                    .map_or(service, |s| s.host_prefix);
                Location::Url(format!("{}/openapi.json", base.replace("{prefix}", prefix)))
            } else {
                Location::Url(format!("{base}/{service}/openapi.json"))
            }
        }
        Source::From(dir) => Location::File {
            path: std::path::Path::new(dir).join(format!("{service}.json")),
            label: format!("{}/{service}.json", dir.trim_end_matches('/')),
        },
    }
}

async fn read(http: Option<&reqwest::Client>, location: &Location) -> Result<Vec<u8>, CliError> {
    match location {
        Location::File { path, label } => tokio::fs::read(path)
            .await
            .map_err(|error| CliError::io(format!("cannot read {label}"), error)),
        Location::Url(url) => {
            let http = http.ok_or_else(|| {
                CliError::Failed(format!("cannot fetch {url}: no HTTP client was set up"))
            })?;
            fetch(http, url).await
        }
    }
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, CliError> {
    let failed = |error: reqwest::Error| {
        CliError::Failed(format!(
            "cannot fetch {url}: {}",
            causes(&error.without_url())
        ))
    };
    let mut response = http.get(url).send().await.map_err(failed)?;
    let status = response.status();
    if !status.is_success() {
        return Err(CliError::Failed(format!(
            "cannot fetch {url}: the server answered {status}"
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(CliError::Failed(format!(
                "cannot fetch {url}: the document is larger than {MAX_DOCUMENT_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error and its causes on one line (`a: b: c`), repeated wording left out.
fn causes(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_has_its_documents_compiled_in() {
        let embedded: Vec<&str> = EMBEDDED.iter().map(|e| e.name).collect();
        let services: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
        assert_eq!(embedded, services);
    }

    #[test]
    fn the_compiled_in_overlays_parse() {
        for embedded in &EMBEDDED {
            assert!(
                Overlay::from_slice(embedded.name, embedded.overlay.as_bytes()).is_ok(),
                "{}",
                embedded.name
            );
        }
    }

    #[test]
    fn an_unknown_service_is_a_usage_error_listing_the_known_ones() {
        let Err(error) = selected(&["regsitry".to_owned()]) else {
            panic!("accepted an unknown service");
        };
        assert_eq!(error.code(), CliError::USAGE);
        assert!(error.to_string().contains("id-service"), "{error}");
    }

    #[test]
    fn a_url_with_a_prefix_placeholder_names_each_services_host() {
        let from = Source::From("https://{prefix}.example.org/".to_owned());
        assert_eq!(
            locate(&from, "id-service").label(),
            "https://handle.example.org/openapi.json"
        );
        let from = Source::From("http://127.0.0.1:8080/api".to_owned());
        assert_eq!(
            locate(&from, "job").label(),
            "http://127.0.0.1:8080/api/job/openapi.json"
        );
    }
}
