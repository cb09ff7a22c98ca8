//! The device authorization grant against a Keycloak stand-in on loopback.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::keycloak::{CLIENT_ID, DeviceStep, Keycloak, http, signal_first_poll};
use provena_client::auth::{AuthError, AuthManager, DeviceFlowManager, DevicePrompt};
use tokio::sync::Semaphore;

/// One of Keycloak's seconds, in these tests.
const UNIT: Duration = Duration::from_millis(20);

/// The lifetime of the device codes of every test but the one about the
/// lifetime (60 s at [`UNIT`]): a safety net that no login comes near, however
/// slowly a loaded machine answers. Each poll's outcome is the stand-in's
/// script, counted in requests; were the code to expire during a login, a
/// test would see `DeviceLoginTimedOut` instead of the outcome it scripted.
const LIFETIME: u64 = 3_000;

/// A manager with a fast clock, no cache, and a prompt that records what it
/// was shown.
fn manager(kc: &Keycloak) -> (DeviceFlowManager, Arc<Mutex<Vec<DevicePrompt>>>) {
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let seen = prompts.clone();
    let auth = DeviceFlowManager::new(http(), kc.realm_url(), CLIENT_ID)
        .expect("manager")
        .without_cache()
        .with_poll_interval_unit(UNIT)
        .with_prompt(move |p| seen.lock().unwrap().push(p.clone()));
    (auth, prompts)
}

fn gaps(kc: &Keycloak) -> Vec<Duration> {
    kc.polls()
        .windows(2)
        .map(|w| w[1].at.duration_since(w[0].at))
        .collect()
}

#[tokio::test]
async fn device_login_sends_client_id_and_scope_and_prompts_with_both_urls() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let (auth, prompts) = manager(&kc);

    let token = auth.access_token().await.expect("login");

    let device = kc.device_requests();
    assert_eq!(device.len(), 1);
    assert_eq!(
        device[0].path,
        "/auth/realms/test/protocol/openid-connect/auth/device"
    );
    assert_eq!(device[0].field("client_id"), Some(CLIENT_ID));
    assert_eq!(device[0].field("scope"), Some("openid"));

    let prompts = prompts.lock().unwrap();
    assert_eq!(prompts.len(), 1);
    let prompt = &prompts[0];
    assert_eq!(prompt.user_code, "WDJB-MJHT");
    assert!(
        prompt
            .verification_uri
            .ends_with("/auth/realms/test/device")
    );
    assert_eq!(
        prompt.verification_uri_complete.as_deref(),
        Some(format!("{}?user_code=WDJB-MJHT", prompt.verification_uri).as_str())
    );
    assert_eq!(
        prompt.url(),
        prompt.verification_uri_complete.as_deref().unwrap()
    );
    assert_eq!(prompt.expires_in, Duration::from_secs(LIFETIME));

    assert_eq!(Some(token.expose().to_owned()), kc.last_access_token());
}

#[tokio::test]
async fn device_polls_send_the_device_code_grant() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Pending, DeviceStep::Approve]);
    let (auth, _) = manager(&kc);

    auth.access_token().await.expect("login");

    let polls = kc.polls();
    assert_eq!(polls.len(), 2);
    for poll in &polls {
        assert_eq!(
            poll.field("grant_type"),
            Some("urn:ietf:params:oauth:grant-type:device_code")
        );
        assert!(
            poll.field("device_code")
                .unwrap()
                .starts_with("device-code-")
        );
        assert_eq!(poll.field("client_id"), Some(CLIENT_ID));
    }
}

#[tokio::test]
async fn authorization_pending_keeps_polling_at_the_interval() {
    let kc = Keycloak::start().await;
    kc.script_device(
        2,
        LIFETIME,
        &[
            DeviceStep::Pending,
            DeviceStep::Pending,
            DeviceStep::Approve,
        ],
    );
    let (auth, _) = manager(&kc);
    let started = Instant::now();

    auth.access_token().await.expect("login");

    assert_eq!(kc.polls().len(), 3);
    assert!(
        kc.polls()[0].at.duration_since(started) >= 2 * UNIT,
        "waits before the first poll"
    );
    for gap in gaps(&kc) {
        assert!(
            gap >= 2 * UNIT,
            "polled after {gap:?}, interval is {:?}",
            2 * UNIT
        );
    }
}

