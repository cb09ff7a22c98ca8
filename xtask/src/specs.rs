//! The two commands' work over the `provena-specs` library: which services,
//! reading each upstream document, writing the derived files, and comparing
//! them with the committed ones.

use std::fs;
use std::path::{Path, PathBuf};

use provena_specs::{Committed, Derived, Overlay, Vendored};

use crate::services::{self, SERVICES, ServiceInfo};
use crate::source;
use crate::{Error, Result};

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
/// every document (`provena_specs::harmonise_with`); fails on the first bad
/// input. Returns the names that still differ between documents, which `sync`
/// refuses and `check` reports. With `--only`, the documents in `committed`
/// (the specs directory) of the services left out count for the openings, and
/// only the selected documents are compared for conflicts (the build script
/// compares all of them again).
pub fn derive_all(opts: &Options, committed: &Path) -> Result<(Vec<Derived>, Vec<String>)> {
    let chosen = selected(opts)?;
    let others: Vec<serde_json::Value> = SERVICES
        .iter()
        .filter(|s| !chosen.iter().any(|c| c.name == s.name))
        .filter_map(|s| fs::read(committed.join(format!("{}.json", s.name))).ok())
        .filter_map(|bytes| serde_json::from_slice(&bytes).ok())
        .collect();
    let mut out = Vec::new();
    for service in chosen {
        let location = source::locate(&opts.from, service, &opts.overrides);
        let raw = source::fetch(&location)?;
        let overlay = Overlay::load(&opts.overlays_dir, &opts.overlays_label, service.name)?;
        out.push(provena_specs::derive(
            service.name,
            location.label(),
            &raw,
            overlay.as_ref(),
        )?);
    }
    let others: Vec<&serde_json::Value> = others.iter().collect();
    let conflicts = provena_specs::harmonise_with(&mut out, &others);
    Ok((out, conflicts))
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

/// The drift of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDrift {
    pub service: String,
    pub lines: Vec<String>,
}

/// Compares each derived document with the files in `specs`.
pub fn compare_dir(specs: &Path, label: &str, derived: &[Derived]) -> Vec<ServiceDrift> {
    let label = label.trim_end_matches('/');
    let mut report = Vec::new();
    for d in derived {
        let spec_label = format!("{label}/{}.json", d.service);
        let meta_label = format!("{label}/{}.meta.json", d.service);
        let spec = read(&specs.join(format!("{}.json", d.service)));
        let meta = read(&specs.join(format!("{}.meta.json", d.service)));
        let lines = provena_specs::compare(
            d,
            &Vendored {
                spec_label: &spec_label,
                spec: committed(&spec),
                meta_label: &meta_label,
                meta: committed(&meta),
            },
        );
        if !lines.is_empty() {
            report.push(ServiceDrift {
                service: d.service.clone(),
                lines,
            });
        }
    }
    report
}

/// A committed file: its bytes, `None` when missing, or why it can't be read.
fn read(path: &Path) -> std::result::Result<Option<Vec<u8>>, String> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

fn committed(file: &std::result::Result<Option<Vec<u8>>, String>) -> Committed<'_> {
    match file {
        Ok(Some(bytes)) => Committed::Bytes(bytes),
        Ok(None) => Committed::Missing,
        Err(e) => Committed::Unreadable(e),
    }
}

/// The report as text, grouped per service.
pub fn render(report: &[ServiceDrift], specs_label: &str, from: &str) -> String {
    let mut s =
        format!("drift: {specs_label}/ differs from what `specs sync --from {from}` would write\n");
    for d in report {
        s.push_str(&format!("\n{}:\n", d.service));
        for line in &d.lines {
            s.push_str(&format!("  - {line}\n"));
        }
    }
    s.push_str(&format!(
        "\n{} service(s) drifted; review the above, then run `cargo xtask specs sync --from {from}`\n",
        report.len()
    ));
    s
}
