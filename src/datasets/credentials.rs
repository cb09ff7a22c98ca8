//! Temporary S3 keys from the data store, refreshed before they expire.
//!
//! The data store hands out STS session keys scoped to one dataset's prefix
//! (`generate_read_access_credentials` / `generate_write_access_credentials`),
//! each with an expiry. object_store asks its credential provider before
//! every request it signs; this provider answers from its cache while the
//! keys have more than [`REFRESH_MARGIN`] left, and otherwise asks the data
//! store again (one caller at a time, the others wait for that answer). The
//! margin is larger than the time object_store spends retrying one request,
//! so a request is never retried with keys that expired meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use object_store::aws::AwsCredential;

use crate::clients::datastore::DatastoreClient;
use crate::models;

/// Keys with less than this left are replaced before the next request.
pub const REFRESH_MARGIN: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Which of the data store's two credential operations a provider calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

/// An object_store credential provider backed by the data store.
pub(crate) struct DatastoreCredentials {
    datastore: DatastoreClient,
    dataset_id: String,
    access: Access,
    cached: tokio::sync::Mutex<Option<Cached>>,
    fetches: AtomicUsize,
}

struct Cached {
    credential: Arc<AwsCredential>,
    expiry: DateTime<Utc>,
}

// The keys never reach Debug output: only what they are for.
impl std::fmt::Debug for DatastoreCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatastoreCredentials")
            .field("dataset_id", &self.dataset_id)
            .field("access", &self.access)
            .field("fetches", &self.fetches.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl DatastoreCredentials {
    pub(crate) fn new(datastore: DatastoreClient, dataset_id: String, access: Access) -> Self {
        Self {
            datastore,
            dataset_id,
            access,
            cached: tokio::sync::Mutex::new(None),
            fetches: AtomicUsize::new(0),
        }
    }

    /// Current keys: the cached ones while they are fresh enough, else new
    /// ones from the data store.
    pub(crate) async fn current(&self) -> Result<Arc<AwsCredential>, crate::Error> {
        let mut cached = self.cached.lock().await;
        let margin = chrono::Duration::from_std(REFRESH_MARGIN).unwrap_or(chrono::Duration::MAX);
        if let Some(entry) = cached.as_ref()
            && entry.expiry - Utc::now() > margin
        {
            return Ok(Arc::clone(&entry.credential));
        }
        let request = models::CredentialsRequest {
            dataset_id: self.dataset_id.clone(),
            console_session_required: false,
        };
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let response = match self.access {
            Access::Read => {
                self.datastore
                    .generate_read_access_credentials(&request)
                    .await?
            }
            Access::Write => {
                self.datastore
                    .generate_write_access_credentials(&request)
                    .await?
            }
        };
        let keys = response.credentials;
        let credential = Arc::new(AwsCredential {
            key_id: keys.aws_access_key_id,
            secret_key: keys.aws_secret_access_key,
            token: Some(keys.aws_session_token),
        });
        // Keys that are already within the margin are still used for this
        // request (the data store decides their lifetime); the next request
        // asks again.
        *cached = Some(Cached {
            credential: Arc::clone(&credential),
            expiry: keys.expiry,
        });
        Ok(credential)
    }
}

#[async_trait::async_trait]
impl object_store::CredentialProvider for DatastoreCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        // The API error travels inside object_store's error and is taken out
        // again by `TransferError::from_store`.
        self.current()
            .await
            .map_err(|error| object_store::Error::Generic {
                store: super::error::PROVIDER_STORE,
                source: Box::new(error),
            })
    }
}
