//! The action register: `reviews/actions.toml`, one `[[action]]` table per action.
//!
//! People edit the register by hand and in pull requests, so the tool's own edits go through
//! `toml_edit`: comments, blank lines, key order and formatting survive, new actions are appended
//! at the end, and a file that changed on disk between read and write is never overwritten.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;
use toml_edit::{DocumentMut, Item, Table, value};

use crate::config::{is_person, plain_date};
use crate::diag::{self, Problem, line_col};
use crate::error::{Error, Result};
use crate::month::Month;

/// The header of a new register.
pub const REGISTER_HEADER: &str = "\
# Action register: every finding of a review ends in an action with a named owner and a due date.
# govreview appends new actions at the end and keeps everything else as written: edit owners,
# due dates, status and notes by hand (or with `govreview actions ...`), and keep your comments.
#
# Keys of an [[action]]: id, title, finding (metric), scope (\"org\" or a team), team, owner, due,
# status (open | done | dropped), opened (review month), closed (date), notes, links.
";

/// Status of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Still to do.
    Open,
    /// Done.
    Done,
    /// Decided against.
    Dropped,
}

impl Status {
    fn parse(s: &str) -> Option<Status> {
        match s {
            "open" => Some(Status::Open),
            "done" => Some(Status::Done),
            "dropped" => Some(Status::Dropped),
            _ => None,
        }
    }

    /// The word written in the register.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Done => "done",
            Status::Dropped => "dropped",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One action, as read from the register.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    /// `A-0007`: stable, never reused.
    pub id: String,
    /// What to do.
    pub title: String,
    /// The metric of the finding it addresses (`cache_hit_rate`), if any.
    pub finding: Option<String>,
    /// `org` or the team the finding is about.
    pub scope: String,
    /// The team that owns the work, if any.
    pub team: Option<String>,
    /// Owner as written (may be blank or a placeholder: then the action needs an owner).
    pub owner: String,
    /// Due date, if a valid one is given.
    pub due: Option<NaiveDate>,
    /// Why the due date written is not usable (placeholder text, before the opening month).
    pub due_problem: Option<String>,
    /// Status.
    pub status: Status,
    /// Review month the action was opened in.
    pub opened: Option<Month>,
    /// Date it was closed (done or dropped).
    pub closed: Option<NaiveDate>,
    /// Free notes.
    pub notes: String,
    /// Links.
    pub links: Vec<String>,
}

impl Action {
    /// Number of the ID (`A-0007` → 7).
    pub fn number(&self) -> Option<u32> {
        self.id.strip_prefix("A-").and_then(|n| n.parse().ok())
    }

    /// Whether the action is open and its due date is before `date`.
    pub fn overdue_on(&self, date: NaiveDate) -> bool {
        self.status == Status::Open && self.due.is_some_and(|d| d < date)
    }
}

/// A new action to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAction {
    /// Title.
    pub title: String,
    /// Finding metric, if any.
    pub finding: Option<String>,
    /// `org` or a team.
    pub scope: String,
    /// Team, if any.
    pub team: Option<String>,
    /// Owner.
    pub owner: String,
    /// Due date.
    pub due: NaiveDate,
    /// Review month it is opened in.
    pub opened: Month,
    /// Notes.
    pub notes: Option<String>,
}

/// The register as read: its actions, and the text it was read from (to refuse overwriting a
/// file that changed meanwhile and to edit it in place).
#[derive(Debug, Clone)]
pub struct Register {
    /// Where it lives.
    pub path: PathBuf,
    /// Actions in file order.
    pub actions: Vec<Action>,
    /// The text as read (None when the file does not exist yet).
    original: Option<String>,
    /// The document being edited.
    doc: DocumentMut,
    /// Whether an edit was made.
    dirty: bool,
}

const KEYS: [&str; 12] = [
    "id", "title", "finding", "scope", "team", "owner", "due", "status", "opened", "closed",
    "notes", "links",
];

