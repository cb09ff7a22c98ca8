//! The offline-token manager and the token lifecycle against a Keycloak
//! stand-in on loopback.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use common::keycloak::{CLIENT_ID, Keycloak, RefusingPort, http};
use provena_client::auth::{AuthError, AuthManager, OfflineTokenManager, TokenOrigin};
use tokio::sync::Semaphore;

fn manager(kc: &Keycloak, offline: &str) -> OfflineTokenManager {
    OfflineTokenManager::new(http(), kc.realm_url(), CLIENT_ID, offline).expect("manager")
}

/// Runs `future`, adding a permit to `arrived` as soon as its first poll has
/// returned. A token call's first poll reads the manager's state and queues
/// for the refresh (or sends the request): once `arrived` holds a permit per
/// caller, every caller is inside the call, whatever the scheduler did.
async fn signal_first_poll<F: Future>(future: F, arrived: Arc<Semaphore>) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut arrival = Arrival(Some(arrived));
    std::future::poll_fn(move |cx| {
        let poll = future.as_mut().poll(cx);
        arrival.signal();
        poll
    })
    .await
}

/// Adds one permit, once: after the first poll, or when a panic in it drops
/// this (so that the test fails with that panic instead of waiting forever).
struct Arrival(Option<Arc<Semaphore>>);

impl Arrival {
    fn signal(&mut self) {
        if let Some(arrived) = self.0.take() {
            arrived.add_permits(1);
        }
    }
}

impl Drop for Arrival {
    fn drop(&mut self) {
        self.signal();
    }
}

/// `callers` concurrent calls of `call` on `auth` while Keycloak holds its
/// answers; the answers are released only once every caller is inside its
/// call, so that they all overlap one token request.
async fn overlapping_calls<F, Fut>(
    kc: &Keycloak,
    auth: &Arc<OfflineTokenManager>,
    callers: u32,
    call: F,
) -> Vec<String>
where
    F: Fn(Arc<OfflineTokenManager>) -> Fut,
    Fut: Future<Output = Result<String, AuthError>> + Send + 'static,
{
    kc.hold_answers();
    let arrived = Arc::new(Semaphore::new(0));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..callers {
        set.spawn(signal_first_poll(call(auth.clone()), arrived.clone()));
    }
    arrived
        .acquire_many(callers)
        .await
        .expect("semaphore open")
        .forget();
    kc.release_answers();
    set.join_all()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("all callers get a token")
}

/// The refresh tokens of the token requests, for failure messages: a
/// request this test did not make stands out.
fn presented(kc: &Keycloak) -> Vec<String> {
    kc.token_requests()
        .iter()
        .map(|r| r.field("refresh_token").unwrap_or("(none)").to_owned())
        .collect()
}

