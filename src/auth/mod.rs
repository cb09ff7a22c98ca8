//! Access tokens for Provena's services.
//!
//! Every Provena call carries `Authorization: Bearer <access token>`. Where the
//! token comes from is the job of an [`AuthManager`]:
//!
//! - [`StaticToken`]: a fixed token, never refreshed;
//! - [`OfflineTokenManager`]: exchanges a long-lived Keycloak offline token for
//!   short-lived access tokens, for pipelines;
//! - [`DeviceFlowManager`]: interactive login with the OAuth 2.0 device
//!   authorization grant (RFC 8628), with an on-disk [`TokenCache`] so that
//!   the user logs in once rather than every run;
//! - anything else that implements the trait (see [`AuthManager`]).
//!
//! The Keycloak managers read the access token's `exp` claim and refresh it a
//! configurable skew before it expires (30 s by default). Concurrent callers
//! that find the token stale share a single token request.
//!
//! Tokens never appear in `Debug`, `Display` or log output: they are held in
//! [`secrecy`] wrappers and every type here formats them as `[redacted]`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

mod cache;
mod device;
mod jwt;
mod keycloak;
mod lifecycle;
mod offline;

pub use cache::TokenCache;
pub use device::{DeviceFlowManager, DevicePrompt};
pub use offline::OfflineTokenManager;

/// The realm URL of a Provena deployment:
/// `https://auth.{domain}/auth/realms/{realm}`.
///
/// ```
/// let url = provena_client::auth::realm_url("provena.example.org", "provena").unwrap();
/// assert_eq!(url.as_str(), "https://auth.provena.example.org/auth/realms/provena");
/// ```
pub fn realm_url(domain: &str, realm: &str) -> Result<Url, AuthError> {
    let domain = domain.trim().trim_end_matches('/');
    let realm = realm.trim();
    if domain.is_empty() || realm.is_empty() || realm.contains('/') {
        return Err(AuthError::InvalidConfig {
            reason: format!("cannot build a realm URL from domain {domain:?} and realm {realm:?}"),
        });
    }
    Url::parse(&format!("https://auth.{domain}/auth/realms/{realm}")).map_err(|e| {
        AuthError::InvalidConfig {
            reason: format!("cannot build a realm URL from domain {domain:?}: {e}"),
        }
    })
}

/// An access token. Its `Debug` and `Display` never show the secret.
///
/// Cheap to clone: clones share the secret, and the `Authorization` header
/// value made from it, built once.
#[derive(Clone)]
pub struct AccessToken(Arc<TokenInner>);

struct TokenInner {
    secret: SecretString,
    /// `Bearer <token>`, marked sensitive; or why the token cannot be one.
    bearer: std::sync::OnceLock<Result<reqwest::header::HeaderValue, String>>,
}

impl AccessToken {
    /// Wraps a raw token string.
    pub fn new(token: impl Into<String>) -> Self {
        Self(Arc::new(TokenInner {
            secret: SecretString::from(token.into()),
            bearer: std::sync::OnceLock::new(),
        }))
    }

    /// The raw token, for building the `Authorization` header.
    pub fn expose(&self) -> &str {
        self.0.secret.expose_secret()
    }

    /// The `Authorization` value `Bearer <token>`, marked sensitive (never
    /// shown in debug output); built on first use and shared by the clones.
    pub(crate) fn bearer_header(&self) -> Result<reqwest::header::HeaderValue, String> {
        self.0
            .bearer
            .get_or_init(|| {
                let mut value =
                    reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.expose()))
                        .map_err(|_| {
                            "the access token contains characters not allowed in a header"
                                .to_string()
                        })?;
                value.set_sensitive(true);
                Ok(value)
            })
            .clone()
    }

    /// When the token expires, read from its `exp` claim (not verified: the
    /// services check signatures). `None` for a token that is not a JWT or
    /// has no usable `exp`.
    pub fn expires_at(&self) -> Option<std::time::SystemTime> {
        jwt::expiry(self.expose())
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

/// Where an offline token was read from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenOrigin {
    /// Passed directly to the constructor.
    Argument,
    /// Read from this file.
    File(PathBuf),
    /// Read from this environment variable.
    EnvVar(String),
}

impl fmt::Display for TokenOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Argument => f.write_str("argument"),
            Self::File(path) => write!(f, "file {}", path.display()),
            Self::EnvVar(var) => write!(f, "environment variable {var}"),
        }
    }
}

