//! Mocks for testing code that uses this crate, without a Provena deployment
//! (feature `mock`).
//!
//! [`MockProvena`] starts one [`httpmock`] server on loopback that stands in
//! for all seven services and hands out a [`Config`] and a
//! [`ProvenaClient`] pointing at it. Each service module (`mock::job`,
//! `mock::registry`, ...) adds typed mock methods to `httpmock::MockServer`,
//! one per operation, through its `MockServerExt` trait: requests are matched
//! on typed arguments and answered with typed responses.
//!
//! ```
//! use provena_client::mock::MockProvena;
//! use provena_client::mock::id_service::MockServerExt;
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
//! All services share the one server, so the routes every service serves
//! (`GET /`, `GET /admin/config`, the `check-access` routes) are answered by
//! the same mock whichever service is called; every other route is unique to
//! its service.

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
