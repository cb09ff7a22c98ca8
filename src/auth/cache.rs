//! The on-disk token cache of the device flow, so that a user logs in once and
//! later runs reuse the refresh token.

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use super::{AccessToken, AuthError};

/// Bumped when the file layout changes; other versions are ignored.
const FORMAT_VERSION: u64 = 1;
/// The folder under the platform cache directory.
const APP_DIR: &str = "provena-client";

/// Where the device flow keeps its tokens for one (realm URL, client id).
///
/// One JSON file per realm and client, named after a hash of both, holding
/// the refresh token and the current access token with its expiry. The file is
/// created with mode `0600` (owner only) on Unix and always replaced
/// atomically (written to a temporary file in the same directory, then
/// renamed), so a crash never leaves a half-written cache. A file that cannot
/// be read or understood is ignored with a warning, which simply means the
/// user logs in again.
///
/// ```
/// use provena_client::auth::TokenCache;
///
/// let realm = url::Url::parse("https://auth.example.org/auth/realms/provena").unwrap();
/// let cache = TokenCache::in_dir("/tmp/provena-tokens", &realm, "client-tools");
/// assert!(cache.path().starts_with("/tmp/provena-tokens"));
/// ```
#[derive(Clone)]
pub struct TokenCache {
    path: PathBuf,
    realm_url: String,
    client_id: String,
}

/// What the cache holds.
#[derive(Clone)]
pub(crate) struct CachedTokens {
    pub(crate) refresh: SecretString,
    pub(crate) access: Option<(AccessToken, SystemTime)>,
}

impl TokenCache {
    /// A cache file in `dir` (created on first write, mode `0700` on Unix).
    pub fn in_dir(dir: impl Into<PathBuf>, realm_url: &Url, client_id: &str) -> Self {
        let realm_url = normalise(realm_url);
        let name = format!("token-{:016x}.json", fnv1a(&realm_url, client_id));
        Self {
            path: dir.into().join(name),
            realm_url,
            client_id: client_id.to_owned(),
        }
    }

    /// A cache file in the user's cache directory: `$XDG_CACHE_HOME/provena-client`
    /// or `~/.cache/provena-client` on Linux, the platform equivalent
    /// elsewhere. Fails with [`AuthError::NoCacheDir`] where there is none.
    pub fn default_location(realm_url: &Url, client_id: &str) -> Result<Self, AuthError> {
        let base = dirs::cache_dir().ok_or(AuthError::NoCacheDir)?;
        Ok(Self::in_dir(base.join(APP_DIR), realm_url, client_id))
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes the cache file; `Ok(false)` if there was none.
    pub fn remove(&self) -> Result<bool, AuthError> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(AuthError::Cache {
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// The cached tokens, or `None` (with a warning unless the file is simply
    /// absent) when there are none usable.
    pub(crate) fn load(&self) -> Option<CachedTokens> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot read the token cache; ignoring it");
                return None;
            }
        };
        match self.parse(&bytes) {
            Ok(tokens) => {
                tracing::debug!(path = %self.path.display(), "loaded cached tokens");
                Some(tokens)
            }
            Err(reason) => {
                tracing::warn!(path = %self.path.display(), reason, "ignoring an unusable token cache file");
                None
            }
        }
    }

    /// Reasons are fixed strings: the file's content (tokens) is never quoted.
    fn parse(&self, bytes: &[u8]) -> Result<CachedTokens, &'static str> {
        let v: Value = serde_json::from_slice(bytes).map_err(|_| "not valid JSON")?;
        if v.get("version").and_then(Value::as_u64) != Some(FORMAT_VERSION) {
            return Err("unknown format version");
        }
        if v.get("realm_url").and_then(Value::as_str) != Some(self.realm_url.as_str())
            || v.get("client_id").and_then(Value::as_str) != Some(self.client_id.as_str())
        {
            return Err("written for another realm or client id");
        }
        let refresh = v
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or("no refresh token")?;
        let access = match (
            v.get("access_token").and_then(Value::as_str),
            v.get("expires_at").and_then(Value::as_u64),
        ) {
            (Some(token), Some(at)) if !token.is_empty() => UNIX_EPOCH
                .checked_add(Duration::from_secs(at))
                .map(|t| (AccessToken::new(token), t)),
            _ => None,
        };
        Ok(CachedTokens {
            refresh: SecretString::from(refresh.to_owned()),
            access,
        })
    }

    /// Replaces the cache file atomically with `tokens`.
    pub(crate) fn store(&self, tokens: &CachedTokens) -> Result<(), AuthError> {
        let (access, expires_at) = match &tokens.access {
            Some((token, at)) => (
                Some(token.expose()),
                at.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs()),
            ),
            None => (None, None),
        };
        let body = json!({
            "version": FORMAT_VERSION,
            "realm_url": self.realm_url,
            "client_id": self.client_id,
            "refresh_token": tokens.refresh.expose_secret(),
            "access_token": access,
            "expires_at": expires_at,
        });
        let err = |source| AuthError::Cache {
            path: self.path.clone(),
            source,
        };
        let dir = self
            .path
            .parent()
            .ok_or_else(|| err(io::Error::other("the cache path has no directory")))?;
        create_private_dir(dir).map_err(err)?;
        write_atomically(&self.path, body.to_string().as_bytes()).map_err(err)
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("path", &self.path)
            .field("realm_url", &self.realm_url)
            .field("client_id", &self.client_id)
            .finish()
    }
}

