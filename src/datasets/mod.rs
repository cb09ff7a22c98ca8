//! A dataset's files on S3 (feature `s3`): list them, download all of them or
//! one path, upload a file or a directory tree.
//!
//! The data store keeps each dataset's files under one key prefix of its
//! bucket (`item.s3` of [`fetch_dataset`]) and hands out temporary keys
//! scoped to that prefix. [`DatasetFiles`] does the rest: it fetches the
//! location once, asks for read or write keys when first needed and again
//! before they expire (also in the middle of a long transfer), and moves
//! bytes with [object_store](https://docs.rs/object_store).
//!
//! ```no_run
//! # async fn run(client: provena_client::ProvenaClient) -> Result<(), provena_client::datasets::TransferError> {
//! let files = client.datastore().files("10378.1/1234");
//! for file in files.list().await? {
//!     println!("{} ({} bytes)", file.path, file.size);
//! }
//! files.upload_dir("./results").concurrency(8).send().await?;
//! files.download("results/summary.csv", "./copy").send().await?;
//! # Ok(()) }
//! ```
//!
//! # What a transfer guarantees
//!
//! - **Streamed, bounded.** Downloads stream each object to disk; uploads
//!   read files part by part. At most `concurrency` files move at once (4 by
//!   default), and a file larger than the part size (8 MiB by default, at
//!   least 5 MiB as S3 requires) is uploaded in parts, two in flight.
//! - **No half-written files.** A download writes to a temporary file in the
//!   destination directory and renames it to its final name only once it is
//!   complete and verified; on any failure or cancellation the temporary file
//!   is removed. An existing file of the same name is replaced by the rename.
//!   An upload cancelled mid-way aborts its multipart upload.
//! - **Resumable on request.** With [`Download::resume`] the temporary file
//!   has a fixed hidden name (`.<name>.provena-part`, plus a sidecar naming
//!   the object's ETag and size) and is kept on failure or cancellation; the
//!   next such download continues it with a ranged GET if the object is
//!   unchanged, and starts over if not.
//! - **Verified.** The bytes received must be as many as S3 announced. When
//!   an object's ETag is a plain MD5 (a single-part upload without KMS
//!   encryption) the MD5 of the bytes must match it; after an upload, the
//!   ETag S3 answers must equal the MD5 (or, for multipart uploads, the MD5
//!   of the parts' MD5s with `-<parts>`) of what was sent. Other ETags
//!   (multipart uploads by other tools, KMS-encrypted buckets) cannot be
//!   checked this way and only the size is; [`DatasetFiles::verify_checksums`]
//!   turns the MD5 check off for buckets where it never holds.
//! - **Never outside the destination.** A key becomes a local path in one
//!   place, which refuses `..` and `.` segments, empty segments (a leading
//!   `/`), backslashes, colons, NUL bytes and keys outside the dataset's
//!   prefix ([`TransferError::UnsafeKey`]). A listing with such a key fails
//!   the whole download before anything is written. Zero-byte "folder
//!   marker" objects (a key that other keys lie under) are skipped.
//! - **Fails fast.** The first failing file stops the others (their
//!   temporary files removed, or kept in resume mode) and its error is the
//!   transfer's.
//!
//! [`fetch_dataset`]: crate::clients::datastore::DatastoreClient::fetch_dataset

mod credentials;
mod download;
mod error;
mod handle;
mod paths;
mod upload;

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt;
use object_store::ObjectStore;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use tokio::sync::OnceCell;

use crate::clients::datastore::DatastoreClient;
use credentials::{Access, DatastoreCredentials};

pub use credentials::REFRESH_MARGIN;
pub use download::Download;
pub use error::TransferError;
pub use handle::{Canceller, Progress, TransferHandle, TransferSummary, TransferredFile};
pub use upload::Upload;

