//! The facade-method case table: one entry per facade method, with the
//! service and operation it must reach, the query it must send, and the call.
//! Shared by the loopback per-method test and the Prism contract tests.
#![allow(dead_code)] // each test binary uses a different part of it

use std::future::Future;
use std::pin::Pin;

use provena_client::ProvenaClient;
use provena_client::clients::registry::{
    Creatable, Create, Dataset, DatasetTemplate, ItemSubtype, Model, ModelRun,
    ModelRunWorkflowTemplate, Organisation, Person, Revertable, Seedable, Study, Updatable,
    Version, Versionable,
};
use provena_client::ids::{GroupId, Username};
use serde_json::Value;

pub type Outcome = Pin<Box<dyn Future<Output = provena_client::Result<()>> + Send>>;

/// One facade call: the service and operation it must reach, the query it
/// must send, and the call itself (given the sample request body).
pub struct Case {
    /// Service name.
    pub service: &'static str,
    /// The operation the call must reach.
    pub operation_id: String,
    /// The exact query it must send.
    pub query: Vec<(&'static str, &'static str)>,
    /// The call, given the sample request body.
    pub call: Box<dyn Fn(ProvenaClient, Value) -> Outcome>,
}

/// Decodes a sample request body into whatever type the method takes.
fn body<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("sample request body decodes into the request type")
}

macro_rules! case {
    ($service:literal, $operation:expr, [$(($key:literal, $value:literal)),*], |$client:ident, $body:ident| $call:expr) => {
        Case {
            service: $service,
            operation_id: $operation.to_string(),
            query: vec![$(($key, $value)),*],
            call: Box::new(move |$client: ProvenaClient, $body: Value| -> Outcome {
                Box::pin(async move {
                    let _ = &$body;
                    $call.await.map(drop)
                })
            }),
        }
    };
}

/// The operations every service (but auth) serves, for one service accessor.
macro_rules! common_cases {
    ($service:literal, $accessor:ident) => {
        vec![
            case!($service, "root", [], |c, b| c
                .$accessor()
                .get_health_check()),
            case!(
                $service,
                "generate_config_file",
                [("required_only", "true")],
                |c, b| c.$accessor().generate_config_file(Some(true))
            ),
            case!($service, "check_admin_access", [], |c, b| c
                .$accessor()
                .check_admin_access()),
            case!($service, "check_general_access", [], |c, b| c
                .$accessor()
                .check_general_access()),
            case!($service, "check_read_access", [], |c, b| c
                .$accessor()
                .check_read_access()),
            case!($service, "check_write_access", [], |c, b| c
                .$accessor()
                .check_write_access()),
        ]
    };
}