/// Why an access token could not be obtained.
///
/// No variant ever holds a token, so errors can be logged freely.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The auth manager has no token to give and cannot get one.
    #[error("no access token available: {0}")]
    Unavailable(String),

    /// The realm URL, client id or another setting is unusable.
    #[error("invalid auth configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },

    /// The offline token file could not be read.
    #[error("cannot read the offline token file {}: {source}", path.display())]
    OfflineTokenFile {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },

    /// The environment variable meant to hold the offline token is not set
    /// (or is not valid UTF-8).
    #[error("environment variable {var} (the offline token) is not set")]
    OfflineTokenEnvMissing {
        /// The variable's name.
        var: String,
    },

    /// The offline token is empty (or only whitespace).
    #[error("the offline token from {origin} is empty")]
    EmptyOfflineToken {
        /// Where it was read from.
        origin: TokenOrigin,
    },

    /// The HTTP request to Keycloak failed (connection, TLS, timeout, body).
    #[error("request to {endpoint} failed: {source}")]
    Request {
        /// The Keycloak endpoint.
        endpoint: Box<Url>,
        /// The transport error.
        source: reqwest::Error,
    },

    /// Keycloak answered with an OAuth error other than the ones that have
    /// their own variant.
    #[error(
        "Keycloak at {endpoint} answered HTTP {status} with error {error}{}",
        describe(description)
    )]
    Keycloak {
        /// The Keycloak endpoint.
        endpoint: Box<Url>,
        /// The HTTP status.
        status: u16,
        /// The OAuth error code, e.g. `invalid_client`.
        error: String,
        /// Keycloak's `error_description`, if any.
        description: Option<String>,
    },

    /// Keycloak rejected the refresh or offline token (`invalid_grant`): it
    /// expired, was revoked or belongs to another realm or client. The user must
    /// log in again (or issue a new offline token); no manager falls back to an
    /// interactive login on its own.
    #[error(
        "Keycloak at {endpoint} rejected the refresh token (invalid_grant{}): the user must log in again",
        describe(description)
    )]
    LoginRequired {
        /// The token endpoint.
        endpoint: Box<Url>,
        /// Keycloak's `error_description`, if any.
        description: Option<String>,
    },

    /// Keycloak answered with a non-success status and no OAuth error body.
    #[error("{endpoint} answered HTTP {status}: {body}")]
    UnexpectedStatus {
        /// The Keycloak endpoint.
        endpoint: Box<Url>,
        /// The HTTP status.
        status: u16,
        /// The start of the response body.
        body: String,
    },

    /// The device flow has no login yet and may not start one by itself
    /// ([`DeviceFlowManager::with_login_on_demand`]).
    #[error("not logged in to {realm_url}: run the device login first")]
    NotLoggedIn {
        /// The realm.
        realm_url: Box<Url>,
    },

    /// Keycloak reports that the device code expired (`expired_token`) before
    /// the user approved the login.
    #[error(
        "the device login expired before it was approved (expired_token{})",
        describe(description)
    )]
    DeviceCodeExpired {
        /// Keycloak's `error_description`, if any.
        description: Option<String>,
    },

    /// The user denied the device login (`access_denied`).
    #[error("the device login was denied (access_denied{})", describe(description))]
    AccessDenied {
        /// Keycloak's `error_description`, if any.
        description: Option<String>,
    },

    /// The device code's lifetime (`expires_in`) ran out while polling,
    /// without Keycloak reporting an outcome.
    #[error("the device login was not approved within the code's lifetime of {expires_in_secs} s")]
    DeviceLoginTimedOut {
        /// The lifetime Keycloak gave the code, in its seconds.
        expires_in_secs: u64,
    },

    /// The token cache file could not be written or removed.
    #[error("token cache {}: {source}", path.display())]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },

    /// The platform has no cache directory for this user (no `HOME` or
    /// `XDG_CACHE_HOME`); use an explicit directory.
    #[error(
        "no cache directory for this user: set XDG_CACHE_HOME or give the cache an explicit directory"
    )]
    NoCacheDir,

    /// Keycloak's answer could not be understood.
    #[error("unusable answer from {endpoint}: {reason}")]
    InvalidResponse {
        /// The Keycloak endpoint.
        endpoint: Box<Url>,
        /// What is wrong with it.
        reason: String,
    },
}

