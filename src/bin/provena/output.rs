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
        match written.and_then(|()| lock.flush()) {
            Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
                Err(CliError::io("writing to stdout", error))
            }
            _ => Ok(()),
        }
    }

    /// Whether results are printed as JSON.
    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Prints text that is already in its final form (DOT, CSV, JSON).
    pub fn raw(&self, text: &str) -> Result<(), CliError> {
        let mut stdout = io::stdout().lock();
        let written = stdout
            .write_all(text.as_bytes())
            .and_then(|()| {
                if text.ends_with('\n') {
                    Ok(())
                } else {
                    writeln!(stdout)
                }
            })
            .and_then(|()| stdout.flush());
        match written {
            Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
                Err(CliError::io("writing to stdout", error))
            }
            _ => Ok(()),
        }
    }

    /// A progress or status line for people, on stderr; silent under `--output json`.
    pub fn note(&self, line: impl std::fmt::Display) {
        if self.format == Format::Text {
            eprintln!("{line}");
        }
    }
}
