//! Shared pieces of the real-server suite (`tests/real_servers.rs`): where the
//! servers are, the clients that talk to them through recording proxies, the
//! fixtures several workflows need, and the table of operations that cannot
//! run here.

/// Declares a module's `WORKFLOWS` table from its workflow functions, each
/// named `"{module}::{function}"`.
macro_rules! workflows {
    ($module:literal: $($name:ident),* $(,)?) => {
        /// This module's workflows, by name.
        pub const WORKFLOWS: &[(&str, $crate::real::Workflow)] = &[
            $((concat!($module, "::", stringify!($name)), |c| Box::pin($name(c))),)*
        ];
    };
}

pub mod auth;
pub mod cli;
pub mod datastore;
pub mod job;
pub mod paging;
pub mod registry;
pub mod search;
pub mod waiting;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use provena_client::auth::StaticToken;
use provena_client::{Config, ProvenaClient};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::common::proxy::RecordingProxy;

/// The four services that run here, in the order the coverage line lists them.
pub const SERVICES: [&str; 4] = ["registry", "datastore", "job", "auth"];

/// Where the servers that `scripts/real-servers/run` started are, and who the
/// tests act as. Read from the `PROVENA_REAL_*` variables it exports.
#[derive(Debug, Clone)]
pub struct RealEnv {
    /// Base URL per service, in [`SERVICES`] order.
    pub urls: Vec<(&'static str, String)>,
    /// Access token of a user holding every role (admin included).
    pub admin_token: String,
    /// That user's username.
    pub admin_username: String,
    /// Access token of an ordinary user (read/write, no admin role).
    pub user_token: String,
    /// That user's username.
    pub user_username: String,
    /// Python of the harness' venv, for `helper.py`.
    pub python: String,
    /// `scripts/real-servers/helper.py`.
    pub helper: String,
    /// moto's endpoint (S3, DynamoDB, ...).
    pub aws_endpoint: String,
    /// The data store's bucket.
    pub bucket: String,
}

impl RealEnv {
    /// Reads the environment; `Err` names every variable that is missing.
    pub fn from_env() -> Result<Self, String> {
        let mut missing = Vec::new();
        let mut var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                missing.push(name.to_string());
                String::new()
            })
        };
        let urls = SERVICES
            .iter()
            .map(|service| {
                let name = format!("PROVENA_REAL_{}_URL", service.to_uppercase());
                (*service, var(&name))
            })
            .collect();
        let env = RealEnv {
            urls,
            admin_token: var("PROVENA_REAL_TOKEN"),
            admin_username: var("PROVENA_REAL_USERNAME"),
            user_token: var("PROVENA_REAL_USER_TOKEN"),
            user_username: var("PROVENA_REAL_USER_USERNAME"),
            python: var("PROVENA_REAL_PYTHON"),
            helper: var("PROVENA_REAL_HELPER"),
            aws_endpoint: var("PROVENA_REAL_AWS_ENDPOINT"),
            bucket: var("PROVENA_REAL_S3_BUCKET"),
        };
        if missing.is_empty() {
            Ok(env)
        } else {
            Err(missing.join(", "))
        }
    }
}

/// Org and person made once and shared; the person is linked to the admin
/// user, which the data store requires before any dataset write.
#[derive(Debug, Clone)]
pub struct Fixtures {
    /// An organisation's id.
    pub organisation: String,
    /// A person's id, linked to the admin user.
    pub person: String,
}

/// What every workflow gets.
pub struct Ctx {
    /// The environment.
    pub env: RealEnv,
    /// A client acting as the admin user.
    pub admin: ProvenaClient,
    /// A client acting as the ordinary user.
    pub user: ProvenaClient,
    /// One recording proxy per service, in front of the real server.
    pub proxies: Vec<RecordingProxy>,
    fixtures: tokio::sync::OnceCell<Fixtures>,
}

impl Ctx {
    /// Starts the proxies and builds the two clients.
    pub async fn start(env: RealEnv) -> Self {
        let mut proxies = Vec::new();
        for (service, url) in &env.urls {
            proxies.push(RecordingProxy::start(service, url).await);
        }
        let client = |token: &str| client_for(&proxies, token, &[]);
        let admin = client(&env.admin_token);
        let user = client(&env.user_token);
        Ctx {
            env,
            admin,
            user,
            proxies,
            fixtures: tokio::sync::OnceCell::new(),
        }
    }

