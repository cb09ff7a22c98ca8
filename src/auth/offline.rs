//! The offline-token flow, for pipelines and other unattended use.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::keycloak::{self, Realm};
use super::lifecycle::{self, Flight, Renew, TokenState};
use super::{AccessToken, AuthError, AuthManager, TokenOrigin};

/// Access tokens obtained from a Keycloak offline token.
///
/// An offline token is a long-lived refresh token (Keycloak scope
/// `offline_access`) that a user obtains once and hands to a pipeline. This
/// manager exchanges it at the realm's token endpoint
/// (`grant_type=refresh_token`) whenever the access token is missing or about
/// to expire, and keeps using the latest refresh token Keycloak returns.
///
/// If Keycloak rejects the offline token (revoked, expired, wrong realm) every
/// call fails with [`AuthError::LoginRequired`]: a pipeline cannot log in
/// interactively, so the user has to issue a new offline token.
///
/// ```no_run
/// use std::sync::Arc;
/// use provena_client::auth::{AuthManager, OfflineTokenManager};
///
/// # async fn run() -> Result<(), provena_client::auth::AuthError> {
/// let realm = url::Url::parse("https://auth.example.org/auth/realms/provena").unwrap();
/// let auth: Arc<dyn AuthManager> = Arc::new(OfflineTokenManager::from_env(
///     reqwest::Client::new(),
///     realm,
///     "client-tools",
///     "PROVENA_OFFLINE_TOKEN",
/// )?);
/// let token = auth.access_token().await?;
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
pub struct OfflineTokenManager {
    http: reqwest::Client,
    realm: Realm,
    origin: TokenOrigin,
    flight: Flight,
}

impl OfflineTokenManager {
    /// Uses `offline_token` as given.
    ///
    /// Fails if the token is empty or the realm URL / client id are unusable.
    pub fn new(
        http: reqwest::Client,
        realm_url: Url,
        client_id: impl Into<String>,
        offline_token: impl Into<String>,
    ) -> Result<Self, AuthError> {
        Self::build(
            http,
            realm_url,
            client_id,
            offline_token.into(),
            TokenOrigin::Argument,
        )
    }

    /// Reads the offline token from a file (surrounding whitespace, such as a
    /// trailing newline, is ignored).
    ///
    /// A missing or unreadable file is [`AuthError::OfflineTokenFile`]; an
    /// empty one is [`AuthError::EmptyOfflineToken`]. Both name the path.
    pub fn from_file(
        http: reqwest::Client,
        realm_url: Url,
        client_id: impl Into<String>,
        path: impl AsRef<Path>,
    ) -> Result<Self, AuthError> {
        let path: PathBuf = path.as_ref().to_owned();
        let token =
            std::fs::read_to_string(&path).map_err(|source| AuthError::OfflineTokenFile {
                path: path.clone(),
                source,
            })?;
        Self::build(http, realm_url, client_id, token, TokenOrigin::File(path))
    }

    /// Reads the offline token from the environment variable `var`.
    ///
    /// An unset (or non-UTF-8) variable is
    /// [`AuthError::OfflineTokenEnvMissing`]; an empty one is
    /// [`AuthError::EmptyOfflineToken`]. Both name the variable.
    pub fn from_env(
        http: reqwest::Client,
        realm_url: Url,
        client_id: impl Into<String>,
        var: &str,
    ) -> Result<Self, AuthError> {
        let token = std::env::var(var).map_err(|_| AuthError::OfflineTokenEnvMissing {
            var: var.to_owned(),
        })?;
        Self::build(
            http,
            realm_url,
            client_id,
            token,
            TokenOrigin::EnvVar(var.to_owned()),
        )
    }

    fn build(
        http: reqwest::Client,
        realm_url: Url,
        client_id: impl Into<String>,
        token: String,
        origin: TokenOrigin,
    ) -> Result<Self, AuthError> {
        let realm = Realm::new(realm_url, client_id)?;
        let token = token.trim();
        if token.is_empty() {
            return Err(AuthError::EmptyOfflineToken { origin });
        }
        let state = TokenState {
            refresh: Some(SecretString::from(token.to_owned())),
            ..TokenState::default()
        };
        Ok(Self {
            http,
            realm,
            origin,
            flight: Flight::new(state),
        })
    }

    /// Refreshes this long before the access token's `exp` (default 30 s).
    ///
    /// Keep it well below the access token lifetime (Keycloak's default is
    /// 5 minutes): a skew longer than the lifetime means a token request on
    /// every call.
    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.flight.skew = skew;
        self
    }

    /// The realm's token endpoint this manager posts to.
    pub fn token_endpoint(&self) -> &Url {
        &self.realm.token_endpoint
    }

    /// Where the offline token came from.
    pub fn origin(&self) -> &TokenOrigin {
        &self.origin
    }
}

impl fmt::Debug for OfflineTokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfflineTokenManager")
            .field("realm_url", &self.realm.realm_url.as_str())
            .field("client_id", &self.realm.client_id)
            .field("origin", &self.origin)
            .field("skew", &self.flight.skew)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for OfflineTokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "offline token ({}) for client {} at {}",
            self.origin, self.realm.client_id, self.realm.realm_url
        )
    }
}

#[async_trait]
impl Renew for OfflineTokenManager {
    fn flight(&self) -> &Flight {
        &self.flight
    }

    async fn renew(&self, state: &mut TokenState) -> Result<(), AuthError> {
        if let Some(description) = &state.rejected {
            return Err(AuthError::LoginRequired {
                endpoint: Box::new(self.realm.token_endpoint.clone()),
                description: description.clone(),
            });
        }
        let Some(refresh) = state.refresh.as_ref() else {
            return Err(AuthError::Unavailable("no offline token".into()));
        };
        state.settle_refresh(
            keycloak::refresh_grant(&self.http, &self.realm, refresh.expose_secret()).await,
        )
    }
}

#[async_trait]
impl AuthManager for OfflineTokenManager {
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

    const SECRET: &str = "offline-secret-123";

    fn manager() -> OfflineTokenManager {
        let realm = Url::parse("https://auth.x.org/auth/realms/p").unwrap();
        OfflineTokenManager::new(http_client(), realm, "cli", SECRET).unwrap()
    }

    #[test]
    fn debug_output_shows_realm_client_origin_and_skew_but_not_the_token() {
        let debug = format!("{:?}", manager().with_skew(Duration::from_secs(7)));
        assert_eq!(
            debug,
            "OfflineTokenManager { realm_url: \"https://auth.x.org/auth/realms/p\", \
             client_id: \"cli\", origin: Argument, skew: 7s, .. }"
        );
    }

    #[test]
    fn display_says_where_the_token_came_from_and_whom_it_is_for() {
        assert_eq!(
            manager().to_string(),
            "offline token (argument) for client cli at https://auth.x.org/auth/realms/p"
        );
    }

    #[test]
    fn surrounding_whitespace_of_the_token_is_ignored_and_blank_is_empty() {
        let realm = Url::parse("https://auth.x.org/auth/realms/p").unwrap();
        let error =
            OfflineTokenManager::new(http_client(), realm, "cli", " \n").expect_err("blank");
        assert!(
            matches!(
                &error,
                AuthError::EmptyOfflineToken {
                    origin: TokenOrigin::Argument
                }
            ),
            "{error:?}"
        );
    }
}
