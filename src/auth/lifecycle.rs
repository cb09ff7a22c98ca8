//! The token lifecycle shared by the Keycloak managers: when a token is stale,
//! and how concurrent callers share one refresh.
//!
//! Single flight comes from holding a `tokio::sync::Mutex` across the token
//! request: callers that find the token stale queue on the lock, and the first
//! one through refreshes; the others then find a fresh token and return it
//! without a request. A generation counter, read before queueing, lets
//! concurrent `force_refresh` calls recognise that a refresh completed while
//! they waited and share it instead of starting another.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use secrecy::SecretString;
use tokio::sync::Mutex;

use super::keycloak::TokenResponse;
use super::{AccessToken, AuthError};

/// Refresh this long before `exp` unless configured otherwise.
pub(crate) const DEFAULT_SKEW: Duration = Duration::from_secs(30);

/// What a Keycloak manager holds between calls.
#[derive(Default)]
pub(crate) struct TokenState {
    /// The current access token and when it expires.
    pub(crate) access: Option<(AccessToken, SystemTime)>,
    /// The refresh (or offline) token to renew with; the latest one returned.
    pub(crate) refresh: Option<SecretString>,
    /// Set once Keycloak has rejected the refresh token: every call then fails
    /// with `LoginRequired` without a request, until a new login.
    pub(crate) rejected: Option<Option<String>>,
    /// Whether the persistent cache has been read (device flow only).
    pub(crate) loaded: bool,
}

impl TokenState {
    /// The access token, if it stays valid for longer than `skew`.
    pub(crate) fn fresh(&self, skew: Duration) -> Option<AccessToken> {
        let (token, expires_at) = self.access.as_ref()?;
        let deadline = SystemTime::now().checked_add(skew)?;
        (deadline < *expires_at).then(|| token.clone())
    }

    /// Takes in a token answer; keeps the old refresh token when the server
    /// did not rotate it.
    pub(crate) fn apply(&mut self, tokens: TokenResponse) {
        self.access = Some((tokens.access_token, tokens.expires_at));
        if let Some(refresh) = tokens.refresh_token {
            self.refresh = Some(refresh);
        }
        self.rejected = None;
    }

    /// Takes in the outcome of a refresh grant: stores new tokens, or, when
    /// Keycloak rejected the refresh token, forgets the access token and
    /// remembers the rejection so later calls fail without a request.
    pub(crate) fn settle_refresh(
        &mut self,
        outcome: Result<TokenResponse, AuthError>,
    ) -> Result<(), AuthError> {
        match outcome {
            Ok(tokens) => {
                self.apply(tokens);
                Ok(())
            }
            Err(AuthError::LoginRequired {
                endpoint,
                description,
            }) => {
                self.access = None;
                self.rejected = Some(description.clone());
                Err(AuthError::LoginRequired {
                    endpoint,
                    description,
                })
            }
            Err(e) => Err(e),
        }
    }
}

/// The lock and generation counter behind single flight.
pub(crate) struct Flight {
    pub(crate) state: Mutex<TokenState>,
    generation: AtomicU64,
    pub(crate) skew: Duration,
}

impl Flight {
    pub(crate) fn new(state: TokenState) -> Self {
        Self {
            state: Mutex::new(state),
            generation: AtomicU64::new(0),
            skew: DEFAULT_SKEW,
        }
    }

    /// Records that a new token was stored (under the lock).
    pub(crate) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// How one kind of manager obtains a new token.
#[async_trait]
pub(crate) trait Renew: Send + Sync {
    fn flight(&self) -> &Flight;

    /// Runs under the lock before the freshness check (loads caches).
    async fn prepare(&self, _state: &mut TokenState) {}

    /// Obtains a new token and stores it in `state` (under the lock).
    async fn renew(&self, state: &mut TokenState) -> Result<(), AuthError>;
}

/// A valid token: the cached one unless it is stale (or `force`), else a new
/// one obtained by exactly one of the concurrent callers.
pub(crate) async fn current<R: Renew + ?Sized>(
    manager: &R,
    force: bool,
) -> Result<AccessToken, AuthError> {
    let flight = manager.flight();
    let seen = flight.generation.load(Ordering::Acquire);
    let mut state = flight.state.lock().await;
    manager.prepare(&mut state).await;
    // A forced refresh that waited behind another refresh shares its result:
    // that token is newer than the one the caller wanted replaced.
    let shared = force && flight.generation.load(Ordering::Acquire) != seen;
    if (!force || shared)
        && let Some(token) = state.fresh(flight.skew)
    {
        return Ok(token);
    }
    manager.renew(&mut state).await?;
    flight.bump();
    match &state.access {
        Some((token, _)) => Ok(token.clone()),
        None => Err(AuthError::Unavailable(
            "the token request succeeded but stored no token".into(),
        )),
    }
}
