//! The fifth hostile pass's reproductions: rows given twice, files a command must not replace,
//! a clock that is `--as-of`, a pack that does not depend on the folder it is made from, and
//! bidirectional formatting characters in every output.

use std::path::Path;

use crate::util::{fixture, govreview, root, run, stderr, stdout, write_files};

fn review(repo: &Path, extra: &[&str]) -> std::process::Output {
    run(govreview(repo)
        .args([
            "review",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-10",
            "-q",
        ])
        .args(extra))
}

/// `govreview email` of 2026-10 written to `eml`.
fn email(repo: &Path, eml: &str) -> std::process::Output {
    run(govreview(repo).args([
        "email",
        "--month",
        "2026-10",
        "--from",
        "f@example.com",
        "--to",
        "t@example.com",
        "--eml",
        eml,
    ]))
}

fn refused(o: &std::process::Output) -> String {
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(o), stderr(o));
    stderr(o)
}

const PAGES_CONFIG: &str = r#"[organization]
name = "Dup Co"
review_owner = "Ann Example"
[data]
paths = ["pages"]
"#;

fn usage_row(day: u32) -> String {
    format!(
        r#"{{"starting_at":"2026-10-{day:02}T00:00:00Z","ending_at":"2026-10-{:02}T00:00:00Z","group":{{"model":"claude-sonnet-4-5","workspace_id":"wrkspc_a","service_tier":"standard"}},"usage":{{"uncached_input_tokens":1000000,"output_tokens":1000,"requests":10}}}}"#,
        day + 1
    )
}

fn page(rows: &[String], next: Option<&str>) -> String {
    format!(
        r#"{{"data":[{}],"has_more":{},"next_page":{}}}"#,
        rows.join(","),
        next.is_some(),
        next.map_or("null".to_owned(), |n| format!("\"{n}\""))
    )
}

#[test]
fn a_row_given_twice_in_api_pages_is_refused_never_summed_twice() {
    let cost = r#"{"starting_at":"2026-10-01T00:00:00Z","ending_at":"2026-10-02T00:00:00Z","group":{"model":"claude-sonnet-4-5","workspace_id":"wrkspc_a","cost_type":"tokens"},"cost":{"amount":"300","currency":"USD"}}"#.to_owned();
    let cases: [(&str, Vec<(&str, String)>); 3] = [
        (
            "pages/usage-001.json, field `data[1]`",
            vec![
                (
                    "pages/usage-001.json",
                    page(&[usage_row(1), usage_row(1)], None),
                ),
                (
                    "pages/cost-001.json",
                    page(std::slice::from_ref(&cost), None),
                ),
            ],
        ),
        (
            "pages/usage-002.json, field `data[1]`: gives the same analytics usage row as data[0] of pages/usage-001.json",
            vec![
                ("pages/usage-001.json", page(&[usage_row(1)], Some("p2"))),
                (
                    "pages/usage-002.json",
                    page(&[usage_row(2), usage_row(1)], None),
                ),
            ],
        ),
        (
            "pages/cost-001.json, field `data[1]`: gives the same analytics cost row",
            vec![
                ("pages/usage-001.json", page(&[usage_row(1)], None)),
                (
                    "pages/cost-001.json",
                    page(&[cost.clone(), cost.clone()], None),
                ),
            ],
        ),
    ];
    for (says, files) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut all: Vec<(&str, &str)> = vec![("govreview.toml", PAGES_CONFIG)];
        all.extend(files.iter().map(|(p, t)| (*p, t.as_str())));
        write_files(dir.path(), &all);
        let e = refused(&review(dir.path(), &[]));
        assert!(e.contains(says) && e.contains("counted twice"), "{e}");
        assert!(!dir.path().join("reviews/2026-10").exists());
    }
}

