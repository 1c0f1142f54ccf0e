//! Reproductions left open by the fifth hostile pass and its re-check: files `init` would create
//! outside the folder through a dangling link, and templates or data that are named pipes (or
//! other non-regular files) skipped without a word.

use std::path::Path;

use crate::util::{fixture, govreview, root, run, stderr};

/// A configuration reading `usage/*`.
const MINI: &str = "[organization]\nname = \"Mini\"\nreview_owner = \"Dana Whitfield\"\n[data]\npaths = [\"usage/*\"]\n";

/// `review` of 2026-10 as of 2026-11-10 in `dir`, quietly, into `out`.
fn review_to(dir: &Path, out: &str) -> std::process::Output {
    run(govreview(dir).args([
        "review",
        "--month",
        "2026-10",
        "--as-of",
        "2026-11-10",
        "-q",
        "--out",
        out,
    ]))
}

fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {p:?}");
}

/// A dangling link among the scaffold's files would make `init` create a file where the link
/// points, outside the folder: refused, every such file named at once, nothing written. A folder
/// where a file belongs is refused too (it was "kept" as if it were the file).
#[test]
fn init_never_writes_through_a_dangling_link_or_keeps_a_folder_for_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(repo.join("reviews")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(outside.join("README.md"), repo.join("README.md")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("actions.toml"),
        repo.join("reviews/actions.toml"),
    )
    .unwrap();
    let o = run(govreview(dir.path()).args(["init", "repo"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    for name in ["README.md", "actions.toml"] {
        assert!(
            err.contains(&format!(
                "repo/{}",
                if name == "README.md" {
                    name.to_owned()
                } else {
                    format!("reviews/{name}")
                }
            )) && err.contains("does not exist"),
            "{err}"
        );
        assert!(!outside.join(name).exists(), "{name} created outside");
    }
    assert!(err.contains("link"), "{err}");
    assert!(
        !repo.join("govreview.toml").exists(),
        "half a scaffold written"
    );

    let other = dir.path().join("other");
    std::fs::create_dir_all(other.join("govreview.toml")).unwrap();
    let o = run(govreview(dir.path()).args(["init", "other"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("govreview.toml") && stderr(&o).contains("is a folder"),
        "{}",
        stderr(&o)
    );
    assert!(!other.join("README.md").exists(), "half a scaffold written");
}

/// A template folder whose `review.md.j2` is a named pipe (or a dangling link) is refused with
/// its name, not replaced by the built-in template without a word (and never opened: a pipe
/// would wait).
#[test]
fn a_template_that_is_not_a_file_is_refused() {
    let (_dir, repo) = fixture("tiny");
    let templates = repo.join("tpl");
    std::fs::create_dir_all(&templates).unwrap();
    mkfifo(&templates.join("review.md.j2"));
    std::os::unix::fs::symlink(templates.join("gone.css"), templates.join("style.css")).unwrap();
    let o = run(govreview(&repo)
        .args([
            "review",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-10",
            "-q",
        ])
        .args(["--templates", "tpl", "--out", "out"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("review.md.j2") && stderr(&o).contains("named pipe"),
        "{}",
        stderr(&o)
    );
    assert!(!repo.join("out/2026-10").exists(), "a pack was written");
}

/// A glob of data.paths, or a folder named there, that holds a named pipe with a data file's
/// name: refused with the pipe's name (it was skipped, its usage silently missing).
#[test]
fn a_data_glob_or_folder_holding_a_pipe_is_refused() {
    for pattern in ["data/*.csv", "data"] {
        let (_dir, repo) = fixture("tiny");
        mkfifo(&repo.join("data/more.csv"));
        let cfg = std::fs::read_to_string(repo.join("govreview.toml")).unwrap();
        let cfg = with_paths(&cfg, pattern);
        std::fs::write(repo.join("govreview.toml"), cfg).unwrap();
        let o = review_to(&repo, "out");
        assert_eq!(o.status.code(), Some(2), "{pattern}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("more.csv") && stderr(&o).contains("named pipe"),
            "{pattern}: {}",
            stderr(&o)
        );
    }
}

/// The config with `paths = [...]` replaced by `paths = ["<pattern>"]`.
fn with_paths(cfg: &str, pattern: &str) -> String {
    let start = cfg.find("paths = [").expect("the fixture names data.paths");
    let end = start + cfg[start..].find(']').unwrap() + 1;
    format!("{}paths = [\"{pattern}\"]{}", &cfg[..start], &cfg[end..])
}

/// An NDJSON count past 64 bits (2^64) is named by its line and column as too large, not as a
/// 128-bit column type to re-export from DuckDB.
#[test]
fn an_ndjson_count_past_64_bits_is_named_by_its_line() {
    let (_dir, repo) = fixture("tiny");
    std::fs::remove_file(repo.join("data/usage.csv")).unwrap();
    std::fs::write(
        repo.join("data/usage.ndjson"),
        concat!(
            "{\"date\":\"2026-10-01\",\"team\":\"a\",\"model\":\"claude-sonnet-4-5\",\"uncached_input_tokens\":5,\"output_tokens\":1}\n",
            "{\"date\":\"2026-10-02\",\"team\":\"a\",\"model\":\"claude-sonnet-4-5\",\"uncached_input_tokens\":7,\"output_tokens\":18446744073709551616}\n",
        ),
    )
    .unwrap();
    let cfg = std::fs::read_to_string(repo.join("govreview.toml")).unwrap();
    std::fs::write(
        repo.join("govreview.toml"),
        with_paths(&cfg, "data/usage.ndjson"),
    )
    .unwrap();
    let o = review_to(&repo, "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("usage.ndjson:2: row 2, column `output_tokens`")
            && err.contains("exceeds the largest count"),
        "{err}"
    );
}

/// A reserved team or app name in the data is named with its row and line, not only the file
/// and column.
#[test]
fn a_reserved_name_in_the_data_is_named_with_its_row() {
    let (_dir, repo) = fixture("tiny");
    let usage = repo.join("data/usage.csv");
    let mut text = std::fs::read_to_string(&usage).unwrap();
    text.push_str("2026-10-20,wrkspc_a,a, (Total) ,claude-sonnet-4-5,standard,1000,0,0,0,10,1\n");
    std::fs::write(&usage, &text).unwrap();
    let rows = text.lines().count() - 1;
    let o = review_to(&repo, "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("usage.csv:{}: row {rows}, column `app`", rows + 1))
            && err.contains("is a name govreview reserves"),
        "{err}"
    );
}

/// The same usage in two files, one with team and app columns, the other with only the workspace
/// an allocation rule gives that team and app: one usage loaded twice, refused as when both
/// files carry the columns (it was summed twice without a word).
#[test]
fn a_copy_allocated_by_rule_to_the_same_team_is_still_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[organization]\nname = \"Mini\"\nreview_owner = \"Dana Whitfield\"\n[data]\npaths = [\"usage/*\"]\n[[allocation]]\nworkspace_id = \"wrkspc_s\"\nteam = \"support\"\napp = \"bot\"\n";
    let tagged = "date,team,app,model,service_tier,uncached_input_tokens,output_tokens,requests\n2026-10-05,support,bot,claude-sonnet-4-5,standard,1000000,1000000,10\n2026-10-06,support,bot,claude-sonnet-4-5,standard,1000000,1000000,10\n";
    let by_workspace = "date,workspace_id,model,service_tier,uncached_input_tokens,output_tokens,requests\n2026-10-05,wrkspc_s,claude-sonnet-4-5,standard,1000000,1000000,10\n2026-10-06,wrkspc_s,claude-sonnet-4-5,standard,1000000,1000000,10\n";
    crate::util::write_files(
        dir.path(),
        &[
            ("govreview.toml", config),
            ("usage/warehouse.csv", tagged),
            ("usage/by-workspace.csv", by_workspace),
        ],
    );
    let o = review_to(dir.path(), "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("by-workspace.csv")
            && err.contains("warehouse.csv")
            && err.contains("team support")
            && err.contains("allocat"),
        "{err}"
    );
    // Another workspace, allocated elsewhere, is other usage.
    crate::util::write_files(
        dir.path(),
        &[(
            "usage/by-workspace.csv",
            &by_workspace.replace("wrkspc_s", "wrkspc_other"),
        )],
    );
    let o = review_to(dir.path(), "out");
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Usage rows that carry their billed cost, and a Console cost export billing the same day,
/// workspace and model: two sources of billed cost for one usage, refused naming both (the
/// export's amount was added as unallocated spend: $18 for a $9 bill).
#[test]
fn billed_cost_given_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    crate::util::write_files(
        dir.path(),
        &[
            ("govreview.toml", MINI),
            (
                "usage/usage-with-cost.csv",
                "date,workspace_id,team,app,model,service_tier,uncached_input_tokens,output_tokens,requests,cost_usd\n2026-10-01,Support,support,bot,claude-sonnet-4-5,standard,2000000,200000,10,9.00\n",
            ),
            (
                "usage/console-cost-2026-10.csv",
                "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed\n2026-10-01,Claude Sonnet 4.5,Support,support-bot,standard,\u{2264} 200k,input_no_cache,6.00,6.00,tokens,global,standard\n2026-10-01,Claude Sonnet 4.5,Support,support-bot,standard,\u{2264} 200k,output,3.00,3.00,tokens,global,standard\n",
            ),
        ],
    );
    let o = review_to(dir.path(), "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("usage-with-cost.csv")
            && err.contains("console-cost-2026-10.csv")
            && err.contains("billed twice"),
        "{err}"
    );
}

/// `init` checks its owner and name as the review checks the configuration: `TBD` is not a
/// person (the next review refused it), a name of thousands of characters is refused (it filled
/// the chat summary); an owner holding a bidirectional control is not a person either.
#[test]
fn init_checks_owner_and_name_as_the_review_does() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(govreview(dir.path()).args(["init", "a", "--name", "Acme", "--owner", "TBD"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("does not name a person"),
        "{}",
        stderr(&o)
    );
    let long = "A".repeat(300);
    let o = run(govreview(dir.path()).args([
        "init",
        "b",
        "--name",
        &long,
        "--owner",
        "Dana Whitfield",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("at most 200 characters"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("a").exists() && !dir.path().join("b").exists());
    // The configuration's name is bounded too.
    let (_d, repo) = fixture("tiny");
    let cfg = std::fs::read_to_string(repo.join("govreview.toml")).unwrap();
    let start = cfg.find("name = ").unwrap();
    let end = start + cfg[start..].find('\n').unwrap();
    std::fs::write(
        repo.join("govreview.toml"),
        format!("{}name = \"{long}\"{}", &cfg[..start], &cfg[end..]),
    )
    .unwrap();
    let o = run(govreview(&repo).args([
        "review",
        "--month",
        "2026-10",
        "--as-of",
        "2026-11-10",
        "-q",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("organization.name") && stderr(&o).contains("at most 200 characters"),
        "{}",
        stderr(&o)
    );
}

/// An owner with a right-to-left override: refused by `actions add`; written by hand into the
/// register, shown written out (`\u{202e}`) in every line the terminal gets (review, check).
#[test]
fn a_bidi_owner_never_reaches_the_terminal_raw() {
    let (_d, repo) = fixture("tiny");
    let o = run(govreview(&repo).args([
        "actions",
        "add",
        "--title",
        "x",
        "--owner",
        "Dana\u{202E}Whitfield",
        "--due",
        "2026-11-01",
        "--as-of",
        "2026-11-10",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run(govreview(&repo).args([
        "actions",
        "add",
        "--title",
        "x",
        "--owner",
        "Ann Example",
        "--due",
        "2026-11-01",
        "--as-of",
        "2026-11-10",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let register = repo.join("reviews/actions.toml");
    let text = std::fs::read_to_string(&register).unwrap();
    std::fs::write(&register, text.replace("Ann Example", "Ann\\u202EExample")).unwrap();
    for args in [
        &["review", "--month", "2026-10", "--as-of", "2026-11-10"][..],
        &["check", "--month", "2026-10", "--as-of", "2026-11-10"][..],
    ] {
        let o = run(govreview(&repo).args(args));
        let all = format!("{}{}", crate::util::stdout(&o), stderr(&o));
        assert!(!all.contains('\u{202E}'), "{args:?}: {all}");
        assert!(all.contains("Ann\\u{202e}Example"), "{args:?}: {all}");
    }
}

/// An output folder that is a file, a device or a link to nothing is named as such (it was "cannot
/// create folder: File exists (os error 17)").
#[test]
fn an_output_folder_that_is_not_one_is_named() {
    let (_d, repo) = fixture("tiny");
    std::fs::write(repo.join("afile"), "x").unwrap();
    std::os::unix::fs::symlink("nowhere", repo.join("dangling")).unwrap();
    for (out, what) in [
        ("afile", "afile is a file, where govreview needs a folder"),
        (
            "dangling",
            "dangling is a link to nowhere, which does not exist",
        ),
    ] {
        let o = run(govreview(&repo).args([
            "review",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-10",
            "-q",
            "--out",
            out,
        ]));
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(what), "{}", stderr(&o));
    }
    let o =
        run(govreview(&repo).args(["init", "/dev/null", "--name", "A", "--owner", "Ann Example"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/dev/null is a device"),
        "{}",
        stderr(&o)
    );
}

/// A folder name with a line break is printed on one line by `init` (written out, and quoted
/// for the shell as `$'...'`), never as two lines.
#[test]
fn init_prints_a_folder_with_a_line_break_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(govreview(dir.path()).args([
        "init",
        "two\nlines",
        "--name",
        "A",
        "--owner",
        "Ann Example",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = crate::util::stdout(&o);
    assert!(
        out.contains("Created a review repository in two\\nlines:"),
        "{out}"
    );
    assert!(out.contains("  cd $'two\\u000alines'\n"), "{out}");
    assert!(!out.contains("two\nlines"), "{out}");
    assert!(dir.path().join("two\nlines/govreview.toml").is_file());
    // A right-to-left override: the cd it suggests works when pasted.
    let o = run(govreview(dir.path()).args([
        "init",
        "bidi\u{202e}folder",
        "--name",
        "A",
        "--owner",
        "Ann Example",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = crate::util::stdout(&o);
    assert!(out.contains("  cd $'bidi\\u202efolder'\n"), "{out}");
    // A folder starting with a dash: the cd is not read as an option.
    let o = run(govreview(dir.path()).args([
        "init",
        "--name",
        "A",
        "--owner",
        "Ann Example",
        "--",
        "-dash",
    ]));
    let out = crate::util::stdout(&o);
    assert!(out.contains("  cd ./-dash\n"), "{out}{}", stderr(&o));
}

/// Two files that name different workspaces (or API keys) hold different usage, whatever columns
/// each has beside: accepted, never refused as a copy (the comparison leaves out only a column one
/// of the two files lacks). A copy that only lacks a column is still refused.
#[test]
fn different_workspaces_or_keys_are_never_a_copy() {
    let head = MINI;
    let rule = "[[allocation]]\nworkspace_id = \"wrkspc_s\"\nteam = \"support\"\napp = \"bot\"\n";
    let row = "2026-10-05,claude-sonnet-4-5,standard,1000000,1000000,10";
    let cases = [
        // Tagged in one, allocated by rule in the other, two workspaces.
        (
            format!("{head}{rule}"),
            "date,workspace_id,team,app,model,service_tier,uncached_input_tokens,output_tokens,requests\n2026-10-05,wrkspc_t,support,bot,claude-sonnet-4-5,standard,1000000,1000000,10\n".to_owned(),
            "date,workspace_id,model,service_tier,uncached_input_tokens,output_tokens,requests\n2026-10-05,wrkspc_s,claude-sonnet-4-5,standard,1000000,1000000,10\n".to_owned(),
            true,
        ),
        // Both give an API key (different), one a workspace too.
        (
            head.to_owned(),
            format!(
                "date,workspace_id,api_key_id,team,app,model,service_tier,uncached_input_tokens,output_tokens,requests\n2026-10-05,w1,k1,support,bot,{}\n",
                &row[11..]
            ),
            format!(
                "date,api_key_id,team,app,model,service_tier,uncached_input_tokens,output_tokens,requests\n2026-10-05,k2,support,bot,{}\n",
                &row[11..]
            ),
            true,
        ),
        // The same API key, one file with the workspace too: a copy.
        (
            head.to_owned(),
            format!(
                "date,workspace_id,api_key_id,team,app,model,service_tier,uncached_input_tokens,output_tokens,requests\n2026-10-05,w1,k1,support,bot,{}\n",
                &row[11..]
            ),
            format!(
                "date,api_key_id,team,app,model,service_tier,uncached_input_tokens,output_tokens,requests\n2026-10-05,k1,support,bot,{}\n",
                &row[11..]
            ),
            false,
        ),
    ];
    for (i, (config, a, b, accepted)) in cases.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        crate::util::write_files(
            dir.path(),
            &[
                ("govreview.toml", config),
                ("usage/a.csv", a),
                ("usage/b.csv", b),
            ],
        );
        let o = review_to(dir.path(), "out");
        if *accepted {
            assert!(o.status.success(), "case {i}: {}", stderr(&o));
        } else {
            assert_eq!(o.status.code(), Some(2), "case {i}");
            assert!(
                stderr(&o).contains("counted twice"),
                "case {i}: {}",
                stderr(&o)
            );
        }
    }
}

/// Billed twice is decided per day: usage carrying cost_usd on days 16-31 and a cost export
/// billing other usage on days 1-15 is one bill each (it was refused); usage carrying cost_usd
/// without a workspace, and a cost export billing that model in a workspace on the same day
/// with no other usage to bill, is refused as billed twice (it was added as unallocated spend).
#[test]
fn billed_twice_is_decided_by_day_and_without_a_workspace_too() {
    let config = MINI;
    let head = "date,workspace_id,team,app,model,service_tier,uncached_input_tokens,output_tokens,requests";
    let console = "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed\n";
    let bill = |d: u32| {
        format!(
            "2026-10-{d:02},Claude Sonnet 4.5,Support,k,standard,\u{2264} 200k,input_no_cache,3.00,3.00,tokens,global,standard\n2026-10-{d:02},Claude Sonnet 4.5,Support,k,standard,\u{2264} 200k,output,1.50,1.50,tokens,global,standard\n"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let early: String = (1..=15)
        .map(|d| {
            format!(
                "2026-10-{d:02},Support,support,bot,claude-sonnet-4-5,standard,1000000,100000,10\n"
            )
        })
        .collect();
    let late: String = (16..=31)
        .map(|d| format!("2026-10-{d:02},Support,support,bot,claude-sonnet-4-5,standard,1000000,100000,10,4.50\n"))
        .collect();
    let costs: String = (1..=15).map(bill).collect();
    crate::util::write_files(
        dir.path(),
        &[
            ("govreview.toml", config),
            ("usage/early.csv", &format!("{head}\n{early}")),
            ("usage/late.csv", &format!("{head},cost_usd\n{late}")),
            ("usage/console-cost.csv", &format!("{console}{costs}")),
        ],
    );
    let o = review_to(dir.path(), "out");
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    assert!(
        (m["spend"].as_f64().unwrap() - 139.5).abs() < 1e-9,
        "{}",
        m["spend"]
    );

    let dir = tempfile::tempdir().unwrap();
    crate::util::write_files(
        dir.path(),
        &[
            ("govreview.toml", config),
            (
                "usage/a.csv",
                "date,team,app,model,service_tier,uncached_input_tokens,output_tokens,requests,cost_usd\n2026-10-05,support,bot,claude-sonnet-4-5,standard,1000000,100000,10,4.50\n",
            ),
            ("usage/console-cost.csv", &format!("{console}{}", bill(5))),
        ],
    );
    let o = review_to(dir.path(), "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("counted twice") && stderr(&o).contains("without a workspace"),
        "{}",
        stderr(&o)
    );
}

/// A credit the cost data marks is not a discount: the reconciliation of billed against
/// computed cost leaves it out (it read "differs by -27.8% ... the difference is the discount
/// received") and shows it beside the cell.
#[test]
fn a_credit_is_not_read_as_a_discount() {
    let (_dir, repo) = fixture("credit");
    let o = review_to(&repo, "out");
    assert!(o.status.success(), "{}", stderr(&o));
    let review = std::fs::read_to_string(repo.join("out/2026-10/review.md")).unwrap();
    assert!(review.contains("| Credits | -$5.00 |"), "{review}");
    assert!(
        !review.contains("differs from the computed cost"),
        "{review}"
    );
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("out/2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    let cell = &m["data"]["reconciliation_cells"][0];
    assert_eq!(cell["credits"], -5.0);
    assert_eq!(cell["difference"], 0.0);
    // A credit that names its model is no gap in list prices either.
    let cost = repo.join("usage/cost-001.json");
    let text = std::fs::read_to_string(&cost).unwrap();
    let named = text.replacen(
        "\"model\": null",
        "\"model\": \"claude-sonnet-4-5-20250929\"",
        1,
    );
    assert_ne!(named, text);
    std::fs::write(&cost, &named).unwrap();
    let o = review_to(&repo, "out1");
    assert!(o.status.success(), "{}", stderr(&o));
    let review = std::fs::read_to_string(repo.join("out1/2026-10/review.md")).unwrap();
    assert!(!review.contains("differs from the price table"), "{review}");
    assert!(
        !review.contains("differs from the computed cost"),
        "{review}"
    );
    std::fs::write(&cost, &text).unwrap();
    // A credit for a workspace without usage is named as a credit, not as usage to add.
    let cost = repo.join("usage/cost-001.json");
    let text = std::fs::read_to_string(&cost).unwrap();
    let (head, credit) = text.split_at(text.find("\"cost_type\": \"credit\"").unwrap());
    let start = head.rfind("\"workspace_id\": \"wrkspc_support\"").unwrap();
    let moved = format!(
        "{}\"workspace_id\": \"wrkspc_x\"{}{credit}",
        &head[..start],
        &head[start + "\"workspace_id\": \"wrkspc_support\"".len()..]
    );
    std::fs::write(&cost, moved).unwrap();
    let o = review_to(&repo, "out2");
    assert!(o.status.success(), "{}", stderr(&o));
    let review = std::fs::read_to_string(repo.join("out2/2026-10/review.md")).unwrap();
    assert!(review.contains("A credit of -$5.00"), "{review}");
    assert!(!review.contains("add that usage"), "{review}");
}

/// A month that saved API pages cover without usage is named as such (it was "the data is
/// empty ... add that month's files", though the files were there).
#[test]
fn a_quiet_month_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let page = |report: &str| {
        format!(
            "{{\"data\": [], \"has_more\": false, \"next_page\": null, \"govreview\": {{\"cursor\": null, \"starting_at\": \"2026-10-01T00:00:00Z\", \"ending_at\": \"2026-11-01T00:00:00Z\", \"fetched_on\": \"2026-11-10\", \"report\": \"{report}\"}}}}\n"
        )
    };
    crate::util::write_files(
        dir.path(),
        &[
            (
                "govreview.toml",
                "[organization]\nname = \"Mini\"\nreview_owner = \"Dana Whitfield\"\n[data]\npaths = [\"data/**/*.json\"]\n",
            ),
            ("data/2026-10/usage-001.json", &page("usage")),
            ("data/2026-10/cost-001.json", &page("cost")),
        ],
    );
    let o = review_to(dir.path(), "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .contains("2026-10 has no usage: the data covers 31 of its days and records none"),
        "{}",
        stderr(&o)
    );
}

/// A cost report bills the usage of the days it covers: usage of the same workspace and model
/// on other days keeps its computed cost (the report's $255 for days 1-15 replaced the computed
/// cost of days 16-31 too: $255 for a $543 month).
#[test]
fn a_cost_report_bills_only_the_days_it_covers() {
    let dir = tempfile::tempdir().unwrap();
    let mut usage = Vec::new();
    let mut cost = Vec::new();
    for d in 1..=15 {
        let (st, en) = (
            format!("2026-10-{d:02}T00:00:00Z"),
            format!("2026-10-{:02}T00:00:00Z", d + 1),
        );
        usage.push(serde_json::json!({"starting_at": st, "ending_at": en,
            "group": {"model": "claude-sonnet-4-5-20250929", "service_tier": "standard", "workspace_id": "wrkspc_s", "api_key_id": null},
            "usage": {"uncached_input_tokens": 1000000, "output_tokens": 1000000, "requests": 10}}));
        cost.push(serde_json::json!({"starting_at": st, "ending_at": en,
            "group": {"model": "claude-sonnet-4-5-20250929", "service_tier": "standard", "workspace_id": "wrkspc_s", "cost_type": "tokens", "token_type": null},
            "cost": {"amount": "1700.00", "list_amount": "1800.00", "currency": "USD"}}));
    }
    let page = |data: Vec<serde_json::Value>| {
        serde_json::json!({"data": data, "has_more": false, "next_page": null}).to_string()
    };
    let late: String = (16..=31)
        .map(|d| format!("2026-10-{d:02},wrkspc_s,claude-sonnet-4-5,standard,1000000,1000000,10\n"))
        .collect();
    crate::util::write_files(
        dir.path(),
        &[
            ("govreview.toml", MINI),
            ("usage/usage-001.json", &page(usage)),
            ("usage/cost-001.json", &page(cost)),
            (
                "usage/late.csv",
                &format!(
                    "date,workspace_id,model,service_tier,uncached_input_tokens,output_tokens,requests\n{late}"
                ),
            ),
        ],
    );
    let o = review_to(dir.path(), "out");
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    // Days 1-15 billed at $17, days 16-31 computed at $18 (1M input at $3, 1M output at $15).
    assert!(
        (m["spend"].as_f64().unwrap() - 543.0).abs() < 1e-6,
        "{}",
        m["spend"]
    );
}

/// Two files are a copy only on a day both hold: a backfill of one day missing from the main
/// file is other usage, not a copy (the check compared the files' first-to-last spans).
#[test]
fn a_backfill_of_a_missing_day_is_not_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let head =
        "date,workspace_id,model,service_tier,uncached_input_tokens,output_tokens,requests\n";
    let day =
        |d: u32| format!("2026-10-{d:02},wrkspc_a,claude-sonnet-4-5,standard,1000000,1000000,10\n");
    let main: String = (1..=31).filter(|d| *d != 5).map(day).collect();
    crate::util::write_files(
        dir.path(),
        &[
            ("govreview.toml", MINI),
            ("usage/main.csv", &format!("{head}{main}")),
            ("usage/backfill.csv", &format!("{head}{}", day(5))),
        ],
    );
    let review = || review_to(dir.path(), "out");
    let o = review();
    assert!(o.status.success(), "{}", stderr(&o));
    // The same day in both: a copy, named by that day.
    crate::util::write_files(
        dir.path(),
        &[("usage/backfill.csv", &format!("{head}{}", day(6)))],
    );
    let o = review();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("for 2026-10-06..2026-10-06"),
        "{}",
        stderr(&o)
    );
}

/// A legacy cost_report page of the days in October, billing Sonnet in `ws` (or the default
/// workspace) at `cents` a day.
fn legacy_cost(ws: Option<&str>, cents: &str) -> String {
    let data: Vec<serde_json::Value> = (1..=31)
        .map(|d| {
            let end = if d < 31 {
                format!("2026-10-{:02}T00:00:00Z", d + 1)
            } else {
                "2026-11-01T00:00:00Z".to_owned()
            };
            serde_json::json!({"starting_at": format!("2026-10-{d:02}T00:00:00Z"), "ending_at": end, "results": [
                {"amount": cents, "currency": "USD", "cost_type": "tokens", "description": "Claude Sonnet 4.5 Usage - Input Tokens",
                 "model": "claude-sonnet-4-5-20250929", "service_tier": "standard", "token_type": "uncached_input_tokens",
                 "context_window": "0-200k", "workspace_id": ws}]})
        })
        .collect();
    serde_json::json!({"data": data, "has_more": false, "next_page": null}).to_string()
}

/// Two sources of billed cost for one model and day are the same bill loaded twice, whatever
/// their formats: Analytics cost pages beside a legacy cost_report of the same workspace (was
/// summed: $104.42 -> $126.74). Usage without a workspace column beside a cost report of a
/// workspace: the bill cannot be matched to the usage (it was added on top as unallocated).
#[test]
fn two_cost_sources_of_one_bill_are_refused() {
    let (_dir, repo) = fixture("analytics-api");
    std::fs::write(
        repo.join("data/2026-10/legacy-cost.json"),
        legacy_cost(Some("wrkspc_support"), "72"),
    )
    .unwrap();
    let o = review_to(&repo, "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("legacy-cost.json")
            && stderr(&o).contains("two sources of billed cost"),
        "{}",
        stderr(&o)
    );

    let dir = tempfile::tempdir().unwrap();
    let usage: String = (1..=31)
        .map(|d| format!("2026-10-{d:02},t1,a1,claude-sonnet-4-5-20250929,standard,1000000,0,10\n"))
        .collect();
    crate::util::write_files(
        dir.path(),
        &[
            ("govreview.toml", MINI),
            (
                "usage/usage.csv",
                &format!(
                    "date,team,app,model,service_tier,uncached_input_tokens,output_tokens,requests\n{usage}"
                ),
            ),
            ("usage/cost.json", &legacy_cost(Some("wrkspc_a"), "250")),
        ],
    );
    let o = review_to(dir.path(), "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("without a workspace") && stderr(&o).contains("usage.csv"),
        "{}",
        stderr(&o)
    );
}

/// The last pass's double counts: a cost without a model (web search) billed by two formats; the
/// same format's cost pages in two folders, grouped differently; a Console usage export beside
/// the API's usage pages of the same days (workspace names against IDs). Each refused.
#[test]
fn bills_and_usage_given_by_two_sources_are_refused() {
    // The analytics-api fixture's cost page again in another folder, grouped by token type.
    let (_dir, repo) = fixture("analytics-api");
    let cfg = std::fs::read_to_string(repo.join("govreview.toml")).unwrap();
    std::fs::write(
        repo.join("govreview.toml"),
        cfg.replace("paths = [\"data/2026-10\"]", "paths = [\"data/**/*.json\"]"),
    )
    .unwrap();
    let cost = std::fs::read_to_string(repo.join("data/2026-10/cost-001.json")).unwrap();
    std::fs::create_dir_all(repo.join("data/refetch")).unwrap();
    std::fs::write(
        repo.join("data/refetch/cost-001.json"),
        cost.replace("\"token_type\": null", "\"token_type\": \"output_tokens\""),
    )
    .unwrap();
    let o = review_to(&repo, "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("two sources of billed cost"),
        "{}",
        stderr(&o)
    );

    // Web search without a model, in the legacy report beside the Analytics cost page.
    std::fs::remove_dir_all(repo.join("data/refetch")).unwrap();
    let web: Vec<serde_json::Value> = (1..=31)
        .map(|d| {
            let end = if d < 31 {
                format!("2026-10-{:02}T00:00:00Z", d + 1)
            } else {
                "2026-11-01T00:00:00Z".to_owned()
            };
            serde_json::json!({"starting_at": format!("2026-10-{d:02}T00:00:00Z"), "ending_at": end, "results": [
                {"amount": "100", "currency": "USD", "cost_type": "web_search", "description": "Web Search", "model": null, "workspace_id": "wrkspc_a"}]})
        })
        .collect();
    let analytics_web: Vec<serde_json::Value> = (1..=31)
        .map(|d| {
            let end = if d < 31 {
                format!("2026-10-{:02}T00:00:00Z", d + 1)
            } else {
                "2026-11-01T00:00:00Z".to_owned()
            };
            serde_json::json!({"starting_at": format!("2026-10-{d:02}T00:00:00Z"), "ending_at": end,
                "group": {"model": null, "workspace_id": "wrkspc_a", "cost_type": "web_search", "token_type": null},
                "cost": {"amount": "100", "list_amount": "100", "currency": "USD"}})
        })
        .collect();
    std::fs::create_dir_all(repo.join("data/web")).unwrap();
    let page = |data: Vec<serde_json::Value>| {
        serde_json::json!({"data": data, "has_more": false, "next_page": null}).to_string()
    };
    std::fs::write(repo.join("data/web/cost-001.json"), page(analytics_web)).unwrap();
    std::fs::create_dir_all(repo.join("data/legacy")).unwrap();
    std::fs::write(repo.join("data/legacy/cost-report.json"), page(web)).unwrap();
    let o = review_to(&repo, "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("web_search (no model)"),
        "{}",
        stderr(&o)
    );

    // The console fixture's usage export beside the analytics-api fixture's usage pages.
    let dir = tempfile::tempdir().unwrap();
    crate::util::write_files(
        dir.path(),
        &[
            ("govreview.toml", MINI),
            (
                "usage/console-usage-2026-10.csv",
                &std::fs::read_to_string(
                    root().join("tests/fixtures/console/data/console-usage-2026-10.csv"),
                )
                .unwrap(),
            ),
        ],
    );
    for f in ["usage-001.json", "usage-002.json"] {
        std::fs::copy(
            root()
                .join("tests/fixtures/analytics-api/data/2026-10")
                .join(f),
            dir.path().join("usage").join(f),
        )
        .unwrap();
    }
    let o = review_to(dir.path(), "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a Console usage export and the API's report"),
        "{}",
        stderr(&o)
    );
}

/// Cost rows that differ in a dimension the record keeps beside the model (an API key, a
/// context window) are different costs: Console cost exports downloaded per API key, and cost
/// pages of one walk splitting a day by context window, are accepted (both were refused). A
/// report not grouped by model beside one grouped by model is the same bill (it was summed).
#[test]
fn cost_rows_are_told_apart_by_all_their_dimensions() {
    let console = "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed\n";
    let usage_head = "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens,web_search_count,inference_geo,speed\n";
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![(
        "govreview.toml".to_owned(),
        MINI.replace("usage/*", "usage/**/*.csv"),
    )];
    for k in ["bot-a", "bot-b"] {
        let usage: String = (1..=31)
            .map(|d| format!("2026-10-{d:02},claude-sonnet-4-5-20250929,{k},Support,standard,\u{2264} 200k,1000000,0,0,0,0,0,global,standard\n"))
            .collect();
        let cost: String = (1..=31)
            .map(|d| format!("2026-10-{d:02},Claude Sonnet 4.5,Support,{k},standard,\u{2264} 200k,input_no_cache,3.00,3.00,tokens,global,standard\n"))
            .collect();
        files.push((
            format!("usage/console-usage-2026-10-{k}.csv"),
            format!("{usage_head}{usage}"),
        ));
        // Each key's cost export in a folder of its own.
        files.push((
            format!("usage/{k}/console-cost-2026-10.csv"),
            format!("{console}{cost}"),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    crate::util::write_files(dir.path(), &refs);
    let o = review_to(dir.path(), "out");
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    assert!(
        (m["spend"].as_f64().unwrap() - 186.0).abs() < 1e-9,
        "{}",
        m["spend"]
    );

    // A legacy report not grouped by model or description beside the Analytics cost pages.
    let (_dir, repo) = fixture("analytics-api");
    let ungrouped = legacy_cost(Some("wrkspc_support"), "72")
        .replace("\"model\":\"claude-sonnet-4-5-20250929\"", "\"model\":null")
        .replace(
            "\"description\":\"Claude Sonnet 4.5 Usage - Input Tokens\"",
            "\"description\":null",
        )
        .replace("\"cost_type\":\"tokens\"", "\"cost_type\":null");
    assert!(ungrouped.contains("\"model\":null"), "{ungrouped}");
    std::fs::write(repo.join("data/2026-10/legacy-cost.json"), ungrouped).unwrap();
    let o = review_to(&repo, "out");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("two sources of billed cost"),
        "{}",
        stderr(&o)
    );
}

/// A credit saved apart from the token bill it is set against is no second bill (it was refused);
/// a page of workspace totals beside per-model pages in the same folder is the same bill (it was
/// summed).
#[test]
fn a_credit_apart_is_no_second_bill_and_totals_beside_models_are() {
    let (_dir, repo) = fixture("credit");
    let cfg = std::fs::read_to_string(repo.join("govreview.toml")).unwrap();
    std::fs::write(
        repo.join("govreview.toml"),
        cfg.replace("paths = [\"usage/*\"]", "paths = [\"usage/**/*.json\"]"),
    )
    .unwrap();
    let path = repo.join("usage/cost-001.json");
    let mut page: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut credit = page["data"][1].clone();
    credit["group"]["model"] = "claude-sonnet-4-5-20250929".into();
    page["data"].as_array_mut().unwrap().truncate(1);
    let tokens = page.clone();
    std::fs::write(&path, tokens.to_string()).unwrap();
    std::fs::create_dir_all(repo.join("usage/credits")).unwrap();
    page["data"] = serde_json::json!([credit]);
    std::fs::write(repo.join("usage/credits/cost-001.json"), page.to_string()).unwrap();
    let o = review_to(&repo, "out");
    assert!(o.status.success(), "{}", stderr(&o));
    // Workspace totals (no model, no cost type) of the same day, in the token pages' folder.
    let mut totals = tokens.clone();
    totals["data"][0]["group"]["model"] = serde_json::Value::Null;
    totals["data"][0]["group"]["cost_type"] = serde_json::Value::Null;
    std::fs::write(repo.join("usage/cost-002.json"), totals.to_string()).unwrap();
    let o = review_to(&repo, "out2");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("two sources of billed cost"),
        "{}",
        stderr(&o)
    );
}