fn auth_cases() -> Vec<Case> {
    vec![
        case!("auth", "root", [], |c, b| c.auth().get_health_check()),
        case!("auth", "generate_config_file", [], |c, b| c
            .auth()
            .generate_config_file(None)),
        case!("auth", "check_general_access", [], |c, b| c
            .auth()
            .check_general_access()),
        case!("auth", "check_public_access", [], |c, b| c
            .auth()
            .check_public_access()),
        case!("auth", "get_requests", [], |c, b| c
            .auth()
            .get_user_request_history()),
        case!(
            "auth",
            "request_access_change",
            [("send_email", "true")],
            |c, b| c.auth().post_user_request_change(&body(b), Some(true))
        ),
        case!("auth", "get_pending_requests", [], |c, b| c
            .auth()
            .get_user_pending_request_history()),
        case!("auth", "generate_access_report", [], |c, b| c
            .auth()
            .get_user_generate_access_report()),
        case!("auth", "user_list_groups", [], |c, b| c
            .auth()
            .get_list_groups()),
        case!("auth", "user_describe_group", [("id", "g-1")], |c, b| c
            .auth()
            .get_describe_group("g-1")),
        case!("auth", "user_list_user_groups", [], |c, b| c
            .auth()
            .get_list_membership()),
        case!("auth", "user_list_members", [("id", "g-1")], |c, b| c
            .auth()
            .get_list_group_members("g-1")),
        case!(
            "auth",
            "user_check_membership",
            [("group_id", "g-1")],
            |c, b| c.auth().get_check_membership("g-1")
        ),
        case!(
            "auth",
            "user_link_user_lookup",
            [("username", "ana")],
            |c, b| c.auth().get_link_lookup_username(Some("ana"))
        ),
        case!("auth", "user_link_user_assign", [], |c, b| c
            .auth()
            .post_link_assign(&body(b))),
        case!("auth", "user_link_user_validate", [], |c, b| c
            .auth()
            .post_link_validate(&body(b))),
        case!(
            "auth",
            "user_link_reverse_lookup",
            [("person_id", "p-1")],
            |c, b| c.auth().admin().get_link_reverse_lookup_username("p-1")
        ),
        case!("auth", "get_all_requests", [], |c, b| c
            .auth()
            .admin()
            .get_all_request_history()),
        case!("auth", "get_all_pending_requests", [], |c, b| c
            .auth()
            .admin()
            .get_all_pending_request_history()),
        case!(
            "auth",
            "get_all_requests_for_user",
            [("username", "ana")],
            |c, b| c.auth().admin().get_user_request_history("ana")
        ),
        case!(
            "auth",
            "get_all_pending_requests_for_user",
            [("username", "ana")],
            |c, b| c.auth().admin().get_user_pending_request_history("ana")
        ),
        case!(
            "auth",
            "change_request_state",
            [("send_email_alert", "false")],
            |c, b| c
                .auth()
                .admin()
                .post_change_request_state(&body(b), Some(false))
        ),
        case!("auth", "add_note", [], |c, b| c
            .auth()
            .admin()
            .post_add_note(&body(b))),
        case!("auth", "delete_request", [], |c, b| c
            .auth()
            .admin()
            .delete_request(&body(b))),
        case!("auth", "admin_add_group", [], |c, b| c
            .auth()
            .admin()
            .post_add_group(&body(b))),
        case!("auth", "admin_add_member", [("group_id", "g-1")], |c, b| c
            .auth()
            .admin()
            .post_groups_add_member("g-1", &body(b))),
        case!(
            "auth",
            "admin_check_membership",
            [("group_id", "g-1"), ("username", "ana")],
            |c, b| c
                .auth()
                .admin()
                .get_check_user_membership(&Username::new("ana"), &GroupId::new("g-1"))
        ),
        case!("auth", "admin_describe_group", [("id", "g-1")], |c, b| c
            .auth()
            .admin()
            .get_describe_group("g-1")),
        case!("auth", "admin_list_groups", [], |c, b| c
            .auth()
            .admin()
            .get_list_groups()),
        case!("auth", "admin_list_members", [("id", "g-1")], |c, b| c
            .auth()
            .admin()
            .get_list_members("g-1")),
        case!(
            "auth",
            "admin_list_user_groups",
            [("username", "ana")],
            |c, b| c.auth().admin().get_list_group_membership("ana")
        ),
        case!("auth", "admin_remove_group", [("id", "g-1")], |c, b| c
            .auth()
            .admin()
            .admin_remove_group("g-1")),
        case!(
            "auth",
            "admin_remove_member",
            [("username", "ana"), ("group_id", "g-1")],
            |c, b| c
                .auth()
                .admin()
                .delete_remove_member(&GroupId::new("g-1"), &Username::new("ana"))
        ),
        case!("auth", "admin_remove_members", [], |c, b| c
            .auth()
            .admin()
            .admin_remove_members(&body(b))),
        case!("auth", "admin_update_group", [], |c, b| c
            .auth()
            .admin()
            .put_update_group(&body(b))),
        case!("auth", "groups_export", [], |c, b| c
            .auth()
            .admin()
            .get_export_groups()),
        case!("auth", "groups_import", [], |c, b| c
            .auth()
            .admin()
            .post_import_groups(&body(b))),
        case!(
            "auth",
            "groups_restore",
            [("table_name", "backup-1")],
            |c, b| c
                .auth()
                .admin()
                .post_restore_groups_from_table("backup-1", &body(b))
        ),
        case!("auth", "admin_link_user_assign", [], |c, b| c
            .auth()
            .admin()
            .post_link_assign(&body(b))),
        case!(
            "auth",
            "admin_link_user_clear",
            [("username", "ana")],
            |c, b| c.auth().admin().delete_clear_link("ana")
        ),
        case!(
            "auth",
            "admin_link_user_lookup",
            [("username", "ana")],
            |c, b| c.auth().admin().get_link_lookup_username("ana")
        ),
    ]
}

