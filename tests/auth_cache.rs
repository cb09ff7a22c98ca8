//! The device flow's token cache on disk.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::keycloak::{CLIENT_ID, DeviceStep, Keycloak, LogCapture, http};
use provena_client::auth::{AuthError, AuthManager, DeviceFlowManager, TokenCache};

/// A fresh directory per test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("provena-auth-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One of Keycloak's seconds, in these tests.
const UNIT: Duration = Duration::from_millis(5);

/// The lifetime of every device code here (60 s at [`UNIT`]): a safety net
/// that no login comes near, however slowly a loaded machine answers. What
/// each poll answers is scripted by request count, not by time.
const LIFETIME: u64 = 12_000;

fn manager(kc: &Keycloak, dir: &Path) -> DeviceFlowManager {
    DeviceFlowManager::new(http(), kc.realm_url(), CLIENT_ID)
        .expect("manager")
        .with_cache_dir(dir)
        .with_poll_interval_unit(UNIT)
        .with_prompt(|_| {})
}

fn cache_path(kc: &Keycloak, dir: &Path) -> PathBuf {
    TokenCache::in_dir(dir, &kc.realm_url(), CLIENT_ID)
        .path()
        .to_owned()
}

fn cached_refresh_token(path: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("cache file")).expect("cache json");
    v["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned()
}

#[tokio::test]
async fn cache_file_is_named_after_realm_and_client_under_the_given_dir() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let dir = TempDir::new("name");
    let auth = manager(&kc, dir.path());

    auth.access_token().await.expect("login");

    let path = auth.cache().expect("cache").path().to_owned();
    assert_eq!(path, cache_path(&kc, dir.path()));
    assert!(path.exists());
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("token-") && name.ends_with(".json"),
        "{name}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn cache_file_is_created_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt as _;

    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let dir = TempDir::new("mode");
    let nested = dir.path().join("sub").join("cache");
    let auth = manager(&kc, &nested);

    auth.access_token().await.expect("login");

    let meta = std::fs::metadata(auth.cache().unwrap().path()).expect("cache file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let dir_meta = std::fs::metadata(&nested).expect("cache dir");
    assert_eq!(dir_meta.permissions().mode() & 0o777, 0o700);
}

#[tokio::test]
async fn cached_login_avoids_a_second_device_login() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let dir = TempDir::new("reuse");
    let first = manager(&kc, dir.path());
    let token = first.access_token().await.expect("login");
    let requests = kc.token_request_count();

    // A new process: same realm, client and cache directory.
    let second = manager(&kc, dir.path());
    let cached = second.access_token().await.expect("cached");

    assert_eq!(kc.device_requests().len(), 1, "no second device login");
    assert_eq!(
        kc.token_request_count(),
        requests,
        "cached access token reused"
    );
    assert_eq!(cached.expose(), token.expose());

    second.force_refresh().await.expect("refresh");
    let last = kc.token_requests().pop().unwrap();
    assert_eq!(last.field("grant_type"), Some("refresh_token"));
}

#[tokio::test]
async fn stale_cached_access_token_is_refreshed_with_the_cached_refresh_token() {
    let kc = Keycloak::start().await;
    kc.set_access_lifetime(10); // stale under the 30 s skew
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let dir = TempDir::new("stale");
    manager(&kc, dir.path())
        .access_token()
        .await
        .expect("login");
    let cached_refresh = cached_refresh_token(&cache_path(&kc, dir.path()));

    manager(&kc, dir.path())
        .access_token()
        .await
        .expect("refresh");

    assert_eq!(kc.device_requests().len(), 1);
    let last = kc.token_requests().pop().unwrap();
    assert_eq!(last.field("grant_type"), Some("refresh_token"));
    assert_eq!(last.field("refresh_token"), Some(cached_refresh.as_str()));
}

#[tokio::test]
async fn cache_is_replaced_atomically_leaving_no_temp_files() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let dir = TempDir::new("atomic");
    let auth = manager(&kc, dir.path());
    auth.access_token().await.expect("login");
    let path = cache_path(&kc, dir.path());
    let before = cached_refresh_token(&path);

    for _ in 0..3 {
        auth.force_refresh().await.expect("refresh");
    }

    let after = cached_refresh_token(&path);
    assert_ne!(before, after, "content replaced with the rotated token");
    let last_sent = kc.token_requests().pop().unwrap();
    assert_ne!(last_sent.field("refresh_token"), Some(after.as_str()));
    assert_eq!(
        dir.entries(),
        vec![path.file_name().unwrap().to_string_lossy().into_owned()],
        "only the cache file, no temp files"
    );
}

