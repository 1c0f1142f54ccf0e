//! Reading the register: every problem of the file located and reported at once.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use toml_edit::Item;

use super::{Action, Status};
use crate::diag::plain_date;
use crate::diag::{self, Problem, line_col};
use crate::error::{Error, Result};
use crate::month::Month;

pub(super) const KEYS: [&str; 18] = [
    "id",
    "title",
    "finding",
    "scope",
    "team",
    "owner",
    "due",
    "status",
    "opened",
    "closed",
    "notes",
    "links",
    "lever",
    "kpi_then",
    "saving_then",
    "spend_then",
    "goal_then",
    "validated",
];

/// `A-` and the number, four digits at least (`A-0007`, `A-12345`): one spelling per number, so
/// that `A-10` and `A-0010` are never two actions.
fn valid_id(id: &str) -> bool {
    id.strip_prefix("A-").is_some_and(|n| {
        n.bytes().all(|b| b.is_ascii_digit())
            && n.parse::<u32>()
                .is_ok_and(|v| (1..=super::MAX_ID).contains(&v) && format!("{v:04}") == n)
    })
}

/// The ID a near-miss means (`A-10` → `A-0010`), to say how to write it.
fn canonical_id(id: &str) -> Option<String> {
    let n = id.strip_prefix("A-")?;
    n.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| n.parse::<u32>().ok())
        .flatten()
        .filter(|v| (1..=super::MAX_ID).contains(v))
        .map(|v| format!("A-{v:04}"))
}

