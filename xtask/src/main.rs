use std::process::ExitCode;

fn main() -> ExitCode {
    xtask::cli::main(std::env::args_os().skip(1).collect())
}
