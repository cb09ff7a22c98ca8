//! Downloads: plan (list, check every key), then stream each object to a
//! temporary file and rename it once complete and verified. In resume mode
//! the temporary file has a fixed name and a sidecar naming the object's
//! version, and a later download continues it with a ranged GET.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use md5::{Digest, Md5};
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::credentials::Access;
use super::handle::{self, Options, Reporter, or_cancelled};
use super::paths::Refusal;
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
    resume: bool,
}

impl Download {
    pub(crate) fn new(files: DatasetFiles, path: Option<String>, dest: PathBuf) -> Self {
        Self {
            files,
            path,
            dest,
            options: Options::default(),
            resume: false,
        }
    }

    super::handle::transfer_options!("download", "chunk written");

    /// Makes the download resumable (off by default: without it, a failed
    /// download leaves nothing behind, and a file downloaded whole also
    /// removes a partial file of it an earlier resumable download left).
    ///
    /// Each file is then written to `.<name>.provena-part` next to its final
    /// name, with a sidecar `.<name>.provena-part.meta` recording the
    /// object's ETag and size. If the download fails or is cancelled, both
    /// are kept (never anything under the final name). The next resumable
    /// download of the same file into the same directory continues from the
    /// partial file's length with a ranged GET, as long as the object still
    /// has the recorded ETag and size; otherwise (the object was replaced,
    /// the partial is longer than the object, the sidecar is missing or
    /// unreadable) it starts over from zero. The MD5 check still covers the
    /// whole file, and a file that fails it is removed. On success the
    /// partial is renamed to its final name and the sidecar removed.
    ///
    /// Bytes already on disk count as done in [`Progress::bytes_done`] from
    /// the start, and [`TransferredFile::resumed_bytes`] says how many there
    /// were. Objects without an ETag cannot be resumed (their partial files
    /// are removed as without this setting).
    ///
    /// A partial file is locked (an advisory `flock` on Unix, `LockFileEx`
    /// on Windows) while a download writes it: a second resumable download
    /// of the same file into the same directory, in this process or
    /// another, fails with [`TransferError::PartialInUse`] for that file
    /// instead of writing into the same partial, and a download without
    /// resume leaves a locked partial alone. The lock ends with the
    /// download, also when the process dies.
    ///
    /// [`TransferError::PartialInUse`]: super::TransferError::PartialInUse
    ///
    /// [`Progress::bytes_done`]: super::Progress::bytes_done
    ///
    /// ```no_run
    /// # async fn run(client: provena_client::ProvenaClient) -> Result<(), provena_client::datasets::TransferError> {
    /// let files = client.datastore().files("10378.1/1234");
    /// // Run again after an interruption: only the missing bytes are fetched.
    /// let summary = files.download_all("./dataset").resume(true).send().await?;
    /// let resumed: u64 = summary.files.iter().map(|f| f.resumed_bytes).sum();
    /// println!("{} bytes, {resumed} of them from an earlier attempt", summary.bytes);
    /// # Ok(()) }
    /// ```
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

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
            resume,
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
                download_one(
                    Arc::clone(&store),
                    file,
                    local,
                    reporter.clone(),
                    stop,
                    resume,
                )
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

/// Where the bytes of one download go until it is complete: a temporary
/// file next to the final name, renamed into place at the end.
///
/// When dropped before [`Part::finish`], the file (and its sidecar, if any)
/// is removed, unless it was marked resumable with [`Part::keep`].
struct Part {
    path: PathBuf,
    sidecar: Option<PathBuf>,
    keep: bool,
    done: bool,
    /// A resumable partial's lock (see [`lock_partial`]), held until the
    /// part is dropped, so after the removal or rename of the file.
    _lock: Option<std::fs::File>,
}

impl Part {
    /// A uniquely named temporary file, created here.
    async fn temporary(final_path: &Path) -> Result<(Self, tokio::fs::File), TransferError> {
        let name = final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path = final_path.with_file_name(format!(".{name}.{:016x}.partial", fastrand::u64(..)));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|e| TransferError::io(&path, e))?;
        let part = Self {
            path,
            sidecar: None,
            keep: false,
            done: false,
            _lock: None,
        };
        Ok((part, file))
    }

