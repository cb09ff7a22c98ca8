//! Reading the expiry out of an access token.
//!
//! Keycloak's access tokens are JWTs. The client never checks their signature
//! (the services do that); it only reads `exp` so that it can refresh the token
//! before a service would reject it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Base64url that accepts payloads with or without `=` padding: RFC 7515 says
/// "without", but a lenient reader costs nothing and some issuers pad.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The `exp` claim of a JWT-shaped token, or `None` when the token is not a JWT
/// or carries no usable `exp`. Never fails loudly: an opaque token is legal,
/// and the caller then falls back to the token response's `expires_in`.
pub(crate) fn expiry(token: &str) -> Option<SystemTime> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        // Five parts would be a JWE, whose payload is encrypted.
        return None;
    }
    let bytes = BASE64URL.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?;
    // NumericDate may legally carry a fraction; whole seconds are plenty here.
    let secs = match exp.as_u64() {
        Some(s) => s,
        None => {
            let f = exp.as_f64()?;
            if !(f.is_finite() && f >= 0.0) {
                return None;
            }
            f as u64
        }
    };
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.c2ln",
            b.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            b.encode(payload)
        )
    }

    #[test]
    fn reads_integer_exp() {
        let t = jwt(r#"{"exp":1700000000,"sub":"x"}"#);
        assert_eq!(
            expiry(&t),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
    }

    #[test]
    fn reads_fractional_exp() {
        let t = jwt(r#"{"exp":1700000000.75}"#);
        assert_eq!(
            expiry(&t),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
    }

    #[test]
    fn accepts_padded_payload() {
        let b = base64::engine::general_purpose::URL_SAFE;
        let t = format!("e30.{}.sig", b.encode(r#"{"exp":5}"#));
        assert_eq!(expiry(&t), Some(UNIX_EPOCH + Duration::from_secs(5)));
    }

    #[test]
    fn opaque_or_broken_tokens_have_no_expiry() {
        assert_eq!(expiry("opaque-token"), None);
        assert_eq!(expiry("a.!!!.c"), None);
        assert_eq!(expiry(&jwt("not json")), None);
        assert_eq!(expiry(&jwt(r#"{"sub":"no exp"}"#)), None);
        assert_eq!(expiry(&jwt(r#"{"exp":"soon"}"#)), None);
        assert_eq!(expiry(&jwt(r#"{"exp":-3}"#)), None);
        assert_eq!(expiry("a.b.c.d.e"), None);
    }
}
