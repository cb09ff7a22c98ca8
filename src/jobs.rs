//! Waiting for the job service's jobs to finish.
//!
//! Registering a model run, versioning an item, creating a registry item,
//! generating a report, ... each start a job and answer with its session
//! id. [`JobApiClient::wait`] polls the job until it succeeds or fails, with
//! jittered, growing pauses between polls (the backoff of
//! [`RetryPolicy`]) and an overall time limit:
//!
//! ```no_run
//! use std::time::Duration;
//! use provena_client::jobs::JobResult;
//!
//! # async fn run(client: provena_client::ProvenaClient,
//! #     record: provena_client::models::ModelRunRecord) -> Result<(), Box<dyn std::error::Error>> {
//! let started = client.prov().register_model_run(&record).await?;
//! let session_id = started.session_id.ok_or("no job was started")?;
//! let job = client
//!     .job_api()
//!     .wait(session_id)
//!     .max_wait(Duration::from_secs(300))
//!     .send()
//!     .await?;
//! if let JobResult::ModelRunLodged(lodged) = job.result {
//!     println!("model run {} lodged", lodged.record.id);
//! }
//! # Ok(()) }
//! ```
//!
//! Or in one call, for any response of an operation that starts a job
//! ([`StartsJob`]):
//!
//! ```no_run
//! # async fn run(client: provena_client::ProvenaClient,
//! #     request: provena_client::models::VersionRequest) -> Result<(), Box<dyn std::error::Error>> {
//! use provena_client::clients::registry::Model;
//! let done = client
//!     .job_api()
//!     .start_and_wait(client.registry().version::<Model>(&request))
//!     .await?;
//! println!("version {} recorded by job {}", done.response.new_version_id, done.job.job.session_id);
//! # Ok(()) }
//! ```
//!
//! Right after a job is started the job service does not know it yet: its
//! fetch answers "not found" (a 400) until a worker has picked the job up.
//! The waiter treats that answer as "not yet" for a grace period
//! ([`JobWait::grace_period`]); after it, as an error. One pure function,
//! `classify`, decides what each poll means; it is unit-tested as a table.

use std::future::Future;
#[cfg(feature = "prov")]
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::clients::job::JobApiClient;
use crate::error::Error;
use crate::models;
use crate::retry::RetryPolicy;

/// Default [`JobWait::max_wait`]: ten minutes.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(600);
/// Default [`JobWait::grace_period`]: two minutes.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(120);
/// Default first pause between polls, before jitter.
pub const DEFAULT_FIRST_POLL_DELAY: Duration = Duration::from_millis(500);
/// Default longest pause between polls.
pub const DEFAULT_MAX_POLL_DELAY: Duration = Duration::from_secs(15);

// ------------------------------------------------------------------ results

/// A job that finished with status `SUCCEEDED`, and its result.
#[derive(Debug, Clone, PartialEq)]
pub struct SucceededJob {
    /// The job's row, as the job service last served it.
    pub job: models::JobStatusTable,
    /// Its result, typed by the job's sub type.
    pub result: JobResult,
}

/// A job that finished with status `FAILED`.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedJob {
    /// The job's row, as the job service last served it.
    pub job: models::JobStatusTable,
}

impl FailedJob {
    /// What the worker said went wrong, if it said anything.
    pub fn info(&self) -> Option<&str> {
        self.job.info.as_deref()
    }
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    /// Status `SUCCEEDED`.
    Succeeded(SucceededJob),
    /// Status `FAILED`.
    Failed(FailedJob),
}

/// The result of a successful job, by its sub type.
///
/// The job service stores results as untyped JSON; these are the shapes its
/// workers write.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum JobResult {
    /// `MODEL_RUN_PROV_LODGE`, `MODEL_RUN_LODGE_ONLY` and `MODEL_RUN_UPDATE`:
    /// the model run record as lodged.
    #[cfg(feature = "prov")]
    ModelRunLodged(Box<ModelRunLodged>),
    /// `MODEL_RUN_BATCH_SUBMIT`: the batch of jobs it spun off, one per record.
    BatchSubmitted(BatchSubmitted),
    /// `REGISTER_CREATE_ACTIVITY`: the creation activity registered for a
    /// new item, and the job lodging its provenance.
    CreateActivityRegistered(ActivityRegistered),
    /// `REGISTER_VERSION_ACTIVITY`: the version activity registered for a
    /// new version, and the job lodging its provenance.
    VersionActivityRegistered(ActivityRegistered),
    /// `GENERATE_REPORT`: where the report can be downloaded (a presigned,
    /// expiring URL).
    ReportGenerated(ReportGenerated),
    /// Sub types whose result holds nothing (wake-ups, provenance lodging of
    /// creations and versions, lodge-only updates, e-mails).
    Empty,
    /// A sub type this client does not type (including model run lodging
    /// without the `prov` feature): the result as sent.
    Other(Option<serde_json::Map<String, serde_json::Value>>),
}

