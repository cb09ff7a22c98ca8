//! The conversions into [`Upload`]: what callers already hold.
//!
//! Bytes and text are content, kept in memory (borrowed ones are copied, once,
//! so that the upload owns them); paths name a file read when the upload is
//! sent.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::{Source, Upload};

impl From<Bytes> for Upload {
    /// The bytes, as they are (no copy).
    fn from(bytes: Bytes) -> Self {
        Self {
            source: Source::Memory(bytes),
        }
    }
}

impl From<Vec<u8>> for Upload {
    /// The bytes, without a copy.
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::from(bytes).into()
    }
}

impl From<&[u8]> for Upload {
    /// A copy of the bytes. For a `&'static [u8]` without a copy, pass
    /// `Bytes::from_static(bytes)`.
    fn from(bytes: &[u8]) -> Self {
        Bytes::copy_from_slice(bytes).into()
    }
}

impl<const N: usize> From<&[u8; N]> for Upload {
    /// A copy of the bytes, for byte string literals such as `b"a,b\n"`.
    fn from(bytes: &[u8; N]) -> Self {
        Bytes::copy_from_slice(bytes).into()
    }
}

impl From<String> for Upload {
    /// The text as UTF-8, without a copy. The text is the content, not a path.
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

impl From<&String> for Upload {
    /// A copy of the text as UTF-8. The text is the content, not a path.
    fn from(text: &String) -> Self {
        text.as_str().into()
    }
}

impl From<&str> for Upload {
    /// A copy of the text as UTF-8. The text is the content, not a path: name
    /// a file with `Path::new("runs.csv")` or [`Upload::from_path`].
    fn from(text: &str) -> Self {
        Bytes::copy_from_slice(text.as_bytes()).into()
    }
}

impl From<PathBuf> for Upload {
    /// The file at this path, opened and streamed when the upload is sent.
    fn from(path: PathBuf) -> Self {
        Upload::from_path(path)
    }
}

impl From<&PathBuf> for Upload {
    /// The file at this path, opened and streamed when the upload is sent.
    fn from(path: &PathBuf) -> Self {
        Upload::from_path(path)
    }
}

impl From<&Path> for Upload {
    /// The file at this path, opened and streamed when the upload is sent.
    fn from(path: &Path) -> Self {
        Upload::from_path(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(upload: Upload) -> Option<Bytes> {
        match upload.source {
            Source::Memory(bytes) => Some(bytes),
            _ => None,
        }
    }

    fn path(upload: Upload) -> Option<PathBuf> {
        match upload.source {
            Source::File(path) => Some(path),
            _ => None,
        }
    }

    #[test]
    fn bytes_and_text_of_every_kind_are_the_content_in_memory() {
        let expected = Some(Bytes::from_static(b"a,b\n"));
        let text = String::from("a,b\n");
        assert_eq!(content(Bytes::from_static(b"a,b\n").into()), expected);
        assert_eq!(content(b"a,b\n".to_vec().into()), expected);
        assert_eq!(content((&b"a,b\n"[..]).into()), expected);
        assert_eq!(content(b"a,b\n".into()), expected);
        assert_eq!(content((&text).into()), expected);
        assert_eq!(content(text.into()), expected);
        assert_eq!(content("a,b\n".into()), expected, "a str is content");
    }

    #[test]
    fn paths_of_every_kind_name_a_file() {
        let expected = Some(PathBuf::from("/data/runs.csv"));
        let owned = PathBuf::from("/data/runs.csv");
        assert_eq!(path(Path::new("/data/runs.csv").into()), expected);
        assert_eq!(path((&owned).into()), expected);
        assert_eq!(path(owned.into()), expected);
        assert_eq!(path(Upload::from_path("/data/runs.csv")), expected);
    }
}
