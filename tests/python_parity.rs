//! Every public method of the Python client's L2 clients is either reachable
//! under its Python name or listed, with its Rust name, in the README's
//! Python → Rust table.
//!
//! `tests/data/python-l2-methods.txt` lists the 110 methods of
//! `provenaclient.clients` 0.29.1. The first test checks the README's table
//! names each of them; [`every_python_name_compiles`] is never run, it only
//! has to compile, and it calls the Rust method of every row.

use std::collections::BTreeSet;
use std::num::NonZeroU64;

use provena_client::clients::registry::{Model, Organisation};
use provena_client::ids::{GroupId, Username};
use provena_client::{ProvenaClient, models};

fn python_methods() -> Vec<String> {
    include_str!("data/python-l2-methods.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The Python column of the README's table: `auth.admin.get_list_groups`
/// from a row starting with ``| `auth.admin.get_list_groups()` |``.
fn readme_python_column() -> BTreeSet<String> {
    let readme = include_str!("../README.md");
    let table = readme
        .split("## Python → Rust names")
        .nth(1)
        .expect("the README has a Python → Rust section");
    // The first table of the section: its rows run up to the first blank line.
    table
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|cell| cell.split_once('(').map(|(path, _)| path.to_owned()))
        .collect()
}

#[test]
fn the_method_list_is_the_python_clients_whole_surface() {
    let methods = python_methods();
    assert_eq!(
        methods.len(),
        110,
        "provenaclient 0.29.1 has 110 public L2 methods"
    );
    let unique: BTreeSet<_> = methods.iter().collect();
    assert_eq!(unique.len(), methods.len(), "no method is listed twice");
}

#[test]
fn the_readme_table_lists_every_python_method() {
    let listed = readme_python_column();
    let missing: Vec<_> = python_methods()
        .into_iter()
        .filter(|method| !listed.contains(method))
        .collect();
    assert!(
        missing.is_empty(),
        "not in the README's Python → Rust table: {missing:?}"
    );
}

#[test]
fn the_readme_table_lists_nothing_the_python_client_lacks() {
    let known: BTreeSet<_> = python_methods().into_iter().collect();
    let extra: Vec<_> = readme_python_column()
        .into_iter()
        .filter(|method| !known.contains(method))
        .collect();
    assert!(
        extra.is_empty(),
        "README rows for no Python method: {extra:?}"
    );
}

/// One call per row of the README's table, in its order; the futures are
/// dropped unpolled. A rename that leaves the table behind fails to compile.
#[allow(dead_code, clippy::too_many_lines)]
fn every_python_name_compiles(c: &ProvenaClient) {
    // Stands in for a value of any type: the function never runs.
    fn it<T>() -> T {
        unreachable!("compile-only")
    }
    let depth = NonZeroU64::new(2);
    let (user, group) = (Username::new("u"), GroupId::new("g"));

    // auth.admin
    let admin = c.auth().admin();
    drop(admin.get_all_pending_request_history());
    drop(admin.get_all_request_history());
    drop(admin.get_user_pending_request_history("u"));
    drop(admin.get_user_request_history("u"));
    drop(admin.post_add_note(&it::<models::RequestAddNote>()));
    drop(admin.post_change_request_state(&it::<models::AccessRequestStatusChange>(), Some(true)));
    drop(admin.get_list_groups());
    drop(admin.get_describe_group("g"));
    drop(admin.get_list_members("g"));
    drop(admin.get_list_group_membership("u"));
    drop(admin.get_check_user_membership(&user, &group));
    drop(admin.post_groups_add_member("g", &it::<models::GroupUser>()));
    drop(admin.delete_remove_member(&group, &user));
    drop(admin.post_add_group(&it::<models::UserGroupMetadata>()));
    drop(admin.put_update_group(&it::<models::UserGroupMetadata>()));
    drop(admin.get_export_groups());
    drop(admin.post_import_groups(&it::<models::GroupsImportRequest>()));
    drop(admin.post_restore_groups_from_table("t", &it::<models::GroupsRestoreRequest>()));
    drop(admin.get_link_lookup_username("u"));
    drop(admin.get_link_reverse_lookup_username("p"));
    drop(admin.post_link_assign(&it::<models::AdminLinkUserAssignRequest>()));
    drop(admin.delete_clear_link("u"));

    // auth
    let auth = c.auth();
    drop(auth.get_health_check());
    drop(auth.get_user_request_history());
    drop(auth.post_user_request_change(&it::<models::AccessReport>(), Some(true)));
    drop(auth.get_user_pending_request_history());
    drop(auth.get_user_generate_access_report());
    drop(auth.get_list_groups());
    drop(auth.get_describe_group("g"));
    drop(auth.get_list_membership());
    drop(auth.get_list_group_members("g"));
    drop(auth.get_check_membership("g"));
    drop(auth.get_link_lookup_username(Some("u")));
    drop(auth.post_link_assign(&it::<models::UserLinkUserAssignRequest>()));
    drop(auth.post_link_validate(&it::<models::UserLinkUserValidateRequest>()));

    // datastore.review, datastore
    let review = c.datastore().review();
    drop(review.delete_dataset_reviewer("r"));
    drop(review.add_dataset_reviewer("r"));
    drop(review.approval_request(&it::<models::ReleaseApprovalRequest>()));
    drop(review.action_approval_request(&it::<models::ActionApprovalRequest>()));
    let datastore = c.datastore();
    drop(datastore.get_health_check());
    drop(datastore.validate_metadata(&it::<models::CollectionFormat>()));
    drop(datastore.update_metadata("h", "why", &it::<models::CollectionFormat>()));
    drop(datastore.revert_metadata(&it::<models::ItemRevertRequest>()));
    drop(datastore.version_dataset(&it::<models::VersionRequest>()));
    drop(datastore.list_datasets(&it::<models::NoFilterSubtypeListRequest>()));
    drop(datastore.generate_presigned_url(&it::<models::PresignedUrlRequest>()));
    drop(datastore.generate_read_access_credentials(&it::<models::CredentialsRequest>()));
    drop(datastore.generate_write_access_credentials(&it::<models::CredentialsRequest>()));
    drop(datastore.fetch_dataset("h"));
    drop(datastore.mint_dataset(&it::<models::CollectionFormat>()));

    // id_service
    let ids = c.id_service();
    drop(ids.mint(&it::<models::MintRequest>()));
    drop(ids.add_value(&it::<models::AddValueRequest>()));
    drop(ids.add_value_by_index(&it::<models::AddValueIndexRequest>()));
    drop(ids.list());
    drop(ids.modify_by_index(&it::<models::ModifyRequest>()));
    drop(ids.remove_by_index(&it::<models::RemoveRequest>()));

    // job_api.admin, job_api
    let jobs = c.job_api();
    drop(
        jobs.admin()
            .launch_job(&it::<models::AdminLaunchJobRequest>()),
    );
    drop(jobs.admin().get_job("s"));
    drop(
        jobs.admin()
            .list_jobs(&it::<models::AdminListJobsRequest>()),
    );
    drop(
        jobs.admin()
            .list_jobs_in_batch(&it::<models::AdminListByBatchRequest>()),
    );
    drop(jobs.get_health_check());
    drop(jobs.fetch_job("s"));
    drop(jobs.list_jobs(&it::<models::ListJobsRequest>()));
    drop(jobs.list_jobs_in_batch(&it::<models::ListByBatchRequest>()));

    // prov.admin, prov
    let prov = c.prov();
    drop(prov.generate_config_file(Some(true)));
    drop(
        prov.admin()
            .store_record(&it::<models::ItemModelRun>(), Some(true)),
    );
    drop(
        prov.admin()
            .store_multiple_records(&[it::<models::ItemModelRun>()], Some(true)),
    );
    drop(prov.admin().store_all_registry_records(Some(true)));
    drop(prov.get_health_check());
    drop(prov.post_update_model_run(&it::<models::PostUpdateModelRunInput>()));
    drop(prov.explore_upstream("i", depth));
    drop(prov.explore_downstream("i", depth));
    drop(prov.get_contributing_datasets("i", depth));
    drop(prov.get_effected_datasets("i", depth));
    drop(prov.get_contributing_agents("i", depth));
    drop(prov.get_effected_agents("i", depth));
    drop(prov.register_batch_model_runs(&it::<models::RegisterBatchModelRunRequest>()));
    drop(prov.register_model_run(&it::<models::ModelRunRecord>()));
    drop(prov.generate_csv_template("w"));
    drop(prov.convert_model_runs_to_csv("a,b\n"));
    drop(prov.regenerate_csv_from_model_run_batch("b"));
    drop(prov.generate_report(&it::<models::GenerateReportRequest>()));

    // registry.admin, registry.general, registry
    let registry = c.registry();
    drop(registry.admin().export_items());
    drop(
        registry
            .admin()
            .import_items(&it::<models::RegistryImportRequest>()),
    );
    drop(
        registry
            .admin()
            .restore_items_from_dynamo_table(&it::<models::RegistryRestoreRequest>()),
    );
    drop(registry.generate_config_file(Some(true)));
    drop(
        registry
            .general()
            .list_general_registry_items(&it::<models::GeneralListRequest>()),
    );
    drop(registry.general().general_fetch_item("i"));
    drop(registry.general().get_current_provena_version());
    drop(registry.get_health_check());
    drop(registry.fetch_item::<Organisation>("i", None));
    drop(registry.update_item::<Organisation>("i", Some("why"), &it()));
    drop(registry.list_items::<Organisation>(&it::<models::SubtypeListRequest>()));
    drop(registry.seed_item::<Organisation>());
    drop(registry.revert_item::<Organisation>(&it::<models::ItemRevertRequest>()));
    drop(registry.create_item::<Organisation>(&it()));
    drop(registry.get_schema::<Organisation>());
    drop(registry.validate_item::<Organisation>(&it()));
    drop(registry.evaluate_auth_access::<Organisation>("i"));
    drop(registry.get_auth_configuration::<Organisation>("i"));
    drop(registry.modify_auth_configuration::<Organisation>("i", &it::<models::AccessSettings>()));
    drop(registry.get_auth_roles::<Organisation>());
    drop(registry.lock_resource::<Organisation>(&it::<models::LockChangeRequest>()));
    drop(registry.unlock_resource::<Organisation>(&it::<models::LockChangeRequest>()));
    drop(registry.get_lock_history::<Organisation>("i"));
    drop(registry.get_lock_status::<Organisation>("i"));
    drop(registry.version::<Model>(&it::<models::VersionRequest>()));

    // search
    drop(c.search().search_registry("q", Some(5), None));
}