fn datastore_cases() -> Vec<Case> {
    let mut cases = common_cases!("datastore", datastore);
    cases.extend(vec![
        case!("datastore", "validate_metadata", [], |c, b| c
            .datastore()
            .validate_metadata(&body(b))),
        case!(
            "datastore",
            "update_metadata",
            [("handle_id", "10378.1/1"), ("reason", "typo")],
            |c, b| c.datastore().update_metadata("10378.1/1", "typo", &body(b))
        ),
        case!("datastore", "revert_metadata", [], |c, b| c
            .datastore()
            .revert_metadata(&body(b))),
        case!("datastore", "version_dataset", [], |c, b| c
            .datastore()
            .version_dataset(&body(b))),
        case!("datastore", "list", [], |c, b| c
            .datastore()
            .list_datasets(&body(b))),
        case!("datastore", "generate_presigned_url", [], |c, b| c
            .datastore()
            .generate_presigned_url(&body(b))),
        case!(
            "datastore",
            "generate_read_access_credentials",
            [],
            |c, b| c.datastore().generate_read_access_credentials(&body(b))
        ),
        case!(
            "datastore",
            "generate_write_access_credentials",
            [],
            |c, b| c.datastore().generate_write_access_credentials(&body(b))
        ),
        case!(
            "datastore",
            "fetch_dataset",
            [("handle_id", "10378.1/1")],
            |c, b| c.datastore().fetch_dataset("10378.1/1")
        ),
        case!("datastore", "mint_dataset", [], |c, b| c
            .datastore()
            .mint_dataset(&body(b))),
        case!("datastore", "get_dataset_schema", [], |c, b| c
            .datastore()
            .get_dataset_schema()),
        case!("datastore", "approval_request", [], |c, b| c
            .datastore()
            .review()
            .approval_request(&body(b))),
        case!("datastore", "action_approval_request", [], |c, b| c
            .datastore()
            .review()
            .action_approval_request(&body(b))),
        case!(
            "datastore",
            "add_reviewer",
            [("reviewer_id", "p-9")],
            |c, b| c.datastore().review().add_dataset_reviewer("p-9")
        ),
        case!(
            "datastore",
            "delete_reviewer",
            [("reviewer_id", "p-9")],
            |c, b| c.datastore().review().delete_dataset_reviewer("p-9")
        ),
        case!("datastore", "list_reviewers", [], |c, b| c
            .datastore()
            .review()
            .list_reviewers()),
    ]);
    cases
}

fn search_cases() -> Vec<Case> {
    let mut cases = common_cases!("search", search);
    cases.push(case!(
        "search",
        "search_entity_registry",
        [("query", "soil"), ("record_limit", "5")],
        |c, b| c.search().search_registry("soil", Some(5), None)
    ));
    cases
}

