//! The action register: `reviews/actions.toml`, one `[[action]]` table per action.
//!
//! People edit the register by hand and in pull requests, so the tool's own edits go through
//! `toml_edit`: comments, blank lines, key order and formatting survive, new actions are appended
//! at the end, and a file that changed on disk between read and write is never overwritten.

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;
use toml_edit::DocumentMut;

use crate::config::is_person;
use crate::month::Month;

mod parse;
mod store;

/// The highest action number (`A-999999`): IDs are bounded, so none can wrap around.
pub const MAX_ID: u32 = 999_999;

/// The header of a new register.
pub const REGISTER_HEADER: &str = "\
# Action register: every finding of a review ends in an action with a named owner and a due date.
# govreview appends new actions at the end and keeps everything else as written: edit owners,
# due dates, status and notes by hand (or with `govreview actions ...`), and keep your comments.
#
# Keys of an [[action]]: id, title, finding (metric), scope (\"org\", a team or \"team/app\"), team,
# owner, due, status (open | done | dropped), opened (review month), closed (date), notes, links,
# and for measuring what it did: lever (a backlog lever), kpi_then, goal_then, saving_then and
# spend_then (the KPI, its goal, the estimated monthly saving and the scope's spend when it was
# opened), validated (the day its change passed its quality check).
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
    /// The backlog lever it carries out (`routing`, `caching`, `batch`, `output`), if any.
    pub lever: Option<String>,
    /// The KPI's value when the action was opened.
    pub kpi_then: Option<f64>,
    /// The estimated monthly saving (USD) when the action was opened.
    pub saving_then: Option<f64>,
    /// The scope's spend (USD) in the month the action was opened: a saving captured is
    /// measured against the traffic then.
    pub spend_then: Option<f64>,
    /// The goal its KPI was to reach when it was opened.
    pub goal_then: Option<f64>,
    /// The day the change it carries out passed its quality check (`actions validate`): from
    /// then its saving counts in the optimized floor.
    pub validated: Option<NaiveDate>,
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
    /// The backlog lever it carries out, if any.
    pub lever: Option<String>,
    /// The KPI's value now, remembered to measure what the action did.
    pub kpi_then: Option<f64>,
    /// The estimated monthly saving now.
    pub saving_then: Option<f64>,
    /// The scope's spend this month.
    pub spend_then: Option<f64>,
    /// The goal its KPI is to reach.
    pub goal_then: Option<f64>,
    /// The actions it follows up (one closed as done without effect).
    pub links: Vec<String>,
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
    /// What is odd but kept (a finding that names no known metric).
    pub warnings: Vec<String>,
}

