//! The one error type of the crate.
//!
//! Every variant names the operation that failed ([`OperationName`]), so that a
//! log line alone says which call to look at.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::auth::AuthError;

/// Result of a facade call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest excerpt of a response body kept in an error, in bytes.
pub const BODY_EXCERPT_LIMIT: usize = 512;

/// Which operation an error comes from: the service and its `operationId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OperationName {
    /// Service name, as in `specs/{service}.json`.
    pub service: &'static str,
    /// The operation's `operationId` in that document.
    pub operation_id: &'static str,
}

impl fmt::Display for OperationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.service, self.operation_id)
    }
}

/// One entry of a 422 response: where the server found a problem and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Location of the offending value, e.g. `body.display_name` or `query.id`.
    pub location: String,
    /// The server's message.
    pub message: String,
    /// The server's error kind, e.g. `value_error.missing`.
    pub kind: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.location, self.message, self.kind)
    }
}

/// Everything that can go wrong in a call to Provena.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server rejected the request as malformed (400).
    #[error("{operation}: bad request (400): {detail}")]
    BadRequest {
        /// The failed operation.
        operation: OperationName,
        /// The server's `detail`, or a bounded excerpt of its body.
        detail: String,
    },
    /// The access token was missing, expired or rejected (401), even after one
    /// refresh.
    #[error("{operation}: unauthorised (401): {detail}")]
    Unauthorized {
        /// The failed operation.
        operation: OperationName,
        /// The server's `detail`, or a bounded excerpt of its body.
        detail: String,
    },
    /// The caller may not do this (403).
    #[error("{operation}: forbidden (403): {detail}")]
    Forbidden {
        /// The failed operation.
        operation: OperationName,
        /// The server's `detail`, or a bounded excerpt of its body.
        detail: String,
    },
    /// The item or route does not exist: a 404, or one of the servers' other
    /// ways of saying so, listed in [`crate::outcomes::NOT_FOUND_ANSWERS`]
    /// (the registry's 200 with `success: false`, the job API's 400, ...).
    #[error("{operation}: not found ({status}): {detail}")]
    NotFound {
        /// The failed operation.
        operation: OperationName,
        /// The HTTP status the server answered with (404, 400 or 200).
        status: u16,
        /// The server's `detail` or `status.details`, or a bounded excerpt
        /// of its body.
        detail: String,
    },
    /// The server's validation rejected the request (422).
    #[error("{operation}: validation failed (422): {}", join(.errors))]
    Validation {
        /// The failed operation.
        operation: OperationName,
        /// Each problem the server reported.
        errors: Vec<FieldError>,
    },
    /// Any other unsuccessful HTTP status.
    #[error("{operation}: HTTP {status}: {body}")]
    Status {
        /// The failed operation.
        operation: OperationName,
        /// The status code.
        status: u16,
        /// A bounded excerpt of the body.
        body: String,
    },
    /// A 200 response whose body reports failure: `success == false` in one
    /// of the operation's failure flags (`status.success`,
    /// `state_change.success`, ...; see [`crate::outcomes`]).
    #[error("{operation}: the server reported failure: {details}")]
    Rejected {
        /// The failed operation.
        operation: OperationName,
        /// The `details` beside the flag that was false.
        details: String,
        /// Everything the server sent with the failure: some failures still
        /// carry results (the data store's mint can fail after minting, and
        /// says which handle it minted).
        body: RejectedBody,
    },
    /// No complete response arrived within the configured time.
    #[error("{operation}: timed out")]
    Timeout {
        /// The failed operation.
        operation: OperationName,
    },
    /// The connection could not be made or broke.
    #[error("{operation}: connection failed: {source}")]
    Connection {
        /// The failed operation.
        operation: OperationName,
        /// What the HTTP stack reported.
        #[source]
        source: reqwest::Error,
    },
    /// The response body is not what the operation's schema describes.
    #[error("{operation}: response does not decode: {message}; body starts with: {excerpt}")]
    Decode {
        /// The failed operation.
        operation: OperationName,
        /// A bounded excerpt of the body.
        excerpt: String,
        /// The decoder's message.
        message: String,
    },
    /// The response body is larger than the configured limit.
    #[error("{operation}: response body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The failed operation.
        operation: OperationName,
        /// The limit in bytes.
        limit: u64,
    },
    /// The request was refused before sending: an argument is invalid.
    #[error("{operation}: invalid input: {message}")]
    InvalidInput {
        /// The operation that was not sent.
        operation: OperationName,
        /// What is wrong with the input.
        message: String,
    },
    /// No access token could be obtained.
    #[error("{operation}: authentication failed: {source}")]
    Auth {
        /// The operation that was not sent.
        operation: OperationName,
        /// Why no token is available.
        #[source]
        source: AuthError,
    },
    /// A failure of the HTTP stack that fits none of the above.
    #[error("{operation}: request failed: {message}")]
    Transport {
        /// The failed operation.
        operation: OperationName,
        /// What went wrong.
        message: String,
    },
    /// A paginated list handed out a pagination key it had already handed
    /// out: following it would fetch the same pages for ever, so the stream
    /// stops (see [`crate::pagination`]).
    #[error(
        "{operation}: page {page} repeats an earlier pagination key; stopped instead of looping"
    )]
    RepeatedPaginationKey {
        /// The list operation.
        operation: OperationName,
        /// The number (from 1) of the page whose next key was a repeat.
        page: usize,
    },
    /// An auth manager could not be set up (unusable realm URL, missing
    /// offline token, ...).
    #[error("authentication setup failed: {0}")]
    AuthSetup(#[source] AuthError),
    /// The client could not be built from its configuration.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A model builder was turned into its type with a required field
    /// missing or a value that does not fit (see [`crate::models`]).
    #[error("incomplete or invalid model: {message}")]
    Builder {
        /// Which field, and what is wrong with it.
        message: String,
    },
}

