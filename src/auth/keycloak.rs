//! The OAuth 2.0 wire protocol as Keycloak speaks it: form-encoded POSTs, JSON
//! answers, `{"error", "error_description"}` on failure.
//!
//! Hand-written on the crate's own `reqwest` rather than on the `oauth2` crate:
//! `oauth2` 5 integrates with reqwest 0.12, so using it would either pull a
//! second reqwest into the build or need an adapter, for two grants that are a
//! few lines each.

use std::time::{Duration, SystemTime};

use secrecy::SecretString;
use serde_json::Value;
use url::Url;

use super::{AccessToken, AuthError, jwt};

/// How long a token is assumed to live when the server says nothing about it
/// (no `exp` claim and no `expires_in`): short, so that a wrong guess costs one
/// extra refresh rather than a run of 401s.
const UNKNOWN_LIFETIME: Duration = Duration::from_secs(60);

/// Error bodies are quoted in errors; a proxy's HTML page should not flood them.
const MAX_QUOTED_BODY: usize = 200;

/// The endpoints of one Keycloak realm for one client id.
#[derive(Debug, Clone)]
pub(crate) struct Realm {
    pub(crate) realm_url: Url,
    pub(crate) client_id: String,
    pub(crate) token_endpoint: Url,
    pub(crate) device_endpoint: Url,
}

impl Realm {
    pub(crate) fn new(realm_url: Url, client_id: impl Into<String>) -> Result<Self, AuthError> {
        let client_id = client_id.into();
        if client_id.trim().is_empty() {
            return Err(AuthError::InvalidConfig {
                reason: "the client id is empty".into(),
            });
        }
        if realm_url.cannot_be_a_base() || !matches!(realm_url.scheme(), "http" | "https") {
            return Err(AuthError::InvalidConfig {
                reason: format!("the realm URL {realm_url} is not an http(s) URL"),
            });
        }
        let token_endpoint = endpoint(&realm_url, "protocol/openid-connect/token");
        let device_endpoint = endpoint(&realm_url, "protocol/openid-connect/auth/device");
        Ok(Self {
            realm_url,
            client_id,
            token_endpoint,
            device_endpoint,
        })
    }
}

/// `Url::join` would drop the realm's last path segment unless the URL ends in
/// `/`; users write realm URLs both ways, so append segments explicitly.
fn endpoint(realm_url: &Url, suffix: &str) -> Url {
    let mut url = realm_url.clone();
    url.set_query(None);
    url.set_fragment(None);
    let base = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base}/{suffix}"));
    url
}

/// An OAuth error answer (RFC 6749 §5.2).
#[derive(Debug)]
pub(crate) struct OAuthError {
    pub(crate) status: u16,
    pub(crate) error: String,
    pub(crate) description: Option<String>,
}

impl OAuthError {
    pub(crate) fn into_auth_error(self, endpoint: &Url) -> AuthError {
        AuthError::Keycloak {
            endpoint: Box::new(endpoint.clone()),
            status: self.status,
            error: self.error,
            description: self.description,
        }
    }
}

/// A successful token answer.
pub(crate) struct TokenResponse {
    pub(crate) access_token: AccessToken,
    pub(crate) expires_at: SystemTime,
    pub(crate) refresh_token: Option<SecretString>,
}

