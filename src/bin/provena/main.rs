//! `provena`: the Provena command-line tool (feature `cli`).
//!
//! Commands hold no HTTP logic: each drives one facade call of
//! `provena_client` and hands the answer to [`output::Out`], which prints it
//! as text or as JSON (`--output json`). Configuration comes from flags, then
//! environment variables, then a config file ([`context`]).
//!
//! Exit codes (also in `provena --help`): 0 success, 1 failure, 2 usage,
//! 3 login needed, 4 a watched job finished unsuccessfully, 5 `specs check`
//! found drift.

// The doc comments of the clap types are the terminal help (`--help`), written
// for people at a shell (`<SERVICE>`, `[env: ...]`), not rustdoc markup.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

mod cmd_auth;
mod cmd_dataset;
mod cmd_items;
mod cmd_job;
mod cmd_lineage;
mod cmd_model_run;
mod cmd_specs;
mod context;
mod error;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::context::{Context, GlobalArgs};
use crate::error::CliError;
use crate::output::Out;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (the service refused, a network error, bad input)
  2  usage error (unknown command or flag, bad value, unreadable config file)
  3  login needed (run `provena login`, or set PROVENA_OFFLINE_TOKEN)
  4  a watched job finished unsuccessfully
  5  `specs check`: the deployment's API drifted from this client's";

/// Provena from the terminal: log in, find and fetch registry items, register
/// model runs.
#[derive(Debug, Parser)]
#[command(name = "provena", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Log in with the device flow: prints a URL and a code to confirm there.
    Login(cmd_auth::Login),
    /// Forget the cached login.
    Logout,
    /// Who the current login is: user, roles, groups, linked person, expiry.
    Whoami,
    /// Search the registry.
    Search(cmd_items::Search),
    /// Fetch any registry item by id, whatever its subtype.
    Get(cmd_items::Get),
    /// List every item of a subtype, page after page.
    List(cmd_items::List),
    /// Jobs: wait for one to finish.
    #[command(subcommand)]
    Job(cmd_job::Job),
    /// Generate an item's provenance report (.docx) and save it.
    Report(cmd_job::Report),
    /// Datasets: mint one, download or upload its files.
    #[command(subcommand)]
    Dataset(cmd_dataset::Dataset),
    /// An item's lineage as a tree, DOT, Mermaid or JSON.
    Lineage(cmd_lineage::Lineage),
    /// Model runs: CSV templates and registration.
    #[command(name = "model-run", subcommand)]
    ModelRun(cmd_model_run::ModelRun),
    /// The OpenAPI documents this client was built from: `specs check`
    /// compares them with the deployment's.
    #[command(subcommand)]
    Specs(cmd_specs::Specs),
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // `--help` and `--version` are "errors" printed to stdout.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(CliError::USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let verbose = cli.global.verbose;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("provena: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            error.print(verbose);
            ExitCode::from(error.code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Completions { shell } = cli.command {
        let mut command = Cli::command();
        clap_complete::generate(shell, &mut command, "provena", &mut std::io::stdout());
        return Ok(());
    }
    let command = match cli.command {
        // `specs check --from` reads no configuration but the output format.
        Command::Specs(command) if !cmd_specs::needs_deployment(&command) => {
            return cmd_specs::run(Out::new(cli.global.output), None, command).await;
        }
        command => command,
    };
    let context = Context::new(cli.global)?;
    match command {
        Command::Login(args) => cmd_auth::login(&context, args).await,
        Command::Logout => cmd_auth::logout(&context).await,
        Command::Whoami => cmd_auth::whoami(&context).await,
        Command::Search(args) => cmd_items::search(&context, args).await,
        Command::Get(args) => cmd_items::get(&context, args).await,
        Command::List(args) => cmd_items::list(&context, args).await,
        Command::Job(command) => cmd_job::run(&context, command).await,
        Command::Report(args) => cmd_job::report(&context, args).await,
        Command::Dataset(command) => cmd_dataset::run(&context, command).await,
        Command::Lineage(args) => cmd_lineage::lineage(&context, args).await,
        Command::ModelRun(command) => cmd_model_run::run(&context, command).await,
        Command::Specs(command) => cmd_specs::run(context.out, Some(&context), command).await,
        Command::Completions { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_definition_is_consistent() {
        // clap's own checks: unique flags, valid defaults, ... for every subcommand.
        super::Cli::command().debug_assert();
    }
}
