//! The path every request takes: authorise, send, retry, check the answer.
//!
//! Generated clients hand each request to [`Transport`] through progenitor's
//! hooks (see [`crate::raw`]):
//!
//! 1. `Transport::authorize` puts `Authorization: Bearer <token>` on it
//!    (marked sensitive, so it never shows in debug output);
//! 2. `Transport::execute` sends it, retrying by the rules of
//!    [`crate::retry`] (a body that breaks off counts as a failed attempt),
//!    refreshing the token once on a 401 (also when the request cannot be
//!    sent again, so that the next one carries the new token);
//! 3. still in `execute`, an unsuccessful status, an oversized body or a 200
//!    whose body says `status.success == false` becomes a typed
//!    [`Error`], left for the facade's `call` to return; the span's last
//!    event says whether the caller gets one (`ok`, `error.kind`);
//! 4. the body read for those checks stays with its response, and the
//!    generated methods decode it from there (`build.rs` routes them to
//!    this module's `from_response`), so a body is read once.
//!
//! Progenitor's hooks can only return `reqwest` results, so typed errors travel
//! to the facade through a task-local slot that `call` opens around each
//! operation. Users of the raw layer (no slot) get progenitor's own errors.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use reqwest::header::AUTHORIZATION;
use tracing::Instrument;

use crate::auth::{AccessToken, AuthManager};
use crate::config::Config;
use crate::error::{Error, OperationName, StackFailure};
use crate::raw::Operation;
use crate::retry::{self, RetryClass, RetryPolicy};
use crate::success_flags::failure_reported;

tokio::task_local! {
    /// The typed error of the operation in progress, if the transport found one.
    static CALL_ERROR: RefCell<Option<Error>>;
    /// A request timeout that replaces the configured one, see [`with_timeout`].
    static TIMEOUT_OVERRIDE: std::time::Duration;
}

/// Runs `future` with every request it makes allowed `timeout` instead of the
/// configured request timeout: for the one call that needs longer (a large
/// download) or must fail faster.
///
/// ```no_run
/// use std::time::Duration;
/// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
/// let csv = provena_client::with_timeout(
///     Duration::from_secs(600),
///     client.prov().regenerate_csv_from_model_run_batch("batch-1"),
/// )
/// .await?;
/// # let _ = csv;
/// # Ok(()) }
/// ```
pub async fn with_timeout<F: Future>(timeout: std::time::Duration, future: F) -> F::Output {
    TIMEOUT_OVERRIDE.scope(timeout, future).await
}

/// State shared by every service client of one [`crate::ProvenaClient`].
#[derive(Debug)]
struct Shared {
    auth: Arc<dyn AuthManager>,
    retry: RetryPolicy,
    max_body_bytes: u64,
}

/// The inner value of every generated client: shared state plus which service
/// it talks to. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Transport {
    shared: Arc<Shared>,
    service: &'static str,
    operations: &'static [Operation],
}

impl Transport {
    /// A transport for `service` that authorises with `auth` and follows the
    /// retry and size limits of `config`. `operations` is the service's
    /// operation table (`raw::<service>::OPERATIONS`).
    pub fn new(
        auth: Arc<dyn AuthManager>,
        config: &Config,
        service: &'static str,
        operations: &'static [Operation],
    ) -> Self {
        Self::with_policy(
            auth,
            config.retry().clone(),
            config.max_body_bytes(),
            service,
            operations,
        )
    }

