//! Interactive login with the OAuth 2.0 device authorization grant (RFC 8628).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use super::cache::{CachedTokens, TokenCache, run_blocking};
use super::keycloak::{self, Realm};
use super::lifecycle::{self, Flight, Renew, TokenState};
use super::{AccessToken, AuthError, AuthManager};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.2: the polling interval when the server names none.
const DEFAULT_INTERVAL: u64 = 5;
/// RFC 8628 §3.5: `slow_down` adds five seconds to the interval.
const SLOW_DOWN_STEP: u64 = 5;

/// What the user needs to approve a device login: a URL to open and a code to
/// confirm there.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DevicePrompt {
    /// The page where the user enters [`user_code`](Self::user_code).
    pub verification_uri: String,
    /// The same page with the code filled in, when Keycloak offers one.
    pub verification_uri_complete: Option<String>,
    /// The short code the user confirms.
    pub user_code: String,
    /// How long the code stays valid, as Keycloak stated it.
    pub expires_in: Duration,
}

impl DevicePrompt {
    /// The best URL to show: the one with the code filled in, if any.
    pub fn url(&self) -> &str {
        self.verification_uri_complete
            .as_deref()
            .unwrap_or(&self.verification_uri)
    }
}

impl fmt::Display for DevicePrompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "To log in to Provena, open {} and confirm the code {}",
            self.url(),
            self.user_code
        )?;
        if self.verification_uri_complete.is_some() {
            write!(f, " (or open {} and enter the code)", self.verification_uri)?;
        }
        Ok(())
    }
}

type PromptFn = Arc<dyn Fn(&DevicePrompt) + Send + Sync>;

/// Access tokens for a person, obtained by logging in on another device.
///
/// The first time a token is needed (and no cached login exists) the manager
/// asks Keycloak for a device code, hands the verification URL and user code
/// to the prompt callback (by default printed to stderr), and polls the token
/// endpoint until the user approves, denies, or the code expires. After that it
/// refreshes with the refresh token, and keeps both tokens in a
/// [`TokenCache`] so that the next run needs no login.
///
/// A refresh token that Keycloak rejects yields [`AuthError::LoginRequired`];
/// the manager never starts a new interactive login on its own after that.
/// Call [`login`](Self::login) to log in again.
///
/// ```no_run
/// use provena_client::auth::{AuthManager, DeviceFlowManager};
///
/// # async fn run() -> Result<(), provena_client::auth::AuthError> {
/// let realm = url::Url::parse("https://auth.example.org/auth/realms/provena").unwrap();
/// let auth = DeviceFlowManager::new(reqwest::Client::new(), realm, "client-tools")?
///     .with_prompt(|prompt| eprintln!("{prompt}"));
/// let token = auth.access_token().await?; // logs in on first use
/// # let _ = token;
/// auth.logout().await?; // forgets the cached login
/// # Ok(())
/// # }
/// ```
pub struct DeviceFlowManager {
    http: reqwest::Client,
    realm: Realm,
    flight: Flight,
    cache: Option<TokenCache>,
    prompt: PromptFn,
    unit: Duration,
    scope: Option<String>,
    login_on_demand: bool,
}

impl DeviceFlowManager {
    /// A manager for `client_id` in the realm at `realm_url`, caching tokens in
    /// the user's cache directory ([`TokenCache::default_location`]) when
    /// there is one.
    pub fn new(
        http: reqwest::Client,
        realm_url: Url,
        client_id: impl Into<String>,
    ) -> Result<Self, AuthError> {
        let realm = Realm::new(realm_url, client_id)?;
        let cache = match TokenCache::default_location(&realm.realm_url, &realm.client_id) {
            Ok(cache) => Some(cache),
            Err(e) => {
                tracing::debug!(error = %e, "device login tokens will not be cached");
                None
            }
        };
        Ok(Self {
            http,
            realm,
            flight: Flight::new(TokenState::default()),
            cache,
            prompt: Arc::new(|prompt: &DevicePrompt| eprintln!("{prompt}")),
            unit: Duration::from_secs(1),
            scope: Some("openid".into()),
            login_on_demand: true,
        })
    }

