//! Seven recording servers standing in for a whole Provena deployment, and a
//! client configured against them.
#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::BTreeMap;

use provena_client::auth::StaticToken;
use provena_client::services::SERVICES;
use provena_client::{Config, ConfigBuilder, ProvenaClient};

use super::recorder::Recorder;

/// The token every test client sends.
pub const TOKEN: &str = "test-access-token-1234";

/// One recorder per service, each on its own port.
pub struct MockDeployment {
    recorders: BTreeMap<&'static str, Recorder>,
}

impl MockDeployment {
    /// Starts the seven servers.
    pub async fn start() -> Self {
        let mut recorders = BTreeMap::new();
        for service in SERVICES {
            recorders.insert(service.name, Recorder::start().await);
        }
        Self { recorders }
    }

    /// The server standing in for `service`.
    pub fn service(&self, service: &str) -> &Recorder {
        &self.recorders[service]
    }

    /// Every server with its service name.
    pub fn all(&self) -> impl Iterator<Item = (&'static str, &Recorder)> {
        self.recorders
            .iter()
            .map(|(name, recorder)| (*name, recorder))
    }

    /// A configuration pointing every service at its server; the registry gets
    /// a path prefix, to show that prefixes are kept.
    pub fn config_builder(&self) -> ConfigBuilder {
        let mut builder = Config::builder().realm("test");
        for (name, recorder) in &self.recorders {
            builder = builder.endpoint(*name, recorder.url());
        }
        builder
    }

    /// A client with the static test token.
    pub fn client(&self) -> ProvenaClient {
        self.client_with(self.config_builder())
    }

    /// A client built from a customised configuration.
    pub fn client_with(&self, builder: ConfigBuilder) -> ProvenaClient {
        let config = builder.build().expect("valid test configuration");
        ProvenaClient::new(config, StaticToken::shared(TOKEN)).expect("client builds")
    }

    /// Forgets every scripted reply and recorded request.
    pub fn reset(&self) {
        for recorder in self.recorders.values() {
            recorder.reset();
        }
    }
}
