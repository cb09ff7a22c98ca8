//! `provena job watch` and `provena report`: the commands that wait for a job.

use std::io::IsTerminal as _;
use std::num::NonZeroU64;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use provena_client::jobs::{JobOutcome, WaitError};
use provena_client::models::GenerateReportRequest;
use serde::Serialize;

use crate::cmd_items::parse_subtype;
use crate::context::Context;
use crate::error::CliError;

/// Job commands.
#[derive(Debug, Subcommand)]
pub enum Job {
    /// Wait for a job to finish; exit code 4 if it failed.
    Watch(Watch),
}

/// Options of `provena job watch`.
#[derive(Debug, Args)]
pub struct Watch {
    /// The job's session id.
    session_id: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
}

#[derive(Serialize)]
struct Watched {
    session_id: String,
    status: String,
    info: Option<String>,
    result: Option<serde_json::Map<String, serde_json::Value>>,
}

pub async fn run(context: &Context, command: Job) -> Result<(), CliError> {
    match command {
        Job::Watch(args) => watch(context, args).await,
    }
}

async fn watch(context: &Context, args: Watch) -> Result<(), CliError> {
    let client = context.client()?;
    let spinner = spinner(format!("waiting for job {}", args.session_id));
    let outcome = client
        .job_api()
        .wait(args.session_id.clone())
        .max_wait(Duration::from_secs(args.timeout_secs))
        .until_finished()
        .await;
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    let job = match outcome {
        Ok(JobOutcome::Succeeded(done)) => done.job,
        Ok(JobOutcome::Failed(failed)) => failed.job,
        // The job finished; only its result is not the shape this client
        // knows. Watching is about the status: show the job as served.
        Err(WaitError::UndecodableResult { session_id, .. }) => {
            client.job_api().fetch_job(&session_id).await?.job
        }
        Err(error) => return Err(wait_error(error)),
    };
    let failed = job.status == provena_client::models::JobStatus::Failed;
    let watched = Watched {
        session_id: job.session_id.clone(),
        status: job.status.as_str().to_owned(),
        info: job.info.clone(),
        result: job.result.clone(),
    };
    context.out.emit(&watched, |out| {
        writeln!(out, "job {}: {}", watched.session_id, watched.status)?;
        if let Some(info) = &watched.info {
            writeln!(out, "{info}")?;
        }
        Ok(())
    })?;
    if failed {
        return Err(CliError::JobFailed(format!(
            "job {} failed: {}",
            watched.session_id,
            watched.info.as_deref().unwrap_or("no details given")
        )));
    }
    Ok(())
}

/// A spinner on a terminal's stderr; nothing otherwise.
fn spinner(message: String) -> Option<indicatif::ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let spinner = indicatif::ProgressBar::new_spinner().with_message(message);
        spinner.enable_steady_tick(Duration::from_millis(120));
        spinner
    })
}

fn wait_error(error: WaitError) -> CliError {
    match error {
        WaitError::Failed(job) => CliError::JobFailed(format!(
            "job {} failed: {}",
            job.job.session_id,
            job.info().unwrap_or("no details given")
        )),
        WaitError::Start(api) => CliError::from(*api),
        WaitError::Api { source, .. } => CliError::from(*source),
        other => CliError::Failed(other.to_string()),
    }
}

/// Options of `provena report`.
#[derive(Debug, Args)]
pub struct Report {
    /// The item the report is about (a model run, a study, ...).
    id: String,
    /// How many hops of lineage the report covers.
    #[arg(long, default_value = "1")]
    depth: NonZeroU64,
    /// The item's subtype; looked up in the registry when absent.
    #[arg(long, value_parser = parse_subtype)]
    subtype: Option<provena_client::models::ItemSubType>,
    /// Where to write the `.docx` (written whole, then renamed into place).
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    output_file: PathBuf,
}

#[derive(Serialize)]
struct Written {
    path: PathBuf,
    bytes: u64,
    session_id: String,
}

pub async fn report(context: &Context, args: Report) -> Result<(), CliError> {
    let client = context.client()?;
    let item_subtype = match args.subtype {
        Some(subtype) => subtype,
        None => {
            let fetched = client
                .registry()
                .general()
                .general_fetch_item(&args.id)
                .await?;
            fetched
                .item
                .as_ref()
                .and_then(|item| item.get("item_subtype"))
                .and_then(|subtype| subtype.as_str())
                .map(provena_client::models::ItemSubType::from)
                .ok_or_else(|| {
                    CliError::Failed(format!("the registry names no subtype for {}", args.id))
                })?
        }
    };
    let request = GenerateReportRequest {
        id: args.id.clone(),
        item_subtype,
        depth: args.depth,
    };
    let spinner = spinner(format!("generating the report of {}", args.id));
    let written = client
        .generate_report_to_path(&request, &args.output_file)
        .await;
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    let written = written.map_err(|error| match error {
        provena_client::jobs::ReportError::Job(wait) => wait_error(wait),
        other => CliError::Failed(other.to_string()),
    })?;
    let done = Written {
        path: written.path,
        bytes: written.bytes,
        session_id: written.session_id,
    };
    context.out.emit(&done, |out| {
        writeln!(out, "wrote {} ({} bytes)", done.path.display(), done.bytes)
    })
}
