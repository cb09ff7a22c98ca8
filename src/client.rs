//! [`ProvenaClient`]: the entry point, owning what every service client shares.

use std::sync::Arc;

use crate::auth::AuthManager;
use crate::config::Config;
use crate::error::Error;
use crate::transport::Transport;

/// The client of a whole Provena deployment.
///
/// It owns one pooled HTTP client and one [`AuthManager`], shared by the seven
/// service clients it hands out. Cloning it is cheap (one reference count), and
/// it is `Send + Sync`, so one instance can serve a whole program.
///
/// ```no_run
/// use provena_client::{Config, ProvenaClient, auth::StaticToken};
/// # async fn run() -> provena_client::Result<()> {
/// let client = ProvenaClient::new(Config::from_env()?, StaticToken::shared("token"))?;
/// let health = client.registry().get_health_check().await?;
/// println!("{health:?}");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ProvenaClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    http: reqwest::Client,
    auth: Arc<dyn AuthManager>,
    #[cfg(feature = "auth")]
    auth_api: crate::clients::auth::AuthClient,
    #[cfg(feature = "registry")]
    registry: crate::clients::registry::RegistryClient,
    #[cfg(feature = "datastore")]
    datastore: crate::clients::datastore::DatastoreClient,
    #[cfg(feature = "search")]
    search: crate::clients::search::SearchClient,
    #[cfg(feature = "prov")]
    prov: crate::clients::prov::ProvClient,
    #[cfg(feature = "job")]
    job: crate::clients::job::JobApiClient,
    #[cfg(feature = "id-service")]
    id_service: crate::clients::id_service::IdServiceClient,
}

/// Builds a service's facade client on the shared HTTP client and transport.
macro_rules! service_client {
    ($config:expr, $http:expr, $transport:expr, $name:literal, $module:ident, $facade:path) => {{
        let base = $config
            .endpoint($name)?
            .as_str()
            .trim_end_matches('/')
            .to_string();
        let transport = $transport.for_service($name, crate::raw::$module::OPERATIONS);
        <$facade>::new(crate::raw::$module::Client::new_with_client(
            &base,
            $http.clone(),
            transport,
        ))
    }};
}

impl ProvenaClient {
    /// A client for the deployment described by `config`, authorising every
    /// request with `auth`.
    pub fn new(config: Config, auth: Arc<dyn AuthManager>) -> Result<Self, Error> {
        let http = build_http_client(&config)?;
        Self::with_http_client(config, auth, http)
    }

