//! The auth service: access requests, user groups, and links between
//! Keycloak users and registry people.

use crate::ids::{GroupId, Username};
use crate::models;
use crate::raw::auth::Client as Raw;

/// Client of the auth service (`https://auth-api.{domain}`).
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
/// let groups = client.auth().get_list_groups().await?;
/// println!("{:?}", groups.groups.map(|g| g.len()));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AuthClient {
    raw: Raw,
}

impl AuthClient {
    crate::clients::raw_access!();

    /// Operations reserved to auth-service administrators.
    pub fn admin(&self) -> AuthAdminClient<'_> {
        AuthAdminClient { raw: &self.raw }
    }

    crate::clients::forward! {
        /// Health check of the service (`GET /`).
        fn get_health_check() -> std::collections::HashMap<String, String> => root();
        /// Downloads the service's configuration file (admin only), as bytes.
        fn generate_config_file(required_only: Option<bool>) -> bytes => generate_config_file(required_only);
        /// Checks that the caller may use the service.
        fn check_general_access() -> models::User => check_general_access();
        /// Checks that the service is reachable without any role.
        fn check_public_access() -> models::Status => check_public_access();
        /// The caller's access requests, all of them.
        fn get_user_request_history() -> models::AccessRequestList => get_requests();
        /// Asks for a change of the caller's roles; `send_email` notifies the admins.
        fn post_user_request_change(body: &models::AccessReport, send_email: Option<bool>) -> models::AccessRequestResponse
            => request_access_change(send_email, body);
        /// The caller's access requests still pending.
        fn get_user_pending_request_history() -> models::AccessRequestList => get_pending_requests();
        /// The roles the caller holds and may ask for.
        fn get_user_generate_access_report() -> models::AccessReportResponse => generate_access_report();
        /// Every user group.
        fn get_list_groups() -> models::ListGroupsResponse => user_list_groups();
        /// One group's metadata.
        fn get_describe_group(group_id: &str) -> models::DescribeGroupResponse => user_describe_group(group_id);
        /// The groups the caller belongs to.
        fn get_list_membership() -> models::ListUserMembershipResponse => user_list_user_groups();
        /// The members of a group.
        fn get_list_group_members(group_id: &str) -> models::ListMembersResponse => user_list_members(group_id);
        /// Whether the caller belongs to a group.
        fn get_check_membership(group_id: &str) -> models::CheckMembershipResponse => user_check_membership(group_id);
        /// The registry person linked to a username (the caller's if `None`).
        fn get_link_lookup_username(username: Option<&str>) -> models::UserLinkUserLookupResponse => user_link_user_lookup(username);
        /// Links the caller to a registry person.
        fn post_link_assign(request: &models::UserLinkUserAssignRequest) -> models::UserLinkUserAssignResponse
            => user_link_user_assign(request);
        /// Checks whether the caller may link to a registry person.
        fn post_link_validate(request: &models::UserLinkUserValidateRequest) -> models::UserLinkUserValidateResponse
            => user_link_user_validate(request);
    }
}

/// Administrator operations of the auth service: `client.auth().admin()`.
#[derive(Debug, Clone, Copy)]
pub struct AuthAdminClient<'a> {
    raw: &'a Raw,
}

impl AuthAdminClient<'_> {
    crate::clients::forward! {
        /// Every access request of every user.
        fn get_all_request_history() -> models::AccessRequestList => get_all_requests();
        /// Every pending access request.
        fn get_all_pending_request_history() -> models::AccessRequestList => get_all_pending_requests();
        /// One user's access requests.
        fn get_user_request_history(username: &str) -> models::AccessRequestList => get_all_requests_for_user(username);
        /// One user's pending access requests.
        fn get_user_pending_request_history(username: &str) -> models::AccessRequestList => get_all_pending_requests_for_user(username);
        /// Moves an access request to another state.
        fn post_change_request_state(request: &models::AccessRequestStatusChange, send_email_alert: Option<bool>) -> models::ChangeStateStatus => change_request_state(send_email_alert, request);
        /// Adds a note to an access request.
        fn post_add_note(request: &models::RequestAddNote) -> models::Status => add_note(request);
        /// Deletes an access request.
        fn delete_request(request: &models::DeleteAccessRequest) -> models::Status => delete_request(request);
        /// Creates a user group.
        fn post_add_group(group: &models::UserGroupMetadata) -> models::AddGroupResponse => admin_add_group(group);
        /// Adds a user to a group.
        fn post_groups_add_member(group_id: &str, user: &models::GroupUser) -> models::AddMemberResponse => admin_add_member(group_id, user);
        /// Whether a user belongs to a group.
        fn get_check_user_membership(username: &Username, group_id: &GroupId) -> models::CheckMembershipResponse
            => admin_check_membership(group_id.as_str(), username.as_str());
        /// One group's metadata.
        fn get_describe_group(group_id: &str) -> models::DescribeGroupResponse => admin_describe_group(group_id);
        /// Every group.
        fn get_list_groups() -> models::ListGroupsResponse => admin_list_groups();
        /// The members of a group.
        fn get_list_members(group_id: &str) -> models::ListMembersResponse => admin_list_members(group_id);
        /// The groups a user belongs to.
        fn get_list_group_membership(username: &str) -> models::ListUserMembershipResponse => admin_list_user_groups(username);
        /// Deletes a group.
        fn admin_remove_group(group_id: &str) -> models::RemoveGroupResponse => admin_remove_group(group_id);
        /// Removes a user from a group.
        fn delete_remove_member(group_id: &GroupId, username: &Username) -> models::RemoveMemberResponse
            => admin_remove_member(group_id.as_str(), username.as_str());
        /// Removes several users from a group.
        fn admin_remove_members(request: &models::RemoveMembersRequest) -> models::RemoveMemberResponse => admin_remove_members(request);
        /// Replaces a group's metadata.
        fn put_update_group(group: &models::UserGroupMetadata) -> models::UpdateGroupResponse => admin_update_group(group);
        /// Exports every group and its members.
        fn get_export_groups() -> models::GroupsExportResponse => groups_export();
        /// Imports groups from an export.
        fn post_import_groups(request: &models::GroupsImportRequest) -> models::GroupsImportResponse => groups_import(request);
        /// Restores groups from a backup table.
        fn post_restore_groups_from_table(table_name: &str, request: &models::GroupsRestoreRequest) -> models::GroupsImportResponse => groups_restore(table_name, request);
        /// Links a user to a registry person on their behalf.
        fn post_link_assign(request: &models::AdminLinkUserAssignRequest) -> models::AdminLinkUserAssignResponse => admin_link_user_assign(request);
        /// Removes a user's link to a registry person.
        fn delete_clear_link(username: &str) -> models::AdminLinkUserClearResponse => admin_link_user_clear(username);
        /// The usernames linked to a registry person (an admin route:
        /// `/link/admin/reverse_lookup`, whatever its operation id says).
        fn get_link_reverse_lookup_username(person_id: &str) -> models::UserLinkReverseLookupResponse => user_link_reverse_lookup(person_id);
        /// The registry person linked to a user.
        fn get_link_lookup_username(username: &str) -> models::AdminLinkUserLookupResponse => admin_link_user_lookup(username);
    }
}
