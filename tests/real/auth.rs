//! Auth workflows against the real auth API: access requests (whose e-mails
//! go out as jobs through the real job API), user groups, and links between
//! users and registry people.
//!
//! The admin user's link to the fixture person is needed by the data store
//! and is never touched here; the link workflows work on the ordinary user.

use std::collections::BTreeSet;
use std::sync::Arc;

use provena_client::Error;
use provena_client::clients::registry::Person;
use provena_client::ids::{GroupId, Username};
use provena_client::models as at;
use serde_json::{Value, json};

use super::job::{await_launched, work};
use super::{Ctx, from_json, to_json, unique};

workflows! {
    "auth":
    health_config_and_access_checks,
    admin_routes_refuse_an_ordinary_user_with_401,
    access_report_mirrors_the_token_roles,
    access_request_appears_in_user_and_admin_histories,
    access_request_email_goes_out_as_a_job,
    access_request_notes_and_state_change_are_recorded,
    state_change_email_alert_goes_out_as_the_users_job,
    deleted_access_request_is_gone,
    unknown_access_request_is_a_typed_not_found,
    group_is_created_described_listed_and_updated,
    group_membership_is_visible_to_admin_and_member,
    removing_members_is_all_or_nothing,
    groups_export_imports_into_itself,
    groups_restore_from_a_backup_table,
    removed_group_is_not_found,
    user_links_to_a_person_they_own,
    admin_clears_and_reassigns_a_users_link,
}

/// The role the ordinary user asks for in the access-request workflows.
const ASKED_ROLE: &str = "sys-admin-read";

/// The auth API's configuration file as `key -> value`.
async fn config(ctx: &Ctx, required_only: Option<bool>) -> Vec<(String, String)> {
    let bytes = ctx
        .admin
        .auth()
        .generate_config_file(required_only)
        .await
        .expect("auth config file");
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (key, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("not a KEY=value line: {line}"));
            (key.to_string(), value.to_string())
        })
        .collect()
}

fn setting(config: &[(String, String)], key: &str) -> String {
    config
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("{key} not in the config file: {config:?}"))
}

/// The ordinary user's e-mail address, as their token has it.
async fn user_email(ctx: &Ctx) -> String {
    ctx.user
        .auth()
        .check_general_access()
        .await
        .expect("general access")
        .email
        .expect("the user's token has an e-mail address")
}

fn status_of(item: &at::RequestAccessTableItem) -> Value {
    to_json(&item.status)
}

/// The request of the ordinary user with `request_id` in `list`, if any.
fn find<'a>(
    list: &'a at::AccessRequestList,
    username: &str,
    request_id: i64,
) -> Option<&'a at::RequestAccessTableItem> {
    list.items
        .iter()
        .find(|item| item.username == username && item.request_id == request_id)
}

/// Deletes the ordinary user's pending requests (left by `smoke.sh` or an
/// interrupted run): the auth API refuses a new request while one pends.
async fn clear_pending(ctx: &Ctx) {
    let auth = ctx.admin.auth();
    let admin = auth.admin();
    let pending = admin
        .get_user_pending_request_history(&ctx.env.user_username)
        .await
        .expect("the user's pending requests");
    for item in pending.items {
        delete(ctx, &item).await;
    }
}

async fn delete(ctx: &Ctx, item: &at::RequestAccessTableItem) -> at::Status {
    let request: at::DeleteAccessRequest =
        from_json(json!({"username": item.username, "request_id": item.request_id}));
    ctx.admin
        .auth()
        .admin()
        .delete_request(&request)
        .await
        .expect("delete an access request")
}

/// The ordinary user asks for [`ASKED_ROLE`]; the new request (the user's
/// only pending one) and the server's answer.
async fn request_role(
    ctx: &Ctx,
    send_email: Option<bool>,
) -> (at::RequestAccessTableItem, at::Status) {
    clear_pending(ctx).await;
    let auth = ctx.user.auth();
    let report = auth
        .get_user_generate_access_report()
        .await
        .expect("access report")
        .report;
    let mut desired = to_json(&report);
    let mut asked = 0;
    for component in desired["components"].as_array_mut().expect("components") {
        for role in component["component_roles"]
            .as_array_mut()
            .expect("component roles")
        {
            if role["role_name"] == ASKED_ROLE {
                assert_eq!(role["access_granted"], false, "the user lacks {ASKED_ROLE}");
                role["access_granted"] = json!(true);
                asked += 1;
            }
        }
    }
    assert_eq!(asked, 1, "{ASKED_ROLE} is in the report once");
    let answer = auth
        .post_user_request_change(&from_json(desired), send_email)
        .await
        .expect("request an access change");
    assert!(answer.status.success);
    let pending = auth
        .get_user_pending_request_history()
        .await
        .expect("pending requests");
    assert_eq!(pending.items.len(), 1, "exactly the new request pends");
    let item = pending.items.into_iter().next().expect("one item");
    (item, answer.status)
}

async fn health_config_and_access_checks(ctx: Arc<Ctx>) {
    let auth = ctx.admin.auth();
    let health = auth.get_health_check().await.expect("health");
    assert_eq!(
        health.get("message").map(String::as_str),
        Some("Health check successful.")
    );
    let required = config(&ctx, Some(true)).await;
    let full = config(&ctx, None).await;
    for entry in &required {
        assert!(full.contains(entry), "{entry:?} in the full file too");
    }
    assert!(!setting(&full, "user_groups_table_name").is_empty());

    let public = ctx.user.auth().check_public_access().await.expect("public");
    assert!(public.success);
    assert_eq!(public.details, "Public access successful.");
    for (client, username) in [
        (&ctx.admin, &ctx.env.admin_username),
        (&ctx.user, &ctx.env.user_username),
    ] {
        let user = client.auth().check_general_access().await.expect("general");
        assert_eq!(&user.username, username);
        assert!(user.email.is_some_and(|email| email.contains('@')));
    }
    let admin = auth.check_general_access().await.expect("general");
    assert!(admin.roles.iter().any(|role| role == "sys-admin-admin"));
    let user = ctx
        .user
        .auth()
        .check_general_access()
        .await
        .expect("general");
    assert!(!user.roles.iter().any(|role| role.starts_with("sys-admin")));
}

