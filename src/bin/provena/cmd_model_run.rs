//! `provena model-run template` and `provena model-run register`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use provena_client::models::ModelRunRecord;
use serde::Serialize;

use crate::context::Context;
use crate::error::CliError;

/// Model run commands.
#[derive(Debug, Subcommand)]
pub enum ModelRun {
    /// Register model runs from a JSON record or a filled-in CSV template.
    Register(Register),
    /// Download the CSV template for a workflow template's model runs.
    Template(Template),
}

/// Options of `provena model-run register`.
#[derive(Debug, Args)]
pub struct Register {
    /// A `.json` file with one model run record, or a `.csv` filled-in template.
    file: PathBuf,
}

/// Options of `provena model-run template`.
#[derive(Debug, Args)]
pub struct Template {
    /// The workflow template's id.
    workflow_id: String,
    /// Write the template here (written whole, then renamed into place);
    /// stdout when absent.
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    output_file: Option<PathBuf>,
}

pub async fn run(context: &Context, command: ModelRun) -> Result<(), CliError> {
    match command {
        ModelRun::Register(args) => register(context, args).await,
        ModelRun::Template(args) => template(context, args).await,
    }
}

#[derive(Serialize)]
struct Registered {
    display_name: String,
    session_id: Option<String>,
}

async fn register(context: &Context, args: Register) -> Result<(), CliError> {
    let client = context.client()?;
    let records = match extension(&args.file).as_deref() {
        Some("json") => {
            let text = std::fs::read_to_string(&args.file)
                .map_err(|e| CliError::io(format!("reading {}", args.file.display()), e))?;
            let record: ModelRunRecord = serde_json::from_str(&text).map_err(|e| {
                CliError::Failed(format!(
                    "{} is not a model run record: {e}",
                    args.file.display()
                ))
            })?;
            vec![record]
        }
        Some("csv") => {
            let converted = client
                .prov()
                .convert_model_runs_to_csv(args.file.as_path())
                .await?;
            converted.new_records.unwrap_or_default()
        }
        _ => {
            return Err(CliError::Usage(format!(
                "{}: expected a .json record or a .csv template",
                args.file.display()
            )));
        }
    };
    if records.is_empty() {
        return Err(CliError::Failed(format!(
            "{} holds no model run to register",
            args.file.display()
        )));
    }
    let mut registered = Vec::with_capacity(records.len());
    for record in &records {
        let answer = client.prov().register_model_run(record).await?;
        context
            .out
            .note(format_args!("registered {:?}", record.display_name));
        registered.push(Registered {
            display_name: record.display_name.clone(),
            session_id: answer.session_id,
        });
    }
    context.out.emit(&registered, |out| {
        for run in &registered {
            writeln!(
                out,
                "{}: job {}",
                run.display_name,
                run.session_id.as_deref().unwrap_or("(none)")
            )?;
        }
        Ok(())
    })
}

async fn template(context: &Context, args: Template) -> Result<(), CliError> {
    let client = context.client()?;
    let csv = client
        .prov()
        .generate_csv_template(&args.workflow_id)
        .await?;
    match &args.output_file {
        Some(path) => {
            write_atomically(path, &csv)?;
            context.out.note(format_args!(
                "wrote {} ({} bytes)",
                path.display(),
                csv.len()
            ));
            Ok(())
        }
        None => context.out.raw(&csv),
    }
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
}

/// Writes `bytes` next to `path` under a temporary name, then renames it into
/// place: a failure never leaves a half-written file under the final name.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| CliError::Usage(format!("{} is not a file path", path.display())))?;
    let temp = dir.join(format!(
        ".{}.{}.partial",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(CliError::io(format!("writing {}", path.display()), error));
    }
    Ok(())
}
