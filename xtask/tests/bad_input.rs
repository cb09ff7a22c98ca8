//! Bad input through the real binary: non-zero exit, exactly one
//! `error: ...` line naming the file or URL, no panic, out dir untouched.

mod common;
use common::*;

use std::path::Path;

/// An out dir pre-filled with the committed specs, as a real specs/ would be.
fn prefilled_out() -> TempDir {
    let out = TempDir::new("bad-out");
    copy_dir(&repo_root().join("specs"), out.path());
    out
}

/// Runs `sync` with `args` into a prefilled out dir and checks the failure.
fn assert_fails(args: &[&str], must_name: &str) {
    let out = prefilled_out();
    let before = snapshot(out.path());
    let mut all: Vec<&str> = vec!["specs", "sync"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out.path().to_str().unwrap()]);
    let o = xtask(&all);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "args {args:?}: stdout {}\nstderr {err}",
        stdout(&o)
    );
    assert_eq!(err.lines().count(), 1, "expected one line, got:\n{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains(must_name),
        "{err:?} does not name {must_name:?}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        stdout(&o).is_empty(),
        "nothing is printed before the error: {}",
        stdout(&o)
    );
    assert_eq!(snapshot(out.path()), before, "out dir changed");
}

fn served_copy(upstream: &Path) -> TempDir {
    let dir = TempDir::new("bad-src");
    copy_dir(&upstream.join("served"), dir.path());
    dir
}

#[test]
fn malformed_json_is_named() {
    let Some(upstream) = upstream_dir("malformed_json_is_named") else {
        return;
    };
    let src = served_copy(&upstream);
    // prov comes after four good services: those must not be written either.
    std::fs::write(
        src.path().join("prov.json"),
        b"{\"openapi\": \"3.0.2\", \"paths\": {",
    )
    .unwrap();
    let from = src.path().to_str().unwrap();
    assert_fails(&["--from", from], &format!("{from}/prov.json"));
}

#[test]
fn unsupported_openapi_version_is_named() {
    let Some(upstream) = upstream_dir("unsupported_openapi_version_is_named") else {
        return;
    };
    let src = served_copy(&upstream);
    let path = src.path().join("job.json");
    let mut doc = read_json(&path);
    doc["openapi"] = serde_json::json!("3.1.0");
    write_json(&path, &doc);
    let from = src.path().to_str().unwrap();
    assert_fails(
        &["--from", from],
        &format!("{from}/job.json: openapi version \"3.1.0\" is not supported"),
    );
}

#[test]
fn missing_file_is_named() {
    let Some(upstream) = upstream_dir("missing_file_is_named") else {
        return;
    };
    let src = served_copy(&upstream);
    std::fs::remove_file(src.path().join("id-service.json")).unwrap();
    let from = src.path().to_str().unwrap();
    assert_fails(
        &["--from", from],
        &format!("cannot read {from}/id-service.json"),
    );
}

#[test]
fn unreachable_url_is_named() {
    // Port 9 (discard) on loopback: nothing listens here, so the connection
    // is refused at once; nothing leaves the machine.
    assert_fails(
        &["--from", "http://127.0.0.1:9"],
        "http://127.0.0.1:9/auth/openapi.json",
    );
    assert_fails(
        &[
            "--from",
            "http://127.0.0.1:9/{prefix}",
            "--only",
            "search",
            "--url",
            "search=http://127.0.0.1:9/s.json",
        ],
        "http://127.0.0.1:9/s.json",
    );
}

#[test]
fn unknown_service_is_named() {
    assert_fails(
        &["--from", "whatever", "--only", "nope"],
        "unknown service \"nope\"",
    );
    assert_fails(
        &["--from", "whatever", "--url", "nope=http://127.0.0.1:9/x"],
        "unknown service \"nope\"",
    );
}

#[test]
fn bad_command_lines_are_one_line_errors() {
    assert_fails(&[], "needs --from");
    assert_fails(&["--from", "x", "--bogus"], "unknown option \"--bogus\"");
    let o = xtask(&["specs", "frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1);
}

#[test]
fn check_errors_are_one_line_too() {
    let o = xtask(&["specs", "check", "--from", "/nonexistent-provena-dir"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: cannot read /nonexistent-provena-dir/auth.json"),
        "{err}"
    );
}
