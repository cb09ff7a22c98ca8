//! Downloads: plan (list, check every key), then stream each object to a
//! temporary file and rename it once complete and verified.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use md5::{Digest, Md5};
use object_store::ObjectStoreExt;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use super::credentials::Access;
use super::handle::{self, Options, Reporter, or_cancelled};
use super::{
    DatasetFile, DatasetFiles, Store, TransferError, TransferHandle, TransferSummary,
    TransferredFile, is_plain_md5, paths, unquote,
};

/// A download being configured, from [`DatasetFiles::download_all`] or
/// [`DatasetFiles::download`]; [`Download::start`] or [`Download::send`]
/// runs it.
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> Result<(), provena_client::datasets::TransferError> {
/// let summary = client
///     .datastore()
///     .files("10378.1/1234")
///     .download("data/", "./local")
///     .concurrency(2)
///     .on_progress(|p| eprintln!("{}/{} files", p.files_done, p.files_total))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a download does nothing until `start()` or `send()`"]
pub struct Download {
    files: DatasetFiles,
    path: Option<String>,
    dest: PathBuf,
    options: Options,
}

impl Download {
    pub(crate) fn new(files: DatasetFiles, path: Option<String>, dest: PathBuf) -> Self {
        Self {
            files,
            path,
            dest,
            options: Options::default(),
        }
    }

    super::handle::transfer_options!("download", "chunk written");

    /// Starts the download in the background.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, as `tokio::spawn` does.
    pub fn start(self) -> TransferHandle {
        let Download {
            files,
            path,
            dest,
            options,
        } = self;
        let cancel = options.cancel.token().clone();
        let concurrency = options.concurrency.unwrap_or(files.settings_concurrency());
        handle::spawn(&options, move |reporter| async move {
            let store = files.store(Access::Read).await?;
            let planned = or_cancelled(&cancel, plan(&store, path.as_deref(), &dest)).await??;
            reporter.update(|p| {
                p.files_total = planned.len() as u64;
                p.bytes_total = planned.iter().map(|(file, _)| file.size).sum();
            });
            handle::run_jobs(planned, concurrency, &cancel, |(file, local), stop| {
                download_one(Arc::clone(&store), file, local, reporter.clone(), stop)
            })
            .await
        })
    }

    /// Runs the download to its end.
    pub async fn send(self) -> Result<TransferSummary, TransferError> {
        self.start().join().await
    }
}

/// The files to download and where each goes; every key is checked before
/// anything is written.
async fn plan(
    store: &Store,
    path: Option<&str>,
    dest: &Path,
) -> Result<Vec<(DatasetFile, PathBuf)>, TransferError> {
    let prefix = &store.location.prefix;
    let files = match path {
        None => store.list_under(prefix).await?,
        Some(path) => {
            let inner = path.trim_end_matches('/');
            let key = paths::key_for(prefix, inner)
                .map_err(|refusal| TransferError::refused(path, refusal))?;
            let object = store.object_path(&key)?;
            match store.s3.head(&object).await {
                Ok(meta) if !path.ends_with('/') => vec![store.file_of(meta)?],
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {
                    let under = store.list_under(&format!("{key}/")).await?;
                    if under.is_empty() {
                        return Err(TransferError::NotFound {
                            path: path.to_string(),
                        });
                    }
                    under
                }
                Err(error) => return Err(TransferError::from_store("head", &key, error)),
            }
        }
    };
    let files = without_folder_markers(files);
    files
        .into_iter()
        .map(|file| {
            let local = paths::local_path(dest, prefix, &file.key)
                .map_err(|refusal| TransferError::refused(&file.key, refusal))?;
            Ok((file, local))
        })
        .collect()
}

/// Drops zero-byte objects that other keys lie under (the "folders" S3
/// consoles create), which would otherwise clash with the directory.
fn without_folder_markers(files: Vec<DatasetFile>) -> Vec<DatasetFile> {
    let keys: BTreeSet<&str> = files.iter().map(|f| f.key.as_str()).collect();
    let markers: BTreeSet<String> = files
        .iter()
        .filter(|file| file.size == 0)
        .filter(|file| {
            let under = format!("{}/", file.key);
            keys.range(under.as_str()..)
                .next()
                .is_some_and(|next| next.starts_with(&under))
        })
        .map(|file| file.key.clone())
        .collect();
    files
        .into_iter()
        .filter(|file| !markers.contains(&file.key))
        .collect()
}

/// A temporary file next to its final name, removed when dropped unless it
/// was renamed into place.
struct PartialFile {
    path: PathBuf,
    renamed: bool,
}

impl PartialFile {
    async fn create(final_path: &Path) -> Result<(Self, tokio::fs::File), TransferError> {
        let dir = final_path.parent().unwrap_or(Path::new("."));
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| TransferError::io(dir, e))?;
        let name = final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path = dir.join(format!(".{name}.{:016x}.partial", fastrand::u64(..)));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|e| TransferError::io(&path, e))?;
        Ok((
            Self {
                path,
                renamed: false,
            },
            file,
        ))
    }

    async fn rename_to(mut self, final_path: &Path) -> Result<(), TransferError> {
        tokio::fs::rename(&self.path, final_path)
            .await
            .map_err(|e| TransferError::io(final_path, e))?;
        self.renamed = true;
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.renamed {
            // Best effort: it may not exist, and Drop cannot report.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

async fn download_one(
    store: Arc<Store>,
    file: DatasetFile,
    local: PathBuf,
    reporter: Reporter,
    stop: CancellationToken,
) -> Result<TransferredFile, TransferError> {
    let key = file.key.as_str();
    let (partial, mut out) = PartialFile::create(&local).await?;
    let object = store.object_path(key)?;
    let got = or_cancelled(&stop, store.s3.get(&object))
        .await?
        .map_err(|e| TransferError::from_store("get", key, e))?;
    let expected = got.meta.size;
    let e_tag = got.meta.e_tag.as_deref().map(unquote).map(str::to_string);
    let mut body = got.into_stream();
    let mut md5 = Md5::new();
    let mut received: u64 = 0;
    while let Some(chunk) = or_cancelled(&stop, body.next()).await? {
        let chunk = chunk.map_err(|e| TransferError::from_store("get", key, e))?;
        out.write_all(&chunk)
            .await
            .map_err(|e| TransferError::io(&partial.path, e))?;
        md5.update(&chunk);
        received += chunk.len() as u64;
        reporter.update(|p| p.bytes_done += chunk.len() as u64);
        if stop.is_cancelled() {
            return Err(TransferError::Cancelled);
        }
    }
    out.flush()
        .await
        .map_err(|e| TransferError::io(&partial.path, e))?;
    out.sync_all()
        .await
        .map_err(|e| TransferError::io(&partial.path, e))?;
    drop(out);
    if received != expected {
        return Err(TransferError::SizeMismatch {
            key: key.to_string(),
            expected,
            actual: received,
        });
    }
    let mut checksum_verified = false;
    if let Some(tag) = e_tag.as_deref().filter(|t| is_plain_md5(t))
        && store.settings.verify_checksums
    {
        let actual = super::hex(&md5.finalize());
        if !actual.eq_ignore_ascii_case(tag) {
            return Err(TransferError::ChecksumMismatch {
                key: key.to_string(),
                expected: tag.to_string(),
                actual,
            });
        }
        checksum_verified = true;
    }
    if stop.is_cancelled() {
        return Err(TransferError::Cancelled);
    }
    partial.rename_to(&local).await?;
    reporter.update(|p| p.files_done += 1);
    Ok(TransferredFile {
        path: file.path,
        local,
        size: received,
        checksum_verified,
    })
}
