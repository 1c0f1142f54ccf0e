//! `govreview actions ...`: list, add, assign, close and show actions of the register.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use crate::actions::{Action, NewAction, Register, Status};
use crate::cli::{ActionsCommand, Format, GlobalArgs, RegisterArg, StatusFilter};
use crate::config::{Config, is_person};
use crate::error::{Error, Result};
use crate::fsx::RepoLock;
use crate::month::Month;

#[derive(Serialize)]
struct Listed<'a> {
    #[serde(flatten)]
    action: &'a Action,
    overdue: bool,
    days_overdue: Option<i64>,
}

fn listed(a: &Action, as_of: NaiveDate) -> Listed<'_> {
    let overdue = a.overdue_on(as_of);
    Listed {
        action: a,
        overdue,
        days_overdue: overdue
            .then(|| a.due.map(|d| (as_of - d).num_days()))
            .flatten(),
    }
}

/// The configuration when there is one: owners are then checked against its teams and people.
fn optional_config(path: &Path) -> Result<Option<Config>> {
    if path.exists() {
        Config::load(path).map(Some)
    } else {
        Ok(None)
    }
}

fn check_owner(owner: &str, cfg: Option<&Config>) -> Result<()> {
    let (teams, people) = match cfg {
        Some(c) => (c.team_owners.clone(), c.people.clone()),
        None => (Default::default(), Vec::new()),
    };
    if is_person(owner, &teams, &people) {
        Ok(())
    } else {
        let known = if people.is_empty() {
            String::new()
        } else {
            format!(" (one of organization.people: {})", people.join(", "))
        };
        Err(Error::Usage(format!(
            "`{owner}` does not name a person; an owner is someone who can be asked about the action{known}"
        )))
    }
}

/// A warning when `team` is neither a team of the configuration nor of any action in the
/// register, while they know others: likely a typo, since the team's page lists the action only
/// under the name its data gives.
fn unknown_team(team: &str, cfg: Option<&Config>, reg: &Register) -> Option<String> {
    let mut known: Vec<&str> = cfg
        .map(|c| {
            c.team_owners
                .keys()
                .chain(c.targets.teams.keys())
                .map(String::as_str)
                .collect()
        })
        .unwrap_or_default();
    known.extend(reg.actions.iter().filter_map(|a| a.team.as_deref()));
    known.sort_unstable();
    known.dedup();
    if known.is_empty() || known.contains(&team) {
        return None;
    }
    let near = known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(team.trim()))
        .or_else(|| {
            known
                .iter()
                .find(|k| team.len() > 3 && strsim::levenshtein(k, team) <= 2)
        })
        .map_or(String::new(), |k| format!(" Did you mean `{k}`?"));
    Some(format!(
        "team `{}` is neither in the configuration nor in the register (known: {}).{near} The action is added as given; a team's page lists it only if the data names that team",
        crate::secret::printable(team),
        known.join(", ")
    ))
}