/// The body of a response that reported failure in-body, kept whole.
///
/// [`RejectedBody::decoded`] gives it as the operation's own response type
/// when it decodes as one (the facade tries), [`RejectedBody::json`] as JSON
/// in any case.
///
/// ```no_run
/// # use provena_client::models::MintResponse;
/// # async fn run(client: provena_client::ProvenaClient,
/// #     metadata: provena_client::models::CollectionFormat) {
/// match client.datastore().mint_dataset(&metadata).await {
///     Ok(minted) => println!("minted {:?}", minted.handle),
///     Err(error) => {
///         // A failure after minting still names the new dataset.
///         let handle = error
///             .rejected_body()
///             .and_then(|body| body.decoded::<MintResponse>())
///             .and_then(|minted| minted.handle.clone());
///         eprintln!("{error} (minted: {handle:?})");
///     }
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct RejectedBody {
    raw: Bytes,
    decoded: Option<Arc<dyn Any + Send + Sync>>,
}

impl RejectedBody {
    pub(crate) fn new(raw: Bytes) -> Self {
        Self { raw, decoded: None }
    }

    /// The body as the operation's success type `T`, when it decoded as one.
    pub fn decoded<T: Any>(&self) -> Option<&T> {
        self.decoded.as_deref()?.downcast_ref::<T>()
    }

    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.raw).ok()
    }

    /// The body's bytes, exactly as received.
    pub fn bytes(&self) -> &Bytes {
        &self.raw
    }

    pub(crate) fn with_decoded(mut self, value: Arc<dyn Any + Send + Sync>) -> Self {
        self.decoded = Some(value);
        self
    }
}

impl fmt::Debug for RejectedBody {
    // The body may hold personal data or tokens (`check_*_access` answers
    // carry the caller's token): its size is all that debug output shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RejectedBody")
            .field("bytes", &self.raw.len())
            .field("decoded", &self.decoded.is_some())
            .finish()
    }
}

impl Error {
    /// The operation the error comes from, if it comes from one.
    pub fn operation(&self) -> Option<OperationName> {
        match self {
            Error::BadRequest { operation, .. }
            | Error::Unauthorized { operation, .. }
            | Error::Forbidden { operation, .. }
            | Error::NotFound { operation, .. }
            | Error::Validation { operation, .. }
            | Error::Status { operation, .. }
            | Error::Rejected { operation, .. }
            | Error::Timeout { operation }
            | Error::Connection { operation, .. }
            | Error::Decode { operation, .. }
            | Error::TooLarge { operation, .. }
            | Error::InvalidInput { operation, .. }
            | Error::Auth { operation, .. }
            | Error::Transport { operation, .. }
            | Error::RepeatedPaginationKey { operation, .. } => Some(*operation),
            Error::Config(_) | Error::AuthSetup(_) | Error::Builder { .. } => None,
        }
    }