/// The result of a model run lodging job.
#[cfg(feature = "prov")]
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct ModelRunLodged {
    /// The lodged record.
    pub record: LodgedRecord,
}

/// A model run record as the provenance store holds it.
#[cfg(feature = "prov")]
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct LodgedRecord {
    /// The model run's handle.
    pub id: String,
    /// The PROV-JSON document serialised as a string.
    pub prov_json: String,
    /// The record as lodged.
    pub record: models::ModelRunRecord,
}

/// The result of a batch submission job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct BatchSubmitted {
    /// The batch holding one lodging job per record
    /// (`job_api().list_jobs_in_batch_paginated`).
    pub batch_id: String,
}

/// The result of a registry job that registers a creation or version
/// activity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ActivityRegistered {
    /// The activity's handle.
    #[serde(alias = "creation_activity_id", alias = "version_activity_id")]
    pub activity_id: String,
    /// The follow-up job lodging the activity's provenance.
    pub lodge_session_id: String,
}

/// The result of a report generation job.
#[derive(Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ReportGenerated {
    /// A presigned URL of the `.docx` report. It is a credential until it
    /// expires: `Debug` shows only its host.
    pub report_url: String,
}

impl std::fmt::Debug for ReportGenerated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportGenerated")
            .field("report_url", &url_host(&self.report_url))
            .finish()
    }
}

/// The host of a URL, for messages that must not show its query.
fn url_host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|url| {
            url.host_str()
                .map(|host| format!("{}://{host}/…", url.scheme()))
        })
        .unwrap_or_else(|| "<unparsable URL>".to_string())
}

impl JobResult {
    /// Types the result `result` of a job of sub type `sub_type`.
    pub fn decode(
        sub_type: &models::JobSubType,
        result: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Result<Self, serde_json::Error> {
        use models::JobSubType as S;
        let value = || serde_json::Value::Object(result.cloned().unwrap_or_default());
        Ok(match sub_type {
            #[cfg(feature = "prov")]
            S::ModelRunProvLodge | S::ModelRunLodgeOnly | S::ModelRunUpdate => {
                JobResult::ModelRunLodged(serde_json::from_value(value())?)
            }
            S::ModelRunBatchSubmit => JobResult::BatchSubmitted(serde_json::from_value(value())?),
            S::RegisterCreateActivity => {
                JobResult::CreateActivityRegistered(serde_json::from_value(value())?)
            }
            S::RegisterVersionActivity => {
                JobResult::VersionActivityRegistered(serde_json::from_value(value())?)
            }
            S::GenerateReport => JobResult::ReportGenerated(serde_json::from_value(value())?),
            S::ProvLodgeWakeUp
            | S::LodgeCreateActivity
            | S::LodgeVersionActivity
            | S::ModelRunUpdateLodgeOnly
            | S::RegistryWakeUp
            | S::EmailWakeUp
            | S::SendEmail => JobResult::Empty,
            _ => JobResult::Other(result.cloned()),
        })
    }
}

// ------------------------------------------------------------------- errors

/// Why waiting for a job did not give its result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The job had not finished when the wait's time was up.
    #[error("job {session_id}: not finished after {waited:?} (last status: {})", last_status.as_ref().map_or("not visible yet", |s| s.as_str()))]
    TimedOut {
        /// The job.
        session_id: String,
        /// How long the waiter waited.
        waited: Duration,
        /// The status of the last poll that saw the job; `None` when the job
        /// service never knew it.
        last_status: Option<models::JobStatus>,
    },
    /// The job finished with status `FAILED`.
    #[error("job {}: failed: {}", .0.job.session_id, .0.info().unwrap_or("no details given"))]
    Failed(Box<FailedJob>),
    /// Polling the job failed in a way waiting longer cannot fix (no access,
    /// or the job still unknown after the grace period).
    #[error("job {session_id}: {source}")]
    Api {
        /// The job.
        session_id: String,
        /// The failed poll.
        #[source]
        source: Box<Error>,
    },
    /// The operation that was to start the job failed.
    #[error("starting the job failed: {0}")]
    Start(#[source] Box<Error>),
    /// The operation that was to start the job answered without a session
    /// id (it reported success but started nothing).
    #[error("{response} carries no job session id: no job was started")]
    NotStarted {
        /// The response type, e.g. `RegisterModelRunResponse`.
        response: &'static str,
    },
    /// The job succeeded but its result is not the shape of its sub type.
    #[error("job {session_id} ({sub_type}): result does not decode: {message}")]
    UndecodableResult {
        /// The job.
        session_id: String,
        /// Its sub type.
        sub_type: String,
        /// The decoder's message.
        message: String,
    },
}

impl WaitError {
    /// The failed job, if the job failed.
    pub fn failed_job(&self) -> Option<&FailedJob> {
        match self {
            WaitError::Failed(job) => Some(job),
            _ => None,
        }
    }
}

// ----------------------------------------------------------- classification

/// What one poll of a job means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Status `SUCCEEDED`.
    Succeeded,
    /// Status `FAILED`.
    Failed,
    /// Not finished, not visible yet, or a transient failure: poll again.
    Pending,
    /// An error waiting cannot fix.
    GiveUp,
}