fn toml_date(item: &toml_edit::Item) -> Option<Result<NaiveDate, String>> {
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

impl Register {
    /// Reads the register at `path`; a missing file is an empty register.
    pub fn load(path: &Path) -> Result<Register> {
        let original = match std::fs::read_to_string(path) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(path, "cannot read the action register", e)),
        };
        let text = original.clone().unwrap_or_default();
        let actions = parse(&text, path)?;
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            Error::Internal(format!("{}: {e}", path.display()))
        })?;
        Ok(Register {
            path: path.to_owned(),
            actions,
            original,
            doc,
            dirty: false,
        })
    }

    /// The action with `id`, or an error that says which IDs exist.
    pub fn get(&self, id: &str) -> Result<&Action> {
        self.actions.iter().find(|a| a.id == id).ok_or_else(|| {
            Error::Usage(format!(
                "no action `{id}` in {}; `govreview actions list --status all` shows every ID",
                self.path.display()
            ))
        })
    }

    /// The next free ID: one above the highest ever used (IDs are never reused).
    pub fn next_id(&self) -> String {
        let n = self
            .actions
            .iter()
            .filter_map(Action::number)
            .max()
            .unwrap_or(0);
        format!("A-{:04}", n + 1)
    }

    /// Appends a new open action and returns its ID.
    pub fn append(&mut self, new: NewAction) -> String {
        let id = self.next_id();
        let mut t = Table::new();
        t.insert("id", value(id.clone()));
        t.insert("title", value(new.title.clone()));
        if let Some(f) = &new.finding {
            t.insert("finding", value(f.clone()));
        }
        t.insert("scope", value(new.scope.clone()));
        if let Some(team) = &new.team {
            t.insert("team", value(team.clone()));
        }
        t.insert("owner", value(new.owner.clone()));
        t.insert("due", value(date_value(new.due)));
        t.insert("status", value("open"));
        t.insert("opened", value(new.opened.to_string()));
        if let Some(n) = &new.notes {
            t.insert("notes", value(n.clone()));
        }
        // Comments at the end of the file (or a new register's header) stay where a person put
        // them: before the new action, not below it.
        let trailing = self.doc.trailing().as_str().unwrap_or_default().to_owned();
        if trailing.contains('#') {
            let mut prefix = trailing.trim_end_matches([' ', '\t']).to_owned();
            if !prefix.ends_with('\n') {
                prefix.push('\n');
            }
            if !prefix.ends_with("\n\n") {
                prefix.push('\n');
            }
            t.decor_mut().set_prefix(prefix);
            self.doc.set_trailing("");
        }
        if !self.doc.contains_key("action") {
            self.doc.insert(
                "action",
                Item::ArrayOfTables(toml_edit::ArrayOfTables::new()),
            );
        }
        if let Some(arr) = self.doc["action"].as_array_of_tables_mut() {
            arr.push(t);
        }
        self.actions.push(Action {
            id: id.clone(),
            title: new.title,
            finding: new.finding,
            scope: new.scope,
            team: new.team,
            owner: new.owner,
            due: Some(new.due),
            due_problem: None,
            status: Status::Open,
            opened: Some(new.opened),
            closed: None,
            notes: new.notes.unwrap_or_default(),
            links: Vec::new(),
        });
        self.dirty = true;
        id
    }

    fn table_mut(&mut self, id: &str) -> Result<(&mut Table, usize)> {
        let idx = self
            .actions
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(|| Error::Usage(format!("no action `{id}` in {}", self.path.display())))?;
        let arr = self.doc["action"]
            .as_array_of_tables_mut()
            .ok_or_else(|| Error::Internal("register has no [[action]] tables".into()))?;
        let t = arr
            .iter_mut()
            .find(|t| t.get("id").and_then(|v| v.as_str()) == Some(id))
            .ok_or_else(|| Error::Internal(format!("action {id} vanished")))?;
        Ok((t, idx))
    }

    /// Sets the owner and, when given, the due date of an action.
    ///
    /// Each change is logged in the action's notes, dated `on` (`2026-09-12: due 2026-10-10 →
    /// 2026-09-30`), so that a later re-run of an earlier review sees the action as it stood.
    pub fn assign(
        &mut self,
        id: &str,
        owner: &str,
        due: Option<NaiveDate>,
        on: NaiveDate,
    ) -> Result<()> {
        let old = self.get(id)?.clone();
        let mut log = Vec::new();
        if old.owner != owner {
            log.push(format!("{on}: owner {} → {owner}", shown(&old.owner)));
        }
        if let Some(d) = due
            && old.due != Some(d)
        {
            log.push(format!(
                "{on}: due {} → {d}",
                old.due
                    .map_or_else(|| "(none)".to_owned(), |x| x.to_string())
            ));
        }
        let (t, idx) = self.table_mut(id)?;
        set_keep_decor(t, "owner", value(owner));
        if let Some(d) = due {
            set_keep_decor(t, "due", value(date_value(d)));
        }
        let mut notes = old.notes.clone();
        if !log.is_empty() {
            for l in &log {
                if !notes.is_empty() {
                    notes.push('\n');
                }
                notes.push_str(l);
            }
            set_keep_decor(t, "notes", value(notes.clone()));
        }
        let a = &mut self.actions[idx];
        a.owner = owner.to_owned();
        a.notes = notes;
        if due.is_some() {
            a.due = due;
            a.due_problem = None;
        }
        self.dirty = true;
        Ok(())
    }

    /// Closes an action as done (or dropped) on `date`, appending `note` to its notes.
    pub fn close(
        &mut self,
        id: &str,
        dropped: bool,
        date: NaiveDate,
        note: Option<&str>,
    ) -> Result<()> {
        let status = if dropped {
            Status::Dropped
        } else {
            Status::Done
        };
        let (t, idx) = self.table_mut(id)?;
        set_keep_decor(t, "status", value(status.as_str()));
        set_keep_decor(t, "closed", value(date_value(date)));
        let mut notes = t
            .get("notes")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        if let Some(n) = note {
            if !notes.is_empty() {
                notes.push('\n');
            }
            notes.push_str(&format!("{date}: {n}"));
            set_keep_decor(t, "notes", value(notes.clone()));
        }
        let a = &mut self.actions[idx];
        a.status = status;
        a.closed = Some(date);
        a.notes = notes;
        self.dirty = true;
        Ok(())
    }

    /// The register's text with the edits made so far.
    pub fn render(&self) -> String {
        let body = self.doc.to_string();
        if self.original.is_none() {
            format!(
                "{REGISTER_HEADER}{}{body}",
                if body.is_empty() { "" } else { "\n" }
            )
        } else {
            body
        }
    }

    /// Whether an edit was made since loading.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Writes the edits: refuses when the file changed on disk since it was read; the new text
    /// replaces the old in one rename.
    pub fn save(&self) -> Result<()> {
        match self.prepare_save()? {
            Some(p) => p.commit(),
            None => Ok(()),
        }
    }

    /// Whether the register file exists yet (a missing one is created on the first save).
    pub fn exists(&self) -> bool {
        self.original.is_some()
    }

    /// Checks that the file did not change on disk since it was read and writes the new text
    /// beside it, ready to be put in place (None when there is nothing to write).
    pub fn prepare_save(&self) -> Result<Option<crate::fsx::PendingFile>> {
        if !self.dirty {
            return Ok(None);
        }
        let now = match std::fs::read_to_string(&self.path) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&self.path, "cannot read the action register", e)),
        };
        if now != self.original {
            return Err(Error::Input(format!(
                "{} changed on disk while govreview was working; nothing was written. Run the command again",
                self.path.display()
            )));
        }
        crate::fsx::PendingFile::new(&self.path, self.render().as_bytes()).map(Some)
    }

    /// The register as it stood for the review of `month` made on `as_of`: actions opened after
    /// the month are not there yet, an action closed after `as_of` was still open, owners and due
    /// dates changed after `as_of` (as logged in the notes by `assign`) had their earlier values,
    /// and notes dated after `as_of` were not written yet.
    pub fn as_of(&self, month: Month, as_of: NaiveDate) -> Vec<Action> {
        let dated = |l: &str| {
            l.get(..10)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        };
        self.actions
            .iter()
            .filter(|a| a.opened.is_none_or(|o| o <= month))
            .map(|a| {
                let mut a = a.clone();
                if a.closed.is_some_and(|c| c > as_of) {
                    a.status = Status::Open;
                    a.closed = None;
                }
                // Undo later changes, latest first.
                for l in a.notes.lines().rev() {
                    if dated(l).is_none_or(|d| d <= as_of) {
                        continue;
                    }
                    let change = &l[10..];
                    if let Some((before, _)) = change
                        .strip_prefix(": owner ")
                        .and_then(|c| c.split_once(" → "))
                    {
                        a.owner = if before == "(none)" {
                            String::new()
                        } else {
                            before.to_owned()
                        };
                    } else if let Some((before, _)) = change
                        .strip_prefix(": due ")
                        .and_then(|c| c.split_once(" → "))
                    {
                        a.due = NaiveDate::parse_from_str(before, "%Y-%m-%d").ok();
                    }
                }
                a.notes = a
                    .notes
                    .lines()
                    .filter(|l| dated(l).is_none_or(|d| d <= as_of))
                    .collect::<Vec<_>>()
                    .join("\n");
                a
            })
            .collect()
    }
}

