//! `provena dataset mint | download | upload`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use provena_client::datasets::{DatasetFiles, Progress, TransferError, TransferSummary};
use provena_client::models::CollectionFormat;
use serde::Serialize;

use crate::context::Context;
use crate::error::CliError;

/// Dataset commands.
#[derive(Debug, Subcommand)]
pub enum Dataset {
    /// Register a new dataset from its metadata (a JSON or YAML collection format).
    Mint(Mint),
    /// Download a dataset's files, or one file or folder of it (resumable).
    ///
    /// An interrupted download leaves each unfinished file as a hidden
    /// `.<name>.provena-part` (with a `.meta` sidecar naming the object's
    /// version) next to where it goes, never a half file under its real name.
    /// Running the same command again continues those files from where they
    /// stopped, or starts a file over if it changed in the data store since.
    Download(Download),
    /// Upload a file or a directory tree into a dataset.
    Upload(Upload),
}

/// Options of `provena dataset mint`.
#[derive(Debug, Args)]
pub struct Mint {
    /// The metadata: `.json`, `.yaml` or `.yml`.
    file: PathBuf,
}

/// Where the dataset's files live, for both transfers.
#[derive(Debug, Args)]
pub struct Storage {
    /// An S3-compatible endpoint instead of AWS [env: PROVENA_S3_ENDPOINT]
    #[arg(long)]
    s3_endpoint: Option<String>,
    /// The bucket's region [env: PROVENA_S3_REGION] [default: ap-southeast-2]
    #[arg(long)]
    s3_region: Option<String>,
    /// Files transferred at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
}

/// Options of `provena dataset download`.
#[derive(Debug, Args)]
pub struct Download {
    /// The dataset's id.
    id: String,
    /// Only this file or folder of the dataset.
    #[arg(long)]
    path: Option<String>,
    /// The local folder to write into.
    #[arg(long)]
    dest: PathBuf,
    /// Download every file whole: ignore partial files of an earlier run
    /// (removing them as their files complete) and leave none behind on
    /// failure.
    #[arg(long)]
    no_resume: bool,
    #[command(flatten)]
    storage: Storage,
}

/// Options of `provena dataset upload`.
#[derive(Debug, Args)]
pub struct Upload {
    /// The dataset's id.
    id: String,
    /// A file (uploaded under its name) or a directory (its whole tree).
    src: PathBuf,
    #[command(flatten)]
    storage: Storage,
}

pub async fn run(context: &Context, command: Dataset) -> Result<(), CliError> {
    match command {
        Dataset::Mint(args) => mint(context, args).await,
        Dataset::Download(args) => download(context, args).await,
        Dataset::Upload(args) => upload(context, args).await,
    }
}

#[derive(Serialize)]
struct Minted {
    id: Option<String>,
    register_job: Option<String>,
}

async fn mint(context: &Context, args: Mint) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| CliError::io(format!("reading {}", args.file.display()), e))?;
    let is_yaml = matches!(
        args.file.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    let metadata: CollectionFormat = if is_yaml {
        serde_norway::from_str(&text).map_err(|e| invalid_metadata(&args.file, e))?
    } else {
        serde_json::from_str(&text).map_err(|e| invalid_metadata(&args.file, e))?
    };
    let client = context.client()?;
    let answer = client.datastore().mint_dataset(&metadata).await?;
    let minted = Minted {
        id: answer.handle.clone(),
        register_job: answer.register_create_activity_session_id.clone(),
    };
    context.out.emit(&minted, |out| {
        writeln!(
            out,
            "minted {}",
            minted.id.as_deref().unwrap_or("(no id returned)")
        )
    })
}

fn invalid_metadata(path: &std::path::Path, error: impl std::fmt::Display) -> CliError {
    CliError::Failed(format!(
        "{} is not dataset metadata: {error}",
        path.display()
    ))
}