    /// The HTTP status of the response that caused the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::BadRequest { .. } => Some(400),
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::NotFound { status, .. } => Some(*status),
            Error::Validation { .. } => Some(422),
            Error::Status { status, .. } => Some(*status),
            Error::Rejected { .. } => Some(200),
            _ => None,
        }
    }

    /// True when the server said the item (or route) does not exist, however
    /// it said it: see [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// True when sending the same request again later may succeed: timeouts,
    /// broken connections, 429 and 5xx answers. The transport has already
    /// retried what its [`crate::retry::RetryPolicy`] allows by the time a
    /// caller sees the error.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Connection { .. } => true,
            Error::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// What the server sent with an in-body failure, if this is one.
    pub fn rejected_body(&self) -> Option<&RejectedBody> {
        match self {
            Error::Rejected { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Builds the error for a 200 whose failure flag was `false`: "not found"
    /// when [`crate::outcomes::NOT_FOUND_ANSWERS`] says the message means it,
    /// a rejection keeping the whole body otherwise.
    pub(crate) fn in_body_failure(operation: OperationName, details: String, body: Bytes) -> Self {
        if means_not_found(operation, 200, &details) {
            return Error::NotFound {
                operation,
                status: 200,
                detail: details,
            };
        }
        Error::Rejected {
            operation,
            details,
            body: RejectedBody::new(body),
        }
    }

    /// Builds the error for an unsuccessful HTTP response from its body.
    pub(crate) fn from_status(operation: OperationName, status: u16, body: &[u8]) -> Self {
        let detail = || server_detail(body).unwrap_or_else(|| excerpt(body));
        if status != 404
            && let Some(message) = server_detail(body)
            && means_not_found(operation, status, &message)
        {
            return Error::NotFound {
                operation,
                status,
                detail: message,
            };
        }
        match status {
            400 => Error::BadRequest {
                operation,
                detail: detail(),
            },
            401 => Error::Unauthorized {
                operation,
                detail: detail(),
            },
            403 => Error::Forbidden {
                operation,
                detail: detail(),
            },
            404 => Error::NotFound {
                operation,
                status,
                detail: detail(),
            },
            422 => match validation_errors(body) {
                Some(errors) => Error::Validation { operation, errors },
                None => Error::Validation {
                    operation,
                    errors: vec![FieldError {
                        location: String::new(),
                        message: detail(),
                        kind: String::new(),
                    }],
                },
            },
            _ => Error::Status {
                operation,
                status,
                body: excerpt(body),
            },
        }
    }

    /// Maps what a generated method returned when the transport left no more
    /// specific error behind.
    pub(crate) fn from_raw<E>(
        operation: OperationName,
        error: progenitor_client::Error<E>,
    ) -> Self {
        use progenitor_client::Error as Raw;
        match error {
            Raw::InvalidRequest(message) => Error::InvalidInput { operation, message },
            Raw::CommunicationError(source)
            | Raw::ResponseBodyError(source)
            | Raw::InvalidUpgrade(source) => Error::from_reqwest(operation, source),
            Raw::InvalidResponsePayload(body, source) => Error::Decode {
                operation,
                excerpt: excerpt(&body),
                message: source.to_string(),
            },
            Raw::ErrorResponse(response) => Error::Status {
                operation,
                status: response.status().as_u16(),
                body: String::new(),
            },
            Raw::UnexpectedResponse(response) => Error::Status {
                operation,
                status: response.status().as_u16(),
                body: String::new(),
            },
            Raw::Custom(message) => Error::Transport { operation, message },
        }
    }

    /// Classifies an error of the HTTP stack.
    pub(crate) fn from_reqwest(operation: OperationName, source: reqwest::Error) -> Self {
        match StackFailure::of(&source) {
            StackFailure::Timeout => Error::Timeout { operation },
            StackFailure::Decode => Error::Decode {
                operation,
                excerpt: String::new(),
                message: source.to_string(),
            },
            StackFailure::Connection => Error::Connection { operation, source },
        }
    }

    /// A short, stable name of the variant, for logs: `not_found`,
    /// `rejected`, `too_large`, ... Never any content of the error.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Error::BadRequest { .. } => "bad_request",
            Error::Unauthorized { .. } => "unauthorized",
            Error::Forbidden { .. } => "forbidden",
            Error::NotFound { .. } => "not_found",
            Error::Validation { .. } => "validation",
            Error::Status { .. } => "status",
            Error::Rejected { .. } => "rejected",
            Error::Timeout { .. } => "timeout",
            Error::Connection { .. } => "connection",
            Error::Decode { .. } => "decode",
            Error::TooLarge { .. } => "too_large",
            Error::InvalidInput { .. } => "invalid_input",
            Error::Auth { .. } => "auth",
            Error::Transport { .. } => "transport",
            Error::RepeatedPaginationKey { .. } => "repeated_pagination_key",
            Error::AuthSetup(_) => "auth_setup",
            Error::Config(_) => "config",
            Error::Builder { .. } => "builder",
        }
    }
}