/// POSTs `form` to `endpoint`; a 2xx JSON body is `Ok(Ok(body))`, an OAuth
/// error body is `Ok(Err(..))`, anything else is an `AuthError`.
pub(crate) async fn post_form(
    http: &reqwest::Client,
    endpoint: &Url,
    form: &[(&str, &str)],
) -> Result<Result<Value, OAuthError>, AuthError> {
    let response = http
        .post(endpoint.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .map_err(|source| AuthError::Request {
            endpoint: Box::new(endpoint.clone()),
            source,
        })?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|source| AuthError::Request {
            endpoint: Box::new(endpoint.clone()),
            source,
        })?;
    let json: Option<Value> = serde_json::from_slice(&body).ok();

    if status.is_success() {
        return match json {
            Some(v @ Value::Object(_)) => Ok(Ok(v)),
            // The body of a success may hold tokens: never quote it.
            _ => Err(AuthError::InvalidResponse {
                endpoint: Box::new(endpoint.clone()),
                reason: format!(
                    "HTTP {} with a body that is not a JSON object",
                    status.as_u16()
                ),
            }),
        };
    }
    if let Some(error) = json
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(Value::as_str)
    {
        let description = json
            .as_ref()
            .and_then(|v| v.get("error_description"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        return Ok(Err(OAuthError {
            status: status.as_u16(),
            error: error.to_owned(),
            description,
        }));
    }
    Err(AuthError::UnexpectedStatus {
        endpoint: Box::new(endpoint.clone()),
        status: status.as_u16(),
        body: quote(&body),
    })
}

/// At most [`MAX_QUOTED_BODY`] characters of an error body, as lossy UTF-8,
/// with `…` when cut.
fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut quoted: String = text.chars().take(MAX_QUOTED_BODY).collect();
    if text.chars().count() > MAX_QUOTED_BODY {
        quoted.push('…');
    }
    quoted
}

/// Reads a token answer. Fields are picked out by hand rather than through a
/// `Deserialize` struct because serde's messages quote the offending value,
/// which here could be a token.
pub(crate) fn parse_token_response(
    endpoint: &Url,
    body: &Value,
) -> Result<TokenResponse, AuthError> {
    let invalid = |reason: &str| AuthError::InvalidResponse {
        endpoint: Box::new(endpoint.clone()),
        reason: reason.to_owned(),
    };
    let access = body
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("no access_token string in the token response"))?;
    if let Some(kind) = body.get("token_type").and_then(Value::as_str)
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(invalid(&format!(
            "token_type is {kind:?}, expected \"Bearer\""
        )));
    }
    let expires_in = body.get("expires_in").and_then(seconds);
    let refresh_token = body
        .get("refresh_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| SecretString::from(s.to_owned()));

    let now = SystemTime::now();
    // The JWT's own `exp` is authoritative; `expires_in` is measured from when
    // the server answered, so it is only the fallback.
    let expires_at = jwt::expiry(access)
        .or_else(|| expires_in.and_then(|d| now.checked_add(d)))
        .unwrap_or(now + UNKNOWN_LIFETIME);
    Ok(TokenResponse {
        access_token: AccessToken::new(access),
        expires_at,
        refresh_token,
    })
}

/// A JSON number of seconds (some servers send it as a string).
pub(crate) fn seconds(v: &Value) -> Option<Duration> {
    if let Some(n) = v.as_u64() {
        return Some(Duration::from_secs(n));
    }
    if let Some(f) = v.as_f64() {
        // Negative, or too large for a Duration (1e300): no usable lifetime.
        return Duration::try_from_secs_f64(f).ok();
    }
    v.as_str()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Exchanges a refresh (or offline) token for a new access token. A rejected
/// refresh token becomes [`AuthError::LoginRequired`]: the caller must not
/// paper over it with another flow.
pub(crate) async fn refresh_grant(
    http: &reqwest::Client,
    realm: &Realm,
    refresh_token: &str,
) -> Result<TokenResponse, AuthError> {
    let endpoint = &realm.token_endpoint;
    tracing::debug!(%endpoint, grant_type = "refresh_token", "requesting an access token");
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", realm.client_id.as_str()),
    ];
    match post_form(http, endpoint, &form).await? {
        Ok(body) => {
            let tokens = parse_token_response(endpoint, &body)?;
            log_renewed(&tokens);
            Ok(tokens)
        }
        Err(e) if e.error == "invalid_grant" => Err(AuthError::LoginRequired {
            endpoint: Box::new(endpoint.clone()),
            description: e.description,
        }),
        Err(e) => Err(e.into_auth_error(endpoint)),
    }
}

