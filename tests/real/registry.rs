//! Registry workflows against the real registry API.

use std::collections::BTreeSet;
use std::sync::Arc;

use provena_client::clients::registry::{
    Creatable, Create, Dataset, DatasetTemplate, ItemSubtype, Model, ModelRun,
    ModelRunWorkflowTemplate, Organisation, Person, Revertable, Seedable, Study, Updatable,
    Version, Versionable,
};
use provena_client::models as rt;
use provena_client::{Error, ProvenaClient};
use serde_json::{Value, json};

use super::{Ctx, Fixtures, answered, from_json, organisation_read_role, to_json};

workflows! {
    "registry":
    organisation_create_fetch_update_revert,
    lock_status_flips_and_is_recorded,
    auth_settings_round_trip,
    lists_page_through_everything_created,
    seeded_item_is_completed_by_update,
    model_is_versioned,
    every_subtype_answers_every_shared_action,
    unknown_id_is_a_typed_not_found,
    general_and_admin_routes,
    admin_routes_refuse_an_ordinary_user_with_401,
}

fn organisation(name: &str) -> rt::OrganisationDomainInfo {
    from_json(json!({"display_name": name, "name": name, "ror": "https://ror.org/03qn8fb07"}))
}

fn person(first: &str, email: &str) -> rt::PersonDomainInfo {
    from_json(json!({
        "display_name": format!("{first} Tester"), "email": email,
        "first_name": first, "last_name": "Tester", "ethics_approved": true
    }))
}

/// Creates the shared organisation and person and links the person to the
/// admin user (the data store refuses dataset writes without that link).
pub async fn make_fixtures(ctx: &Ctx) -> Fixtures {
    let registry = ctx.admin.registry();
    let org = registry
        .create_item::<Organisation>(&organisation("Fixture Org"))
        .await
        .expect("create the fixture organisation");
    let organisation = org.created_item.expect("created organisation").id;
    // A link cannot be undone by its user: against servers that already ran
    // this suite, the linked person is reused.
    let linked = ctx
        .admin
        .auth()
        .get_link_lookup_username(None)
        .await
        .expect("look up the admin user's link");
    let person = match linked.person_id {
        Some(person) => person,
        None => {
            let email = format!("{}@example.com", ctx.env.admin_username);
            let created = registry
                .create_item::<Person>(&person("Fixture", &email))
                .await
                .expect("create the fixture person");
            let person = created.created_item.expect("created person").id;
            let request: provena_client::models::UserLinkUserAssignRequest =
                from_json(json!({"person_id": person}));
            ctx.admin
                .auth()
                .post_link_assign(&request)
                .await
                .expect("link the admin user to the fixture person");
            person
        }
    };
    Fixtures {
        organisation,
        person,
    }
}

async fn organisation_create_fetch_update_revert(ctx: Arc<Ctx>) {
    let registry = ctx.admin.registry();
    let info = organisation("Original Org");
    let created = registry
        .create_item::<Organisation>(&info)
        .await
        .expect("create");
    let id = created.created_item.expect("created item").id;

    let fetched = registry
        .fetch_item::<Organisation>(&id, None)
        .await
        .expect("fetch");
    let item = fetched.item.map(|i| to_json(&i)).expect("item");
    assert_eq!(item["name"], "Original Org");
    assert_eq!(item["display_name"], "Original Org");
    assert_eq!(item["ror"], "https://ror.org/03qn8fb07");
    assert_eq!(item["owner_username"], ctx.env.admin_username.as_str());
    assert_eq!(fetched.roles.map(|r| !r.is_empty()), Some(true));

    let renamed = organisation("Renamed Org");
    let updated = registry
        .update_item::<Organisation>(&id, Some("rename"), &renamed)
        .await
        .expect("update");
    assert!(updated.status.success);
    let after = registry
        .fetch_item::<Organisation>(&id, None)
        .await
        .expect("fetch after update");
    let after = after.item.map(|i| to_json(&i)).expect("item");
    assert_eq!(after["name"], "Renamed Org", "the update is visible");
    let history = after["history"].as_array().expect("history").clone();
    assert!(
        history.len() >= 2,
        "update recorded in history: {history:?}"
    );
    let original = history
        .iter()
        .find(|entry| entry["item"]["name"] == "Original Org")
        .expect("the original version is in the history");
    let history_id = original["id"].as_i64().expect("history id");

    let request: rt::ItemRevertRequest =
        from_json(json!({"id": id, "history_id": history_id, "reason": "undo rename"}));
    let reverted = registry
        .revert_item::<Organisation>(&request)
        .await
        .expect("revert");
    assert!(reverted.status.success);
    let restored = registry
        .fetch_item::<Organisation>(&id, None)
        .await
        .expect("fetch after revert");
    let restored = restored.item.map(|i| to_json(&i)).expect("item");
    assert_eq!(restored["name"], "Original Org", "the revert restores it");
}

