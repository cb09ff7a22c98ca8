//! [`TransferError`]: what can go wrong while moving a dataset's files.

use std::path::PathBuf;

/// The `store` name under which the credential provider hands an API error
/// to object_store, so that it can be taken out again.
pub(crate) const PROVIDER_STORE: &str = "provena-datastore-credentials";

/// Everything that can go wrong listing, downloading or uploading a
/// dataset's files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// A call to the data store failed: fetching the dataset's S3 location,
    /// or its temporary credentials (also when that happens mid-transfer).
    #[error("data store: {0}")]
    Api(#[from] crate::Error),
    /// The data store answered without the dataset's item, so its files'
    /// location is unknown.
    #[error("dataset {dataset_id}: the data store's answer holds no item (no S3 location)")]
    NoLocation {
        /// The dataset asked for.
        dataset_id: String,
    },
    /// An S3 request failed (after object_store's retries).
    #[error("S3 {action} of {key}: {source}")]
    Storage {
        /// What was being done: `list`, `get`, `put`, ...
        action: &'static str,
        /// The key (or prefix) concerned.
        key: String,
        /// object_store's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A key (from the bucket listing, or given by the caller) that cannot be
    /// used: it would leave the destination directory or the dataset's
    /// prefix. Nothing is written for it.
    #[error("key {key:?} refused: {reason}")]
    UnsafeKey {
        /// The key or path as given.
        key: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// No file of the dataset has this path (nor is it a folder of files).
    #[error("dataset has no file or folder {path:?}")]
    NotFound {
        /// The path inside the dataset that was asked for.
        path: String,
    },
    /// Reading or writing a local file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The local file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes received or sent are not as many as S3 says the object has.
    #[error("{key}: size mismatch: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// The object's key.
        key: String,
        /// The size S3 announced (or the local file had when the upload began).
        expected: u64,
        /// The bytes transferred.
        actual: u64,
    },
    /// The MD5 of the bytes does not match the object's ETag.
    #[error("{key}: checksum mismatch: ETag {expected}, computed {actual}")]
    ChecksumMismatch {
        /// The object's key.
        key: String,
        /// The ETag S3 gave.
        expected: String,
        /// The ETag computed from the bytes.
        actual: String,
    },
    /// An option is out of range (part size, concurrency, endpoint).
    #[error("invalid transfer setting: {0}")]
    Config(String),
    /// Another resumable download (in this process or another) is writing
    /// the partial file of the same file at the same destination. Nothing
    /// was written; try again once it has finished.
    #[error("{}: another download is writing this partial file", path.display())]
    PartialInUse {
        /// The partial file (`.<name>.provena-part` beside the final name).
        path: PathBuf,
    },
    /// The transfer was cancelled; files not yet complete were removed (or,
    /// in a resumable download, kept as partial files).
    #[error("transfer cancelled")]
    Cancelled,
    /// A worker task panicked or was aborted from outside.
    #[error("transfer task failed: {0}")]
    Task(String),
}

impl TransferError {
    /// An object_store failure, with an API error from the credential
    /// provider taken back out as [`TransferError::Api`].
    pub(crate) fn from_store(action: &'static str, key: &str, error: object_store::Error) -> Self {
        match error {
            object_store::Error::Generic { store, source } if store == PROVIDER_STORE => {
                match source.downcast::<crate::Error>() {
                    Ok(api) => TransferError::Api(*api),
                    Err(source) => TransferError::Storage {
                        action,
                        key: key.to_string(),
                        source,
                    },
                }
            }
            // A listed key object_store will not parse (`..`, `//`, control
            // characters): refused, naming that key.
            object_store::Error::InvalidPath { source } => {
                let (bad, reason) = invalid_path(&source);
                TransferError::UnsafeKey {
                    key: bad.unwrap_or(key).to_string(),
                    reason,
                }
            }
            other => TransferError::Storage {
                action,
                key: key.to_string(),
                source: Box::new(other),
            },
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TransferError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn refused(key: &str, refusal: super::paths::Refusal) -> Self {
        TransferError::UnsafeKey {
            key: key.to_string(),
            reason: refusal.reason(),
        }
    }
}

fn invalid_path(error: &object_store::path::Error) -> (Option<&str>, &'static str) {
    use object_store::path::Error as PathError;
    match error {
        PathError::EmptySegment { path } => {
            (Some(path), "has an empty segment (a leading `/` or `//`)")
        }
        PathError::BadSegment { path, .. } => (
            Some(path),
            "has a `.` or `..` segment or a control character",
        ),
        _ => (None, "is not a valid object path"),
    }
}
