//! The registry: typed items per subtype.
//!
//! `cargo run --example registry` (against a mock unless `PROVENA_DOMAIN` is set).

mod common;

use std::error::Error;

use httpmock::Method::{GET, POST};
use provena_client::clients::registry::{ItemSubtype, Model, Organisation};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let connection = common::connect(|server| {
        server.mock(|when, then| {
            when.method(GET).path("/registry/agent/organisation/fetch");
            then.status(200).json_body(json!({
                "status": common::ok_status("fetched"),
                "item": {"id": "10378.1/1000001", "display_name": "Example Research Organisation",
                    "name": "Example Research Organisation", "owner_username": "admin",
                    "created_timestamp": 1700000000, "updated_timestamp": 1700000000,
                    "record_type": "COMPLETE_ITEM", "history": []},
                "roles": ["metadata-read"], "locked": false, "item_is_seed": false
            }));
        });
        server.mock(|when, then| {
            when.method(POST).path("/registry/entity/model/list");
            then.status(200).json_body(json!({
                "status": common::ok_status("listed"), "items": [], "total_item_count": 0
            }));
        });
        server.mock(|when, then| {
            when.method(GET).path("/registry/entity/model/auth/roles");
            then.status(200).json_body(json!({
                "status": common::ok_status("roles"),
                "roles": [{"role_name": "metadata-read", "role_display_name": "Metadata read",
                    "role_level": 1, "description": "Can read the item's metadata",
                    "also_grants": []}]
            }));
        });
    })
    .await?;
    let registry = connection.client.registry();

    // The subtype is a type parameter: the response type follows from it, and
    // an action the subtype does not support would not compile.
    let id = std::env::var("PROVENA_ORGANISATION_ID").unwrap_or_else(|_| "10378.1/1000001".into());
    let organisation = registry.fetch_item::<Organisation>(&id, None).await?;
    println!(
        "{} {}: roles {:?}",
        Organisation::ROUTE.name,
        id,
        organisation.roles.unwrap_or_default()
    );

    let page = registry
        .list_items::<Model>(&serde_json::from_value(json!({"page_size": 10}))?)
        .await?;
    println!(
        "models visible: {}",
        page.items.map(|items| items.len()).unwrap_or(0)
    );

    let roles = registry.get_auth_roles::<Model>().await?;
    for role in roles.roles {
        println!("model role {:<16} {}", role.role_name, role.description);
    }
    Ok(())
}
