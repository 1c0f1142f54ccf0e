//! govreview: the monthly cost governance review for Claude (Anthropic API) spend.
//!
//! `main` parses the command line and calls [`run`]; everything else lives here, one module per
//! responsibility: [`config`] (parse, validate), [`data`] (the only polars user: files → cube),
//! [`metrics`] (pure arithmetic), [`report`] (one model for every renderer), [`render`] (one file
//! per format), [`charts`], and [`pack`] (writes the month folder whole or not at all).

pub mod actions;
pub mod anthropic;
pub mod charts;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod cube;
pub mod data;
pub mod email;
pub mod error;
pub mod fetch;
pub mod fmt;
pub mod fsx;
pub mod metrics;
pub mod month;
pub mod net;
pub mod pack;
pub mod pricing;
pub mod render;
pub mod report;
pub mod secret;

use std::process::ExitCode;

use cli::{Cli, Command};
pub use error::{Error, Result};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when a check finds a problem.
pub const EXIT_FOUND: u8 = 1;
/// Exit code for any error.
pub const EXIT_ERROR: u8 = 2;

/// Runs a parsed command line. Output goes to `out`; the caller prints errors.
pub fn run(cli: Cli, out: &mut dyn std::io::Write) -> Result<ExitCode> {
    let as_of = cli
        .global
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    match &cli.command {
        Command::Review(args) => {
            cmd::review::run(&cli.global, args, as_of, out)?;
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Actions(c) => {
            cmd::actions::run(&cli.global, c, as_of, out)?;
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Check(args) => {
            let problems = cmd::check::run(&cli.global, args, as_of, out)?;
            Ok(ExitCode::from(if problems.is_empty() {
                EXIT_OK
            } else {
                EXIT_FOUND
            }))
        }
        Command::Email(args) => {
            cmd::email::run(&cli.global, args, as_of, out)?;
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Fetch(args) => {
            cmd::fetch::run(args, as_of, out)?;
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Init(args) => {
            cmd::init::run(args, out)?;
            Ok(ExitCode::from(EXIT_OK))
        }
    }
}
