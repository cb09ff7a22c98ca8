//! Where a command's settings come from: flags, then environment variables,
//! then the config file, then the library's defaults.
//!
//! The config file is TOML, at `--config`, `$PROVENA_CONFIG`, or
//! `<config dir>/provena/config.toml` (e.g. `~/.config/provena/config.toml`):
//!
//! ```toml
//! domain = "example.provena.io"
//! realm = "provena"
//! client_id = "client-tools"
//! # keycloak_url = "https://auth.example.provena.io/auth/realms/provena"
//! # request_timeout_secs = 60
//! [endpoints]
//! # registry = "http://localhost:8000"
//! ```
//!
//! Credentials, first found wins: `$PROVENA_ACCESS_TOKEN` (a bearer token used
//! as is, for scripts), `$PROVENA_OFFLINE_TOKEN` (a Keycloak offline token),
//! else the device login cached by `provena login`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use provena_client::auth::{AuthManager, DeviceFlowManager, OfflineTokenManager, StaticToken};
use provena_client::{Config, ProvenaClient};
use serde::Deserialize;

use crate::error::CliError;
use crate::output::{Format, Out};

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The deployment's domain, e.g. `example.provena.io` [env: PROVENA_DOMAIN]
    #[arg(long, global = true)]
    domain: Option<String>,
    /// Keycloak realm name [env: PROVENA_REALM]
    #[arg(long, global = true)]
    realm: Option<String>,
    /// Keycloak client id for logging in [env: PROVENA_CLIENT_ID]
    #[arg(long, global = true)]
    client_id: Option<String>,
    /// Full Keycloak realm URL, instead of the one derived from the domain
    /// [env: PROVENA_KEYCLOAK_URL]
    #[arg(long, global = true)]
    keycloak_url: Option<String>,
    /// One service's base URL, e.g. `registry=http://localhost:8000`
    /// (repeatable) [env: PROVENA_<SERVICE>_URL]
    #[arg(long = "endpoint", value_name = "SERVICE=URL", global = true)]
    endpoints: Vec<String>,
    /// The config file [env: PROVENA_CONFIG] [default: <config dir>/provena/config.toml]
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Where `provena login` keeps its tokens [env: PROVENA_TOKEN_CACHE_DIR]
    #[arg(long, global = true)]
    token_cache_dir: Option<PathBuf>,
    /// Output format: readable text, or JSON for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub output: Format,
    /// More detail on errors (the chain of causes).
    #[arg(long, short, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// The config file's contents.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    domain: Option<String>,
    realm: Option<String>,
    client_id: Option<String>,
    keycloak_url: Option<String>,
    request_timeout_secs: Option<f64>,
    connect_timeout_secs: Option<f64>,
    #[serde(default)]
    endpoints: BTreeMap<String, String>,
}

/// Settings resolved for one run.
pub struct Context {
    pub config: Config,
    pub out: Out,
    token_cache_dir: Option<PathBuf>,
}

impl Context {
    /// Resolves flags over environment over config file.
    pub fn new(args: GlobalArgs) -> Result<Self, CliError> {
        Self::resolve(args, |name| std::env::var(name).ok())
    }

    fn resolve(args: GlobalArgs, env: impl Fn(&str) -> Option<String>) -> Result<Self, CliError> {
        let file = load_file(args.config.as_deref(), &env)?;
        let mut settings = file_settings(file)?;
        // Environment over file.
        for name in known_names() {
            if let Some(value) = env(&name) {
                settings.insert(name, value);
            }
        }
        // Flags over environment.
        let flags = [
            ("PROVENA_DOMAIN", args.domain),
            ("PROVENA_REALM", args.realm),
            ("PROVENA_CLIENT_ID", args.client_id),
            ("PROVENA_KEYCLOAK_URL", args.keycloak_url),
        ];
        for (name, value) in flags {
            if let Some(value) = value {
                settings.insert(name.to_owned(), value);
            }
        }
        for pair in &args.endpoints {
            let Some((service, url)) = pair.split_once('=') else {
                return Err(CliError::Usage(format!(
                    "--endpoint {pair:?}: expected SERVICE=URL, e.g. registry=http://localhost:8000"
                )));
            };
            settings.insert(service_var(service)?, url.to_owned());
        }
        let config = Config::from_lookup(|name| settings.get(name).cloned())
            .map_err(|error| CliError::Usage(error.to_string()))?;
        let token_cache_dir = args
            .token_cache_dir
            .or_else(|| env("PROVENA_TOKEN_CACHE_DIR").map(PathBuf::from));
        Ok(Self {
            config,
            out: Out::new(args.output),
            token_cache_dir,
        })
    }

