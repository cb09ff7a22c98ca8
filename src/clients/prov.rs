//! The provenance service: model run records, lineage queries, bulk CSV
//! registration and reports.

use std::num::NonZeroU64;
use std::path::Path;

use bytes::Bytes;

use crate::models;
use crate::raw::prov::Client as Raw;

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

/// The CSV to upload to [`ProvClient::convert_model_runs_to_csv`].
pub enum CsvUpload {
    /// The file's contents, already in memory.
    Bytes(Bytes),
    /// A file on disk, streamed as it is read.
    Path(std::path::PathBuf),
    /// Any async reader, streamed as it is read (never read whole into memory).
    Reader(std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send + Sync>>),
}

impl std::fmt::Debug for CsvUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CsvUpload::Bytes(bytes) => write!(f, "CsvUpload::Bytes({} bytes)", bytes.len()),
            CsvUpload::Path(path) => write!(f, "CsvUpload::Path({})", path.display()),
            CsvUpload::Reader(_) => f.write_str("CsvUpload::Reader(..)"),
        }
    }
}

impl CsvUpload {
    /// Streams from any async reader.
    pub fn reader(reader: impl tokio::io::AsyncRead + Send + Sync + 'static) -> Self {
        CsvUpload::Reader(Box::pin(reader))
    }
}

impl From<Bytes> for CsvUpload {
    fn from(bytes: Bytes) -> Self {
        CsvUpload::Bytes(bytes)
    }
}

impl From<Vec<u8>> for CsvUpload {
    fn from(bytes: Vec<u8>) -> Self {
        CsvUpload::Bytes(bytes.into())
    }
}

impl From<&Path> for CsvUpload {
    fn from(path: &Path) -> Self {
        CsvUpload::Path(path.to_path_buf())
    }
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
    /// Accepts bytes, a path or an async reader; paths and readers are
    /// streamed. A path that cannot be opened is an invalid-input error.
    pub async fn convert_model_runs_to_csv(
        &self,
        csv: impl Into<CsvUpload>,
    ) -> crate::Result<models::ConvertModelRunsResponse> {
        const OPERATION: &str = "convert_model_runs_csv";
        let transport = &self.raw.inner;
        let operation = transport.operation_name(OPERATION);
        let (body, length) = match csv.into() {
            CsvUpload::Bytes(bytes) => {
                let length = bytes.len() as u64;
                (reqwest::Body::from(bytes), Some(length))
            }
            CsvUpload::Path(path) => {
                let file =
                    tokio::fs::File::open(&path)
                        .await
                        .map_err(|e| crate::Error::InvalidInput {
                            operation,
                            message: format!("cannot open {}: {e}", path.display()),
                        })?;
                let length = file.metadata().await.ok().map(|m| m.len());
                (
                    reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file)),
                    length,
                )
            }
            CsvUpload::Reader(reader) => (
                reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(reader)),
                None,
            ),
        };
        let part = match length {
            Some(length) => reqwest::multipart::Part::stream_with_length(body, length),
            None => reqwest::multipart::Part::stream(body),
        }
        .file_name("model_runs.csv")
        .mime_str("text/csv")
        .map_err(|e| crate::Error::InvalidInput {
            operation,
            message: e.to_string(),
        })?;
        let form = reqwest::multipart::Form::new().part("csv_file", part);
        let url = format!("{}/bulk/convert_model_runs/csv", self.raw.baseurl);
        let request = self
            .raw
            .client
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(form)
            .build()
            .map_err(|e| crate::Error::InvalidInput {
                operation,
                message: e.to_string(),
            })?;
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
        fn store_records(records: &[models::ItemModelRun], validate_record: Option<bool>) -> models::StatusResponse
            => store_records(validate_record, &records.to_vec());
    }
}