/// The region used unless [`DatasetFiles::region`] says otherwise: where
/// Provena's deployments keep their buckets.
pub const DEFAULT_REGION: &str = "ap-southeast-2";
/// The default part size of multipart uploads (8 MiB).
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;
/// The smallest part size S3 accepts (5 MiB).
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// The default number of files moved at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// How many times a failed S3 request (or a body cut off mid-way) is tried
/// again, with exponential backoff, unless [`DatasetFiles::retries`] says
/// otherwise.
pub const DEFAULT_RETRIES: usize = 5;
/// Parts of one file in flight at once during a multipart upload.
const PARTS_IN_FLIGHT: usize = 2;

impl DatastoreClient {
    /// The files of dataset `dataset_id` (feature `s3`): see
    /// [`crate::datasets`].
    ///
    /// ```no_run
    /// # async fn run(client: provena_client::ProvenaClient) -> Result<(), provena_client::datasets::TransferError> {
    /// let summary = client
    ///     .datastore()
    ///     .files("10378.1/1234")
    ///     .download_all("./dataset")
    ///     .send()
    ///     .await?;
    /// println!("{} files, {} bytes", summary.files.len(), summary.bytes);
    /// # Ok(()) }
    /// ```
    pub fn files(&self, dataset_id: impl Into<String>) -> DatasetFiles {
        DatasetFiles::new(self.clone(), dataset_id.into())
    }
}

/// One file of a dataset, as [`DatasetFiles::list`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatasetFile {
    /// Its path inside the dataset (`/`-separated, without the prefix).
    pub path: String,
    /// Its full S3 key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag, without quotes, if S3 gave one.
    pub e_tag: Option<String>,
    /// When it was last written.
    pub last_modified: chrono::DateTime<chrono::Utc>,
}

/// Settings of a [`DatasetFiles`].
#[derive(Debug, Clone)]
struct Settings {
    endpoint: Option<String>,
    region: String,
    part_size: usize,
    concurrency: usize,
    verify_checksums: bool,
    retries: usize,
}

/// Where a dataset's files are: its bucket and key prefix, as the data
/// store's `item.s3` says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Location {
    /// The S3 bucket.
    pub bucket: String,
    /// The key prefix, ending in `/` (or empty).
    pub prefix: String,
}

/// What the transfers of one [`DatasetFiles`] share.
#[derive(Debug)]
struct Shared {
    datastore: DatastoreClient,
    dataset_id: String,
    settings: Settings,
    location: OnceCell<Location>,
    read: OnceCell<Arc<Store>>,
    write: OnceCell<Arc<Store>>,
}

/// An S3 client for the dataset's bucket with one kind of credentials.
#[derive(Debug)]
pub(crate) struct Store {
    s3: AmazonS3,
    location: Location,
    settings: Settings,
}

/// The files of one dataset: the entry point of this module, from
/// [`DatastoreClient::files`]. Cheap to clone; clones share the dataset's
/// location and credentials.
///
/// Settings (`s3_endpoint`, `region`, `part_size`, ...) are chained before
/// the first transfer: each returns a fresh value that fetches its location
/// and credentials again.
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> Result<(), provena_client::datasets::TransferError> {
/// let files = client
///     .datastore()
///     .files("10378.1/1234")
///     .part_size(16 * 1024 * 1024)
///     .concurrency(2);
/// files.upload_file("./big.nc", "model/output.nc").send().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DatasetFiles {
    shared: Arc<Shared>,
}

impl DatasetFiles {
    fn new(datastore: DatastoreClient, dataset_id: String) -> Self {
        let settings = Settings {
            endpoint: None,
            region: DEFAULT_REGION.to_string(),
            part_size: DEFAULT_PART_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            verify_checksums: true,
            retries: DEFAULT_RETRIES,
        };
        Self::with_settings(datastore, dataset_id, settings)
    }

    fn with_settings(datastore: DatastoreClient, dataset_id: String, settings: Settings) -> Self {
        Self {
            shared: Arc::new(Shared {
                datastore,
                dataset_id,
                settings,
                location: OnceCell::new(),
                read: OnceCell::new(),
                write: OnceCell::new(),
            }),
        }
    }

    fn change(self, edit: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = self.shared.settings.clone();
        edit(&mut settings);
        Self::with_settings(
            self.shared.datastore.clone(),
            self.shared.dataset_id.clone(),
            settings,
        )
    }

