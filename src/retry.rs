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
        self.backoff_ceiling(retry).mul_f64(fastrand::f64())
    }

    /// The longest wait before retry number `retry` (1-based): the initial
    /// backoff, doubled for each earlier retry (at most 30 times), capped at
    /// [`RetryPolicy::max_backoff`].
    pub(crate) fn backoff_ceiling(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        self.initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff)
    }

    /// Whether to stop after attempt number `attempt` (1-based), `elapsed`
    /// after the first one started, when the next would wait `delay`: at the
    /// attempt limit, or when the retry would start after `max_elapsed`
    /// (starting exactly at it is still allowed).
    pub(crate) fn gives_up(&self, attempt: u32, elapsed: Duration, delay: Duration) -> bool {
        attempt >= self.max_attempts || elapsed.saturating_add(delay) > self.max_elapsed
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
    // Otherwise the server may have acted: only a safe operation is sent
    // again, whether the connection broke before the answer or within its body.
    class == RetryClass::Safe
        && (error.is_timeout() || error.is_request() || crate::error::broke_mid_body(error))
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

    const MS: Duration = Duration::from_millis(1);

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
        assert_eq!(
            classify(&Method::DELETE, "delete_request"),
            RetryClass::Safe
        );
    }

    /// Every `POST` of the vendored documents that only reads or checks. Any
    /// other `POST` may create or change something and must be a write: a
    /// rule that classes one of them as safe would let a retry duplicate it.
    const SAFE_POSTS: &[&str] = &[
        // auth
        "user_link_user_validate",
        // datastore
        "validate_metadata",
        "generate_read_access_credentials",
        "generate_write_access_credentials",
        "generate_presigned_url",
        "list",
        // job
        "admin_list_jobs",
        "admin_list_batch",
        "list_jobs",
        "list_batch",
        // prov
        "convert_model_runs_csv",
        // registry
        "list_activity_create",
        "validate_activity_create",
        "list_activity_model_run",
        "validate_activity_model_run",
        "list_activity_study",
        "validate_activity_study",
        "list_activity_version",
        "validate_activity_version",
        "list_agent_organisation",
        "validate_agent_organisation",
        "list_agent_person",
        "validate_agent_person",
        "list_entity_dataset",
        "list_releasing_datasets",
        "validate_entity_dataset",
        "list_entity_dataset_template",
        "validate_entity_dataset_template",
        "list_entity_model",
        "validate_entity_model",
        "list_entity_model_run_workflow_template",
        "validate_entity_model_run_workflow_template",
    ];

    /// Every operation of every service compiled in.
    fn all_operations() -> Vec<crate::raw::Operation> {
        let mut all = Vec::new();
        #[cfg(feature = "auth")]
        all.extend_from_slice(crate::raw::auth::OPERATIONS);
        #[cfg(feature = "registry")]
        all.extend_from_slice(crate::raw::registry::OPERATIONS);
        #[cfg(feature = "datastore")]
        all.extend_from_slice(crate::raw::datastore::OPERATIONS);
        #[cfg(feature = "search")]
        all.extend_from_slice(crate::raw::search::OPERATIONS);
        #[cfg(feature = "prov")]
        all.extend_from_slice(crate::raw::prov::OPERATIONS);
        #[cfg(feature = "job")]
        all.extend_from_slice(crate::raw::job::OPERATIONS);
        #[cfg(feature = "id-service")]
        all.extend_from_slice(crate::raw::id_service::OPERATIONS);
        all
    }

    #[cfg(all(
        feature = "auth",
        feature = "registry",
        feature = "datastore",
        feature = "search",
        feature = "prov",
        feature = "job",
        feature = "id-service"
    ))]
    #[test]
    fn every_post_operation_has_its_expected_retry_class() {
        let posts: Vec<&str> = all_operations()
            .iter()
            .filter(|op| op.method == "POST")
            .map(|op| op.operation_id)
            .collect();
        for safe in SAFE_POSTS {
            assert!(posts.contains(safe), "{safe} is no POST operation");
        }
        let mut wrong = Vec::new();
        for id in &posts {
            let expected = if SAFE_POSTS.contains(id) {
                RetryClass::Safe
            } else {
                RetryClass::Write
            };
            let actual = classify(&Method::POST, id);
            if actual != expected {
                wrong.push(format!("{id}: {actual:?}, expected {expected:?}"));
            }
        }
        assert!(wrong.is_empty(), "misclassified: {wrong:#?}");
        let writes = posts.len() - SAFE_POSTS.len();
        assert!(
            writes > 40,
            "only {writes} writes: the table lost operations"
        );
    }

    #[test]
    fn every_operation_other_than_post_is_safe() {
        for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
            assert_eq!(classify(&method, "mint_dataset"), RetryClass::Safe);
        }
    }

    #[test]
    fn only_429_502_503_and_504_are_transient() {
        let transient: Vec<u16> = (100..600)
            .filter(|code| is_transient_status(StatusCode::from_u16(*code).unwrap()))
            .collect();
        assert_eq!(transient, [429, 502, 503, 504]);
    }

    #[test]
    fn the_backoff_ceiling_doubles_from_the_initial_backoff_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let ceilings: Vec<Duration> = (1..=8).map(|r| policy.backoff_ceiling(r)).collect();
        assert_eq!(
            ceilings,
            [200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000].map(|ms| ms * MS)
        );
    }

    #[test]
    fn the_backoff_ceiling_stops_doubling_after_thirty_retries() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_nanos(1),
            max_backoff: Duration::MAX,
            ..RetryPolicy::default()
        };
        assert_eq!(policy.backoff_ceiling(31), Duration::from_nanos(1 << 30));
        assert_eq!(
            policy.backoff_ceiling(u32::MAX),
            Duration::from_nanos(1 << 30)
        );
    }

    #[test]
    fn a_wait_is_a_random_fraction_of_its_ceiling_spanning_the_whole_range() {
        let policy = RetryPolicy::default();
        for retry in [1, 3, 9] {
            let ceiling = policy.backoff_ceiling(retry);
            let waits: Vec<Duration> = (0..2_000).map(|_| policy.delay(retry, None)).collect();
            assert!(waits.iter().all(|wait| *wait <= ceiling), "retry {retry}");
            // With 2 000 uniform draws, each quarter is hit (failure odds 0.75^2000).
            assert!(
                waits.iter().any(|wait| *wait < ceiling / 4),
                "retry {retry}"
            );
            assert!(
                waits.iter().any(|wait| *wait > ceiling * 3 / 4),
                "retry {retry}"
            );
        }
    }

    #[test]
    fn retry_after_replaces_the_backoff_but_is_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600))),
            policy.max_backoff
        );
        assert_eq!(policy.delay(5, Some(Duration::ZERO)), Duration::ZERO);
    }

    #[test]
    fn retries_give_up_after_max_attempts() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let gives_up = |attempt| policy.gives_up(attempt, Duration::ZERO, Duration::ZERO);
        assert!(!gives_up(1));
        assert!(!gives_up(2));
        assert!(gives_up(3));
        assert!(RetryPolicy::disabled().gives_up(1, Duration::ZERO, Duration::ZERO));
    }

    #[test]
    fn a_retry_may_start_exactly_at_the_time_budget_but_not_after_it() {
        let policy = RetryPolicy {
            max_attempts: 10,
            max_elapsed: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        let elapsed = Duration::from_secs(59);
        assert!(!policy.gives_up(1, elapsed, Duration::from_secs(1)));
        assert!(policy.gives_up(1, elapsed, Duration::from_secs(1) + Duration::from_nanos(1)));
        assert!(policy.gives_up(1, Duration::from_secs(61), Duration::ZERO));
    }

    #[test]
    fn an_enormous_wait_gives_up_instead_of_overflowing() {
        let policy = RetryPolicy {
            max_attempts: 10,
            max_backoff: Duration::MAX,
            ..RetryPolicy::default()
        };
        let wait = policy.delay(1, Some(Duration::MAX));
        assert!(policy.gives_up(1, Duration::from_secs(1), wait));
    }

    #[test]
    fn retry_after_is_read_as_seconds() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, " 7 ".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
    }

    #[test]
    fn retry_after_is_read_as_an_http_date() {
        let mut headers = reqwest::header::HeaderMap::new();
        let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        headers.insert(reqwest::header::RETRY_AFTER, when.parse().unwrap());
        let wait = retry_after(&headers).expect("a date is a wait");
        assert!(
            wait > Duration::from_secs(115) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
    }

    #[test]
    fn retry_after_a_past_date_is_no_wait() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_that_is_missing_or_unreadable_is_ignored() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
        headers.insert(reqwest::header::RETRY_AFTER, "-5".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
