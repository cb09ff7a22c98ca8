//! Where the services live and how to talk to them.
//!
//! A deployment is described by its domain and Keycloak realm: each service is
//! at `https://{prefix}.{domain}` (see [`SERVICES`]) and Keycloak at
//! `https://auth.{domain}/auth/realms/{realm}`. Any endpoint can be overridden
//! with a full base URL, which may carry a path prefix.
//!
//! ```
//! use std::time::Duration;
//! use provena_client::Config;
//!
//! let config = Config::builder()
//!     .domain("example.provena.io")
//!     .realm("provena")
//!     .endpoint("search", "https://gateway.example.org/search-api")
//!     .request_timeout(Duration::from_secs(30))
//!     .build()?;
//! assert_eq!(config.endpoint("registry")?.as_str(), "https://registry-api.example.provena.io/");
//! assert_eq!(config.endpoint("search")?.as_str(), "https://gateway.example.org/search-api");
//! # Ok::<(), provena_client::Error>(())
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use url::Url;

use crate::Error;
use crate::retry::RetryPolicy;
use crate::services::{SERVICES, ServiceInfo};

/// Default per-request timeout.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default ceiling on a JSON response body: generous, but it stops a runaway
/// response from exhausting memory.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;

/// A validated client configuration. Build it with [`Config::builder`] or
/// [`Config::from_env`].
#[derive(Debug, Clone)]
pub struct Config {
    endpoints: BTreeMap<&'static str, Url>,
    keycloak_realm: Option<Url>,
    client_id: Option<String>,
    request_timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    max_body_bytes: u64,
    retry: RetryPolicy,
}

impl Config {
    /// Starts a configuration.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads the configuration from environment variables:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `PROVENA_DOMAIN` | the deployment's domain, e.g. `example.provena.io` |
    /// | `PROVENA_REALM` | Keycloak realm name |
    /// | `PROVENA_CLIENT_ID` | Keycloak client id used by the auth flows |
    /// | `PROVENA_KEYCLOAK_URL` | full realm URL, instead of the derived one |
    /// | `PROVENA_<SERVICE>_URL` | full base URL of one service (`AUTH`, `REGISTRY`, `DATASTORE`, `SEARCH`, `PROV`, `JOB`, `ID_SERVICE`) |
    /// | `PROVENA_REQUEST_TIMEOUT_SECS`, `PROVENA_CONNECT_TIMEOUT_SECS` | timeouts in seconds |
    /// | `PROVENA_ALLOW_HTTP` | `1`/`true`: allow plain `http://` to non-loopback hosts |
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `lookup` (for tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let mut builder = Config::builder();
        if let Some(domain) = lookup("PROVENA_DOMAIN") {
            builder = builder.domain(domain);
        }
        if let Some(realm) = lookup("PROVENA_REALM") {
            builder = builder.realm(realm);
        }
        if let Some(client_id) = lookup("PROVENA_CLIENT_ID") {
            builder = builder.client_id(client_id);
        }
        if let Some(url) = lookup("PROVENA_KEYCLOAK_URL") {
            builder = builder.keycloak_realm_url(url);
        }
        for service in SERVICES {
            if let Some(url) = lookup(&env_name(&service)) {
                builder = builder.endpoint(service.name, url);
            }
        }
        for (name, setter) in [
            (
                "PROVENA_REQUEST_TIMEOUT_SECS",
                ConfigBuilder::request_timeout as fn(_, _) -> _,
            ),
            (
                "PROVENA_CONNECT_TIMEOUT_SECS",
                ConfigBuilder::connect_timeout,
            ),
        ] {
            if let Some(value) = lookup(name) {
                builder = setter(builder, parse_seconds(name, &value)?);
            }
        }
        if let Some(value) = lookup("PROVENA_ALLOW_HTTP") {
            builder = builder.allow_insecure_http(matches!(value.trim(), "1" | "true" | "yes"));
        }
        builder.build()
    }

    /// The base URL of a service, by its name in [`SERVICES`].
    pub fn endpoint(&self, service: &str) -> Result<&Url, Error> {
        self.endpoints
            .get(service)
            .ok_or_else(|| Error::Config(format!("unknown service {service:?}")))
    }

