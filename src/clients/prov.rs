//! The provenance service: model run records, lineage queries, bulk CSV
//! registration and reports.

use std::path::Path;

use bytes::Bytes;

use crate::raw::prov::{Client as Raw, types};

/// Client of the provenance service (`https://prov-api.{domain}`).
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
/// let lineage = client.prov().explore_upstream("10378.1/42", Some(2)).await?;
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
        fn post_update_model_run(input: &types::PostUpdateModelRunInput) -> types::PostUpdateModelRunResponse
            => update_model_run(input);
        /// Everything upstream of an item, up to `depth` hops.
        fn explore_upstream(starting_id: &str, depth: Option<i64>) -> types::LineageResponse => explore_upstream(depth, starting_id);
        /// Everything downstream of an item, up to `depth` hops.
        fn explore_downstream(starting_id: &str, depth: Option<i64>) -> types::LineageResponse => explore_downstream(depth, starting_id);
        /// Datasets that contributed to an item.
        fn get_contributing_datasets(starting_id: &str, depth: Option<i64>) -> types::LineageResponse
            => special_contributing_datasets(depth, starting_id);
        /// Datasets affected by an item.
        fn get_effected_datasets(starting_id: &str, depth: Option<i64>) -> types::LineageResponse
            => special_effected_datasets(depth, starting_id);
        /// People and organisations that contributed to an item.
        fn get_contributing_agents(starting_id: &str, depth: Option<i64>) -> types::LineageResponse
            => special_contributing_agents(depth, starting_id);
        /// People and organisations affected by an item.
        fn get_effected_agents(starting_id: &str, depth: Option<i64>) -> types::LineageResponse
            => special_effected_agents(depth, starting_id);
        /// Registers many model runs at once, as a batch of jobs. Never retried once sent.
        fn register_batch_model_runs(batch: &types::RegisterBatchModelRunRequest) -> types::RegisterBatchModelRunResponse
            => register_batch(batch);
        /// Registers one model run. Never retried once sent.
        fn register_model_run(record: &types::ModelRunRecord) -> types::RegisterModelRunResponse => register_model_run(record);
        /// A CSV template for registering model runs of a workflow template.
        fn generate_csv_template(workflow_template_id: &str) -> bytes => generate_template_csv(workflow_template_id);
        /// The CSV that would re-register the model runs of a batch.
        fn regenerate_csv_from_model_run_batch(batch_id: &str) -> bytes => regenerate_from_batch_csv(batch_id);
        /// Starts generating a provenance report. Upstream now answers with a
        /// job session id rather than the document itself (the Python client
        /// documents `.docx` bytes); await the job through the job service.
        fn generate_report(request: &types::GenerateReportRequest) -> types::GenerateReportResponse => export_prov_graph(request);
        /// Links a model run to a study.
        fn add_study_link(model_run_id: &str, study_id: &str) -> types::AddStudyLinkResponse => add_study_link(model_run_id, study_id);
    }

    /// Converts a filled-in model run CSV into model run records
    /// (`POST /bulk/convert_model_runs/csv`, multipart field `csv_file`).
    ///
    /// Accepts bytes, a path or an async reader; paths and readers are
    /// streamed. A path that cannot be opened is an invalid-input error.
    /// The conversion only reads, so it is retried like any safe operation:
    /// bytes are sent again, while a path or a reader is sent once.
    pub async fn convert_model_runs_to_csv(
        &self,
        csv: impl Into<CsvUpload>,
    ) -> crate::Result<types::ConvertModelRunsResponse> {
        const OPERATION: &str = "convert_model_runs_csv";
        let transport = &self.raw.inner;
        let operation = transport.operation_name(OPERATION);
        let multipart = multipart_csv(csv.into())
            .await
            .map_err(|message| crate::Error::InvalidInput { operation, message })?;
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
        let request =
            request
                .body(multipart.body)
                .build()
                .map_err(|e| crate::Error::InvalidInput {
                    operation,
                    message: e.to_string(),
                })?;
        crate::transport::call_manual(transport, &self.raw.client, OPERATION, request).await
    }
}

/// A `multipart/form-data` body ready to send.
struct Multipart {
    /// The request's `Content-Type`, with the boundary.
    content_type: String,
    /// The body's length, when known before sending.
    length: Option<u64>,
    /// The body: one buffer for bytes, else a stream.
    body: reqwest::Body,
}

/// Encodes the CSV as the `csv_file` part of a `multipart/form-data` body.
/// Bytes become one reusable buffer, so that the request can be copied for a
/// retry (reqwest's own multipart form is always a stream, which cannot).
/// `Err` names a file that cannot be read.
async fn multipart_csv(csv: CsvUpload) -> Result<Multipart, String> {
    let boundary = boundary();
    let head = Bytes::from(format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csv_file\"; filename=\"model_runs.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    ));
    let tail = Bytes::from(format!("\r\n--{boundary}--\r\n"));
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let framing = (head.len() + tail.len()) as u64;
    let (body, length) = match csv {
        CsvUpload::Bytes(content) => {
            let mut body = bytes::BytesMut::with_capacity(head.len() + content.len() + tail.len());
            body.extend_from_slice(&head);
            body.extend_from_slice(&content);
            body.extend_from_slice(&tail);
            let length = body.len() as u64;
            (reqwest::Body::from(body.freeze()), Some(length))
        }
        CsvUpload::Path(path) => {
            let cannot = |e: std::io::Error| format!("cannot open {}: {e}", path.display());
            let file = tokio::fs::File::open(&path).await.map_err(cannot)?;
            let length = file.metadata().await.ok().map(|m| framing + m.len());
            (framed(head, file, tail), length)
        }
        CsvUpload::Reader(reader) => (framed(head, reader, tail), None),
    };
    Ok(Multipart {
        content_type,
        length,
        body,
    })
}

/// A boundary of 256 random bits, as reqwest draws its own: content that
/// happens to contain it is not a practical concern.
fn boundary() -> String {
    let draw = || fastrand::u64(..);
    format!(
        "{:016x}-{:016x}-{:016x}-{:016x}",
        draw(),
        draw(),
        draw(),
        draw()
    )
}

/// `head`, the reader's bytes as they are read, then `tail`, as one stream.
fn framed(
    head: Bytes,
    reader: impl tokio::io::AsyncRead + Send + 'static,
    tail: Bytes,
) -> reqwest::Body {
    use futures_util::{StreamExt, stream};
    let content = tokio_util::io::ReaderStream::new(reader);
    let stream = stream::iter([Ok::<_, std::io::Error>(head)])
        .chain(content)
        .chain(stream::iter([Ok(tail)]));
    reqwest::Body::wrap_stream(stream)
}

/// Administrator operations of the provenance service: `client.prov().admin()`.
#[derive(Debug, Clone, Copy)]
pub struct ProvAdminClient<'a> {
    raw: &'a Raw,
}

impl ProvAdminClient<'_> {
    crate::clients::forward! {
        /// Re-stores the provenance of every registry record.
        fn store_all_registry_records(validate_record: Option<bool>) -> types::StatusResponse
            => store_all_registry_records(validate_record);
        /// Stores the provenance of one model run record.
        fn store_record(record: &types::ItemModelRun, validate_record: Option<bool>) -> types::StatusResponse
            => store_record(validate_record, record);
        /// Stores the provenance of several model run records.
        fn store_records(records: &Vec<types::ItemModelRun>, validate_record: Option<bool>) -> types::StatusResponse
            => store_records(validate_record, records);
    }
}
