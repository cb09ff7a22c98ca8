//! Tests that need something from outside the repository (a server, a set of
//! documents, a variable) and what they do when it is missing.
//!
//! One rule, everywhere:
//!
//! - with `CI` set to `true` or `1` (as CI sets it), a missing input is a
//!   failure: the test panics with a message that names exactly what is
//!   missing (the variable, directory or server) and how to provide it;
//! - anywhere else the test is skipped, visibly: it prints
//!   `SKIPPED: <test>: <what is missing> (to provide it: <how>)` to stderr
//!   and, in a binary whose harness is libtest-mimic, it is reported as
//!   `ignored (missing: <what>)` on its own line and counted as ignored in the
//!   `test result:` summary line.
//!
//! A test never returns `ok` without having run.
//!
//! # API
//!
//! - [`Missing`]: what is missing and how to provide it.
//! - [`env`]: the value of an environment variable, or the [`Missing`] that
//!   describes it.
//! - [`trial`]: a libtest-mimic test that first gets its inputs, then runs,
//!   is ignored (skipped) or fails per the rule above.
//! - [`missing`]: the rule itself, for code outside [`trial`]; [`env_or_skip`]
//!   combines it with [`env`] for `#[test]` functions.
//! - [`report`]: one closing stderr line per missing input, with the number
//!   of tests it kept from running.
//!
//! # A test binary with external inputs
//!
//! The built-in harness cannot mark a test ignored at run time: a `#[test]`
//! that returns early counts as passed, so its skip shows only in the
//! `SKIPPED:` line. A binary whose tests need external inputs therefore uses
//! libtest-mimic: `harness = false` on its `[[test]]` entry in Cargo.toml,
//! and a `main` like this (tests/contract.rs is one):
//!
//! ```ignore
//! mod common;
//! use common::skip;
//!
//! fn registry_url() -> Result<String, skip::Missing> {
//!     skip::env(
//!         "PROVENA_REAL_REGISTRY_URL",
//!         "the base URL of the real registry API",
//!         "run the tests through scripts/real-servers/run",
//!     )
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     let args = libtest_mimic::Arguments::from_args();
//!     let trials = vec![skip::trial("lists_datasets", registry_url, |url| {
//!         // ... assert as usual; a panic fails the test
//!     })];
//!     let conclusion = libtest_mimic::run(&args, trials);
//!     skip::report("real_servers");
//!     conclusion.exit_code()
//! }
//! ```
//!
//! Each trial runs on a thread of its own, without a Tokio runtime: an async
//! test body builds one (`tokio::runtime::Builder::new_current_thread()`).
#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::sync::Mutex;

use libtest_mimic::{Completion, Trial};

/// Something a test needs from outside and lacks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Missing {
    /// What is missing, precisely: the variable, directory or server.
    pub what: String,
    /// How to provide it: the command to run or the setting to make.
    pub how: String,
}

impl Missing {
    /// `what` is missing; `how` says how to provide it.
    pub fn new(what: impl Into<String>, how: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            how: how.into(),
        }
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (to provide it: {})", self.what, self.how)
    }
}

/// Whether this is a CI run: `CI` is `true` (any case) or `1`.
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| {
            let v = v.trim();
            v == "1" || v.eq_ignore_ascii_case("true")
        })
        .unwrap_or(false)
}

/// The value of the environment variable `var`, trimmed; a [`Missing`] that
/// names it, says what it is (`description`) and how to set it (`how`) when
/// it is unset, empty or not UTF-8.
pub fn env(var: &str, description: &str, how: &str) -> Result<String, Missing> {
    match std::env::var(var) {
        Ok(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
        Ok(_) => Err(Missing::new(
            format!("environment variable {var} ({description}) is empty"),
            how,
        )),
        Err(_) => Err(Missing::new(
            format!("environment variable {var} ({description}) is not set"),
            how,
        )),
    }
}

/// Skips recorded by [`missing`], for [`report`]: the number of tests per
/// missing input.
static SKIPS: Mutex<BTreeMap<Missing, usize>> = Mutex::new(BTreeMap::new());

/// Test `test` cannot run without `what`. In CI this panics, naming what is
/// missing and how to provide it; elsewhere it prints the `SKIPPED:` line to
/// stderr (past the harness's output capture), records the skip for
/// [`report`] and returns: the caller then returns without running.
pub fn missing(test: &str, what: &Missing) {
    if in_ci() {
        panic!("{test}: cannot run in CI (CI is set): missing {what}");
    }
    say(&format!("SKIPPED: {test}: {what}"));
    *SKIPS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(what.clone())
        .or_default() += 1;
}

/// [`env`] for a `#[test]` function: the value, or `None` after [`missing`]
/// (which panics in CI). With the built-in harness the skipped test still
/// counts as passed; prefer [`trial`] in a libtest-mimic binary.
pub fn env_or_skip(test: &str, var: &str, description: &str, how: &str) -> Option<String> {
    match env(var, description, how) {
        Ok(value) => Some(value),
        Err(what) => {
            missing(test, &what);
            None
        }
    }
}

/// A libtest-mimic test named `name`: runs `body` with what `need` returns;
/// when `need` reports something [`Missing`], applies [`missing`] (a failure
/// in CI) and is reported `ignored (missing: ...)`, counted as ignored in the
/// summary line. `need` is called when the test runs, so filtered-out tests
/// check nothing. A panic in `body` fails the test.
pub fn trial<T, N, B>(name: impl Into<String>, need: N, body: B) -> Trial
where
    N: FnOnce() -> Result<T, Missing> + Send + 'static,
    B: FnOnce(T) + Send + 'static,
{
    let name = name.into();
    let test = name.clone();
    Trial::ignorable_test(name, move || match need() {
        Ok(input) => {
            body(input);
            Ok(Completion::Completed)
        }
        Err(what) => {
            missing(&test, &what);
            Ok(Completion::ignored_with(format!("missing: {}", what.what)))
        }
    })
}

/// Prints, for each missing input, one line to stderr with the number of
/// tests of `binary` it kept from running; nothing when none was skipped.
/// Call it after `libtest_mimic::run`, so that the lines close the output.
pub fn report(binary: &str) {
    let skips = SKIPS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    for (what, tests) in skips {
        let noun = if tests == 1 { "test" } else { "tests" };
        say(&format!(
            "SKIPPED: {binary}: {tests} {noun} for want of {what}"
        ));
    }
}

/// Writes `line` to stderr in one piece, so that the harness's concurrent
/// output on stdout cannot cut into it on a terminal.
fn say(line: &str) {
    let _ = std::io::stderr()
        .lock()
        .write_all(format!("{line}\n").as_bytes());
}