#[test]
fn legacy_results_given_twice_or_buckets_that_overlap_are_refused() {
    let (_dir, repo) = fixture("admin-api");
    let p = repo.join("data/anthropic/2026-10/page-001.json");
    let original = std::fs::read_to_string(&p).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    let first = v["data"][0]["results"][0].clone();
    v["data"][0]["results"].as_array_mut().unwrap().push(first);
    std::fs::write(&p, v.to_string()).unwrap();
    let e = refused(&review(&repo, &[]));
    assert!(
        e.contains("field `data[0].results[")
            && e.contains("same usage report row as data[0].results[0]"),
        "{e}"
    );
    // An hour inside a day.
    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    let mut hour = v["data"][0].clone();
    hour["ending_at"] = "2026-10-01T01:00:00Z".into();
    v["data"].as_array_mut().unwrap().push(hour);
    std::fs::write(&p, v.to_string()).unwrap();
    let e = refused(&review(&repo, &[]));
    assert!(
        e.contains("overlaps") && e.contains("2026-10-01T01:00:00Z"),
        "{e}"
    );
    // A bucket across a UTC midnight.
    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    v["data"][0]["starting_at"] = "2026-09-30T12:00:00Z".into();
    v["data"][0]["ending_at"] = "2026-10-01T12:00:00Z".into();
    std::fs::write(&p, v.to_string()).unwrap();
    let e = refused(&review(&repo, &[]));
    assert!(
        e.contains("field `data[0]`: runs from 2026-09-30 12:00:00 UTC"),
        "{e}"
    );
    // A bucket whose results are null is not a day without usage.
    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    v["data"][0]["results"] = serde_json::Value::Null;
    std::fs::write(&p, v.to_string()).unwrap();
    let e = refused(&review(&repo, &[]));
    assert!(
        e.contains("field `data[0].results`: is null, not a list"),
        "{e}"
    );
}

#[test]
fn a_console_line_given_twice_is_refused() {
    for file in ["console-cost-2026-10.csv", "console-usage-2026-10.csv"] {
        let (_dir, repo) = fixture("console");
        let p = repo.join("data").join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(&p, format!("{text}{}\n", lines[1])).unwrap();
        let e = refused(&review(&repo, &[]));
        assert!(
            e.contains(&format!("{file}:{}:", lines.len() + 1)) && e.contains("repeats line 2"),
            "{e}"
        );
    }
}

#[test]
fn no_output_replaces_the_configuration_the_register_or_the_data() {
    let (_dir, repo) = fixture("tiny");
    assert!(review(&repo, &[]).status.success());
    let before = |p: &str| std::fs::read(repo.join(p)).unwrap();
    let kept: Vec<(&str, Vec<u8>)> = ["govreview.toml", "reviews/actions.toml", "data/usage.csv"]
        .into_iter()
        .map(|p| (p, before(p)))
        .collect();
    for target in [
        "govreview.toml",
        "reviews/actions.toml",
        "reviews/2026-10/review.md",
    ] {
        let o = email(&repo, target);
        assert!(refused(&o).contains("must end in .eml"), "{}", stderr(&o));
    }
    for flag in ["--chargeback", "--focus"] {
        let o = run(govreview(&repo).args([
            "export",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-10",
            flag,
            "data/usage.csv",
        ]));
        assert!(
            refused(&o).contains("a file the review reads"),
            "{}",
            stderr(&o)
        );
    }
    for (p, bytes) in kept {
        assert_eq!(std::fs::read(repo.join(p)).unwrap(), bytes, "{p} changed");
    }
}