fn prov_cases() -> Vec<Case> {
    let mut cases = common_cases!("prov", prov);
    cases.extend(vec![
        case!("prov", "update_model_run", [], |c, b| c
            .prov()
            .post_update_model_run(&body(b))),
        case!(
            "prov",
            "explore_upstream",
            [("starting_id", "10378.1/5"), ("depth", "2")],
            |c, b| c
                .prov()
                .explore_upstream("10378.1/5", std::num::NonZeroU64::new(2))
        ),
        case!(
            "prov",
            "explore_downstream",
            [("starting_id", "10378.1/5"), ("depth", "3")],
            |c, b| c
                .prov()
                .explore_downstream("10378.1/5", std::num::NonZeroU64::new(3))
        ),
        case!(
            "prov",
            "special_contributing_datasets",
            [("starting_id", "10378.1/5")],
            |c, b| c.prov().get_contributing_datasets("10378.1/5", None)
        ),
        case!(
            "prov",
            "special_effected_datasets",
            [("starting_id", "10378.1/5"), ("depth", "1")],
            |c, b| c
                .prov()
                .get_effected_datasets("10378.1/5", std::num::NonZeroU64::new(1))
        ),
        case!(
            "prov",
            "special_contributing_agents",
            [("starting_id", "10378.1/5"), ("depth", "1")],
            |c, b| c
                .prov()
                .get_contributing_agents("10378.1/5", std::num::NonZeroU64::new(1))
        ),
        case!(
            "prov",
            "special_effected_agents",
            [("starting_id", "10378.1/5"), ("depth", "1")],
            |c, b| c
                .prov()
                .get_effected_agents("10378.1/5", std::num::NonZeroU64::new(1))
        ),
        case!("prov", "register_batch", [], |c, b| c
            .prov()
            .register_batch_model_runs(&body(b))),
        case!("prov", "register_model_run", [], |c, b| c
            .prov()
            .register_model_run(&body(b))),
        case!(
            "prov",
            "generate_template_csv",
            [("workflow_template_id", "10378.1/8")],
            |c, b| c.prov().generate_csv_template("10378.1/8")
        ),
        case!(
            "prov",
            "regenerate_from_batch_csv",
            [("batch_id", "batch-1")],
            |c, b| c.prov().regenerate_csv_from_model_run_batch("batch-1")
        ),
        case!("prov", "export_prov_graph", [], |c, b| c
            .prov()
            .generate_report(&body(b))),
        case!(
            "prov",
            "add_study_link",
            [("model_run_id", "10378.1/5"), ("study_id", "10378.1/6")],
            |c, b| c.prov().add_study_link("10378.1/5", "10378.1/6")
        ),
        case!("prov", "convert_model_runs_csv", [], |c, b| c
            .prov()
            .convert_model_runs_to_csv(b"a,b\n1,2\n".to_vec())),
        case!(
            "prov",
            "store_all_registry_records",
            [("validate_record", "true")],
            |c, b| c.prov().admin().store_all_registry_records(Some(true))
        ),
        case!("prov", "store_record", [], |c, b| c
            .prov()
            .admin()
            .store_record(&body(b), None)),
        case!(
            "prov",
            "store_records",
            [("validate_record", "false")],
            |c, b| c
                .prov()
                .admin()
                .store_multiple_records(&body::<Vec<_>>(b), Some(false))
        ),
    ]);
    cases
}

fn job_cases() -> Vec<Case> {
    let mut cases = common_cases!("job", job_api);
    cases.extend(vec![
        case!("job", "get_job", [("session_id", "s-1")], |c, b| c
            .job_api()
            .fetch_job("s-1")),
        case!("job", "list_jobs", [], |c, b| c
            .job_api()
            .list_jobs(&body(b))),
        case!("job", "list_batch", [], |c, b| c
            .job_api()
            .list_jobs_in_batch(&body(b))),
        case!("job", "admin_get_job", [("session_id", "s-1")], |c, b| c
            .job_api()
            .admin()
            .get_job("s-1")),
        case!("job", "launch_job", [], |c, b| c
            .job_api()
            .admin()
            .launch_job(&body(b))),
        case!("job", "admin_list_jobs", [], |c, b| c
            .job_api()
            .admin()
            .list_jobs(&body(b))),
        case!("job", "admin_list_batch", [], |c, b| c
            .job_api()
            .admin()
            .list_jobs_in_batch(&body(b))),
    ]);
    cases
}

