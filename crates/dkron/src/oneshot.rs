//! Running one short client command (admin, backup, restore) on a small async runtime.

use std::fmt::Display;
use std::future::Future;
use std::process::ExitCode;

/// Where a command's successful text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// The text is the command's result (a table, a list).
    Stdout,
    /// The text is a summary; stdout may carry data (`dkron backup` without `--output`).
    Stderr,
}

/// Runs the command to completion: prints its text where `report` says and returns success,
/// or prints its error on stderr and returns failure.
pub fn run<E: Display>(
    command: impl Future<Output = Result<String, E>>,
    report: Report,
) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(command) {
        Ok(text) => {
            match report {
                Report::Stdout => print!("{text}"),
                Report::Stderr => eprint!("{text}"),
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
