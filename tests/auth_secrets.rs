//! Tokens never show up in `Debug`, `Display` or log output.

mod common;

use std::time::Duration;

use common::keycloak::{CLIENT_ID, DeviceStep, Keycloak, LogCapture, http};
use provena_client::auth::{
    AccessToken, AuthError, AuthManager, DeviceFlowManager, DevicePrompt, OfflineTokenManager,
    StaticToken, TokenCache,
};

const STATIC_SECRET: &str = "static-secret-token-value";

/// Fails if any formatting of `value` contains any of `secrets`.
fn assert_redacted<T: std::fmt::Debug + std::fmt::Display>(
    what: &str,
    value: &T,
    secrets: &[String],
) {
    for text in [
        format!("{value:?}"),
        format!("{value:#?}"),
        format!("{value}"),
    ] {
        for secret in secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{what} shows a secret: {text}"
            );
        }
    }
}

fn assert_debug_redacted<T: std::fmt::Debug>(what: &str, value: &T, secrets: &[String]) {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        for secret in secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{what} shows a secret: {text}"
            );
        }
    }
}

fn secrets(kc: &Keycloak) -> Vec<String> {
    let mut all = kc.issued_secrets();
    all.push(STATIC_SECRET.to_owned());
    assert!(all.len() > 1);
    all
}

/// One of Keycloak's seconds, in these tests.
const UNIT: Duration = Duration::from_millis(5);

/// The lifetime of the device codes of logins meant to end otherwise than by
/// expiry (60 s at [`UNIT`]): a safety net that no login comes near, however
/// slowly a loaded machine answers. What each poll answers is scripted by
/// request count, not by time.
const LIFETIME: u64 = 12_000;