/// What a poll means, `elapsed` after the wait began, with an unknown job
/// tolerated for `grace`.
pub(crate) fn classify(
    poll: &Result<models::JobStatusTable, Error>,
    elapsed: Duration,
    grace: Duration,
) -> Verdict {
    match poll {
        Ok(job) => match job.status {
            models::JobStatus::Succeeded => Verdict::Succeeded,
            models::JobStatus::Failed => Verdict::Failed,
            // PENDING, DEQUEUED, IN_PROGRESS, and states of newer servers.
            _ => Verdict::Pending,
        },
        Err(error) if error.is_not_found() && elapsed <= grace => Verdict::Pending,
        Err(error) if error.is_retryable() => Verdict::Pending,
        Err(_) => Verdict::GiveUp,
    }
}

/// The pause before poll number `poll + 1`: the policy's backoff ceiling for
/// that retry, with jitter between half of it and all of it (so that polls
/// never bunch up, and never hammer the service).
fn poll_delay(policy: &RetryPolicy, poll: u32) -> Duration {
    let ceiling = policy.backoff_ceiling(poll);
    ceiling / 2 + (ceiling / 2).mul_f64(fastrand::f64())
}

// ------------------------------------------------------------------- waiter

/// A wait for one job: [`JobApiClient::wait`], configured, then
/// [`JobWait::send`] or [`JobWait::until_finished`].
#[derive(Debug, Clone)]
#[must_use = "a JobWait does nothing until `send` or `until_finished` is awaited"]
pub struct JobWait {
    jobs: JobApiClient,
    session_id: String,
    max_wait: Duration,
    grace: Duration,
    polls: RetryPolicy,
    as_admin: bool,
}

impl JobApiClient {
    /// Waits for job `session_id` to finish; configure the wait, then
    /// [`JobWait::send`] (success, or [`WaitError::Failed`]) or
    /// [`JobWait::until_finished`] (either outcome). See [`crate::jobs`].
    ///
    /// ```no_run
    /// # async fn run(client: provena_client::ProvenaClient) -> Result<(), provena_client::jobs::WaitError> {
    /// let job = client.job_api().wait("session-id").send().await?;
    /// println!("{:?}", job.result);
    /// # Ok(()) }
    /// ```
    pub fn wait(&self, session_id: impl Into<String>) -> JobWait {
        JobWait {
            jobs: self.clone(),
            session_id: session_id.into(),
            max_wait: DEFAULT_MAX_WAIT,
            grace: DEFAULT_GRACE_PERIOD,
            polls: RetryPolicy {
                initial_backoff: DEFAULT_FIRST_POLL_DELAY,
                max_backoff: DEFAULT_MAX_POLL_DELAY,
                ..RetryPolicy::default()
            },
            as_admin: false,
        }
    }

