//! The provenance service: lineage queries and the bulk CSV workflow.
//!
//! `cargo run --example prov` (against a mock unless `PROVENA_DOMAIN` is set).

mod common;

use std::error::Error;

use httpmock::Method::{GET, POST};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let connection = common::connect(|server| {
        server.mock(|when, then| {
            when.method(GET)
                .path("/explore/upstream")
                .query_param("depth", "2");
            then.status(200).json_body(json!({
                "status": common::ok_status("explored"), "record_count": 3,
                "graph": {"nodes": [], "links": []}
            }));
        });
        server.mock(|when, then| {
            when.method(GET).path("/bulk/generate_template/csv");
            then.status(200)
                .header("content-type", "text/csv")
                .body("display_name,description,input_dataset\n");
        });
        server.mock(|when, then| {
            when.method(POST)
                .path("/bulk/convert_model_runs/csv")
                .body_includes("name=\"csv_file\"");
            then.status(200)
                .json_body(json!({"status": common::ok_status("converted"), "new_records": []}));
        });
    })
    .await?;
    let prov = connection.client.prov();

    let id = std::env::var("PROVENA_ITEM_ID").unwrap_or_else(|_| "10378.1/3000001".into());
    let lineage = prov
        .explore_upstream(&id, std::num::NonZeroU64::new(2))
        .await?;
    println!(
        "{} records upstream of {id}",
        lineage.record_count.unwrap_or(0)
    );

    let template = prov.generate_csv_template("10378.1/4000001").await?;
    println!(
        "CSV template header: {}",
        String::from_utf8_lossy(&template).trim_end()
    );

    // The filled-in CSV could also be a path or an async reader (streamed).
    let filled = format!(
        "{}run one,first run,10378.1/2000001\n",
        String::from_utf8_lossy(&template)
    );
    let converted = prov.convert_model_runs_to_csv(filled.into_bytes()).await?;
    println!(
        "converted: {} new records",
        converted.new_records.map(|r| r.len()).unwrap_or(0)
    );
    Ok(())
}
