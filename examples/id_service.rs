//! The handle service: mint a persistent identifier and read it back.
//!
//! `cargo run --example id_service` (against a mock unless `PROVENA_DOMAIN` is set).

mod common;

use std::error::Error;

use httpmock::Method::{GET, POST};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let handle = json!({"id": "10378.1/5000001", "properties": [
        {"index": 1, "type": "URL", "value": "https://example.org/landing"}
    ]});
    let connection = common::connect(|server| {
        server.mock(|when, then| {
            when.method(POST).path("/handle/mint");
            then.status(200).json_body(handle.clone());
        });
        server.mock(|when, then| {
            when.method(GET)
                .path("/handle/get")
                .query_param("id", "10378.1/5000001");
            then.status(200).json_body(handle.clone());
        });
    })
    .await?;
    let ids = connection.client.id_service();

    if connection.is_mock() {
        // Minting creates a permanent identifier: only against the mock here.
        let request = serde_json::from_value(
            json!({"value_type": "URL", "value": "https://example.org/landing"}),
        )?;
        let minted = ids.mint(&request).await?;
        println!("minted {}", minted.id);
    }
    let id = std::env::var("PROVENA_HANDLE_ID").unwrap_or_else(|_| "10378.1/5000001".into());
    let fetched = ids.get(&id).await?;
    for property in fetched.properties {
        println!(
            "{} #{} {} = {}",
            fetched.id, property.index, property.type_, property.value
        );
    }
    Ok(())
}