async fn lock_status_flips_and_is_recorded(ctx: Arc<Ctx>) {
    let registry = ctx.admin.registry();
    let id = registry
        .create_item::<Organisation>(&organisation("Lockable Org"))
        .await
        .expect("create")
        .created_item
        .expect("item")
        .id;
    let status = registry
        .get_lock_status::<Organisation>(&id)
        .await
        .expect("status");
    assert!(!status.locked, "a new item is unlocked");

    let request: rt::LockChangeRequest = from_json(json!({"id": id, "reason": "freeze"}));
    registry
        .lock_resource::<Organisation>(&request)
        .await
        .expect("lock");
    assert!(
        registry
            .get_lock_status::<Organisation>(&id)
            .await
            .expect("status")
            .locked
    );
    let request: rt::LockChangeRequest = from_json(json!({"id": id, "reason": "thaw"}));
    registry
        .unlock_resource::<Organisation>(&request)
        .await
        .expect("unlock");
    assert!(
        !registry
            .get_lock_status::<Organisation>(&id)
            .await
            .expect("status")
            .locked
    );
    let history = registry
        .get_lock_history::<Organisation>(&id)
        .await
        .expect("history");
    let reasons: Vec<String> = to_json(&history.history)
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|event| event["reason"].as_str().map(String::from))
        .collect();
    assert!(
        reasons.contains(&"freeze".to_string()) && reasons.contains(&"thaw".to_string()),
        "both changes recorded: {reasons:?}"
    );
}

async fn auth_settings_round_trip(ctx: Arc<Ctx>) {
    let registry = ctx.admin.registry();
    let id = registry
        .create_item::<Organisation>(&organisation("Shared Org"))
        .await
        .expect("create")
        .created_item
        .expect("item")
        .id;
    let before = registry
        .get_auth_configuration::<Organisation>(&id)
        .await
        .expect("get settings");
    assert_eq!(before.owner, ctx.env.admin_username);

    let read_role = organisation_read_role(registry).await;
    let mut changed = before.clone();
    changed.general = vec![read_role.clone()];
    registry
        .modify_auth_configuration::<Organisation>(&id, &changed)
        .await
        .expect("put settings");
    let after = registry
        .get_auth_configuration::<Organisation>(&id)
        .await
        .expect("get settings again");
    assert_eq!(after.general, vec![read_role]);

    registry
        .modify_auth_configuration::<Organisation>(&id, &before)
        .await
        .expect("restore settings");
    let restored = registry
        .get_auth_configuration::<Organisation>(&id)
        .await
        .expect("get settings");
    assert_eq!(restored.general, before.general);

    let access = registry
        .evaluate_auth_access::<Organisation>(&id)
        .await
        .expect("evaluate");
    assert!(!access.roles.is_empty(), "the owner holds roles");
}

async fn lists_page_through_everything_created(ctx: Arc<Ctx>) {
    let registry = ctx.admin.registry();
    let mut created = BTreeSet::new();
    for n in 0..7 {
        let info: rt::StudyDomainInfo = from_json(json!({
            "display_name": format!("Paged study {n}"), "title": format!("Study {n}"),
            "description": "for paging"
        }));
        let item = registry
            .create_item::<Study>(&info)
            .await
            .expect("create study")
            .created_item
            .expect("item");
        created.insert(item.id);
    }

    // Per-subtype list, three at a time.
    let mut seen = BTreeSet::new();
    let mut key: Option<Value> = None;
    let mut pages = 0;
    loop {
        let mut request = json!({"page_size": 3});
        if let Some(key) = &key {
            request["pagination_key"] = key.clone();
        }
        let page = registry
            .list_items::<Study>(&from_json(request))
            .await
            .expect("list page");
        pages += 1;
        let items = page.items.unwrap_or_default();
        assert!(items.len() <= 3, "page size honoured");
        seen.extend(items.into_iter().map(|item| item.id));
        match page.pagination_key {
            Some(next) => key = Some(to_json(&next)),
            None => break,
        }
        assert!(pages < 50, "pagination does not end");
    }
    assert!(pages >= 3, "several pages: {pages}");
    assert!(created.is_subset(&seen), "every created study is listed");

    // The general list, filtered to studies, pages the same way.
    let mut general_seen = BTreeSet::new();
    let mut key: Option<Value> = None;
    loop {
        let mut request = json!({"page_size": 4, "filter_by": {"item_subtype": "STUDY"}});
        if let Some(key) = &key {
            request["pagination_key"] = key.clone();
        }
        let page = registry
            .general()
            .list_general_registry_items(&from_json(request))
            .await
            .expect("general list page");
        for item in page.items.unwrap_or_default() {
            if let Some(id) = item["id"].as_str() {
                general_seen.insert(id.to_string());
            }
        }
        match page.pagination_key {
            Some(next) => key = Some(to_json(&next)),
            None => break,
        }
    }
    assert!(
        created.is_subset(&general_seen),
        "the general list has them too"
    );
}