fn id_service_cases() -> Vec<Case> {
    let mut cases = common_cases!("id-service", id_service);
    cases.extend(vec![
        case!("id-service", "mint", [], |c, b| c
            .id_service()
            .mint(&body(b))),
        case!("id-service", "add_value", [], |c, b| c
            .id_service()
            .add_value(&body(b))),
        case!("id-service", "add_value_by_index", [], |c, b| c
            .id_service()
            .add_value_by_index(&body(b))),
        case!("id-service", "get", [("id", "10378.1/3")], |c, b| c
            .id_service()
            .get("10378.1/3")),
        case!("id-service", "list", [], |c, b| c.id_service().list()),
        case!("id-service", "modify_by_index", [], |c, b| c
            .id_service()
            .modify_by_index(&body(b))),
        case!("id-service", "remove_by_index", [], |c, b| c
            .id_service()
            .remove_by_index(&body(b))),
    ]);
    cases
}

/// The generated operation id of a subtype action, from the route table.
fn subtype_operation<S: ItemSubtype>(action: &str) -> String {
    let route = S::ROUTE;
    // Upstream names the workflow template routes after the full subtype name.
    let name = match route.segment {
        "model_run_workflow" => "model_run_workflow_template",
        other => other,
    };
    format!("{action}{}_{name}", route.category.as_str())
}

/// The actions every subtype supports.
fn shared_registry_cases<S: ItemSubtype>() -> Vec<Case> {
    vec![
        case!(
            "registry",
            subtype_operation::<S>("fetch_"),
            [("id", "10378.1/1"), ("seed_allowed", "true")],
            |c, b| c.registry().fetch_item::<S>("10378.1/1", Some(true))
        ),
        case!("registry", subtype_operation::<S>("list_"), [], |c, b| c
            .registry()
            .list_items::<S>(&body(b))),
        case!(
            "registry",
            subtype_operation::<S>("validate_"),
            [],
            |c, b| c.registry().validate_item::<S>(&body(b))
        ),
        case!("registry", subtype_operation::<S>("schema_"), [], |c, b| c
            .registry()
            .get_schema::<S>()),
        case!(
            "registry",
            subtype_operation::<S>("ui_schema_"),
            [],
            |c, b| c.registry().get_ui_schema::<S>()
        ),
        case!(
            "registry",
            subtype_operation::<S>("auth_evaluate_"),
            [("id", "10378.1/1")],
            |c, b| c.registry().evaluate_auth_access::<S>("10378.1/1")
        ),
        case!(
            "registry",
            subtype_operation::<S>("auth_configuration_get_"),
            [("id", "10378.1/1")],
            |c, b| c.registry().get_auth_configuration::<S>("10378.1/1")
        ),
        case!(
            "registry",
            subtype_operation::<S>("auth_configuration_put_"),
            [("id", "10378.1/1")],
            |c, b| c
                .registry()
                .modify_auth_configuration::<S>("10378.1/1", &body(b))
        ),
        case!(
            "registry",
            subtype_operation::<S>("auth_roles_"),
            [],
            |c, b| c.registry().get_auth_roles::<S>()
        ),
        case!(
            "registry",
            subtype_operation::<S>("lock_lock"),
            [],
            |c, b| c.registry().lock_resource::<S>(&body(b))
        ),
        case!(
            "registry",
            subtype_operation::<S>("lock_unlock"),
            [],
            |c, b| c.registry().unlock_resource::<S>(&body(b))
        ),
        case!(
            "registry",
            subtype_operation::<S>("lock_history"),
            [("id", "10378.1/1")],
            |c, b| c.registry().get_lock_history::<S>("10378.1/1")
        ),
        case!(
            "registry",
            subtype_operation::<S>("lock_locked"),
            [("id", "10378.1/1")],
            |c, b| c.registry().get_lock_status::<S>("10378.1/1")
        ),
    ]
}