async fn admin_routes_refuse_an_ordinary_user_with_401(ctx: Arc<Ctx>) {
    let auth = ctx.user.auth();
    let admin = auth.admin();
    let user = ctx.env.user_username.as_str();
    let nobody = unique("nobody");
    let group: at::UserGroupMetadata =
        from_json(json!({"id": unique("refused"), "display_name": "No", "description": "no"}));
    let member: at::GroupUser = from_json(json!({"username": user}));
    let note: at::RequestAddNote =
        from_json(json!({"username": user, "request_id": 1, "note": "no"}));
    let change: at::AccessRequestStatusChange = from_json(json!({
        "username": user, "request_id": 1, "desired_state": "APPROVED_PENDING_ACTION"
    }));
    let delete: at::DeleteAccessRequest = from_json(json!({"username": user, "request_id": 1}));
    let remove: at::RemoveMembersRequest =
        from_json(json!({"group_id": group.id, "member_usernames": [user]}));
    let import: at::GroupsImportRequest =
        from_json(json!({"import_mode": "ADD_ONLY", "items": [], "trial_mode": true}));
    let restore: at::GroupsRestoreRequest =
        from_json(json!({"import_mode": "ADD_ONLY", "trial_mode": true}));
    let link: at::AdminLinkUserAssignRequest =
        from_json(json!({"username": nobody, "person_id": "10378.1/none"}));
    let refusals: Vec<(&str, Option<Error>)> = vec![
        (
            "generate_config_file",
            auth.generate_config_file(None).await.err(),
        ),
        (
            "get_all_requests",
            admin.get_all_request_history().await.err(),
        ),
        (
            "get_all_pending_requests",
            admin.get_all_pending_request_history().await.err(),
        ),
        (
            "get_all_requests_for_user",
            admin.get_user_request_history(user).await.err(),
        ),
        (
            "get_all_pending_requests_for_user",
            admin.get_user_pending_request_history(user).await.err(),
        ),
        ("add_note", admin.post_add_note(&note).await.err()),
        (
            "change_request_state",
            admin.post_change_request_state(&change, None).await.err(),
        ),
        ("delete_request", admin.delete_request(&delete).await.err()),
        ("admin_add_group", admin.post_add_group(&group).await.err()),
        (
            "admin_update_group",
            admin.put_update_group(&group).await.err(),
        ),
        (
            "admin_describe_group",
            admin.get_describe_group(&group.id).await.err(),
        ),
        ("admin_list_groups", admin.get_list_groups().await.err()),
        (
            "admin_list_members",
            admin.get_list_members(&group.id).await.err(),
        ),
        (
            "admin_list_user_groups",
            admin.get_list_group_membership(user).await.err(),
        ),
        (
            "admin_check_membership",
            admin
                .get_check_user_membership(&Username::new(user), &GroupId::new(&group.id))
                .await
                .err(),
        ),
        (
            "admin_add_member",
            admin.post_groups_add_member(&group.id, &member).await.err(),
        ),
        (
            "admin_remove_member",
            admin
                .delete_remove_member(&GroupId::new(&group.id), &Username::new(user))
                .await
                .err(),
        ),
        (
            "admin_remove_members",
            admin.admin_remove_members(&remove).await.err(),
        ),
        (
            "admin_remove_group",
            admin.admin_remove_group(&group.id).await.err(),
        ),
        ("groups_export", admin.get_export_groups().await.err()),
        (
            "groups_import",
            admin.post_import_groups(&import).await.err(),
        ),
        (
            "groups_restore",
            admin
                .post_restore_groups_from_table(&nobody, &restore)
                .await
                .err(),
        ),
        (
            "admin_link_user_lookup",
            admin.get_link_lookup_username(user).await.err(),
        ),
        (
            "admin_link_user_assign",
            admin.post_link_assign(&link).await.err(),
        ),
        (
            "admin_link_user_clear",
            admin.delete_clear_link(&nobody).await.err(),
        ),
        (
            "user_link_reverse_lookup",
            admin
                .get_link_reverse_lookup_username("10378.1/none")
                .await
                .err(),
        ),
    ];
    for (operation, error) in refusals {
        let error = error.unwrap_or_else(|| panic!("{operation}: the ordinary user got through"));
        assert!(
            matches!(error, Error::Unauthorized { .. }),
            "{operation}: {error}"
        );
    }
}

async fn access_report_mirrors_the_token_roles(ctx: Arc<Ctx>) {
    for (who, client) in [("admin", &ctx.admin), ("user", &ctx.user)] {
        let auth = client.auth();
        let roles: BTreeSet<String> = auth
            .check_general_access()
            .await
            .expect("general access")
            .roles
            .into_iter()
            .collect();
        let answer = auth
            .get_user_generate_access_report()
            .await
            .expect("access report");
        assert!(answer.status.success);
        let mut named = 0;
        for component in &answer.report.components {
            for role in &component.component_roles {
                named += 1;
                assert_eq!(
                    role.access_granted,
                    roles.contains(&role.role_name),
                    "{who}: {} granted as the token says",
                    role.role_name
                );
            }
        }
        assert!(named > 0, "{who}: the report names roles");
        if who == "admin" {
            // The admin holds every role the report knows.
            assert!(
                answer
                    .report
                    .components
                    .iter()
                    .flat_map(|c| &c.component_roles)
                    .all(|role| role.access_granted)
            );
        }
    }

    // Asking for what one already has is refused in-body.
    let auth = ctx.user.auth();
    let current = auth
        .get_user_generate_access_report()
        .await
        .expect("access report")
        .report;
    let error = auth
        .post_user_request_change(&current, Some(false))
        .await
        .expect_err("no difference to ask for");
    let body = error
        .rejected_body()
        .and_then(|body| body.json())
        .unwrap_or_else(|| panic!("an in-body refusal: {error}"));
    assert_eq!(body["status"]["success"], false);
    assert!(
        body["status"]["details"]
            .as_str()
            .is_some_and(|d| d.contains("no differences")),
        "{body}"
    );
}