/// Runs blocking file I/O off the async worker threads. The caller's tracing
/// subscriber and span go along, so that a scoped subscriber (in a test, or a
/// per-request one in an application) still sees the cache's warnings.
pub(crate) async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        tracing::dispatcher::with_default(&dispatch, || span.in_scope(f))
    })
    .await
}

/// `https://x/realms/r/` and `https://x/realms/r` are the same realm.
fn normalise(realm_url: &Url) -> String {
    realm_url.as_str().trim_end_matches('/').to_owned()
}

/// FNV-1a: a stable hash (std's `DefaultHasher` may change between Rust
/// releases, which would orphan every cache file). Collisions are harmless:
/// the file records its realm and client id and is ignored on a mismatch.
fn fnv1a(realm_url: &str, client_id: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in realm_url
        .bytes()
        .chain(std::iter::once(0))
        .chain(client_id.bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Temp file in the same directory (so the rename cannot cross file systems),
/// created owner-only from the start so the token is never briefly readable
/// by others, then renamed over the target.
fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::other("the cache path has no file name"))?;
    let tmp = path.with_file_name(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let result = options.open(&tmp).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_depends_on_realm_and_client_only() {
        let a = Url::parse("https://auth.x.org/auth/realms/p").unwrap();
        let a_slash = Url::parse("https://auth.x.org/auth/realms/p/").unwrap();
        let b = Url::parse("https://auth.y.org/auth/realms/p").unwrap();
        let name = |u: &Url, c: &str| TokenCache::in_dir("/d", u, c).path().to_owned();
        assert_eq!(name(&a, "cli"), name(&a_slash, "cli"));
        assert_ne!(name(&a, "cli"), name(&b, "cli"));
        assert_ne!(name(&a, "cli"), name(&a, "other"));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(fnv1a("ab", "c"), fnv1a("a", "bc"));
    }

    const REALM: &str = "https://auth.x.org/auth/realms/p";

    fn cache(dir: &Path) -> TokenCache {
        TokenCache::in_dir(dir, &Url::parse(REALM).unwrap(), "cli")
    }

    /// A fresh directory, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("provena-cache-unit-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// Runs `f` and returns what it logged at WARN or above.
    fn warnings<T>(f: impl FnOnce() -> T) -> (T, String) {
        #[derive(Clone, Default)]
        struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl io::Write for Buffer {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        // Two inert dispatchers keep `tracing` from caching a call site's
        // interest from whichever thread reaches it first (see
        // tests/common/keycloak.rs, `LogCapture`).
        static ANCHORS: std::sync::OnceLock<[tracing::Dispatch; 2]> = std::sync::OnceLock::new();
        ANCHORS.get_or_init(|| {
            [(), ()].map(|()| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()))
        });
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_writer(move || writer.clone())
            .finish();
        let value = tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8_lossy(&buffer.0.lock().unwrap()).into_owned();
        (value, text)
    }

    fn file(fields: Value) -> Vec<u8> {
        let mut body = json!({
            "version": FORMAT_VERSION,
            "realm_url": REALM,
            "client_id": "cli",
            "refresh_token": "refresh-1",
            "access_token": "access-1",
            "expires_at": 2_000_000_000u64,
        });
        for (key, value) in fields.as_object().unwrap() {
            body[key] = value.clone();
        }
        body.to_string().into_bytes()
    }

    fn parse(fields: Value) -> Result<CachedTokens, &'static str> {
        cache(Path::new("/unused")).parse(&file(fields))
    }

    #[test]
    fn the_file_name_is_the_same_in_every_release() {
        // FNV-1a of "{realm}\0{client}": a changed hash would orphan every
        // user's cached login.
        assert_eq!(
            cache(Path::new("/d")).path(),
            Path::new("/d/token-5b7e06abf3b1c1cb.json")
        );
    }

    #[test]
    fn a_file_of_this_realm_and_client_gives_both_tokens_and_the_expiry() {
        let tokens = parse(json!({})).expect("usable");
        assert_eq!(tokens.refresh.expose_secret(), "refresh-1");
        let (access, at) = tokens.access.expect("an access token");
        assert_eq!(access.expose(), "access-1");
        assert_eq!(at, UNIX_EPOCH + Duration::from_secs(2_000_000_000));
    }

    #[test]
    fn a_file_of_another_format_version_is_rejected_for_its_version() {
        assert_eq!(
            parse(json!({"version": 2})).err(),
            Some("unknown format version")
        );
        assert_eq!(
            parse(json!({"version": null})).err(),
            Some("unknown format version")
        );
    }

    #[test]
    fn a_file_of_another_realm_is_rejected() {
        let other = json!({"realm_url": "https://auth.y.org/auth/realms/p"});
        assert_eq!(
            parse(other).err(),
            Some("written for another realm or client id")
        );
    }

    #[test]
    fn a_file_of_another_client_id_is_rejected() {
        let other = json!({"client_id": "other"});
        assert_eq!(
            parse(other).err(),
            Some("written for another realm or client id")
        );
    }

    #[test]
    fn a_file_without_a_refresh_token_is_rejected() {
        assert_eq!(
            parse(json!({"refresh_token": ""})).err(),
            Some("no refresh token")
        );
        assert_eq!(
            parse(json!({"refresh_token": null})).err(),
            Some("no refresh token")
        );
    }

    #[test]
    fn an_empty_or_undated_access_token_is_dropped_keeping_the_refresh_token() {
        for fields in [
            json!({"access_token": ""}),
            json!({"access_token": null}),
            json!({"expires_at": null}),
        ] {
            let tokens = parse(fields.clone()).expect("usable");
            assert_eq!(tokens.refresh.expose_secret(), "refresh-1");
            assert!(tokens.access.is_none(), "{fields}");
        }
    }

    #[test]
    fn an_absent_file_loads_nothing_without_a_warning() {
        let dir = Scratch::new("absent");
        let (loaded, logged) = warnings(|| cache(&dir.0).load());
        assert!(loaded.is_none());
        assert_eq!(logged, "");
    }

    #[test]
    fn an_unreadable_file_loads_nothing_with_a_warning() {
        let dir = Scratch::new("unreadable");
        let cache = cache(&dir.0);
        fs::create_dir(cache.path()).unwrap(); // a directory cannot be read as a file
        let (loaded, logged) = warnings(|| cache.load());
        assert!(loaded.is_none());
        assert!(logged.contains("cannot read the token cache"), "{logged}");
    }

    #[test]
    fn an_unusable_file_loads_nothing_with_a_warning_naming_the_reason() {
        let dir = Scratch::new("unusable");
        let cache = cache(&dir.0);
        fs::write(cache.path(), file(json!({"version": 7}))).unwrap();
        let (loaded, logged) = warnings(|| cache.load());
        assert!(loaded.is_none());
        assert!(
            logged.contains("ignoring an unusable token cache file")
                && logged.contains("unknown format version"),
            "{logged}"
        );
    }

    #[test]
    fn a_stored_login_loads_back() {
        let dir = Scratch::new("roundtrip");
        let cache = cache(&dir.0.join("nested"));
        let at = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        let tokens = CachedTokens {
            refresh: SecretString::from("refresh-2"),
            access: Some((AccessToken::new("access-2"), at)),
        };
        cache.store(&tokens).expect("stored");
        let (loaded, logged) = warnings(|| cache.load());
        let loaded = loaded.expect("loads back");
        assert_eq!(logged, "");
        assert_eq!(loaded.refresh.expose_secret(), "refresh-2");
        let (access, expiry) = loaded.access.expect("access token");
        assert_eq!((access.expose(), expiry), ("access-2", at));
    }

    #[test]
    fn removing_reports_whether_there_was_a_file() {
        let dir = Scratch::new("remove");
        let cache = cache(&dir.0);
        assert!(!cache.remove().expect("nothing to remove"));
        fs::write(cache.path(), b"{}").unwrap();
        assert!(cache.remove().expect("removed"));
        assert!(!cache.path().exists());
    }

    #[test]
    fn a_cache_path_that_cannot_be_removed_is_an_error_naming_it() {
        let dir = Scratch::new("unremovable");
        let cache = cache(&dir.0);
        fs::create_dir(cache.path()).unwrap();
        match cache.remove() {
            Err(AuthError::Cache { path, .. }) => assert_eq!(path, cache.path()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn debug_output_names_the_file_realm_and_client() {
        let cache = cache(Path::new("/d"));
        let debug = format!("{cache:?}");
        assert_eq!(
            debug,
            format!(
                "TokenCache {{ path: {:?}, realm_url: {REALM:?}, client_id: \"cli\" }}",
                cache.path()
            )
        );
    }
}