pub(super) fn toml_date(item: &toml_edit::Item) -> Option<Result<NaiveDate, String>> {
    let v = item.as_value()?;
    Some(match v {
        toml_edit::Value::Datetime(d) => {
            let d = d.value();
            plain_date(d).ok_or_else(|| match (&d.date, &d.time) {
                (Some(_), None) => format!("`{d}` is not a real date"),
                _ => format!("`{d}` is not a plain date; write YYYY-MM-DD"),
            })
        }
        toml_edit::Value::String(s) => {
            let s = s.value();
            if s.trim().is_empty() {
                return None;
            }
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}`"))
        }
        other => Err(format!(
            "`{}` is not a date; write YYYY-MM-DD",
            other.to_string().trim()
        )),
    })
}

/// Lines of a merge conflict left in the file (`<<<<<<<`, `=======`, `>>>>>>>`), as problems.
fn conflict_markers(text: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let marker = ["<<<<<<<", "=======", ">>>>>>>", "|||||||"]
            .into_iter()
            .find(|m| {
                line.strip_prefix(m)
                    .is_some_and(|r| r.is_empty() || r.starts_with(' '))
            });
        if let Some(m) = marker {
            out.push(Problem {
                line: Some(i + 1),
                column: Some(1),
                key: None,
                message: format!(
                    "`{m}` is a merge-conflict marker: a merge left both sides here. Keep the right version of each action (IDs are never reused), delete the marker lines, and run again"
                ),
            });
        }
    }
    out
}

/// Whether a finding names a metric govreview makes findings of.
fn known_finding(f: &str) -> bool {
    let kpis = crate::kpi::CATALOGUE.iter().map(|k| k.key);
    kpis.chain(["surge", "follow_up", "unit_cost"])
        .any(|k| f == k)
        || f.strip_prefix("model_mix.")
            .is_some_and(|fam| !fam.is_empty() && fam.bytes().all(|b| b.is_ascii_lowercase()))
        || f.strip_prefix("defaults.").is_some_and(|d| !d.is_empty())
}

/// Parses and validates register text, reporting every problem with line:column. Returns the
/// actions and warnings (an unknown finding keeps its action, but no finding will answer to it).
pub(super) fn parse(
    text: &str,
    path: &Path,
    today: Option<NaiveDate>,
) -> Result<(Vec<Action>, Vec<String>)> {
    let markers = conflict_markers(text);
    if !markers.is_empty() {
        return Err(Error::Register {
            path: path.to_owned(),
            problems: markers,
        });
    }
    let mut warnings = Vec::new();
    let doc = toml_edit::Document::parse(text.to_owned()).map_err(|e| Error::Register {
        path: path.to_owned(),
        problems: vec![diag::syntax(text, &e)],
    })?;
    let mut problems = Vec::new();
    let at = |span: Option<std::ops::Range<usize>>| {
        span.map(|s| line_col(text, s.start))
            .map_or((None, None), |(l, c)| (Some(l), Some(c)))
    };
    let mut push = |span: Option<std::ops::Range<usize>>, key: String, message: String| {
        let (line, column) = at(span);
        problems.push(Problem {
            line,
            column,
            key: Some(key),
            message,
        });
    };
    for (k, item) in doc.as_table().iter() {
        if k != "action" || !item.is_array_of_tables() {
            push(
                item.span()
                    .or_else(|| doc.as_table().key(k).and_then(|k| k.span())),
                k.to_owned(),
                "is not part of a register; every action is an [[action]] table".into(),
            );
        }
    }
    let mut actions = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let empty = toml_edit::ArrayOfTables::new();
    let tables = doc
        .get("action")
        .and_then(Item::as_array_of_tables)
        .unwrap_or(&empty);
    for (i, t) in tables.iter().enumerate() {
        let here = format!("action[{i}]");
        let span_of = |k: &str| t.get(k).and_then(|v| v.span()).or_else(|| t.span());
        for (k, v) in t.iter() {
            if !KEYS.contains(&k) {
                push(
                    v.span().or_else(|| t.key(k).and_then(|k| k.span())),
                    format!("{here}.{k}"),
                    format!("unknown key; an action has {}", KEYS.join(", ")),
                );
            }
        }
        let text_of = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        for k in [
            "id", "title", "finding", "scope", "team", "owner", "status", "opened", "notes",
            "lever",
        ] {
            if let Some(v) = t.get(k)
                && v.as_str().is_none()
            {
                push(
                    span_of(k),
                    format!("{here}.{k}"),
                    "must be a string in quotes".into(),
                );
            }
        }
        let id = text_of("id").unwrap_or_default();
        let label = if id.is_empty() {
            here.clone()
        } else {
            id.clone()
        };
        if id.is_empty() {
            push(
                t.span(),
                here.clone(),
                "has no id; give it the next free A-NNNN".into(),
            );
        } else if !valid_id(&id) {
            push(
                span_of("id"),
                format!("{label}.id"),
                match canonical_id(&id) {
                    Some(c) => format!("`{id}` is not written as action IDs are; write it `{c}`"),
                    None => format!(
                        "`{id}` is not an action ID like A-0007 (A- and four to six digits, from A-0001 to A-{})",
                        super::MAX_ID
                    ),
                },
            );
        } else if !seen.insert(id.clone()) {
            push(
                span_of("id"),
                format!("{label}.id"),
                format!(
                    "`{id}` is used twice; IDs are never reused, give this action the next free one"
                ),
            );
        }
        let title = text_of("title").unwrap_or_default();
        if title.trim().is_empty() {
            push(
                span_of("title"),
                format!("{label}.title"),
                "is missing; say what is to be done".into(),
            );
        }
        let status = match text_of("status") {
            None => {
                push(
                    span_of("status"),
                    format!("{label}.status"),
                    "is missing; use open, done or dropped".into(),
                );
                Status::Open
            }
            Some(s) => Status::parse(&s).unwrap_or_else(|| {
                push(
                    span_of("status"),
                    format!("{label}.status"),
                    format!("`{s}` is not a status; use open, done or dropped"),
                );
                Status::Open
            }),
        };
        let mut date = |k: &str| match t.get(k).and_then(toml_date) {
            None => None,
            Some(Ok(d)) => Some(d),
            Some(Err(msg)) => {
                push(span_of(k), format!("{label}.{k}"), msg);
                None
            }
        };
        let closed = date("closed");
        let validated = date("validated");
        // A due date written as placeholder text or before the opening month is not an error in
        // the file: the action needs a due date, which makes the review a draft and `check` fail.
        let mut due_problem = None;
        let due_is_text = matches!(
            t.get("due").and_then(|v| v.as_value()),
            Some(toml_edit::Value::String(_))
        );
        let due = match t.get("due").and_then(toml_date) {
            None => None,
            Some(Ok(d)) => Some(d),
            Some(Err(text)) if due_is_text => {
                due_problem = Some(format!("{text} is not a date"));
                None
            }
            Some(Err(msg)) => {
                push(span_of("due"), format!("{label}.due"), msg);
                None
            }
        };
        let opened = match text_of("opened") {
            None => None,
            Some(s) => match s.parse::<Month>() {
                Ok(m) => Some(m),
                Err(msg) => {
                    push(span_of("opened"), format!("{label}.opened"), msg);
                    None
                }
            },
        };
        let due = match (due, opened) {
            (Some(d), Some(o)) if d < o.first_day() => {
                due_problem = Some(format!("{d} is before the action was opened ({o})"));
                None
            }
            // A date years out of reach would keep the action from ever being overdue.
            (Some(d), Some(o)) if d > o.plus(120).first_day() => {
                due_problem = Some(format!(
                    "{d} is more than ten years after the action was opened ({o})"
                ));
                None
            }
            (Some(d), None) if chrono::Datelike::year(&d) > 2100 => {
                due_problem = Some(format!("{d} is years out of reach"));
                None
            }
            (d, _) => d,
        };
        let links = match t.get("links") {
            None => Vec::new(),
            Some(v) => match v.as_array() {
                Some(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect(),
                None => {
                    push(
                        span_of("links"),
                        format!("{label}.links"),
                        "must be a list of strings".into(),
                    );
                    Vec::new()
                }
            },
        };
        let mut number = |k: &str| match t.get(k).and_then(|v| v.as_value()) {
            None => None,
            Some(toml_edit::Value::Float(f)) if !f.value().is_finite() => {
                push(
                    span_of(k),
                    format!("{label}.{k}"),
                    format!(
                        "`{}` is not a finite number; write the value (0.45 for 45%, dollars as 1234.5) or remove the key",
                        f.value()
                    ),
                );
                None
            }
            Some(v @ (toml_edit::Value::Float(_) | toml_edit::Value::Integer(_))) => {
                let x = v.as_float().or(v.as_integer().map(|i| i as f64))?;
                if x < 0.0 {
                    push(
                        span_of(k),
                        format!("{label}.{k}"),
                        format!(
                            "{x} is negative; KPIs, goals, savings and spend are 0 or more: write the value as the review measured it, or remove the key"
                        ),
                    );
                    return None;
                }
                let money = matches!(k, "saving_then" | "spend_then");
                let why = if x > crate::config::MAX_USD {
                    Some(format!(
                        "{} is more than govreview accepts here (at most {}); check the unit",
                        crate::fmt::num_or_raw(x),
                        crate::fmt::num_or_raw(crate::config::MAX_USD)
                    ))
                } else if money && x > 0.0 && x < 0.01 {
                    Some(format!(
                        "{} is less than a cent; write dollars (1234.5), or 0",
                        crate::fmt::num_or_raw(x)
                    ))
                } else {
                    None
                };
                if let Some(why) = why {
                    push(span_of(k), format!("{label}.{k}"), why);
                    return None;
                }
                Some(x)
            }
            Some(_) => {
                push(
                    span_of(k),
                    format!("{label}.{k}"),
                    "must be a number (write 0.45 for 45%, dollars as 1234.5)".into(),
                );
                None
            }
        };
        let kpi_then = number("kpi_then");
        let saving_then = number("saving_then");
        let spend_then = number("spend_then");
        let goal_then = number("goal_then");
        if let (Some(v), Some(o)) = (validated, opened)
            && v < o.first_day()
        {
            push(
                span_of("validated"),
                format!("{label}.validated"),
                format!(
                    "{v} is before the action was opened ({o}); a change is validated on or after the first day of its review month"
                ),
            );
        }
        if let (Some(o), Some(t)) = (opened, today)
            && o > Month::of(t)
        {
            push(
                span_of("opened"),
                format!("{label}.opened"),
                format!(
                    "{o} is a month after today's ({t}): an action is opened by the review of a month that has begun; correct the month"
                ),
            );
        }
        for (key, day) in [("closed", closed), ("validated", validated)] {
            if let (Some(d), Some(t)) = (day, today)
                && d > t
            {
                push(
                    span_of(key),
                    format!("{label}.{key}"),
                    format!(
                        "{d} is after today ({t}): a day that has not come yet cannot count in a review; correct the date (a year off?), or remove it until it has happened"
                    ),
                );
            }
        }
        if status == Status::Dropped && text_of("notes").unwrap_or_default().trim().is_empty() {
            push(
                span_of("status"),
                format!("{label}.status"),
                "is dropped without a note: say why in `notes` (a dropped backlog lever stays off its workload for backlog.dropped_months, and the pack shows the reason), or close it with `govreview actions close ID --dropped --note \"...\"`".into(),
            );
        }
        if let (Some(c), Some(o)) = (closed, opened)
            && c < o.first_day()
        {
            push(
                span_of("closed"),
                format!("{label}.closed"),
                format!(
                    "{c} is before the action was opened ({o}); an action closes on or after the first day of its review month"
                ),
            );
        }
        let finding = text_of("finding").filter(|s| !s.is_empty());
        if let Some(f) = &finding
            && !known_finding(f)
        {
            warnings.push(format!(
                "{}: {label}: finding `{f}` names no metric govreview makes findings of (such as cache_hit_rate, batch_share, model_mix.opus, budget); the action is kept, but no finding will link to it",
                path.display()
            ));
        }
        // A share measured then is a fraction: 5e10 for a cache hit rate is a unit mistake.
        let share = finding
            .as_deref()
            .and_then(crate::kpi::by_key)
            .is_some_and(|i| i.kpi.unit == crate::kpi::Unit::Share);
        for (k, v) in [("kpi_then", kpi_then), ("goal_then", goal_then)] {
            if share && v.is_some_and(|v| v > 1.0) {
                push(
                    span_of(k),
                    format!("{label}.{k}"),
                    format!(
                        "{} is not a share: finding `{}` is measured as a fraction from 0 to 1 (write 0.45 for 45%)",
                        crate::fmt::num_or_raw(v.unwrap_or_default()),
                        finding.as_deref().unwrap_or_default()
                    ),
                );
            }
        }
        let lever = text_of("lever").filter(|s| !s.is_empty());
        if let Some(l) = &lever
            && crate::config::Lever::parse(l).is_none()
        {
            push(
                span_of("lever"),
                format!("{label}.lever"),
                format!(
                    "`{l}` is not a lever; use one of {}",
                    crate::config::Lever::ALL
                        .iter()
                        .map(|l| l.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        actions.push(Action {
            id,
            title,
            finding,
            scope: text_of("scope").unwrap_or_else(|| "org".into()),
            team: text_of("team").filter(|s| !s.is_empty()),
            owner: text_of("owner").unwrap_or_default(),
            due,
            due_problem,
            status,
            opened,
            closed,
            notes: text_of("notes").unwrap_or_default(),
            links,
            lever,
            kpi_then,
            saving_then,
            spend_then,
            goal_then,
            validated,
        });
    }
    if problems.is_empty() {
        Ok((actions, warnings))
    } else {
        diag::sort(&mut problems);
        Err(Error::Register {
            path: path.to_owned(),
            problems,
        })
    }
}