    /// Keeps the file and its sidecar when the download fails or is
    /// cancelled (`true`), or removes them (`false`).
    fn keep(&mut self, keep: bool) {
        self.keep = keep;
    }

    /// Renames the file to `final_path` and removes the sidecar.
    async fn finish(mut self, final_path: &Path) -> Result<(), TransferError> {
        tokio::fs::rename(&self.path, final_path)
            .await
            .map_err(|e| TransferError::io(final_path, e))?;
        self.done = true;
        if let Some(sidecar) = &self.sidecar {
            // Best effort: the file is complete; a stale sidecar without its
            // partial is ignored (and replaced) by the next download.
            let _ = tokio::fs::remove_file(sidecar).await;
        }
        Ok(())
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        if !self.done && !self.keep {
            // Best effort: they may not exist, and Drop cannot report.
            let _ = std::fs::remove_file(&self.path);
            if let Some(sidecar) = &self.sidecar {
                let _ = std::fs::remove_file(sidecar);
            }
        }
    }
}

/// What a resumable download keeps next to its partial file: the version of
/// the object the partial bytes belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Sidecar {
    /// The object's ETag, without quotes.
    e_tag: String,
    /// The object's size in bytes.
    size: u64,
}

impl Sidecar {
    /// Reads the sidecar at `path`; `None` when missing or unreadable
    /// (the partial is then not trusted).
    async fn read(path: &Path) -> Option<Self> {
        let text = tokio::fs::read(path).await.ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Writes the sidecar at `path` atomically: a temporary file in the same
    /// directory, synced, then renamed.
    async fn write(&self, path: &Path) -> Result<(), TransferError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temporary = path.with_file_name(format!("{name}.{:016x}.tmp", fastrand::u64(..)));
        let written = async {
            let text = serde_json::to_vec(self)
                .map_err(|e| TransferError::io(&temporary, std::io::Error::other(e.to_string())))?;
            let mut file = tokio::fs::File::create(&temporary)
                .await
                .map_err(|e| TransferError::io(&temporary, e))?;
            file.write_all(&text)
                .await
                .map_err(|e| TransferError::io(&temporary, e))?;
            file.sync_all()
                .await
                .map_err(|e| TransferError::io(&temporary, e))?;
            drop(file);
            tokio::fs::rename(&temporary, path)
                .await
                .map_err(|e| TransferError::io(path, e))
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&temporary).await;
        }
        written
    }
}

/// One file's download once its GET (if any) has answered: where the bytes
/// go and what has been received so far.
struct Opened {
    part: Part,
    out: tokio::fs::File,
    /// The rest of the object; `None` when the partial already holds all of it.
    body: Option<BoxStream<'static, object_store::Result<Bytes>>>,
    /// The MD5 of every byte in the file so far.
    md5: Md5,
    /// Bytes in the file so far.
    received: u64,
    /// The object's size.
    expected: u64,
    /// The object's ETag, without quotes.
    e_tag: Option<String>,
    /// Bytes that were already on disk from an earlier attempt.
    resumed: u64,
}