    /// The Keycloak realm URL, when a domain and realm (or an explicit URL) were given.
    pub fn keycloak_realm(&self) -> Option<&Url> {
        self.keycloak_realm.as_ref()
    }

    /// The Keycloak client id for the auth flows, if configured.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// Time allowed for a whole request, response body included.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// Time allowed to establish a connection.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The `User-Agent` header sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Largest JSON response body accepted, in bytes.
    pub fn max_body_bytes(&self) -> u64 {
        self.max_body_bytes
    }

    /// How failed requests are retried.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }
}

/// A timeout variable's value: a positive number of seconds that fits a
/// [`Duration`] and is at least a nanosecond. Anything else (`-1`, `inf`,
/// `NaN`, `1e30`, `0`, words) is a configuration error naming the variable.
fn parse_seconds(name: &str, value: &str) -> Result<Duration, Error> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .filter(|timeout| !timeout.is_zero())
        .ok_or_else(|| {
            Error::Config(format!(
                "{name}={value:?} is not a positive number of seconds"
            ))
        })
}

fn env_name(service: &ServiceInfo) -> String {
    format!(
        "PROVENA_{}_URL",
        service.name.to_uppercase().replace('-', "_")
    )
}

/// Builds a [`Config`]; nothing is checked until [`ConfigBuilder::build`].
#[derive(Debug, Clone, Default)]
pub struct ConfigBuilder {
    domain: Option<String>,
    realm: Option<String>,
    client_id: Option<String>,
    keycloak_realm_url: Option<String>,
    endpoints: BTreeMap<String, String>,
    request_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    allow_insecure_http: bool,
    max_body_bytes: Option<u64>,
    retry: Option<RetryPolicy>,
}

impl ConfigBuilder {
    /// The deployment's domain, e.g. `example.provena.io`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The Keycloak realm name.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// The Keycloak client id used by the offline-token and device flows.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// A full Keycloak realm URL, instead of the one derived from domain and realm.
    pub fn keycloak_realm_url(mut self, url: impl Into<String>) -> Self {
        self.keycloak_realm_url = Some(url.into());
        self
    }

    /// A full base URL for one service (by its name in [`SERVICES`]); it may
    /// include a path prefix.
    pub fn endpoint(mut self, service: impl Into<String>, base_url: impl Into<String>) -> Self {
        self.endpoints.insert(service.into(), base_url.into());
        self
    }

    /// Time allowed for a whole request (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Time allowed to connect (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` header (default `provena-client-rust/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Allows plain `http://` endpoints on hosts other than loopback. Off by
    /// default, because tokens would travel in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Largest JSON response body accepted (default 256 MiB).
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        self.max_body_bytes = Some(limit);
        self
    }

    /// How failed requests are retried (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Checks everything and produces the configuration.
    pub fn build(self) -> Result<Config, Error> {
        let domain = match self.domain.as_deref().map(str::trim) {
            Some("") => return Err(Error::Config("the domain is empty".into())),
            Some(domain) if domain.contains(['/', ':', ' ']) => {
                return Err(Error::Config(format!(
                    "the domain {domain:?} must be a bare host name such as example.provena.io"
                )));
            }
            other => other,
        };
        for name in self.endpoints.keys() {
            if !SERVICES.iter().any(|s| s.name == name) {
                return Err(Error::Config(format!(
                    "unknown service {name:?} in endpoint overrides (known: {})",
                    SERVICES.map(|s| s.name).join(", ")
                )));
            }
        }
        let mut endpoints = BTreeMap::new();
        for service in SERVICES {
            let url = match (self.endpoints.get(service.name), domain) {
                (Some(url), _) => parse_url(url, &format!("endpoint of {}", service.name))?,
                (None, Some(domain)) => parse_url(
                    &format!("https://{}.{domain}", service.host_prefix),
                    "domain",
                )?,
                (None, None) => {
                    return Err(Error::Config(format!(
                        "no domain and no endpoint for the {} service",
                        service.name
                    )));
                }
            };
            check_scheme(&url, self.allow_insecure_http)?;
            endpoints.insert(service.name, url);
        }
        let keycloak_realm = match (&self.keycloak_realm_url, domain, &self.realm) {
            (Some(url), _, _) => Some(parse_url(url, "Keycloak realm URL")?),
            (None, Some(domain), Some(realm)) => Some(parse_url(
                &format!("https://auth.{domain}/auth/realms/{realm}"),
                "realm",
            )?),
            _ => None,
        };
        if let Some(url) = &keycloak_realm {
            check_scheme(url, self.allow_insecure_http)?;
        }
        for (what, timeout) in [
            ("request timeout", self.request_timeout),
            ("connect timeout", self.connect_timeout),
        ] {
            if timeout.is_some_and(|t| t.is_zero()) {
                return Err(Error::Config(format!("the {what} is zero")));
            }
        }
        Ok(Config {
            endpoints,
            keycloak_realm,
            client_id: self.client_id,
            request_timeout: self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            user_agent: self.user_agent.unwrap_or_else(|| {
                concat!("provena-client-rust/", env!("CARGO_PKG_VERSION")).to_string()
            }),
            max_body_bytes: self.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
            retry: self.retry.unwrap_or_default(),
        })
    }
}

