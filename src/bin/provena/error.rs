//! What can go wrong in a command, and the exit code for each.

use provena_client::auth::AuthError;

/// A command's failure: one line for the user, more with `-v`.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad flags, values or configuration.
    #[error("{0}")]
    Usage(String),
    /// No usable login.
    #[error("{0}")]
    LoginNeeded(String),
    /// A service call failed.
    #[error(transparent)]
    Api(provena_client::Error),
    /// Reading or writing a local file failed.
    #[error("{what}: {source}")]
    Io {
        /// Which file, doing what.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A watched job finished unsuccessfully.
    #[error("{0}")]
    JobFailed(String),
    /// `specs check` compared the documents and found drift (distinct from
    /// failing to compare them, so that scripts can tell the two apart).
    #[error("{0}")]
    Drift(String),
    /// Any other failure, already worded for the user.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// Exit code of a usage error (also clap's).
    pub const USAGE: u8 = 2;

    /// The process exit code for this failure.
    pub fn code(&self) -> u8 {
        match self {
            Self::Usage(_) => Self::USAGE,
            Self::LoginNeeded(_) => 3,
            Self::JobFailed(_) => 4,
            Self::Drift(_) => 5,
            Self::Api(_) | Self::Io { .. } | Self::Failed(_) => 1,
        }
    }

    /// Prints the one-line message, and with `-v` the chain of causes.
    pub fn print(&self, verbose: u8) {
        eprintln!("provena: {self}");
        if matches!(self, Self::LoginNeeded(_)) {
            eprintln!("provena: run `provena login`, or set PROVENA_OFFLINE_TOKEN");
        }
        if verbose > 0 {
            let mut source = std::error::Error::source(self);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
        }
    }

    /// A local file operation that failed.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

/// Whether an auth failure means "log in (again)" rather than a broken setup.
fn needs_login(error: &AuthError) -> bool {
    matches!(
        error,
        AuthError::NotLoggedIn { .. } | AuthError::LoginRequired { .. }
    )
}

impl From<provena_client::Error> for CliError {
    fn from(error: provena_client::Error) -> Self {
        match &error {
            provena_client::Error::Auth { source, .. } if needs_login(source) => {
                Self::LoginNeeded(error.to_string())
            }
            _ => Self::Api(error),
        }
    }
}

impl From<AuthError> for CliError {
    fn from(error: AuthError) -> Self {
        if needs_login(&error) {
            Self::LoginNeeded(error.to_string())
        } else {
            Self::Failed(error.to_string())
        }
    }
}
