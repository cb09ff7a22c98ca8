//! `specs sync` over real HTTP from a loopback server gives the same specs
//! as reading the directory.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;

/// Serves `GET /{service}/openapi.json` from `dir` for at most `max`
/// connections (bounded, so the thread can't outlive the test for long).
fn serve(dir: PathBuf, max: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .to_string();
            let file = path
                .strip_prefix('/')
                .and_then(|p| p.strip_suffix("/openapi.json"))
                .filter(|s| !s.contains('/') && !s.contains(".."))
                .map(|s| dir.join(format!("{s}.json")));
            let (status, body) = match file.and_then(|f| std::fs::read(f).ok()) {
                Some(body) => ("200 OK", body),
                None => ("404 Not Found", b"{\"detail\":\"Not Found\"}".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream
                .write_all(head.as_bytes())
                .and_then(|_| stream.write_all(&body));
        }
    });
    format!("http://{addr}")
}

#[test]
fn sync_from_base_url_matches_sync_from_dir() {
    let Some(upstream) = upstream_dir("sync_from_base_url_matches_sync_from_dir") else {
        return;
    };
    let base = serve(upstream.join("served"), 32);
    let out = TempDir::new("loopback");
    let o = xtask(&[
        "specs",
        "sync",
        "--from",
        &base,
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_same_as_committed(out.path(), false);
    let meta = read_json(&out.path().join("job.meta.json"));
    assert_eq!(meta["source"], format!("{base}/job/openapi.json"));

    // check from the URL: the differing `source` is not drift.
    let o = xtask(&["specs", "check", "--from", &base]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o).trim(), format!("specs are in sync with {base}"));
}

#[test]
fn url_override_reads_one_service_over_http() {
    let Some(upstream) = upstream_dir("url_override_reads_one_service_over_http") else {
        return;
    };
    let base = serve(upstream.join("served"), 8);
    let out = TempDir::new("override");
    let served = upstream.join("served");
    let url = format!("{base}/job/openapi.json");
    let o = xtask(&[
        "specs",
        "sync",
        "--from",
        served.to_str().unwrap(),
        "--url",
        &format!("job={url}"),
        "--only",
        "job",
        "--only",
        "prov",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let files: Vec<String> = snapshot(out.path()).into_keys().collect();
    assert_eq!(
        files,
        ["job.json", "job.meta.json", "prov.json", "prov.meta.json"]
    );
    assert_eq!(read_json(&out.path().join("job.meta.json"))["source"], url);
    assert_eq!(
        std::fs::read(out.path().join("job.json")).unwrap(),
        std::fs::read(repo_root().join("specs/job.json")).unwrap()
    );
}
