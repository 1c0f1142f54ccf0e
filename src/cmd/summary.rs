//! `govreview summary`: the month's five lines for a chat channel, without writing a pack.

use std::io::Write;

use chrono::NaiveDate;

use crate::Env;
use crate::cli::{GlobalArgs, SummaryArgs};
use crate::error::Result;
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
    let model = super::month_review(&cfg, args, as_of, env)?;
    super::print(out, summary::render(&model).as_bytes())
}
