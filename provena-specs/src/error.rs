//! What stops a derivation.

/// Why a document could not be derived. Each message is one line and names
/// the document (by the label the caller gave it), the overlay or the
/// service concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The upstream document is not JSON.
    #[error("malformed JSON in {label}: {source}")]
    MalformedJson {
        /// The document, as the caller named it.
        label: String,
        /// The parser's complaint.
        source: serde_json::Error,
    },
    /// The document has no `openapi` version string.
    #[error("{label}: no \"openapi\" version string; not an OpenAPI document")]
    NotOpenApi {
        /// The document, as the caller named it.
        label: String,
    },
    /// The document is OpenAPI, but not 3.0.x (the rules assume 3.0).
    #[error("{label}: openapi version \"{version}\" is not supported (expected 3.0.x)")]
    UnsupportedVersion {
        /// The document, as the caller named it.
        label: String,
        /// The version it declares.
        version: String,
    },
    /// A normalisation rule met something it has no answer for.
    #[error("{service}: {rule}: {message}")]
    Rule {
        /// The service whose document it is.
        service: String,
        /// The rule's name.
        rule: &'static str,
        /// What it met.
        message: String,
    },
    /// An overlay file cannot be read.
    #[error("cannot read overlay {label}: {source}")]
    OverlayUnreadable {
        /// The overlay file, as the caller named it.
        label: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An overlay file is not JSON.
    #[error("malformed JSON in overlay {label}: {source}")]
    OverlayJson {
        /// The overlay file, as the caller named it.
        label: String,
        /// The parser's complaint.
        source: serde_json::Error,
    },
    /// An overlay is malformed, names an operation the document lacks, or
    /// contradicts what the document declares.
    #[error("overlay {label}: {message}")]
    Overlay {
        /// The overlay file, as the caller named it.
        label: String,
        /// What is wrong, naming the entry.
        message: String,
    },
    /// The derived document still holds a construct of OpenAPI 3.1.
    #[error("{service}: derived document is not OpenAPI 3.0: {what}")]
    NotOpenApi30 {
        /// The service whose document it is.
        service: String,
        /// The construct that remains.
        what: &'static str,
    },
    /// The derived document is rejected by the `openapiv3` reader, which the
    /// client's code generator uses.
    #[error("{service}: derived document is rejected by the openapiv3 reader: {source}")]
    Rejected {
        /// The service whose document it is.
        service: String,
        /// The reader's complaint.
        source: serde_json::Error,
    },
    /// Schema names that several documents give different content: the
    /// client generates one type per name, so these cannot be written.
    #[error(
        "one name, different schemas: {}; the library generates one type per name, \
         so these must be made identical (an overlay) or renamed",
        .conflicts.join(", ")
    )]
    SharedSchemaConflict {
        /// Each as `Name (first and second document)`.
        conflicts: Vec<String>,
    },
}