async fn download_one(
    store: Arc<Store>,
    file: DatasetFile,
    local: PathBuf,
    reporter: Reporter,
    stop: CancellationToken,
    resume: bool,
) -> Result<TransferredFile, TransferError> {
    let key = file.key.as_str();
    let object = store.object_path(key)?;
    let dir = local.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| TransferError::io(dir, e))?;
    let mut opened = if resume {
        open_resumable(&store, &object, &file, &local, &reporter, &stop).await?
    } else {
        let (part, out) = Part::temporary(&local).await?;
        let got = or_cancelled(&stop, store.s3.get(&object))
            .await?
            .map_err(|e| TransferError::from_store("get", key, e))?;
        Opened {
            part,
            out,
            expected: got.meta.size,
            e_tag: got.meta.e_tag.as_deref().map(unquote).map(str::to_string),
            body: Some(got.into_stream()),
            md5: Md5::new(),
            received: 0,
            resumed: 0,
        }
    };
    let outcome = receive(&mut opened, key, &reporter, &stop).await;
    // Flushed whatever happened, so that a partial kept for later holds every
    // byte counted.
    let written = write_out(&mut opened.out, &opened.part.path).await;
    outcome?;
    written?;
    let Opened {
        mut part,
        out,
        md5,
        received,
        expected,
        e_tag,
        resumed,
        ..
    } = opened;
    drop(out);
    if received != expected {
        // A short partial is still a prefix of the object; a long one is not.
        if received > expected {
            part.keep(false);
        }
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
            part.keep(false);
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
    part.finish(&local).await?;
    if !resume {
        discard_superseded_partial(&local).await;
    }
    reporter.update(|p| p.files_done += 1);
    Ok(TransferredFile {
        path: file.path,
        local,
        size: received,
        checksum_verified,
        resumed_bytes: resumed,
    })
}

/// Removes the partial file (and sidecar) an earlier resumable download of
/// `local` left, now that the file was downloaded whole. Only a partial with
/// its sidecar is taken for one, and not while a resumable download holds
/// it. Best effort: a leftover is harmless.
async fn discard_superseded_partial(local: &Path) {
    let Some((part, sidecar)) = paths::resumable_paths(local) else {
        return;
    };
    if tokio::fs::metadata(&sidecar).await.is_err() {
        return;
    }
    let Ok(file) = tokio::fs::OpenOptions::new().write(true).open(&part).await else {
        return;
    };
    let file = file.into_std().await;
    if fs4::FileExt::try_lock(&file).is_ok() && still_named(&part, &file).await {
        let _ = tokio::fs::remove_file(&part).await;
        let _ = tokio::fs::remove_file(&sidecar).await;
    }
}

/// Streams the rest of the object into the file.
async fn receive(
    opened: &mut Opened,
    key: &str,
    reporter: &Reporter,
    stop: &CancellationToken,
) -> Result<(), TransferError> {
    let Some(body) = opened.body.as_mut() else {
        return Ok(());
    };
    while let Some(chunk) = or_cancelled(stop, body.next()).await? {
        let chunk = chunk.map_err(|e| TransferError::from_store("get", key, e))?;
        opened
            .out
            .write_all(&chunk)
            .await
            .map_err(|e| TransferError::io(&opened.part.path, e))?;
        opened.md5.update(&chunk);
        opened.received += chunk.len() as u64;
        reporter.update(|p| p.bytes_done += chunk.len() as u64);
        if stop.is_cancelled() {
            return Err(TransferError::Cancelled);
        }
    }
    Ok(())
}

/// Flushes and syncs what was written to `out`.
async fn write_out(out: &mut tokio::fs::File, path: &Path) -> Result<(), TransferError> {
    out.flush().await.map_err(|e| TransferError::io(path, e))?;
    out.sync_all().await.map_err(|e| TransferError::io(path, e))
}

