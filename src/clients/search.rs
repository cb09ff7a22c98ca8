//! The search service: full-text search over registry items.

use crate::models;
use crate::raw::search::Client as Raw;

/// Client of the search service (`https://search.{domain}`).
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
/// let results = client.search().search_registry("rainfall", Some(10), None).await?;
/// for hit in results.results.unwrap_or_default() {
///     println!("{} (score {})", hit.id, hit.score);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SearchClient {
    raw: Raw,
}

impl SearchClient {
    crate::clients::raw_access!();

    crate::clients::common_operations!();

    crate::clients::forward! {
        /// Searches the registry for `query`, returning at most `limit` hits,
        /// optionally only items of one subtype.
        fn search_registry(query: &str, limit: Option<i64>, subtype_filter: Option<models::ItemSubType>) -> models::QueryResults
            => search_entity_registry(query, limit, subtype_filter.as_ref());
    }
}
