//! What every example shares: connecting to a real deployment when
//! `PROVENA_DOMAIN` is set, or to an in-process mock otherwise.
#![allow(dead_code)] // each example uses a different part of it

use std::error::Error;
use std::sync::Arc;

use httpmock::MockServer;
use provena_client::auth::{AuthManager, OfflineTokenManager, StaticToken};
use provena_client::mock::MockProvena;
use provena_client::{Config, ProvenaClient};

/// A client and, when running against the mock, the mock (kept alive).
pub struct Connection {
    /// The client to use.
    pub client: ProvenaClient,
    /// The mock deployment, if there is no real one.
    pub mock: Option<MockProvena>,
}

impl Connection {
    /// Whether the example talks to the in-process mock.
    pub fn is_mock(&self) -> bool {
        self.mock.is_some()
    }
}

/// Connects to the deployment named by the environment (`PROVENA_DOMAIN`,
/// `PROVENA_REALM`, `PROVENA_CLIENT_ID`, and `PROVENA_TOKEN` or
/// `PROVENA_OFFLINE_TOKEN`), or else starts a mock and lets `setup` script it.
pub async fn connect(setup: impl FnOnce(&MockServer)) -> Result<Connection, Box<dyn Error>> {
    if let Ok(domain) = std::env::var("PROVENA_DOMAIN") {
        println!("Talking to the deployment at {domain}");
        return Ok(Connection {
            client: live_client()?,
            mock: None,
        });
    }
    let mock = MockProvena::start().await;
    println!(
        "PROVENA_DOMAIN is not set: talking to an in-process mock at {}",
        mock.server().base_url()
    );
    setup(mock.server());
    Ok(Connection {
        client: mock.client(),
        mock: Some(mock),
    })
}

fn live_client() -> Result<ProvenaClient, Box<dyn Error>> {
    let config = Config::from_env()?;
    let http = provena_client::build_http_client(&config)?;
    let auth: Arc<dyn AuthManager> = match std::env::var("PROVENA_TOKEN") {
        Ok(token) => StaticToken::shared(token),
        Err(_) => {
            let realm = config
                .keycloak_realm()
                .ok_or("set PROVENA_REALM or PROVENA_KEYCLOAK_URL")?
                .clone();
            let client_id = config
                .client_id()
                .ok_or("set PROVENA_CLIENT_ID")?
                .to_string();
            Arc::new(OfflineTokenManager::from_env(
                http.clone(),
                realm,
                client_id,
                "PROVENA_OFFLINE_TOKEN",
            )?)
        }
    };
    Ok(ProvenaClient::with_http_client(config, auth, http)?)
}

/// `{"success": true, "details": ...}`, the status most responses carry.
pub fn ok_status(details: &str) -> serde_json::Value {
    serde_json::json!({"success": true, "details": details})
}
