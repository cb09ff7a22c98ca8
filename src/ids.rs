//! Identifier newtypes: a handle id is not a session id is not a username,
//! even though all three are strings on the wire.
//!
//! Each type comes from the one [`id_type!`](crate::ids) macro, so they all
//! behave alike: built from a `String` or `&str`, shown and serialised as the
//! bare string, compared and hashed by it, and borrowed as `&str`
//! ([`std::borrow::Borrow`]) so a map keyed by the id can be searched with a
//! plain string.
//!
//! ```
//! use provena_client::ids::HandleId;
//!
//! let id = HandleId::from("10378.1/1234");
//! assert_eq!(id.as_str(), "10378.1/1234");
//! assert_eq!(id.to_string(), "10378.1/1234");
//! assert_eq!(serde_json::to_string(&id).unwrap(), r#""10378.1/1234""#);
//! ```
//!
//! Methods whose arguments would otherwise be two interchangeable strings
//! take ids: `get_check_user_membership(username, group_id)` takes a
//! [`Username`] and a [`GroupId`], so passing them the wrong way round does
//! not compile:
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

/// Declares a string identifier newtype with the conversions every id has.
///
/// `id_type! { /// docs \n pub struct Name; }`
macro_rules! id_type {
    ($(#[$doc:meta])* pub struct $name:ident;) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id from its string form.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as the server writes it.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id's string, without copying.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use id_type;

id_type! {
    /// The persistent identifier (handle) of a registry item, such as
    /// `10378.1/1234`: what the registry, the data store and the lineage
    /// graph call an item's `id`.
    pub struct HandleId;
}

id_type! {
    /// A Keycloak username (`preferred_username` in a token).
    pub struct Username;
}

id_type! {
    /// The id of an auth-service user group.
    pub struct GroupId;
}