/// The optional actions of subtypes that support all of create, update, seed
/// and revert.
fn editable_registry_cases<S: Creatable + Updatable + Seedable + Revertable>() -> Vec<Case> {
    vec![
        case!("registry", subtype_operation::<S>("create_"), [], |c, b| c
            .registry()
            .create_item::<S>(&body(b))),
        case!(
            "registry",
            subtype_operation::<S>("update_"),
            [("id", "10378.1/1"), ("reason", "fix")],
            |c, b| c
                .registry()
                .update_item::<S>("10378.1/1", Some("fix"), &body(b))
        ),
        case!("registry", subtype_operation::<S>("seed_"), [], |c, b| c
            .registry()
            .seed_item::<S>()),
        case!("registry", subtype_operation::<S>("revert_"), [], |c, b| c
            .registry()
            .revert_item::<S>(&body(b))),
    ]
}

fn versionable_registry_cases<S: Versionable>() -> Vec<Case> {
    vec![case!(
        "registry",
        subtype_operation::<S>("version_"),
        [],
        |c, b| c.registry().version::<S>(&body(b))
    )]
}

fn registry_cases() -> Vec<Case> {
    let mut cases = common_cases!("registry", registry);
    cases.extend(shared_registry_cases::<Organisation>());
    cases.extend(editable_registry_cases::<Organisation>());
    cases.extend(shared_registry_cases::<Person>());
    cases.extend(editable_registry_cases::<Person>());
    cases.extend(shared_registry_cases::<Study>());
    cases.extend(editable_registry_cases::<Study>());
    cases.extend(shared_registry_cases::<Model>());
    cases.extend(editable_registry_cases::<Model>());
    cases.extend(versionable_registry_cases::<Model>());
    cases.extend(shared_registry_cases::<ModelRunWorkflowTemplate>());
    cases.extend(editable_registry_cases::<ModelRunWorkflowTemplate>());
    cases.extend(versionable_registry_cases::<ModelRunWorkflowTemplate>());
    cases.extend(shared_registry_cases::<DatasetTemplate>());
    cases.extend(editable_registry_cases::<DatasetTemplate>());
    cases.extend(versionable_registry_cases::<DatasetTemplate>());
    cases.extend(shared_registry_cases::<Dataset>());
    cases.extend(shared_registry_cases::<Create>());
    cases.extend(shared_registry_cases::<Version>());
    cases.extend(shared_registry_cases::<ModelRun>());
    cases.extend(vec![
        case!("registry", "list_releasing_datasets", [], |c, b| c
            .registry()
            .list_releasing_datasets(&body(b))),
        case!("registry", "fetch", [("id", "10378.1/1")], |c, b| c
            .registry()
            .general()
            .general_fetch_item("10378.1/1")),
        case!("registry", "list", [], |c, b| c
            .registry()
            .general()
            .list_general_registry_items(&body(b))),
        case!("registry", "version", [], |c, b| c
            .registry()
            .general()
            .get_current_provena_version()),
        case!("registry", "registry_admin_export", [], |c, b| c
            .registry()
            .admin()
            .export_items()),
        case!("registry", "registry_admin_import", [], |c, b| c
            .registry()
            .admin()
            .import_items(&body(b))),
        case!("registry", "registry_admin_restore", [], |c, b| c
            .registry()
            .admin()
            .restore_items_from_dynamo_table(&body(b))),
        case!(
            "registry",
            "registry_admin_restore_prov_graph",
            [],
            |c, b| c
                .registry()
                .admin()
                .registry_admin_restore_prov_graph(&body(b))
        ),
    ]);
    cases
}

pub fn all_cases() -> Vec<Case> {
    [
        auth_cases(),
        registry_cases(),
        datastore_cases(),
        search_cases(),
        prov_cases(),
        job_cases(),
        id_service_cases(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
