//! The data store service: datasets, their metadata and S3 access, and the
//! release review workflow.

use crate::models;
use crate::raw::datastore::Client as Raw;

/// Client of the data store (`https://data-api.{domain}`).
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
/// let dataset = client.datastore().fetch_dataset("10378.1/1234").await?;
/// println!("{:?}", dataset.item.map(|item| item.id));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DatastoreClient {
    raw: Raw,
}

impl DatastoreClient {
    crate::clients::raw_access!();

    /// The release review workflow: `client.datastore().review()`.
    pub fn review(&self) -> DatasetReviewClient<'_> {
        DatasetReviewClient { raw: &self.raw }
    }

    crate::clients::common_operations!();

    crate::clients::forward! {
        /// Checks dataset metadata without registering anything.
        fn validate_metadata(metadata: &models::CollectionFormat) -> models::Status => validate_metadata(metadata);
        /// Replaces a dataset's metadata, recording `reason` in its history.
        fn update_metadata(handle_id: &str, reason: &str, metadata: &models::CollectionFormat) -> models::UpdateMetadataResponse
            => update_metadata(handle_id, reason, metadata);
        /// Restores a dataset's metadata to an earlier version from its history.
        fn revert_metadata(request: &models::ItemRevertRequest) -> models::ItemRevertResponse => revert_metadata(request);
        /// Creates a new version of a dataset (the response carries the job
        /// session id of the work that follows).
        fn version_dataset(request: &models::VersionRequest) -> models::VersionResponse => version_dataset(request);
        /// A page of datasets.
        fn list_datasets(request: &models::NoFilterSubtypeListRequest) -> models::DatasetListResponse => list(request);
        /// A presigned URL for reading one file of a dataset.
        fn generate_presigned_url(request: &models::PresignedUrlRequest) -> models::PresignedUrlResponse => generate_presigned_url(request);
        /// Temporary S3 credentials to read a dataset's files.
        fn generate_read_access_credentials(request: &models::CredentialsRequest) -> models::CredentialResponse
            => generate_read_access_credentials(request);
        /// Temporary S3 credentials to write a dataset's files.
        fn generate_write_access_credentials(request: &models::CredentialsRequest) -> models::CredentialResponse
            => generate_write_access_credentials(request);
        /// A dataset's registry item, by handle id.
        fn fetch_dataset(id: &str) -> models::RegistryFetchResponse => fetch_dataset(id);
        /// Registers a new dataset and mints its handle. Never retried once sent.
        fn mint_dataset(dataset: &models::CollectionFormat) -> models::MintResponse => mint_dataset(dataset);
        /// The JSON schema of dataset metadata.
        fn get_dataset_schema() -> models::Schema => get_dataset_schema();
    }
}

/// The release review workflow of the data store.
#[derive(Debug, Clone, Copy)]
pub struct DatasetReviewClient<'a> {
    raw: &'a Raw,
}

impl DatasetReviewClient<'_> {
    crate::clients::forward! {
        /// Asks a reviewer to approve releasing a dataset.
        fn approval_request(request: &models::ReleaseApprovalRequest) -> models::ReleaseApprovalRequestResponse
            => approval_request(request);
        /// Approves or rejects a pending release request (reviewer only).
        fn action_approval_request(request: &models::ActionApprovalRequest) -> models::ActionApprovalRequestResponse
            => action_approval_request(request);
        /// Adds a system reviewer (admin only). Upstream declares no response body schema.
        fn add_dataset_reviewer(reviewer_id: &str) -> serde_json::Value => add_reviewer(reviewer_id);
        /// Removes a system reviewer (admin only). Upstream declares no response body schema.
        fn delete_dataset_reviewer(reviewer_id: &str) -> serde_json::Value => delete_reviewer(reviewer_id);
        /// The ids of the system reviewers.
        fn list_reviewers() -> Vec<String> => list_reviewers();
    }
}
