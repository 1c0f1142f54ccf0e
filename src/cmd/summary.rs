//! `govreview summary`: the month's five lines for a chat channel, without writing a pack.

use std::io::Write;

use chrono::NaiveDate;

use crate::Env;
use crate::cli::{GlobalArgs, SummaryArgs};
use crate::error::{Error, Result};
use crate::month::Month;
use crate::pipeline;
use crate::render::summary;

/// Prints the summary of the month.
pub fn run(
    global: &GlobalArgs,
    args: &SummaryArgs,
    as_of: NaiveDate,
    env: &Env,
    out: &mut dyn Write,
) -> Result<()> {
    let cfg = pipeline::load_config(&global.config)?;
    let month = args.month.unwrap_or_else(|| Month::of(as_of).prev());
    let path = super::actions::register_path(args.register.as_deref(), Some(&cfg));
    let (model, _) = pipeline::linked_model(
        &cfg,
        &args.input.inputs(),
        month,
        as_of,
        env,
        &path,
        "reading usage and computing the review…",
    )?;
    out.write_all(summary::render(&model).as_bytes())
        .map_err(|e| Error::io("stdout", "cannot write", e))
}
