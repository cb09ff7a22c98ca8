//! Uploads: plan (walk the source, check every key), then send each file in
//! one request or, above the part size, as a multipart upload; check the
//! ETag S3 answers against the MD5 of what was sent.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::BytesMut;
use md5::{Digest, Md5};
use object_store::{ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use super::credentials::Access;
use super::handle::{self, Options, Reporter, or_cancelled};
use super::{
    DatasetFiles, PARTS_IN_FLIGHT, Store, TransferError, TransferHandle, TransferSummary,
    TransferredFile, hex, is_multipart_md5, is_plain_md5, paths, unquote,
};

/// What an upload sends.
#[derive(Debug)]
enum Source {
    /// One file, to one path inside the dataset.
    File { src: PathBuf, key: String },
    /// Every file under a directory.
    Dir { src: PathBuf },
}

/// An upload being configured, from [`DatasetFiles::upload_file`] or
/// [`DatasetFiles::upload_dir`]; [`Upload::start`] or [`Upload::send`] runs
/// it (with the data store's write credentials).
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> Result<(), provena_client::datasets::TransferError> {
/// let handle = client
///     .datastore()
///     .files("10378.1/1234")
///     .upload_dir("./outputs")
///     .start();
/// // ... later, or from another task:
/// handle.cancel();
/// let outcome = handle.join().await; // Err(TransferError::Cancelled) unless it had finished
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "an upload does nothing until `start()` or `send()`"]
pub struct Upload {
    files: DatasetFiles,
    source: Source,
    options: Options,
}

/// One planned file.
struct Planned {
    local: PathBuf,
    relative: String,
    key: String,
}

impl Upload {
    pub(crate) fn file(files: DatasetFiles, src: PathBuf, key: String) -> Self {
        Self {
            files,
            source: Source::File { src, key },
            options: Options::default(),
        }
    }

    pub(crate) fn dir(files: DatasetFiles, src: PathBuf) -> Self {
        Self {
            files,
            source: Source::Dir { src },
            options: Options::default(),
        }
    }

    super::handle::transfer_options!("upload", "part handed to S3");

    /// Starts the upload in the background.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, as `tokio::spawn` does.
    pub fn start(self) -> TransferHandle {
        let Upload {
            files,
            source,
            options,
        } = self;
        let cancel = options.cancel.token().clone();
        let concurrency = options.concurrency.unwrap_or(files.settings_concurrency());
        handle::spawn(&options, move |reporter| async move {
            let store = files.store(Access::Write).await?;
            let planned = or_cancelled(&cancel, plan(&store, source)).await??;
            let mut total = 0;
            for file in &planned {
                let meta = tokio::fs::metadata(&file.local)
                    .await
                    .map_err(|e| TransferError::io(&file.local, e))?;
                total += meta.len();
            }
            reporter.update(|p| {
                p.files_total = planned.len() as u64;
                p.bytes_total = total;
            });
            handle::run_jobs(planned, concurrency, &cancel, |file, stop| {
                upload_one(Arc::clone(&store), file, reporter.clone(), stop)
            })
            .await
        })
    }

    /// Runs the upload to its end.
    pub async fn send(self) -> Result<TransferSummary, TransferError> {
        self.start().join().await
    }
}

/// The files to upload and their keys, every key checked first.
async fn plan(store: &Store, source: Source) -> Result<Vec<Planned>, TransferError> {
    let prefix = &store.location.prefix;
    match source {
        Source::File { src, key } => {
            let full = paths::key_for(prefix, &key)
                .map_err(|refusal| TransferError::refused(&key, refusal))?;
            Ok(vec![Planned {
                local: src,
                relative: key,
                key: full,
            }])
        }
        Source::Dir { src } => {
            let mut planned = Vec::new();
            for local in walk(&src).await? {
                let relative = paths::relative_of(&src, &local)
                    .map_err(|refusal| TransferError::refused(&local.to_string_lossy(), refusal))?;
                let key = paths::key_for(prefix, &relative)
                    .map_err(|refusal| TransferError::refused(&relative, refusal))?;
                planned.push(Planned {
                    local,
                    relative,
                    key,
                });
            }
            Ok(planned)
        }
    }
}

/// Every regular file under `root`, sorted; symbolic links are skipped.
async fn walk(root: &std::path::Path) -> Result<Vec<PathBuf>, TransferError> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let mut entries = tokio::fs::read_dir(&dir)
            .await
            .map_err(|e| TransferError::io(&dir, e))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| TransferError::io(&dir, e))?
        {
            let kind = entry
                .file_type()
                .await
                .map_err(|e| TransferError::io(entry.path(), e))?;
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Reads up to `limit` bytes (less only at the end of the file).
async fn read_part(
    file: &mut tokio::fs::File,
    limit: usize,
    local: &std::path::Path,
) -> Result<BytesMut, TransferError> {
    let mut buffer = BytesMut::with_capacity(limit);
    while buffer.len() < limit {
        let mut chunk = (&mut *file).take((limit - buffer.len()) as u64);
        let read = chunk
            .read_buf(&mut buffer)
            .await
            .map_err(|e| TransferError::io(local, e))?;
        if read == 0 {
            break;
        }
    }
    Ok(buffer)
}

async fn upload_one(
    store: Arc<Store>,
    planned: Planned,
    reporter: Reporter,
    stop: CancellationToken,
) -> Result<TransferredFile, TransferError> {
    let Planned {
        local,
        relative,
        key,
    } = planned;
    let mut file = tokio::fs::File::open(&local)
        .await
        .map_err(|e| TransferError::io(&local, e))?;
    let size = file
        .metadata()
        .await
        .map_err(|e| TransferError::io(&local, e))?
        .len();
    let object = store.object_path(&key)?;
    let part_size = store.settings.part_size;

    let (e_tag, expected, sent) = if size <= part_size as u64 {
        let body = read_part(&mut file, part_size + 1, &local).await?;
        let sent = body.len() as u64;
        if sent != size {
            return Err(TransferError::SizeMismatch {
                key,
                expected: size,
                actual: sent,
            });
        }
        let expected = hex(&Md5::digest(&body));
        let body = body.freeze();
        let put = or_cancelled(&stop, store.s3.put(&object, PutPayload::from(body)))
            .await?
            .map_err(|e| TransferError::from_store("put", &key, e))?;
        reporter.update(|p| p.bytes_done += sent);
        (put.e_tag, expected, sent)
    } else {
        let upload = or_cancelled(&stop, store.s3.put_multipart(&object))
            .await?
            .map_err(|e| TransferError::from_store("create multipart upload", &key, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, part_size);
        let mut part_digests = Vec::new();
        let mut sent: u64 = 0;
        let outcome: Result<(), TransferError> = async {
            loop {
                let part = read_part(&mut file, part_size, &local).await?;
                if part.is_empty() {
                    return Ok(());
                }
                or_cancelled(&stop, writer.wait_for_capacity(PARTS_IN_FLIGHT))
                    .await?
                    .map_err(|e| TransferError::from_store("put part", &key, e))?;
                part_digests.extend_from_slice(&Md5::digest(&part));
                let length = part.len() as u64;
                sent += length;
                writer.put(part.freeze());
                reporter.update(|p| p.bytes_done += length);
                if stop.is_cancelled() {
                    return Err(TransferError::Cancelled);
                }
            }
        }
        .await;
        let outcome = outcome.and_then(|()| {
            if sent == size {
                Ok(())
            } else {
                Err(TransferError::SizeMismatch {
                    key: key.clone(),
                    expected: size,
                    actual: sent,
                })
            }
        });
        if let Err(error) = outcome {
            // Best effort: S3 drops the parts sent so far.
            let _ = writer.abort().await;
            return Err(error);
        }
        let parts = part_digests.len() / 16;
        let expected = format!("{}-{parts}", hex(&Md5::digest(&part_digests)));
        let put = writer
            .finish()
            .await
            .map_err(|e| TransferError::from_store("complete multipart upload", &key, e))?;
        (put.e_tag, expected, sent)
    };

    let mut checksum_verified = false;
    if let Some(tag) = e_tag.as_deref().map(unquote) {
        let comparable = is_plain_md5(tag) || is_multipart_md5(tag);
        if comparable && store.settings.verify_checksums {
            if !tag.eq_ignore_ascii_case(&expected) {
                return Err(TransferError::ChecksumMismatch {
                    key,
                    expected: tag.to_string(),
                    actual: expected,
                });
            }
            checksum_verified = true;
        }
    }
    reporter.update(|p| p.files_done += 1);
    Ok(TransferredFile {
        path: relative,
        local,
        size: sent,
        checksum_verified,
        resumed_bytes: 0,
    })
}