/// What a failure of the HTTP stack was, as [`Error::from_reqwest`] maps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StackFailure {
    /// No complete answer within the request timeout.
    Timeout,
    /// The connection could not be made, or broke (also while the response
    /// body was being read).
    Connection,
    /// Bytes arrived but could not be decoded.
    Decode,
}

impl StackFailure {
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            StackFailure::Timeout
        } else if error.is_decode() && !broke_mid_body(error) {
            StackFailure::Decode
        } else {
            StackFailure::Connection
        }
    }

    /// The name [`Error::kind`] gives the error this failure maps to.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            StackFailure::Timeout => "timeout",
            StackFailure::Connection => "connection",
            StackFailure::Decode => "decode",
        }
    }
}

/// Whether reading a response body failed because the connection broke
/// (closed early, reset). reqwest reports any failure to read a body as a
/// "decode" error; only the cause tells a broken connection (a body error of
/// the HTTP stack, an I/O error) from bytes that do not decode.
pub(crate) fn broke_mid_body(error: &reqwest::Error) -> bool {
    if error.is_body() {
        return true;
    }
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        let body = inner
            .downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_body);
        if body || inner.is::<std::io::Error>() {
            return true;
        }
        cause = inner.source();
    }
    false
}

/// Whether `message`, answered with `status` by `operation`, is one of the
/// servers' ways of saying "not found".
fn means_not_found(operation: OperationName, status: u16, message: &str) -> bool {
    crate::outcomes::NOT_FOUND_ANSWERS.iter().any(|answer| {
        answer.service == operation.service
            && answer.status == status
            && (answer.operations.is_empty() || answer.operations.contains(&operation.operation_id))
            && message.contains(answer.message_contains)
    })
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// At most [`BODY_EXCERPT_LIMIT`] bytes of a body, as lossy UTF-8.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let cut = body.len().min(BODY_EXCERPT_LIMIT);
    let mut text = String::from_utf8_lossy(&body[..cut]).into_owned();
    if body.len() > cut {
        text.push('…');
    }
    text
}

/// FastAPI's `{"detail": "..."}` error body, when the body is one.
fn server_detail(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Detail {
        detail: serde_json::Value,
    }
    let parsed: Detail = serde_json::from_slice(body).ok()?;
    Some(match parsed.detail {
        serde_json::Value::String(text) => text,
        other => excerpt(other.to_string().as_bytes()),
    })
}