/// Opens a resumable download of `file` to `local`: continues the partial
/// file left by an earlier attempt when it belongs to the same version of
/// the object, else starts over. The partial stays locked until the download
/// ends, so that two downloads of one file to one place never write into it
/// together.
async fn open_resumable(
    store: &Store,
    object: &object_store::path::Path,
    file: &DatasetFile,
    local: &Path,
    reporter: &Reporter,
    stop: &CancellationToken,
) -> Result<Opened, TransferError> {
    let key = file.key.as_str();
    let (part_path, sidecar_path) =
        paths::resumable_paths(local).ok_or_else(|| TransferError::refused(key, Refusal::Empty))?;
    let (out, lock) = lock_partial(&part_path).await?;
    let part = Part {
        path: part_path,
        sidecar: Some(sidecar_path),
        keep: true,
        done: false,
        _lock: Some(lock),
    };
    let Some((sidecar, offset)) = resumable_offset(&part, &out, file).await else {
        return start_part(store, object, key, part, out, stop).await;
    };
    // Counted as done now, so that progress starts where it left off.
    reporter.update(|p| p.bytes_done += offset);
    match continue_part(store, object, key, part, out, (sidecar, offset), stop).await? {
        Ok(opened) => Ok(opened),
        // The object changed since: start over.
        Err((part, out)) => {
            reporter.update(|p| p.bytes_done = p.bytes_done.saturating_sub(offset));
            start_part(store, object, key, part, out, stop).await
        }
    }
}

/// Opens the partial file at `path` (created empty when missing) for reading
/// and writing, and takes an exclusive advisory lock on it (`flock` on Unix,
/// `LockFileEx` on Windows) that lasts while the returned handles are open.
/// Another download holding it is [`TransferError::PartialInUse`].
///
/// The first handle is the one to read and write through (Windows' locks
/// also keep other handles of this process out); the second, a duplicate
/// sharing the lock, is for the [`Part`] to hold until it is dropped.
async fn lock_partial(path: &Path) -> Result<(tokio::fs::File, std::fs::File), TransferError> {
    // A download that just finished renames its partial into place: a handle
    // opened before that rename locks the finished file, not the partial.
    // Seen by the name no longer leading to the locked file: open again.
    for _ in 0..3 {
        let file = tokio::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .await
            .map_err(|e| TransferError::io(path, e))?
            .into_std()
            .await;
        // Called through the trait: std's own `File::try_lock` is newer
        // than this crate's MSRV.
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                return Err(TransferError::PartialInUse {
                    path: path.to_path_buf(),
                });
            }
            Err(fs4::TryLockError::Error(e)) => return Err(TransferError::io(path, e)),
        }
        if still_named(path, &file).await {
            let held = file.try_clone().map_err(|e| TransferError::io(path, e))?;
            return Ok((tokio::fs::File::from_std(file), held));
        }
    }
    Err(TransferError::PartialInUse {
        path: path.to_path_buf(),
    })
}

/// Whether `path` still names the open `file`.
#[cfg(unix)]
async fn still_named(path: &Path, file: &std::fs::File) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (tokio::fs::metadata(path).await, file.metadata()) {
        (Ok(named), Ok(open)) => named.dev() == open.dev() && named.ino() == open.ino(),
        _ => false,
    }
}

/// Whether `path` still names the open `file` (elsewhere only whether it
/// still exists: std offers no portable file identity).
#[cfg(not(unix))]
async fn still_named(path: &Path, _file: &std::fs::File) -> bool {
    tokio::fs::metadata(path).await.is_ok()
}

/// How many bytes of the locked partial `out` can be kept: `None` unless
/// the part's sidecar names the object's current ETag and size and the
/// partial is not longer than the object.
async fn resumable_offset(
    part: &Part,
    out: &tokio::fs::File,
    file: &DatasetFile,
) -> Option<(Sidecar, u64)> {
    let sidecar = Sidecar::read(part.sidecar.as_deref()?).await?;
    if file.e_tag.as_deref() != Some(sidecar.e_tag.as_str()) || file.size != sidecar.size {
        return None;
    }
    let length = out.metadata().await.ok()?.len();
    (length > 0 && length <= sidecar.size).then_some((sidecar, length))
}