    pub(crate) fn with_policy(
        auth: Arc<dyn AuthManager>,
        retry: RetryPolicy,
        max_body_bytes: u64,
        service: &'static str,
        operations: &'static [Operation],
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                auth,
                retry,
                max_body_bytes,
            }),
            service,
            operations,
        }
    }

    /// The same shared state, for another service.
    pub(crate) fn for_service(
        &self,
        service: &'static str,
        operations: &'static [Operation],
    ) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            service,
            operations,
        }
    }

    /// The token source.
    pub fn auth(&self) -> &Arc<dyn AuthManager> {
        &self.shared.auth
    }

    /// The service this transport talks to.
    pub fn service(&self) -> &'static str {
        self.service
    }

    pub(crate) fn operation_name(&self, operation_id: &'static str) -> OperationName {
        OperationName {
            service: self.service,
            operation_id,
        }
    }

    fn operation(&self, operation_id: &str) -> Option<&'static Operation> {
        // The generated tables are sorted by the id's length, then the id
        // (build.rs): most steps compare two numbers, not two strings.
        let operations = self.operations;
        let key = (operation_id.len(), operation_id);
        operations
            .binary_search_by(|op| (op.operation_id.len(), op.operation_id).cmp(&key))
            .ok()
            .and_then(|index| operations.get(index))
    }

    /// Reads a file response whole, within the configured size limit.
    pub(crate) async fn collect(
        &self,
        operation: OperationName,
        stream: progenitor_client::ByteStream,
    ) -> Result<Bytes, Error> {
        use futures_util::StreamExt;
        let limit = self.shared.max_body_bytes;
        let mut stream = stream.into_inner();
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Error::from_reqwest(operation, e))?;
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(Error::TooLarge { operation, limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    /// Pre-send hook: adds the bearer token.
    pub(crate) async fn authorize<E>(
        &self,
        request: &mut reqwest::Request,
        info: &progenitor_client::OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        match self.shared.auth.access_token().await {
            Ok(token) => self.set_bearer(request, &token).map_err(|message| {
                stash(Error::InvalidInput {
                    operation: self.operation_name(info.operation_id),
                    message: message.clone(),
                });
                progenitor_client::Error::Custom(message)
            }),
            Err(source) => {
                let message = source.to_string();
                stash(Error::Auth {
                    operation: self.operation_name(info.operation_id),
                    source,
                });
                Err(progenitor_client::Error::Custom(message))
            }
        }
    }

    /// Send hook: sends with retries and checks the response.
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        info: &progenitor_client::OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = request;
        if let Ok(timeout) = TIMEOUT_OVERRIDE.try_with(|timeout| *timeout) {
            *request.timeout_mut() = Some(timeout);
        }
        let span = tracing::info_span!(
            "provena.request",
            service = self.service,
            operation = info.operation_id,
            method = %request.method(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let sending = self.send_with_retries(client, request, info.operation_id);
        // Nobody listening (no subscriber, or one that filters this out): no
        // span to enter at every poll, nothing to record.
        let Outcome { result, error } = if span.is_disabled() {
            sending.await
        } else {
            sending.instrument(span.clone()).await
        };
        if !span.is_disabled() || tracing::enabled!(tracing::Level::DEBUG) {
            record_end(&span, started, &result, error.as_ref());
        }
        if let Some(error) = error {
            stash(error);
        }
        result
    }

    async fn send_with_retries(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> Outcome {
        let operation = self.operation_name(operation_id);
        let class = retry::classify(request.method(), operation_id);
        let policy = &self.shared.retry;
        let started = Instant::now();
        let mut refreshed = false;
        let mut attempt: u32 = 1;
        let mut pending = request;
        loop {
            // Keep a copy for a possible retry; a streamed body cannot be
            // copied, and such a request is simply not retried.
            let spare = copy_for_retry(&pending);
            let span = tracing::Span::current();
            span.record("attempt", attempt);
            let (failed, retry_after) = match client.execute(pending).await {
                Err(error) => (Err(error), None),
                Ok(response) => {
                    let status = response.status();
                    span.record("status", status.as_u16());
                    tracing::debug!(status = status.as_u16(), "response received");
                    if status == reqwest::StatusCode::UNAUTHORIZED && !refreshed {
                        refreshed = true;
                        // The token was refused: refresh it even when this
                        // request cannot be sent again, so that the caller's
                        // next request does not carry it too.
                        let token = match self.shared.auth.force_refresh().await {
                            Ok(token) => token,
                            Err(source) if spare.is_some() => {
                                return Outcome::refused(
                                    response,
                                    Error::Auth { operation, source },
                                );
                            }
                            Err(source) => {
                                tracing::debug!(error = %source, "401: the token refresh failed");
                                return self.finish(operation, response).await;
                            }
                        };
                        if let Some(mut again) = spare
                            && self.set_bearer(&mut again, &token).is_ok()
                        {
                            tracing::debug!("401: retrying once with a fresh token");
                            pending = again;
                            continue;
                        }
                        tracing::debug!("401: token refreshed; this request is not sent again");
                        return self.finish(operation, response).await;
                    }
                    if retry::is_transient_status(status) && class == RetryClass::Safe {
                        let wait = retry::retry_after(response.headers());
                        (Ok(response), wait)
                    } else {
                        match self.inspect(operation, response).await {
                            Ok(outcome) => return outcome,
                            // The body broke off: a failed attempt like a failed send.
                            Err(error) => (Err(error), None),
                        }
                    }
                }
            };
            if let Err(error) = &failed {
                let retryable = retry::may_retry_error(class, error);
                tracing::debug!(error = %error, retryable, "request failed");
                if !retryable {
                    return Outcome::from(failed);
                }
            }
            let delay = policy.delay(attempt, retry_after);
            let exhausted = policy.gives_up(attempt, started.elapsed(), delay);
            match (spare, failed) {
                (Some(next), _) if !exhausted => {
                    tracing::debug!(delay_ms = delay.as_millis() as u64, "retrying");
                    // Boxed for the same reason as `finish`: retries are rare.
                    Box::pin(tokio::time::sleep(delay)).await;
                    attempt += 1;
                    pending = next;
                }
                (_, Ok(response)) => return self.finish(operation, response).await,
                (_, failed) => return Outcome::from(failed),
            }
        }
    }

    /// [`Transport::inspect`] for the last response of an operation, whose
    /// body can no longer be asked for again. Boxed: only a 401 or a last
    /// transient answer gets here, and inline it would add the size of a
    /// second body read to every request's future.
    fn finish(
        &self,
        operation: OperationName,
        response: reqwest::Response,
    ) -> Pin<Box<dyn Future<Output = Outcome> + Send + '_>> {
        Box::pin(async move {
            self.inspect(operation, response)
                .await
                .unwrap_or_else(|error| Outcome::from(Err(error)))
        })
    }

    /// Checks a response: unsuccessful statuses and in-body failures become
    /// typed errors; JSON bodies are read within the size limit. `Err` when
    /// the body could not be read (the connection broke).
    async fn inspect(
        &self,
        operation: OperationName,
        mut response: reqwest::Response,
    ) -> reqwest::Result<Outcome> {
        let status = response.status();
        let meta = self.operation(operation.operation_id);
        let json = meta.is_none_or(|op| op.response_media == "application/json");
        if status.is_success() && !json {
            // Files are handed over as a stream; the caller decides how much to read.
            return Ok(Outcome::from(Ok(response)));
        }
        let limit = self.shared.max_body_bytes;
        let Some(body) = read_limited(&mut response, limit).await? else {
            // Nothing of an oversized body is decoded, nor more of it read.
            response.extensions_mut().insert(ReadBody(Bytes::new()));
            return Ok(Outcome::refused(
                response,
                Error::TooLarge { operation, limit },
            ));
        };
        let error = if !status.is_success() {
            Some(Error::from_status(operation, status.as_u16(), &body))
        } else if let Some(op) = meta
            && let Some(details) = failure_reported(op.failure_flags, &body)
        {
            Some(Error::in_body_failure(operation, details, body.clone()))
        } else {
            None
        };
        // The body stays with the response it came from, for `from_response`
        // (or `restore`) to take: no second read, copy or rebuilt response.
        response.extensions_mut().insert(ReadBody(body));
        Ok(Outcome {
            result: Ok(response),
            error,
        })
    }
}

/// A copy of `request` to send again; `None` when its body is a stream.
///
/// Like `reqwest::Request::try_clone`, which is called for requests with a
/// body, but for the bodiless ones (most GETs) without its cost on every
/// attempt: it gives each copy its own per-request settings map, even when
/// there is no setting. The only such setting the transport's requests
/// carry is the timeout (`with_timeout`), copied here when set.
fn copy_for_retry(request: &reqwest::Request) -> Option<reqwest::Request> {
    if request.body().is_some() {
        return request.try_clone();
    }
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    if let Some(timeout) = request.timeout() {
        *copy.timeout_mut() = Some(*timeout);
    }
    Some(copy)
}

/// The end of an operation's span: how long it took and whether the caller
/// gets an error (`ok`, `error.kind`).
fn record_end(
    span: &tracing::Span,
    started: Instant,
    result: &reqwest::Result<reqwest::Response>,
    error: Option<&Error>,
) {
    span.record("duration_ms", started.elapsed().as_millis() as u64);
    // A response can be the caller's error (a status, a rejection, an
    // oversized body): the typed error decides, not the reqwest result.
    let failure = match (error, result) {
        (Some(error), _) => Some(error.kind()),
        (None, Err(source)) => Some(StackFailure::of(source).kind()),
        (None, Ok(_)) => None,
    };
    span.in_scope(|| match failure {
        Some(kind) => tracing::debug!(ok = false, error.kind = %kind, "operation finished"),
        None => tracing::debug!(ok = true, "operation finished"),
    });
}

/// How an operation ended: what progenitor's hook returns, and the typed
/// error the facade returns instead, when the transport found one.
struct Outcome {
    result: reqwest::Result<reqwest::Response>,
    error: Option<Error>,
}

impl Outcome {
    /// A response that the caller sees as `error`.
    fn refused(response: reqwest::Response, error: Error) -> Self {
        Self {
            result: Ok(response),
            error: Some(error),
        }
    }
}

impl From<reqwest::Result<reqwest::Response>> for Outcome {
    fn from(result: reqwest::Result<reqwest::Response>) -> Self {
        Self {
            result,
            error: None,
        }
    }
}

impl Transport {
    fn set_bearer(
        &self,
        request: &mut reqwest::Request,
        token: &AccessToken,
    ) -> Result<(), String> {
        let value = token.bearer_header()?;
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }
}

/// Reads the body of `response` if it is at most `limit` bytes; `None`
/// (and no more of it read) when it is longer.
async fn read_limited(
    response: &mut reqwest::Response,
    limit: u64,
) -> reqwest::Result<Option<Bytes>> {
    let length = response.content_length();
    if length.is_some_and(|length| length > limit) {
        return Ok(None);
    }
    // A body that arrives in one chunk is kept as it is; more chunks are
    // joined once, into a buffer sized from `Content-Length` when known.
    let mut first: Option<Bytes> = None;
    let mut joined: Option<bytes::BytesMut> = None;
    let mut read: u64 = 0;
    while let Some(chunk) = response.chunk().await? {
        read += chunk.len() as u64;
        if read > limit {
            return Ok(None);
        }
        match (&mut joined, first.take()) {
            (Some(buffer), _) => buffer.extend_from_slice(&chunk),
            (None, None) => first = Some(chunk),
            (None, Some(earlier)) => {
                let capacity = length.map_or(read, |length| length.max(read));
                let mut buffer = bytes::BytesMut::with_capacity(capacity as usize);
                buffer.extend_from_slice(&earlier);
                buffer.extend_from_slice(&chunk);
                joined = Some(buffer);
            }
        }
    }
    Ok(Some(match joined {
        Some(buffer) => buffer.freeze(),
        None => first.unwrap_or_default(),
    }))
}

/// A body the transport has read (within the size limit), kept in its
/// response's extensions: the response itself is handed on as it came,
/// and decoding takes the bytes from here.
#[derive(Clone)]
struct ReadBody(Bytes);

/// Decodes a JSON answer as progenitor's `ResponseValue::from_response`
/// does, from the body the transport already read: the generated methods
/// call this one instead (build.rs routes them here), so that a body is read
/// once and neither copied nor put back into a rebuilt response.
pub(crate) async fn from_response<T: serde::de::DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = match response.extensions_mut().remove::<ReadBody>() {
        Some(ReadBody(body)) => {
            // Let go of the response (and its connection) before decoding.
            drop(response);
            body
        }
        // Not inspected (no hook ran): read it here. Boxed, as it is rare:
        // inline, the read would make every generated method's future
        // larger than the allocator's fast sizes.
        None => Box::pin(response.bytes())
            .await
            .map_err(progenitor_client::Error::ResponseBodyError)?,
    };
    let inner = serde_json::from_slice(&body)
        .map_err(|e| progenitor_client::Error::InvalidResponsePayload(body, e))?;
    Ok(progenitor_client::ResponseValue::new(
        inner, status, headers,
    ))
}

/// A response whose body the transport read, with that body readable again:
/// for the answers the generated methods hand over whole
/// (`UnexpectedResponse`), so that a raw caller can still read them.
pub(crate) fn restore(mut response: reqwest::Response) -> reqwest::Response {
    let Some(ReadBody(body)) = response.extensions_mut().remove::<ReadBody>() else {
        return response;
    };
    use reqwest::ResponseBuilderExt as _;
    // The builder is the only way to hand the URL over (reqwest would parse
    // a placeholder otherwise); with no conversions to fail it cannot fail.
    let body = reqwest::Body::from(body);
    let mut rebuilt = match http::Response::builder()
        .url(response.url().clone())
        .body(())
    {
        Ok(rebuilt) => rebuilt.map(|()| body),
        Err(_) => http::Response::new(body),
    };
    *rebuilt.status_mut() = response.status();
    *rebuilt.version_mut() = response.version();
    *rebuilt.headers_mut() = std::mem::take(response.headers_mut());
    reqwest::Response::from(rebuilt)
}

fn stash(error: Error) {
    // Outside a facade call there is no slot; the raw caller then sees
    // progenitor's own error, which is all the raw layer promises.
    let _ = CALL_ERROR.try_with(|slot| *slot.borrow_mut() = Some(error));
}

/// Runs one generated call and turns its outcome into the facade's result:
/// the transport's typed error if it left one, else progenitor's mapped. An
/// in-body failure whose body still decoded as `T` keeps the decoded value.
///
/// Not an `async fn`: the generated call's future (several KB: the request,
/// the hooks, the retry loop, the body read) goes to the heap here, once,
/// instead of being stored, and copied, in every future that awaits this one.
pub(crate) fn call<T: Send + Sync + 'static, E>(
    operation: OperationName,
    future: impl Future<
        Output = Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
    >,
) -> impl Future<Output = Result<T, Error>> {
    let future = Box::pin(future);
    async move {
        let (result, stashed) = CALL_ERROR
            .scope(RefCell::new(None), async {
                let result = future.await;
                let stashed = CALL_ERROR.with(|slot| slot.borrow_mut().take());
                (result, stashed)
            })
            .await;
        outcome(operation, result, stashed)
    }
}