    /// An S3-compatible endpoint instead of AWS (`http://127.0.0.1:9000`,
    /// ...); requests then use path-style URLs. `http://` is allowed.
    pub fn s3_endpoint(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.change(|s| s.endpoint = Some(url))
    }

    /// The bucket's AWS region ([`DEFAULT_REGION`] unless set).
    pub fn region(self, region: impl Into<String>) -> Self {
        let region = region.into();
        self.change(|s| s.region = region)
    }

    /// The part size of multipart uploads, and the size above which a file
    /// is uploaded in parts. At least [`MIN_PART_SIZE`] (checked when a
    /// transfer starts).
    pub fn part_size(self, bytes: usize) -> Self {
        self.change(|s| s.part_size = bytes)
    }

    /// How many files move at once (at least 1), unless a transfer's builder
    /// says otherwise.
    pub fn concurrency(self, files: usize) -> Self {
        self.change(|s| s.concurrency = files)
    }

    /// Whether MD5 ETags are checked (on by default; see the module
    /// documentation). Sizes are always checked.
    pub fn verify_checksums(self, verify: bool) -> Self {
        self.change(|s| s.verify_checksums = verify)
    }

    /// How many times a failed S3 request, or a download whose connection
    /// broke mid-body, is tried again ([`DEFAULT_RETRIES`]; 0 for none).
    pub fn retries(self, retries: usize) -> Self {
        self.change(|s| s.retries = retries)
    }

    /// The dataset's id.
    pub fn dataset_id(&self) -> &str {
        &self.shared.dataset_id
    }

    /// The dataset's bucket and key prefix (fetched once).
    pub async fn location(&self) -> Result<Location, TransferError> {
        Ok(self.shared.location().await?.clone())
    }

    /// Every file of the dataset, in key order (with read credentials).
    pub async fn list(&self) -> Result<Vec<DatasetFile>, TransferError> {
        let store = self.shared.store(Access::Read).await?;
        store.list_under(&store.location.prefix).await
    }

    /// Downloads every file of the dataset into `dest` (created if missing),
    /// each at its path inside the dataset.
    pub fn download_all(&self, dest: impl Into<PathBuf>) -> Download {
        Download::new(self.clone(), None, dest.into())
    }

    /// Downloads one path of the dataset into `dest`, at that path under it:
    /// a file, or every file under a folder of the dataset.
    pub fn download(&self, path: impl Into<String>, dest: impl Into<PathBuf>) -> Download {
        Download::new(self.clone(), Some(path.into()), dest.into())
    }

    /// Uploads the local file `src` to path `key` inside the dataset.
    pub fn upload_file(&self, src: impl Into<PathBuf>, key: impl Into<String>) -> Upload {
        Upload::file(self.clone(), src.into(), key.into())
    }

    /// Uploads every regular file under the local directory `src`, each to
    /// its path relative to `src` inside the dataset (symbolic links are not
    /// followed).
    pub fn upload_dir(&self, src: impl Into<PathBuf>) -> Upload {
        Upload::dir(self.clone(), src.into())
    }

    pub(crate) async fn store(&self, access: Access) -> Result<Arc<Store>, TransferError> {
        self.shared.store(access).await
    }

    pub(crate) fn settings_concurrency(&self) -> usize {
        self.shared.settings.concurrency
    }
}

impl Shared {
    async fn location(&self) -> Result<&Location, TransferError> {
        self.location
            .get_or_try_init(|| async {
                let fetched = self.datastore.fetch_dataset(&self.dataset_id).await?;
                let item = fetched.item.ok_or_else(|| TransferError::NoLocation {
                    dataset_id: self.dataset_id.clone(),
                })?;
                Ok(Location {
                    bucket: item.s3.bucket_name,
                    prefix: paths::normalise_prefix(&item.s3.path),
                })
            })
            .await
    }