fn parse_url(text: &str, what: &str) -> Result<Url, Error> {
    let url = Url::parse(text.trim())
        .map_err(|e| Error::Config(format!("{what}: {text:?} is not a URL: {e}")))?;
    if url.cannot_be_a_base() || url.host_str().is_none() {
        return Err(Error::Config(format!(
            "{what}: {text:?} is not an http(s) base URL"
        )));
    }
    Ok(url)
}

fn check_scheme(url: &Url, allow_insecure_http: bool) -> Result<(), Error> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(Error::Config(format!(
            "{url} uses plain http to a non-loopback host; use https or allow_insecure_http(true)"
        ))),
        other => Err(Error::Config(format!(
            "{url}: unsupported scheme {other:?}"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_derived_from_the_domain() {
        let config = Config::builder()
            .domain("d.example")
            .realm("r")
            .build()
            .unwrap();
        let expected = [
            ("auth", "https://auth-api.d.example/"),
            ("registry", "https://registry-api.d.example/"),
            ("datastore", "https://data-api.d.example/"),
            ("search", "https://search.d.example/"),
            ("prov", "https://prov-api.d.example/"),
            ("job", "https://job-api.d.example/"),
            ("id-service", "https://handle.d.example/"),
        ];
        for (service, url) in expected {
            assert_eq!(config.endpoint(service).unwrap().as_str(), url, "{service}");
        }
        assert_eq!(
            config.keycloak_realm().unwrap().as_str(),
            "https://auth.d.example/auth/realms/r"
        );
    }

    #[test]
    fn empty_domain_is_rejected() {
        let error = Config::builder().domain(" ").build().unwrap_err();
        assert!(error.to_string().contains("domain is empty"), "{error}");
    }

    #[test]
    fn unparsable_override_is_rejected_naming_the_service() {
        let error = Config::builder()
            .domain("d.example")
            .endpoint("job", "not a url")
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("endpoint of job"), "{error}");
    }

    #[test]
    fn plain_http_needs_loopback_or_explicit_permission() {
        let remote = Config::builder()
            .domain("d.example")
            .endpoint("job", "http://jobs.example.org");
        assert!(
            remote
                .clone()
                .build()
                .unwrap_err()
                .to_string()
                .contains("plain http")
        );
        assert!(remote.allow_insecure_http(true).build().is_ok());
        let local = Config::builder()
            .domain("d.example")
            .endpoint("job", "http://127.0.0.1:9/jobs");
        assert!(local.build().is_ok());
    }

    #[test]
    fn unknown_service_override_is_rejected() {
        let error = Config::builder()
            .domain("d.example")
            .endpoint("jobs", "https://x.example")
            .build()
            .unwrap_err();
        assert!(
            error.to_string().contains("unknown service \"jobs\""),
            "{error}"
        );
    }

    #[test]
    fn environment_variables_are_read() {
        let vars = [
            ("PROVENA_DOMAIN", "env.example"),
            ("PROVENA_REALM", "rlm"),
            ("PROVENA_ID_SERVICE_URL", "https://ids.example/base"),
            ("PROVENA_REQUEST_TIMEOUT_SECS", "2.5"),
        ];
        let config = Config::from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
        .unwrap();
        assert_eq!(
            config.endpoint("id-service").unwrap().as_str(),
            "https://ids.example/base"
        );
        assert_eq!(config.request_timeout(), Duration::from_millis(2500));
    }

    #[test]
    fn bad_timeout_variable_is_rejected_by_name() {
        let error = Config::from_lookup(|name| match name {
            "PROVENA_DOMAIN" => Some("d.example".into()),
            "PROVENA_CONNECT_TIMEOUT_SECS" => Some("soon".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(
            error.to_string().contains("PROVENA_CONNECT_TIMEOUT_SECS"),
            "{error}"
        );
    }

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn base() -> ConfigBuilder {
        Config::builder().domain("d.example")
    }

    #[test]
    fn a_timeout_variable_that_is_no_positive_duration_is_a_config_error_naming_it() {
        for name in [
            "PROVENA_REQUEST_TIMEOUT_SECS",
            "PROVENA_CONNECT_TIMEOUT_SECS",
        ] {
            for value in [
                "-1", "inf", "-inf", "NaN", "1e20", "1e300", "0", "-0", "1e-12", "soon", "",
            ] {
                let vars = [("PROVENA_DOMAIN", "d.example"), (name, value)];
                match Config::from_lookup(lookup(&vars)) {
                    Err(Error::Config(message)) => assert_eq!(
                        message,
                        format!("{name}={value:?} is not a positive number of seconds")
                    ),
                    other => panic!("{name}={value:?} gave {other:?}"),
                }
            }
        }
    }

    #[test]
    fn timeout_variables_are_read_as_fractional_seconds() {
        let vars = [
            ("PROVENA_DOMAIN", "d.example"),
            ("PROVENA_REQUEST_TIMEOUT_SECS", " 2.5 "),
            ("PROVENA_CONNECT_TIMEOUT_SECS", "0.25"),
        ];
        let config = Config::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(config.request_timeout(), Duration::from_millis(2500));
        assert_eq!(config.connect_timeout(), Duration::from_millis(250));
    }

    #[test]
    fn client_id_keycloak_url_and_plain_http_permission_are_read_from_the_environment() {
        let vars = [
            ("PROVENA_DOMAIN", "d.example"),
            ("PROVENA_CLIENT_ID", "client-tools"),
            (
                "PROVENA_KEYCLOAK_URL",
                "http://kc.example.org/auth/realms/x",
            ),
            ("PROVENA_JOB_URL", "http://jobs.example.org"),
            ("PROVENA_ALLOW_HTTP", " true "),
        ];
        let config = Config::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(config.client_id(), Some("client-tools"));
        assert_eq!(
            config.keycloak_realm().unwrap().as_str(),
            "http://kc.example.org/auth/realms/x"
        );
        assert_eq!(
            config.endpoint("job").unwrap().as_str(),
            "http://jobs.example.org/"
        );
    }

    #[test]
    fn plain_http_permission_is_only_1_true_or_yes() {
        for (value, allowed) in [
            ("1", true),
            ("true", true),
            ("yes", true),
            ("0", false),
            ("no", false),
        ] {
            let vars = [
                ("PROVENA_DOMAIN", "d.example"),
                ("PROVENA_JOB_URL", "http://jobs.example.org"),
                ("PROVENA_ALLOW_HTTP", value),
            ];
            assert_eq!(
                Config::from_lookup(lookup(&vars)).is_ok(),
                allowed,
                "PROVENA_ALLOW_HTTP={value}"
            );
        }
    }

    #[test]
    fn defaults_are_60_s_requests_10_s_connects_256_mib_bodies_and_the_crate_user_agent() {
        let config = base().build().unwrap();
        assert_eq!(config.request_timeout(), Duration::from_secs(60));
        assert_eq!(config.connect_timeout(), Duration::from_secs(10));
        assert_eq!(config.max_body_bytes(), 268_435_456, "256 MiB");
        assert_eq!(
            config.user_agent(),
            format!("provena-client-rust/{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(config.retry(), &RetryPolicy::default());
        assert_eq!(config.client_id(), None);
        assert_eq!(config.keycloak_realm(), None, "no realm, no Keycloak");
    }

    #[test]
    fn each_setting_is_kept_as_given() {
        let policy = RetryPolicy {
            max_attempts: 7,
            ..RetryPolicy::disabled()
        };
        let config = base()
            .client_id("cli")
            .request_timeout(Duration::from_millis(1_500))
            .connect_timeout(Duration::from_millis(750))
            .user_agent("my-pipeline/2.0")
            .max_body_bytes(12_345)
            .retry(policy.clone())
            .build()
            .unwrap();
        assert_eq!(config.client_id(), Some("cli"));
        assert_eq!(config.request_timeout(), Duration::from_millis(1_500));
        assert_eq!(config.connect_timeout(), Duration::from_millis(750));
        assert_eq!(config.user_agent(), "my-pipeline/2.0");
        assert_eq!(config.max_body_bytes(), 12_345);
        assert_eq!(config.retry(), &policy);
    }

    #[test]
    fn zero_timeouts_are_rejected_by_name() {
        let error = base().request_timeout(Duration::ZERO).build().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid configuration: the request timeout is zero"
        );
        let error = base().connect_timeout(Duration::ZERO).build().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid configuration: the connect timeout is zero"
        );
    }

    #[test]
    fn a_domain_with_a_slash_colon_or_space_is_rejected() {
        for domain in [
            "d.example/api",
            "d.example:443",
            "d example",
            "https://d.example",
        ] {
            let error = Config::builder().domain(domain).build().unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "invalid configuration: the domain {domain:?} must be a bare host name such as example.provena.io"
                )
            );
        }
    }

    #[test]
    fn the_domain_is_trimmed() {
        let config = Config::builder().domain(" d.example ").build().unwrap();
        assert_eq!(
            config.endpoint("job").unwrap().as_str(),
            "https://job-api.d.example/"
        );
    }

    #[test]
    fn without_domain_every_service_needs_an_endpoint() {
        let error = Config::builder()
            .endpoint("auth", "https://a.example")
            .build()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid configuration: no domain and no endpoint for the registry service"
        );
    }

    #[test]
    fn a_url_without_a_host_is_not_a_base_url() {
        for url in [
            "file:///tmp/api",
            "mailto:someone@d.example",
            "data:text/plain,x",
        ] {
            let error = base().endpoint("job", url).build().unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "invalid configuration: endpoint of job: {url:?} is not an http(s) base URL"
                )
            );
        }
    }

    #[test]
    fn a_scheme_other_than_http_or_https_is_rejected() {
        let error = base()
            .endpoint("job", "ftp://files.example.org")
            .build()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid configuration: ftp://files.example.org/: unsupported scheme \"ftp\""
        );
    }

    #[test]
    fn plain_http_is_allowed_to_every_loopback_host() {
        for url in [
            "http://localhost:8080",
            "http://LocalHost",
            "http://127.0.0.1:9",
            "http://127.1.2.3",
            "http://[::1]:8080",
        ] {
            assert!(base().endpoint("job", url).build().is_ok(), "{url}");
        }
        for url in [
            "http://localhost.example.org",
            "http://10.0.0.1",
            "http://[::2]",
        ] {
            assert!(base().endpoint("job", url).build().is_err(), "{url}");
        }
    }

    #[test]
    fn an_explicit_keycloak_url_replaces_the_derived_one_and_is_checked() {
        let config = base()
            .realm("r")
            .keycloak_realm_url("https://sso.example.org/realms/r")
            .build()
            .unwrap();
        assert_eq!(
            config.keycloak_realm().unwrap().as_str(),
            "https://sso.example.org/realms/r"
        );
        let error = base()
            .keycloak_realm_url("http://sso.example.org/realms/r")
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("plain http"), "{error}");
    }

    #[test]
    fn an_unknown_service_has_no_endpoint() {
        let config = base().build().unwrap();
        let error = config.endpoint("jobs").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid configuration: unknown service \"jobs\""
        );
    }
}