    /// The job's outcome, success or failure, waiting with the default
    /// settings: the Python client's `await_job_completion`.
    ///
    /// ```no_run
    /// use provena_client::jobs::JobOutcome;
    /// # async fn run(client: provena_client::ProvenaClient) -> Result<(), provena_client::jobs::WaitError> {
    /// match client.job_api().await_job_completion("session-id").await? {
    ///     JobOutcome::Succeeded(job) => println!("{:?}", job.result),
    ///     JobOutcome::Failed(job) => println!("failed: {:?}", job.info()),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn await_job_completion(&self, session_id: &str) -> Result<JobOutcome, WaitError> {
        self.wait(session_id).until_finished().await
    }

    /// The job's result, or [`WaitError::Failed`], waiting with the default
    /// settings: the Python client's `await_successful_job_completion`.
    ///
    /// ```no_run
    /// # async fn run(client: provena_client::ProvenaClient) -> Result<(), provena_client::jobs::WaitError> {
    /// let job = client.job_api().await_successful_job_completion("session-id").await?;
    /// println!("{:?}", job.result);
    /// # Ok(()) }
    /// ```
    pub async fn await_successful_job_completion(
        &self,
        session_id: &str,
    ) -> Result<SucceededJob, WaitError> {
        self.wait(session_id).send().await
    }

    /// Runs an operation that starts a job, then waits (default settings)
    /// for the job to succeed: the start's answer and the job's result.
    ///
    /// ```no_run
    /// # async fn run(client: provena_client::ProvenaClient,
    /// #     record: provena_client::models::ModelRunRecord) -> Result<(), provena_client::jobs::WaitError> {
    /// let done = client
    ///     .job_api()
    ///     .start_and_wait(client.prov().register_model_run(&record))
    ///     .await?;
    /// println!("{:?}", done.job.result);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`WaitError::Start`] when the operation fails, [`WaitError::NotStarted`]
    /// when its answer names no job, and otherwise as [`JobWait::send`].
    pub async fn start_and_wait<R: StartsJob>(
        &self,
        start: impl Future<Output = crate::Result<R>>,
    ) -> Result<Finished<R>, WaitError> {
        let response = start
            .await
            .map_err(|error| WaitError::Start(Box::new(error)))?;
        let job = response.job_wait(self)?.send().await?;
        Ok(Finished { response, job })
    }
}

/// What [`JobApiClient::start_and_wait`] returns: the answer of the
/// operation that started the job, and the job's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished<R> {
    /// The starting operation's answer.
    pub response: R,
    /// The job, succeeded.
    pub job: SucceededJob,
}

impl JobWait {
    /// Gives up after `limit` (default [`DEFAULT_MAX_WAIT`]); the last poll
    /// happens at the limit.
    pub fn max_wait(mut self, limit: Duration) -> Self {
        self.max_wait = limit;
        self
    }

    /// How long "not found" means "not visible yet" (default
    /// [`DEFAULT_GRACE_PERIOD`]): a started job is unknown to the job
    /// service until a worker has picked it up.
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Pauses between polls: `first` before the second poll, doubling up to
    /// `max`, each with jitter (a random part of up to half of it off).
    pub fn poll_delays(mut self, first: Duration, max: Duration) -> Self {
        self.polls.initial_backoff = first;
        self.polls.max_backoff = max;
        self
    }

    /// Polls through the administrators' fetch (`admin_get_job`), which sees
    /// every user's jobs (for jobs launched on someone else's behalf).
    pub fn as_admin(mut self) -> Self {
        self.as_admin = true;
        self
    }

    /// Waits for the job to succeed: its result, or [`WaitError::Failed`]
    /// with the worker's information.
    ///
    /// # Errors
    ///
    /// [`WaitError::TimedOut`], [`WaitError::Failed`], [`WaitError::Api`],
    /// [`WaitError::UndecodableResult`].
    pub async fn send(self) -> Result<SucceededJob, WaitError> {
        match self.until_finished().await? {
            JobOutcome::Succeeded(job) => Ok(job),
            JobOutcome::Failed(job) => Err(WaitError::Failed(Box::new(job))),
        }
    }