/// FastAPI's 422 body: `{"detail": [{"loc": [..], "msg": "..", "type": ".."}]}`.
fn validation_errors(body: &[u8]) -> Option<Vec<FieldError>> {
    #[derive(serde::Deserialize)]
    struct Body {
        detail: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        loc: Vec<serde_json::Value>,
        #[serde(default)]
        msg: String,
        #[serde(default, rename = "type")]
        kind: String,
    }
    let parsed: Body = serde_json::from_slice(body).ok()?;
    Some(
        parsed
            .detail
            .into_iter()
            .map(|entry| FieldError {
                location: entry
                    .loc
                    .iter()
                    .map(|part| match part {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("."),
                message: entry.msg,
                kind: entry.kind,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_client() -> reqwest::Client {
        crate::install_crypto_provider();
        reqwest::Client::new()
    }

    const OP: OperationName = OperationName {
        service: "job",
        operation_id: "get_job",
    };

    #[test]
    fn validation_body_is_parsed_into_field_errors() {
        let body = br#"{"detail":[{"loc":["query","session_id"],"msg":"field required","type":"value_error.missing"}]}"#;
        let Error::Validation { errors, .. } = Error::from_status(OP, 422, body) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].location, "query.session_id");
        assert_eq!(errors[0].kind, "value_error.missing");
    }

    #[test]
    fn an_excerpt_keeps_the_first_512_bytes_lossily_and_marks_the_cut() {
        let body = vec![0xff; BODY_EXCERPT_LIMIT * 4];
        let expected = format!("{}…", "\u{fffd}".repeat(BODY_EXCERPT_LIMIT));
        assert_eq!(excerpt(&body), expected);
    }

    #[test]
    fn a_body_of_at_most_512_bytes_is_its_own_excerpt() {
        let exact = "y".repeat(BODY_EXCERPT_LIMIT);
        assert_eq!(excerpt(exact.as_bytes()), exact);
        assert_eq!(excerpt(b"short"), "short");
        assert_eq!(excerpt(b""), "");
        let over = "y".repeat(BODY_EXCERPT_LIMIT + 1);
        assert_eq!(excerpt(over.as_bytes()), format!("{exact}…"));
    }

    fn connection_error() -> reqwest::Error {
        http_client()
            .get("not a url")
            .build()
            .expect_err("an unparsable URL")
    }

    /// One error of each variant, with the status and retryability it reports.
    fn every_variant() -> Vec<(Error, Option<u16>, bool)> {
        let detail = || "d".to_string();
        vec![
            (
                Error::BadRequest {
                    operation: OP,
                    detail: detail(),
                },
                Some(400),
                false,
            ),
            (
                Error::Unauthorized {
                    operation: OP,
                    detail: detail(),
                },
                Some(401),
                false,
            ),
            (
                Error::Forbidden {
                    operation: OP,
                    detail: detail(),
                },
                Some(403),
                false,
            ),
            (
                Error::NotFound {
                    operation: OP,
                    status: 400,
                    detail: detail(),
                },
                Some(400),
                false,
            ),
            (
                Error::Validation {
                    operation: OP,
                    errors: vec![],
                },
                Some(422),
                false,
            ),
            (
                Error::Status {
                    operation: OP,
                    status: 418,
                    body: detail(),
                },
                Some(418),
                false,
            ),
            (
                Error::Status {
                    operation: OP,
                    status: 429,
                    body: detail(),
                },
                Some(429),
                true,
            ),
            (
                Error::Status {
                    operation: OP,
                    status: 500,
                    body: detail(),
                },
                Some(500),
                true,
            ),
            (
                Error::Status {
                    operation: OP,
                    status: 503,
                    body: detail(),
                },
                Some(503),
                true,
            ),
            (
                Error::Rejected {
                    operation: OP,
                    details: detail(),
                    body: RejectedBody::new(Bytes::new()),
                },
                Some(200),
                false,
            ),
            (Error::Timeout { operation: OP }, None, true),
            (
                Error::Connection {
                    operation: OP,
                    source: connection_error(),
                },
                None,
                true,
            ),
            (
                Error::Decode {
                    operation: OP,
                    excerpt: detail(),
                    message: detail(),
                },
                None,
                false,
            ),
            (
                Error::TooLarge {
                    operation: OP,
                    limit: 1,
                },
                None,
                false,
            ),
            (
                Error::InvalidInput {
                    operation: OP,
                    message: detail(),
                },
                None,
                false,
            ),
            (
                Error::Auth {
                    operation: OP,
                    source: AuthError::Unavailable(detail()),
                },
                None,
                false,
            ),
            (
                Error::Transport {
                    operation: OP,
                    message: detail(),
                },
                None,
                false,
            ),
            (
                Error::AuthSetup(AuthError::Unavailable(detail())),
                None,
                false,
            ),
            (Error::Config(detail()), None, false),
            (Error::Builder { message: detail() }, None, false),
        ]
    }

    #[test]
    fn each_variant_reports_the_http_status_it_came_from() {
        for (error, status, _) in every_variant() {
            assert_eq!(error.status(), status, "{error:?}");
        }
    }

    #[test]
    fn timeouts_broken_connections_429_and_5xx_are_retryable_and_nothing_else() {
        for (error, _, retryable) in every_variant() {
            assert_eq!(error.is_retryable(), retryable, "{error:?}");
        }
        for (status, retryable) in [(428, false), (430, false), (499, false), (501, true)] {
            let error = Error::Status {
                operation: OP,
                status,
                body: String::new(),
            };
            assert_eq!(error.is_retryable(), retryable, "{status}");
        }
    }

    #[test]
    fn every_variant_but_config_auth_setup_and_builder_names_its_operation() {
        for (error, _, _) in every_variant() {
            let expected = match error {
                Error::Config(_) | Error::AuthSetup(_) | Error::Builder { .. } => None,
                _ => Some(OP),
            };
            assert_eq!(error.operation(), expected, "{error:?}");
        }
    }

    #[test]
    fn only_not_found_is_not_found_and_only_a_rejection_has_a_rejected_body() {
        for (error, _, _) in every_variant() {
            assert_eq!(
                error.is_not_found(),
                matches!(error, Error::NotFound { .. }),
                "{error:?}"
            );
            assert_eq!(
                error.rejected_body().is_some(),
                matches!(error, Error::Rejected { .. }),
                "{error:?}"
            );
        }
    }

    const JOB_NOT_FOUND: &[u8] = br#"{"detail": "Item was not found."}"#;

    #[test]
    fn a_listed_not_found_answer_is_not_found_with_its_status() {
        let error = Error::from_status(OP, 400, JOB_NOT_FOUND);
        assert!(
            matches!(&error, Error::NotFound { status: 400, detail, .. } if detail == "Item was not found."),
            "{error:?}"
        );
    }

    #[test]
    fn a_not_found_message_counts_only_for_its_service_status_and_operations() {
        let other_service = OperationName {
            service: "prov",
            operation_id: "get_job",
        };
        let other_operation = OperationName {
            service: "job",
            operation_id: "list_jobs",
        };
        for (operation, status, body) in [
            (other_service, 400, JOB_NOT_FOUND),
            (other_operation, 400, JOB_NOT_FOUND),
            (OP, 403, JOB_NOT_FOUND),
            (OP, 400, &br#"{"detail": "Item was lost."}"#[..]),
        ] {
            let error = Error::from_status(operation, status, body);
            assert!(!error.is_not_found(), "{operation} {status}: {error:?}");
        }
    }

    #[test]
    fn an_in_body_failure_is_not_found_only_when_listed_as_such() {
        let registry = OperationName {
            service: "registry",
            operation_id: "fetch_agent_person",
        };
        let missing = Error::in_body_failure(
            registry,
            "Could not find the given key (10378.1/1)".into(),
            Bytes::from_static(b"{}"),
        );
        assert!(
            matches!(missing, Error::NotFound { status: 200, .. }),
            "{missing:?}"
        );
        let refused = Error::in_body_failure(registry, "locked".into(), Bytes::from_static(b"{}"));
        assert!(
            matches!(&refused, Error::Rejected { details, .. } if details == "locked"),
            "{refused:?}"
        );
    }

    #[test]
    fn a_status_without_its_own_variant_keeps_an_excerpt_of_the_body() {
        let error = Error::from_status(OP, 502, b"<html>bad gateway</html>");
        assert!(
            matches!(&error, Error::Status { status: 502, body, .. } if body == "<html>bad gateway</html>"),
            "{error:?}"
        );
    }

    #[test]
    fn a_422_that_is_not_fastapis_list_becomes_one_field_error() {
        let error = Error::from_status(OP, 422, br#"{"detail": "bad dates"}"#);
        let Error::Validation { errors, .. } = error else {
            panic!("expected a validation error");
        };
        assert_eq!(
            errors,
            [FieldError {
                location: String::new(),
                message: "bad dates".into(),
                kind: String::new(),
            }]
        );
    }

    #[test]
    fn a_detail_that_is_not_a_string_is_shown_as_json() {
        let error = Error::from_status(OP, 403, br#"{"detail": {"reason": "no"}}"#);
        assert!(
            matches!(&error, Error::Forbidden { detail, .. } if detail == r#"{"reason":"no"}"#),
            "{error:?}"
        );
    }

    #[test]
    fn a_rejected_body_keeps_its_bytes_exactly_and_reads_as_json_when_it_is() {
        let raw = Bytes::from_static(br#"{"status": {"success": false}, "handle": "h"}"#);
        let body = RejectedBody::new(raw.clone());
        assert_eq!(body.bytes(), &raw);
        assert_eq!(body.json().expect("JSON")["handle"], "h");
        assert_eq!(body.decoded::<u8>(), None, "nothing decoded yet");
        assert_eq!(
            RejectedBody::new(Bytes::from_static(b"<html>")).json(),
            None
        );
    }

    #[test]
    fn a_rejected_body_shows_only_its_size_in_debug_output() {
        let body = RejectedBody::new(Bytes::from_static(b"secret-token-xyz"));
        assert_eq!(
            format!("{body:?}"),
            "RejectedBody { bytes: 16, decoded: false }"
        );
        let decoded = body.with_decoded(Arc::new(5u8));
        assert_eq!(
            format!("{decoded:?}"),
            "RejectedBody { bytes: 16, decoded: true }"
        );
        assert_eq!(decoded.decoded::<u8>(), Some(&5));
    }

    #[test]
    fn detail_string_is_preferred_over_raw_body() {
        let error = Error::from_status(OP, 404, br#"{"detail":"no such job"}"#);
        assert_eq!(
            error.to_string(),
            "job.get_job: not found (404): no such job"
        );
    }
}
