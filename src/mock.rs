//! Mocks for testing code that uses this crate, without a Provena deployment
//! (feature `mock`).
//!
//! [`MockProvena`] starts one [`httpmock`] server on loopback that stands in
//! for all seven services and hands out a [`Config`] and a
//! [`ProvenaClient`] pointing at it. Each service module (`mock::job`,
//! `mock::registry`, ...) adds typed mock methods to `httpmock::MockServer`
//! through its own trait ([`JobMocks`], [`RegistryMocks`], ...), one per
//! operation: requests are matched on typed arguments and answered with
//! typed responses. The routes every service serves (health check, config
//! file, access checks) are in [`CommonMocks`].
//!
//! A mock has the name of the facade method it stands in for:
//!
//! | facade call | mock |
//! |---|---|
//! | `job_api().fetch_job(id)` | `fetch_job` |
//! | `job_api().admin().list_jobs(r)` | `admin_list_jobs` (a sub-client's accessor comes first, unless the name has it) |
//! | `registry().general().general_fetch_item(id)` | `general_fetch_item` |
//! | `registry().fetch_item::<Organisation>(id, None)` | `fetch_item_organisation` (generic method, then the subtype) |
//! | `auth().check_general_access()` | `auth_check_general_access` (auth serves it on another path than the rest) |
//! | `registry().get_health_check()` | `get_health_check`, in [`CommonMocks`] |
//!
//! No two traits share a method name (the build checks it), so they can all
//! be imported at once: `use provena_client::mock::*;`.
//!
//! ```
//! use provena_client::mock::*;
//! use provena_client::models::Handle;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> provena_client::Result<()> {
//! let mock = MockProvena::start().await;
//! let handle: Handle = serde_json::from_value(serde_json::json!({
//!     "id": "10378.1/42",
//!     "properties": [{"index": 1, "type": "URL", "value": "https://example.org"}]
//! })).expect("a valid handle");
//! let get = mock.server().get(|when, then| {
//!     when.id("10378.1/42");
//!     then.ok(&handle);
//! });
//!
//! let fetched = mock.client().id_service().get("10378.1/42").await?;
//! assert_eq!(fetched, handle);
//! get.assert();
//! # Ok(()) }
//! ```
//!
//! All services share the one server, so a [`CommonMocks`] mock answers
//! whichever service is called; every other route is unique to its service.

use httpmock::MockServer;

use crate::auth::StaticToken;
use crate::{Config, ProvenaClient};

/// The token [`MockProvena::client`] sends.
pub const MOCK_TOKEN: &str = "mock-access-token";

macro_rules! mock_service {
    ($feature:literal, $module:ident) => {
        #[cfg(feature = $feature)]
        #[doc = concat!("Typed mocks of the `", $feature, "` service's operations.")]
        #[allow(missing_docs, clippy::all, unused_imports, rustdoc::all)]
        pub mod $module {
            include!(concat!(
                env!("OUT_DIR"),
                "/",
                stringify!($module),
                "_mock.rs"
            ));
        }
    };
}

mock_service!("auth", auth);
mock_service!("registry", registry);
mock_service!("datastore", datastore);
mock_service!("search", search);
mock_service!("prov", prov);
mock_service!("job", job);
mock_service!("id-service", id_service);

/// Typed mocks of the routes every service serves.
#[allow(missing_docs, clippy::all, unused_imports, rustdoc::all)]
pub mod common {
    include!(concat!(env!("OUT_DIR"), "/common_mock.rs"));
}

#[cfg(feature = "auth")]
pub use auth::AuthMocks;
pub use common::CommonMocks;
#[cfg(feature = "datastore")]
pub use datastore::DatastoreMocks;
#[cfg(feature = "id-service")]
pub use id_service::IdServiceMocks;
#[cfg(feature = "job")]
pub use job::JobMocks;
#[cfg(feature = "prov")]
pub use prov::ProvMocks;
#[cfg(feature = "registry")]
pub use registry::RegistryMocks;
#[cfg(feature = "search")]
pub use search::SearchMocks;

/// One loopback mock server standing in for a whole deployment.
pub struct MockProvena {
    server: MockServer,
}

impl std::fmt::Debug for MockProvena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockProvena")
            .field("base_url", &self.server.base_url())
            .finish()
    }
}

impl MockProvena {
    /// Starts the server on an ephemeral port.
    pub async fn start() -> Self {
        Self {
            server: MockServer::start_async().await,
        }
    }

    /// The underlying server, to register mocks on.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// A configuration whose every endpoint (and Keycloak realm) is the server.
    pub fn config(&self) -> Config {
        let base = self.server.base_url();
        let mut builder = Config::builder().keycloak_realm_url(format!("{base}/auth/realms/mock"));
        for service in crate::services::SERVICES {
            builder = builder.endpoint(service.name, base.clone());
        }
        match builder.build() {
            Ok(config) => config,
            // A loopback http URL from httpmock always validates.
            Err(error) => unreachable!("mock configuration is valid: {error}"),
        }
    }

    /// A client of the mock deployment, sending [`MOCK_TOKEN`].
    pub fn client(&self) -> ProvenaClient {
        match ProvenaClient::new(self.config(), StaticToken::shared(MOCK_TOKEN)) {
            Ok(client) => client,
            Err(error) => unreachable!("mock client builds: {error}"),
        }
    }
}