async fn access_request_appears_in_user_and_admin_histories(ctx: Arc<Ctx>) {
    let (item, answer) = request_role(&ctx, Some(false)).await;
    assert!(
        answer.details.contains("No email sent"),
        "{}",
        answer.details
    );
    let user = ctx.env.user_username.as_str();

    // The new record as the server wrote it.
    assert_eq!(item.username, user);
    assert_eq!(item.email, user_email(&ctx).await);
    assert_eq!(status_of(&item), "PENDING_APPROVAL");
    assert_eq!(item.ui_friendly_status, "request received, awaiting action");
    assert_eq!(item.notes, "");
    assert_eq!(item.created_timestamp, item.updated_timestamp);
    assert!(item.expiry > item.created_timestamp);
    let diff: Value = serde_json::from_str(&item.request_diff_contents).expect("diff JSON");
    let components = diff["components"].as_array().expect("components");
    assert_eq!(components.len(), 1, "only the changed component: {diff}");
    assert_eq!(components[0]["component_name"], "sys-admin");
    let roles = components[0]["component_roles"].as_array().expect("roles");
    assert_eq!(roles.len(), 1, "only the changed role: {diff}");
    assert_eq!(roles[0]["role_name"], ASKED_ROLE);
    assert_eq!(roles[0]["access_granted"], true);
    let complete: Value = serde_json::from_str(&item.complete_contents).expect("report JSON");
    assert!(
        complete["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["component_roles"].as_array().into_iter().flatten())
            .any(|role| role["role_name"] == ASKED_ROLE && role["access_granted"] == false),
        "the complete report records the access held when asking"
    );

    // Every history holds the same record.
    let auth = ctx.user.auth();
    let admin = ctx.admin.auth();
    let admin = admin.admin();
    let lists = [
        ("user history", auth.get_user_request_history().await),
        (
            "user pending",
            auth.get_user_pending_request_history().await,
        ),
        ("all", admin.get_all_request_history().await),
        ("all pending", admin.get_all_pending_request_history().await),
        ("for user", admin.get_user_request_history(user).await),
        (
            "pending for user",
            admin.get_user_pending_request_history(user).await,
        ),
    ];
    for (name, list) in lists {
        let list = list.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(find(&list, user, item.request_id), Some(&item), "{name}");
        if name.contains("pending") {
            assert!(
                list.items
                    .iter()
                    .all(|i| status_of(i) == "PENDING_APPROVAL"),
                "{name}: only pending requests"
            );
        }
        if name.starts_with("user") || name.ends_with("for user") {
            assert!(
                list.items.iter().all(|i| i.username == user),
                "{name}: only the user's"
            );
        }
    }
    delete(&ctx, &item).await;
}

async fn access_request_email_goes_out_as_a_job(ctx: Arc<Ctx>) {
    let (item, answer) = request_role(&ctx, Some(true)).await;
    assert!(
        answer.details.contains("dispatched email"),
        "{}",
        answer.details
    );
    let user = ctx.env.user_username.as_str();
    let subject = format!("Access request username: {user} id: {}", item.request_id);
    let job = await_launched(
        &ctx,
        &["--type", "EMAIL", "--subtype", "SEND_EMAIL"],
        |job| job["payload"]["subject"] == subject.as_str(),
    )
    .await;
    let to = setting(&config(&ctx, None).await, "access_request_email_address");
    assert_eq!(
        job["payload"]["email_to"],
        to.as_str(),
        "to the configured admins"
    );
    let body = job["payload"]["body"].as_str().expect("a body");
    assert!(
        body.contains(&format!("Role name: {ASKED_ROLE}, desired access: Granted")),
        "{body}"
    );
    // Launched under the auth API's own service account, not the user's.
    let launcher = job["username"].as_str().expect("a username");
    assert_ne!(launcher, user);
    assert!(launcher.starts_with("service-account-"), "{launcher}");
    delete(&ctx, &item).await;
}

async fn access_request_notes_and_state_change_are_recorded(ctx: Arc<Ctx>) {
    let (item, _) = request_role(&ctx, Some(false)).await;
    let user = ctx.env.user_username.as_str();
    let auth = ctx.admin.auth();
    let admin = auth.admin();

    let note: at::RequestAddNote =
        from_json(json!({"username": user, "request_id": item.request_id, "note": "first note"}));
    let added = admin.post_add_note(&note).await.expect("add note");
    assert!(added.success);
    let history = admin.get_user_request_history(user).await.expect("history");
    let noted = find(&history, user, item.request_id).expect("still there");
    assert_eq!(noted.notes, "first note");
    assert_eq!(status_of(noted), "PENDING_APPROVAL");

    let change: at::AccessRequestStatusChange = from_json(json!({
        "username": user, "request_id": item.request_id,
        "desired_state": "APPROVED_PENDING_ACTION", "additional_note": "approved by the suite"
    }));
    let changed = admin
        .post_change_request_state(&change, None)
        .await
        .expect("change state");
    assert!(changed.state_change.success, "{:?}", changed.state_change);
    assert!(changed.email_alert.success);
    assert_eq!(changed.email_alert.details, "No email requested.");

    let history = ctx
        .user
        .auth()
        .get_user_request_history()
        .await
        .expect("history");
    let approved = find(&history, user, item.request_id).expect("still there");
    assert_eq!(status_of(approved), "APPROVED_PENDING_ACTION");
    assert_eq!(
        approved.ui_friendly_status,
        "request approved, action underway"
    );
    assert_eq!(approved.notes, "first note,approved by the suite");
    assert_eq!(approved.created_timestamp, item.created_timestamp);
    for (name, list) in [
        (
            "user pending",
            ctx.user.auth().get_user_pending_request_history().await,
        ),
        ("all pending", admin.get_all_pending_request_history().await),
        (
            "pending for user",
            admin.get_user_pending_request_history(user).await,
        ),
    ] {
        let list = list.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            find(&list, user, item.request_id).is_none(),
            "{name}: no longer pending"
        );
    }

    // The same state again changes nothing and says so.
    let again = admin
        .post_change_request_state(&change, Some(true))
        .await
        .expect("same state");
    assert!(
        again.state_change.details.contains("already matching"),
        "{:?}",
        again
    );
    let history = admin.get_user_request_history(user).await.expect("history");
    assert_eq!(
        find(&history, user, item.request_id).map(|i| i.notes.as_str()),
        Some("first note,approved by the suite"),
        "no second note"
    );
    delete(&ctx, &item).await;
}