#[tokio::test]
async fn slow_down_adds_five_seconds_to_the_polling_interval() {
    let kc = Keycloak::start().await;
    kc.script_device(
        1,
        LIFETIME,
        &[
            DeviceStep::Pending,
            DeviceStep::SlowDown,
            DeviceStep::Pending,
            DeviceStep::Approve,
        ],
    );
    let (auth, _) = manager(&kc);

    auth.access_token().await.expect("login");

    let gaps = gaps(&kc);
    assert_eq!(gaps.len(), 3);
    assert!(gaps[0] >= UNIT, "before slow_down: {:?}", gaps[0]);
    // 1 + 5 units after slow_down, and it stays slowed down.
    assert!(gaps[1] >= 6 * UNIT, "after slow_down: {:?}", gaps[1]);
    assert!(gaps[2] >= 6 * UNIT, "still slowed down: {:?}", gaps[2]);
}

#[tokio::test]
async fn expired_token_from_keycloak_is_device_code_expired() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Pending, DeviceStep::Expire]);
    let (auth, _) = manager(&kc);

    let err = auth.access_token().await.expect_err("expired");

    match &err {
        AuthError::DeviceCodeExpired { description } => {
            assert_eq!(description.as_deref(), Some("Device code is expired"));
        }
        other => panic!("expected DeviceCodeExpired, got {other:?}"),
    }
    assert!(err.to_string().contains("expired_token"));
}

#[tokio::test]
async fn access_denied_is_its_own_error() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Deny]);
    let (auth, _) = manager(&kc);

    let err = auth.access_token().await.expect_err("denied");

    assert!(
        matches!(&err, AuthError::AccessDenied { description: Some(d) } if d.contains("denied")),
        "{err:?}"
    );
    assert!(err.to_string().contains("access_denied"));
}

#[tokio::test]
async fn code_lifetime_ends_the_wait_when_the_user_never_answers() {
    // Always pending; the code lives 120 units (2.4 s) and the interval is 20.
    //
    // The manager measures the lifetime with its own clock, which a test
    // cannot move; what it can do is leave wide margins. It polls only while
    // a whole interval fits before the deadline: at least once unless it
    // stalled for 100 units (2 s) between reading the clock for the deadline
    // and for the first wake-up, and at most 5 times however long each poll
    // takes. Read as real seconds the lifetime would be 120 s.
    const EXPIRES_IN: u64 = 120;
    const INTERVAL: u64 = 20;
    let kc = Keycloak::start().await;
    kc.script_device(INTERVAL, EXPIRES_IN, &[]);
    let (auth, _) = manager(&kc);
    let started = Instant::now();

    let err = auth.access_token().await.expect_err("timed out");

    assert!(
        matches!(
            err,
            AuthError::DeviceLoginTimedOut {
                expires_in_secs: EXPIRES_IN
            }
        ),
        "{err:?}"
    );
    let waited = started.elapsed();
    let lifetime = UNIT * EXPIRES_IN as u32;
    assert!(waited >= lifetime, "gave up after {waited:?}");
    assert!(
        waited < Duration::from_secs(EXPIRES_IN / 2),
        "took {waited:?}: the lifetime is counted in units of {UNIT:?}"
    );
    let polls = kc.polls().len() as u64;
    assert!(
        (1..EXPIRES_IN / INTERVAL).contains(&polls),
        "{polls} polls within the code's lifetime"
    );
    for gap in gaps(&kc) {
        assert!(gap >= UNIT * INTERVAL as u32, "polled after {gap:?}");
    }
}