fn date_value(d: NaiveDate) -> toml_edit::Datetime {
    d.to_string().parse().expect("a date is a TOML date")
}

/// An owner as written in a change log: `(none)` for a blank one.
fn shown(owner: &str) -> &str {
    if owner.trim().is_empty() {
        "(none)"
    } else {
        owner
    }
}

/// Replaces a value, keeping the comment and spacing around it.
fn set_keep_decor(t: &mut Table, key: &str, new: Item) {
    match t.get_mut(key).and_then(Item::as_value_mut) {
        Some(old) => {
            let decor = old.decor().clone();
            if let Ok(mut v) = new.into_value() {
                *v.decor_mut() = decor;
                *old = v;
            }
        }
        None => {
            t.insert(key, new);
        }
    }
}

/// Parses and validates register text, reporting every problem with line:column.
fn parse(text: &str, path: &Path) -> Result<Vec<Action>> {
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
        } else if !id.starts_with("A-") || id[2..].parse::<u32>().is_err() {
            push(
                span_of("id"),
                format!("{label}.id"),
                format!("`{id}` is not an action ID like A-0007"),
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
        actions.push(Action {
            id,
            title,
            finding: text_of("finding").filter(|s| !s.is_empty()),
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
        });
    }
    if problems.is_empty() {
        Ok(actions)
    } else {
        diag::sort(&mut problems);
        Err(Error::Register {
            path: path.to_owned(),
            problems,
        })
    }
}

