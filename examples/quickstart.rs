//! A first tour of the client: health checks of the seven services, a search,
//! a registry fetch and a dataset list.
//!
//! With `PROVENA_DOMAIN` set (and `PROVENA_REALM`, `PROVENA_CLIENT_ID`, plus
//! either `PROVENA_TOKEN` or `PROVENA_OFFLINE_TOKEN`) it talks to that
//! deployment. Without, it starts an in-process mock of the seven services on
//! loopback and talks to that.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

mod common;

use std::error::Error;

use httpmock::MockServer;
use provena_client::clients::registry::Organisation;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let connection = common::connect(demo_deployment).await?;
    let client = &connection.client;

    println!("\nHealth checks");
    let checks = [
        ("auth", client.auth().get_health_check().await),
        ("registry", client.registry().get_health_check().await),
        ("datastore", client.datastore().get_health_check().await),
        ("search", client.search().get_health_check().await),
        ("prov", client.prov().get_health_check().await),
        ("job", client.job_api().get_health_check().await),
        ("id-service", client.id_service().get_health_check().await),
    ];
    for (service, outcome) in checks {
        match outcome {
            Ok(answer) => println!(
                "  {service:<11} ok   {}",
                answer.get("message").map(String::as_str).unwrap_or("")
            ),
            Err(error) => println!("  {service:<11} FAIL {error}"),
        }
    }

    println!("\nSearch for \"soil moisture\"");
    let results = client
        .search()
        .search_registry("soil moisture", Some(5), None)
        .await?;
    for hit in results.results.unwrap_or_default() {
        println!("  {:<16} score {:.2}", hit.id, hit.score);
    }

    let organisation_id =
        std::env::var("PROVENA_ORGANISATION_ID").unwrap_or_else(|_| "10378.1/1000001".into());
    println!("\nRegistry: organisation {organisation_id}");
    let fetched = client
        .registry()
        .fetch_item::<Organisation>(&organisation_id, None)
        .await?;
    println!(
        "  {}",
        serde_json::to_string_pretty(&fetched.item)?.replace('\n', "\n  ")
    );

    println!("\nData store: first page of datasets");
    let request = serde_json::from_value(json!({"page_size": 5}))?;
    let page = client.datastore().list_datasets(&request).await?;
    let datasets = page.items.unwrap_or_default();
    if datasets.is_empty() {
        println!("  (none visible to this user)");
    }
    for dataset in datasets {
        println!("  {:<16} {}", dataset.id, dataset.display_name);
    }
    Ok(())
}

/// The mock deployment: canned answers for the calls above.
fn demo_deployment(server: &MockServer) {
    use provena_client::mock::*;

    // `GET /` is shared by every service, so one mock answers all seven.
    let healthy = [("message".to_owned(), "Health check successful.".to_owned())].into();
    server.get_health_check(|_, then| {
        then.ok(&healthy);
    });
    let results = typed(json!({
        "status": {"success": true, "details": "2 results"},
        "results": [{"id": "10378.1/1000010", "score": 0.93}, {"id": "10378.1/1000023", "score": 0.71}]
    }));
    server.search_registry(|when, then| {
        when.query("soil moisture");
        then.ok(&results);
    });
    let organisation = typed(json!({
        "status": {"success": true, "details": "fetched"},
        "item": {
            "id": "10378.1/1000001", "display_name": "Example Research Organisation", "name": "Example Research Organisation",
            "ror": "https://ror.org/000000000", "owner_username": "admin", "created_timestamp": 1700000000,
            "updated_timestamp": 1700000000, "record_type": "COMPLETE_ITEM", "history": [],
            "item_category": "AGENT", "item_subtype": "ORGANISATION"
        },
        "roles": ["metadata-read"], "locked": false, "item_is_seed": false
    }));
    server.fetch_item_organisation(|when, then| {
        when.id("10378.1/1000001");
        then.ok(&organisation);
    });
    let datasets = typed(json!({
        "status": {"success": true, "details": "listed"},
        "items": [], "total_item_count": 0, "complete_item_count": 0, "seed_item_count": 0,
        "unparsable_item_count": 0, "not_authorised_count": 0
    }));
    server.list_datasets(|_, then| {
        then.ok(&datasets);
    });
}

/// A canned answer as the generated type the mock expects.
fn typed<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("the canned answers match the schemas")
}
