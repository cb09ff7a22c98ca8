//! The one error type: a single human-readable line.

use std::fmt;

/// A failure that stops `sync` or `check`. The message is always one line
/// because the CLI promises exactly one `error: ...` line on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    pub fn new(msg: impl Into<String>) -> Self {
        let msg: String = msg.into();
        // Messages from io/serde/ureq can embed newlines; fold them.
        let one: Vec<&str> = msg
            .split(['\n', '\r'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        Error(one.join(" "))
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<provena_specs::Error> for Error {
    fn from(e: provena_specs::Error) -> Self {
        Error::new(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Error>;
