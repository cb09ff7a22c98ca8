//! The handle service: persistent identifiers and their values.

use crate::models;
use crate::raw::id_service::Client as Raw;

/// Client of the handle service (`https://handle.{domain}`).
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
/// let handle = client.id_service().get("10378.1/123").await?;
/// println!("{} has {} values", handle.id, handle.properties.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct IdServiceClient {
    raw: Raw,
}

impl IdServiceClient {
    crate::clients::raw_access!();

    crate::clients::common_operations!();

    crate::clients::forward! {
        /// Mints a new handle with one value.
        fn mint(request: &models::MintRequest) -> models::Handle => mint(request);
        /// Adds a value to a handle at the next free index.
        fn add_value(request: &models::AddValueRequest) -> models::Handle => add_value(request);
        /// Adds a value to a handle at a chosen index.
        fn add_value_by_index(request: &models::AddValueIndexRequest) -> models::Handle => add_value_by_index(request);
        /// A handle and its values.
        fn get(id: &str) -> models::Handle => get(id);
        /// Every handle the service manages.
        fn list() -> models::ListResponse => list();
        /// Replaces the value at an index (a `PUT` upstream).
        fn modify_by_index(request: &models::ModifyRequest) -> models::Handle => modify_by_index(request);
        /// Removes the value at an index.
        fn remove_by_index(request: &models::RemoveRequest) -> models::Handle => remove_by_index(request);
    }
}
