//! Argument parsing and the two commands. Hand-rolled: two subcommands with
//! a handful of flags don't justify a CLI framework in every cold build.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::specs::{self, Options};
use crate::{Error, Result};

pub const USAGE: &str = "\
usage: cargo xtask specs sync  --from <DIR|URL> [--out DIR] [common options]
       cargo xtask specs check --from <DIR|URL> [--specs DIR] [common options]

  --from DIR        upstream documents as DIR/{service}.json
  --from URL        URL containing {prefix}: {URL with prefix replaced}/openapi.json
                    (e.g. https://{prefix}.example.org); otherwise URL/{service}/openapi.json
common options:
  --url SERVICE=URL read SERVICE from URL instead (repeatable)
  --only SERVICE    restrict to SERVICE (repeatable)
  --overlays DIR    overlay directory (default: specs/overlays)
sync writes specs/{service}.json and specs/{service}.meta.json (or into --out);
check re-derives in memory and reports semantic drift against specs/ (or --specs),
exiting 1 on drift. Errors exit 2 with one `error: ...` line.";

/// The workspace root, found from this crate's manifest at compile time so
/// the defaults work whatever directory cargo is run from.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

#[derive(Debug)]
enum Command {
    Help,
    Sync {
        opts: Options,
        out: PathBuf,
    },
    Check {
        opts: Options,
        specs: PathBuf,
        specs_label: String,
    },
}

fn parse(args: &[String]) -> Result<Command> {
    let mut it = args.iter();
    let verb = match (it.next().map(String::as_str), it.next().map(String::as_str)) {
        (None | Some("help" | "-h" | "--help"), _)
        | (Some("specs"), None | Some("help" | "-h" | "--help")) => {
            return Ok(Command::Help);
        }
        (Some("specs"), Some(verb @ ("sync" | "check"))) => verb,
        (Some("specs"), Some(other)) => {
            return Err(Error::new(format!(
                "unknown command \"specs {other}\" (try sync or check)"
            )));
        }
        (Some(other), _) => {
            return Err(Error::new(format!(
                "unknown command \"{other}\" (try `cargo xtask specs sync`)"
            )));
        }
    };

    let root = workspace_root();
    let mut from = None;
    let mut out = None;
    let mut specs = None;
    let mut overlays = None;
    let mut overrides = Vec::new();
    let mut only = Vec::new();
    let rest: Vec<&String> = it.collect();
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        i += 1;
        // Both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || -> Result<String> {
            if let Some(v) = &inline {
                return Ok(v.clone());
            }
            let v = rest
                .get(i)
                .ok_or_else(|| Error::new(format!("{flag} needs a value")))?;
            i += 1;
            Ok(v.to_string())
        };
        match flag {
            "--from" => from = Some(value()?),
            "--out" if verb == "sync" => out = Some(value()?),
            "--specs" if verb == "check" => specs = Some(value()?),
            "--overlays" => overlays = Some(value()?),
            "--only" => only.push(value()?),
            "--url" => {
                let v = value()?;
                let Some((service, url)) = v.split_once('=') else {
                    return Err(Error::new(format!(
                        "--url expects SERVICE=URL, got \"{v}\""
                    )));
                };
                overrides.push((service.to_string(), url.to_string()));
            }
            other => {
                return Err(Error::new(format!(
                    "unknown option \"{other}\" for specs {verb}"
                )));
            }
        }
    }
    let from = from.ok_or_else(|| Error::new(format!("specs {verb} needs --from <DIR|URL>")))?;
    let (overlays_dir, overlays_label) = match overlays {
        Some(dir) => (PathBuf::from(&dir), dir),
        None => (
            root.join("specs").join("overlays"),
            "specs/overlays".to_string(),
        ),
    };
    let opts = Options {
        from,
        overrides,
        only,
        overlays_dir,
        overlays_label,
    };
    Ok(if verb == "sync" {
        Command::Sync {
            opts,
            out: out.map(PathBuf::from).unwrap_or_else(|| root.join("specs")),
        }
    } else {
        match specs {
            Some(dir) => Command::Check {
                opts,
                specs: PathBuf::from(&dir),
                specs_label: dir,
            },
            None => Command::Check {
                opts,
                specs: root.join("specs"),
                specs_label: "specs".into(),
            },
        }
    })
}

fn run(args: &[String]) -> Result<ExitCode> {
    match parse(args)? {
        Command::Help => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Sync { opts, out } => {
            let (derived, conflicts) = specs::derive_all(&opts, &out)?;
            provena_specs::refuse(&conflicts)?;
            let written = specs::write_all(&out, &derived)?;
            for d in &derived {
                println!("{}", d.summary());
            }
            for d in &derived {
                for w in &d.warnings {
                    eprintln!("warning: {w}");
                }
            }
            println!(
                "{} files written, {} unchanged, in {}",
                written,
                derived.len() * 2 - written,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            opts,
            specs,
            specs_label,
        } => {
            let (derived, conflicts) = specs::derive_all(&opts, &specs)?;
            let report = specs::compare_dir(&specs, &specs_label, &derived);
            if report.is_empty() && conflicts.is_empty() {
                println!("specs are in sync with {}", opts.from);
                return Ok(ExitCode::SUCCESS);
            }
            if !report.is_empty() {
                print!("{}", specs::render(&report, &specs_label, &opts.from));
            }
            // A sync would refuse these: one Rust type cannot have two schemas.
            for conflict in &conflicts {
                println!("one name, different schemas: {conflict}");
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// Entry point of the binary: prints exactly one `error:` line on failure.
pub fn main(args: Vec<OsString>) -> ExitCode {
    // A bug must not break the one-line contract either (RUST_BACKTRACE is
    // set in some shells and would add a multi-line trace).
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "error: {}",
            Error::new(format!("internal error in xtask: {info}"))
        );
    }));
    let args: Result<Vec<String>> = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|a| Error::new(format!("argument is not UTF-8: {}", a.to_string_lossy())))
        })
        .collect();
    match args.and_then(|a| run(&a)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