    /// Waits for the job to finish, successfully or not.
    ///
    /// # Errors
    ///
    /// [`WaitError::TimedOut`], [`WaitError::Api`],
    /// [`WaitError::UndecodableResult`].
    pub async fn until_finished(self) -> Result<JobOutcome, WaitError> {
        let started = tokio::time::Instant::now();
        let mut polls: u32 = 0;
        let mut last_status = None;
        loop {
            let poll = self.poll().await;
            polls = polls.saturating_add(1);
            let elapsed = started.elapsed();
            match classify(&poll, elapsed, self.grace) {
                Verdict::Succeeded | Verdict::Failed | Verdict::GiveUp => {
                    return self.finish(poll);
                }
                Verdict::Pending => {
                    if let Ok(job) = &poll {
                        last_status = Some(job.status.clone());
                    }
                }
            }
            tracing::debug!(
                session_id = %self.session_id,
                polls,
                status = last_status.as_ref().map_or("not visible", |s| s.as_str()),
                "job not finished"
            );
            if elapsed >= self.max_wait {
                return Err(WaitError::TimedOut {
                    session_id: self.session_id,
                    waited: elapsed,
                    last_status,
                });
            }
            let pause = poll_delay(&self.polls, polls).min(self.max_wait - elapsed);
            tokio::time::sleep(pause).await;
        }
    }

    async fn poll(&self) -> Result<models::JobStatusTable, Error> {
        if self.as_admin {
            self.jobs
                .admin()
                .get_job(&self.session_id)
                .await
                .map(|answer| answer.job)
        } else {
            self.jobs
                .fetch_job(&self.session_id)
                .await
                .map(|answer| answer.job)
        }
    }

    /// The outcome of a poll that ended the wait.
    fn finish(&self, poll: Result<models::JobStatusTable, Error>) -> Result<JobOutcome, WaitError> {
        let job = poll.map_err(|source| WaitError::Api {
            session_id: self.session_id.clone(),
            source: Box::new(source),
        })?;
        if job.status == models::JobStatus::Failed {
            return Ok(JobOutcome::Failed(FailedJob { job }));
        }
        let result = JobResult::decode(&job.job_sub_type, job.result.as_ref()).map_err(|e| {
            WaitError::UndecodableResult {
                session_id: self.session_id.clone(),
                sub_type: job.job_sub_type.as_str().to_string(),
                message: e.to_string(),
            }
        })?;
        Ok(JobOutcome::Succeeded(SucceededJob { job, result }))
    }
}

// --------------------------------------------------------- starting answers

/// The answer of an operation that starts a job: it names the job.
///
/// Implemented, from one table, for the answer of every operation of the
/// documents that returns a job session id.
pub trait StartsJob {
    /// The answer's schema name, for messages.
    const RESPONSE: &'static str;
    /// The field holding the session id.
    const SESSION_ID_FIELD: &'static str;
    /// The session id of the job it started; `None` when it started none.
    fn job_session_id(&self) -> Option<&str>;

    /// A wait for the job this answer names, to configure and send.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use provena_client::jobs::StartsJob;
    /// # async fn run(client: provena_client::ProvenaClient,
    /// #     record: provena_client::models::ModelRunRecord) -> Result<(), Box<dyn std::error::Error>> {
    /// let started = client.prov().register_model_run(&record).await?;
    /// let job = started
    ///     .job_wait(client.job_api())?
    ///     .max_wait(Duration::from_secs(60))
    ///     .send()
    ///     .await?;
    /// # let _ = job;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`WaitError::NotStarted`] when the answer names no job.
    fn job_wait(&self, jobs: &JobApiClient) -> Result<JobWait, WaitError> {
        let session_id = self.job_session_id().ok_or(WaitError::NotStarted {
            response: Self::RESPONSE,
        })?;
        Ok(jobs.wait(session_id))
    }
}

/// Reads a session id field, whether optional or not.
trait SessionField {
    fn session(&self) -> Option<&str>;
}

impl SessionField for String {
    fn session(&self) -> Option<&str> {
        Some(self)
    }
}

impl SessionField for Option<String> {
    fn session(&self) -> Option<&str> {
        self.as_deref()
    }
}

