//! The path every request takes: authorise, send, retry.
//!
//! Generated clients hand each built request to [`Transport`] through
//! progenitor's hooks: `authorize` adds the bearer token, `execute` sends it.

use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, HeaderValue};

use crate::auth::AuthManager;

/// Shared state of every service client: the token source (and, later, the
/// retry policy). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Transport {
    auth: Arc<dyn AuthManager>,
}

impl Transport {
    /// A transport that authorises requests with `auth`.
    pub fn new(auth: Arc<dyn AuthManager>) -> Self {
        Self { auth }
    }

    /// The token source.
    pub fn auth(&self) -> &Arc<dyn AuthManager> {
        &self.auth
    }

    pub(crate) async fn authorize<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &progenitor_client::OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let token = self
            .auth
            .access_token()
            .await
            .map_err(|e| progenitor_client::Error::Custom(e.to_string()))?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| progenitor_client::Error::Custom("access token is not a valid header value".into()))?;
        value.set_sensitive(true);
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }

    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        _info: &progenitor_client::OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        client.execute(request).await
    }
}