async fn seeded_item_is_completed_by_update(ctx: Arc<Ctx>) {
    let registry = ctx.admin.registry();
    let seeded = registry.seed_item::<Person>().await.expect("seed");
    let id = seeded.seeded_item.expect("seeded item").id;
    let plain = registry.fetch_item::<Person>(&id, None).await;
    assert!(plain.is_err(), "a seed is not a complete item: {plain:?}");
    let as_seed = registry
        .fetch_item::<Person>(&id, Some(true))
        .await
        .expect("fetch seed");
    assert_eq!(as_seed.item_is_seed, Some(true));

    registry
        .update_item::<Person>(
            &id,
            Some("complete"),
            &person("Seeded", "seeded@example.com"),
        )
        .await
        .expect("complete the seed");
    let complete = registry
        .fetch_item::<Person>(&id, None)
        .await
        .expect("fetch complete");
    assert_eq!(complete.item_is_seed, Some(false));
    let item = to_json(&complete.item.expect("item"));
    assert_eq!(item["first_name"], "Seeded");
}

fn model(name: &str) -> rt::ModelDomainInfo {
    from_json(json!({
        "display_name": name, "name": name, "description": "a model",
        "documentation_url": "https://example.org/docs", "source_url": "https://example.org/src"
    }))
}

async fn model_is_versioned(ctx: Arc<Ctx>) {
    let registry = ctx.admin.registry();
    let id = registry
        .create_item::<Model>(&model("Versioned model"))
        .await
        .expect("create model")
        .created_item
        .expect("item")
        .id;
    let request: rt::VersionRequest = from_json(json!({"id": id, "reason": "v2"}));
    let version = registry.version::<Model>(&request).await.expect("version");
    assert_ne!(version.new_version_id, id);
    assert!(!version.version_job_session_id.is_empty());
    let new = registry
        .fetch_item::<Model>(&version.new_version_id, None)
        .await
        .expect("fetch new version");
    let item = to_json(&new.item.expect("item"));
    assert_eq!(item["versioning_info"]["version"], 2);
    assert_eq!(item["versioning_info"]["previous_version"], id.as_str());
    assert_eq!(item["name"], "Versioned model");
}

