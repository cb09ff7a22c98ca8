//! A running transfer: its progress, its cancellation, its outcome.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::TransferError;

/// How far a transfer is. Totals are known once the transfer has listed
/// what it moves (downloads) or walked its source (uploads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Files completely transferred (and verified).
    pub files_done: u64,
    /// Files the transfer moves.
    pub files_total: u64,
    /// Bytes transferred so far, over all files (a retried request may count
    /// bytes again).
    pub bytes_done: u64,
    /// Bytes the transfer moves.
    pub bytes_total: u64,
}

/// One file a transfer completed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferredFile {
    /// The file's path inside the dataset (`/`-separated).
    pub path: String,
    /// The local file written or read.
    pub local: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Whether its bytes were checked against an MD5 ETag (see the module
    /// documentation of [`crate::datasets`] for when that is possible).
    pub checksum_verified: bool,
    /// Bytes of it that were already on disk from an earlier, interrupted
    /// download and were not fetched again (see [`Download::resume`]); 0 for
    /// a file fetched whole, and for uploads.
    ///
    /// [`Download::resume`]: crate::datasets::Download::resume
    pub resumed_bytes: u64,
}

/// What a completed transfer moved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferSummary {
    /// Every file, in the order they completed.
    pub files: Vec<TransferredFile>,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Bytes of them that were already on disk from an earlier, interrupted
    /// download (the sum of [`TransferredFile::resumed_bytes`]).
    pub resumed_bytes: u64,
}

/// Cancels a transfer from anywhere: cheap to clone, and usable before the
/// transfer starts (give it to the builder with `cancel_with`), for example
/// from a progress callback.
///
/// ```
/// let cancel = provena_client::datasets::Canceller::new();
/// let for_callback = cancel.clone();
/// for_callback.cancel();
/// assert!(cancel.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Canceller(CancellationToken);

impl Canceller {
    /// A canceller not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the transfer to stop. Files not yet complete are removed (their
    /// temporary files deleted, unfinished multipart uploads aborted; a
    /// resumable download keeps its partial files, see
    /// [`Download::resume`](crate::datasets::Download::resume)) before
    /// [`TransferHandle::join`] answers [`TransferError::Cancelled`].
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// Whether [`Canceller::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }

    pub(crate) fn token(&self) -> &CancellationToken {
        &self.0
    }
}

/// A callback called with the progress after each chunk and each file.
pub(crate) type ProgressCallback = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Where workers report progress: the watch channel and the callback.
#[derive(Clone)]
pub(crate) struct Reporter {
    sender: Arc<watch::Sender<Progress>>,
    callback: Option<ProgressCallback>,
}

impl Reporter {
    pub(crate) fn new(callback: Option<ProgressCallback>) -> (Self, watch::Receiver<Progress>) {
        let (sender, receiver) = watch::channel(Progress::default());
        (
            Self {
                sender: Arc::new(sender),
                callback,
            },
            receiver,
        )
    }

    /// Applies `change` and tells the watchers and the callback.
    pub(crate) fn update(&self, change: impl FnOnce(&mut Progress)) {
        self.sender.send_modify(change);
        if let Some(callback) = &self.callback {
            let now = self.sender.borrow().clone();
            callback(&now);
        }
    }
}

/// A transfer running in the background, from a builder's `start()`.
///
/// Dropping the handle does not stop the transfer; [`TransferHandle::cancel`]
/// does.
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> Result<(), provena_client::datasets::TransferError> {
/// let files = client.datastore().files("10378.1/1234");
/// let handle = files.download_all("./dataset").start();
/// let mut progress = handle.progress();
/// tokio::spawn(async move {
///     while progress.changed().await.is_ok() {
///         let now = progress.borrow().clone();
///         println!("{}/{} bytes", now.bytes_done, now.bytes_total);
///     }
/// });
/// let summary = handle.join().await?;
/// println!("{} files", summary.files.len());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TransferHandle {
    progress: watch::Receiver<Progress>,
    cancel: Canceller,
    task: tokio::task::JoinHandle<Result<TransferSummary, TransferError>>,
}

impl TransferHandle {
    pub(crate) fn new(
        progress: watch::Receiver<Progress>,
        cancel: Canceller,
        task: tokio::task::JoinHandle<Result<TransferSummary, TransferError>>,
    ) -> Self {
        Self {
            progress,
            cancel,
            task,
        }
    }

    /// A receiver of the transfer's progress (`changed().await`, `borrow()`).
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    /// Asks the transfer to stop; [`TransferHandle::join`] then answers
    /// [`TransferError::Cancelled`] once every unfinished file is cleaned up.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A [`Canceller`] of this transfer, to hand to other tasks.
    pub fn canceller(&self) -> Canceller {
        self.cancel.clone()
    }