async fn state_change_email_alert_goes_out_as_the_users_job(ctx: Arc<Ctx>) {
    let (item, _) = request_role(&ctx, Some(false)).await;
    let user = ctx.env.user_username.as_str();
    let email = user_email(&ctx).await;
    let change: at::AccessRequestStatusChange = from_json(json!({
        "username": user, "request_id": item.request_id, "desired_state": "DENIED_PENDING_DELETION"
    }));
    let changed = ctx
        .admin
        .auth()
        .admin()
        .post_change_request_state(&change, Some(true))
        .await
        .expect("change state");
    assert!(changed.state_change.success);
    // An e-mail failure would still be Ok (see outcomes.rs): check the flag.
    assert!(changed.email_alert.success, "{:?}", changed.email_alert);
    assert_eq!(
        changed.email_alert.details,
        format!("Update email dispatched successfully to {email}.")
    );

    // The e-mail is a SEND_EMAIL job launched in the user's name.
    let subject = format!(
        "Status update for Provena access request {}",
        item.request_id
    );
    let job = await_launched(
        &ctx,
        &[
            "--type",
            "EMAIL",
            "--subtype",
            "SEND_EMAIL",
            "--username",
            user,
        ],
        |job| job["payload"]["subject"] == subject.as_str(),
    )
    .await;
    assert_eq!(job["payload"]["email_to"], email.as_str());
    let body = job["payload"]["body"].as_str().expect("a body");
    assert!(
        body.contains("from 'request received, awaiting action' to 'request denied'"),
        "{body}"
    );
    // Once a worker writes it, the user sees it among their own jobs.
    let session = job["session_id"].as_str().expect("a session id");
    work(&ctx, session, "SUCCEEDED", None, None);
    let own = ctx
        .user
        .job_api()
        .fetch_job(session)
        .await
        .expect("the user's job");
    assert_eq!(own.job.username, user);
    assert_eq!(to_json(&own.job.job_sub_type), "SEND_EMAIL");
    assert_eq!(own.job.payload["email_to"], email.as_str());
    assert_eq!(to_json(&own.job.status), "SUCCEEDED");
    delete(&ctx, &item).await;
}

async fn deleted_access_request_is_gone(ctx: Arc<Ctx>) {
    let (item, _) = request_role(&ctx, Some(false)).await;
    let user = ctx.env.user_username.as_str();
    let deleted = delete(&ctx, &item).await;
    assert!(deleted.success);
    assert_eq!(
        deleted.details,
        format!("Deleted record {}", item.request_id)
    );
    let auth = ctx.admin.auth();
    let admin = auth.admin();
    for (name, list) in [
        (
            "user history",
            ctx.user.auth().get_user_request_history().await,
        ),
        ("all", admin.get_all_request_history().await),
        ("for user", admin.get_user_request_history(user).await),
    ] {
        let list = list.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(find(&list, user, item.request_id).is_none(), "{name}: gone");
    }
    // A note or a state change for it: not found.
    let note: at::RequestAddNote =
        from_json(json!({"username": user, "request_id": item.request_id, "note": "late"}));
    let error = admin.post_add_note(&note).await.expect_err("deleted");
    assert!(error.is_not_found(), "{error}");
    // Deleting again still succeeds (the server does not check).
    assert!(delete(&ctx, &item).await.success);
}

async fn unknown_access_request_is_a_typed_not_found(ctx: Arc<Ctx>) {
    let auth = ctx.admin.auth();
    let admin = auth.admin();
    let username = unique("nobody");
    let note: at::RequestAddNote =
        from_json(json!({"username": username, "request_id": 1, "note": "anyone?"}));
    let error = admin
        .post_add_note(&note)
        .await
        .expect_err("no such request");
    assert!(error.is_not_found(), "{error}");
    assert_eq!(error.status(), Some(200), "said in a 200");
    let change: at::AccessRequestStatusChange = from_json(json!({
        "username": username, "request_id": 1, "desired_state": "APPROVED_PENDING_ACTION"
    }));
    let error = admin
        .post_change_request_state(&change, Some(true))
        .await
        .expect_err("no such request");
    assert!(error.is_not_found(), "{error}");
    assert_eq!(error.status(), Some(200), "said in a 200");
}

fn group_metadata(id: &str, name: &str) -> at::UserGroupMetadata {
    from_json(
        json!({"id": id, "display_name": name, "description": format!("{name}, made by the suite")}),
    )
}

/// Creates a group with a new id; its metadata.
async fn new_group(ctx: &Ctx, name: &str) -> at::UserGroupMetadata {
    let group = group_metadata(&unique("rs-group"), name);
    let added = ctx
        .admin
        .auth()
        .admin()
        .post_add_group(&group)
        .await
        .expect("add group");
    assert!(added.status.success);
    assert!(
        added.status.details.contains(&group.id),
        "{}",
        added.status.details
    );
    group
}

async fn remove_group(ctx: &Ctx, id: &str) {
    let removed = ctx
        .admin
        .auth()
        .admin()
        .admin_remove_group(id)
        .await
        .expect("remove group");
    assert!(removed.status.success);
}