    /// Keeps the token cache in `dir` instead of the user's cache directory.
    pub fn with_cache_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.cache = Some(TokenCache::in_dir(
            dir,
            &self.realm.realm_url,
            &self.realm.client_id,
        ));
        self
    }

    /// Keeps tokens in memory only: every new manager logs in again.
    pub fn without_cache(mut self) -> Self {
        self.cache = None;
        self
    }

    /// Shows the verification URL and user code with `prompt` instead of
    /// printing them to stderr (for a GUI, a notebook, or a test).
    pub fn with_prompt(mut self, prompt: impl Fn(&DevicePrompt) + Send + Sync + 'static) -> Self {
        self.prompt = Arc::new(prompt);
        self
    }

    /// The length of one of Keycloak's seconds while polling (default 1 s).
    ///
    /// The device flow's `interval`, the five seconds added on `slow_down` and
    /// the code's `expires_in` are all counted in this unit. Only tests have a
    /// reason to shrink it, to run a multi-step login in milliseconds.
    pub fn with_poll_interval_unit(mut self, unit: Duration) -> Self {
        self.unit = unit;
        self
    }

    /// The `scope` sent with the device authorization request (default
    /// `openid`); `None` sends none.
    pub fn with_scope(mut self, scope: Option<String>) -> Self {
        self.scope = scope;
        self
    }

    /// Refreshes this long before the access token's `exp` (default 30 s).
    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.flight.skew = skew;
        self
    }

    /// Whether [`access_token`](AuthManager::access_token) may start a device
    /// login when there is no login yet (default `true`). When `false` it
    /// fails with [`AuthError::NotLoggedIn`] and only [`login`](Self::login)
    /// starts one.
    pub fn with_login_on_demand(mut self, on: bool) -> Self {
        self.login_on_demand = on;
        self
    }

    /// The token cache in use, if any.
    pub fn cache(&self) -> Option<&TokenCache> {
        self.cache.as_ref()
    }

    /// Runs a device login now, even if a valid login exists, and returns the
    /// new access token. This is the way back after
    /// [`AuthError::LoginRequired`].
    pub async fn login(&self) -> Result<AccessToken, AuthError> {
        let mut state = self.flight.state.lock().await;
        // The fresh login must not be overwritten by a later cache load.
        state.loaded = true;
        self.device_login(&mut state).await?;
        self.flight.bump();
        state
            .access
            .as_ref()
            .map(|(token, _)| token.clone())
            .ok_or_else(|| AuthError::Unavailable("the login stored no token".into()))
    }

    /// Forgets the login: drops the tokens held in memory and deletes this
    /// realm and client's cache file (only that file). Returns whether a
    /// cache file was deleted.
    pub async fn logout(&self) -> Result<bool, AuthError> {
        let mut state = self.flight.state.lock().await;
        *state = TokenState {
            loaded: true,
            ..TokenState::default()
        };
        self.flight.bump();
        tracing::debug!("logged out");
        let Some(cache) = self.cache.clone() else {
            return Ok(false);
        };
        let path = cache.path().to_owned();
        run_blocking(move || cache.remove())
            .await
            .map_err(|e| AuthError::Cache {
                path,
                source: std::io::Error::other(e),
            })?
    }

    async fn device_login(&self, state: &mut TokenState) -> Result<(), AuthError> {
        let endpoint = &self.realm.device_endpoint;
        let mut form = vec![("client_id", self.realm.client_id.as_str())];
        if let Some(scope) = &self.scope {
            form.push(("scope", scope.as_str()));
        }
        tracing::debug!(%endpoint, "starting a device login");
        let body = keycloak::post_form(&self.http, endpoint, &form)
            .await?
            .map_err(|e| e.into_auth_error(endpoint))?;
        let grant = DeviceGrant::parse(endpoint, &body)?;
        (self.prompt)(&grant.prompt);

        let tokens = self.poll(&grant).await?;
        state.apply(tokens);
        self.save(state).await;
        Ok(())
    }

    /// Polls the token endpoint until the user decides or the code expires.
    async fn poll(&self, grant: &DeviceGrant) -> Result<keycloak::TokenResponse, AuthError> {
        let endpoint = &self.realm.token_endpoint;
        let unit = self.unit;
        let deadline = Instant::now() + scaled(unit, grant.expires_in_secs);
        let mut interval = scaled(unit, grant.interval_secs.max(1));
        loop {
            let wake = Instant::now() + interval;
            if wake >= deadline {
                tokio::time::sleep_until(deadline).await;
                return Err(AuthError::DeviceLoginTimedOut {
                    expires_in_secs: grant.expires_in_secs,
                });
            }
            tokio::time::sleep_until(wake).await;
            let form = [
                ("grant_type", DEVICE_GRANT),
                ("device_code", grant.device_code.expose_secret()),
                ("client_id", self.realm.client_id.as_str()),
            ];
            match keycloak::post_form(&self.http, endpoint, &form).await? {
                Ok(body) => {
                    let tokens = keycloak::parse_token_response(endpoint, &body)?;
                    tracing::debug!("device login approved");
                    keycloak::log_renewed(&tokens);
                    return Ok(tokens);
                }
                Err(e) => match e.error.as_str() {
                    "authorization_pending" => {}
                    "slow_down" => {
                        interval += scaled(unit, SLOW_DOWN_STEP);
                        tracing::debug!(?interval, "Keycloak asked to slow down polling");
                    }
                    "expired_token" => {
                        return Err(AuthError::DeviceCodeExpired {
                            description: e.description,
                        });
                    }
                    "access_denied" => {
                        return Err(AuthError::AccessDenied {
                            description: e.description,
                        });
                    }
                    _ => return Err(e.into_auth_error(endpoint)),
                },
            }
        }
    }

    /// Writes the current tokens to the cache. A failure is logged, not
    /// returned: the token in hand is still good, only the next run will have
    /// to log in again.
    async fn save(&self, state: &TokenState) {
        let (Some(cache), Some(refresh)) = (&self.cache, &state.refresh) else {
            return;
        };
        let cache = cache.clone();
        let tokens = CachedTokens {
            refresh: refresh.clone(),
            access: state.access.clone(),
        };
        let path = cache.path().to_owned();
        let result = run_blocking(move || cache.store(&tokens)).await;
        match result {
            Ok(Ok(())) => tracing::debug!(path = %path.display(), "saved tokens to the cache"),
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot save tokens to the cache"),
            Err(e) => tracing::warn!(error = %e, "cannot save tokens to the cache"),
        }
    }
}