#[tokio::test]
async fn device_endpoint_error_is_reported_with_its_code() {
    let kc = Keycloak::start().await; // no device script: the client is not allowed
    let (auth, prompts) = manager(&kc);

    let err = auth.access_token().await.expect_err("not allowed");

    match &err {
        AuthError::Keycloak {
            error, endpoint, ..
        } => {
            assert_eq!(error, "unauthorized_client");
            assert!(endpoint.path().ends_with("/auth/device"));
        }
        other => panic!("expected Keycloak error, got {other:?}"),
    }
    assert!(
        prompts.lock().unwrap().is_empty(),
        "no prompt without a code"
    );
}

#[tokio::test]
async fn after_login_tokens_are_refreshed_with_the_refresh_token() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let (auth, _) = manager(&kc);
    auth.access_token().await.expect("login");

    auth.force_refresh().await.expect("refresh");

    assert_eq!(kc.device_requests().len(), 1, "no second login");
    let last = kc.token_requests().pop().unwrap();
    assert_eq!(last.field("grant_type"), Some("refresh_token"));
    assert!(last.field("refresh_token").unwrap().starts_with("refresh-"));
}

#[tokio::test]
async fn rejected_refresh_token_requires_login_and_never_starts_one_silently() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let (auth, prompts) = manager(&kc);
    auth.access_token().await.expect("login");
    kc.revoke_refresh_tokens();
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);

    let err = auth.force_refresh().await.expect_err("rejected");
    assert!(matches!(err, AuthError::LoginRequired { .. }), "{err:?}");
    let err = auth.access_token().await.expect_err("still rejected");
    assert!(matches!(err, AuthError::LoginRequired { .. }), "{err:?}");
    assert_eq!(kc.device_requests().len(), 1, "no interactive fallback");
    assert_eq!(prompts.lock().unwrap().len(), 1);

    // An explicit login is the way back.
    let token = auth.login().await.expect("login again");
    assert_eq!(kc.device_requests().len(), 2);
    let again = auth.access_token().await.expect("token");
    assert_eq!(token.expose(), again.expose());
}

#[tokio::test]
async fn without_login_on_demand_access_token_reports_not_logged_in() {
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Approve]);
    let (auth, _) = manager(&kc);
    let auth = auth.with_login_on_demand(false);

    let err = auth.access_token().await.expect_err("not logged in");
    assert!(matches!(err, AuthError::NotLoggedIn { .. }), "{err:?}");
    assert!(kc.device_requests().is_empty());

    auth.login().await.expect("explicit login");
    auth.access_token().await.expect("token after login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_device_login() {
    const CALLERS: u32 = 20;
    let kc = Keycloak::start().await;
    kc.script_device(1, LIFETIME, &[DeviceStep::Pending, DeviceStep::Approve]);
    let (auth, prompts) = manager(&kc);
    let auth = Arc::new(auth);

    // The device endpoint's answer is held until every caller is inside its
    // call: one of them has started the login, the others wait for it, so
    // that none can come after the login and merely find its token.
    kc.hold_answers();
    let arrived = Arc::new(Semaphore::new(0));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..CALLERS {
        let auth = auth.clone();
        let call = async move { auth.access_token().await.map(|t| t.expose().to_owned()) };
        set.spawn(signal_first_poll(call, arrived.clone()));
    }
    arrived
        .acquire_many(CALLERS)
        .await
        .expect("semaphore open")
        .forget();
    kc.release_answers();
    let tokens: Vec<String> = set
        .join_all()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("all get a token");

    assert_eq!(kc.device_requests().len(), 1);
    assert_eq!(kc.polls().len(), 2, "one login's polls");
    assert_eq!(kc.token_request_count(), 2, "and no other token request");
    assert_eq!(prompts.lock().unwrap().len(), 1);
    assert_eq!(tokens.len(), CALLERS as usize);
    assert!(tokens.iter().all(|t| t == &tokens[0]));
}
