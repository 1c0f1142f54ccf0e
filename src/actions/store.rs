//! Editing the register in place (comments, order and formatting kept) and writing it whole.

use std::path::Path;

use chrono::NaiveDate;
use toml_edit::{DocumentMut, Item, Table, value};

use super::parse::parse;
use super::{Action, NewAction, REGISTER_HEADER, Register, Status};
use crate::error::{Error, Result};
use crate::month::Month;

/// The register is a regular file, or a symlink to one, or not there yet: a named pipe or a
/// device would block or swallow the read, and a symlink to nothing would be written through into
/// a folder outside the repository.
fn check_kind(path: &Path) -> Result<()> {
    let refuse = |what: String| {
        Err(Error::Usage(format!(
            "the action register {} {what}",
            path.display()
        )))
    };
    // A register is a TOML file: another (the usage data, say) would be read as a broken
    // register, or written over as one.
    if !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        return refuse(
            "is not a TOML file; the register is a file such as reviews/actions.toml".into(),
        );
    }
    let Ok(link) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(_) if link.file_type().is_symlink() => {
            let to = std::fs::read_link(path).unwrap_or_default();
            return refuse(format!(
                "is a symlink to {}, which does not exist: create that file (an empty file is an empty register) or fix the link",
                to.display()
            ));
        }
        Err(e) => return Err(Error::io(path, "cannot read the action register", e)),
    };
    if meta.is_dir() {
        return refuse("is a folder; point --register or output.register at a file".into());
    }
    if !meta.is_file() {
        return refuse("is not a regular file (a named pipe, socket or device); point --register or output.register at a regular file".into());
    }
    Ok(())
}

impl Register {
    /// Reads the register at `path`; a missing file is an empty register.
    pub fn load(path: &Path) -> Result<Register> {
        Register::read(path, None)
    }

    /// Reads the register for a review made `today`: a day in it that has not come yet (a
    /// `validated` or `closed` date after today) is an error, not a decision to count.
    pub fn load_on(path: &Path, today: NaiveDate) -> Result<Register> {
        Register::read(path, Some(today))
    }