fn member(username: &str) -> at::GroupUser {
    from_json(json!({
        "username": username, "email": format!("{username}@example.com"),
        "first_name": "Group", "last_name": "Member"
    }))
}

fn usernames(group: &at::ListMembersResponse) -> BTreeSet<String> {
    group
        .group
        .as_ref()
        .expect("the group")
        .users
        .iter()
        .map(|user| user.username.clone())
        .collect()
}

fn listed(groups: &Option<Vec<at::UserGroupMetadata>>, id: &str) -> Option<at::UserGroupMetadata> {
    groups
        .iter()
        .flatten()
        .find(|group| group.id == id)
        .cloned()
}

/// A group route's 400 that names a group that is not there: a typed not-found.
fn missing_group(what: &str, error: Error, says: &str) {
    match &error {
        Error::NotFound {
            detail,
            status: 400,
            ..
        } => {
            assert!(detail.contains(says), "{what}: {detail}")
        }
        other => panic!("{what}: expected a not-found 400, got {other}"),
    }
}

fn bad_request(what: &str, error: Error, says: &str) {
    match &error {
        Error::BadRequest { detail, .. } => assert!(detail.contains(says), "{what}: {detail}"),
        other => panic!("{what}: expected a 400, got {other}"),
    }
}

async fn group_is_created_described_listed_and_updated(ctx: Arc<Ctx>) {
    let group = new_group(&ctx, "Described group").await;
    let auth = ctx.admin.auth();
    let admin = auth.admin();
    let described = admin.get_describe_group(&group.id).await.expect("describe");
    assert_eq!(described.group.as_ref(), Some(&group));
    let described = ctx
        .user
        .auth()
        .get_describe_group(&group.id)
        .await
        .expect("describe as user");
    assert_eq!(described.group.as_ref(), Some(&group));
    let all = admin.get_list_groups().await.expect("list");
    assert_eq!(listed(&all.groups, &group.id).as_ref(), Some(&group));
    let all = ctx
        .user
        .auth()
        .get_list_groups()
        .await
        .expect("list as user");
    assert_eq!(listed(&all.groups, &group.id).as_ref(), Some(&group));

    let error = admin
        .post_add_group(&group)
        .await
        .expect_err("the id is taken");
    bad_request("add again", error, "existing group");

    let mut renamed = group_metadata(&group.id, "Renamed group");
    renamed.default_data_store_access =
        Some(vec!["metadata-read".into(), "dataset-data-read".into()]);
    let updated = admin.put_update_group(&renamed).await.expect("update");
    assert!(updated.status.success);
    let described = admin.get_describe_group(&group.id).await.expect("describe");
    assert_eq!(described.group.as_ref(), Some(&renamed));
    let all = ctx
        .user
        .auth()
        .get_list_groups()
        .await
        .expect("list as user");
    assert_eq!(listed(&all.groups, &group.id).as_ref(), Some(&renamed));

    let error = admin
        .put_update_group(&group_metadata(&unique("rs-no-group"), "Nobody's"))
        .await
        .expect_err("no such group");
    missing_group("update unknown", error, "does not exist");
    remove_group(&ctx, &group.id).await;
}

async fn group_membership_is_visible_to_admin_and_member(ctx: Arc<Ctx>) {
    let group = new_group(&ctx, "Membership group").await;
    let id = group.id.as_str();
    let user = ctx.env.user_username.as_str();
    let auth = ctx.admin.auth();
    let admin = auth.admin();
    let mine = ctx.user.auth();

    let added = admin
        .post_groups_add_member(id, &member(user))
        .await
        .expect("add member");
    assert!(added.status.success);
    let members = admin.get_list_members(id).await.expect("members");
    let listed_member = members
        .group
        .as_ref()
        .and_then(|g| g.users.iter().find(|u| u.username == user))
        .expect("the user is a member");
    assert_eq!(listed_member, &member(user), "the member as added");
    assert_eq!(usernames(&members), BTreeSet::from([user.to_string()]));
    let check = admin
        .get_check_user_membership(&Username::new(user), &GroupId::new(id))
        .await
        .expect("check");
    assert_eq!(check.is_member, Some(true));
    let check = admin
        .get_check_user_membership(&Username::new(&ctx.env.admin_username), &GroupId::new(id))
        .await
        .expect("check");
    assert_eq!(check.is_member, Some(false));
    let groups = admin
        .get_list_group_membership(user)
        .await
        .expect("user groups");
    assert_eq!(listed(&groups.groups, id).as_ref(), Some(&group));

    // The member's own views.
    let groups = mine.get_list_membership().await.expect("my groups");
    assert_eq!(listed(&groups.groups, id).as_ref(), Some(&group));
    let check = mine.get_check_membership(id).await.expect("my membership");
    assert_eq!(check.is_member, Some(true));
    let members = mine
        .get_list_group_members(id)
        .await
        .expect("members as member");
    assert_eq!(usernames(&members), BTreeSet::from([user.to_string()]));
    assert_eq!(
        mine.get_describe_group(id)
            .await
            .expect("describe")
            .group
            .as_ref(),
        Some(&group)
    );

    let error = admin
        .post_groups_add_member(id, &member(user))
        .await
        .expect_err("already a member");
    bad_request("add twice", error, "already a member");

    let removed = admin
        .delete_remove_member(&GroupId::new(id), &Username::new(user))
        .await
        .expect("remove member");
    assert!(removed.status.success);
    assert!(usernames(&admin.get_list_members(id).await.expect("members")).is_empty());
    assert_eq!(
        admin
            .get_check_user_membership(&Username::new(user), &GroupId::new(id))
            .await
            .expect("check")
            .is_member,
        Some(false)
    );
    assert!(
        listed(
            &admin
                .get_list_group_membership(user)
                .await
                .expect("groups")
                .groups,
            id
        )
        .is_none()
    );
    assert!(
        listed(
            &mine.get_list_membership().await.expect("groups").groups,
            id
        )
        .is_none()
    );
    assert_eq!(
        mine.get_check_membership(id)
            .await
            .expect("check")
            .is_member,
        Some(false)
    );
    // A non-member may not list the members: an in-body refusal.
    let error = mine
        .get_list_group_members(id)
        .await
        .expect_err("not a member any more");
    let details = error
        .rejected_body()
        .and_then(|body| body.json())
        .map(|body| body["status"]["details"].clone())
        .unwrap_or_else(|| panic!("an in-body refusal: {error}"));
    assert!(
        details.as_str().is_some_and(|d| d.contains("not a member")),
        "{details}"
    );

    let error = admin
        .delete_remove_member(&GroupId::new(id), &Username::new(user))
        .await
        .expect_err("not a member");
    bad_request("remove twice", error, "not found in the group");
    remove_group(&ctx, id).await;
}

