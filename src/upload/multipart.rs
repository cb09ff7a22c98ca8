//! The multipart encoding of an [`Upload`], for the one operation that
//! takes a file (`prov.convert_model_runs_csv`).

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncRead;

use super::{Source, Upload};

impl Upload {
    /// Encodes the upload as the one file part of a `multipart/form-data`
    /// body. Content in memory becomes one reusable buffer, so that the
    /// request can be copied for a retry (reqwest's own multipart form is
    /// always a stream, which cannot). `Err` names a file that cannot be read.
    pub(crate) async fn into_multipart(self, part: FilePart<'_>) -> Result<Multipart, String> {
        let boundary = boundary();
        let head = Bytes::from(format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            part.field, part.file_name, part.content_type
        ));
        let tail = Bytes::from(format!("\r\n--{boundary}--\r\n"));
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let framing = (head.len() + tail.len()) as u64;
        let (body, length) = match self.source {
            Source::Memory(content) => {
                let mut body = BytesMut::with_capacity(head.len() + content.len() + tail.len());
                body.extend_from_slice(&head);
                body.extend_from_slice(&content);
                body.extend_from_slice(&tail);
                let length = body.len() as u64;
                (reqwest::Body::from(body.freeze()), Some(length))
            }
            Source::File(path) => {
                let cannot = |e: std::io::Error| format!("cannot open {}: {e}", path.display());
                let file = tokio::fs::File::open(&path).await.map_err(cannot)?;
                let metadata = file.metadata().await.map_err(cannot)?;
                // A directory opens on some systems and fails only once read.
                if !metadata.is_file() {
                    return Err(format!("cannot upload {}: not a file", path.display()));
                }
                (framed(head, file, tail), Some(framing + metadata.len()))
            }
            Source::Reader(reader) => (framed(head, reader, tail), None),
        };
        Ok(Multipart {
            content_type,
            length,
            body,
        })
    }
}

/// Names of the one part of a multipart body; crate constants, so never
/// quotes or line breaks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FilePart<'a> {
    /// The form field.
    pub(crate) field: &'a str,
    /// The `filename` the server sees.
    pub(crate) file_name: &'a str,
    /// The part's media type.
    pub(crate) content_type: &'a str,
}

/// A `multipart/form-data` body ready to send.
pub(crate) struct Multipart {
    /// The request's `Content-Type`, with the boundary.
    pub(crate) content_type: String,
    /// The body's length, when known before sending.
    pub(crate) length: Option<u64>,
    /// The body: one buffer for content in memory, else a stream.
    pub(crate) body: reqwest::Body,
}

/// A boundary of 256 random bits, as reqwest draws its own: content that
/// happens to contain it is not a practical concern.
fn boundary() -> String {
    let draw = || fastrand::u64(..);
    format!(
        "{:016x}-{:016x}-{:016x}-{:016x}",
        draw(),
        draw(),
        draw(),
        draw()
    )
}

/// `head`, the reader's bytes as they are read, then `tail`, as one stream.
fn framed(head: Bytes, reader: impl AsyncRead + Send + 'static, tail: Bytes) -> reqwest::Body {
    use futures_util::{StreamExt, stream};
    let content = tokio_util::io::ReaderStream::new(reader);
    let stream = stream::iter([Ok::<_, std::io::Error>(head)])
        .chain(content)
        .chain(stream::iter([Ok(tail)]));
    reqwest::Body::wrap_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PART: FilePart<'static> = FilePart {
        field: "csv_file",
        file_name: "model_runs.csv",
        content_type: "text/csv",
    };

    async fn bytes_of(body: reqwest::Body) -> Bytes {
        use http_body_util::BodyExt;
        body.collect().await.expect("readable body").to_bytes()
    }

    #[tokio::test]
    async fn content_in_memory_is_one_reusable_buffer_of_the_declared_length() {
        let multipart = Upload::from("a,b\n1,2\n")
            .into_multipart(PART)
            .await
            .expect("encoded");

        let boundary = multipart
            .content_type
            .strip_prefix("multipart/form-data; boundary=")
            .expect("a multipart content type")
            .to_string();
        assert_eq!(boundary.len(), 67, "{boundary}");
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csv_file\"; filename=\"model_runs.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n\r\n--{boundary}--\r\n"
        );
        assert_eq!(
            multipart.body.as_bytes(),
            Some(expected.as_bytes()),
            "a buffer, not a stream"
        );
        assert_eq!(multipart.length, Some(expected.len() as u64));
    }

    #[tokio::test]
    async fn each_body_has_its_own_boundary() {
        let first = Upload::from("x")
            .into_multipart(PART)
            .await
            .expect("encoded");
        let second = Upload::from("x")
            .into_multipart(PART)
            .await
            .expect("encoded");
        assert_ne!(first.content_type, second.content_type);
    }

    #[tokio::test]
    async fn a_reader_is_framed_as_a_stream_of_unknown_length() {
        let reader = std::io::Cursor::new(b"a,b\n".to_vec());

        let multipart = Upload::reader(reader)
            .into_multipart(PART)
            .await
            .expect("encoded");

        assert_eq!(multipart.length, None);
        assert!(multipart.body.as_bytes().is_none(), "a stream");
        let boundary = &multipart.content_type["multipart/form-data; boundary=".len()..];
        let body = bytes_of(multipart.body).await;
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(&format!("--{boundary}\r\n")), "{text}");
        assert!(text.contains("\r\n\r\na,b\n\r\n--"), "{text}");
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")), "{text}");
    }

    #[tokio::test]
    async fn a_file_is_streamed_with_its_length_declared() {
        let dir = std::env::temp_dir().join(format!("provena-upload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let path = dir.join("runs.csv");
        std::fs::write(&path, "a,b\n").expect("written");

        let multipart = Upload::from_path(&path)
            .into_multipart(PART)
            .await
            .expect("encoded");

        let declared = multipart.length.expect("a file's length is known");
        let body = bytes_of(multipart.body).await;
        assert_eq!(declared, body.len() as u64);
        assert!(String::from_utf8_lossy(&body).contains("\r\n\r\na,b\n\r\n--"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[tokio::test]
    async fn a_missing_file_or_a_directory_is_refused_naming_the_path() {
        let missing = Upload::from_path("/nonexistent/provena/runs.csv")
            .into_multipart(PART)
            .await
            .err()
            .expect("refused");
        assert!(
            missing.starts_with("cannot open /nonexistent/provena/runs.csv: "),
            "{missing}"
        );

        let directory = std::env::temp_dir();
        let refused = Upload::from_path(&directory)
            .into_multipart(PART)
            .await
            .err()
            .expect("refused");
        assert_eq!(
            refused,
            format!("cannot upload {}: not a file", directory.display())
        );
    }
}