#[tokio::test]
async fn offline_exchange_posts_the_refresh_grant_form() {
    let kc = Keycloak::start().await;
    let offline = kc.issue_offline_token();
    let auth = manager(&kc, &offline);

    let token = auth.access_token().await.expect("token");

    let requests = kc.token_requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(
        req.path, "/auth/realms/test/protocol/openid-connect/token",
        "posted to the realm's token endpoint"
    );
    assert_eq!(
        req.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(req.field("grant_type"), Some("refresh_token"));
    assert_eq!(req.field("refresh_token"), Some(offline.as_str()));
    assert_eq!(req.field("client_id"), Some(CLIENT_ID));
    assert_eq!(req.form.len(), 3, "no other fields: {:?}", req.form.len());
    assert_eq!(Some(token.expose().to_owned()), kc.last_access_token());
}

#[tokio::test]
async fn fresh_token_is_reused_without_a_request() {
    let kc = Keycloak::start().await;
    let auth = manager(&kc, &kc.issue_offline_token());

    let first = auth.access_token().await.expect("first");
    let second = auth.access_token().await.expect("second");

    assert_eq!(first.expose(), second.expose());
    assert_eq!(kc.token_request_count(), 1);
}

#[tokio::test]
async fn token_expiring_within_the_skew_is_refreshed_ahead_of_expiry() {
    let kc = Keycloak::start().await;
    // Valid for another 20 s: fine for a service, but inside the default 30 s skew.
    kc.set_access_lifetime(20);
    let auth = manager(&kc, &kc.issue_offline_token());

    let first = auth.access_token().await.expect("first");
    let second = auth.access_token().await.expect("second");

    assert_eq!(kc.token_request_count(), 2, "refreshed before expiry");
    assert_ne!(first.expose(), second.expose());
}

#[tokio::test]
async fn skew_is_configurable() {
    let kc = Keycloak::start().await;
    kc.set_access_lifetime(20);
    let auth = manager(&kc, &kc.issue_offline_token()).with_skew(Duration::from_secs(5));

    auth.access_token().await.expect("first");
    auth.access_token().await.expect("second");

    assert_eq!(
        kc.token_request_count(),
        1,
        "20 s left is outside a 5 s skew"
    );
}

#[tokio::test]
async fn token_without_exp_claim_falls_back_to_expires_in() {
    let kc = Keycloak::start().await;
    kc.set_exp_claim(false);

    kc.set_expires_in(Some(300));
    let long = manager(&kc, &kc.issue_offline_token());
    long.access_token().await.expect("first");
    long.access_token().await.expect("second");
    assert_eq!(
        kc.token_request_count(),
        1,
        "300 s expires_in: reused; refresh tokens presented: {:?}",
        presented(&kc)
    );

    kc.set_expires_in(Some(10));
    let short = manager(&kc, &kc.issue_offline_token());
    short.access_token().await.expect("first");
    short.access_token().await.expect("second");
    assert_eq!(
        kc.token_request_count(),
        3,
        "10 s expires_in: inside the skew; refresh tokens presented: {:?}",
        presented(&kc)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_callers_with_a_stale_token_cause_one_request() {
    let kc = Keycloak::start().await;
    kc.set_access_lifetime(10); // always stale under the 30 s skew
    let auth = Arc::new(manager(&kc, &kc.issue_offline_token()));
    let stale = auth.access_token().await.expect("warm-up");
    assert_eq!(kc.token_request_count(), 1);

    // Every caller finds the stale token and is inside its call before the
    // refresh is answered.
    kc.set_access_lifetime(300);
    let tokens = overlapping_calls(&kc, &auth, 50, |auth| async move {
        auth.access_token().await.map(|t| t.expose().to_owned())
    })
    .await;

    assert_eq!(
        kc.token_request_count(),
        2,
        "exactly one refresh for 50 callers: {:?}",
        presented(&kc)
    );
    assert!(tokens.iter().all(|t| t == &tokens[0]), "all share it");
    assert_ne!(tokens[0], stale.expose());
}

#[tokio::test]
async fn force_refresh_requests_a_new_token_even_when_fresh() {
    let kc = Keycloak::start().await;
    let auth = manager(&kc, &kc.issue_offline_token());
    let first = auth.access_token().await.expect("first");

    let forced = auth.force_refresh().await.expect("forced");

    assert_eq!(kc.token_request_count(), 2);
    assert_ne!(first.expose(), forced.expose());
    let after = auth.access_token().await.expect("after");
    assert_eq!(after.expose(), forced.expose(), "the new token is cached");
    assert_eq!(kc.token_request_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_force_refreshes_share_one_request() {
    let kc = Keycloak::start().await;
    let auth = Arc::new(manager(&kc, &kc.issue_offline_token()));
    auth.access_token().await.expect("warm-up");

    // Concurrent means: every caller has asked before the first forced refresh
    // is answered. (A force_refresh that starts after a refresh completed
    // rightly makes a request of its own.)
    let tokens = overlapping_calls(&kc, &auth, 10, |auth| async move {
        auth.force_refresh().await.map(|t| t.expose().to_owned())
    })
    .await;

    assert_eq!(
        kc.token_request_count(),
        2,
        "one forced refresh for ten callers: {:?}",
        presented(&kc)
    );
    assert!(tokens.iter().all(|t| t == &tokens[0]));
}

#[tokio::test]
async fn latest_refresh_token_returned_is_used_next() {
    let kc = Keycloak::start().await;
    let offline = kc.issue_offline_token();
    let auth = manager(&kc, &offline);
    auth.access_token().await.expect("first");
    auth.force_refresh().await.expect("second");

    let requests = kc.token_requests();
    let second = requests[1]
        .field("refresh_token")
        .expect("refresh token sent");
    assert_ne!(second, offline, "the rotated refresh token is used");
    assert!(second.starts_with("refresh-"));
}

#[tokio::test]
async fn rejected_offline_token_is_a_must_log_in_again_error() {
    let kc = Keycloak::start().await;
    let auth = manager(&kc, "offline-token-keycloak-never-issued");

    let err = auth.access_token().await.expect_err("rejected");

    match &err {
        AuthError::LoginRequired { description, .. } => {
            assert_eq!(description.as_deref(), Some("Invalid refresh token"));
        }
        other => panic!("expected LoginRequired, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("log in again"), "{text}");
    assert!(text.contains("invalid_grant"), "{text}");
    assert!(text.contains("/protocol/openid-connect/token"), "{text}");

    // A dead token stays dead: no request storm from later callers.
    let again = auth.force_refresh().await.expect_err("still rejected");
    assert!(matches!(again, AuthError::LoginRequired { .. }));
    assert_eq!(kc.token_request_count(), 1);
}

#[tokio::test]
async fn revoked_refresh_token_after_success_is_a_must_log_in_again_error() {
    let kc = Keycloak::start().await;
    let auth = manager(&kc, &kc.issue_offline_token());
    auth.access_token().await.expect("first");
    kc.revoke_refresh_tokens();

    let err = auth.force_refresh().await.expect_err("revoked");

    assert!(matches!(err, AuthError::LoginRequired { .. }), "{err:?}");
}

#[tokio::test]
async fn keycloak_error_names_endpoint_code_and_description() {
    let kc = Keycloak::start().await;
    let offline = kc.issue_offline_token();
    let auth = OfflineTokenManager::new(http(), kc.realm_url(), "unknown-client", offline)
        .expect("manager");

    let err = auth.access_token().await.expect_err("unknown client");

    match &err {
        AuthError::Keycloak {
            status,
            error,
            description,
            endpoint,
        } => {
            assert_eq!(*status, 401);
            assert_eq!(error, "invalid_client");
            assert_eq!(
                description.as_deref(),
                Some("Invalid client or Invalid client credentials")
            );
            assert!(endpoint.path().ends_with("/protocol/openid-connect/token"));
        }
        other => panic!("expected Keycloak error, got {other:?}"),
    }
    let text = err.to_string();
    for part in [
        "invalid_client",
        "401",
        "Invalid client",
        "openid-connect/token",
    ] {
        assert!(text.contains(part), "{text:?} lacks {part:?}");
    }
}

#[tokio::test]
async fn non_oauth_error_body_is_an_unexpected_status() {
    let kc = Keycloak::start().await;
    kc.set_raw_token_answer(502, "<html>Bad Gateway</html>");
    let auth = manager(&kc, &kc.issue_offline_token());

    let err = auth.access_token().await.expect_err("502");

    match &err {
        AuthError::UnexpectedStatus { status, body, .. } => {
            assert_eq!(*status, 502);
            assert!(body.contains("Bad Gateway"));
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_success_answer_is_an_invalid_response() {
    let kc = Keycloak::start().await;
    kc.set_raw_token_answer(200, r#"{"token_type":"Bearer"}"#);
    let auth = manager(&kc, &kc.issue_offline_token());

    let err = auth.access_token().await.expect_err("no access_token");

    assert!(matches!(err, AuthError::InvalidResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("access_token"));
}

#[tokio::test]
async fn unreachable_keycloak_is_a_request_error_naming_the_endpoint() {
    // Bound, never listening: connections are refused, and no other server
    // (say, a parallel test's stand-in) can take the port while it is held.
    let port = RefusingPort::new();
    let addr = port.addr();
    let realm = url::Url::parse(&format!("{}/auth/realms/test", port.url())).unwrap();
    let auth = OfflineTokenManager::new(http(), realm, CLIENT_ID, "offline").expect("manager");

    let err = auth.access_token().await.expect_err("refused");

    match &err {
        AuthError::Request { endpoint, source } => {
            assert!(
                source.is_connect(),
                "the connection is refused, got {source:?}"
            );
            assert_eq!(
                endpoint.as_str(),
                format!("http://{addr}/auth/realms/test/protocol/openid-connect/token")
            );
        }
        other => panic!("expected a Request error, got {other:?}"),
    }
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
    drop(port);
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "provena-auth-offline-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[tokio::test]
async fn offline_token_is_read_from_a_file() {
    let kc = Keycloak::start().await;
    let offline = kc.issue_offline_token();
    let dir = temp_dir("file");
    let path = dir.join("offline-token");
    std::fs::write(&path, format!("{offline}\n")).unwrap();

    let auth =
        OfflineTokenManager::from_file(http(), kc.realm_url(), CLIENT_ID, &path).expect("manager");
    auth.access_token().await.expect("token");

    assert_eq!(
        kc.token_requests()[0].field("refresh_token"),
        Some(offline.as_str()),
        "trailing newline trimmed"
    );
    assert_eq!(auth.origin(), &TokenOrigin::File(path));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn missing_or_empty_token_file_is_an_error_naming_the_file() {
    let kc = Keycloak::start().await;
    let dir = temp_dir("missing");
    let missing = dir.join("no-such-token");
    let err = OfflineTokenManager::from_file(http(), kc.realm_url(), CLIENT_ID, &missing)
        .expect_err("missing");
    assert!(matches!(err, AuthError::OfflineTokenFile { .. }), "{err:?}");
    assert!(err.to_string().contains("no-such-token"), "{err}");

    let empty = dir.join("empty-token");
    std::fs::write(&empty, "  \n").unwrap();
    let err = OfflineTokenManager::from_file(http(), kc.realm_url(), CLIENT_ID, &empty)
        .expect_err("empty");
    assert!(
        matches!(&err, AuthError::EmptyOfflineToken { origin: TokenOrigin::File(p) } if p == &empty),
        "{err:?}"
    );
    assert!(err.to_string().contains("empty-token"), "{err}");
    assert_eq!(kc.token_request_count(), 0);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn offline_token_from_environment_variable() {
    let kc = Keycloak::start().await;
    let offline = kc.issue_offline_token();
    // The variable names are unique to this test, so no other test reads or
    // writes them concurrently.
    let set = "PROVENA_AUTH_TEST_OFFLINE_SET";
    let empty = "PROVENA_AUTH_TEST_OFFLINE_EMPTY";
    let unset = "PROVENA_AUTH_TEST_OFFLINE_UNSET";
    // SAFETY: edition 2024 marks set_var unsafe because another thread may read
    // the environment at the same time; only this test touches these names.
    unsafe {
        std::env::set_var(set, &offline);
        std::env::set_var(empty, "");
        std::env::remove_var(unset);
    }

    let auth =
        OfflineTokenManager::from_env(http(), kc.realm_url(), CLIENT_ID, set).expect("manager");
    auth.access_token().await.expect("token");
    assert_eq!(
        kc.token_requests()[0].field("refresh_token"),
        Some(offline.as_str())
    );

    let err =
        OfflineTokenManager::from_env(http(), kc.realm_url(), CLIENT_ID, unset).expect_err("unset");
    assert!(
        matches!(&err, AuthError::OfflineTokenEnvMissing { var } if var == unset),
        "{err:?}"
    );
    assert!(err.to_string().contains(unset));

    let err =
        OfflineTokenManager::from_env(http(), kc.realm_url(), CLIENT_ID, empty).expect_err("empty");
    assert!(
        matches!(&err, AuthError::EmptyOfflineToken { origin: TokenOrigin::EnvVar(v) } if v == empty),
        "{err:?}"
    );
    assert!(err.to_string().contains(empty));
}

#[tokio::test]
async fn empty_token_argument_is_rejected() {
    let kc = Keycloak::start().await;
    let err = OfflineTokenManager::new(http(), kc.realm_url(), CLIENT_ID, "").expect_err("empty");
    assert!(matches!(
        err,
        AuthError::EmptyOfflineToken {
            origin: TokenOrigin::Argument
        }
    ));
}