macro_rules! starts_job {
    ($( $(#[$attr:meta])* $response:ident . $field:ident, )*) => {
        $(
            $(#[$attr])*
            impl StartsJob for models::$response {
                const RESPONSE: &'static str = stringify!($response);
                const SESSION_ID_FIELD: &'static str = stringify!($field);
                fn job_session_id(&self) -> Option<&str> {
                    SessionField::session(&self.$field)
                }
            }
        )*

        /// Every answer type implementing [`StartsJob`] in this build, with
        /// its session id field.
        pub const JOB_STARTING_RESPONSES: &[(&str, &str)] = &[
            $( $(#[$attr])* (stringify!($response), stringify!($field)), )*
        ];
    };
}

starts_job! {
    #[cfg(feature = "job")] AdminLaunchJobResponse.session_id,
    #[cfg(feature = "prov")] RegisterModelRunResponse.session_id,
    #[cfg(feature = "prov")] RegisterBatchModelRunResponse.session_id,
    #[cfg(feature = "prov")] PostUpdateModelRunResponse.session_id,
    #[cfg(feature = "prov")] AddStudyLinkResponse.session_id,
    #[cfg(feature = "prov")] GenerateReportResponse.session_id,
    #[cfg(any(feature = "registry", feature = "datastore"))] VersionResponse.version_job_session_id,
    #[cfg(feature = "datastore")] MintResponse.register_create_activity_session_id,
    #[cfg(feature = "registry")] UpdateResponse.register_create_activity_session_id,
    #[cfg(feature = "registry")] OrganisationCreateResponse.register_create_activity_session_id,
    #[cfg(feature = "registry")] PersonCreateResponse.register_create_activity_session_id,
    #[cfg(feature = "registry")] ModelCreateResponse.register_create_activity_session_id,
    #[cfg(feature = "registry")] ModelRunWorkflowTemplateCreateResponse.register_create_activity_session_id,
    #[cfg(feature = "registry")] DatasetTemplateCreateResponse.register_create_activity_session_id,
    #[cfg(feature = "registry")] StudyCreateResponse.register_create_activity_session_id,
}

// ------------------------------------------------------------------ reports

/// Why a report did not end up on disk.
#[cfg(feature = "prov")]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Starting the report job or waiting for it failed.
    #[error("report job: {0}")]
    Job(#[from] WaitError),
    /// The job succeeded without a report URL in its result.
    #[error("report job {session_id} succeeded without a report URL")]
    NoReportUrl {
        /// The job.
        session_id: String,
    },
    /// The report could not be downloaded.
    #[error("downloading the report from {url} failed: {message}")]
    Download {
        /// The URL's host only (the URL itself is a credential).
        url: String,
        /// The HTTP status, when one arrived.
        status: Option<u16>,
        /// What went wrong.
        message: String,
    },
    /// The report could not be written to its file.
    #[error("writing the report to {}: {source}", path.display())]
    Write {
        /// The file that was being written (the temporary one, or the final
        /// path for the rename).
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A report written to disk by [`crate::ProvenaClient::generate_report_to_path`].
#[cfg(feature = "prov")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The job that generated it.
    pub session_id: String,
}

#[cfg(feature = "prov")]
impl crate::ProvenaClient {
    /// Generates a provenance report (`.docx`) and writes it to `path`: starts
    /// the report job, waits for it (default settings), downloads the report
    /// from the URL in the job's result, and writes it to a temporary file
    /// beside `path`, renamed into place once complete, so that `path` never
    /// holds a partial report. The download goes through the client's HTTP
    /// client, without the bearer token (the URL is presigned), within the
    /// configured request timeout.
    ///
    /// ```no_run
    /// use std::num::NonZeroU64;
    /// use provena_client::models::{GenerateReportRequest, ItemSubType};
    /// # async fn run(client: provena_client::ProvenaClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let request = GenerateReportRequest {
    ///     id: "10378.1/1234".into(),
    ///     item_subtype: ItemSubType::ModelRun,
    ///     depth: NonZeroU64::MIN,
    /// };
    /// let report = client.generate_report_to_path(&request, "lineage.docx").await?;
    /// println!("{} bytes in {}", report.bytes, report.path.display());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`ReportError::Job`] when the job cannot be started or fails,
    /// [`ReportError::Download`] and [`ReportError::Write`] afterwards (no
    /// file is left behind at `path` or beside it).
    pub async fn generate_report_to_path(
        &self,
        request: &models::GenerateReportRequest,
        path: impl AsRef<Path>,
    ) -> Result<ReportFile, ReportError> {
        let done = self
            .job_api()
            .start_and_wait(self.prov().generate_report(request))
            .await?;
        let session_id = done.response.session_id;
        let JobResult::ReportGenerated(report) = done.job.result else {
            return Err(ReportError::NoReportUrl { session_id });
        };
        use progenitor_client::ClientInfo;
        let http = self.prov().raw().client().clone();
        let path = path.as_ref().to_path_buf();
        let bytes = download_to_path(&http, &report.report_url, &path).await?;
        Ok(ReportFile {
            path,
            bytes,
            session_id,
        })
    }
}

/// Downloads `url` (unauthenticated: a presigned URL) into `path` through a
/// temporary file in the same directory, renamed into place when complete;
/// the temporary file is removed on any failure. The number of bytes.
#[cfg(feature = "prov")]
pub(crate) async fn download_to_path(
    http: &reqwest::Client,
    url: &str,
    path: &Path,
) -> Result<u64, ReportError> {
    let download_error = |status: Option<u16>, message: String| ReportError::Download {
        url: url_host(url),
        status,
        message,
    };
    let mut response = http
        .get(url)
        .send()
        .await
        .map_err(|e| download_error(None, e.without_url().to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(download_error(
            Some(status.as_u16()),
            format!("HTTP {status}"),
        ));
    }
    let temporary = temporary_path(path);
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Write { path, source }
    };
    let mut file = tokio::fs::File::create(&temporary)
        .await
        .map_err(write_error(&temporary))?;
    let written: Result<u64, ReportError> = async {
        use tokio::io::AsyncWriteExt;
        let mut total = 0u64;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| download_error(Some(status.as_u16()), e.without_url().to_string()))?
        {
            file.write_all(&chunk)
                .await
                .map_err(write_error(&temporary))?;
            total += chunk.len() as u64;
        }
        file.flush().await.map_err(write_error(&temporary))?;
        file.sync_all().await.map_err(write_error(&temporary))?;
        Ok(total)
    }
    .await;
    drop(file);
    let outcome = match written {
        Ok(total) => tokio::fs::rename(&temporary, path)
            .await
            .map(|()| total)
            .map_err(write_error(path)),
        Err(error) => Err(error),
    };
    if outcome.is_err() {
        // Best effort: the failure being reported matters more.
        let _ = tokio::fs::remove_file(&temporary).await;
    }
    outcome
}

/// `.{name}.{random}.part` beside `path`.
#[cfg(feature = "prov")]
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".to_string());
    let temporary = format!(".{name}.{:016x}.part", fastrand::u64(..));
    match path.parent() {
        Some(parent) => parent.join(temporary),
        None => PathBuf::from(temporary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::OperationName;

    const GRACE: Duration = Duration::from_secs(60);
    const OP: OperationName = OperationName {
        service: "job",
        operation_id: "get_job",
    };

    fn job(status: &str) -> models::JobStatusTable {
        serde_json::from_value(serde_json::json!({
            "session_id": "s", "created_timestamp": 1, "username": "u", "payload": {},
            "job_type": "REGISTRY", "job_sub_type": "REGISTRY_WAKE_UP", "status": status,
        }))
        .expect("a job row")
    }

    fn not_found() -> Error {
        Error::NotFound {
            operation: OP,
            status: 400,
            detail: "Item was not found.".into(),
        }
    }

    #[test]
    fn each_poll_is_classified_by_status_error_and_time() {
        let secs = Duration::from_secs;
        let cases: Vec<(
            &str,
            Result<models::JobStatusTable, Error>,
            Duration,
            Verdict,
        )> = vec![
            (
                "succeeded",
                Ok(job("SUCCEEDED")),
                secs(1),
                Verdict::Succeeded,
            ),
            ("failed", Ok(job("FAILED")), secs(1), Verdict::Failed),
            ("pending", Ok(job("PENDING")), secs(1), Verdict::Pending),
            ("dequeued", Ok(job("DEQUEUED")), secs(1), Verdict::Pending),
            (
                "in progress",
                Ok(job("IN_PROGRESS")),
                secs(1),
                Verdict::Pending,
            ),
            (
                "a newer server's state",
                Ok(job("PAUSED")),
                secs(1),
                Verdict::Pending,
            ),
            (
                "pending long after the grace",
                Ok(job("PENDING")),
                secs(3600),
                Verdict::Pending,
            ),
            (
                "unknown within the grace",
                Err(not_found()),
                secs(59),
                Verdict::Pending,
            ),
            (
                "unknown at the grace's end",
                Err(not_found()),
                GRACE,
                Verdict::Pending,
            ),
            (
                "unknown after the grace",
                Err(not_found()),
                secs(61),
                Verdict::GiveUp,
            ),
            (
                "a 503 left after the transport's retries",
                Err(Error::Status {
                    operation: OP,
                    status: 503,
                    body: String::new(),
                }),
                secs(1),
                Verdict::Pending,
            ),
            (
                "a timeout",
                Err(Error::Timeout { operation: OP }),
                secs(1),
                Verdict::Pending,
            ),
            (
                "no access",
                Err(Error::Unauthorized {
                    operation: OP,
                    detail: String::new(),
                }),
                secs(1),
                Verdict::GiveUp,
            ),
            (
                "a bad request that is not a not-found",
                Err(Error::BadRequest {
                    operation: OP,
                    detail: "nope".into(),
                }),
                secs(1),
                Verdict::GiveUp,
            ),
        ];
        for (what, poll, elapsed, expected) in cases {
            assert_eq!(classify(&poll, elapsed, GRACE), expected, "{what}");
        }
    }

    #[test]
    fn poll_delays_stay_between_half_and_all_of_the_doubling_ceiling() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(15),
            ..RetryPolicy::default()
        };
        for poll in 1..12 {
            let ceiling = policy.backoff_ceiling(poll);
            for _ in 0..50 {
                let delay = poll_delay(&policy, poll);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "poll {poll}: {delay:?}"
                );
            }
        }
        assert_eq!(policy.backoff_ceiling(11), Duration::from_secs(15));
    }

    #[test]
    fn results_are_typed_by_sub_type() {
        use models::JobSubType as S;
        let map = |value: serde_json::Value| value.as_object().cloned();
        let registered = JobResult::decode(
            &S::RegisterCreateActivity,
            map(serde_json::json!({"creation_activity_id": "10378.1/7", "lodge_session_id": "l"}))
                .as_ref(),
        )
        .expect("decodes");
        assert_eq!(
            registered,
            JobResult::CreateActivityRegistered(ActivityRegistered {
                activity_id: "10378.1/7".into(),
                lodge_session_id: "l".into()
            })
        );
        let version = JobResult::decode(
            &S::RegisterVersionActivity,
            map(serde_json::json!({"version_activity_id": "10378.1/8", "lodge_session_id": "m"}))
                .as_ref(),
        )
        .expect("decodes");
        assert!(
            matches!(version, JobResult::VersionActivityRegistered(a) if a.activity_id == "10378.1/8")
        );
        let report = JobResult::decode(
            &S::GenerateReport,
            map(serde_json::json!({"report_url": "https://bucket.example/r.docx?X-Amz-Signature=secret"}))
                .as_ref(),
        )
        .expect("decodes");
        let shown = format!("{report:?}");
        assert!(
            shown.contains("bucket.example") && !shown.contains("secret"),
            "{shown}"
        );
        assert_eq!(
            JobResult::decode(&S::SendEmail, None).expect("decodes"),
            JobResult::Empty
        );
        assert_eq!(
            JobResult::decode(
                &S::Unknown("NEW_KIND".into()),
                map(serde_json::json!({"a": 1})).as_ref()
            )
            .expect("decodes"),
            JobResult::Other(map(serde_json::json!({"a": 1})))
        );
        assert!(
            JobResult::decode(&S::ModelRunBatchSubmit, map(serde_json::json!({})).as_ref())
                .is_err()
        );
        let batch = JobResult::decode(
            &S::ModelRunBatchSubmit,
            map(serde_json::json!({"batch_id": "b-1"})).as_ref(),
        )
        .expect("decodes");
        assert_eq!(
            batch,
            JobResult::BatchSubmitted(BatchSubmitted {
                batch_id: "b-1".into()
            })
        );
    }

    #[cfg(feature = "prov")]
    #[test]
    fn model_run_lodging_results_carry_the_lodged_record() {
        use models::JobSubType as S;
        let result = serde_json::json!({"record": {
            "id": "10378.1/42",
            "prov_json": "{}",
            "record": {
                "workflow_template_id": "10378.1/1", "inputs": [], "outputs": [],
                "display_name": "Run", "description": "a run",
                "associations": {"modeller_id": "10378.1/2"},
                "start_time": 1, "end_time": 2
            }
        }});
        for sub_type in [
            S::ModelRunProvLodge,
            S::ModelRunLodgeOnly,
            S::ModelRunUpdate,
        ] {
            match JobResult::decode(&sub_type, result.as_object()) {
                Ok(JobResult::ModelRunLodged(lodged)) => {
                    assert_eq!(lodged.record.id, "10378.1/42");
                    assert_eq!(lodged.record.record.display_name, "Run");
                }
                other => panic!("{}: {other:?}", sub_type.as_str()),
            }
        }
    }
}
