//! The provenance service: model run records, lineage queries, bulk CSV
//! registration and reports.

use std::num::NonZeroU64;

use crate::Upload;
use crate::models;
use crate::raw::prov::Client as Raw;
use crate::upload::FilePart;

/// Client of the provenance service (`https://prov-api.{domain}`).
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
/// let lineage = client.prov().explore_upstream("10378.1/42", std::num::NonZeroU64::new(2)).await?;
/// println!("{:?}", lineage.record_count);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ProvClient {
    raw: Raw,
}

/// Lineage depths are `NonZeroU64` everywhere, the type the report request
/// (`GenerateReportRequest::depth`) has: `NonZeroU64::new(2)` reads as "two
/// hops, or the server's default for zero". The query parameter is a plain
/// integer.
fn depth_param(depth: Option<NonZeroU64>) -> Option<i64> {
    depth.map(|d| i64::try_from(d.get()).unwrap_or(i64::MAX))
}

impl ProvClient {
    crate::clients::raw_access!();

    /// Operations reserved to provenance-service administrators.
    pub fn admin(&self) -> ProvAdminClient<'_> {
        ProvAdminClient { raw: &self.raw }
    }

    crate::clients::common_operations!();

    crate::clients::forward! {
        /// Replaces a registered model run's record, recording a reason
        /// (the input carries the model run id, the reason and the record).
        fn post_update_model_run(input: &models::PostUpdateModelRunInput) -> models::PostUpdateModelRunResponse
            => update_model_run(input);
        /// Everything upstream of an item, up to `depth` hops (`None`: the
        /// server's default; a depth above its limit is a 400).
        fn explore_upstream(starting_id: &str, depth: Option<NonZeroU64>) -> models::LineageResponse => explore_upstream(depth_param(depth), starting_id);
        /// Everything downstream of an item, up to `depth` hops.
        fn explore_downstream(starting_id: &str, depth: Option<NonZeroU64>) -> models::LineageResponse => explore_downstream(depth_param(depth), starting_id);
        /// Datasets that contributed to an item.
        fn get_contributing_datasets(starting_id: &str, depth: Option<NonZeroU64>) -> models::LineageResponse
            => special_contributing_datasets(depth_param(depth), starting_id);
        /// Datasets affected by an item.
        fn get_effected_datasets(starting_id: &str, depth: Option<NonZeroU64>) -> models::LineageResponse
            => special_effected_datasets(depth_param(depth), starting_id);
        /// People and organisations that contributed to an item.
        fn get_contributing_agents(starting_id: &str, depth: Option<NonZeroU64>) -> models::LineageResponse
            => special_contributing_agents(depth_param(depth), starting_id);
        /// People and organisations affected by an item.
        fn get_effected_agents(starting_id: &str, depth: Option<NonZeroU64>) -> models::LineageResponse
            => special_effected_agents(depth_param(depth), starting_id);
        /// Registers many model runs at once, as a batch of jobs. Never retried once sent.
        fn register_batch_model_runs(batch: &models::RegisterBatchModelRunRequest) -> models::RegisterBatchModelRunResponse
            => register_batch(batch);
        /// Registers one model run. Never retried once sent.
        fn register_model_run(record: &models::ModelRunRecord) -> models::RegisterModelRunResponse => register_model_run(record);
        /// A CSV template for registering model runs of a workflow template.
        fn generate_csv_template(workflow_template_id: &str) -> bytes => generate_template_csv(workflow_template_id);
        /// The CSV that would re-register the model runs of a batch.
        fn regenerate_csv_from_model_run_batch(batch_id: &str) -> bytes => regenerate_from_batch_csv(batch_id);
        /// Starts generating a provenance report. Upstream now answers with a
        /// job session id rather than the document itself (the Python client
        /// documents `.docx` bytes); await the job through the job service.
        fn generate_report(request: &models::GenerateReportRequest) -> models::GenerateReportResponse => export_prov_graph(request);
        /// Links a model run to a study.
        fn add_study_link(model_run_id: &str, study_id: &str) -> models::AddStudyLinkResponse => add_study_link(model_run_id, study_id);
    }

    /// Converts a filled-in model run CSV into model run records
    /// (`POST /bulk/convert_model_runs/csv`, multipart field `csv_file`).
    ///
    /// Takes the CSV as bytes or text (`Vec<u8>`, `&[u8]`, `Bytes`, `String`,
    /// `&str`), as a file (`&Path`, `PathBuf`, [`Upload::from_path`]) or as an
    /// async reader ([`Upload::reader`]); see [`Upload`]. The conversion only
    /// reads, so it is retried like any safe operation: content in memory is
    /// sent again, while a file or a reader is streamed and sent once. A file
    /// that cannot be opened is an [`crate::Error::InvalidInput`] naming the
    /// path, and nothing is sent.
    ///
    /// ```no_run
    /// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
    /// let template = client.prov().generate_csv_template("10378.1/7").await?;
    /// let filled = format!("{}run one,first\n", String::from_utf8_lossy(&template));
    /// let converted = client.prov().convert_model_runs_to_csv(filled).await?;
    /// println!("{:?}", converted.new_records);
    /// # Ok(()) }
    /// ```
    pub async fn convert_model_runs_to_csv(
        &self,
        csv: impl Into<Upload>,
    ) -> crate::Result<models::ConvertModelRunsResponse> {
        const OPERATION: &str = "convert_model_runs_csv";
        const PART: FilePart<'static> = FilePart {
            field: "csv_file",
            file_name: "model_runs.csv",
            content_type: "text/csv",
        };
        let transport = &self.raw.inner;
        let operation = transport.operation_name(OPERATION);
        let invalid = |message| crate::Error::InvalidInput { operation, message };
        let multipart = csv.into().into_multipart(PART).await.map_err(invalid)?;
        let url = format!("{}/bulk/convert_model_runs/csv", self.raw.baseurl);
        let mut request = self
            .raw
            .client
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, multipart.content_type);
        if let Some(length) = multipart.length {
            request = request.header(reqwest::header::CONTENT_LENGTH, length);
        }
        let request = request
            .body(multipart.body)
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        crate::transport::call_manual(transport, &self.raw.client, OPERATION, request).await
    }
}

/// Administrator operations of the provenance service: `client.prov().admin()`.
#[derive(Debug, Clone, Copy)]
pub struct ProvAdminClient<'a> {
    raw: &'a Raw,
}

impl ProvAdminClient<'_> {
    crate::clients::forward! {
        /// Re-stores the provenance of every registry record.
        fn store_all_registry_records(validate_record: Option<bool>) -> models::StatusResponse
            => store_all_registry_records(validate_record);
        /// Stores the provenance of one model run record.
        fn store_record(record: &models::ItemModelRun, validate_record: Option<bool>) -> models::StatusResponse
            => store_record(validate_record, record);
        /// Stores the provenance of several model run records.
        fn store_multiple_records(records: &[models::ItemModelRun], validate_record: Option<bool>) -> models::StatusResponse
            => store_records(validate_record, &records.to_vec());
    }
}