async fn removing_members_is_all_or_nothing(ctx: Arc<Ctx>) {
    let group = new_group(&ctx, "Bulk removal group").await;
    let id = group.id.as_str();
    let both = BTreeSet::from([
        ctx.env.user_username.clone(),
        ctx.env.admin_username.clone(),
    ]);
    let auth = ctx.admin.auth();
    let admin = auth.admin();
    for username in &both {
        admin
            .post_groups_add_member(id, &member(username))
            .await
            .expect("add member");
    }
    assert_eq!(
        usernames(&admin.get_list_members(id).await.expect("members")),
        both
    );

    let request: at::RemoveMembersRequest = from_json(json!({
        "group_id": id, "member_usernames": [ctx.env.user_username, unique("nobody")]
    }));
    let error = admin
        .admin_remove_members(&request)
        .await
        .expect_err("one is not a member");
    bad_request("remove with a stranger", error, "No users removed");
    assert_eq!(
        usernames(&admin.get_list_members(id).await.expect("members")),
        both,
        "nobody was removed"
    );

    let request: at::RemoveMembersRequest =
        from_json(json!({"group_id": id, "member_usernames": both}));
    let removed = admin
        .admin_remove_members(&request)
        .await
        .expect("remove both");
    assert!(removed.status.success);
    assert!(
        removed.status.details.starts_with("2 users were removed"),
        "{:?}",
        removed.status
    );
    assert!(usernames(&admin.get_list_members(id).await.expect("members")).is_empty());
    remove_group(&ctx, id).await;
}

fn statistics(response: &at::GroupsImportResponse) -> Value {
    to_json(response.statistics.as_ref().expect("import statistics"))
}

async fn groups_export_imports_into_itself(ctx: Arc<Ctx>) {
    let group = new_group(&ctx, "Exported group").await;
    let user = ctx.env.user_username.as_str();
    let auth = ctx.admin.auth();
    let admin = auth.admin();
    admin
        .post_groups_add_member(&group.id, &member(user))
        .await
        .expect("add member");

    let export = admin.get_export_groups().await.expect("export");
    assert!(export.status.success);
    let items = export.items.expect("exported items");
    let n = items.len() as i64;
    assert!(
        export
            .status
            .details
            .contains(&format!("exported {n} items")),
        "{:?}",
        export.status
    );
    let mine = items
        .iter()
        .find(|item| item.get("id").and_then(Value::as_str) == Some(group.id.as_str()))
        .expect("the new group is exported");
    assert_eq!(mine["display_name"], group.display_name.as_str());
    assert_eq!(mine["users"], json!([to_json(&member(user))]));

    // Into itself, for real: every item overwrites itself.
    let request: at::GroupsImportRequest = from_json(json!({
        "import_mode": "OVERWRITE_ONLY", "items": items, "trial_mode": false, "parse_items": true
    }));
    let imported = admin.post_import_groups(&request).await.expect("import");
    assert!(imported.status.success);
    assert!(!imported.trial_mode);
    assert_eq!(
        statistics(&imported),
        json!({"old_size": n, "new_size": n, "deleted_entries": 0, "overwritten_entries": n, "new_entries": 0})
    );
    let members = admin.get_list_members(&group.id).await.expect("members");
    assert_eq!(
        usernames(&members),
        BTreeSet::from([user.to_string()]),
        "unchanged"
    );

    // ADD_ONLY of what exists: every item is a clash, nothing is written.
    let request: at::GroupsImportRequest = from_json(json!({
        "import_mode": "ADD_ONLY", "items": items, "trial_mode": true, "parse_items": true
    }));
    let error = admin
        .post_import_groups(&request)
        .await
        .expect_err("all overlap");
    let body = error
        .rejected_body()
        .and_then(|body| body.json())
        .unwrap_or_else(|| panic!("an in-body refusal: {error}"));
    assert_eq!(
        body["failure_list"].as_array().map(Vec::len),
        Some(items.len()),
        "{body}"
    );

    // A trial with one new group counts it but writes nothing.
    let extra = unique("rs-trial-group");
    let mut with_new = items.clone();
    with_new.push(from_json(
        json!({"id": extra, "display_name": "Trial", "description": "never written", "users": []}),
    ));
    let request: at::GroupsImportRequest = from_json(json!({
        "import_mode": "ADD_OR_OVERWRITE", "items": with_new, "trial_mode": true, "parse_items": true
    }));
    let trial = admin
        .post_import_groups(&request)
        .await
        .expect("trial import");
    assert!(trial.trial_mode);
    assert_eq!(
        statistics(&trial),
        json!({"old_size": n, "new_size": n + 1, "deleted_entries": 0, "overwritten_entries": n, "new_entries": 1})
    );
    let error = admin
        .get_describe_group(&extra)
        .await
        .expect_err("a trial writes nothing");
    assert!(error.is_not_found(), "{error}");

    // Parsing refuses an item that is not a group.
    let request: at::GroupsImportRequest = from_json(json!({
        "import_mode": "ADD_OR_OVERWRITE", "items": [{"id": extra}], "trial_mode": true, "parse_items": true
    }));
    let error = admin
        .post_import_groups(&request)
        .await
        .expect_err("not a group");
    let body = error
        .rejected_body()
        .and_then(|body| body.json())
        .unwrap_or_else(|| panic!("an in-body refusal: {error}"));
    assert!(
        body["status"]["details"]
            .as_str()
            .is_some_and(|d| d.contains("parsing issues")),
        "{body}"
    );
    remove_group(&ctx, &group.id).await;
}

