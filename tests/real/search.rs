//! Search-and-fetch against the real registry. The search service does not
//! run here (it needs OpenSearch): a loopback recorder answers the search
//! with the ids of items made in the real registry for this run, and every
//! fetch goes to the real registry, whose access settings decide what the
//! ordinary user may read.

use std::sync::Arc;

use provena_client::clients::registry::Organisation;
use provena_client::models as rt;
use provena_client::search_and_fetch::{FailedHit, LoadError};
use provena_client::{Error, ProvenaClient};
use serde_json::json;

use super::{Ctx, from_json, organisation_read_role, unique};
use crate::common::recorder::{Recorder, Reply};

workflows! {
    "search":
    search_and_fetch_sorts_real_items_by_what_the_caller_may_read,
}

/// Creates an organisation as the admin and sets its general roles (the
/// roles every signed-in user holds on it).
async fn organisation_with_general_roles(ctx: &Ctx, name: &str, general: Vec<String>) -> String {
    let registry = ctx.admin.registry();
    let info: rt::OrganisationDomainInfo = from_json(json!({
        "display_name": name, "name": name, "ror": "https://ror.org/03qn8fb07"
    }));
    let id = registry
        .create_item::<Organisation>(&info)
        .await
        .expect("create an organisation")
        .created_item
        .expect("created item")
        .id;
    let mut settings = registry
        .get_auth_configuration::<Organisation>(&id)
        .await
        .expect("its access settings");
    settings.general = general;
    registry
        .modify_auth_configuration::<Organisation>(&id, &settings)
        .await
        .expect("set its general roles");
    id
}

fn ids(hits: &[FailedHit]) -> Vec<&str> {
    hits.iter().map(|failed| failed.hit.id.as_str()).collect()
}

async fn search_and_fetch_sorts_real_items_by_what_the_caller_may_read(ctx: Arc<Ctx>) {
    let read_role = organisation_read_role(ctx.admin.registry()).await;
    let open = organisation_with_general_roles(&ctx, "Searchable open org", vec![read_role]).await;
    let closed = organisation_with_general_roles(&ctx, "Searchable closed org", vec![]).await;
    let missing = format!("{open}-missing");

    // The registry itself refuses the closed one to the ordinary user.
    let direct = ctx
        .user
        .registry()
        .fetch_item::<Organisation>(&closed, None)
        .await
        .expect_err("no read role on the closed organisation");
    assert!(matches!(direct, Error::Unauthorized { .. }), "{direct}");

    let query = unique("searchable-org");
    let search = Recorder::start().await;
    search.set_fallback(Reply::json(
        200,
        &json!({
            "status": {"success": true, "details": "stand-in search"},
            "results": [
                {"id": open, "score": 3.0},
                {"id": closed, "score": 2.0},
                {"id": missing, "score": 1.0}
            ]
        }),
    ));
    let search_url = search.url();
    let as_user: ProvenaClient = ctx.client_with(&ctx.env.user_token, &[("search", &search_url)]);
    let as_admin: ProvenaClient = ctx.client_with(&ctx.env.admin_token, &[("search", &search_url)]);

    let found = as_user
        .search_and_fetch::<Organisation>(query.as_str())
        .concurrency(2)
        .send()
        .await
        .expect("the search answers");

    assert_eq!(found.hit_count(), 3);
    assert_eq!(found.loaded.len(), 1, "only the open organisation loads");
    let loaded = &found.loaded[0];
    assert_eq!(loaded.id.as_str(), open);
    assert_eq!(loaded.score, 3.0);
    assert_eq!(loaded.item.name, "Searchable open org");
    assert_eq!(loaded.item.owner_username, ctx.env.admin_username);
    assert!(
        !loaded.roles.is_empty(),
        "the user's roles on it: {:?}",
        loaded.roles
    );
    assert_eq!(ids(&found.forbidden), [closed.as_str()]);
    let refusal = &found.forbidden[0].error;
    assert!(
        matches!(refusal, LoadError::Fetch(e) if e.status() == Some(401)),
        "{refusal}"
    );
    assert_eq!(ids(&found.failed), [missing.as_str()]);
    let failure = &found.failed[0].error;
    assert!(
        matches!(failure, LoadError::Fetch(e) if e.is_not_found()),
        "{failure}"
    );

    // The owner (an admin) reads both.
    let found = as_admin
        .search_and_fetch::<Organisation>(query.as_str())
        .send()
        .await
        .expect("the search answers");
    let loaded: Vec<&str> = found.loaded.iter().map(|hit| hit.id.as_str()).collect();
    assert_eq!(loaded, [open.as_str(), closed.as_str()]);
    assert!(found.forbidden.is_empty());
    assert_eq!(ids(&found.failed), [missing.as_str()]);
    let searches = search.requests();
    assert_eq!(searches.len(), 2, "one search per call");
    for request in &searches {
        assert_eq!(request.path, "/search/entity-registry");
        let param = |name: &str| {
            request
                .query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(param("query"), Some(query.as_str()));
        assert_eq!(param("subtype_filter"), Some("ORGANISATION"));
    }
}
