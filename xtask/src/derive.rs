//! The sync pipeline: fetch -> parse -> rules -> overlays -> post-overlay
//! rules -> verify, all in memory, then (for `sync`) an all-or-nothing write.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::overlay::{self, Applied, Overlay};
use crate::rules::{POST_OVERLAY_RULES, RULES, RuleCtx};
use crate::services::{self, SERVICES, ServiceInfo};
use crate::source::{self, Location};
use crate::walk::{Kind, walk_document};
use crate::{Error, Result, canon, meta, shared};

/// Everything `sync` and `check` need to know.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--from` exactly as given.
    pub from: String,
    /// `--url service=URL` pairs.
    pub overrides: Vec<(String, String)>,
    /// `--only` services; empty means all.
    pub only: Vec<String>,
    pub overlays_dir: PathBuf,
    /// How the overlay directory is named in messages and meta.
    pub overlays_label: String,
}

/// One derived document, ready to be written or compared.
#[derive(Debug, Clone)]
pub struct Derived {
    pub service: &'static str,
    pub spec: Value,
    pub meta: Value,
    /// Canonical text of `spec` and `meta`, exactly as written to disk.
    pub spec_text: String,
    pub meta_text: String,
    pub rule_counts: Vec<(&'static str, usize)>,
    pub warnings: Vec<String>,
}

impl Derived {
    /// `registry: strip_prose=1234 nullable_any_of=285 ...`
    pub fn summary(&self) -> String {
        let counts: Vec<String> = self
            .rule_counts
            .iter()
            .map(|(n, c)| format!("{n}={c}"))
            .collect();
        format!("{}: {}", self.service, counts.join(" "))
    }
}

/// The services selected by `--only`, in table order; unknown names (in
/// `--only` or `--url`) are errors before anything is fetched.
pub fn selected(opts: &Options) -> Result<Vec<&'static ServiceInfo>> {
    for name in opts
        .only
        .iter()
        .chain(opts.overrides.iter().map(|(n, _)| n))
    {
        if services::find(name).is_none() {
            return Err(Error::new(format!(
                "unknown service \"{name}\" (known: {})",
                services::names()
            )));
        }
    }
    Ok(SERVICES
        .iter()
        .filter(|s| opts.only.is_empty() || opts.only.iter().any(|o| o == s.name))
        .collect())
}

/// Derives every selected service, then opens shared schema names alike in
/// every document (see [`crate::shared`]); fails on the first bad input.
/// Returns the names that still differ between documents, which `sync`
/// refuses and `check` reports. With `--only`, only the selected documents are
/// compared (the build script compares all of them again).
pub fn derive_all(opts: &Options) -> Result<(Vec<Derived>, Vec<String>)> {
    let mut out = Vec::new();
    for service in selected(opts)? {
        let location = source::locate(&opts.from, service, &opts.overrides);
        let raw = source::fetch(&location)?;
        let overlay = overlay::load(&opts.overlays_dir, &opts.overlays_label, service.name)?;
        out.push(derive_one(service.name, &location, &raw, overlay.as_ref())?);
    }
    let conflicts = shared::harmonise(&mut out);
    Ok((out, conflicts))
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Derives one document from its raw upstream bytes.
pub fn derive_one(
    service: &'static str,
    location: &Location,
    raw: &[u8],
    overlay: Option<&Overlay>,
) -> Result<Derived> {
    let label = location.label();
    let mut doc: Value = serde_json::from_slice(raw)
        .map_err(|e| Error::new(format!("malformed JSON in {label}: {e}")))?;
    let openapi = match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => v.to_string(),
        // The rules and progenitor both assume 3.0 semantics (nullable, no
        // type arrays); a 3.1 document needs a different normalisation.
        Some(v) => {
            return Err(Error::new(format!(
                "{label}: openapi version \"{v}\" is not supported (expected 3.0.x)"
            )));
        }
        None => {
            return Err(Error::new(format!(
                "{label}: no \"openapi\" version string; not an OpenAPI document"
            )));
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
        service,
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
pub fn verify(service: &str, doc: &Value) -> Result<()> {
    let mut offence: Option<&str> = None;
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
        return Err(Error::new(format!(
            "{service}: derived document is not OpenAPI 3.0: {what}"
        )));
    }
    serde_json::from_value::<openapiv3::OpenAPI>(doc.clone()).map_err(|e| {
        Error::new(format!(
            "{service}: derived document is rejected by the openapiv3 reader: {e}"
        ))
    })?;
    Ok(())
}

/// Writes all derived files into `out`: every file goes to a temp file in
/// the same directory first and is renamed into place only once all temp
/// files exist, so a failure leaves `out` as it was. Unchanged files are not
/// touched, so build.rs doesn't rerun for nothing.
pub fn write_all(out: &Path, derived: &[Derived]) -> Result<usize> {
    fs::create_dir_all(out)
        .map_err(|e| Error::new(format!("cannot create {}: {e}", out.display())))?;
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let cleanup = |staged: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in staged {
            let _ = fs::remove_file(tmp);
        }
    };
    for d in derived {
        for (name, text) in [
            (format!("{}.json", d.service), &d.spec_text),
            (format!("{}.meta.json", d.service), &d.meta_text),
        ] {
            let dest = out.join(&name);
            if fs::read(&dest).is_ok_and(|old| old == text.as_bytes()) {
                continue;
            }
            let tmp = out.join(format!(".{name}.tmp-{}", std::process::id()));
            if let Err(e) = fs::write(&tmp, text) {
                cleanup(&staged);
                let _ = fs::remove_file(&tmp);
                return Err(Error::new(format!("cannot write {}: {e}", tmp.display())));
            }
            staged.push((tmp, dest));
        }
    }
    let written = staged.len();
    for (i, (tmp, dest)) in staged.iter().enumerate() {
        if let Err(e) = fs::rename(tmp, dest) {
            cleanup(staged.get(i..).unwrap_or_default());
            return Err(Error::new(format!(
                "cannot move {} into place: {e}",
                dest.display()
            )));
        }
    }
    Ok(written)
}