/// Creates (`create`, items from stdin) or drops (`drop`) a DynamoDB table
/// keyed by `id` in moto, as a backup of the groups table would be.
fn backup_table(ctx: &Ctx, action: &str, table: &str, items: &Value) {
    let script = r#"
import boto3, json, os, sys
ddb = boto3.resource('dynamodb', endpoint_url=os.environ['AWS_ENDPOINT'],
    region_name=os.environ.get('PROVENA_REAL_AWS_REGION', 'ap-southeast-2'),
    aws_access_key_id='testing', aws_secret_access_key='testing')
action, name = sys.argv[1], sys.argv[2]
if action == 'create':
    table = ddb.create_table(TableName=name, BillingMode='PAY_PER_REQUEST',
        KeySchema=[{'AttributeName': 'id', 'KeyType': 'HASH'}],
        AttributeDefinitions=[{'AttributeName': 'id', 'AttributeType': 'S'}])
    table.wait_until_exists()
    for item in json.loads(sys.stdin.read()):
        table.put_item(Item=item)
else:
    ddb.Table(name).delete()
"#;
    let mut child = std::process::Command::new(&ctx.env.python)
        .args(["-c", script, action, table])
        .env("AWS_ENDPOINT", &ctx.env.aws_endpoint)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run python");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(items.to_string().as_bytes())
        .expect("write items");
    let output = child.wait_with_output().expect("python finishes");
    assert!(
        output.status.success(),
        "{action} table {table}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn groups_restore_from_a_backup_table(ctx: Arc<Ctx>) {
    let auth = ctx.admin.auth();
    let admin = auth.admin();
    let user = ctx.env.user_username.as_str();
    let restore: at::GroupsRestoreRequest =
        from_json(json!({"import_mode": "ADD_ONLY", "trial_mode": false, "parse_items": true}));

    // The active table itself is refused in-body.
    let active = setting(&config(&ctx, None).await, "user_groups_table_name");
    let error = admin
        .post_restore_groups_from_table(&active, &restore)
        .await
        .expect_err("the active table");
    let body = error
        .rejected_body()
        .and_then(|body| body.json())
        .unwrap_or_else(|| panic!("an in-body refusal: {error}"));
    assert!(
        body["status"]["details"]
            .as_str()
            .is_some_and(|d| d.contains("current active groups table")),
        "{body}"
    );

    // A backup holding one group (with a member) restores into the table.
    let id = unique("rs-restored-group");
    let table = unique("rs-groups-backup");
    let item = json!({
        "id": id, "display_name": "Restored group", "description": "from a backup table",
        "users": [to_json(&member(user))]
    });
    backup_table(&ctx, "create", &table, &json!([item]));
    let before = admin
        .get_export_groups()
        .await
        .expect("export")
        .items
        .unwrap_or_default()
        .len() as i64;
    let restored = admin.post_restore_groups_from_table(&table, &restore).await;
    let second = admin.post_restore_groups_from_table(&table, &restore).await;
    backup_table(&ctx, "drop", &table, &json!([]));
    let restored = restored.expect("restore");
    assert!(restored.status.success);
    assert!(!restored.trial_mode);
    assert_eq!(
        statistics(&restored),
        json!({"old_size": before, "new_size": before + 1, "deleted_entries": 0, "overwritten_entries": 0, "new_entries": 1})
    );
    let described = admin.get_describe_group(&id).await.expect("describe");
    assert_eq!(
        described.group.map(|g| g.display_name),
        Some("Restored group".to_string())
    );
    assert_eq!(
        admin
            .get_check_user_membership(&Username::new(user), &GroupId::new(&id))
            .await
            .expect("check")
            .is_member,
        Some(true)
    );
    // Restoring the same backup again in ADD_ONLY mode clashes.
    let error = second.expect_err("already restored");
    assert!(error.rejected_body().is_some(), "{error}");
    remove_group(&ctx, &id).await;
}

async fn removed_group_is_not_found(ctx: Arc<Ctx>) {
    let group = new_group(&ctx, "Removed group").await;
    let id = group.id.as_str();
    remove_group(&ctx, id).await;
    let auth = ctx.admin.auth();
    let admin = auth.admin();
    let mine = ctx.user.auth();
    let not_found = [
        (
            "admin_describe_group",
            admin.get_describe_group(id).await.err(),
        ),
        ("admin_list_members", admin.get_list_members(id).await.err()),
        (
            "admin_check_membership",
            admin
                .get_check_user_membership(
                    &Username::new(&ctx.env.user_username),
                    &GroupId::new(id),
                )
                .await
                .err(),
        ),
        (
            "get_describe_group",
            mine.get_describe_group(id).await.err(),
        ),
        (
            "get_check_membership",
            mine.get_check_membership(id).await.err(),
        ),
        (
            "get_list_group_members",
            mine.get_list_group_members(id).await.err(),
        ),
    ];
    for (operation, error) in not_found {
        let error = error.unwrap_or_else(|| panic!("{operation}: the group is still there"));
        assert!(error.is_not_found(), "{operation}: {error}");
        assert_eq!(error.status(), Some(200), "{operation}: said in a 200");
    }
    assert!(listed(&admin.get_list_groups().await.expect("list").groups, id).is_none());
    // Routes that change a group answer an unknown one with a 400 the
    // client reads as not-found.
    let error = admin
        .admin_remove_group(id)
        .await
        .expect_err("already removed");
    missing_group("remove again", error, "does not exist");
    let error = admin
        .post_groups_add_member(id, &member(&ctx.env.user_username))
        .await
        .expect_err("no such group");
    missing_group("add member", error, "no such group was found");
}

fn person_info(first: &str) -> provena_client::models::PersonDomainInfo {
    let name = unique(first);
    from_json(json!({
        "display_name": format!("{name} Linked"), "email": format!("{name}@example.com"),
        "first_name": name, "last_name": "Linked", "ethics_approved": true
    }))
}

/// A new Person owned by the ordinary user.
async fn users_person(ctx: &Ctx) -> String {
    ctx.user
        .registry()
        .create_item::<Person>(&person_info("Ordinary"))
        .await
        .expect("the ordinary user creates a person")
        .created_item
        .expect("created person")
        .id
}

/// Clears the ordinary user's link (a previous run leaves it set).
async fn unlink_user(ctx: &Ctx) {
    ctx.admin
        .auth()
        .admin()
        .delete_clear_link(&ctx.env.user_username)
        .await
        .expect("clear the ordinary user's link");
}

async fn lookups(ctx: &Ctx) -> [Option<String>; 3] {
    let user = ctx.env.user_username.as_str();
    let own = ctx
        .user
        .auth()
        .get_link_lookup_username(None)
        .await
        .expect("own lookup");
    assert_eq!(own.success, own.person_id.is_some(), "{own:?}");
    let by_name = ctx
        .admin
        .auth()
        .get_link_lookup_username(Some(user))
        .await
        .expect("lookup by name");
    let admin = ctx
        .admin
        .auth()
        .admin()
        .get_link_lookup_username(user)
        .await
        .expect("admin lookup");
    assert_eq!(admin.success, admin.person_id.is_some(), "{admin:?}");
    [own.person_id, by_name.person_id, admin.person_id]
}

async fn reverse(ctx: &Ctx, person: &str) -> Vec<String> {
    ctx.admin
        .auth()
        .admin()
        .get_link_reverse_lookup_username(person)
        .await
        .expect("reverse lookup")
        .usernames
}

async fn user_links_to_a_person_they_own(ctx: Arc<Ctx>) {
    let fixtures = ctx.fixtures().await.clone();
    unlink_user(&ctx).await;
    assert_eq!(lookups(&ctx).await, [None, None, None], "not linked");

    let person = users_person(&ctx).await;
    assert!(reverse(&ctx, &person).await.is_empty());
    let auth = ctx.user.auth();
    // Not exercised: validating or assigning a person someone else owns. The
    // auth API asks the registry with a blocking call, and the registry, for a
    // non-owner, asks the auth API for the user's groups: with one process
    // per service, as here, the two wait on each other for ever.
    let request: at::UserLinkUserValidateRequest = from_json(json!({"person_id": person}));
    let valid = auth.post_link_validate(&request).await.expect("validate");
    assert!(valid.status.success);
    let request: at::UserLinkUserAssignRequest = from_json(json!({"person_id": person}));
    auth.post_link_assign(&request).await.expect("assign");

    let linked = Some(person.clone());
    assert_eq!(
        lookups(&ctx).await,
        [linked.clone(), linked.clone(), linked]
    );
    assert_eq!(
        reverse(&ctx, &person).await,
        vec![ctx.env.user_username.clone()]
    );
    // The admin's link to the fixture person is untouched.
    let fixture_users = reverse(&ctx, &fixtures.person).await;
    assert!(
        fixture_users.contains(&ctx.env.admin_username),
        "{fixture_users:?}"
    );
    assert!(
        !fixture_users.contains(&ctx.env.user_username),
        "{fixture_users:?}"
    );

    // Linked once, a user cannot relink themselves.
    let request: at::UserLinkUserValidateRequest = from_json(json!({"person_id": person}));
    let error = auth
        .post_link_validate(&request)
        .await
        .expect_err("already linked");
    assert!(error.rejected_body().is_some(), "{error}");
    let request: at::UserLinkUserAssignRequest = from_json(json!({"person_id": person}));
    let error = auth
        .post_link_assign(&request)
        .await
        .expect_err("already linked");
    bad_request("assign again", error, "already has a person ID assigned");
}

async fn admin_clears_and_reassigns_a_users_link(ctx: Arc<Ctx>) {
    let user = ctx.env.user_username.clone();
    let first = users_person(&ctx).await;
    let second = users_person(&ctx).await;
    let auth = ctx.admin.auth();
    let admin = auth.admin();
    let assign = |person: &str, force: bool| -> at::AdminLinkUserAssignRequest {
        from_json(
            json!({"username": user, "person_id": person, "force": force, "validate_item": true}),
        )
    };

    unlink_user(&ctx).await;
    admin
        .post_link_assign(&assign(&first, false))
        .await
        .expect("assign");
    let linked = Some(first.clone());
    assert_eq!(
        lookups(&ctx).await,
        [linked.clone(), linked.clone(), linked]
    );

    let error = admin
        .post_link_assign(&assign(&second, false))
        .await
        .expect_err("already linked, no force");
    bad_request("reassign without force", error, "Use the force parameter");
    admin
        .post_link_assign(&assign(&second, true))
        .await
        .expect("forced reassign");
    let linked = Some(second.clone());
    assert_eq!(
        lookups(&ctx).await,
        [linked.clone(), linked.clone(), linked]
    );
    assert!(
        reverse(&ctx, &first).await.is_empty(),
        "the old person is free"
    );
    assert_eq!(reverse(&ctx, &second).await, vec![user.clone()]);

    admin.delete_clear_link(&user).await.expect("clear");
    assert_eq!(lookups(&ctx).await, [None, None, None], "cleared");
    assert!(reverse(&ctx, &second).await.is_empty());
    // Clearing what is not set is fine too.
    admin.delete_clear_link(&user).await.expect("clear again");

    admin
        .post_link_assign(&assign(&second, false))
        .await
        .expect("assign again");
    let linked = Some(second.clone());
    assert_eq!(
        lookups(&ctx).await,
        [linked.clone(), linked.clone(), linked]
    );
}