/// Runs every action all subtypes share against one item (or, for subtypes
/// this suite cannot create, an id the registry does not hold).
async fn shared_actions<S: ItemSubtype>(
    client: &ProvenaClient,
    id: &str,
    info: &S::DomainInfo,
    owned: bool,
) {
    let name = S::ROUTE.name;
    let registry = client.registry();
    let fetched = registry.fetch_item::<S>(id, None).await;
    if owned {
        fetched.unwrap_or_else(|e| panic!("{name}: fetch: {e}"));
    } else {
        let error = fetched.expect_err("an id the registry does not hold");
        assert!(error.is_not_found(), "{name}: {error}");
    }
    let page = registry
        .list_items::<S>(&from_json(json!({"page_size": 2})))
        .await
        .unwrap_or_else(|e| panic!("{name}: list: {e}"));
    assert!(to_json(&page)["status"]["success"] == true);
    // The information may be a generated sample the server's own validators
    // refuse (422); invalid-but-parsable information is an answer, not an error.
    answered(
        &format!("{name}: validate"),
        &registry.validate_item::<S>(info).await,
    );
    let schema = registry
        .get_schema::<S>()
        .await
        .unwrap_or_else(|e| panic!("{name}: schema: {e}"));
    assert!(
        schema.json_schema.is_some_and(|s| !s.is_empty()),
        "{name}: schema"
    );
    registry
        .get_ui_schema::<S>()
        .await
        .unwrap_or_else(|e| panic!("{name}: ui schema: {e}"));
    let roles = registry
        .get_auth_roles::<S>()
        .await
        .unwrap_or_else(|e| panic!("{name}: roles: {e}"));
    assert!(!roles.roles.is_empty(), "{name}: roles");
    let evaluated = registry.evaluate_auth_access::<S>(id).await;
    let settings = registry.get_auth_configuration::<S>(id).await;
    if owned {
        evaluated.unwrap_or_else(|e| panic!("{name}: evaluate: {e}"));
        let settings = settings.unwrap_or_else(|e| panic!("{name}: settings: {e}"));
        registry
            .modify_auth_configuration::<S>(id, &settings)
            .await
            .unwrap_or_else(|e| panic!("{name}: put settings: {e}"));
    } else {
        answered(&format!("{name}: evaluate"), &evaluated);
        answered(&format!("{name}: settings"), &settings);
        let settings: rt::AccessSettings =
            from_json(json!({"owner": "nobody", "general": [], "groups": {}}));
        answered(
            &format!("{name}: put settings"),
            &registry.modify_auth_configuration::<S>(id, &settings).await,
        );
    }
    let lock: rt::LockChangeRequest = from_json(json!({"id": id, "reason": "shared actions"}));
    let locked = registry.lock_resource::<S>(&lock).await;
    let status = registry.get_lock_status::<S>(id).await;
    let history = registry.get_lock_history::<S>(id).await;
    let unlocked = registry.unlock_resource::<S>(&lock).await;
    if owned {
        locked.unwrap_or_else(|e| panic!("{name}: lock: {e}"));
        assert!(
            status
                .unwrap_or_else(|e| panic!("{name}: status: {e}"))
                .locked
        );
        history.unwrap_or_else(|e| panic!("{name}: lock history: {e}"));
        unlocked.unwrap_or_else(|e| panic!("{name}: unlock: {e}"));
    } else {
        answered(&format!("{name}: lock"), &locked);
        answered(&format!("{name}: status"), &status);
        answered(&format!("{name}: history"), &history);
        answered(&format!("{name}: unlock"), &unlocked);
    }
}

/// Creates an item of `S`, runs the shared actions on it, then the optional
/// ones it supports (seed, update, revert).
async fn creatable<S>(ctx: &Ctx, info: S::DomainInfo)
where
    S: Creatable + Updatable + Seedable + Revertable,
{
    let registry = ctx.admin.registry();
    let created = registry
        .create_item::<S>(&info)
        .await
        .unwrap_or_else(|e| panic!("{}: create: {e}", S::ROUTE.name));
    let id = to_json(&created)["created_item"]["id"]
        .as_str()
        .expect("created id")
        .to_string();
    shared_actions::<S>(&ctx.admin, &id, &info, true).await;
    let validity = registry
        .validate_item::<S>(&info)
        .await
        .unwrap_or_else(|e| panic!("{}: validate: {e}", S::ROUTE.name));
    assert!(
        validity.status.success,
        "{}: what was created validates: {}",
        S::ROUTE.name,
        validity.status.details
    );
    registry
        .update_item::<S>(&id, Some("touch"), &info)
        .await
        .unwrap_or_else(|e| panic!("{}: update: {e}", S::ROUTE.name));
    let seeded = registry
        .seed_item::<S>()
        .await
        .unwrap_or_else(|e| panic!("{}: seed: {e}", S::ROUTE.name));
    assert!(to_json(&seeded)["seeded_item"]["id"].is_string());
    let fetched = to_json(
        &registry
            .fetch_item::<S>(&id, None)
            .await
            .unwrap_or_else(|e| panic!("{}: fetch: {e}", S::ROUTE.name)),
    );
    let first = fetched["item"]["history"]
        .as_array()
        .and_then(|h| h.last())
        .and_then(|entry| entry["id"].as_i64())
        .expect("a history entry");
    let request: rt::ItemRevertRequest =
        from_json(json!({"id": id, "history_id": first, "reason": "back"}));
    registry
        .revert_item::<S>(&request)
        .await
        .unwrap_or_else(|e| panic!("{}: revert: {e}", S::ROUTE.name));
}