fn scaled(unit: Duration, secs: u64) -> Duration {
    unit.saturating_mul(u32::try_from(secs).unwrap_or(u32::MAX))
}

/// The device authorization answer (RFC 8628 §3.2).
struct DeviceGrant {
    device_code: SecretString,
    prompt: DevicePrompt,
    expires_in_secs: u64,
    interval_secs: u64,
}

impl DeviceGrant {
    fn parse(endpoint: &Url, body: &Value) -> Result<Self, AuthError> {
        let field = |name: &str| {
            body.get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let missing = |name: &str| AuthError::InvalidResponse {
            endpoint: Box::new(endpoint.clone()),
            reason: format!("no {name} in the device authorization answer"),
        };
        let device_code = field("device_code").ok_or_else(|| missing("device_code"))?;
        let user_code = field("user_code").ok_or_else(|| missing("user_code"))?;
        let verification_uri = field("verification_uri")
            // Early drafts of the RFC, and some servers, say "url".
            .or_else(|| field("verification_url"))
            .ok_or_else(|| missing("verification_uri"))?;
        let expires_in_secs = body
            .get("expires_in")
            .and_then(keycloak::seconds)
            .ok_or_else(|| missing("expires_in"))?
            .as_secs();
        let interval_secs = body
            .get("interval")
            .and_then(keycloak::seconds)
            .map_or(DEFAULT_INTERVAL, |d| d.as_secs());
        Ok(Self {
            device_code: SecretString::from(device_code),
            prompt: DevicePrompt {
                verification_uri,
                verification_uri_complete: field("verification_uri_complete"),
                user_code,
                expires_in: Duration::from_secs(expires_in_secs),
            },
            expires_in_secs,
            interval_secs,
        })
    }
}

impl fmt::Debug for DeviceFlowManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceFlowManager")
            .field("realm_url", &self.realm.realm_url.as_str())
            .field("client_id", &self.realm.client_id)
            .field("cache", &self.cache.as_ref().map(TokenCache::path))
            .field("scope", &self.scope)
            .field("skew", &self.flight.skew)
            .field("poll_interval_unit", &self.unit)
            .field("login_on_demand", &self.login_on_demand)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for DeviceFlowManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "device login for client {} at {}",
            self.realm.client_id, self.realm.realm_url
        )
    }
}

