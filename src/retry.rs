//! When a failed request is sent again, and how long to wait before it.
//!
//! The rules, by kind of operation (see also `RELIABILITY.md`):
//!
//! * **safe** operations — `GET`, `PUT`, `DELETE`, and the `POST`s listed as
//!   read-only below — are retried on connection failures, timeouts and the
//!   statuses 429, 502, 503 and 504;
//! * **writes** — every other `POST` (mint, create, seed, register, version,
//!   launch, ...) — are retried only when the connection failed before any
//!   byte of the request was sent, because otherwise the server may already
//!   have acted on it.
//!
//! Waits grow exponentially with full jitter, honour `Retry-After`, and stop
//! at [`RetryPolicy::max_attempts`] or [`RetryPolicy::max_elapsed`].

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// Bounds and pacing of retries. Use [`RetryPolicy::disabled`] to turn them off.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Wait before the first retry, before jitter.
    pub initial_backoff: Duration,
    /// Ceiling of any single wait, `Retry-After` included.
    pub max_backoff: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Full-jitter exponential backoff before retry number `retry` (1-based),
    /// or the server's `Retry-After` if it asked for a wait (capped).
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_backoff);
        }
        let exponent = retry.saturating_sub(1).min(30);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// How an operation may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Reading or idempotent: retried on transient failures.
    Safe,
    /// Creates or starts something: retried only if nothing was sent.
    Write,
}

/// `POST` operations that only read or check (so retrying them cannot
/// duplicate anything). Matched against the `operationId`.
const READ_ONLY_POSTS: &[ReadOnlyRule] = &[
    ReadOnlyRule::Prefix("list"),
    ReadOnlyRule::Prefix("admin_list"),
    ReadOnlyRule::Prefix("validate"),
    ReadOnlyRule::Exact("user_link_user_validate"),
    ReadOnlyRule::Exact("generate_presigned_url"),
    ReadOnlyRule::Exact("generate_read_access_credentials"),
    ReadOnlyRule::Exact("generate_write_access_credentials"),
    ReadOnlyRule::Exact("convert_model_runs_csv"),
];

enum ReadOnlyRule {
    Prefix(&'static str),
    Exact(&'static str),
}

/// The retry class of an operation, from its method and `operationId`.
pub fn classify(method: &reqwest::Method, operation_id: &str) -> RetryClass {
    if *method != reqwest::Method::POST {
        return RetryClass::Safe;
    }
    let read_only = READ_ONLY_POSTS.iter().any(|rule| match rule {
        ReadOnlyRule::Prefix(prefix) => operation_id.starts_with(prefix),
        ReadOnlyRule::Exact(name) => operation_id == *name,
    });
    if read_only {
        RetryClass::Safe
    } else {
        RetryClass::Write
    }
}

/// Statuses that say "try again later".
pub(crate) fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// Whether a failed send may be repeated for an operation of this class.
pub(crate) fn may_retry_error(class: RetryClass, error: &reqwest::Error) -> bool {
    // A failed connect means no byte reached the server: always safe.
    if error.is_connect() {
        return true;
    }
    class == RetryClass::Safe && (error.is_timeout() || error.is_request())
}

/// Parses `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;

    #[test]
    fn creating_posts_are_writes_and_listing_posts_are_safe() {
        assert_eq!(classify(&Method::POST, "mint_dataset"), RetryClass::Write);
        assert_eq!(classify(&Method::POST, "launch_job"), RetryClass::Write);
        assert_eq!(
            classify(&Method::POST, "create_agent_person"),
            RetryClass::Write
        );
        assert_eq!(classify(&Method::POST, "list_jobs"), RetryClass::Safe);
        assert_eq!(
            classify(&Method::POST, "validate_entity_model"),
            RetryClass::Safe
        );
        assert_eq!(classify(&Method::GET, "get_job"), RetryClass::Safe);
        assert_eq!(
            classify(&Method::PUT, "update_entity_model"),
            RetryClass::Safe
        );
    }

    #[test]
    fn backoff_is_bounded_by_the_exponential_ceiling() {
        let policy = RetryPolicy::default();
        for retry in 1..40 {
            let ceiling = policy
                .initial_backoff
                .saturating_mul(1 << (retry - 1).min(30))
                .min(policy.max_backoff);
            assert!(policy.delay(retry, None) <= ceiling);
        }
    }

    #[test]
    fn retry_after_seconds_are_honoured_but_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600))),
            policy.max_backoff
        );
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
    }
}