    /// A client authorised by the first credentials found (see the module docs).
    pub fn client(&self) -> Result<ProvenaClient, CliError> {
        let auth: Arc<dyn AuthManager> = if let Ok(token) = std::env::var("PROVENA_ACCESS_TOKEN") {
            StaticToken::shared(token)
        } else if std::env::var_os("PROVENA_OFFLINE_TOKEN").is_some() {
            let (realm, client_id) = self.realm()?;
            Arc::new(OfflineTokenManager::from_env(
                self.http()?,
                realm,
                client_id,
                "PROVENA_OFFLINE_TOKEN",
            )?)
        } else {
            Arc::new(self.device()?.with_login_on_demand(false))
        };
        ProvenaClient::new(self.config.clone(), auth).map_err(CliError::from)
    }

    /// The device-flow manager `login` and `logout` use, with its cache.
    pub fn device(&self) -> Result<DeviceFlowManager, CliError> {
        let (realm, client_id) = self.realm()?;
        let manager = DeviceFlowManager::new(self.http()?, realm, client_id)?;
        Ok(match &self.token_cache_dir {
            Some(dir) => manager.with_cache_dir(dir),
            None => manager,
        })
    }

    fn realm(&self) -> Result<(url::Url, String), CliError> {
        let realm = self.config.keycloak_realm().cloned().ok_or_else(|| {
            CliError::Usage(
                "no Keycloak realm: set --domain and --realm (or --keycloak-url)".to_owned(),
            )
        })?;
        let client_id = self
            .config
            .client_id()
            .ok_or_else(|| CliError::Usage("no Keycloak client id: set --client-id".to_owned()))?;
        Ok((realm, client_id.to_owned()))
    }

    /// An unauthenticated HTTP client with the configured timeouts.
    pub fn http(&self) -> Result<reqwest::Client, CliError> {
        provena_client::build_http_client(&self.config).map_err(CliError::from)
    }
}

/// The environment names a setting can have.
fn known_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "PROVENA_DOMAIN",
        "PROVENA_REALM",
        "PROVENA_CLIENT_ID",
        "PROVENA_KEYCLOAK_URL",
        "PROVENA_REQUEST_TIMEOUT_SECS",
        "PROVENA_CONNECT_TIMEOUT_SECS",
        "PROVENA_ALLOW_HTTP",
    ]
    .map(str::to_owned)
    .to_vec();
    names.extend(
        provena_client::services::SERVICES
            .iter()
            .map(|service| format!("PROVENA_{}_URL", env_name(service.name))),
    );
    names
}

fn env_name(service: &str) -> String {
    service.to_uppercase().replace('-', "_")
}

/// `PROVENA_<SERVICE>_URL` for a service named on the command line or in the
/// file (`registry`, `id-service` or `id_service`).
fn service_var(service: &str) -> Result<String, CliError> {
    let wanted = env_name(service.trim());
    provena_client::services::SERVICES
        .iter()
        .find(|known| env_name(known.name) == wanted)
        .map(|known| format!("PROVENA_{}_URL", env_name(known.name)))
        .ok_or_else(|| {
            let names: Vec<_> = provena_client::services::SERVICES
                .iter()
                .map(|s| s.name)
                .collect();
            CliError::Usage(format!(
                "unknown service {service:?}; known: {}",
                names.join(", ")
            ))
        })
}