fn cell(s: &str, w: usize) -> String {
    let s = crate::secret::printable(s);
    let s = s.as_str();
    let n = s.chars().count();
    if n > w {
        let cut: String = s.chars().take(w.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        format!("{s}{}", " ".repeat(w - n))
    }
}

fn table(actions: &[&Action], as_of: NaiveDate) -> String {
    let mut out = format!(
        "{} {} {} {} {} {}\n",
        cell("ID", 7),
        cell("STATUS", 9),
        cell("OWNER", 18),
        cell("DUE", 10),
        cell("SCOPE", 12),
        "TITLE"
    );
    for a in actions {
        let status = if a.overdue_on(as_of) {
            "overdue".to_owned()
        } else {
            a.status.to_string()
        };
        out.push_str(&format!(
            "{} {} {} {} {} {}\n",
            cell(&a.id, 7),
            cell(&status, 9),
            cell(if a.owner.is_empty() { "—" } else { &a.owner }, 18),
            cell(&a.due.map_or("—".into(), |d| d.to_string()), 10),
            cell(&a.scope, 12),
            cell(&a.title, TITLE_WIDTH).trim_end()
        ));
    }
    out
}

/// A title is cut to this many characters in the list (`actions show ID` has it whole).
const TITLE_WIDTH: usize = 60;

fn show(a: &Action, as_of: NaiveDate) -> String {
    let p = crate::secret::printable;
    let mut out = format!("{}  {}\n", a.id, p(&a.title));
    let status = if a.overdue_on(as_of) {
        format!(
            "open, overdue by {}",
            crate::fmt::count(a.due.map_or(0, |d| (as_of - d).num_days()), "day")
        )
    } else {
        a.status.to_string()
    };
    let fields = [
        ("status", status),
        ("owner", a.owner.clone()),
        ("due", a.due.map_or("—".into(), |d| d.to_string())),
        ("finding", a.finding.clone().unwrap_or_else(|| "—".into())),
        ("scope", a.scope.clone()),
        ("team", a.team.clone().unwrap_or_else(|| "—".into())),
        ("opened", a.opened.map_or("—".into(), |m| m.to_string())),
        ("closed", a.closed.map_or("—".into(), |d| d.to_string())),
    ];
    for (k, v) in fields {
        out.push_str(&format!("  {k:<8} {}\n", p(&v)));
    }
    for l in &a.links {
        out.push_str(&format!("  link     {}\n", p(l)));
    }
    if !a.notes.is_empty() {
        out.push_str("  notes\n");
        for line in a.notes.lines() {
            out.push_str(&format!("    {}\n", p(line)));
        }
    }
    out
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string_pretty(v)
        .map(|s| crate::fmt::json_bidi_escaped(s) + "\n")
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Loads the register for an edit, holding the repository lock of its folder meanwhile.
fn load_for_edit(path: &Path) -> Result<(Register, RepoLock)> {
    let lock = RepoLock::acquire(
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )?;
    Ok((Register::load(path)?, lock))
}

/// Runs an `actions` subcommand.
pub fn run(
    global: &GlobalArgs,
    cmd: &ActionsCommand,
    as_of: NaiveDate,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let io = |e| Error::io("stdout", "cannot write", e);
    let cfg = optional_config(&global.config)?;
    let path =
        |r: &RegisterArg| crate::pipeline::register_path(r.register.as_deref(), cfg.as_ref());
    match cmd {
        ActionsCommand::List {
            status,
            owner,
            team,
            format,
            register,
        } => {
            let reg = Register::load(&path(register))?;
            // As the register stood on --as-of: an action closed after it was still open.
            let stood = reg.as_of(Month::of(as_of), as_of);
            let picked: Vec<&Action> = stood
                .iter()
                .filter(|a| match status {
                    StatusFilter::Open => a.status == Status::Open,
                    StatusFilter::Overdue => a.overdue_on(as_of),
                    StatusFilter::Done => a.status == Status::Done,
                    StatusFilter::Dropped => a.status == Status::Dropped,
                    StatusFilter::Closed => a.status != Status::Open,
                    StatusFilter::All => true,
                })
                .filter(|a| {
                    owner
                        .as_ref()
                        .is_none_or(|o| a.owner.eq_ignore_ascii_case(o))
                })
                .filter(|a| {
                    team.as_ref()
                        .is_none_or(|t| a.team.as_deref() == Some(t.as_str()) || a.scope == *t)
                })
                .collect();
            let text = match format {
                Format::Table => table(&picked, as_of),
                Format::Json => json(&picked.iter().map(|a| listed(a, as_of)).collect::<Vec<_>>())?,
            };
            out.write_all(text.as_bytes()).map_err(io)
        }
        ActionsCommand::Show {
            id,
            format,
            register,
        } => {
            let reg = Register::load(&path(register))?;
            let a = reg.get(id)?;
            let text = match format {
                Format::Table => show(a, as_of),
                Format::Json => json(&listed(a, as_of))?,
            };
            out.write_all(text.as_bytes()).map_err(io)
        }
        ActionsCommand::Add {
            title,
            owner,
            due,
            finding,
            team,
            month,
            note,
            register,
        } => {
            check_owner(owner, cfg.as_ref())?;
            let month = month.unwrap_or_else(|| Month::of(as_of).prev());
            if *due < month.first_day() {
                return Err(Error::Usage(format!(
                    "due date {due} is before the review month {month}; give a date on or after {}",
                    month.first_day()
                )));
            }
            if title.trim().is_empty() {
                return Err(Error::Usage(
                    "the title is blank; say what is to be done".into(),
                ));
            }
            let (mut reg, _lock) = load_for_edit(&path(register))?;
            if let Some(t) = team
                && let Some(warning) = unknown_team(t, cfg.as_ref(), &reg)
            {
                writeln!(err, "warning: {warning}").map_err(io)?;
            }
            let id = reg.append(NewAction {
                title: title.clone(),
                finding: finding.clone(),
                scope: team.clone().unwrap_or_else(|| "org".into()),
                team: team.clone(),
                owner: owner.trim().to_owned(),
                due: *due,
                opened: month,
                notes: note.clone(),
                lever: None,
                kpi_then: None,
                saving_then: None,
                spend_then: None,
                goal_then: None,
                links: Vec::new(),
            })?;
            reg.save()?;
            writeln!(out, "Added {id} to {}.", reg.path.display()).map_err(io)
        }
        ActionsCommand::Assign {
            id,
            owner,
            due,
            register,
        } => {
            check_owner(owner, cfg.as_ref())?;
            let (mut reg, _lock) = load_for_edit(&path(register))?;
            let a = reg.get(id)?.clone();
            if let (Some(d), Some(o)) = (due, a.opened)
                && *d < o.first_day()
            {
                return Err(Error::Usage(format!(
                    "due date {d} is before {id} was opened ({o}); give a date on or after {}",
                    o.first_day()
                )));
            }
            reg.assign(id, owner.trim(), *due, as_of)?;
            reg.save()?;
            writeln!(
                out,
                "{id}: owner {}{}.",
                owner.trim(),
                due.map_or(String::new(), |d| format!(", due {d}"))
            )
            .map_err(io)
        }
        ActionsCommand::Close {
            id,
            dropped,
            note,
            register,
        } => {
            if *dropped && note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                return Err(Error::Usage(format!(
                    "say why {id} is dropped: add --note \"...\" (a dropped backlog lever stays off its workload for backlog.dropped_months, and the pack shows the reason)"
                )));
            }
            let (mut reg, _lock) = load_for_edit(&path(register))?;
            let a = reg.get(id)?;
            if a.status != Status::Open {
                return Err(Error::Usage(format!(
                    "{id} is already {} (closed {}); nothing changed",
                    a.status,
                    a.closed
                        .map_or("on an unknown date".into(), |d| d.to_string())
                )));
            }
            reg.close(id, *dropped, as_of, note.as_deref())?;
            reg.save()?;
            writeln!(
                out,
                "{id}: {} on {as_of}.",
                if *dropped { "dropped" } else { "done" }
            )
            .map_err(io)
        }
        ActionsCommand::Validate {
            id,
            on,
            note,
            register,
        } => {
            let date = on.unwrap_or(as_of);
            if date > as_of {
                return Err(Error::Usage(format!(
                    "{date} is after --as-of ({as_of}); a validation is recorded on the day it happened or later"
                )));
            }
            let (mut reg, _lock) = load_for_edit(&path(register))?;
            reg.validate(id, date, note)?;
            reg.save()?;
            writeln!(
                out,
                "{id}: validated on {date}; its backlog item counts in the optimized floor of reviews as of {date} or later."
            )
            .map_err(io)
        }
    }
}