    /// Waits for the transfer to end.
    pub async fn join(self) -> Result<TransferSummary, TransferError> {
        match self.task.await {
            Ok(outcome) => outcome,
            Err(error) => Err(TransferError::Task(error.to_string())),
        }
    }
}

/// The setters every transfer builder has (`concurrency`, `on_progress`,
/// `cancel_with`), over its `options: Options` field. `$unit` says what a
/// progress step is for this transfer.
macro_rules! transfer_options {
    ($what:literal, $unit:literal) => {
        #[doc = concat!("How many files ", $what, " at once (at least 1).")]
        pub fn concurrency(mut self, files: usize) -> Self {
            self.options.concurrency = Some(files);
            self
        }

        #[doc = concat!("Calls `callback` with the progress after every ", $unit, " and")]
        /// every file completed. It runs on the transfer's tasks: keep it quick.
        pub fn on_progress(
            mut self,
            callback: impl Fn(&crate::datasets::Progress) + Send + Sync + 'static,
        ) -> Self {
            self.options.callback = Some(std::sync::Arc::new(callback));
            self
        }

        /// Lets `canceller` (which may already be shared, e.g. with the
        /// progress callback) cancel this transfer.
        pub fn cancel_with(mut self, canceller: &crate::datasets::Canceller) -> Self {
            self.options.cancel = canceller.clone();
            self
        }
    };
}
pub(crate) use transfer_options;

/// What a transfer's builder collected: concurrency, callback, canceller.
#[derive(Clone, Default)]
pub(crate) struct Options {
    pub(crate) concurrency: Option<usize>,
    pub(crate) callback: Option<ProgressCallback>,
    pub(crate) cancel: Canceller,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("concurrency", &self.concurrency)
            .field("callback", &self.callback.is_some())
            .field("cancelled", &self.cancel.is_cancelled())
            .finish()
    }
}

/// Runs `work` on every job, at most `concurrency` at once. The first
/// failure stops the rest (through `stop`, a child of the caller's token),
/// and the call returns only after every started job has ended, so that
/// each one has cleaned up after itself.
pub(crate) async fn run_jobs<J, F, Fut>(
    jobs: Vec<J>,
    concurrency: usize,
    cancel: &CancellationToken,
    work: F,
) -> Result<TransferSummary, TransferError>
where
    F: Fn(J, CancellationToken) -> Fut,
    Fut: std::future::Future<Output = Result<TransferredFile, TransferError>> + Send + 'static,
{
    let stop = cancel.child_token();
    let mut running = tokio::task::JoinSet::new();
    let mut pending = jobs.into_iter();
    let mut summary = TransferSummary::default();
    let mut first_error: Option<TransferError> = None;
    let mut unstarted = false;
    loop {
        while running.len() < concurrency.max(1) {
            if first_error.is_some() || stop.is_cancelled() {
                unstarted |= pending.next().is_some();
                break;
            }
            match pending.next() {
                Some(job) => {
                    running.spawn(work(job, stop.clone()));
                }
                None => break,
            }
        }
        let Some(ended) = running.join_next().await else {
            break;
        };
        let outcome = ended.unwrap_or_else(|error| Err(TransferError::Task(error.to_string())));
        match outcome {
            Ok(file) => {
                summary.bytes += file.size;
                summary.resumed_bytes += file.resumed_bytes;
                summary.files.push(file);
            }
            Err(error) => {
                if first_error.is_none() {
                    first_error = Some(error);
                    stop.cancel();
                }
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None if unstarted => Err(TransferError::Cancelled),
        None => Ok(summary),
    }
}

/// Awaits `future` unless `stop` is cancelled first.
pub(crate) async fn or_cancelled<T>(
    stop: &CancellationToken,
    future: impl std::future::Future<Output = T>,
) -> Result<T, TransferError> {
    stop.run_until_cancelled(future)
        .await
        .ok_or(TransferError::Cancelled)
}

/// Spawns `transfer` with a reporter; the handle to it.
pub(crate) fn spawn<Fut>(
    options: &Options,
    transfer: impl FnOnce(Reporter) -> Fut,
) -> TransferHandle
where
    Fut: std::future::Future<Output = Result<TransferSummary, TransferError>> + Send + 'static,
{
    let (reporter, progress) = Reporter::new(options.callback.clone());
    let task = tokio::spawn(transfer(reporter));
    TransferHandle::new(progress, options.cancel.clone(), task)
}