    /// A client acting with `token` whose endpoints for the services in
    /// `overrides` are the given URLs (a loopback stand-in for a service
    /// that does not run here); every other service goes through its proxy.
    pub fn client_with(&self, token: &str, overrides: &[(&str, &str)]) -> ProvenaClient {
        client_for(&self.proxies, token, overrides)
    }

    /// The shared organisation and the admin user's linked person, made on
    /// first use.
    pub async fn fixtures(&self) -> &Fixtures {
        self.fixtures
            .get_or_init(|| registry::make_fixtures(self))
            .await
    }

    /// Runs `scripts/real-servers/helper.py` with `args`; its stdout.
    pub fn helper(&self, args: &[&str]) -> String {
        let output = std::process::Command::new(&self.env.python)
            .arg(&self.env.helper)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} {}: {e}", self.env.helper, args.join(" ")));
        assert!(
            output.status.success(),
            "helper.py {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// A client sending `token`, with each service at its proxy unless
/// `overrides` names another URL for it.
fn client_for(
    proxies: &[RecordingProxy],
    token: &str,
    overrides: &[(&str, &str)],
) -> ProvenaClient {
    // Services that cannot run here get addresses that never resolve.
    let mut builder = Config::builder()
        .domain("not-running.invalid")
        .realm("provena")
        .request_timeout(std::time::Duration::from_secs(120));
    for proxy in proxies {
        builder = builder.endpoint(proxy.service(), proxy.url());
    }
    for (service, url) in overrides {
        builder = builder.endpoint(*service, *url);
    }
    let config = builder
        .build()
        .expect("configuration of the real-server clients");
    ProvenaClient::new(config, StaticToken::shared(token)).expect("client builds")
}

/// A typed value from JSON written in a test (request bodies).
pub fn from_json<T: DeserializeOwned>(value: Value) -> T {
    let text = value.to_string();
    serde_json::from_value(value)
        .unwrap_or_else(|e| panic!("test value does not decode: {e}: {text}"))
}

/// A typed value as JSON, to compare or pick fields from.
pub fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("serialisable")
}

/// Asserts that the server answered and the client understood the answer:
/// success, or a typed error built from a real response (never a decode,
/// connection or transport failure). For calls whose outcome depends on
/// server state this suite does not control.
pub fn answered<T>(what: &str, result: &provena_client::Result<T>) {
    if let Err(error) = result {
        assert!(
            error.status().is_some(),
            "{what}: no usable answer from the real server: {error}"
        );
    }
}

/// A workflow: one named trial of the suite.
pub type Workflow = fn(Arc<Ctx>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Operations that cannot run against the servers here, with the reason.
/// The suite fails when an operation is neither exercised nor listed here.
pub const NOT_RUNNABLE: &[(&str, &str, &str)] = &[
    (
        "registry",
        "test_sentry_reporting",
        "raises on purpose to test Sentry; left out of the facade",
    ),
    (
        "datastore",
        "test_sentry_reporting",
        "raises on purpose to test Sentry; left out of the facade",
    ),
    (
        "job",
        "test_sentry_reporting",
        "raises on purpose to test Sentry; left out of the facade",
    ),
    (
        "auth",
        "test_sentry_reporting",
        "raises on purpose to test Sentry; left out of the facade",
    ),
];

/// `prefix` with a suffix no earlier run against the same servers has used
/// (the clock in nanoseconds): for names and ids that must be new each run.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    format!("{prefix}-{nanos}")
}

/// The name of the registry's role that lets a group read organisations
/// (its name varies by deployment; it is the one containing "read").
pub async fn organisation_read_role(
    registry: &provena_client::clients::registry::RegistryClient,
) -> String {
    registry
        .get_auth_roles::<provena_client::clients::registry::Organisation>()
        .await
        .expect("organisation roles")
        .roles
        .iter()
        .map(|role| role.role_name.clone())
        .find(|name| name.contains("read"))
        .expect("a read role")
}
