//! The one place where an S3 key and a local path meet.
//!
//! A dataset's files live under one key prefix (`datasets/<id>/`, as the data
//! store's `s3.path` says). Keys come from the bucket listing, which anybody
//! with write credentials to the dataset can fill, so a key is untrusted
//! input: it becomes a local path only here, and only when every one of its
//! segments is an ordinary name. `..`, `.`, empty segments (`a//b`, a leading
//! `/`), backslashes, drive or stream colons and NUL bytes are refused, as is
//! any key outside the dataset's prefix. The result is always `dest` joined
//! with plain names, so it cannot leave `dest`.
//!
//! The reverse direction (a local file under an uploaded directory, or a key
//! the caller names) goes through the same segment rule, so what is uploaded
//! can be downloaded again.

use std::path::{Component, Path, PathBuf};

/// Why a key (or a path inside a dataset) cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The key does not start with the dataset's prefix.
    OutsidePrefix,
    /// Nothing is left once the prefix is removed.
    Empty,
    /// An empty segment: `a//b`, or a leading `/` (an absolute path).
    EmptySegment,
    /// A `.` or `..` segment.
    DotSegment,
    /// A segment holding `\`, `:` or NUL, which some file systems read as a
    /// separator, a drive or stream name, or the end of the name.
    ForbiddenCharacter,
}

impl Refusal {
    /// A short phrase naming the problem, for error messages.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::OutsidePrefix => "outside the dataset's prefix",
            Refusal::Empty => "names no file",
            Refusal::EmptySegment => "has an empty segment (a leading `/` or `//`)",
            Refusal::DotSegment => "has a `.` or `..` segment",
            Refusal::ForbiddenCharacter => "holds `\\`, `:` or a NUL byte",
        }
    }
}

/// The dataset's prefix with exactly one trailing `/` (`""` for the bucket
/// root).
pub(crate) fn normalise_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    }
}

/// Checks every `/`-separated segment of `relative` (a path inside the
/// dataset) and returns them.
pub(crate) fn segments(relative: &str) -> Result<Vec<&str>, Refusal> {
    if relative.is_empty() {
        return Err(Refusal::Empty);
    }
    relative.split('/').map(segment).collect()
}

fn segment(segment: &str) -> Result<&str, Refusal> {
    if segment.is_empty() {
        return Err(Refusal::EmptySegment);
    }
    if segment == "." || segment == ".." {
        return Err(Refusal::DotSegment);
    }
    if segment.contains(['\\', ':', '\0']) {
        return Err(Refusal::ForbiddenCharacter);
    }
    // Belt and braces: the platform must read it as one plain name.
    let mut components = Path::new(segment).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(_)), None) => Ok(segment),
        _ => Err(Refusal::DotSegment),
    }
}

/// The path inside the dataset of `key`, checked: `key` without `prefix`.
pub(crate) fn relative_key<'k>(prefix: &str, key: &'k str) -> Result<&'k str, Refusal> {
    let relative = key.strip_prefix(prefix).ok_or(Refusal::OutsidePrefix)?;
    segments(relative)?;
    Ok(relative)
}

/// Where the object at `key` is written under `dest`.
pub(crate) fn local_path(dest: &Path, prefix: &str, key: &str) -> Result<PathBuf, Refusal> {
    let relative = relative_key(prefix, key)?;
    let mut path = dest.to_path_buf();
    for part in segments(relative)? {
        path.push(part);
    }
    Ok(path)
}

/// The suffix of a resumable download's partial file.
pub(crate) const PART_SUFFIX: &str = ".provena-part";
/// The suffix added to the partial file's name for its sidecar.
pub(crate) const SIDECAR_SUFFIX: &str = ".meta";

/// Where a resumable download of `local` (a path [`local_path`] gave) keeps
/// its bytes until complete, and the sidecar describing them: hidden names
/// derived from the final name, in the same directory, so they stay under
/// the destination and a later run finds them again.
pub(crate) fn resumable_paths(local: &Path) -> Option<(PathBuf, PathBuf)> {
    let name = local.file_name()?.to_string_lossy();
    let part = format!(".{name}{PART_SUFFIX}");
    let sidecar = format!("{part}{SIDECAR_SUFFIX}");
    Some((local.with_file_name(part), local.with_file_name(sidecar)))
}

/// The full key of `relative` (a path inside the dataset, `/`-separated).
pub(crate) fn key_for(prefix: &str, relative: &str) -> Result<String, Refusal> {
    segments(relative)?;
    Ok(format!("{prefix}{relative}"))
}

