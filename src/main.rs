//! The `exauth` binary: parse the command line, run, map the result to an
//! exit code (0 no evidence, 1 evidence, 2 error).

use clap::Parser;
use std::process::ExitCode;

/// See the `mimalloc` dependency in Cargo.toml for why.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match exauth::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors.
            return ExitCode::from(if e.use_stderr() {
                exauth::Exit::Error as u8
            } else {
                0
            });
        }
    };
    match exauth::cli::run(cli) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => {
            exauth::cli::to_stderr(format_args!("exauth: {e:#}\n"));
            ExitCode::from(exauth::Exit::Error as u8)
        }
    }
}