/// Creates an item of `S` and versions it: the new version links back.
async fn versioned<S: Creatable + Versionable>(ctx: &Ctx, info: &S::DomainInfo) {
    let registry = ctx.admin.registry();
    let created = registry
        .create_item::<S>(info)
        .await
        .unwrap_or_else(|e| panic!("{}: create: {e}", S::ROUTE.name));
    let id = to_json(&created)["created_item"]["id"]
        .as_str()
        .expect("created id")
        .to_string();
    let request: rt::VersionRequest = from_json(json!({"id": id, "reason": "next"}));
    let version = registry
        .version::<S>(&request)
        .await
        .unwrap_or_else(|e| panic!("{}: version: {e}", S::ROUTE.name));
    let new = to_json(
        &registry
            .fetch_item::<S>(&version.new_version_id, None)
            .await
            .unwrap_or_else(|e| panic!("{}: fetch version: {e}", S::ROUTE.name)),
    );
    assert_eq!(
        new["item"]["versioning_info"]["previous_version"],
        id.as_str()
    );
}

/// An id of an existing `subtype` item from the general list, if any.
async fn any_item_of(client: &ProvenaClient, subtype: &str) -> Option<String> {
    let request = from_json(json!({"page_size": 1, "filter_by": {"item_subtype": subtype}}));
    let page = client
        .registry()
        .general()
        .list_general_registry_items(&request)
        .await
        .ok()?;
    page.items?
        .first()
        .and_then(|item| item["id"].as_str().map(String::from))
}

async fn every_subtype_answers_every_shared_action(ctx: Arc<Ctx>) {
    let fixtures = ctx.fixtures().await.clone();
    creatable::<Organisation>(&ctx, organisation("Subtype org")).await;
    creatable::<Person>(&ctx, person("Subtype", "subtype@example.com")).await;
    creatable::<Model>(&ctx, model("Subtype model")).await;
    let dataset_template: rt::DatasetTemplateDomainInfo = from_json(json!({
        "display_name": "Subtype template", "description": "inputs",
        "defined_resources": [{"path": "data/in.csv", "description": "input", "usage_type": "GENERAL_DATA"}],
        "deferred_resources": []
    }));
    creatable::<DatasetTemplate>(&ctx, dataset_template.clone()).await;
    versioned::<DatasetTemplate>(&ctx, &dataset_template).await;
    let template_id = ctx
        .admin
        .registry()
        .create_item::<DatasetTemplate>(&dataset_template)
        .await
        .expect("template for the workflow")
        .created_item
        .expect("item")
        .id;
    let model_id = ctx
        .admin
        .registry()
        .create_item::<Model>(&model("Workflow model"))
        .await
        .expect("model for the workflow")
        .created_item
        .expect("item")
        .id;
    let workflow: rt::ModelRunWorkflowTemplateDomainInfo = from_json(json!({
        "display_name": "Subtype workflow", "software_id": model_id,
        "input_templates": [{"template_id": template_id}],
        "output_templates": [{"template_id": template_id}],
        "annotations": {"required": ["site"], "optional": []}
    }));
    creatable::<ModelRunWorkflowTemplate>(&ctx, workflow.clone()).await;
    versioned::<ModelRunWorkflowTemplate>(&ctx, &workflow).await;
    let study: rt::StudyDomainInfo = from_json(json!({
        "display_name": "Subtype study", "title": "A study", "description": "studied"
    }));
    creatable::<Study>(&ctx, study).await;

    // Subtypes the registry creates itself (create and version activities,
    // datasets through the data store, model runs through prov): an existing
    // item where one exists, else an id the registry does not hold.
    let document = crate::common::specs::document("registry");
    let sample = |schema: &str| {
        crate::common::specs::sample(
            &document,
            &json!({"$ref": format!("#/components/schemas/{schema}")}),
        )
    };
    let missing = format!("{}-missing", fixtures.organisation);
    for (subtype, schema) in [
        ("CREATE", "CreateDomainInfo"),
        ("VERSION", "VersionDomainInfo"),
        ("DATASET", "DatasetDomainInfo"),
        ("MODEL_RUN", "ModelRunDomainInfo"),
    ] {
        let existing = any_item_of(&ctx.admin, subtype).await;
        let owned = existing.is_some();
        let id = existing.unwrap_or_else(|| missing.clone());
        let info = sample(schema);
        match subtype {
            "CREATE" => shared_actions::<Create>(&ctx.admin, &id, &from_json(info), owned).await,
            "VERSION" => shared_actions::<Version>(&ctx.admin, &id, &from_json(info), owned).await,
            "DATASET" => shared_actions::<Dataset>(&ctx.admin, &id, &from_json(info), owned).await,
            _ => shared_actions::<ModelRun>(&ctx.admin, &id, &from_json(info), owned).await,
        }
    }
}

