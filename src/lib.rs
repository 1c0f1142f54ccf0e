//! govreview: the monthly cost governance review for Claude (Anthropic API) spend.
//!
//! `main` parses the command line, gathers the [`Env`] and calls [`run`]; everything else lives
//! here, one module per responsibility (ARCHITECTURE.md draws the data flow): [`config`] (parse,
//! validate), [`data`] (the only polars user: files → cube), [`metrics`] (pricing and pure
//! arithmetic), [`kpi`] (the KPI catalogue), [`review`] (the governance engine), [`report`] (one
//! model for every renderer), [`render`] (one file per format), [`charts`], [`pipeline`] (the
//! steps every command shares) and [`pack`] (writes the month folder whole or not at all).

mod actions;
mod anthropic;
mod charts;
pub mod cli;
mod cmd;
mod config;
mod costing;
mod cube;
mod data;
mod diag;
mod email;
pub mod error;
mod fetch;
mod fmt;
mod forecast;
mod fsx;
mod kpi;
mod metrics;
mod month;
mod net;
mod pack;
mod pipeline;
mod pricing;
mod render;
mod report;
mod review;
mod secret;
mod sizing;
mod sql;

use std::process::ExitCode;

use chrono::NaiveDate;
use cli::{Cli, Command};
pub use error::{Error, Result};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when a check finds a problem.
pub const EXIT_FOUND: u8 = 1;
/// Exit code for any error.
pub const EXIT_ERROR: u8 = 2;

/// What the library takes from its surroundings, gathered by `main`: the library itself reads no
/// environment variable and no clock, and writes only to the streams it is given.
pub struct Env {
    /// Today (UTC): the default `--as-of`.
    pub today: NaiveDate,
    /// Aggregate plain Parquet and plain CSV on the fast path (`GOVREVIEW_NO_FAST_PATH` unset).
    pub fast_path: bool,
    /// Report how long each loading stage took (`GOVREVIEW_TIMINGS`).
    pub timings: bool,
    /// The Admin API key (`ANTHROPIC_ADMIN_KEY`).
    pub admin_key: Option<String>,
    /// A Claude Enterprise Analytics API key (`ANTHROPIC_ANALYTICS_KEY`).
    pub analytics_key: Option<String>,
    /// The SMTP password (`GOVREVIEW_SMTP_PASSWORD`).
    pub smtp_password: Option<String>,
    /// A progress indicator for long steps (a spinner on a terminal), if any.
    pub progress: Option<Box<dyn Progress>>,
}

impl Env {
    /// An environment with nothing set: today as given, the fast path on, no secrets, no
    /// progress indicator.
    pub fn plain(today: NaiveDate) -> Env {
        Env {
            today,
            fast_path: true,
            timings: false,
            admin_key: None,
            analytics_key: None,
            smtp_password: None,
            progress: None,
        }
    }

    /// Shows what a long step is doing, when there is a progress indicator.
    pub fn show(&self, message: &str) {
        if let Some(p) = &self.progress {
            p.show(message);
        }
    }

    /// Clears the progress indicator.
    pub fn clear(&self) {
        if let Some(p) = &self.progress {
            p.clear();
        }
    }
}

/// A progress indicator (a spinner on standard error, say).
pub trait Progress {
    /// Shows or updates what is being done.
    fn show(&self, message: &str);
    /// Clears it, so that a line can be written.
    fn clear(&self);
}

/// Runs a parsed command line. Output goes to `out`, diagnostics (timings, retries) to `err`;
/// the caller prints the error of a failed run.
pub fn run(
    cli: Cli,
    env: &Env,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<ExitCode> {
    // Names from data and config reach the terminal: bidirectional characters written out. A
    // reader that closes standard output early ends the output, not the work.
    let mut out = secret::BidiVisible::stdout(out);
    let mut err = secret::BidiVisible::new(err);
    let code = dispatch(cli, env, &mut out, &mut err);
    let flushed = std::io::Write::flush(&mut out).and(std::io::Write::flush(&mut err));
    let code = code?;
    flushed.map_err(|e| error::Error::io("stdout", "cannot write", e))?;
    Ok(code)
}

fn dispatch(
    cli: Cli,
    env: &Env,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<ExitCode> {
    let as_of = cli.global.as_of.unwrap_or(env.today);
    let ok = ExitCode::from(EXIT_OK);
    match &cli.command {
        Command::Review(args) => {
            cmd::review::run(&cli.global, args, as_of, env, out, err).map(|_| ok)
        }
        Command::Actions(c) => cmd::actions::run(&cli.global, c, as_of, out, err).map(|_| ok),
        Command::Check(args) => {
            let problems = cmd::check::run(&cli.global, args, as_of, env, out)?;
            Ok(ExitCode::from(if problems.is_empty() {
                EXIT_OK
            } else {
                EXIT_FOUND
            }))
        }
        Command::Email(args) => cmd::email::run(&cli.global, args, env, out).map(|_| ok),
        Command::Fetch(args) => {
            cmd::fetch::run(&cli.global, args, as_of, env, out, err).map(|_| ok)
        }
        Command::Init(args) => cmd::init::run(args, out).map(|_| ok),
        Command::Summary(args) => cmd::summary::run(&cli.global, args, as_of, env, out).map(|_| ok),
        Command::Sql(args) => cmd::sql::run(&cli.global, args, out).map(|_| ok),
        Command::Export(args) => cmd::export::run(&cli.global, args, as_of, env, out).map(|_| ok),
        Command::Commitment(args) => {
            cmd::commitment::run(&cli.global, args, as_of, env, out).map(|_| ok)
        }
        Command::Backlog(args) => cmd::backlog::run(&cli.global, args, as_of, env, out).map(|_| ok),
    }
}