    /// Like [`ProvenaClient::new`], with an HTTP client of your own (proxies,
    /// extra root certificates, ...). Its timeouts replace the configured ones.
    pub fn with_http_client(
        config: Config,
        auth: Arc<dyn AuthManager>,
        http: reqwest::Client,
    ) -> Result<Self, Error> {
        #[allow(unused_variables)]
        let transport = Transport::new(Arc::clone(&auth), &config, "", &[]);
        let inner = Inner {
            #[cfg(feature = "auth")]
            auth_api: service_client!(
                config,
                http,
                transport,
                "auth",
                auth,
                crate::clients::auth::AuthClient
            ),
            #[cfg(feature = "registry")]
            registry: service_client!(
                config,
                http,
                transport,
                "registry",
                registry,
                crate::clients::registry::RegistryClient
            ),
            #[cfg(feature = "datastore")]
            datastore: service_client!(
                config,
                http,
                transport,
                "datastore",
                datastore,
                crate::clients::datastore::DatastoreClient
            ),
            #[cfg(feature = "search")]
            search: service_client!(
                config,
                http,
                transport,
                "search",
                search,
                crate::clients::search::SearchClient
            ),
            #[cfg(feature = "prov")]
            prov: service_client!(
                config,
                http,
                transport,
                "prov",
                prov,
                crate::clients::prov::ProvClient
            ),
            #[cfg(feature = "job")]
            job: service_client!(
                config,
                http,
                transport,
                "job",
                job,
                crate::clients::job::JobApiClient
            ),
            #[cfg(feature = "id-service")]
            id_service: service_client!(
                config,
                http,
                transport,
                "id-service",
                id_service,
                crate::clients::id_service::IdServiceClient
            ),
            config,
            http,
            auth,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// A client that exchanges `offline_token` for access tokens at the
    /// configured Keycloak realm with the configured client id (see
    /// [`crate::auth::OfflineTokenManager`]).
    pub fn with_offline_token(
        config: Config,
        offline_token: impl Into<String>,
    ) -> Result<Self, Error> {
        let http = build_http_client(&config)?;
        let (realm, client_id) = keycloak_settings(&config)?;
        let auth =
            crate::auth::OfflineTokenManager::new(http.clone(), realm, client_id, offline_token)
                .map_err(Error::AuthSetup)?;
        Self::with_http_client(config, Arc::new(auth), http)
    }

    /// A client that logs the user in interactively with the device flow at the
    /// first call (printing the verification URL and code to stderr), caching
    /// the login under the user's cache directory (see
    /// [`crate::auth::DeviceFlowManager`]).
    pub fn with_device_login(config: Config) -> Result<Self, Error> {
        let http = build_http_client(&config)?;
        let (realm, client_id) = keycloak_settings(&config)?;
        let auth = crate::auth::DeviceFlowManager::new(http.clone(), realm, client_id)
            .map_err(Error::AuthSetup)?;
        Self::with_http_client(config, Arc::new(auth), http)
    }

    /// The configuration the client was built from.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The pooled HTTP client shared by every service client.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The token source shared by every service client.
    pub fn auth_manager(&self) -> &Arc<dyn AuthManager> {
        &self.inner.auth
    }

    /// The auth service: access requests, groups, user links.
    #[cfg(feature = "auth")]
    pub fn auth(&self) -> &crate::clients::auth::AuthClient {
        &self.inner.auth_api
    }

    /// The registry: typed items, access settings, locks, versions.
    #[cfg(feature = "registry")]
    pub fn registry(&self) -> &crate::clients::registry::RegistryClient {
        &self.inner.registry
    }

    /// The data store: datasets and their files.
    #[cfg(feature = "datastore")]
    pub fn datastore(&self) -> &crate::clients::datastore::DatastoreClient {
        &self.inner.datastore
    }

    /// The search service.
    #[cfg(feature = "search")]
    pub fn search(&self) -> &crate::clients::search::SearchClient {
        &self.inner.search
    }

    /// The provenance service: model runs and lineage.
    #[cfg(feature = "prov")]
    pub fn prov(&self) -> &crate::clients::prov::ProvClient {
        &self.inner.prov
    }

    /// The async job service.
    #[cfg(feature = "job")]
    pub fn job_api(&self) -> &crate::clients::job::JobApiClient {
        &self.inner.job
    }

    /// The handle (persistent identifier) service.
    #[cfg(feature = "id-service")]
    pub fn id_service(&self) -> &crate::clients::id_service::IdServiceClient {
        &self.inner.id_service
    }
}

fn keycloak_settings(config: &Config) -> Result<(url::Url, String), Error> {
    let realm = config.keycloak_realm().cloned().ok_or_else(|| {
        Error::Config("no Keycloak realm: set a domain and realm, or a realm URL".into())
    })?;
    let client_id = config
        .client_id()
        .ok_or_else(|| Error::Config("no Keycloak client id configured".into()))?
        .to_string();
    Ok((realm, client_id))
}

/// The pooled HTTP client: rustls with the ring provider, the configured
/// timeouts and user agent, and redirects that never carry credentials to
/// another host (reqwest drops `Authorization` on cross-host redirects).
pub fn build_http_client(config: &Config) -> Result<reqwest::Client, Error> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(config.request_timeout())
        .connect_timeout(config.connect_timeout())
        .user_agent(config.user_agent())
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// Makes ring the process's rustls provider unless the program chose one.
pub fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
