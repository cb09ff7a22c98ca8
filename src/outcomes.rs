// What the servers' in-body answers mean, read from their code. Shared through
// `include!` by the library and its build script, like `services.rs`.
//
// Provena's APIs answer many failures with HTTP 200 and a `success: false`
// flag in the body, and some "not found"s with statuses other than 404. These
// two tables say which of those answers are ordinary results and which
// messages mean "no such thing", so that neither needs guessing from English
// at the call site.

/// A `success: false` flag that answers the question asked instead of
/// reporting a failure: the facade returns such a body as `Ok`.
///
/// Every other `success` flag of a response (the body's own, or one member
/// deep, such as `status.success` or `state_change.success`) is a failure flag:
/// `false` there makes the call an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrdinaryFlag {
    /// Service name, as in [`crate::services::SERVICES`].
    pub service: &'static str,
    /// The operation's `operationId`; a trailing `*` stands for any rest
    /// (`validate_*`: every subtype's validate route).
    pub operation_id: &'static str,
    /// JSON pointer of the flag in the response body.
    pub flag: &'static str,
    /// What `false` means there.
    pub meaning: &'static str,
}

impl OrdinaryFlag {
    /// Whether this entry is about `operation_id` of `service`.
    pub fn covers(&self, service: &str, operation_id: &str) -> bool {
        self.service == service
            && match self.operation_id.strip_suffix('*') {
                Some(prefix) => operation_id.starts_with(prefix),
                None => operation_id == self.operation_id,
            }
    }
}

/// The flags whose `false` is an ordinary answer. `build.rs` fails when an
/// entry names a flag its document does not have, so the table cannot go stale.
pub const ORDINARY_FLAGS: &[OrdinaryFlag] = &[
    OrdinaryFlag {
        service: "auth",
        operation_id: "user_link_user_lookup",
        flag: "/success",
        meaning: "the user has no linked Person; `person_id` is null",
    },
    OrdinaryFlag {
        service: "auth",
        operation_id: "admin_link_user_lookup",
        flag: "/success",
        meaning: "the user has no linked Person; `person_id` is null",
    },
    OrdinaryFlag {
        service: "auth",
        operation_id: "change_request_state",
        flag: "/email_alert/success",
        meaning: "the state changed but no e-mail went out (none requested, no valid \
                  address, or sending failed); `email_alert.details` says which",
    },
    OrdinaryFlag {
        service: "registry",
        operation_id: "validate_*",
        flag: "/status/success",
        meaning: "the domain information is not valid; `status.details` says why",
    },
    OrdinaryFlag {
        service: "datastore",
        operation_id: "validate_metadata",
        flag: "/success",
        meaning: "the metadata is not valid; `details` says why",
    },
];

/// A server answer, other than a 404, that means "no such item".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // the build script reads only the other table
pub struct NotFoundAnswer {
    /// Service name.
    pub service: &'static str,
    /// The HTTP status the server answers with (200 for in-body failures).
    pub status: u16,
    /// Operations it applies to; empty for every operation of the service.
    pub operations: &'static [&'static str],
    /// Text the server's message contains: FastAPI's `detail` for an error
    /// status, `status.details` (or the bare `details`) for a 200.
    pub message_contains: &'static str,
}

/// Every non-404 "not found" the servers give. None of them has a structured
/// marker (a code or a field), so the message is all there is to go on; each
/// entry is the exact text of the server's code. A plain 404 is always "not
/// found" and needs no entry.
#[allow(dead_code)]
pub const NOT_FOUND_ANSWERS: &[NotFoundAnswer] = &[
    // Every registry route that reads an item by id: fetch, update, revert,
    // version, lock, auth routes of an item, ...
    NotFoundAnswer {
        service: "registry",
        status: 200,
        operations: &[],
        message_contains: "Could not find the given key (",
    },
    // The general fetch (any subtype by id) words it differently.
    NotFoundAnswer {
        service: "registry",
        status: 200,
        operations: &["fetch"],
        message_contains: "was not available in the registry",
    },
    // The data store relays the registry's answer inside a 400.
    NotFoundAnswer {
        service: "datastore",
        status: 400,
        operations: &[],
        message_contains: "Could not find the given key (",
    },
    NotFoundAnswer {
        service: "job",
        status: 400,
        operations: &["get_job", "admin_get_job"],
        message_contains: "Item was not found.",
    },
    // Access requests (add note, change state, delete).
    NotFoundAnswer {
        service: "auth",
        status: 200,
        operations: &[],
        message_contains: "Could not find item in table.",
    },
    // Group changes (add, remove member(s)) name a group that is not there.
    NotFoundAnswer {
        service: "auth",
        status: 400,
        operations: &[],
        message_contains: "but no such group was found.",
    },
    // Group update and delete.
    NotFoundAnswer {
        service: "auth",
        status: 400,
        operations: &["admin_update_group", "admin_remove_group"],
        message_contains: "but it does not exist!",
    },
    // Group routes: "No group with id {id} was found."
    NotFoundAnswer {
        service: "auth",
        status: 200,
        operations: &[],
        message_contains: "No group with id ",
    },
];
