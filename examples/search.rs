//! The search service, optionally filtered to one registry subtype.
//!
//! `cargo run --example search -- "soil moisture"` (against a mock unless `PROVENA_DOMAIN` is set).

mod common;

use std::error::Error;

use httpmock::Method::GET;
use provena_client::models::ItemSubType;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let query = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "soil moisture".into());
    let connection = common::connect(|server| {
        server.mock(|when, then| {
            when.method(GET)
                .path("/search/entity-registry")
                .query_param("subtype_filter", "DATASET");
            then.status(200).json_body(json!({
                "status": common::ok_status("1 result"),
                "results": [{"id": "10378.1/2000001", "score": 0.88}]
            }));
        });
    })
    .await?;

    let filter = ItemSubType::Dataset;
    let results = connection
        .client
        .search()
        .search_registry(&query, Some(10), Some(filter))
        .await?;
    for hit in results.results.unwrap_or_default() {
        println!("{:<18} {:.2}", hit.id, hit.score);
    }
    Ok(())
}