fn files(context: &Context, id: &str, storage: &Storage) -> Result<DatasetFiles, CliError> {
    let mut files = context
        .client()?
        .datastore()
        .files(id)
        .concurrency(storage.concurrency);
    if let Some(url) = storage
        .s3_endpoint
        .clone()
        .or_else(|| std::env::var("PROVENA_S3_ENDPOINT").ok())
    {
        files = files.s3_endpoint(url);
    }
    if let Some(region) = storage
        .s3_region
        .clone()
        .or_else(|| std::env::var("PROVENA_S3_REGION").ok())
    {
        files = files.region(region);
    }
    Ok(files)
}

#[derive(Serialize)]
struct Transferred {
    files: Vec<TransferredOne>,
    bytes: u64,
    resumed_bytes: u64,
}

#[derive(Serialize)]
struct TransferredOne {
    path: String,
    local: PathBuf,
    size: u64,
    checksum_verified: bool,
    resumed_bytes: u64,
}

async fn download(context: &Context, args: Download) -> Result<(), CliError> {
    let files = files(context, &args.id, &args.storage)?;
    let meter = Meter::new("downloaded");
    let transfer = match &args.path {
        Some(path) => files.download(path.clone(), args.dest.clone()),
        None => files.download_all(args.dest.clone()),
    };
    let summary = transfer
        .resume(!args.no_resume)
        .on_progress(move |progress| meter.update(progress))
        .send()
        .await
        .map_err(transfer_error)?;
    report(context, summary, "downloaded")
}

async fn upload(context: &Context, args: Upload) -> Result<(), CliError> {
    let files = files(context, &args.id, &args.storage)?;
    let meter = Meter::new("uploaded");
    let transfer = if args.src.is_dir() {
        files.upload_dir(args.src.clone())
    } else {
        let name = args
            .src
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| CliError::Usage(format!("{} names no file", args.src.display())))?;
        files.upload_file(args.src.clone(), name)
    };
    let summary = transfer
        .on_progress(move |progress| meter.update(progress))
        .send()
        .await
        .map_err(transfer_error)?;
    report(context, summary, "uploaded")
}

fn transfer_error(error: TransferError) -> CliError {
    match error {
        TransferError::Api(api) => CliError::from(api),
        other => CliError::Failed(other.to_string()),
    }
}

fn report(context: &Context, summary: TransferSummary, verb: &str) -> Result<(), CliError> {
    let done = Transferred {
        bytes: summary.bytes,
        resumed_bytes: summary.resumed_bytes,
        files: summary
            .files
            .into_iter()
            .map(|file| TransferredOne {
                path: file.path,
                local: file.local,
                size: file.size,
                checksum_verified: file.checksum_verified,
                resumed_bytes: file.resumed_bytes,
            })
            .collect(),
    };
    context.out.emit(&done, |out| {
        write!(
            out,
            "{verb} {} files, {} bytes",
            done.files.len(),
            done.bytes
        )?;
        if done.resumed_bytes > 0 {
            write!(out, " ({} resumed)", done.resumed_bytes)?;
        }
        writeln!(out)
    })
}

/// Progress on stderr: a bar on a terminal, a line every few seconds (and
/// per finished file) otherwise.
struct Meter {
    verb: &'static str,
    bar: Option<indicatif::ProgressBar>,
    last: Mutex<(Instant, u64)>,
}

impl Meter {
    fn new(verb: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Self {
            verb,
            bar,
            last: Mutex::new((Instant::now(), u64::MAX)),
        }
    }

    fn update(&self, progress: &Progress) {
        if let Some(bar) = &self.bar {
            bar.set_length(progress.bytes_total);
            bar.set_position(progress.bytes_done);
            bar.set_message(format!(
                "{}/{} files",
                progress.files_done, progress.files_total
            ));
            if progress.files_total > 0 && progress.files_done == progress.files_total {
                bar.finish();
            }
            return;
        }
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let file_finished = last.1 != progress.files_done;
        if file_finished || last.0.elapsed() >= Duration::from_secs(2) {
            *last = (Instant::now(), progress.files_done);
            eprintln!(
                "{} {}/{} files, {}/{} bytes",
                self.verb,
                progress.files_done,
                progress.files_total,
                progress.bytes_done,
                progress.bytes_total
            );
        }
    }
}