#[async_trait]
impl Renew for DeviceFlowManager {
    fn flight(&self) -> &Flight {
        &self.flight
    }

    async fn prepare(&self, state: &mut TokenState) {
        if state.loaded {
            return;
        }
        state.loaded = true;
        let Some(cache) = self.cache.clone() else {
            return;
        };
        if let Ok(Some(cached)) = run_blocking(move || cache.load()).await {
            state.refresh = Some(cached.refresh);
            state.access = cached.access;
        }
    }

    async fn renew(&self, state: &mut TokenState) -> Result<(), AuthError> {
        if let Some(description) = &state.rejected {
            return Err(AuthError::LoginRequired {
                endpoint: Box::new(self.realm.token_endpoint.clone()),
                description: description.clone(),
            });
        }
        let Some(refresh) = state.refresh.clone() else {
            if !self.login_on_demand {
                return Err(AuthError::NotLoggedIn {
                    realm_url: Box::new(self.realm.realm_url.clone()),
                });
            }
            return self.device_login(state).await;
        };
        state.settle_refresh(
            keycloak::refresh_grant(&self.http, &self.realm, refresh.expose_secret()).await,
        )?;
        self.save(state).await;
        Ok(())
    }
}

#[async_trait]
impl AuthManager for DeviceFlowManager {
    async fn access_token(&self) -> Result<AccessToken, AuthError> {
        lifecycle::current(self, false).await
    }

    async fn force_refresh(&self) -> Result<AccessToken, AuthError> {
        lifecycle::current(self, true).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_client() -> reqwest::Client {
        crate::install_crypto_provider();
        reqwest::Client::new()
    }

    fn manager() -> DeviceFlowManager {
        let realm = Url::parse("https://auth.x.org/auth/realms/p").unwrap();
        DeviceFlowManager::new(http_client(), realm, "cli")
            .unwrap()
            .without_cache()
    }

    #[test]
    fn debug_output_shows_the_settings() {
        let debug = format!("{:?}", manager().with_skew(Duration::from_secs(9)));
        assert_eq!(
            debug,
            "DeviceFlowManager { realm_url: \"https://auth.x.org/auth/realms/p\", \
             client_id: \"cli\", cache: None, scope: Some(\"openid\"), skew: 9s, \
             poll_interval_unit: 1s, login_on_demand: true, .. }"
        );
    }

    #[test]
    fn display_names_the_client_and_realm() {
        assert_eq!(
            manager().to_string(),
            "device login for client cli at https://auth.x.org/auth/realms/p"
        );
    }

    #[test]
    fn a_prompt_offers_the_complete_url_first_and_the_plain_one_with_the_code() {
        let mut prompt = DevicePrompt {
            verification_uri: "https://kc/device".into(),
            verification_uri_complete: Some("https://kc/device?user_code=AB-CD".into()),
            user_code: "AB-CD".into(),
            expires_in: Duration::from_secs(600),
        };
        assert_eq!(
            prompt.to_string(),
            "To log in to Provena, open https://kc/device?user_code=AB-CD and confirm \
             the code AB-CD (or open https://kc/device and enter the code)"
        );
        prompt.verification_uri_complete = None;
        assert_eq!(
            prompt.to_string(),
            "To log in to Provena, open https://kc/device and confirm the code AB-CD"
        );
    }
}
