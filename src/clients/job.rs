//! The async job service: status of long-running work (lineage reports,
//! registry versioning, model run registration, ...).

use crate::models;
use crate::raw::job::Client as Raw;

/// Client of the job service (`https://job-api.{domain}`).
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
/// let job = client.job_api().fetch_job("session-id").await?;
/// println!("{:?}", job.job.status);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct JobApiClient {
    raw: Raw,
}

impl JobApiClient {
    crate::clients::raw_access!();

    /// Operations reserved to job-service administrators.
    pub fn admin(&self) -> JobApiAdminClient<'_> {
        JobApiAdminClient { raw: &self.raw }
    }

    crate::clients::common_operations!();

    crate::clients::forward! {
        /// One of the caller's jobs, by session id.
        fn fetch_job(session_id: &str) -> models::GetJobResponse => get_job(session_id);
        /// A page of the caller's jobs.
        fn list_jobs(request: &models::ListJobsRequest) -> models::ListJobsResponse => list_jobs(request);
        /// A page of the caller's jobs in one batch.
        fn list_jobs_in_batch(request: &models::ListByBatchRequest) -> models::ListByBatchResponse => list_batch(request);
    }
}

/// Administrator operations of the job service: `client.job_api().admin()`.
#[derive(Debug, Clone, Copy)]
pub struct JobApiAdminClient<'a> {
    pub(crate) raw: &'a Raw,
}

impl JobApiAdminClient<'_> {
    crate::clients::forward! {
        /// Any user's job, by session id.
        fn get_job(session_id: &str) -> models::AdminGetJobResponse => admin_get_job(session_id);
        /// Starts a job directly. Never retried once sent.
        fn launch_job(request: &models::AdminLaunchJobRequest) -> models::AdminLaunchJobResponse => launch_job(request);
        /// A page of all users' jobs.
        fn list_jobs(request: &models::AdminListJobsRequest) -> models::AdminListJobsResponse => admin_list_jobs(request);
        /// A page of the jobs of one batch, any user.
        fn list_jobs_in_batch(request: &models::AdminListByBatchRequest) -> models::AdminListByBatchResponse => admin_list_batch(request);
    }
}