/// The facade's result from the generated call's and the transport's.
fn outcome<T: Send + Sync + 'static, E>(
    operation: OperationName,
    result: Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
    stashed: Option<Error>,
) -> Result<T, Error> {
    match (result, stashed) {
        (
            Ok(value),
            Some(Error::Rejected {
                operation,
                details,
                body,
            }),
        ) => Err(Error::Rejected {
            operation,
            details,
            body: body.with_decoded(Arc::new(value.into_inner())),
        }),
        (_, Some(error)) => Err(error),
        (Ok(value), None) => Ok(value.into_inner()),
        (Err(error), None) => Err(Error::from_raw(operation, error)),
    }
}

/// Like `call` for hand-written requests (multipart upload): sends through
/// the same retry and inspection path, then decodes JSON.
#[cfg_attr(not(feature = "prov"), allow(dead_code))] // its one user is prov
pub(crate) async fn call_manual<T: serde::de::DeserializeOwned + Send + Sync + 'static>(
    transport: &Transport,
    client: &reqwest::Client,
    operation_id: &'static str,
    mut request: reqwest::Request,
) -> Result<T, Error> {
    let operation = transport.operation_name(operation_id);
    let info = progenitor_client::OperationInfo { operation_id };
    call(operation, async {
        transport.authorize::<()>(&mut request, &info).await?;
        let response = transport
            .execute(client, request, &info)
            .await
            .map_err(progenitor_client::Error::<()>::CommunicationError)?;
        from_response::<T, ()>(response).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;
    use reqwest::header::HeaderValue;

    const SECRET: &str = "secret-token-42";

    fn request() -> reqwest::Request {
        let url = "https://example.org/".parse().expect("a URL");
        reqwest::Request::new(reqwest::Method::GET, url)
    }

    fn chunks(sizes: &[usize]) -> Vec<reqwest::Result<Bytes>> {
        sizes
            .iter()
            .map(|n| Ok(Bytes::from(vec![b'x'; *n])))
            .collect()
    }

    /// A response whose length is known up front (`Content-Length`).
    fn sized(length: usize) -> reqwest::Response {
        reqwest::Response::from(http::Response::new(reqwest::Body::from(vec![b'x'; length])))
    }

    /// A response of unknown length (chunked), arriving in pieces of `sizes`.
    fn streamed(sizes: &[usize]) -> reqwest::Response {
        let body = reqwest::Body::wrap_stream(stream::iter(chunks(sizes)));
        reqwest::Response::from(http::Response::new(body))
    }

    /// The body read within `limit`, or `None` if it was refused as too large.
    async fn read(mut response: reqwest::Response, limit: u64) -> Option<usize> {
        let body = read_limited(&mut response, limit).await.expect("readable");
        body.map(|body| body.len())
    }

    fn transport(limit: u64) -> Transport {
        Transport::with_policy(
            crate::auth::StaticToken::shared("t"),
            RetryPolicy::disabled(),
            limit,
            "prov",
            &[],
        )
    }

    async fn collect(sizes: &[usize], limit: u64) -> Result<usize, Error> {
        let transport = transport(limit);
        let stream = progenitor_client::ByteStream::new(Box::pin(stream::iter(chunks(sizes))));
        let operation = transport.operation_name("generate_template_csv");
        transport.collect(operation, stream).await.map(|b| b.len())
    }

    #[test]
    fn a_transport_names_its_service_and_shares_its_state_with_the_others() {
        let prov = transport(1_000);
        let job = prov.for_service("job", &[]);
        assert_eq!(prov.service(), "prov");
        assert_eq!(job.service(), "job");
        assert!(Arc::ptr_eq(&prov.shared, &job.shared));
        assert!(Arc::ptr_eq(prov.auth(), job.auth()));
        assert_eq!(
            job.operation_name("get_job").to_string(),
            "job.get_job",
            "errors name the service"
        );
    }

    #[test]
    fn the_bearer_header_is_sensitive_and_hidden_from_debug_output() {
        let mut request = request();

        transport(10)
            .set_bearer(&mut request, &AccessToken::new(SECRET))
            .expect("a valid token");

        let value = &request.headers()[AUTHORIZATION];
        assert_eq!(value, format!("Bearer {SECRET}").as_str());
        assert!(value.is_sensitive());
        let debug = format!("{request:?}");
        assert!(debug.contains("authorization"), "{debug}");
        assert!(!debug.contains(SECRET), "{debug}");
    }

    #[test]
    fn the_bearer_header_follows_a_changed_token_and_is_reused_for_the_same_one() {
        let transport = transport(10);
        let header = |token: &str| {
            let mut request = request();
            transport
                .set_bearer(&mut request, &AccessToken::new(token))
                .expect("a valid token");
            request.headers()[AUTHORIZATION].clone()
        };

        assert_eq!(header("first"), "Bearer first");
        assert_eq!(header("first"), "Bearer first");
        assert_eq!(header("second"), "Bearer second");
        assert_eq!(header("first"), "Bearer first");
        assert!(header("second").is_sensitive());
        let debug = format!("{:?}", transport.shared);
        assert!(!debug.contains("second"), "{debug}");
    }

    #[test]
    fn a_token_that_cannot_be_a_header_value_is_refused() {
        let mut request = request();

        let error = transport(10)
            .set_bearer(&mut request, &AccessToken::new("line\nbreak"))
            .unwrap_err();

        assert_eq!(
            error,
            "the access token contains characters not allowed in a header"
        );
        assert!(request.headers().get(AUTHORIZATION).is_none());
    }

    #[tokio::test]
    async fn a_sized_body_of_exactly_the_limit_is_read_and_one_byte_more_is_refused() {
        assert_eq!(read(sized(100), 100).await, Some(100));
        assert_eq!(read(sized(101), 100).await, None);
        assert_eq!(read(sized(0), 0).await, Some(0));
    }

    #[tokio::test]
    async fn a_chunked_body_of_exactly_the_limit_is_read_and_one_byte_more_is_refused() {
        assert_eq!(read(streamed(&[40, 60]), 100).await, Some(100));
        assert_eq!(read(streamed(&[40, 61]), 100).await, None);
        assert_eq!(read(streamed(&[101]), 100).await, None);
        assert_eq!(read(streamed(&[30, 30, 30, 11]), 100).await, None);
    }

    /// An answer whose body arrives in three chunks, with a status other
    /// than 200 and two headers.
    fn chunked_answer() -> reqwest::Response {
        let pieces: Vec<reqwest::Result<Bytes>> = ["{\"a\":", " [1, 2", "]}"]
            .into_iter()
            .map(|piece| Ok(Bytes::from(piece)))
            .collect();
        let mut response = http::Response::new(reqwest::Body::wrap_stream(stream::iter(pieces)));
        *response.status_mut() = reqwest::StatusCode::ACCEPTED;
        response
            .headers_mut()
            .insert("x-trace", HeaderValue::from_static("t-1"));
        let mut response = reqwest::Response::from(response);
        response
            .headers_mut()
            .insert("x-more", HeaderValue::from_static("m"));
        response
    }

    #[test]
    fn a_copy_for_retry_is_the_same_request() {
        let mut request = reqwest::Request::new(
            reqwest::Method::GET,
            "http://api.invalid/x?id=1".parse().unwrap(),
        );
        request
            .headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        *request.version_mut() = reqwest::Version::HTTP_11;
        let plain = copy_for_retry(&request).expect("no body");
        *request.timeout_mut() = Some(std::time::Duration::from_secs(7));
        let timed = copy_for_retry(&request).expect("no body");
        *request.body_mut() = Some(reqwest::Body::from("{}"));
        let with_body = copy_for_retry(&request).expect("a body of bytes");

        for copy in [&plain, &timed, &with_body] {
            assert_eq!(copy.method(), request.method());
            assert_eq!(copy.url(), request.url());
            assert_eq!(copy.headers(), request.headers());
            assert_eq!(copy.version(), request.version());
        }
        assert_eq!(plain.timeout(), None);
        assert_eq!(timed.timeout(), Some(&std::time::Duration::from_secs(7)));
        assert_eq!(
            with_body.timeout(),
            Some(&std::time::Duration::from_secs(7))
        );
        assert_eq!(
            with_body.body().and_then(reqwest::Body::as_bytes),
            Some(&b"{}"[..])
        );
    }

    #[tokio::test]
    async fn a_body_read_in_several_chunks_is_joined_whole() {
        let mut response = chunked_answer();

        let body = read_limited(&mut response, 100).await.expect("readable");

        assert_eq!(body.as_deref(), Some(&b"{\"a\": [1, 2]}"[..]));
    }

    #[tokio::test]
    async fn a_read_body_is_decoded_from_where_the_transport_left_it() {
        let mut response = chunked_answer();
        let body = read_limited(&mut response, 100).await.expect("readable");
        response
            .extensions_mut()
            .insert(ReadBody(body.expect("within the limit")));

        let value = from_response::<serde_json::Value, ()>(response)
            .await
            .expect("decodes");

        assert_eq!(value.status(), reqwest::StatusCode::ACCEPTED);
        assert_eq!(value.headers()["x-trace"], "t-1");
        assert_eq!(value.headers()["x-more"], "m");
        assert_eq!(value.into_inner(), serde_json::json!({"a": [1, 2]}));
    }

    #[tokio::test]
    async fn a_body_nobody_read_is_read_when_decoded() {
        let value = from_response::<serde_json::Value, ()>(chunked_answer())
            .await
            .expect("decodes");

        assert_eq!(value.into_inner(), serde_json::json!({"a": [1, 2]}));
    }

    #[tokio::test]
    async fn a_restored_answer_has_its_body_status_headers_and_url_again() {
        let mut response = chunked_answer();
        let url = response.url().clone();
        let body = read_limited(&mut response, 100).await.expect("readable");
        response
            .extensions_mut()
            .insert(ReadBody(body.expect("within the limit")));

        let restored = restore(response);

        assert_eq!(restored.status(), reqwest::StatusCode::ACCEPTED);
        assert_eq!(restored.headers()["x-trace"], "t-1");
        assert_eq!(restored.headers()["x-more"], "m");
        assert_eq!(restored.url(), &url);
        assert_eq!(
            &restored.bytes().await.expect("body")[..],
            b"{\"a\": [1, 2]}"
        );
    }

    #[tokio::test]
    async fn an_oversized_body_is_refused_without_reading_past_the_limit() {
        // Three chunks of 4 bytes; the limit is passed in the second.
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&reads);
        let chunks = futures_util::StreamExt::map(stream::iter(0..3), move |_| {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, std::io::Error>(Bytes::from_static(b"xxxx"))
        });
        let mut response =
            reqwest::Response::from(http::Response::new(reqwest::Body::wrap_stream(chunks)));

        let body = read_limited(&mut response, 5).await.expect("readable");

        assert_eq!(body, None);
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_file_of_exactly_the_limit_is_collected_and_one_byte_more_is_refused() {
        assert_eq!(collect(&[40, 60], 100).await.expect("at the limit"), 100);
        let error = collect(&[40, 61], 100).await.unwrap_err();
        assert!(
            matches!(error, Error::TooLarge { limit: 100, operation }
                if operation.to_string() == "prov.generate_template_csv"),
            "{error:?}"
        );
        assert!(matches!(
            collect(&[101], 100).await,
            Err(Error::TooLarge { .. })
        ));
    }

    #[tokio::test]
    async fn a_collected_file_is_its_chunks_in_order() {
        let transport = transport(1_000);
        let parts: Vec<reqwest::Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"a,b\n")),
            Ok(Bytes::from_static(b"1,2\n")),
        ];
        let stream = progenitor_client::ByteStream::new(Box::pin(stream::iter(parts)));
        let operation = transport.operation_name("generate_template_csv");

        let body = transport.collect(operation, stream).await.expect("small");

        assert_eq!(&body[..], b"a,b\n1,2\n");
    }

    #[test]
    fn a_false_failure_flag_reports_the_details_beside_it() {
        let body = br#"{"status": {"success": false, "details": "no such run"}}"#;
        assert_eq!(
            failure_reported(&["/status/success"], body),
            Some("no such run".to_string())
        );
        let nested = br#"{"state_change": {"success": false, "details": "locked"}}"#;
        assert_eq!(
            failure_reported(&["/status/success", "/state_change/success"], nested),
            Some("locked".to_string())
        );
        let bare = br#"{"success": false}"#;
        assert_eq!(failure_reported(&["/success"], bare), Some(String::new()));
    }

    #[test]
    fn a_true_missing_or_unreadable_failure_flag_reports_nothing() {
        let ok = br#"{"status": {"success": true, "details": "fine"}}"#;
        assert_eq!(failure_reported(&["/status/success"], ok), None);
        assert_eq!(failure_reported(&["/other/success"], ok), None);
        assert_eq!(failure_reported(&[], br#"{"success": false}"#), None);
        assert_eq!(failure_reported(&["/success"], b"not json"), None);
        assert_eq!(
            failure_reported(&["/success"], br#"{"success": "no"}"#),
            None
        );
    }
}
