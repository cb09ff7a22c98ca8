//! The auth service: groups and the caller's memberships.
//!
//! `cargo run --example auth` (against a mock unless `PROVENA_DOMAIN` is set).

mod common;

use std::error::Error;

use httpmock::Method::GET;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let connection = common::connect(|server| {
        server.mock(|when, then| {
            when.method(GET).path("/groups/user/list_groups");
            then.status(200).json_body(json!({
                "status": common::ok_status("listed"),
                "groups": [{"id": "soil-team", "display_name": "Soil team", "description": "Soil moisture modellers"}]
            }));
        });
        server.mock(|when, then| {
            when.method(GET).path("/groups/user/check_membership").query_param("group_id", "soil-team");
            then.status(200).json_body(json!({"status": common::ok_status("checked"), "is_member": true}));
        });
    })
    .await?;
    let auth = connection.client.auth();

    for group in auth.get_list_groups().await?.groups.unwrap_or_default() {
        let membership = auth.get_check_membership(&group.id).await?;
        println!(
            "{:<12} {:<20} member: {}",
            group.id,
            group.display_name,
            membership.is_member.unwrap_or(false)
        );
    }
    Ok(())
}