/// The last note of an action's notes (the reason a close gave), without its date: notes are
/// appended one per line as `YYYY-MM-DD: text`; a hand-written note without a date is kept whole.
pub fn last_note(notes: &str) -> String {
    let notes = notes.trim();
    let last = notes
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let dated = last.get(..12).is_some_and(|p| {
        p.ends_with(": ") && NaiveDate::parse_from_str(&p[..10], "%Y-%m-%d").is_ok()
    });
    if dated {
        last[12..].trim().to_owned()
    } else {
        notes.to_owned()
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

    #[test]
    fn the_last_note_without_its_date() {
        assert_eq!(last_note("2026-10-28: Interactive."), "Interactive.");
        assert_eq!(
            last_note("2026-10-01: First.\n2026-10-28: Users wait for it."),
            "Users wait for it."
        );
        assert_eq!(last_note("Written by hand."), "Written by hand.");
        assert_eq!(last_note("  "), "");
    }
    use crate::diag::Problem;
    use crate::error::Error;
    use std::path::Path;

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
        problems_of(Register::load(&write(d.path(), body)))
    }

    /// The problems a register load reported (it must have failed with them).
    fn problems_of(loaded: crate::error::Result<Register>) -> Vec<Problem> {
        match loaded {
            Err(Error::Register { problems, .. }) => problems,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn a_day_that_has_not_come_is_an_error_for_a_review() {
        let d = tempfile::tempdir().unwrap();
        let body = REG.replace(
            "closed = 2026-11-02",
            "closed = 2026-11-02\nvalidated = 2062-11-02",
        );
        let p = write(d.path(), &body);
        // Editing the register does not need today; a review does.
        assert!(Register::load(&p).is_ok());
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let problems = problems_of(Register::load_on(&p, today));
        assert_eq!(problems.len(), 1, "{problems:?}");
        let line = body
            .lines()
            .position(|l| l.starts_with("validated"))
            .unwrap()
            + 1;
        assert_eq!(
            (problems[0].line, problems[0].column),
            (Some(line), Some(13))
        );
        assert!(
            problems[0]
                .message
                .contains("2062-11-02 is after today (2026-12-07)"),
            "{problems:?}"
        );
        assert!(Register::load_on(&p, NaiveDate::from_ymd_opt(2062, 11, 2).unwrap()).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_register_that_is_a_pipe_or_a_broken_link_is_refused_at_once() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("actions.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let e = Register::load(&fifo).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let link = d.path().join("link.toml");
        let target = d.path().join("elsewhere/x.toml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = Register::load(&link).unwrap_err().to_string();
        assert!(e.contains("which does not exist"), "{e}");
        assert!(!d.path().join("elsewhere").exists());
    }

    #[test]
    fn negative_amounts_and_months_to_come_are_refused() {
        let body = REG.replace(
            "closed = 2026-11-02",
            "closed = 2026-11-02\nsaving_then = -134.03",
        );
        let p = problems(&body);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("-134.03 is negative"), "{p:?}");
        let d = tempfile::tempdir().unwrap();
        let future = REG.replacen("opened = \"2026-", "opened = \"2031-", 1);
        assert_ne!(future, REG);
        let path = write(d.path(), &future);
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let problems = problems_of(Register::load_on(&path, today));
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("a month after today's")),
            "{problems:?}"
        );
    }

    #[test]
    fn an_unknown_lever_lists_every_lever() {
        let body = REG.replace(
            "closed = 2026-11-02",
            "closed = 2026-11-02\nlever = \"teleport\"",
        );
        let p = problems(&body);
        assert_eq!(p.len(), 1, "{p:?}");
        for l in crate::config::Lever::ALL {
            assert!(p[0].message.contains(l.as_str()), "{p:?}");
        }
    }

    #[test]
    fn reads_actions() {
        let d = tempfile::tempdir().unwrap();
        let r = Register::load(&write(d.path(), REG)).unwrap();
        assert_eq!(r.actions.len(), 2);
        assert_eq!(r.actions[0].due, NaiveDate::from_ymd_opt(2026, 12, 10));
        assert_eq!(r.actions[1].status, Status::Done);
        assert_eq!(r.next_id().unwrap(), "A-0003");
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
        let id = r
            .append(NewAction {
                finding: Some("batch_share".into()),
                scope: "data".into(),
                team: Some("data".into()),
                owner: "Aisha Okafor".into(),
                due: NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(),
                opened: "2026-11".parse().unwrap(),
                ..new_action("New one")
            })
            .unwrap();
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
        // A date years out of reach would keep the action from ever being overdue.
        let text = REG.replace("due = 2026-12-10", "due = 9999-12-31");
        let r = Register::load(&write(d.path(), &text)).unwrap();
        assert_eq!(r.actions[0].due, None);
        assert_eq!(
            needs(&r.actions[0], &teams, &[]),
            [
                "a due date (9999-12-31 is more than ten years after the action was opened (2026-10))"
            ]
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
            lever: None,
            kpi_then: None,
            saving_then: None,
            spend_then: None,
            goal_then: None,
            links: Vec::new(),
        }
    }

    #[test]
    fn comments_stay_where_a_person_put_them() {
        let d = tempfile::tempdir().unwrap();
        // A register as `init` writes it: the header only. Its first action goes below it.
        let p = write(d.path(), REGISTER_HEADER);
        let mut r = Register::load(&p).unwrap();
        r.append(new_action("First")).unwrap();
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
        r.append(new_action("Second")).unwrap();
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
        r.append(new_action("T")).unwrap();
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
