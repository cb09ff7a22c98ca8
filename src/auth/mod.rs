//! Access tokens for Provena's services.
//!
//! Every Provena call carries `Authorization: Bearer <access token>`. Where the
//! token comes from is the job of an [`AuthManager`]: a fixed token
//! ([`StaticToken`]), or (in later modules) Keycloak flows that refresh it.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

/// An access token. Its `Debug` and `Display` never show the secret.
#[derive(Clone)]
pub struct AccessToken(SecretString);

impl AccessToken {
    /// Wraps a raw token string.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }

    /// The raw token, for building the `Authorization` header.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why an access token could not be obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The auth manager has no token to give and cannot get one.
    #[error("no access token available: {0}")]
    Unavailable(String),
}

/// A source of valid access tokens, shared by every service client.
///
/// Implementations must be cheap to call: the client asks for a token before
/// every request and expects a cached one back while it is still valid.
#[async_trait]
pub trait AuthManager: Send + Sync + fmt::Debug {
    /// A token that is valid now (refreshing it first if it is about to expire).
    async fn access_token(&self) -> Result<AccessToken, AuthError>;

    /// Discards the current token and obtains a new one, for example after a
    /// service answered 401.
    async fn force_refresh(&self) -> Result<AccessToken, AuthError>;
}

/// A fixed token that is never refreshed: for tests and service tokens.
#[derive(Debug, Clone)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// Uses `token` for every request.
    pub fn new(token: impl Into<String>) -> Self {
        Self(AccessToken::new(token))
    }

    /// The same, ready to share between clients.
    pub fn shared(token: impl Into<String>) -> Arc<dyn AuthManager> {
        Arc::new(Self::new(token))
    }
}

#[async_trait]
impl AuthManager for StaticToken {
    async fn access_token(&self) -> Result<AccessToken, AuthError> {
        Ok(self.0.clone())
    }

    async fn force_refresh(&self) -> Result<AccessToken, AuthError> {
        Ok(self.0.clone())
    }
}