    fn read(path: &Path, today: Option<NaiveDate>) -> Result<Register> {
        check_kind(path)?;
        let original = match std::fs::read_to_string(path) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(path, "cannot read the action register", e)),
        };
        let text = original.clone().unwrap_or_default();
        let (actions, warnings) = parse(&text, path, today)?;
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            Error::Internal(format!("{}: {e}", path.display()))
        })?;
        Ok(Register {
            path: path.to_owned(),
            actions,
            original,
            doc,
            dirty: false,
            warnings,
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

    /// The next free ID: one above the highest ever used (IDs are never reused); an error once
    /// every ID up to [`super::MAX_ID`] is taken.
    pub fn next_id(&self) -> Result<String> {
        let n = self
            .actions
            .iter()
            .filter_map(Action::number)
            .max()
            .unwrap_or(0);
        if n >= super::MAX_ID {
            return Err(Error::Input(format!(
                "{}: a new action needs an ID above A-{}, the last there is (the highest, counting this command's new actions, is A-{n}); IDs are never reused, and nothing was written. Start a new register (output.register) for the next actions",
                self.path.display(),
                super::MAX_ID
            )));
        }
        Ok(format!("A-{:04}", n + 1))
    }

    /// Appends a new open action and returns its ID.
    pub fn append(&mut self, new: NewAction) -> Result<String> {
        let id = self.next_id()?;
        let mut t = Table::new();
        t.insert("id", value(id.clone()));
        t.insert("title", value(text(&new.title)));
        if let Some(f) = &new.finding {
            t.insert("finding", value(f.clone()));
        }
        t.insert("scope", value(text(&new.scope)));
        if let Some(team) = &new.team {
            t.insert("team", value(text(team)));
        }
        t.insert("owner", value(text(&new.owner)));
        t.insert("due", value(date_value(new.due)));
        t.insert("status", value("open"));
        t.insert("opened", value(new.opened.to_string()));
        if let Some(n) = &new.notes {
            t.insert("notes", value(text(n)));
        }
        if let Some(l) = &new.lever {
            t.insert("lever", value(l.clone()));
        }
        // Remembered to measure later what the action did (rounded to what a person reads).
        if let Some(v) = new.kpi_then {
            t.insert("kpi_then", value(round_sig(v)));
        }
        if let Some(v) = new.saving_then {
            t.insert("saving_then", value((v * 100.0).round() / 100.0));
        }
        if let Some(v) = new.goal_then {
            t.insert("goal_then", value(round_sig(v)));
        }
        if let Some(v) = new.spend_then {
            t.insert("spend_then", value((v * 100.0).round() / 100.0));
        }
        if !new.links.is_empty() {
            t.insert(
                "links",
                value(
                    new.links
                        .iter()
                        .map(|l| text(l))
                        .collect::<toml_edit::Array>(),
                ),
            );
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
            links: new.links,
            lever: new.lever,
            kpi_then: new.kpi_then.map(round_sig),
            saving_then: new.saving_then.map(|v| (v * 100.0).round() / 100.0),
            spend_then: new.spend_then.map(|v| (v * 100.0).round() / 100.0),
            goal_then: new.goal_then.map(round_sig),
            validated: None,
        });
        self.dirty = true;
        Ok(id)
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
        set_keep_decor(t, "owner", value(text(owner)));
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
            set_keep_decor(t, "notes", value(text(&notes)));
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
            set_keep_decor(t, "notes", value(text(&notes)));
        }
        let a = &mut self.actions[idx];
        a.status = status;
        a.closed = Some(date);
        a.notes = notes;
        self.dirty = true;
        Ok(())
    }

    /// Records that an action's change passed its quality check on `date`, appending `note` to
    /// its notes: from then its saving counts in the optimized floor.
    pub fn validate(&mut self, id: &str, date: NaiveDate, note: &str) -> Result<()> {
        let a = self.get(id)?;
        if a.status == Status::Dropped {
            return Err(Error::Usage(format!(
                "{id} was dropped on {}; a dropped action is not validated (reopen it by hand first)",
                a.closed.map_or("?".to_owned(), |d| d.to_string())
            )));
        }
        if let Some(o) = a.opened
            && date < o.first_day()
        {
            return Err(Error::Usage(format!(
                "{date} is before {id} was opened ({o}); give the day its change passed its quality check (--on YYYY-MM-DD)"
            )));
        }
        if note.trim().is_empty() {
            return Err(Error::Usage(
                "the note is blank; say how the change was checked (the evaluation, its result)"
                    .into(),
            ));
        }
        let (t, idx) = self.table_mut(id)?;
        set_keep_decor(t, "validated", value(date_value(date)));
        let mut notes = t
            .get("notes")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        if !notes.is_empty() {
            notes.push('\n');
        }
        notes.push_str(&format!("{date}: validated: {}", note.trim()));
        set_keep_decor(t, "notes", value(text(&notes)));
        let a = &mut self.actions[idx];
        a.validated = Some(date);
        a.notes = notes;
        self.dirty = true;
        Ok(())
    }

    /// The register's text with the edits made so far.
    pub fn render(&self) -> String {
        let body = self.doc.to_string();
        let Some(orig) = &self.original else {
            return format!(
                "{REGISTER_HEADER}{}{body}",
                if body.is_empty() { "" } else { "\n" }
            );
        };
        // The file's own line endings and byte-order mark stay: an edit changes only its lines.
        let mut out = if orig.contains("\r\n") {
            body.replace("\r\n", "\n").replace('\n', "\r\n")
        } else {
            body
        };
        if orig.starts_with('\u{feff}') && !out.starts_with('\u{feff}') {
            out.insert(0, '\u{feff}');
        }
        out
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

/// A text value as the register writes it: bidirectional formatting characters (and control
/// characters) as TOML escapes (`\u202E`), so that the file shows what it holds in an editor or
/// a diff; the value read back is the same text.
fn text(s: &str) -> toml_edit::Value {
    if !s.chars().any(crate::fmt::is_bidi) {
        return s.into();
    }
    let mut raw = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => raw.push_str("\\\""),
            '\\' => raw.push_str("\\\\"),
            '\n' => raw.push_str("\\n"),
            c if c.is_control() || crate::fmt::is_bidi(c) => {
                raw.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => raw.push(c),
        }
    }
    raw.push('"');
    raw.parse().unwrap_or_else(|_| s.into())
}

fn date_value(d: NaiveDate) -> toml_edit::Datetime {
    d.to_string().parse().expect("a date is a TOML date")
}

/// A KPI value kept to 6 significant digits: enough to compare, short enough to read.
fn round_sig(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        // -0.0 (a sum of nothing) reads as 0.
        return v + 0.0;
    }
    let digits = 6 - v.abs().log10().ceil() as i32;
    let f = 10f64.powi(digits);
    (v * f).round() / f
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