async fn unknown_id_is_a_typed_not_found(ctx: Arc<Ctx>) {
    let error = ctx
        .admin
        .registry()
        .fetch_item::<Organisation>("10378.1/does-not-exist", None)
        .await
        .expect_err("no such item");
    assert!(error.is_not_found(), "{error}");
    assert_eq!(error.status(), Some(200), "the registry says so in a 200");
    let error = ctx
        .admin
        .registry()
        .general()
        .general_fetch_item("10378.1/does-not-exist")
        .await
        .expect_err("no such item");
    assert!(error.is_not_found(), "{error}");
}

async fn general_and_admin_routes(ctx: Arc<Ctx>) {
    let fixtures = ctx.fixtures().await.clone();
    let registry = ctx.admin.registry();
    let health = registry.get_health_check().await.expect("health");
    assert!(!health.is_empty());
    let config = registry
        .generate_config_file(Some(true))
        .await
        .expect("config file");
    assert!(!config.as_bytes().is_empty(), "a non-empty config file");
    let version = registry
        .general()
        .get_current_provena_version()
        .await
        .expect("version");
    let _ = version;
    let fetched = registry
        .general()
        .general_fetch_item(&fixtures.organisation)
        .await
        .expect("general fetch");
    assert_eq!(
        fetched
            .item
            .as_ref()
            .and_then(|i| i.get("id"))
            .and_then(Value::as_str),
        Some(fixtures.organisation.as_str())
    );
    for (name, user) in [
        ("admin", registry.check_admin_access().await),
        ("general", registry.check_general_access().await),
        ("read", registry.check_read_access().await),
        ("write", registry.check_write_access().await),
    ] {
        let user = user.unwrap_or_else(|e| panic!("check {name} access: {e}"));
        assert_eq!(user.username, ctx.env.admin_username);
    }
    let releasing: rt::ListUserReviewingDatasetsRequest =
        from_json(json!({"filter_by": {}, "page_size": 5}));
    answered(
        "list releasing datasets",
        &registry.list_releasing_datasets(&releasing).await,
    );

    let admin = registry.admin();
    let export = admin.export_items().await.expect("export");
    let items = export.items.unwrap_or_default();
    let exported: BTreeSet<String> = items
        .iter()
        .filter_map(|bundle| to_json(bundle)["id"].as_str().map(String::from))
        .collect();
    assert!(
        exported.contains(&fixtures.organisation),
        "export holds the fixture"
    );
    let import: rt::RegistryImportRequest = from_json(json!({
        "import_mode": "ADD_ONLY", "items": to_json(&items), "trial_mode": true,
        "parse_items": true, "allow_entry_deletion": false
    }));
    let imported = admin.import_items(&import).await;
    answered("import (trial)", &imported);
    let restore: rt::RegistryRestoreRequest = from_json(json!({
        "import_mode": "ADD_ONLY", "table_names": {"resource_table_name": "no-such-table",
            "auth_table_name": "no-such-table", "lock_table_name": "no-such-table"},
        "trial_mode": true, "parse_items": true, "allow_entry_deletion": false
    }));
    answered(
        "restore (trial)",
        &admin.restore_items_from_dynamo_table(&restore).await,
    );
    let prov: rt::ProvGraphRestoreRequest =
        from_json(json!({"items": [], "trial_mode": true, "abort_if_failures": true}));
    answered(
        "restore prov graph (trial)",
        &admin.registry_admin_restore_prov_graph(&prov).await,
    );
}

async fn admin_routes_refuse_an_ordinary_user_with_401(ctx: Arc<Ctx>) {
    let registry = ctx.user.registry();
    let error = registry
        .check_admin_access()
        .await
        .expect_err("not an admin");
    assert!(matches!(error, Error::Unauthorized { .. }), "{error}");
    let user = registry.check_read_access().await.expect("read access");
    assert_eq!(user.username, ctx.env.user_username);
    let error = registry
        .admin()
        .export_items()
        .await
        .expect_err("not an admin");
    assert_eq!(error.status(), Some(401), "{error}");
}
