//! `govreview check`: the gate for a pull request or CI in the review repository.

use std::io::Write;

use chrono::NaiveDate;

use crate::Env;
use crate::cli::{CheckArgs, GlobalArgs};
use crate::error::{Error, Result};
use crate::pipeline;

/// Checks the month's findings and the register. Returns the problems found (empty: all good).
pub fn run(
    global: &GlobalArgs,
    args: &CheckArgs,
    as_of: NaiveDate,
    env: &Env,
    out: &mut dyn Write,
) -> Result<Vec<String>> {
    let cfg = pipeline::load_config(&global.config)?;
    let model = super::month_review(&cfg, args, as_of, env)?;
    // The fix commands name the config when it is not the default, so that they work as printed
    // from the folder `check` ran in.
    let gr = if global.config == std::path::Path::new("govreview.toml") {
        "govreview".to_owned()
    } else {
        format!(
            "govreview -c {}",
            super::init::shell_word(&global.config.to_string_lossy())
        )
    };
    let mut problems = Vec::new();
    for f in model.findings.iter().filter(|f| f.action.is_none()) {
        problems.push(format!(
            "finding {} `{}`{} has no open action: run `{gr} review --month {}` to propose one, or `{gr} actions add --finding {}{} ...`",
            f.id,
            f.metric,
            f.team.as_ref().map_or(String::new(), |t| format!(" (team {t})")),
            model.month,
            f.metric,
            f.team.as_ref().map_or(String::new(), |t| format!(" --team {t}")),
        ));
    }
    for a in &model.register.incomplete {
        problems.push(format!(
            "{} needs {}: owner is `{}`{}; fix it with `{gr} actions assign {} --owner NAME --due YYYY-MM-DD`",
            a.id,
            a.needs.join(" and "),
            a.owner,
            a.due.map_or(", no due date".to_owned(), |d| format!(", due {d}")),
            a.id
        ));
    }
    for a in &model.register.overdue {
        problems.push(format!(
            "{} is overdue: due {}, {} late, owner {}: close it (`{gr} actions close {}`) or agree a new date (`{gr} actions assign {} --owner \"{}\" --due YYYY-MM-DD`)",
            a.id,
            a.due.map_or("?".into(), |d| d.to_string()),
            crate::fmt::count(a.days_overdue.unwrap_or(0), "day"),
            a.owner,
            a.id,
            a.id,
            a.owner
        ));
    }
    let io = |e| Error::io("stdout", "cannot write", e);
    if problems.is_empty() {
        writeln!(
            out,
            "check {}: ok. {} finding{}, each with an open action; {} open action{}, all with a named owner and a due date; none overdue.",
            model.month,
            model.findings.len(),
            if model.findings.len() == 1 { "" } else { "s" },
            model.register.new.len() + model.register.open.len(),
            if model.register.new.len() + model.register.open.len() == 1 { "" } else { "s" },
        )
        .map_err(io)?;
    } else {
        writeln!(
            out,
            "check {}: {} problem{}",
            model.month,
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        )
        .map_err(io)?;
        for p in &problems {
            writeln!(out, "  - {p}").map_err(io)?;
        }
    }
    Ok(problems)
}
