//! Hand-written additions to the generated models.

use super::error::ConversionError;

impl From<ConversionError> for crate::Error {
    fn from(error: ConversionError) -> Self {
        crate::Error::Builder {
            message: error.to_string(),
        }
    }
}
