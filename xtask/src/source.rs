//! Where each upstream document comes from: a directory laid out like the
//! shared `served/` folder, a URL template with `{prefix}`, a base URL, or a
//! per-service `--url` override.

use std::path::PathBuf;
use std::time::Duration;

use crate::services::ServiceInfo;
use crate::{Error, Result};

/// A resolved upstream location for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file, with the path as the user wrote it (for messages and meta).
    File(PathBuf, String),
    Url(String),
}

impl Location {
    /// How the location is named in messages and in the meta `source` field.
    pub fn label(&self) -> &str {
        match self {
            Location::File(_, label) => label,
            Location::Url(url) => url,
        }
    }
}

fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Resolves where `service` is read from. `overrides` are `--url` pairs,
/// already checked to name known services.
pub fn locate(from: &str, service: &ServiceInfo, overrides: &[(String, String)]) -> Location {
    if let Some((_, url)) = overrides
        .iter()
        .rev()
        .find(|(name, _)| name == service.name)
    {
        return Location::Url(url.clone());
    }
    if is_url(from) {
        let base = from.trim_end_matches('/');
        // A deployment serves each service on its own host: https://{prefix}.domain.
        if base.contains("{prefix}") {
            return Location::Url(format!(
                "{}/openapi.json",
                base.replace("{prefix}", service.host_prefix)
            ));
        }
        return Location::Url(format!("{base}/{}/openapi.json", service.name));
    }
    let label = format!("{}/{}.json", from.trim_end_matches('/'), service.name);
    Location::File(
        PathBuf::from(from).join(format!("{}.json", service.name)),
        label,
    )
}

/// Reads the raw bytes of an upstream document.
pub fn fetch(location: &Location) -> Result<Vec<u8>> {
    match location {
        Location::File(path, label) => {
            std::fs::read(path).map_err(|e| Error::new(format!("cannot read {label}: {e}")))
        }
        Location::Url(url) => fetch_url(url),
    }
}

fn fetch_url(url: &str) -> Result<Vec<u8>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .user_agent(concat!("provena-client-xtask/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| Error::new(format!("cannot fetch {url}: {e}")))?;
    response
        .body_mut()
        .with_config()
        // registry.json is ~0.5 MB; leave ample room without being unbounded.
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .map_err(|e| Error::new(format!("cannot read the body of {url}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::find;

    #[test]
    fn resolves_dirs_templates_bases_and_overrides() {
        let job = find("job").unwrap();
        let ids = find("id-service").unwrap();
        assert_eq!(locate("../served/", job, &[]).label(), "../served/job.json");
        assert_eq!(
            locate("https://{prefix}.example.org/", ids, &[]),
            Location::Url("https://handle.example.org/openapi.json".into())
        );
        assert_eq!(
            locate("http://127.0.0.1:8080/api", job, &[]),
            Location::Url("http://127.0.0.1:8080/api/job/openapi.json".into())
        );
        let over = vec![("job".to_string(), "http://h/x.json".to_string())];
        assert_eq!(
            locate("dir", job, &over),
            Location::Url("http://h/x.json".into())
        );
        assert_eq!(locate("dir", ids, &over).label(), "dir/id-service.json");
    }
}