/// The path inside the dataset of `file`, a file found under `root` while
/// walking it: its components joined with `/`, each checked.
pub(crate) fn relative_of(root: &Path, file: &Path) -> Result<String, Refusal> {
    let inner = file
        .strip_prefix(root)
        .map_err(|_| Refusal::OutsidePrefix)?;
    let mut parts = Vec::new();
    for component in inner.components() {
        match component {
            Component::Normal(name) => {
                let name = name.to_str().ok_or(Refusal::ForbiddenCharacter)?;
                parts.push(segment(name)?);
            }
            Component::CurDir | Component::ParentDir => return Err(Refusal::DotSegment),
            Component::RootDir | Component::Prefix(_) => return Err(Refusal::EmptySegment),
        }
    }
    if parts.is_empty() {
        return Err(Refusal::Empty);
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "datasets/10378.1-42/";

    #[test]
    fn keys_become_paths_under_the_destination_or_are_refused() {
        let dest = Path::new("/tmp/dest");
        let table: &[(&str, Result<&str, Refusal>)] = &[
            ("datasets/10378.1-42/a.csv", Ok("/tmp/dest/a.csv")),
            (
                "datasets/10378.1-42/data/b/c.txt",
                Ok("/tmp/dest/data/b/c.txt"),
            ),
            ("datasets/10378.1-42/..x", Ok("/tmp/dest/..x")),
            ("datasets/10378.1-42/a..b/c", Ok("/tmp/dest/a..b/c")),
            ("datasets/10378.1-42/../x", Err(Refusal::DotSegment)),
            ("datasets/10378.1-42/a/../../x", Err(Refusal::DotSegment)),
            ("datasets/10378.1-42/..", Err(Refusal::DotSegment)),
            ("datasets/10378.1-42/./a", Err(Refusal::DotSegment)),
            (
                "datasets/10378.1-42//etc/passwd",
                Err(Refusal::EmptySegment),
            ),
            ("datasets/10378.1-42/a//b", Err(Refusal::EmptySegment)),
            ("datasets/10378.1-42/folder/", Err(Refusal::EmptySegment)),
            ("datasets/10378.1-42/", Err(Refusal::Empty)),
            (
                "datasets/10378.1-42/..\\x",
                Err(Refusal::ForbiddenCharacter),
            ),
            (
                "datasets/10378.1-42/C:\\x",
                Err(Refusal::ForbiddenCharacter),
            ),
            (
                "datasets/10378.1-42/a:stream",
                Err(Refusal::ForbiddenCharacter),
            ),
            ("datasets/10378.1-42/a\0b", Err(Refusal::ForbiddenCharacter)),
            ("datasets/10378.1-43/a.csv", Err(Refusal::OutsidePrefix)),
            ("datasets/10378.1-4/a.csv", Err(Refusal::OutsidePrefix)),
            ("/etc/passwd", Err(Refusal::OutsidePrefix)),
            ("../x", Err(Refusal::OutsidePrefix)),
        ];
        for (key, expected) in table {
            let got = local_path(dest, PREFIX, key);
            let expected = expected.map(PathBuf::from);
            assert_eq!(got, expected, "key {key:?}");
            if let Ok(path) = got {
                assert!(path.starts_with(dest), "{path:?} stays under {dest:?}");
            }
        }
    }

    #[test]
    fn a_resumable_partial_is_a_hidden_sibling_of_its_final_name() {
        let dest = Path::new("/tmp/dest");
        let local = local_path(dest, PREFIX, "datasets/10378.1-42/data/b.csv").expect("plain key");
        let (part, sidecar) = resumable_paths(&local).expect("a file name");
        assert_eq!(part, Path::new("/tmp/dest/data/.b.csv.provena-part"));
        assert_eq!(
            sidecar,
            Path::new("/tmp/dest/data/.b.csv.provena-part.meta")
        );
        assert_eq!(part.parent(), local.parent());
        assert_eq!(resumable_paths(Path::new("/")), None);
    }

    #[test]
    fn paths_inside_a_dataset_become_keys_or_are_refused() {
        let table: &[(&str, Result<&str, Refusal>)] = &[
            ("a.csv", Ok("datasets/10378.1-42/a.csv")),
            ("data/b.csv", Ok("datasets/10378.1-42/data/b.csv")),
            ("../x", Err(Refusal::DotSegment)),
            ("/etc/passwd", Err(Refusal::EmptySegment)),
            ("data/", Err(Refusal::EmptySegment)),
            ("", Err(Refusal::Empty)),
            ("a\\b", Err(Refusal::ForbiddenCharacter)),
        ];
        for (relative, expected) in table {
            let got = key_for(PREFIX, relative);
            assert_eq!(got, expected.map(String::from), "path {relative:?}");
        }
    }

    #[test]
    fn files_under_an_uploaded_directory_become_slash_separated_paths() {
        let root = Path::new("/data/run");
        let table: &[(&str, Result<&str, Refusal>)] = &[
            ("/data/run/a.csv", Ok("a.csv")),
            ("/data/run/x/y/z.bin", Ok("x/y/z.bin")),
            ("/data/run", Err(Refusal::Empty)),
            ("/data/other/a.csv", Err(Refusal::OutsidePrefix)),
            ("/data/run/a:b", Err(Refusal::ForbiddenCharacter)),
        ];
        for (file, expected) in table {
            let got = relative_of(root, Path::new(file));
            assert_eq!(got, expected.map(String::from), "file {file:?}");
        }
    }

    #[test]
    fn the_prefix_always_ends_with_one_slash() {
        let table = [
            ("datasets/1/", "datasets/1/"),
            ("datasets/1", "datasets/1/"),
            ("/datasets/1//", "datasets/1/"),
            ("", ""),
            ("/", ""),
        ];
        for (given, expected) in table {
            assert_eq!(normalise_prefix(given), expected, "prefix {given:?}");
        }
    }
}