fn device(kc: &Keycloak, dir: &std::path::Path) -> DeviceFlowManager {
    DeviceFlowManager::new(http(), kc.realm_url(), CLIENT_ID)
        .expect("manager")
        .with_cache_dir(dir)
        .with_poll_interval_unit(UNIT)
        .with_prompt(|_| {})
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "provena-auth-secrets-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test]
async fn managers_and_tokens_never_format_a_secret() {
    let kc = Keycloak::start().await;
    let dir = temp_dir("managers");

    let offline =
        OfflineTokenManager::new(http(), kc.realm_url(), CLIENT_ID, kc.issue_offline_token())
            .expect("offline");
    let offline_token = offline.access_token().await.expect("offline token");

    kc.script_device(1, LIFETIME, &[DeviceStep::Pending, DeviceStep::Approve]);
    let prompts = std::sync::Arc::new(std::sync::Mutex::new(Vec::<DevicePrompt>::new()));
    let seen = prompts.clone();
    let device = device(&kc, &dir).with_prompt(move |p| seen.lock().unwrap().push(p.clone()));
    let device_token = device.access_token().await.expect("device token");
    device.force_refresh().await.expect("refresh");

    let fixed = StaticToken::new(STATIC_SECRET);
    let static_token = fixed.access_token().await.expect("static");
    let cache = TokenCache::in_dir(&dir, &kc.realm_url(), CLIENT_ID);

    let secrets = secrets(&kc);
    assert_redacted("OfflineTokenManager", &offline, &secrets);
    assert_redacted("DeviceFlowManager", &device, &secrets);
    assert_redacted("AccessToken (offline)", &offline_token, &secrets);
    assert_redacted("AccessToken (device)", &device_token, &secrets);
    assert_redacted("AccessToken (static)", &static_token, &secrets);
    assert_redacted(
        "AccessToken (new)",
        &AccessToken::new(STATIC_SECRET),
        &secrets,
    );
    assert_debug_redacted("StaticToken", &fixed, &secrets);
    assert_debug_redacted("TokenCache", &cache, &secrets);
    let prompt = prompts.lock().unwrap()[0].clone();
    assert_redacted("DevicePrompt", &prompt, &secrets);

    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn errors_never_format_a_secret() {
    let kc = Keycloak::start().await;
    let dir = temp_dir("errors");
    let mut errors: Vec<AuthError> = Vec::new();

    // invalid_grant on a token Keycloak never issued.
    let offline = OfflineTokenManager::new(http(), kc.realm_url(), CLIENT_ID, "offline-unknown")
        .expect("manager");
    errors.push(offline.access_token().await.expect_err("login required"));

    // Keycloak error, unexpected status, unusable answer.
    let wrong_client =
        OfflineTokenManager::new(http(), kc.realm_url(), "other", kc.issue_offline_token())
            .expect("manager");
    errors.push(wrong_client.access_token().await.expect_err("client"));
    kc.set_raw_token_answer(503, "upstream unavailable");
    let valid =
        OfflineTokenManager::new(http(), kc.realm_url(), CLIENT_ID, kc.issue_offline_token())
            .expect("manager");
    errors.push(valid.access_token().await.expect_err("503"));
    let leaked = kc.issue_offline_token();
    kc.set_raw_token_answer(
        200,
        &format!(r#"{{"access_token": 5, "refresh_token": "{leaked}"}}"#),
    );
    errors.push(valid.access_token().await.expect_err("unusable"));

    // Device-flow outcomes: Keycloak's expiry and denial, decided by the
    // poll's answer within a lifetime no poll comes near; and the code's own
    // lifetime (8 units, 40 ms) running out after a slow_down: always pending
    // after it, that login can end no other way, however the polls are timed.
    for (steps, lifetime) in [
        (&[DeviceStep::Expire][..], LIFETIME),
        (&[DeviceStep::Deny][..], LIFETIME),
        (&[DeviceStep::SlowDown][..], 8),
    ] {
        let kc = Keycloak::start().await;
        kc.script_device(1, lifetime, steps);
        let device = device(&kc, &dir).without_cache();
        let err = device.access_token().await.expect_err("device outcome");
        let expected = match steps[0] {
            DeviceStep::Expire => matches!(err, AuthError::DeviceCodeExpired { .. }),
            DeviceStep::Deny => matches!(err, AuthError::AccessDenied { .. }),
            _ => matches!(err, AuthError::DeviceLoginTimedOut { .. }),
        };
        assert!(expected, "{steps:?} ended in {err:?}");
        // This stand-in's device code, not the outer one's secrets.
        assert_redacted("AuthError (device flow)", &err, &kc.issued_secrets());
        errors.push(err);
    }

    // Configuration errors.
    errors
        .push(OfflineTokenManager::new(http(), kc.realm_url(), CLIENT_ID, " ").expect_err("empty"));
    errors.push(
        OfflineTokenManager::from_file(http(), kc.realm_url(), CLIENT_ID, dir.join("missing"))
            .expect_err("missing file"),
    );

    let secrets = secrets(&kc);
    assert_eq!(errors.len(), 9);
    for err in &errors {
        assert_redacted("AuthError", err, &secrets);
    }
}

#[tokio::test]
async fn logs_during_refresh_and_login_never_contain_a_token() {
    let kc = Keycloak::start().await;
    let dir = temp_dir("logs");
    let logs = LogCapture::start();

    let offline =
        OfflineTokenManager::new(http(), kc.realm_url(), CLIENT_ID, kc.issue_offline_token())
            .expect("offline");
    offline.access_token().await.expect("exchange");
    offline.force_refresh().await.expect("refresh");

    kc.script_device(
        1,
        LIFETIME,
        &[
            DeviceStep::Pending,
            DeviceStep::SlowDown,
            DeviceStep::Approve,
        ],
    );
    let device = device(&kc, &dir);
    device.access_token().await.expect("login");
    device.force_refresh().await.expect("refresh");
    device.logout().await.expect("logout");

    let text = logs.text();
    assert!(
        text.contains("obtained a new access token"),
        "the refresh was logged: {text}"
    );
    assert!(text.contains("slow down"), "{text}");
    for secret in secrets(&kc) {
        assert!(!text.contains(&secret), "a token was logged: {text}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
