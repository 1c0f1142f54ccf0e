//! The action register and its commands: `actions ...`, `check`, `init`, and the register's
//! part in `review`.

use std::path::Path;

use serde_json::Value;

use crate::util::{govreview, root, run, stderr, stdout, write_files};

const REGISTER: &str = r#"# Team register. This comment stays.

[[action]]
id = "A-0001"
title = "Restore caching"  # hand comment
finding = "cache_hit_rate"
scope = "a"
team = "a"
owner = "Ann Example"
due = 2026-11-20
status = "open"
opened = "2026-10"
notes = "Hand-added note."
"#;

/// A copy of the tiny fixture (config and data) in a temp folder, with `register` under reviews/.
fn repo(register: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cfg = std::fs::read_to_string(root().join("tests/fixtures/tiny/govreview.toml")).unwrap();
    write_files(dir.path(), &[("govreview.toml", &cfg)]);
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/tiny/data/usage.csv"),
        dir.path().join("data/usage.csv"),
    )
    .unwrap();
    if let Some(r) = register {
        write_files(dir.path(), &[("reviews/actions.toml", r)]);
    }
    dir
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn review_keeps_comments_links_findings_and_appends_new_actions() {
    let dir = repo(Some(REGISTER));
    let o = run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let reg = read(&dir.path().join("reviews/actions.toml"));
    assert!(
        reg.starts_with(REGISTER),
        "the existing text stands byte for byte:\n{reg}"
    );
    assert!(
        reg.contains("id = \"A-0002\""),
        "new actions appended:\n{reg}"
    );
    // The open cache_hit_rate action of team a is not proposed again.
    assert_eq!(
        reg.matches("finding = \"cache_hit_rate\"\nscope = \"a\"")
            .count(),
        1,
        "{reg}"
    );
    let m: Value =
        serde_json::from_str(&read(&dir.path().join("reviews/2026-10/metrics.json"))).unwrap();
    let new: Vec<&str> = m["actions"]["new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(
        new.contains(&"A-0001") && new.contains(&"A-0002"),
        "{new:?}"
    );
    let snapshot = read(&dir.path().join("reviews/2026-10/actions.md"));
    assert!(
        snapshot.contains("| A-0001 | open | Restore caching |"),
        "{snapshot}"
    );
}

