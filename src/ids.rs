//! Identifier newtypes for arguments that would otherwise be two
//! interchangeable strings.
//!
//! `get_check_user_membership(username, group_id)` takes a [`Username`] and a
//! [`GroupId`], so passing them the wrong way round does not compile:
//!
//! ```compile_fail
//! # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
//! use provena_client::ids::{GroupId, Username};
//! let (user, group) = (Username::new("ana"), GroupId::new("analysts"));
//! client.auth().admin().get_check_user_membership(&group, &user).await?;
//! # Ok(()) }
//! ```
//!
//! ```no_run
//! # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
//! use provena_client::ids::{GroupId, Username};
//! let (user, group) = (Username::new("ana"), GroupId::new("analysts"));
//! let answer = client.auth().admin().get_check_user_membership(&user, &group).await?;
//! println!("member: {:?}", answer.is_member);
//! # Ok(()) }
//! ```

/// Declares a string identifier newtype: constructors from owned and
/// borrowed strings, `as_str`, `Display`, and a transparent serde form.
macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an identifier.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The identifier as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The identifier as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }
    )*};
}

id_type! {
    /// A Keycloak username (`preferred_username` in a token).
    Username;
    /// The id of an auth-service user group.
    GroupId;
}
