// Which model fields hold secrets. Shared, through `include!`, by the build
// script (which gives every model with such a field a redacting `Debug`) and
// the library (`provena_client::models::SECRET_FIELDS`, which the tests
// check against every schema of the documents).

/// Field names whose values are secrets: a model with such a field shows
/// `"<redacted>"` for it in `Debug`.
///
/// `access_token` is the caller's bearer token, echoed back by every
/// `check-access` route in `User`; the `aws_*` fields are the data store's
/// temporary S3 credentials; `console_session_url` is a pre-signed AWS
/// console sign-in link, which works for anyone who holds it.
pub const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "console_session_url",
    "password",
    "client_secret",
];