#[tokio::test]
async fn corrupt_cache_is_ignored_with_a_warning_and_login_runs() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let dir = TempDir::new("corrupt");
    let path = cache_path(&kc, dir.path());
    std::fs::write(&path, b"{\"version\": 1, \"refresh_tok").unwrap();
    let logs = LogCapture::start();

    manager(&kc, dir.path())
        .access_token()
        .await
        .expect("falls back to login");

    assert_eq!(kc.device_requests().len(), 1);
    let text = logs.text();
    assert!(
        text.contains("WARN") && text.contains("ignoring an unusable token cache file"),
        "{text}"
    );
    assert!(text.contains("not valid JSON"), "{text}");
    assert!(!cached_refresh_token(&path).is_empty(), "rewritten");
}

#[tokio::test]
async fn cache_for_another_realm_is_ignored() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let dir = TempDir::new("foreign");
    let path = cache_path(&kc, dir.path());
    let foreign = serde_json::json!({
        "version": 1,
        "realm_url": "https://auth.elsewhere.org/auth/realms/other",
        "client_id": CLIENT_ID,
        "refresh_token": "foreign-refresh-token",
    });
    std::fs::write(&path, foreign.to_string()).unwrap();
    let logs = LogCapture::start();

    manager(&kc, dir.path())
        .access_token()
        .await
        .expect("login");

    assert_eq!(kc.device_requests().len(), 1);
    assert!(
        kc.token_requests()
            .iter()
            .all(|r| r.field("refresh_token") != Some("foreign-refresh-token")),
        "the foreign token is never sent"
    );
    assert!(logs.text().contains("another realm or client id"));
}

#[tokio::test]
async fn cache_of_an_unknown_format_version_is_ignored() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let dir = TempDir::new("version");
    let path = cache_path(&kc, dir.path());
    // Usable in every other respect: this realm, this client.
    let future = serde_json::json!({
        "version": 99,
        "realm_url": kc.realm_url().as_str().trim_end_matches('/'),
        "client_id": CLIENT_ID,
        "refresh_token": "future-refresh-token",
    });
    std::fs::write(&path, future.to_string()).unwrap();
    let logs = LogCapture::start();

    manager(&kc, dir.path())
        .access_token()
        .await
        .expect("login");

    assert_eq!(kc.device_requests().len(), 1);
    assert!(
        kc.token_requests()
            .iter()
            .all(|r| r.field("refresh_token") != Some("future-refresh-token")),
        "the token of an unknown format is never sent"
    );
    let text = logs.text();
    assert!(text.contains("unknown format version"), "{text}");
}

#[tokio::test]
async fn logout_removes_exactly_that_cache_file() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let dir = TempDir::new("logout");
    std::fs::write(dir.path().join("token-0123456789abcdef.json"), "{}").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "keep me").unwrap();
    let auth = manager(&kc, dir.path());
    auth.access_token().await.expect("login");
    let path = cache_path(&kc, dir.path());
    assert!(path.exists());

    assert!(auth.logout().await.expect("logout"), "a file was removed");

    assert!(!path.exists());
    assert_eq!(
        dir.entries(),
        vec![
            "notes.txt".to_owned(),
            "token-0123456789abcdef.json".to_owned()
        ]
    );
    assert!(!auth.logout().await.expect("second logout"), "nothing left");

    // The in-memory login is gone too: the next token needs a new login.
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    auth.access_token().await.expect("login again");
    assert_eq!(kc.device_requests().len(), 2);
}

#[tokio::test]
async fn without_cache_nothing_is_written() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let dir = TempDir::new("none");
    let auth = manager(&kc, dir.path()).without_cache();

    auth.access_token().await.expect("login");

    assert!(auth.cache().is_none());
    assert!(dir.entries().is_empty());
}

#[test]
fn default_location_is_under_the_user_cache_dir() {
    let realm = url::Url::parse("https://auth.example.org/auth/realms/provena").unwrap();
    let location = TokenCache::default_location(&realm, "client-tools");
    match dirs::cache_dir() {
        Some(base) => {
            let cache = location.expect("a cache directory exists");
            assert_eq!(
                cache.path().parent(),
                Some(base.join("provena-client").as_path())
            );
        }
        None => assert!(
            matches!(location, Err(AuthError::NoCacheDir)),
            "{location:?}"
        ),
    }
}

#[tokio::test]
async fn cache_for_another_client_id_is_ignored() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let dir = TempDir::new("other-client");
    let path = cache_path(&kc, dir.path());
    let foreign = serde_json::json!({
        "version": 1,
        "realm_url": kc.realm_url().as_str().trim_end_matches('/'),
        "client_id": "another-client",
        "refresh_token": "other-client-refresh-token",
    });
    std::fs::write(&path, foreign.to_string()).unwrap();
    let logs = LogCapture::start();

    manager(&kc, dir.path())
        .access_token()
        .await
        .expect("login");

    assert_eq!(kc.device_requests().len(), 1);
    assert!(
        kc.token_requests()
            .iter()
            .all(|r| r.field("refresh_token") != Some("other-client-refresh-token")),
        "the other client's token is never sent"
    );
    let text = logs.text();
    assert!(text.contains("another realm or client id"), "{text}");
}