pub(crate) fn log_renewed(tokens: &TokenResponse) {
    let valid_for = tokens
        .expires_at
        .duration_since(SystemTime::now())
        .unwrap_or_default()
        .as_secs();
    tracing::debug!(
        valid_for_secs = valid_for,
        rotated_refresh_token = tokens.refresh_token.is_some(),
        "obtained a new access token"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_with_and_without_trailing_slash() {
        for raw in [
            "https://auth.example.org/auth/realms/provena",
            "https://auth.example.org/auth/realms/provena/",
        ] {
            let realm = Realm::new(Url::parse(raw).unwrap(), "cli").unwrap();
            assert_eq!(
                realm.token_endpoint.as_str(),
                "https://auth.example.org/auth/realms/provena/protocol/openid-connect/token"
            );
            assert_eq!(
                realm.device_endpoint.as_str(),
                "https://auth.example.org/auth/realms/provena/protocol/openid-connect/auth/device"
            );
        }
    }

    #[test]
    fn rejects_empty_client_id_and_non_http_urls() {
        let url = Url::parse("https://auth.example.org/auth/realms/x").unwrap();
        assert!(matches!(
            Realm::new(url, " "),
            Err(AuthError::InvalidConfig { .. })
        ));
        let mailto = Url::parse("mailto:a@b.c").unwrap();
        assert!(matches!(
            Realm::new(mailto, "cli"),
            Err(AuthError::InvalidConfig { .. })
        ));
    }

    #[test]
    fn seconds_accepts_numbers_and_numeric_strings() {
        assert_eq!(seconds(&Value::from(5)), Some(Duration::from_secs(5)));
        assert_eq!(
            seconds(&Value::from(1.5)),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(seconds(&Value::from("7")), Some(Duration::from_secs(7)));
        assert_eq!(seconds(&Value::from(-1)), None);
        assert_eq!(seconds(&Value::from("soon")), None);
    }

    #[test]
    fn seconds_too_large_or_negative_for_a_duration_are_none_not_a_panic() {
        assert_eq!(seconds(&Value::from(1e300)), None);
        assert_eq!(seconds(&Value::from(-0.5)), None);
        assert_eq!(seconds(&Value::from("-3")), None);
    }

    #[test]
    fn an_error_body_is_quoted_up_to_200_characters() {
        let exact = "é".repeat(MAX_QUOTED_BODY);
        assert_eq!(quote(exact.as_bytes()), exact);
        let over = "é".repeat(MAX_QUOTED_BODY + 1);
        assert_eq!(quote(over.as_bytes()), format!("{exact}…"));
        assert_eq!(quote(b"upstream unavailable"), "upstream unavailable");
        assert_eq!(quote(b"\xff"), "\u{fffd}");
    }

    fn endpoint() -> Url {
        Url::parse("https://kc.example/token").unwrap()
    }

    #[test]
    fn an_opaque_token_without_expires_in_is_given_a_minute() {
        let before = SystemTime::now();
        let tokens =
            parse_token_response(&endpoint(), &serde_json::json!({"access_token": "opaque"}))
                .expect("usable");
        let after = SystemTime::now();
        assert!(
            tokens.expires_at >= before + UNKNOWN_LIFETIME
                && tokens.expires_at <= after + UNKNOWN_LIFETIME,
            "{:?}",
            tokens.expires_at
        );
        assert!(tokens.refresh_token.is_none());
    }

    #[test]
    fn expires_in_dates_an_opaque_token_and_an_empty_refresh_token_is_none() {
        let before = SystemTime::now();
        let body = serde_json::json!({
            "access_token": "opaque",
            "expires_in": "300",
            "token_type": "bearer",
            "refresh_token": "",
        });
        let tokens = parse_token_response(&endpoint(), &body).expect("usable");
        let after = SystemTime::now();
        let lifetime = Duration::from_secs(300);
        assert!(tokens.expires_at >= before + lifetime && tokens.expires_at <= after + lifetime);
        assert!(tokens.refresh_token.is_none());
    }

    #[test]
    fn a_token_answer_without_a_bearer_access_token_is_invalid() {
        for body in [
            serde_json::json!({}),
            serde_json::json!({"access_token": ""}),
            serde_json::json!({"access_token": 5}),
            serde_json::json!({"access_token": "a", "token_type": "mac"}),
        ] {
            let outcome = parse_token_response(&endpoint(), &body);
            assert!(
                matches!(outcome, Err(AuthError::InvalidResponse { .. })),
                "{body}: {:?}",
                outcome.err()
            );
        }
    }
}
