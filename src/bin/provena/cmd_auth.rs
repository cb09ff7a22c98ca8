//! `provena login`, `logout` and `whoami`.

use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use serde::Serialize;

use crate::context::Context;
use crate::error::CliError;

/// Options of `provena login`.
#[derive(Debug, Args)]
pub struct Login {}

#[derive(Serialize)]
struct LoginDone {
    logged_in: bool,
    expires_at: Option<u64>,
}

/// Runs the device flow; the URL and code go to stderr, nothing is opened.
pub async fn login(context: &Context, _args: Login) -> Result<(), CliError> {
    let device = context.device()?.with_prompt(|prompt| {
        eprintln!(
            "Open {} and confirm the code {}",
            prompt.url(),
            prompt.user_code
        );
    });
    let token = device.login().await?;
    let done = LoginDone {
        logged_in: true,
        expires_at: token.expires_at().and_then(unix_seconds),
    };
    context.out.emit(&done, |out| writeln!(out, "Logged in."))
}

#[derive(Serialize)]
struct LogoutDone {
    removed_cached_login: bool,
}

/// Forgets the cached device login.
pub async fn logout(context: &Context) -> Result<(), CliError> {
    let removed = context.device()?.logout().await?;
    let done = LogoutDone {
        removed_cached_login: removed,
    };
    context.out.emit(&done, |out| {
        if removed {
            writeln!(out, "Logged out.")
        } else {
            writeln!(out, "Not logged in; nothing to forget.")
        }
    })
}

/// What `whoami` shows; never the token itself.
#[derive(Serialize)]
struct WhoAmI {
    username: String,
    email: Option<String>,
    roles: Vec<String>,
    groups: Vec<String>,
    linked_person: Option<String>,
    token_expires_at: Option<u64>,
}

/// The caller as the services see them.
pub async fn whoami(context: &Context) -> Result<(), CliError> {
    let client = context.client()?;
    let token = client.auth_manager().access_token().await?;
    let user = client.auth().check_general_access().await?;
    let groups = client.auth().get_list_membership().await?;
    let link = client.auth().get_link_lookup_username(None).await?;
    let mut roles = user.roles.clone();
    roles.sort();
    let me = WhoAmI {
        username: user.username.clone(),
        email: user.email.clone(),
        roles,
        groups: groups
            .groups
            .unwrap_or_default()
            .into_iter()
            .map(|group| group.id)
            .collect(),
        linked_person: link.person_id,
        token_expires_at: token.expires_at().and_then(unix_seconds),
    };
    context.out.emit(&me, |out| {
        writeln!(out, "user:          {}", me.username)?;
        if let Some(email) = &me.email {
            writeln!(out, "email:         {email}")?;
        }
        writeln!(out, "roles:         {}", me.roles.join(", "))?;
        writeln!(out, "groups:        {}", none_if_empty(&me.groups))?;
        writeln!(
            out,
            "linked person: {}",
            me.linked_person.as_deref().unwrap_or("(none)")
        )?;
        match me.token_expires_at {
            Some(at) => writeln!(out, "token expires: in {}", until(at)),
            None => writeln!(out, "token expires: (unknown)"),
        }
    })
}

fn none_if_empty(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

fn unix_seconds(at: SystemTime) -> Option<u64> {
    at.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// `4m 10s` from now until `at` (unix seconds), or `expired`.
fn until(at: u64) -> String {
    let now = unix_seconds(SystemTime::now()).unwrap_or(0);
    match at.checked_sub(now) {
        Some(left) if left > 0 => format!("{}m {}s", left / 60, left % 60),
        _ => "expired".to_owned(),
    }
}
