//! The data store: datasets and presigned file URLs.
//!
//! `cargo run --example datastore` (against a mock unless `PROVENA_DOMAIN` is set).

mod common;

use std::error::Error;

use httpmock::Method::{GET, POST};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let connection = common::connect(|server| {
        server.mock(|when, then| {
            when.method(GET).path("/registry/items/fetch-dataset");
            then.status(200).json_body(
                json!({"status": common::ok_status("fetched"), "roles": ["metadata-read"]}),
            );
        });
        server.mock(|when, then| {
            when.method(POST)
                .path("/registry/items/generate-presigned-url");
            then.status(200).json_body(json!({
                "dataset_id": "10378.1/2000001", "file_path": "data/readme.txt",
                "presigned_url": "https://bucket.example.org/data/readme.txt?signature=abc"
            }));
        });
    })
    .await?;
    let datastore = connection.client.datastore();

    let id = std::env::var("PROVENA_DATASET_ID").unwrap_or_else(|_| "10378.1/2000001".into());
    let dataset = datastore.fetch_dataset(&id).await?;
    println!(
        "dataset {id}: found={} roles={:?}",
        dataset.item.is_some(),
        dataset.roles.unwrap_or_default()
    );

    let request = serde_json::from_value(
        json!({"dataset_id": id, "file_path": "data/readme.txt", "expires_in": 600}),
    )?;
    let url = datastore.generate_presigned_url(&request).await?;
    println!("download {} from {}", url.file_path, url.presigned_url);
    Ok(())
}
