//! Helpers shared by the integration tests: the upstream fixture directory,
//! throwaway directories, and running the real binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const SERVICES: [&str; 7] = [
    "auth",
    "registry",
    "datastore",
    "search",
    "prov",
    "job",
    "id-service",
];

/// The workspace root (where `specs/` lives).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The shared upstream documents: `$PROVENA_OPENAPI_DIR`, else
/// `<repo>/../shared/provena-openapi`. `None` (with a printed line) if absent,
/// so the suite still runs where the shared data isn't laid out.
pub fn upstream_dir(test: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("PROVENA_OPENAPI_DIR") {
        Some(d) => PathBuf::from(d),
        None => repo_root().join("../shared/provena-openapi"),
    };
    if dir.join("served").is_dir() {
        return Some(dir);
    }
    let missing = format!(
        "upstream OpenAPI documents not found at {} (set PROVENA_OPENAPI_DIR)",
        dir.display()
    );
    // Under CI a missing input fails the test; locally the skip is said
    // aloud on stderr, which the test harness shows even for passing tests.
    if matches!(std::env::var("CI").as_deref(), Ok("true" | "1")) {
        panic!("{test}: {missing}");
    }
    eprintln!("SKIPPED: {test}: {missing}");
    None
}

/// How to pass `served/` to the binary run from the repo root: the relative
/// path the committed meta files record, when the default layout is used.
pub fn served_arg(upstream: &Path) -> String {
    let default = repo_root().join("../shared/provena-openapi");
    if std::env::var_os("PROVENA_OPENAPI_DIR").is_none() || same_dir(upstream, &default) {
        "../shared/provena-openapi/served".to_string()
    } else {
        upstream.join("served").display().to_string()
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir = std::env::temp_dir().join(format!(
            "xtask-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            let dest = to.join(entry.file_name());
            std::fs::copy(entry.path(), &dest).unwrap();
            // The shared fixtures are read-only; the copies must be writable.
            let mut perms = std::fs::metadata(&dest).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&dest, perms).unwrap();
        }
    }
}

/// Every file in `dir` (names and bytes), to assert a directory is unchanged.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            out.insert(
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            );
        }
    }
    out
}

/// Runs the real `xtask` binary from the repo root.
pub fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn write_json(path: &Path, v: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// Meta without `source`, as `check` compares it.
pub fn meta_sans_source(path: &Path) -> serde_json::Value {
    let mut v = read_json(path);
    v.as_object_mut().unwrap().remove("source");
    v
}

/// Asserts that `out` (a directory synced by the tool) matches the committed
/// specs/: specs byte for byte, meta files except `source`.
pub fn assert_same_as_committed(out: &Path, exact_meta: bool) {
    let specs = repo_root().join("specs");
    for s in SERVICES {
        let name = format!("{s}.json");
        assert!(
            std::fs::read(out.join(&name)).unwrap() == std::fs::read(specs.join(&name)).unwrap(),
            "{name} differs from the committed specs/{name}"
        );
        let meta = format!("{s}.meta.json");
        if exact_meta {
            assert_eq!(
                std::fs::read(out.join(&meta)).unwrap(),
                std::fs::read(specs.join(&meta)).unwrap(),
                "{meta}"
            );
        } else {
            assert_eq!(
                meta_sans_source(&out.join(&meta)),
                meta_sans_source(&specs.join(&meta)),
                "{meta}"
            );
        }
    }
}
