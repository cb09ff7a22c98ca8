//! The derivation of one document: parse -> rules -> overlay -> post-overlay
//! rules -> verify, all in memory. Writing the result is the caller's.

use serde_json::Value;

use crate::overlay::{self, Applied, Overlay};
use crate::rules::{POST_OVERLAY_RULES, RULES, RuleCtx};
use crate::walk::{Kind, walk_document};
use crate::{Error, Result, canon, meta};

/// One derived document and its meta record, ready to be written or compared.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Derived {
    /// The service's spec name (`registry`, `id-service`, ...).
    pub service: String,
    /// The derived document.
    pub spec: Value,
    /// The meta record: source, upstream hash, rule counts, overlays applied,
    /// hand-written operations, warnings.
    pub meta: Value,
    /// Canonical text of [`spec`](Self::spec), exactly as a sync writes it.
    pub spec_text: String,
    /// Canonical text of [`meta`](Self::meta), exactly as a sync writes it.
    pub meta_text: String,
    /// How many places each rule (and the overlay, as `overlays`) changed,
    /// in the order they ran.
    pub rule_counts: Vec<(&'static str, usize)>,
    /// Things worth a maintainer's look that did not stop the derivation,
    /// each prefixed with the service.
    pub warnings: Vec<String>,
}

impl Derived {
    /// One line of rule counts: `registry: strip_prose=1234 nullable_any_of=285 ...`.
    pub fn summary(&self) -> String {
        let counts: Vec<String> = self
            .rule_counts
            .iter()
            .map(|(n, c)| format!("{n}={c}"))
            .collect();
        format!("{}: {}", self.service, counts.join(" "))
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Derives the document of `service` from the bytes the service publishes
/// (its `openapi.json`), applying `overlay` (the service's overlay file, if
/// it has one) between the two groups of rules.
///
/// `source` names the document in error messages and is recorded in the
/// meta record's `source` field, which [`compare`](crate::compare) ignores.
///
/// Fails on anything that is not an OpenAPI 3.0 JSON document, on an
/// overlay that contradicts the document, and on a result that the client's
/// code generator could not read.
///
/// ```
/// let upstream = br#"{"openapi": "3.0.2", "info": {"title": "Jobs", "version": "1"},
///     "paths": {}}"#;
/// let derived = provena_specs::derive("job", "job.json", upstream, None)?;
/// assert_eq!(derived.meta["source"], "job.json");
/// assert!(derived.spec_text.ends_with("}\n"));
/// # Ok::<(), provena_specs::Error>(())
/// ```
pub fn derive(
    service: &str,
    source: &str,
    raw: &[u8],
    overlay: Option<&Overlay>,
) -> Result<Derived> {
    let label = source;
    let mut doc: Value = serde_json::from_slice(raw).map_err(|source| Error::MalformedJson {
        label: label.to_owned(),
        source,
    })?;
    let openapi = match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => v.to_string(),
        // The rules and progenitor both assume 3.0 semantics (nullable, no
        // type arrays); a 3.1 document needs a different normalisation.
        Some(v) => {
            return Err(Error::UnsupportedVersion {
                label: label.to_owned(),
                version: v.to_owned(),
            });
        }
        None => {
            return Err(Error::NotOpenApi {
                label: label.to_owned(),
            });
        }
    };

    // The hash is of the document's content, in canonical form, so that the
    // same document hashes the same whether it comes from a file written by
    // hand or tool, or from a live server that serves it compactly.
    let sha = sha256_hex(canon::to_string(&doc).as_bytes());

    let ctx = RuleCtx { service };
    let mut rule_counts = Vec::new();
    let mut handwritten = Vec::new();
    let mut warnings = Vec::new();
    for rule in &RULES {
        let out = (rule.apply)(&mut doc, &ctx)?;
        rule_counts.push((rule.name, out.count));
        handwritten.extend(out.handwritten);
        warnings.extend(out.warnings.into_iter().map(|w| format!("{service}: {w}")));
    }
    let applied = match overlay {
        Some(o) => overlay::apply(&mut doc, o)?,
        None => Applied::default(),
    };
    rule_counts.push(("overlays", applied.count()));
    warnings.extend(applied.redundant.iter().map(|w| format!("{service}: {w}")));
    for rule in &POST_OVERLAY_RULES {
        let out = (rule.apply)(&mut doc, &ctx)?;
        rule_counts.push((rule.name, out.count));
        handwritten.extend(out.handwritten);
        warnings.extend(out.warnings.into_iter().map(|w| format!("{service}: {w}")));
    }

    verify(service, &doc)?;

    let meta = meta::build(&meta::MetaInput {
        service,
        source: label,
        upstream_sha256: &sha,
        openapi: &openapi,
        rules: &rule_counts,
        overlays: &applied,
        handwritten: &handwritten,
        warnings: &warnings,
    });
    Ok(Derived {
        service: service.to_owned(),
        spec_text: canon::to_string(&doc),
        meta_text: canon::to_string(&meta),
        spec: doc,
        meta,
        rule_counts,
        warnings,
    })
}

/// Last guard before anything is written: what build.rs feeds to progenitor
/// must be plain OpenAPI 3.0.
fn verify(service: &str, doc: &Value) -> Result<()> {
    let mut offence: Option<&'static str> = None;
    let mut probe = doc.clone();
    walk_document(&mut probe, &mut |kind, obj| {
        if kind != Kind::Schema || offence.is_some() {
            return;
        }
        if obj.get("type").and_then(Value::as_str) == Some("null") {
            offence = Some("a {\"type\": \"null\"} schema remains");
        } else if obj.get("type").is_some_and(Value::is_array) {
            offence = Some("a schema with an array-valued \"type\" remains");
        } else if obj.get("items").is_some_and(Value::is_array) {
            offence = Some("an array-form \"items\" remains");
        }
    });
    if let Some(what) = offence {
        return Err(Error::NotOpenApi30 {
            service: service.to_owned(),
            what,
        });
    }
    serde_json::from_value::<openapiv3::OpenAPI>(doc.clone()).map_err(|source| {
        Error::Rejected {
            service: service.to_owned(),
            source,
        }
    })?;
    Ok(())
}