#[test]
fn close_keeps_comments_and_notes() {
    let dir = repo(Some(REGISTER));
    let o = run(govreview(dir.path()).args([
        "actions",
        "close",
        "A-0001",
        "--note",
        "fixed the prompt",
        "--as-of",
        "2026-11-12",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "A-0001: done on 2026-11-12.\n");
    let reg = read(&dir.path().join("reviews/actions.toml"));
    assert!(
        reg.starts_with("# Team register. This comment stays.\n"),
        "{reg}"
    );
    assert!(
        reg.contains("title = \"Restore caching\"  # hand comment\n"),
        "{reg}"
    );
    assert!(
        reg.contains("Hand-added note.\n2026-11-12: fixed the prompt"),
        "{reg}"
    );
    assert!(reg.contains("status = \"done\""), "{reg}");
    assert!(reg.contains("closed = 2026-11-12"), "{reg}");
    let again = run(govreview(dir.path()).args(["actions", "close", "A-0001"]));
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already done"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn add_assign_list_show() {
    let dir = repo(Some(REGISTER));
    let g = |args: &[&str]| {
        run(govreview(dir.path())
            .args(args)
            .args(["--as-of", "2026-11-10"]))
    };
    let o = g(&[
        "actions",
        "add",
        "--title",
        "Trim output",
        "--owner",
        "Bo Builder",
        "--due",
        "2026-12-10",
        "--team",
        "b",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "Added A-0002 to reviews/actions.toml.\n");
    assert_eq!(stderr(&o), "", "team b is known to the configuration");
    // A team nobody knows is added as given, with a warning that names the known ones.
    let o = g(&[
        "actions",
        "add",
        "--title",
        "Tidy",
        "--owner",
        "Bo Builder",
        "--due",
        "2026-12-10",
        "--team",
        "B ",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: team `B` is neither in the configuration nor in the register (known: a, b). Did you mean `b`?"),
        "{}",
        stderr(&o)
    );
    let o = g(&[
        "actions",
        "close",
        "A-0003",
        "--dropped",
        "--note",
        "added by mistake",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = g(&[
        "actions",
        "assign",
        "A-0002",
        "--owner",
        "Ann Example",
        "--due",
        "2026-12-20",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let list = stdout(&g(&["actions", "list"]));
    assert!(list.starts_with("ID      STATUS    OWNER"), "{list}");
    assert!(
        list.contains("A-0002  open      Ann Example        2026-12-20 b            Trim output"),
        "{list}"
    );
    let mine = stdout(&g(&["actions", "list", "--team", "b", "--format", "json"]));
    let v: Value = serde_json::from_str(&mine).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["id"], "A-0002");
    assert_eq!(v[0]["overdue"], false);
    let overdue = stdout(&run(govreview(dir.path()).args([
        "actions",
        "list",
        "--status",
        "overdue",
        "--as-of",
        "2026-12-01",
    ])));
    assert!(overdue.contains("A-0001  overdue"), "{overdue}");
    let show = stdout(&g(&["actions", "show", "A-0001"]));
    assert!(show.contains("A-0001  Restore caching\n  status   open\n  owner    Ann Example\n  due      2026-11-20"), "{show}");
    assert!(show.contains("  notes\n    Hand-added note.\n"), "{show}");
    // Closed later, it was still open (and overdue) as of 2026-12-01.
    let o = run(govreview(dir.path()).args([
        "actions",
        "close",
        "A-0001",
        "--note",
        "cache restored",
        "--as-of",
        "2026-12-03",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let then = stdout(&run(govreview(dir.path()).args([
        "actions",
        "list",
        "--status",
        "all",
        "--as-of",
        "2026-12-01",
    ])));
    assert!(then.contains("A-0001  overdue"), "{then}");
    let now = stdout(&run(govreview(dir.path()).args([
        "actions",
        "list",
        "--status",
        "all",
        "--as-of",
        "2026-12-05",
    ])));
    assert!(now.contains("A-0001  done"), "{now}");
}

#[test]
fn actions_refuse_non_persons_unknown_ids_and_bad_dates() {
    let dir = repo(Some(REGISTER));
    let before = read(&dir.path().join("reviews/actions.toml"));
    for (args, says) in [
        (
            vec!["actions", "assign", "A-0001", "--owner", "TBD"],
            "does not name a person",
        ),
        (
            vec!["actions", "assign", "A-0001", "--owner", "a"],
            "does not name a person",
        ),
        (vec!["actions", "show", "A-0042"], "no action `A-0042`"),
        (vec!["actions", "close", "A-0042"], "no action `A-0042`"),
        (
            vec![
                "actions",
                "add",
                "--title",
                "x",
                "--owner",
                "Ann Example",
                "--due",
                "2026-01-01",
                "--as-of",
                "2026-11-10",
            ],
            "before the review month",
        ),
    ] {
        let o = run(govreview(dir.path()).args(&args));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(
        read(&dir.path().join("reviews/actions.toml")),
        before,
        "nothing written"
    );
}

#[test]
fn malformed_register_fails_precisely_and_is_left_untouched() {
    let bad = REGISTER.replace("status = \"open\"", "status = \"in progress\"");
    let dir = repo(Some(&bad));
    for args in [
        vec!["review", "-m", "2026-10"],
        vec!["actions", "list"],
        vec!["check", "-m", "2026-10"],
    ] {
        let o = run(govreview(dir.path()).args(&args));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(
            stderr(&o),
            "error: reviews/actions.toml:11:10: `A-0001.status`: `in progress` is not a status; use open, done or dropped\n"
        );
    }
    assert_eq!(read(&dir.path().join("reviews/actions.toml")), bad);
    assert!(!dir.path().join("reviews/2026-10").exists());
    let dup = format!(
        "{REGISTER}\n{}",
        &REGISTER[REGISTER.find("[[action]]").unwrap()..]
    );
    let dir = repo(Some(&dup));
    let o = run(govreview(dir.path()).args(["actions", "list"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(":16:6: `A-0001.id`: `A-0001` is used twice"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_exit_codes() {
    // 1: the tiny month has findings and the register has no actions for them.
    let dir = repo(None);
    let o = run(govreview(dir.path()).args(["check", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("has no open action"), "{}", stdout(&o));
    // 0: after the review proposed them all, with owners and due dates.
    let r =
        run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"]));
    assert!(r.status.success(), "{}", stderr(&r));
    let o = run(govreview(dir.path()).args(["check", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with("check 2026-10: ok."),
        "{}",
        stdout(&o)
    );
    // 1: past the due date, every action is overdue.
    let o = run(govreview(dir.path()).args(["check", "-m", "2026-10", "--as-of", "2026-12-11"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("is overdue: due 2026-12-10, 1 day late"),
        "{}",
        stdout(&o)
    );
    // 1: an owner edited to a placeholder makes the review a draft.
    let reg = dir.path().join("reviews/actions.toml");
    std::fs::write(
        &reg,
        read(&reg).replacen("owner = \"Ann Example\"", "owner = \"TBD\"", 1),
    )
    .unwrap();
    let o = run(govreview(dir.path()).args(["check", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("needs a named owner: owner is `TBD`"),
        "{}",
        stdout(&o)
    );
    let r = run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert!(stdout(&r).contains("DRAFT:"), "{}", stdout(&r));
    assert!(
        read(&dir.path().join("reviews/2026-10/review.md"))
            .contains("> **DRAFT**: A-0001 needs a named owner")
    );
    // 1: a due date written as text is not a due date.
    std::fs::write(
        &reg,
        read(&reg).replacen("due = 2026-12-10", "due = \"next sprint\"", 1),
    )
    .unwrap();
    let o = run(govreview(dir.path()).args(["check", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o)
            .contains("A-0001 needs a named owner and a due date (`next sprint` is not a date)"),
        "{}",
        stdout(&o)
    );
    // 2: an error (no config).
    let empty = tempfile::tempdir().unwrap();
    let o = run(govreview(empty.path()).args(["check"]));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn init_scaffolds_a_repository_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("cost-reviews");
    let o = run(govreview(dir.path()).args(["init", "cost-reviews"]));
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "govreview.toml",
        "reviews/actions.toml",
        "data/.gitkeep",
        ".gitignore",
        "README.md",
    ] {
        assert!(target.join(f).is_file(), "{f}");
    }
    // Again: every file is there, nothing is touched.
    let again = run(govreview(dir.path()).args(["init", "cost-reviews"]));
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).contains("already a review repository")
            && stdout(&again).contains("nothing was written"),
        "{}",
        stdout(&again)
    );
    // A folder with its own README (a fresh git repository) is scaffolded around it.
    let other = dir.path().join("with-readme");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("README.md"), "# Our reviews\n").unwrap();
    let o = run(govreview(dir.path()).args(["init", "with-readme"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&other.join("README.md")), "# Our reviews\n");
    assert!(other.join("govreview.toml").is_file());
    assert!(
        stdout(&o).contains("README.md (already there, kept as it is)"),
        "{}",
        stdout(&o)
    );
    // The scaffolded config asks for a real review owner first, pointing at the line.
    std::fs::copy(
        root().join("tests/fixtures/tiny/data/usage.csv"),
        target.join("data/usage.csv"),
    )
    .unwrap();
    let o = run(govreview(&target).args(["review", "-m", "2026-10"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "govreview.toml:8:16: `organization.review_owner`: `TBD` does not name a person"
        ),
        "{}",
        stderr(&o)
    );
    let cfg = read(&target.join("govreview.toml"))
        .replace("review_owner = \"TBD\"", "review_owner = \"Ann Example\"");
    std::fs::write(target.join("govreview.toml"), cfg).unwrap();
    let o = run(govreview(&target).args(["review", "-m", "2026-10"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Teams without an owner in the config: a."),
        "{}",
        stdout(&o)
    );
    assert!(read(&target.join("reviews/actions.toml")).contains("id = \"A-0001\""));
}

/// `actions validate` records the day a change passed its check, keeps the register's comments,
/// and refuses what cannot be true.
#[test]
fn validate_records_the_day_and_keeps_comments() {
    let dir = repo(Some(REGISTER));
    let reg = dir.path().join("reviews/actions.toml");
    let v = |args: &[&str]| {
        run(govreview(dir.path())
            .args(["actions", "validate"])
            .args(args)
            .args(["--as-of", "2026-11-15"]))
    };
    // A blank note, a day before the action was opened, a day after --as-of, an unknown ID.
    for (args, says) in [
        (&["A-0001", "--note", " "][..], "the note is blank"),
        (
            &["A-0001", "--on", "2026-09-30", "--note", "ok"][..],
            "2026-09-30 is before A-0001 was opened (2026-10)",
        ),
        (
            &["A-0001", "--on", "2026-11-20", "--note", "ok"][..],
            "2026-11-20 is after --as-of (2026-11-15)",
        ),
        (&["A-0009", "--note", "ok"][..], "no action `A-0009`"),
    ] {
        let o = v(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert_eq!(read(&reg), REGISTER, "nothing written for {args:?}");
    }
    let o = v(&[
        "A-0001",
        "--on",
        "2026-11-12",
        "--note",
        "Cache hits held at 61% for a week.",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "A-0001: validated on 2026-11-12; its backlog item counts in the optimized floor of reviews as of 2026-11-12 or later.\n"
    );
    let text = read(&reg);
    assert!(
        text.starts_with("# Team register. This comment stays."),
        "{text}"
    );
    assert!(
        text.contains("title = \"Restore caching\"  # hand comment"),
        "{text}"
    );
    assert!(text.contains("validated = 2026-11-12"), "{text}");
    assert!(
        text.contains(
            "Hand-added note.\n2026-11-12: validated: Cache hits held at 61% for a week."
        ),
        "{text}"
    );
    let o = run(govreview(dir.path()).args(["actions", "show", "A-0001", "--format", "json"]));
    let a: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(a["validated"], "2026-11-12");
}

/// `check` run with `-c` prints fix commands with the same `-c`, so that they work as printed.
#[test]
fn check_prints_its_fixes_with_the_config_it_read() {
    let dir = repo(None);
    let parent = dir.path().parent().unwrap();
    let name = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let cfg = format!("{name}/govreview.toml");
    let o = run(govreview(parent).args([
        "check",
        "-c",
        &cfg,
        "-m",
        "2026-10",
        "--as-of",
        "2026-11-10",
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("`govreview -c {cfg} review --month 2026-10`")),
        "{}",
        stdout(&o)
    );
}