/// Reads the config file: an explicit one must exist, the default one may not.
fn load_file(
    explicit: Option<&Path>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<FileSettings, CliError> {
    let (path, required) = match (explicit, env("PROVENA_CONFIG")) {
        (Some(path), _) => (path.to_owned(), true),
        (None, Some(path)) => (PathBuf::from(path), true),
        (None, None) => match dirs::config_dir() {
            Some(dir) => (dir.join("provena").join("config.toml"), false),
            None => return Ok(FileSettings::default()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(FileSettings::default());
        }
        Err(error) => {
            return Err(CliError::Usage(format!(
                "cannot read the config file {}: {error}",
                path.display()
            )));
        }
    };
    toml::from_str(&text).map_err(|error| {
        CliError::Usage(format!(
            "config file {}: {}",
            path.display(),
            error.message()
        ))
    })
}

fn file_settings(file: FileSettings) -> Result<BTreeMap<String, String>, CliError> {
    let mut settings = BTreeMap::new();
    let plain = [
        ("PROVENA_DOMAIN", file.domain),
        ("PROVENA_REALM", file.realm),
        ("PROVENA_CLIENT_ID", file.client_id),
        ("PROVENA_KEYCLOAK_URL", file.keycloak_url),
        (
            "PROVENA_REQUEST_TIMEOUT_SECS",
            file.request_timeout_secs.map(|s| s.to_string()),
        ),
        (
            "PROVENA_CONNECT_TIMEOUT_SECS",
            file.connect_timeout_secs.map(|s| s.to_string()),
        ),
    ];
    for (name, value) in plain {
        if let Some(value) = value {
            settings.insert(name.to_owned(), value);
        }
    }
    for (service, url) in file.endpoints {
        settings.insert(service_var(&service)?, url);
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Harness {
        #[command(flatten)]
        global: GlobalArgs,
    }

    fn context(
        flags: &[&str],
        env: &[(&str, &str)],
        file: Option<&str>,
    ) -> Result<Context, CliError> {
        let dir = std::env::temp_dir().join(format!("provena-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(format!("config-{}.toml", fastrand::u64(..)));
        let mut argv = vec!["provena".to_owned()];
        if let Some(text) = file {
            std::fs::write(&path, text).expect("config written");
            argv.extend(["--config".to_owned(), path.display().to_string()]);
        }
        argv.extend(flags.iter().map(|s| (*s).to_owned()));
        let args = Harness::try_parse_from(argv).expect("flags parse").global;
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Context::resolve(args, |name| env.get(name).cloned())
    }

    fn registry(context: &Context) -> String {
        context
            .config
            .endpoint("registry")
            .expect("registry")
            .to_string()
    }

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_file() {
        let file =
            "domain = \"file.example\"\n[endpoints]\nregistry = \"https://file.example/reg\"\n";
        let env = [("PROVENA_REGISTRY_URL", "https://env.example/reg")];

        let from_file = context(&[], &[], Some(file)).expect("valid");
        let from_env = context(&[], &env, Some(file)).expect("valid");
        let from_flag = context(
            &["--endpoint", "registry=https://flag.example/reg"],
            &env,
            Some(file),
        )
        .expect("valid");

        assert_eq!(registry(&from_file), "https://file.example/reg");
        assert_eq!(registry(&from_env), "https://env.example/reg");
        assert_eq!(registry(&from_flag), "https://flag.example/reg");
        assert_eq!(
            from_flag.config.endpoint("job").expect("derived").as_str(),
            "https://job-api.file.example/"
        );
    }

    #[test]
    fn an_unknown_config_key_is_a_usage_error_naming_it() {
        let Err(error) = context(&[], &[], Some("domian = \"x\"\n")) else {
            panic!("accepted a misspelt key");
        };
        assert_eq!(error.code(), CliError::USAGE);
        assert!(error.to_string().contains("domian"), "{error}");
    }

    #[test]
    fn an_endpoint_flag_for_an_unknown_service_is_a_usage_error() {
        let Err(error) = context(
            &["--domain", "d.example", "--endpoint", "regsitry=http://x"],
            &[],
            None,
        ) else {
            panic!("accepted an unknown service");
        };
        assert_eq!(error.code(), CliError::USAGE);
        assert!(error.to_string().contains("regsitry"), "{error}");
    }

    #[test]
    fn an_explicit_config_file_that_is_missing_is_a_usage_error() {
        let env = [("PROVENA_CONFIG", "/nonexistent/provena.toml")];
        let Err(error) = context(&["--domain", "d.example"], &env, None) else {
            panic!("a missing explicit config file was ignored");
        };
        assert_eq!(error.code(), CliError::USAGE);
        assert!(
            error.to_string().contains("/nonexistent/provena.toml"),
            "{error}"
        );
    }
}
