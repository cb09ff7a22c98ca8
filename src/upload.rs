//! What to upload: bytes, text, a file or a stream, as one [`Upload`].
//!
//! Methods that send a file take `impl Into<Upload>`, so they accept what a
//! caller already has (see [`Upload`] for the conversions). An upload held in
//! memory is encoded once and can be sent again, so the transport retries it
//! as [`crate::retry`] allows; a file or a reader is streamed as it is read
//! and is therefore sent once.

use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;

use bytes::Bytes;
use tokio::io::AsyncRead;

mod impls;
#[cfg(feature = "prov")]
mod multipart;

#[cfg(feature = "prov")]
pub(crate) use multipart::FilePart;

/// The content of an upload: bytes or text in memory, a file read when the
/// upload is sent, or any async reader.
///
/// Built with `From` from `Vec<u8>`, `&[u8]`, `&[u8; N]`, [`Bytes`],
/// `String`, `&str`, `PathBuf` and `&Path`, or with [`Upload::from_path`] and
/// [`Upload::reader`]. Strings are the content itself, never a path: a file
/// is named by a `Path`, a `PathBuf` or [`Upload::from_path`].
///
/// ```no_run
/// use std::path::Path;
/// use provena_client::Upload;
///
/// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
/// let prov = client.prov();
/// // Content in memory: sent again if a safe retry is needed.
/// prov.convert_model_runs_to_csv("display_name,description\nrun,first\n").await?;
/// prov.convert_model_runs_to_csv(std::fs::read("runs.csv").unwrap_or_default()).await?;
/// // A file, opened and streamed when the request is sent.
/// prov.convert_model_runs_to_csv(Path::new("runs.csv")).await?;
/// prov.convert_model_runs_to_csv(Upload::from_path("runs.csv")).await?;
/// // Any async reader, streamed.
/// let file = tokio::fs::File::open("runs.csv").await.expect("readable");
/// prov.convert_model_runs_to_csv(Upload::reader(file)).await?;
/// # Ok(()) }
/// ```
pub struct Upload {
    source: Source,
}

// Only the multipart encoding (feature `prov`) reads a reader.
#[cfg_attr(not(feature = "prov"), allow(dead_code))]
enum Source {
    Memory(Bytes),
    File(PathBuf),
    Reader(Pin<Box<dyn AsyncRead + Send + Sync>>),
}

impl Upload {
    /// The file at `path`, opened when the upload is sent and streamed as it
    /// is read. A file that cannot be opened then fails the call with an
    /// [`crate::Error::InvalidInput`] naming the path; nothing is sent.
    ///
    /// ```no_run
    /// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
    /// let upload = provena_client::Upload::from_path("model_runs.csv");
    /// client.prov().convert_model_runs_to_csv(upload).await?;
    /// # Ok(()) }
    /// ```
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        Self {
            source: Source::File(path.into()),
        }
    }

    /// Any async reader, streamed as it is read (never read whole into
    /// memory). Such an upload is sent once: it cannot be sent again.
    ///
    /// ```no_run
    /// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
    /// let csv = std::io::Cursor::new(b"display_name,description\n".to_vec());
    /// client
    ///     .prov()
    ///     .convert_model_runs_to_csv(provena_client::Upload::reader(csv))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn reader(reader: impl AsyncRead + Send + Sync + 'static) -> Self {
        Self {
            source: Source::Reader(Box::pin(reader)),
        }
    }

    /// Whether the content is in memory, and so can be sent again when a
    /// request is retried (a file or a reader is streamed once).
    ///
    /// ```
    /// use provena_client::Upload;
    ///
    /// assert!(Upload::from("a,b\n").is_in_memory());
    /// assert!(!Upload::from_path("runs.csv").is_in_memory());
    /// ```
    pub fn is_in_memory(&self) -> bool {
        matches!(self.source, Source::Memory(_))
    }
}

impl fmt::Debug for Upload {
    // Only the size of content in memory: it may hold personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Memory(bytes) => write!(f, "Upload::Memory({} bytes)", bytes.len()),
            Source::File(path) => write!(f, "Upload::File({})", path.display()),
            Source::Reader(_) => f.write_str("Upload::Reader(..)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_the_size_of_content_never_the_content() {
        let upload = Upload::from("secret-value,1\n");
        assert_eq!(format!("{upload:?}"), "Upload::Memory(15 bytes)");
        assert_eq!(
            format!("{:?}", Upload::from_path("/data/runs.csv")),
            "Upload::File(/data/runs.csv)"
        );
        assert_eq!(
            format!("{:?}", Upload::reader(tokio::io::empty())),
            "Upload::Reader(..)"
        );
    }
}