/// Continues the locked partial `out` (of `offset` bytes) with a ranged GET
/// that only succeeds while the object still has the sidecar's ETag. The
/// part and file back (`Err`) when it no longer has it.
async fn continue_part(
    store: &Store,
    object: &object_store::path::Path,
    key: &str,
    part: Part,
    mut out: tokio::fs::File,
    (sidecar, offset): (Sidecar, u64),
    stop: &CancellationToken,
) -> Result<Result<Opened, (Part, tokio::fs::File)>, TransferError> {
    let mut md5 = Md5::new();
    if store.settings.verify_checksums && is_plain_md5(&sidecar.e_tag) {
        // The MD5 check covers the whole file: the bytes already there too.
        let hashed = or_cancelled(stop, hash_file(&mut out, &part.path, &mut md5)).await??;
        if hashed != offset {
            return Ok(Err((part, out)));
        }
    }
    // Appending from here on (the hash may have left the cursor anywhere).
    out.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(|e| TransferError::io(&part.path, e))?;
    let body = if offset < sidecar.size {
        let options = GetOptions {
            range: Some(GetRange::Offset(offset)),
            if_match: Some(format!("\"{}\"", sidecar.e_tag)),
            ..Default::default()
        };
        match or_cancelled(stop, store.s3.get_opts(object, options)).await? {
            Ok(got)
                if got.meta.e_tag.as_deref().map(unquote) == Some(sidecar.e_tag.as_str())
                    && got.meta.size == sidecar.size
                    && got.range.start == offset =>
            {
                Some(got.into_stream())
            }
            Ok(_) | Err(object_store::Error::Precondition { .. }) => return Ok(Err((part, out))),
            Err(error) => return Err(TransferError::from_store("get", key, error)),
        }
    } else {
        None
    };
    Ok(Ok(Opened {
        part,
        out,
        body,
        md5,
        received: offset,
        expected: sidecar.size,
        e_tag: Some(sidecar.e_tag),
        resumed: offset,
    }))
}

/// Starts a resumable download from zero in the locked partial `out`: the
/// file emptied, and once the GET has answered, a sidecar naming the
/// object's ETag and size. Without an ETag the partial cannot be matched
/// later, so it is not kept.
async fn start_part(
    store: &Store,
    object: &object_store::path::Path,
    key: &str,
    mut part: Part,
    mut out: tokio::fs::File,
    stop: &CancellationToken,
) -> Result<Opened, TransferError> {
    part.keep(false);
    // The sidecar goes first: a partial without one is never continued.
    if let Some(sidecar_path) = &part.sidecar {
        match tokio::fs::remove_file(sidecar_path).await {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(TransferError::io(sidecar_path, error)),
        }
    }
    out.set_len(0)
        .await
        .map_err(|e| TransferError::io(&part.path, e))?;
    out.seek(std::io::SeekFrom::Start(0))
        .await
        .map_err(|e| TransferError::io(&part.path, e))?;
    let got = or_cancelled(stop, store.s3.get(object))
        .await?
        .map_err(|e| TransferError::from_store("get", key, e))?;
    let e_tag = got.meta.e_tag.as_deref().map(unquote).map(str::to_string);
    if let (Some(tag), Some(sidecar_path)) = (&e_tag, &part.sidecar) {
        let sidecar = Sidecar {
            e_tag: tag.clone(),
            size: got.meta.size,
        };
        sidecar.write(sidecar_path).await?;
        part.keep(true);
    }
    Ok(Opened {
        part,
        out,
        expected: got.meta.size,
        e_tag,
        body: Some(got.into_stream()),
        md5: Md5::new(),
        received: 0,
        resumed: 0,
    })
}

/// Feeds the whole of `file` (at `path`) to `md5`, reading from its start;
/// how many bytes it held.
async fn hash_file(
    file: &mut tokio::fs::File,
    path: &Path,
    md5: &mut Md5,
) -> Result<u64, TransferError> {
    file.seek(std::io::SeekFrom::Start(0))
        .await
        .map_err(|e| TransferError::io(path, e))?;
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let read = file
            .read(&mut buffer)
            .await
            .map_err(|e| TransferError::io(path, e))?;
        if read == 0 {
            return Ok(total);
        }
        md5.update(&buffer[..read]);
        total += read as u64;
    }
}
