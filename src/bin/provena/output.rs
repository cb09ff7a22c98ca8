//! One place that prints results: as readable text, or as JSON for scripts.
//!
//! A closed pipe (`provena search x | head -1`) ends the output quietly
//! instead of failing the command.

use std::io::{self, Write};

use serde::Serialize;

use crate::error::CliError;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable text.
    Text,
    /// One JSON document per command.
    Json,
}

/// The printer of one run.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    format: Format,
}

impl Out {
    pub fn new(format: Format) -> Self {
        Self { format }
    }

    /// Prints `value`: as JSON, or through `text` for readers.
    pub fn emit<T: Serialize>(
        &self,
        value: &T,
        text: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), CliError> {
        let stdout = io::stdout();
        let mut lock = stdout.lock();
        let written = match self.format {
            Format::Json => serde_json::to_writer_pretty(&mut lock, value)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(lock)),
            Format::Text => text(&mut lock),
        };
        stdout_written(written.and_then(|()| lock.flush())).map(drop)
    }

    /// Whether results are printed as JSON.
    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Prints output that is already in its final form (DOT, CSV, JSON) as
    /// it is.
    pub fn raw(&self, bytes: &[u8]) -> Result<(), CliError> {
        let mut stdout = io::stdout().lock();
        stdout_written(stdout.write_all(bytes).and_then(|()| stdout.flush())).map(drop)
    }

    /// A progress or status line for people, on stderr; silent under `--output json`.
    pub fn note(&self, line: impl std::fmt::Display) {
        if self.format == Format::Text {
            eprintln!("{line}");
        }
    }
}

/// The outcome of a write to stdout: `Ok(true)` written, `Ok(false)` the
/// reader went away (a closed pipe: stop quietly), or the error.
pub fn stdout_written(result: io::Result<()>) -> Result<bool, CliError> {
    match result {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(error) => Err(CliError::io("writing to stdout", error)),
    }
}