/// What an action lacks before the review can be final: a named owner, a due date.
pub fn missing(
    a: &Action,
    team_owners: &std::collections::BTreeMap<String, String>,
    people: &[String],
) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !is_person(&a.owner, team_owners, people) {
        out.push("a named owner");
    }
    if a.due.is_none() {
        out.push("a due date");
    }
    out
}

/// What an action lacks, in words for the pack and `check`: `a named owner`, or `a due date`
/// with the reason when one is written but unusable.
pub fn needs(
    a: &Action,
    team_owners: &std::collections::BTreeMap<String, String>,
    people: &[String],
) -> Vec<String> {
    missing(a, team_owners, people)
        .into_iter()
        .map(|m| match (&a.due_problem, m) {
            (Some(p), "a due date") => format!("a due date ({p})"),
            _ => m.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REG: &str = r#"# Our register. Keep this comment.

[[action]]
id = "A-0001"
title = "Restore caching"   # the bot's prompt
finding = "cache_hit_rate"
scope = "support"
team = "support"
owner = "Priya Natarajan"
due = 2026-12-10
status = "open"
opened = "2026-10"
notes = "Hand-written note."

# A closed one.
[[action]]
id = "A-0002"
title = "Move jobs to batch"
scope = "org"
owner = "Dana Whitfield"
due = 2026-11-10
status = "done"
opened = "2026-09"
closed = 2026-11-02
"#;

    fn write(dir: &Path, body: &str) -> PathBuf {
        let p = dir.join("actions.toml");
        std::fs::write(&p, body).unwrap();
        p
    }

    fn problems(body: &str) -> Vec<Problem> {
        let d = tempfile::tempdir().unwrap();
        match Register::load(&write(d.path(), body)) {
            Err(Error::Register { problems, .. }) => problems,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn reads_actions() {
        let d = tempfile::tempdir().unwrap();
        let r = Register::load(&write(d.path(), REG)).unwrap();
        assert_eq!(r.actions.len(), 2);
        assert_eq!(r.actions[0].due, NaiveDate::from_ymd_opt(2026, 12, 10));
        assert_eq!(r.actions[1].status, Status::Done);
        assert_eq!(r.next_id(), "A-0003");
        assert!(r.actions[0].overdue_on(NaiveDate::from_ymd_opt(2026, 12, 11).unwrap()));
        assert!(!r.actions[1].overdue_on(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
    }

    #[test]
    fn edits_keep_comments_and_formatting_byte_for_byte() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), REG);
        let mut r = Register::load(&p).unwrap();
        r.close(
            "A-0001",
            false,
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            Some("prompt fixed"),
        )
        .unwrap();
        let id = r.append(NewAction {
            title: "New one".into(),
            finding: Some("batch_share".into()),
            scope: "data".into(),
            team: Some("data".into()),
            owner: "Aisha Okafor".into(),
            due: NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(),
            opened: "2026-11".parse().unwrap(),
            notes: None,
        });
        assert_eq!(id, "A-0003");
        r.save().unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.starts_with("# Our register. Keep this comment.\n"),
            "{text}"
        );
        assert!(
            text.contains("title = \"Restore caching\"   # the bot's prompt\n"),
            "{text}"
        );
        assert!(
            text.contains("# A closed one.\n[[action]]\nid = \"A-0002\""),
            "{text}"
        );
        assert!(text.contains("Hand-written note."), "{text}");
        assert!(text.contains("2026-11-20: prompt fixed"), "{text}");
        assert!(text.contains("closed = 2026-11-20"), "{text}");
        assert!(text.ends_with("opened = \"2026-11\"\n"), "{text}");
        // The untouched second action stands exactly as written.
        let second = &REG[REG.find("# A closed one.").unwrap()..];
        assert!(text.contains(second), "{text}");
        // Reading it back gives the edits.
        let again = Register::load(&p).unwrap();
        assert_eq!(again.get("A-0001").unwrap().status, Status::Done);
        assert_eq!(again.get("A-0003").unwrap().owner, "Aisha Okafor");
    }

    #[test]
    fn refuses_to_overwrite_a_file_changed_meanwhile() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), REG);
        let mut r = Register::load(&p).unwrap();
        r.assign(
            "A-0001",
            "Ana Lima",
            None,
            NaiveDate::from_ymd_opt(2026, 11, 12).unwrap(),
        )
        .unwrap();
        std::fs::write(&p, format!("{REG}\n# someone else's edit\n")).unwrap();
        let e = r.save().unwrap_err().to_string();
        assert!(e.contains("changed on disk"), "{e}");
        assert!(
            std::fs::read_to_string(&p)
                .unwrap()
                .ends_with("# someone else's edit\n")
        );
    }

    #[test]
    fn placeholder_or_early_due_dates_make_the_action_need_one() {
        let d = tempfile::tempdir().unwrap();
        let teams = Default::default();
        let text = REG.replace("due = 2026-12-10", "due = \"next week\"");
        let r = Register::load(&write(d.path(), &text)).unwrap();
        assert_eq!(r.actions[0].due, None);
        assert_eq!(
            needs(&r.actions[0], &teams, &[]),
            ["a due date (`next week` is not a date)"]
        );
        let text = REG.replace("due = 2026-12-10", "due = 2026-09-01");
        let r = Register::load(&write(d.path(), &text)).unwrap();
        assert_eq!(
            needs(&r.actions[0], &teams, &[]),
            ["a due date (2026-09-01 is before the action was opened (2026-10))"]
        );
    }

    fn new_action(title: &str) -> NewAction {
        NewAction {
            title: title.into(),
            finding: None,
            scope: "org".into(),
            team: None,
            owner: "Dana Whitfield".into(),
            due: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            opened: "2026-10".parse().unwrap(),
            notes: None,
        }
    }

    #[test]
    fn comments_stay_where_a_person_put_them() {
        let d = tempfile::tempdir().unwrap();
        // A register as `init` writes it: the header only. Its first action goes below it.
        let p = write(d.path(), REGISTER_HEADER);
        let mut r = Register::load(&p).unwrap();
        r.append(new_action("First"));
        r.save().unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with(REGISTER_HEADER), "{text}");
        assert!(
            text.find("\n[[action]]\nid").unwrap() >= REGISTER_HEADER.len(),
            "{text}"
        );
        // A comment at the end of the file stays after the action it followed.
        std::fs::write(
            &p,
            format!("{text}\n# Reviewed with finance on 2026-11-12.\n"),
        )
        .unwrap();
        let mut r = Register::load(&p).unwrap();
        r.append(new_action("Second"));
        r.save().unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        let comment = text.find("# Reviewed with finance").unwrap();
        assert!(text.find("title = \"First\"").unwrap() < comment, "{text}");
        assert!(comment < text.find("title = \"Second\"").unwrap(), "{text}");
        assert_eq!(Register::load(&p).unwrap().actions.len(), 2);
    }

    #[test]
    fn the_register_as_it_stood_at_an_earlier_review() {
        let d = tempfile::tempdir().unwrap();
        let text = REG
            .replace(
                "notes = \"Hand-written note.\"",
                "notes = \"Hand-written note.\\n2026-11-20: done later\"\nclosed = 2026-11-20",
            )
            .replace(
                "status = \"open\"\nopened = \"2026-10\"",
                "status = \"done\"\nopened = \"2026-10\"",
            );
        let r = Register::load(&write(d.path(), &text)).unwrap();
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // The September review (held 2026-10-10) does not know the action opened in October.
        let sep = r.as_of("2026-09".parse().unwrap(), day("2026-10-10"));
        assert_eq!(
            sep.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            ["A-0002"]
        );
        // A-0002 closed on 2026-11-02: still open at that review.
        assert_eq!(sep[0].status, Status::Open);
        assert_eq!(sep[0].closed, None);
        // The October review (held 2026-11-10): A-0001 was closed later, with a later note.
        let oct = r.as_of("2026-10".parse().unwrap(), day("2026-11-10"));
        assert_eq!(oct[0].status, Status::Open);
        assert_eq!(oct[0].notes, "Hand-written note.");
        assert_eq!(oct[1].status, Status::Done);
        // A reassignment logged after the review is undone in its view, not before it.
        let mut r = r;
        r.assign(
            "A-0002",
            "Ana Lima",
            Some(day("2026-12-01")),
            day("2026-11-15"),
        )
        .unwrap();
        assert!(r.get("A-0002").unwrap().notes.ends_with(
            "2026-11-15: owner Dana Whitfield → Ana Lima\n2026-11-15: due 2026-11-10 → 2026-12-01"
        ));
        let before = r.as_of("2026-10".parse().unwrap(), day("2026-11-10"));
        assert_eq!(before[1].owner, "Dana Whitfield");
        assert_eq!(before[1].due, Some(day("2026-11-10")));
        let after = r.as_of("2026-11".parse().unwrap(), day("2026-12-10"));
        assert_eq!(after[1].owner, "Ana Lima");
        assert_eq!(after[1].due, Some(day("2026-12-01")));
    }

    #[test]
    fn a_new_register_gets_its_header() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("reviews/actions.toml");
        let mut r = Register::load(&p).unwrap();
        assert!(r.actions.is_empty());
        r.append(NewAction {
            title: "T".into(),
            finding: None,
            scope: "org".into(),
            team: None,
            owner: "Dana Whitfield".into(),
            due: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            opened: "2026-10".parse().unwrap(),
            notes: None,
        });
        r.save().unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with(REGISTER_HEADER));
        assert_eq!(Register::load(&p).unwrap().actions[0].id, "A-0001");
    }

    #[test]
    fn bad_registers_are_located() {
        let p = problems(&REG.replace("id = \"A-0002\"", "id = \"A-0001\""));
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("used twice"), "{p:?}");
        assert_eq!(p[0].line, Some(17));
        let p = problems(&REG.replace("status = \"done\"", "status = \"finished\""));
        assert!(p[0].message.contains("not a status"), "{p:?}");
        let p = problems(&REG.replace("due = 2026-11-10", "due = 2026-02-30"));
        assert!(
            p[0].key.as_deref() == Some("A-0002.due") || p[0].message.contains("date"),
            "{p:?}"
        );
        let p = problems(&REG.replace("scope = \"org\"", "scope = \"org\"\npriority = 1"));
        assert!(p[0].message.contains("unknown key"), "{p:?}");
        let p = problems(&REG.replace("due = 2026-11-10", "due = 12"));
        assert_eq!(p[0].key.as_deref(), Some("A-0002.due"), "{p:?}");
        assert!(p[0].message.contains("is not a date"), "{p:?}");
        let p = problems("[[action]\nid = 1");
        assert_eq!(p[0].line, Some(1));
    }
}