#[test]
fn the_clock_is_as_of_and_years_out_of_reach_are_refused() {
    let (_dir, repo) = fixture("tiny");
    let o = run(govreview(&repo).args(["review", "--month", "2026-10", "--as-of", "9999-12-31"]));
    assert!(refused(&o).contains("outside the years"), "{}", stderr(&o));
    // An action written on a later --as-of is read back on that --as-of.
    let later = |args: &[&str]| run(govreview(&repo).args(args).args(["--as-of", "2031-03-10"]));
    let o = later(&[
        "actions",
        "add",
        "--title",
        "t",
        "--owner",
        "Ann Example",
        "--due",
        "2031-04-10",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = later(&["summary", "--month", "2026-10"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn absurd_amounts_in_the_register_are_refused() {
    for (key, value, says) in [
        ("saving_then", "1e300", "more than govreview accepts"),
        ("spend_then", "1e-300", "less than a cent"),
        (
            "kpi_then",
            "5e10",
            "is not a share: finding `cache_hit_rate`",
        ),
    ] {
        let (_dir, repo) = fixture("tiny");
        write_files(
            &repo,
            &[(
                "reviews/actions.toml",
                &format!(
                    "[[action]]\nid = \"A-0001\"\ntitle = \"t\"\nfinding = \"cache_hit_rate\"\nscope = \"a\"\nteam = \"a\"\nowner = \"Ann Example\"\ndue = 2026-11-20\nstatus = \"open\"\nopened = \"2026-10\"\n{key} = {value}\n"
                ),
            )],
        );
        let e = refused(&review(&repo, &[]));
        assert!(
            e.contains(&format!("A-0001.{key}")) && e.contains(says),
            "{e}"
        );
    }
}

#[test]
fn the_pack_is_the_same_from_any_folder() {
    let (dir, repo) = fixture("tiny");
    assert!(review(&repo, &[]).status.success());
    let here = std::fs::read(repo.join("reviews/2026-10/metrics.json")).unwrap();
    let md = std::fs::read(repo.join("reviews/2026-10/review.md")).unwrap();
    std::fs::remove_dir_all(repo.join("reviews/2026-10")).unwrap();
    let config = repo.join("govreview.toml");
    let o = run(govreview(dir.path()).arg("--config").arg(&config).args([
        "review",
        "--month",
        "2026-10",
        "--as-of",
        "2026-11-10",
        "-q",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(repo.join("reviews/2026-10/metrics.json")).unwrap(),
        here
    );
    assert_eq!(
        std::fs::read(repo.join("reviews/2026-10/review.md")).unwrap(),
        md
    );
}

#[test]
fn a_review_folder_keeps_its_links_and_refuses_a_pipe() {
    let (dir, repo) = fixture("tiny");
    assert!(review(&repo, &[]).status.success());
    let outside = dir.path().join("outside");
    write_files(&outside, &[("secret.txt", "not for the pack")]);
    let link = repo.join("reviews/2026-10/refs");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let o = review(&repo, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = std::fs::symlink_metadata(&link).unwrap();
    assert!(m.file_type().is_symlink(), "the link stays a link");
    assert_eq!(std::fs::read_link(&link).unwrap(), outside);
    std::fs::remove_file(&link).unwrap();
    let fifo = repo.join("reviews/2026-10/notes.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let e = refused(&review(&repo, &[]));
    assert!(e.contains("notes.fifo is a named pipe"), "{e}");
    // A configuration that is a named pipe is refused, not waited on.
    let pipe = dir.path().join("config.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    let o = run(govreview(&repo)
        .arg("--config")
        .arg(&pipe)
        .args(["actions", "list"]));
    assert!(
        refused(&o).contains("is a named pipe, not a file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bidirectional_marks_are_shown_in_csv_sql_lists_and_the_register() {
    let (_dir, repo) = fixture("tiny");
    let p = repo.join("data/usage.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(
        &p,
        text.replace(",a,assistant,", ",evil\u{202E}gnp.exe,x\u{2066}y\u{2069}z,"),
    )
    .unwrap();
    assert!(review(&repo, &[]).status.success());
    let o = run(govreview(&repo).args([
        "export",
        "--month",
        "2026-10",
        "--as-of",
        "2026-11-10",
        "--chargeback",
        "cb.csv",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let backlog = run(govreview(&repo).args([
        "backlog",
        "--month",
        "2026-10",
        "--as-of",
        "2026-11-10",
        "--format",
        "csv",
    ]));
    let list = run(govreview(&repo).args(["actions", "list", "--as-of", "2026-11-10"]));
    let bidi = |s: &str| {
        s.chars()
            .any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
    };
    let register = std::fs::read_to_string(repo.join("reviews/actions.toml")).unwrap();
    for (what, text) in [
        (
            "chargeback",
            std::fs::read_to_string(repo.join("cb.csv")).unwrap(),
        ),
        ("backlog csv", stdout(&backlog)),
        ("actions list", stdout(&list)),
        ("register", register.clone()),
    ] {
        assert!(!bidi(&text), "{what}: {text}");
    }
    assert!(
        register.contains("\\u202E"),
        "the register keeps the name, escaped: {register}"
    );
    // A warehouse column name holding one is refused.
    write_files(
        &repo,
        &[(
            "sql.toml",
            "[organization]\nname = \"S\"\nreview_owner = \"Ann Example\"\n[warehouse]\ntable = \"t\"\n[warehouse.columns]\nmodel = \"model\"\napp = \"app\\u202e --x\"\n",
        )],
    );
    let o = run(govreview(&repo).args(["-c", "sql.toml", "sql", "--dialect", "postgres"]));
    assert!(refused(&o).contains("bidirectional"), "{}", stderr(&o));
}

#[test]
fn files_read_side_by_side_report_the_first_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let header = "date,model,team,uncached_input_tokens,output_tokens\n";
    let good = format!("{header}2026-10-01,claude-sonnet-4-5,a,1000,10\n");
    let short = format!("{header}2026-10-02,claude-sonnet-4-5,a,1000\n");
    let mut files: Vec<(String, String)> = (0..6)
        .map(|i| {
            (
                format!("data/{i}.csv"),
                good.replace("10-01", &format!("10-{:02}", i + 3)),
            )
        })
        .collect();
    files[2].1 = short.clone();
    files[4].1 = short.replace("10-02", "10-20");
    let mut all: Vec<(&str, &str)> = vec![(
        "govreview.toml",
        "[organization]\nname = \"A\"\nreview_owner = \"Ann Example\"\n[data]\npaths = [\"data/*.csv\"]\n",
    )];
    all.extend(files.iter().map(|(p, t)| (p.as_str(), t.as_str())));
    write_files(dir.path(), &all);
    for _ in 0..5 {
        let e = refused(&review(dir.path(), &[]));
        assert!(
            e.contains("data/2.csv:2"),
            "the first bad file in order: {e}"
        );
    }
}

#[test]
fn poor_messages_of_the_fifth_pass_name_the_real_cause() {
    let config = "[organization]\nname = \"A\"\nreview_owner = \"Ann Example\"\n[data]\npaths = [\"usage.csv\"]\n";
    let header = "date,model,team,uncached_input_tokens,output_tokens";
    let row = "2026-10-01,claude-sonnet-4-5,a,1000,10";
    for (csv, says) in [
        (
            format!("{header}\n{row}\n{header}\n{row}\n"),
            "usage.csv:3: row 2, column `date`: `date` is the column's own name: this line repeats the header",
        ),
        (
            format!("{header}\r{row}\r"),
            "ends its lines with a carriage return alone",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write_files(
            dir.path(),
            &[("govreview.toml", config), ("usage.csv", &csv)],
        );
        let e = refused(&review(dir.path(), &[]));
        assert!(e.contains(says), "{e}");
    }
    // JSON lines of two files joined, the second with its byte-order mark.
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{"date":"2026-10-01","model":"claude-sonnet-4-5","team":"a","output_tokens":10}"#;
    write_files(
        dir.path(),
        &[
            ("govreview.toml", &config.replace("usage.csv", "u.ndjson")),
            ("u.ndjson", &format!("{line}\n\u{feff}{line}\n")),
        ],
    );
    let e = refused(&review(dir.path(), &[]));
    assert!(
        e.contains("u.ndjson:2: row 2: starts with a byte-order mark"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("govreview.toml", config),
            ("usage.csv", &format!("{header}\n{row}\n")),
        ],
    );
    let pipe = dir.path().join("p.csv");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    let e = refused(&review(dir.path(), &["--data", "p.csv"]));
    assert!(
        e.contains("data path `p.csv` is a named pipe, not a file"),
        "{e}"
    );
    let e = refused(&review(dir.path(), &["--register", "usage.csv"]));
    assert!(e.contains("usage.csv is not a TOML file"), "{e}");
    // The configuration: one team spelt twice, targets for a reserved name, a destination that
    // saves nothing; all named in one run.
    write_files(
        dir.path(),
        &[(
            "bad.toml",
            &format!(
                "{config}[teams.a]\nowner = \"Ann Example\"\n[teams.A]\nowner = \"Bo Builder\"\n[targets.teams.unallocated]\nmax_opus_share = 0.2\n[backlog]\nroute_to = \"claude-opus-4-5\"\n"
            ),
        )],
    );
    let o = run(govreview(dir.path()).args([
        "-c",
        "bad.toml",
        "summary",
        "--month",
        "2026-10",
        "--as-of",
        "2026-11-10",
    ]));
    let e = refused(&o);
    assert!(e.contains("has 3 problems"), "{e}");
    assert!(
        e.contains("`[teams.a]` and `[teams.A]` name one team"),
        "{e}"
    );
    assert!(
        e.contains("`unallocated` is a name govreview reserves"),
        "{e}"
    );
    assert!(
        e.contains("costs as much as") && e.contains("would save nothing"),
        "{e}"
    );
}

#[test]
fn a_copy_with_a_key_more_or_a_model_named_otherwise_is_still_a_copy() {
    let original =
        std::fs::read_to_string(root().join("tests/fixtures/tiny/data/usage.csv")).unwrap();
    // The same rows with an API key column added, and with the models' dated names undated.
    let mut lines = original.lines();
    let header = lines.next().unwrap();
    let keyed: String = std::iter::once(format!("{header},api_key_id"))
        .chain(lines.map(|l| format!("{l},apikey_x")))
        .collect::<Vec<_>>()
        .join("\n");
    let undated = original.replace("-20251101", "").replace("-20251001", "");
    assert_ne!(undated, original);
    for (copy, says) in [
        (keyed, "gives a workspace or API key the other does not"),
        (undated, "both hold usage"),
    ] {
        let (_dir, repo) = fixture("tiny");
        write_files(&repo, &[("data/copy.csv", &copy)]);
        let e = refused(&review(&repo, &["--data", "data/copy.csv"]));
        assert!(
            e.contains("copy.csv") && e.contains(says) && e.contains("counted twice"),
            "{e}"
        );
    }
}

#[test]
fn the_re_check_pass_finds_one_row_written_two_ways_and_links_to_inputs() {
    // One Analytics row given twice, once with a null key left out and the model in capitals.
    let row = usage_row(1);
    let twin = row
        .replace(
            r#""service_tier":"standard""#,
            r#""service_tier":"standard","context_window":null"#,
        )
        .replace("claude-sonnet-4-5", "Claude-Sonnet-4-5");
    assert_ne!(row, twin);
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("govreview.toml", PAGES_CONFIG),
            ("pages/usage-001.json", &page(&[row, twin], None)),
        ],
    );
    let e = refused(&review(dir.path(), &[]));
    assert!(e.contains("counted twice"), "{e}");
    // A Console line repeated with its workspace in other case and a space after.
    let (_d, repo) = fixture("console");
    let p = repo.join("data/console-cost-2026-10.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let second = text
        .lines()
        .nth(1)
        .unwrap()
        .replace(",Support,", ",support ,");
    std::fs::write(&p, format!("{text}{second}\n")).unwrap();
    assert!(refused(&review(&repo, &[])).contains("repeats line 2"));
    // ... and with the model as its ID instead of its display name.
    let by_id = text
        .lines()
        .nth(1)
        .unwrap()
        .replace("Claude Sonnet 4.5", "claude-sonnet-4-5-20250929");
    assert!(by_id.contains("claude-sonnet-4-5-20250929"), "{by_id}");
    std::fs::write(&p, format!("{text}{by_id}\n")).unwrap();
    assert!(refused(&review(&repo, &[])).contains("repeats line 2"));
    // An .eml that is a link to the configuration.
    let (_d, repo) = fixture("tiny");
    assert!(review(&repo, &[]).status.success());
    std::os::unix::fs::symlink("govreview.toml", repo.join("msg.eml")).unwrap();
    let before = std::fs::read(repo.join("govreview.toml")).unwrap();
    let o = email(&repo, "msg.eml");
    assert!(
        refused(&o).contains("a file the review reads"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(repo.join("govreview.toml")).unwrap(), before);
    // A commitment of a fraction of a dollar.
    let (_d, repo) = fixture("tiny");
    let cfg = std::fs::read_to_string(repo.join("govreview.toml")).unwrap();
    write_files(
        &repo,
        &[(
            "govreview.toml",
            &cfg.replace("amount = 3630.0", "amount = 0.001"),
        )],
    );
    assert!(refused(&review(&repo, &[])).contains("a dollar or more"));
}

#[test]
fn the_pack_is_the_same_however_the_data_path_is_spelt() {
    let (_dir, repo) = fixture("tiny");
    let metrics = |data: &str| {
        let _ = std::fs::remove_dir_all(repo.join("reviews/2026-10"));
        let o = review(&repo, &["--data", data]);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(repo.join("reviews/2026-10/metrics.json")).unwrap()
    };
    let plain = metrics("data/usage.csv");
    assert_eq!(metrics("./data/usage.csv"), plain);
    assert_eq!(
        metrics(repo.join("data/usage.csv").to_str().unwrap()),
        plain
    );
}