    async fn store(&self, access: Access) -> Result<Arc<Store>, TransferError> {
        let cell = match access {
            Access::Read => &self.read,
            Access::Write => &self.write,
        };
        let store = cell
            .get_or_try_init(|| async {
                let location = self.location().await?.clone();
                let provider = DatastoreCredentials::new(
                    self.datastore.clone(),
                    self.dataset_id.clone(),
                    access,
                );
                Ok::<_, TransferError>(Arc::new(Store::build(
                    location,
                    self.settings.clone(),
                    Arc::new(provider),
                )?))
            })
            .await?;
        Ok(Arc::clone(store))
    }
}

impl Store {
    fn build(
        location: Location,
        settings: Settings,
        credentials: Arc<DatastoreCredentials>,
    ) -> Result<Self, TransferError> {
        if settings.part_size < MIN_PART_SIZE {
            return Err(TransferError::Config(format!(
                "part size {} is below S3's minimum of {MIN_PART_SIZE} bytes",
                settings.part_size
            )));
        }
        if settings.concurrency == 0 {
            return Err(TransferError::Config(
                "concurrency must be at least 1".into(),
            ));
        }
        crate::install_crypto_provider();
        let user_agent =
            http::HeaderValue::from_static(concat!("provena-client/", env!("CARGO_PKG_VERSION")));
        // No whole-request timeout (a large object streams for as long as
        // it takes); a stalled connection fails after a minute of silence.
        let options = object_store::ClientOptions::new()
            .with_user_agent(user_agent)
            .with_timeout_disabled()
            .with_connect_timeout(std::time::Duration::from_secs(10))
            .with_read_timeout(std::time::Duration::from_secs(60));
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&location.bucket)
            .with_region(&settings.region)
            .with_credentials(credentials)
            .with_client_options(options)
            .with_retry(object_store::RetryConfig {
                max_retries: settings.retries,
                ..Default::default()
            });
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        let s3 = builder
            .build()
            .map_err(|e| TransferError::Config(format!("cannot build the S3 client: {e}")))?;
        Ok(Self {
            s3,
            location,
            settings,
        })
    }

    /// An object_store path for a full key, keeping the key as it is.
    pub(crate) fn object_path(&self, key: &str) -> Result<object_store::path::Path, TransferError> {
        object_store::path::Path::parse(key)
            .map_err(|e| TransferError::from_store("parse", key, object_store::Error::from(e)))
    }

    /// The files under `prefix` (a full key prefix ending in `/`), sorted.
    pub(crate) async fn list_under(&self, prefix: &str) -> Result<Vec<DatasetFile>, TransferError> {
        let base = self.object_path(prefix.trim_end_matches('/'))?;
        let base = (!prefix.is_empty()).then_some(base);
        let mut listing = self.s3.list(base.as_ref());
        let mut files = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| TransferError::from_store("list", prefix, e))?;
            files.push(self.file_of(meta)?);
        }
        files.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(files)
    }

    /// A listed object as a [`DatasetFile`], its key checked.
    pub(crate) fn file_of(
        &self,
        meta: object_store::ObjectMeta,
    ) -> Result<DatasetFile, TransferError> {
        let key = meta.location.to_string();
        let path = paths::relative_key(&self.location.prefix, &key)
            .map_err(|refusal| TransferError::refused(&key, refusal))?
            .to_string();
        Ok(DatasetFile {
            path,
            key,
            size: meta.size,
            e_tag: meta.e_tag.map(|tag| unquote(&tag).to_string()),
            last_modified: meta.last_modified,
        })
    }
}

/// An ETag without its quotes.
pub(crate) fn unquote(tag: &str) -> &str {
    tag.trim_matches('"')
}

/// Lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Whether `tag` is a plain MD5 (32 hex digits), the ETag of a single-part
/// upload without KMS encryption.
pub(crate) fn is_plain_md5(tag: &str) -> bool {
    tag.len() == 32 && tag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `tag` has the shape of a multipart ETag (`<md5>-<parts>`).
pub(crate) fn is_multipart_md5(tag: &str) -> bool {
    match tag.split_once('-') {
        Some((md5, parts)) => {
            is_plain_md5(md5) && !parts.is_empty() && parts.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}
