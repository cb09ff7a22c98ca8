//! The facade: one client per Provena service, in the shapes and with the
//! method names of the Python client's L2 layer.
//!
//! Each method forwards to one generated method of [`crate::raw`] through
//! `transport::call`, which returns the decoded body or a typed
//! [`crate::Error`]. Methods the Python client documents keep its names
//! (`fetch_dataset`, `explore_upstream`, ...); every other operation of the
//! services is here too, named after its `operationId`.

/// Facade methods that each forward to one generated method.
///
/// `fn name(args) -> T => raw_method(call args);` returns the decoded JSON
/// body; `-> bytes` returns a file body, read whole within the size limit.
#[allow(unused_macros)]
macro_rules! forward {
    () => {};
    (
        $(#[$attr:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> bytes => $raw:ident($($call:expr),* $(,)?);
        $($rest:tt)*
    ) => {
        $(#[$attr])*
        pub async fn $name(&self, $($arg: $ty),*) -> crate::Result<bytes::Bytes> {
            let operation = self.raw.inner.operation_name(stringify!($raw));
            let stream = crate::transport::call(operation, self.raw.$raw($($call),*)).await?;
            self.raw.inner.collect(operation, stream).await
        }
        crate::clients::forward!($($rest)*);
    };
    (
        $(#[$attr:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty => $raw:ident($($call:expr),* $(,)?);
        $($rest:tt)*
    ) => {
        $(#[$attr])*
        pub async fn $name(&self, $($arg: $ty),*) -> crate::Result<$ret> {
            let operation = self.raw.inner.operation_name(stringify!($raw));
            crate::transport::call(operation, self.raw.$raw($($call),*)).await
        }
        crate::clients::forward!($($rest)*);
    };
}
#[allow(unused_imports)]
pub(crate) use forward;

/// The constructor and raw accessor every service client has.
#[allow(unused_macros)]
macro_rules! raw_access {
    () => {
        pub(crate) fn new(raw: Raw) -> Self {
            Self { raw }
        }

        /// The generated client underneath, for power users.
        pub fn raw(&self) -> &Raw {
            &self.raw
        }
    };
}
#[allow(unused_imports)]
pub(crate) use raw_access;

/// The operations every Provena service serves: health check, the config
/// file, and the four access checks.
#[allow(unused_macros)]
macro_rules! common_operations {
    () => {
        crate::clients::config_file_operation!();
        crate::clients::forward! {
            /// Health check of the service (`GET /`): a short map of strings.
            fn get_health_check() -> std::collections::HashMap<String, String> => root();
            /// Checks that the caller holds the service's admin role.
            fn check_admin_access() -> models::User => check_admin_access();
            /// Checks that the caller may use the service at all.
            fn check_general_access() -> models::User => check_general_access();
            /// Checks that the caller holds the read role.
            fn check_read_access() -> models::User => check_read_access();
            /// Checks that the caller holds the write role.
            fn check_write_access() -> models::User => check_write_access();
        }
    };
}
#[allow(unused_imports)]
pub(crate) use common_operations;

/// `generate_config_file`, which every service client has: its answer is
/// wrapped so that the file's secrets stay out of debug output.
#[allow(unused_macros)]
macro_rules! config_file_operation {
    () => {
        /// Downloads the service's configuration file (`GET /admin/config`,
        /// admin only): an `.env`-style text file, which can hold secrets.
        pub async fn generate_config_file(
            &self,
            required_only: Option<bool>,
        ) -> crate::Result<crate::clients::ConfigFile> {
            let operation = self.raw.inner.operation_name("generate_config_file");
            let stream =
                crate::transport::call(operation, self.raw.generate_config_file(required_only))
                    .await?;
            let bytes = self.raw.inner.collect(operation, stream).await?;
            Ok(crate::clients::ConfigFile(bytes))
        }
    };
}
#[allow(unused_imports)]
pub(crate) use config_file_operation;

/// A service's configuration file, as `generate_config_file` downloads it.
///
/// It is the deployment's settings in `.env` form and can hold secrets, so
/// its `Debug` shows only its size; read it with [`ConfigFile::as_bytes`] or
/// [`ConfigFile::text`].
///
/// ```no_run
/// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
/// let file = client.registry().generate_config_file(Some(true)).await?;
/// println!("{file:?}"); // ConfigFile { bytes: 1234 }
/// std::fs::write("registry.env", file.as_bytes()).ok();
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ConfigFile(bytes::Bytes);

impl ConfigFile {
    /// The file's content.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The file's content, without copying.
    pub fn into_bytes(self) -> bytes::Bytes {
        self.0
    }

    /// The file as text, if it is UTF-8.
    pub fn text(&self) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(&self.0)
    }
}

impl std::fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigFile")
            .field("bytes", &self.0.len())
            .finish()
    }
}

#[cfg(feature = "auth")]
pub mod auth;
#[cfg(feature = "datastore")]
pub mod datastore;
#[cfg(feature = "id-service")]
pub mod id_service;
#[cfg(feature = "job")]
pub mod job;
#[cfg(feature = "prov")]
pub mod prov;
#[cfg(feature = "registry")]
pub mod registry;
#[cfg(feature = "search")]
pub mod search;
