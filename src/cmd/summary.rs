//! `govreview summary`: the month's five lines for a chat channel, without writing a pack.

use std::io::Write;

use chrono::NaiveDate;

use crate::Env;
use crate::actions::Register;
use crate::cli::{GlobalArgs, SummaryArgs};
use crate::error::{Error, Result};
use crate::month::Month;
use crate::render::summary;
use crate::{pipeline, review};

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
    let register = Register::load(&path)?;
    let view = register.as_of(month, as_of);
    env.show("reading usage and computing the review…");
    let built = pipeline::model(&cfg, &args.input.inputs(), Some(month), as_of, env, &view);
    env.clear();
    let (mut model, _) = built?;
    review::register::link_register(&mut model, &view, &cfg);
    out.write_all(summary::render(&model).as_bytes())
        .map_err(|e| Error::io("stdout", "cannot write", e))
}