/// `: description` or nothing.
fn describe(description: &Option<String>) -> String {
    match description {
        Some(d) if !d.is_empty() => format!(": {d}"),
        _ => String::new(),
    }
}

/// A source of valid access tokens, shared by every service client.
///
/// Implementations must be cheap to call: the client asks for a token before
/// every request and expects a cached one back while it is still valid.
///
/// Besides the managers in this module, any type can supply tokens, for
/// example one that asks a secrets manager or another process:
///
/// ```
/// use async_trait::async_trait;
/// use provena_client::auth::{AccessToken, AuthError, AuthManager};
///
/// /// Reads a token that a sidecar process keeps up to date in a file.
/// #[derive(Debug)]
/// struct SidecarToken {
///     path: std::path::PathBuf,
/// }
///
/// #[async_trait]
/// impl AuthManager for SidecarToken {
///     async fn access_token(&self) -> Result<AccessToken, AuthError> {
///         let raw = std::fs::read_to_string(&self.path)
///             .map_err(|e| AuthError::Unavailable(format!("sidecar token: {e}")))?;
///         Ok(AccessToken::new(raw.trim()))
///     }
///
///     async fn force_refresh(&self) -> Result<AccessToken, AuthError> {
///         // The sidecar refreshes on its own schedule; re-read the file.
///         self.access_token().await
///     }
/// }
///
/// let auth: std::sync::Arc<dyn AuthManager> =
///     std::sync::Arc::new(SidecarToken { path: "/run/provena/token".into() });
/// # let _ = auth;
/// ```
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tokens_bearer_header_is_built_once_and_shared_by_its_clones() {
        let token = AccessToken::new("abc");
        let clone = token.clone();

        let first = token.bearer_header().expect("valid");
        let second = clone.bearer_header().expect("valid");

        assert_eq!(first, "Bearer abc");
        assert!(first.is_sensitive());
        assert!(std::ptr::eq(
            first.as_bytes().as_ptr(),
            second.as_bytes().as_ptr()
        ));
        assert_eq!(
            AccessToken::new("xyz").bearer_header().expect("valid"),
            "Bearer xyz"
        );
    }

    #[test]
    fn a_realm_url_is_built_from_a_domain_and_a_realm() {
        let url = realm_url(" example.org/ ", " provena ").expect("valid");
        assert_eq!(url.as_str(), "https://auth.example.org/auth/realms/provena");
    }

    #[test]
    fn a_realm_url_needs_a_domain_and_a_realm_without_slashes() {
        for (domain, realm) in [
            ("", "provena"),
            ("example.org", ""),
            ("example.org", "a/b"),
            (" ", " "),
        ] {
            let error = realm_url(domain, realm).expect_err("refused");
            assert!(
                matches!(&error, AuthError::InvalidConfig { reason }
                    if reason.starts_with("cannot build a realm URL")),
                "{domain:?}, {realm:?}: {error:?}"
            );
        }
    }

    #[test]
    fn an_access_token_formats_as_redacted() {
        let token = AccessToken::new("secret-value");
        assert_eq!(format!("{token:?}"), "AccessToken([redacted])");
        assert_eq!(token.to_string(), "[redacted]");
        assert_eq!(token.expose(), "secret-value");
    }

    #[test]
    fn keycloaks_description_is_appended_only_when_it_says_something() {
        let endpoint = Box::new(Url::parse("https://kc.example/token").unwrap());
        let with = |description: Option<&str>| {
            AuthError::LoginRequired {
                endpoint: endpoint.clone(),
                description: description.map(str::to_owned),
            }
            .to_string()
        };
        let start = "Keycloak at https://kc.example/token rejected the refresh token";
        let end = "the user must log in again";
        assert_eq!(with(None), format!("{start} (invalid_grant): {end}"));
        assert_eq!(with(Some("")), format!("{start} (invalid_grant): {end}"));
        assert_eq!(
            with(Some("Token is not active")),
            format!("{start} (invalid_grant: Token is not active): {end}")
        );
    }

    #[test]
    fn a_token_origin_says_where_the_token_was_read() {
        assert_eq!(TokenOrigin::Argument.to_string(), "argument");
        assert_eq!(
            TokenOrigin::File(PathBuf::from("/run/token")).to_string(),
            "file /run/token"
        );
        assert_eq!(
            TokenOrigin::EnvVar("PROVENA_OFFLINE_TOKEN".into()).to_string(),
            "environment variable PROVENA_OFFLINE_TOKEN"
        );
    }
}
