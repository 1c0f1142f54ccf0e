//! The third hostile audit's reproductions: money never silently wrong, files and keys never
//! leak, every hostile input gets a clear answer (exit 2, the file, the row or key, the fix).

use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use crate::util::{govreview, run, stderr, stdout, write_files};

const CONFIG: &str = r#"[organization]
name = "Acme"
review_owner = "Dana Whitfield"

[data]
paths = ["usage.csv"]
"#;

/// Runs `govreview review` for 2026-10 in a folder holding `files`; returns stderr after
/// checking exit code 2 and that no pack was written.
fn fails(files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    fails_in(dir.path(), &[])
}

fn fails_in(dir: &Path, extra: &[&str]) -> String {
    let o = run(govreview(dir)
        .args(["review", "--month", "2026-10", "--as-of", "2026-11-10"])
        .args(extra));
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {}\nstderr: {}",
        stdout(&o),
        stderr(&o)
    );
    assert!(
        !dir.join("reviews/2026-10").exists(),
        "nothing may be written on error"
    );
    stderr(&o)
}

/// The same rows as CSV (the fast path) and as NDJSON (the general query): both must refuse.
fn fails_both_ways(header: &str, rows: &[&str]) -> [String; 2] {
    let csv = format!("{header}\n{}\n", rows.join("\n"));
    let names: Vec<&str> = header.split(',').collect();
    let ndjson: String = rows
        .iter()
        .map(|r| {
            let fields: Vec<String> = names
                .iter()
                .zip(r.split(','))
                .map(|(n, v)| {
                    let number =
                        serde_json::from_str::<serde_json::Value>(v).is_ok_and(|j| j.is_number());
                    let json = if number && !v.starts_with(' ') {
                        v.to_owned()
                    } else {
                        format!("\"{v}\"")
                    };
                    format!("\"{n}\": {json}")
                })
                .collect();
            format!("{{{}}}\n", fields.join(", "))
        })
        .collect();
    let ndjson_cfg = CONFIG.replace("usage.csv", "usage.ndjson");
    [
        fails(&[("govreview.toml", CONFIG), ("usage.csv", &csv)]),
        fails(&[("govreview.toml", &ndjson_cfg), ("usage.ndjson", &ndjson)]),
    ]
}

#[test]
fn the_messages_api_column_names_are_refused_with_the_mapping_to_write() {
    for (alias, canonical) in [
        ("input_tokens", "uncached_input_tokens"),
        ("prompt_tokens", "uncached_input_tokens"),
        ("completion_tokens", "output_tokens"),
    ] {
        let header = if alias == "completion_tokens" {
            format!("date,model,team,uncached_input_tokens,{alias}")
        } else {
            format!("date,model,team,{alias},output_tokens")
        };
        for e in fails_both_ways(
            &header,
            &[
                "2026-10-01,claude-sonnet-4-5,a,900000000,1000",
                "2026-10-02,claude-sonnet-4-5,a,900000000,1000",
            ],
        ) {
            assert!(
                e.contains(&format!("`{alias}`")) && e.contains(&format!("`{canonical}`")),
                "{alias}: {e}"
            );
            assert!(e.contains("usage."), "names the file: {e}");
        }
    }
    // The API's nested object of cache writes in JSON lines: refused, not read as 0 writes.
    let e = fails(&[
        ("govreview.toml", &CONFIG.replace("usage.csv", "u.ndjson")),
        (
            "u.ndjson",
            "{\"date\":\"2026-10-01\",\"model\":\"claude-sonnet-4-5\",\"output_tokens\":1,\"cache_creation\":{\"ephemeral_5m_input_tokens\":2000000}}\n",
        ),
    ]);
    assert!(
        e.contains("column `cache_creation`") && e.contains("cache_creation_5m_input_tokens"),
        "{e}"
    );
}

#[test]
fn a_file_without_any_token_column_is_refused() {
    for e in fails_both_ways(
        "date,model,team,tokens",
        &["2026-10-01,claude-sonnet-4-5,a,5"],
    ) {
        assert!(
            e.contains("none of the token columns") && e.contains("uncached_input_tokens"),
            "{e}"
        );
    }
}

#[test]
fn an_empty_token_count_is_an_error_never_zero() {
    let header = "date,model,team,uncached_input_tokens,output_tokens";
    let e = fails(&[
        ("govreview.toml", CONFIG),
        (
            "usage.csv",
            &format!(
                "{header}\n2026-10-01,claude-sonnet-4-5,a,1000,10\n2026-10-02,claude-sonnet-4-5,a,,10\n"
            ),
        ),
    ]);
    assert!(
        e.contains("usage.csv:3: row 2, column `uncached_input_tokens`")
            && e.contains("0 where there were none"),
        "{e}"
    );
    // In JSON lines, a null (a key left out of a line counts as 0, as in the API's rows).
    let first = r#"{"date":"2026-10-01","model":"claude-sonnet-4-5","team":"a","uncached_input_tokens":5,"output_tokens":10}"#;
    let second = r#"{"date":"2026-10-02","model":"claude-sonnet-4-5","team":"a","uncached_input_tokens":null,"output_tokens":10}"#;
    let e = fails(&[
        ("govreview.toml", &CONFIG.replace("usage.csv", "u.ndjson")),
        ("u.ndjson", &format!("{first}\n{second}\n")),
    ]);
    assert!(
        e.contains("u.ndjson:2: row 2, column `uncached_input_tokens`: is null")
            && e.contains("never read as 0"),
        "{e}"
    );
}

#[test]
fn a_list_or_object_where_a_value_belongs_names_its_line() {
    let first = r#"{"date":"2026-10-01","model":"claude-sonnet-4-5","team":"a","uncached_input_tokens":5,"output_tokens":10}"#;
    for (value, says) in [
        ("[1,2]", "holds a list (`[1,2]`)"),
        (r#"{"n":1}"#, r#"holds an object (`{"n":1}`)"#),
    ] {
        for on_first in [false, true] {
            let second = format!(
                r#"{{"date":"2026-10-02","model":"claude-sonnet-4-5","team":"a","uncached_input_tokens":{value},"output_tokens":10}}"#
            );
            let (a, b, row) = if on_first {
                (second.as_str(), first, 1)
            } else {
                (first, second.as_str(), 2)
            };
            let e = fails(&[
                ("govreview.toml", &CONFIG.replace("usage.csv", "u.ndjson")),
                ("u.ndjson", &format!("{a}\n{b}\n")),
            ]);
            assert!(
                e.contains(&format!(
                    "u.ndjson:{row}: row {row}, column `uncached_input_tokens`"
                )) && e.contains(says),
                "{e}"
            );
        }
    }
}

#[test]
fn a_billed_cost_that_is_not_an_amount_in_range_is_an_error_never_zero() {
    let header = "date,model,team,uncached_input_tokens,output_tokens,cost_usd";
    for (value, says) in [
        ("NaN", "not a finite amount"),
        ("inf", "not a finite amount"),
        ("-inf", "not a finite amount"),
        ("1e40", "largest billed cost"),
        ("99999999999", "largest billed cost"),
        ("92233720368", "largest billed cost"),
        ("-720000", "negative"),
    ] {
        for e in fails_both_ways(
            header,
            &[
                "2026-10-01,claude-sonnet-4-5,a,1000,10,1.5",
                &format!("2026-10-02,claude-sonnet-4-5,a,1000,10,{value}"),
            ],
        ) {
            assert!(
                e.contains("row 2") && e.contains("cost_usd") && e.contains(says),
                "{value}: {e}"
            );
        }
    }
}

#[test]
fn poorly_written_numbers_get_a_message_that_names_the_real_cause() {
    let header = "date,model,team,uncached_input_tokens,output_tokens,cost_usd";
    let [csv, ndjson] = fails_both_ways(header, &["2026-10-01,claude-sonnet-4-5,a,1000,10, 150"]);
    for e in [csv, ndjson] {
        assert!(e.contains("spaces"), "{e}");
        assert!(!e.contains("largest"), "{e}");
    }
    let e = fails(&[
        ("govreview.toml", CONFIG),
        (
            "usage.csv",
            "date,model,team,uncached_input_tokens,output_tokens\n2026-10-01,claude-sonnet-4-5,a,2e4,10\n",
        ),
    ]);
    assert!(
        e.contains("scientific notation") && e.contains("20000"),
        "{e}"
    );
}

fn analytics_pages(usage_rows: &[&str], cost_rows: &[&str]) -> Vec<(String, String)> {
    let page = |rows: &[&str]| format!(r#"{{"data":[{}],"has_more":false}}"#, rows.join(","));
    vec![
        (
            "govreview.toml".into(),
            CONFIG.replace("usage.csv", "pages"),
        ),
        ("pages/usage-001.json".into(), page(usage_rows)),
        ("pages/cost-001.json".into(), page(cost_rows)),
    ]
}

const USAGE_ROW: &str = r#"{"starting_at":"2026-10-01T00:00:00Z","ending_at":"2026-10-02T00:00:00Z","group":{"model":"claude-sonnet-4-5"},"usage":{"uncached_input_tokens":1000000,"output_tokens":1000}}"#;

fn cost_row(amount: &str, cost_type: &str) -> String {
    format!(
        r#"{{"starting_at":"2026-10-01T00:00:00Z","ending_at":"2026-10-02T00:00:00Z","group":{{"model":"claude-sonnet-4-5","cost_type":"{cost_type}"}},"cost":{{"amount":"{amount}","currency":"USD"}}}}"#
    )
}

fn files_of(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[test]
fn a_negative_billed_amount_is_refused_unless_its_source_marks_it_a_credit() {
    let neg = cost_row("-72000000", "tokens");
    let e = fails(&files_of(&analytics_pages(&[USAGE_ROW], &[&neg])));
    assert!(
        e.contains("pages/cost-001.json")
            && e.contains("data[0].cost.amount")
            && e.contains("not marked as a credit"),
        "{e}"
    );
    // Two amounts each at the largest decimal: refused as they are read (no panic, exit 2).
    let huge = cost_row("79228162514264337593543950335", "tokens");
    let e = fails(&files_of(&analytics_pages(&[USAGE_ROW], &[&huge, &huge])));
    assert!(e.contains("largest amount"), "{e}");
    // A credit the source marks as one is read, and the month's spend is lowered by it.
    let dir = tempfile::tempdir().unwrap();
    let charge = cost_row("500", "tokens");
    let credit = cost_row("-200", "credit");
    let pages = analytics_pages(&[USAGE_ROW], &[&charge, &credit]);
    write_files(dir.path(), &files_of(&pages));
    let o =
        run(govreview(dir.path()).args(["review", "--month", "2026-10", "--as-of", "2026-11-10"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let metrics = std::fs::read_to_string(dir.path().join("reviews/2026-10/metrics.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&metrics).unwrap();
    assert_eq!(
        v["kpis"]["spend"]["value"].as_f64(),
        Some(3.0),
        "{}",
        &metrics[..metrics.len().min(2000)]
    );
    // A credit written as a positive amount would raise the bill: refused.
    let up = cost_row("200", "credit");
    let e = fails(&files_of(&analytics_pages(&[USAGE_ROW], &[&charge, &up])));
    assert!(e.contains("positive on a row marked as a credit"), "{e}");
    // Credits beyond the month's charges: read, and the review says the spend is negative.
    let dir = tempfile::tempdir().unwrap();
    let big = cost_row("-90000", "credit");
    write_files(
        dir.path(),
        &files_of(&analytics_pages(&[USAGE_ROW], &[&charge, &big])),
    );
    let o =
        run(govreview(dir.path()).args(["review", "--month", "2026-10", "--as-of", "2026-11-10"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("This month's spend is negative"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn absurd_prices_and_amounts_in_the_config_are_refused_all_at_once() {
    let cfg = format!(
        "{CONFIG}\n[pricing.models.\"claude-sonnet-4-5\"]\ninput = 1e25\n\n[targets]\nmax_monthly_spend = 1e300\n\n[commitment]\namount = 1e300\nstart = 2026-01-01\nend = 2026-12-31\n"
    );
    let e = fails(&[
        ("govreview.toml", &cfg),
        (
            "usage.csv",
            "date,model,team,uncached_input_tokens,output_tokens\n2026-10-01,claude-sonnet-4-5,a,1000,10\n",
        ),
    ]);
    assert!(e.contains("has 3 problems"), "{e}");
    assert!(
        e.contains("pricing.models.claude-sonnet-4-5.input") || e.contains("input"),
        "{e}"
    );
    assert!(e.contains("$10,000 per million tokens"), "{e}");
    assert!(
        e.contains("commitment.amount") && e.contains("more than govreview accepts"),
        "{e}"
    );
    assert!(
        !e.contains("340282366920938463463374607431768211455"),
        "{e}"
    );
}

#[test]
fn a_page_copied_in_its_folder_or_a_walk_missing_its_next_page_is_refused() {
    let mut pages = analytics_pages(&[USAGE_ROW], &[&cost_row("500", "tokens")]);
    let copy = pages[1].1.clone();
    pages.push(("pages/usage-002.json".into(), copy));
    let e = fails(&files_of(&pages));
    assert!(
        e.contains("usage-001.json") && e.contains("usage-002.json") && e.contains("same rows"),
        "{e}"
    );
    let mut pages = analytics_pages(&[USAGE_ROW], &[&cost_row("500", "tokens")]);
    pages[1].1 = pages[1].1.replace(
        r#""has_more":false"#,
        r#""has_more":true,"next_page":"cursor_p2""#,
    );
    let e = fails(&files_of(&pages));
    assert!(
        e.contains("pages/usage-001.json")
            && e.contains("usage-002.json")
            && e.contains("cursor_p2")
            && e.contains("days without usage"),
        "{e}"
    );
}

/// The tiny fixture as a review repository in `dir/repo`.
fn tiny_repo(dir: &Path) -> std::path::PathBuf {
    let r = dir.join("repo");
    let root = crate::util::root();
    let cfg = std::fs::read_to_string(root.join("tests/fixtures/tiny/govreview.toml")).unwrap();
    write_files(&r, &[("govreview.toml", &cfg)]);
    std::fs::create_dir_all(r.join("data")).unwrap();
    std::fs::copy(
        root.join("tests/fixtures/tiny/data/usage.csv"),
        r.join("data/usage.csv"),
    )
    .unwrap();
    r
}

fn review_in(repo: &Path) -> std::process::Output {
    run(govreview(repo).args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"]))
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
#[test]
fn files_are_written_where_links_point_never_replacing_what_is_not_a_writable_file() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = tempfile::tempdir().unwrap();
    let repo = tiny_repo(dir.path());
    // A register shared through a link: the link stays, the shared file gets the actions.
    std::fs::create_dir_all(repo.join("reviews")).unwrap();
    std::fs::create_dir_all(dir.path().join("shared")).unwrap();
    let shared = dir.path().join("shared/actions.toml");
    std::fs::write(&shared, "# the shared register\n").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
    symlink(
        "../../shared/actions.toml",
        repo.join("reviews/actions.toml"),
    )
    .unwrap();
    let o = review_in(&repo);
    assert!(o.status.success(), "{}", stderr(&o));
    let link = std::fs::symlink_metadata(repo.join("reviews/actions.toml")).unwrap();
    assert!(link.file_type().is_symlink(), "the link stays a link");
    let text = std::fs::read_to_string(&shared).unwrap();
    assert!(
        text.contains("# the shared register") && text.contains("A-0001"),
        "{text}"
    );
    assert_eq!(mode(&shared), 0o640, "the file's mode is kept");
    // A read-only register is refused, named with its mode, and left as it was.
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&shared).unwrap();
    let o = run(govreview(&repo).args([
        "actions",
        "add",
        "--title",
        "Check the cache",
        "--owner",
        "Ann Example",
        "--due",
        "2026-12-01",
        "--as-of",
        "2026-11-10",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is read-only (mode 0444)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&shared).unwrap(), before);
    assert_eq!(mode(&shared), 0o444);
    // A named pipe is refused, not replaced.
    let fifo = dir.path().join("pipe.eml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = review_in(&repo);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(govreview(&repo)
        .args([
            "email",
            "-m",
            "2026-10",
            "--from",
            "f@example.com",
            "--to",
            "t@example.com",
        ])
        .arg("--eml")
        .arg(&fifo));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is a named pipe"), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[cfg(unix)]
#[test]
fn export_outputs_are_checked_distinct_links_written_through_and_stale_temps_removed() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let repo = tiny_repo(dir.path());
    let export = |args: &[&str]| {
        run(govreview(&repo)
            .args(["export", "-m", "2026-10", "--as-of", "2026-11-10"])
            .args(args))
    };
    let o = export(&["--focus", "same.csv", "--chargeback", "./same.csv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("are the same file"), "{}", stderr(&o));
    assert!(!repo.join("same.csv").exists(), "nothing written");
    // A link to the chargeback file: written through, the link kept.
    std::fs::create_dir_all(repo.join("out")).unwrap();
    std::fs::write(repo.join("out/real.csv"), "old\n").unwrap();
    symlink("out/real.csv", repo.join("link.csv")).unwrap();
    // What a killed run left beside it (a process that is no longer running).
    std::fs::write(repo.join("out/.real.csv.tmp-999999999"), "half").unwrap();
    std::fs::write(repo.join("out/.real.csv.tmp-999999998-3"), "half").unwrap();
    let o = export(&["--chargeback", "link.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(repo.join("link.csv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let text = std::fs::read_to_string(repo.join("out/real.csv")).unwrap();
    assert!(text.starts_with("month,"), "{text}");
    let left: Vec<String> = std::fs::read_dir(repo.join("out"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["real.csv"], "stale temporary files are removed");
}

fn register_problem(repo: &Path, register: &str) -> String {
    std::fs::create_dir_all(repo.join("reviews")).unwrap();
    std::fs::write(repo.join("reviews/actions.toml"), register).unwrap();
    let o = run(govreview(repo).args(["actions", "list"]));
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    stderr(&o)
}

const ACTION: &str = "[[action]]\nid = \"A-0001\"\ntitle = \"Cache the prompt\"\nscope = \"org\"\nowner = \"Ann Example\"\ndue = 2026-12-01\nstatus = \"open\"\nopened = \"2026-10\"\n";

#[test]
fn the_register_refuses_what_would_wrap_or_mislead() {
    let dir = tempfile::tempdir().unwrap();
    let repo = tiny_repo(dir.path());
    for (bad, says) in [
        ("A-4294967295", "not an action ID"),
        ("A-+19", "not an action ID"),
        ("A-0000", "not an action ID"),
        ("A- 7", "not an action ID"),
    ] {
        let e = register_problem(&repo, &ACTION.replace("A-0001", bad));
        assert!(
            e.contains(says) && e.contains("actions.toml:2:"),
            "{bad}: {e}"
        );
    }
    let e = register_problem(
        &repo,
        &format!(
            "<<<<<<< HEAD\n{ACTION}=======\n{}>>>>>>> theirs\n",
            ACTION.replace("Cache", "Batch")
        ),
    );
    assert!(
        e.contains("actions.toml:1:1")
            && e.contains("merge-conflict marker")
            && e.contains(":19:1"),
        "{e}"
    );
    let e = register_problem(
        &repo,
        &ACTION.replace(
            "status = \"open\"",
            "status = \"done\"\nclosed = 2026-09-03",
        ),
    );
    assert!(
        e.contains("closed") && e.contains("before the action was opened"),
        "{e}"
    );
    let e = register_problem(&repo, &format!("{ACTION}kpi_then = nan\n"));
    assert!(
        e.contains("kpi_then") && e.contains("not a finite number"),
        "{e}"
    );
    // The highest ID taken: adding one more is an error, never a wrap to A-0000.
    std::fs::write(
        repo.join("reviews/actions.toml"),
        ACTION.replace("A-0001", "A-999999"),
    )
    .unwrap();
    let o = run(govreview(&repo).args([
        "actions",
        "add",
        "--title",
        "One more",
        "--owner",
        "Ann Example",
        "--due",
        "2026-12-01",
        "--as-of",
        "2026-11-10",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("a new action needs an ID above A-999999, the last there is (the highest, counting this command's new actions, is A-999999)"),
        "{}",
        stderr(&o)
    );
    // An unknown finding is kept, with a warning.
    std::fs::write(
        repo.join("reviews/actions.toml"),
        format!("{ACTION}finding = \"cache_hitrate\"\n"),
    )
    .unwrap();
    let o = run(govreview(&repo).args(["review", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("finding `cache_hitrate` names no metric"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_very_long_team_name_gets_a_bounded_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let team = "Platform ".repeat(28);
    let usage = format!(
        "date,model,team,app,uncached_input_tokens,output_tokens\n2026-10-01,claude-sonnet-4-5,{team},chat,1000000,1000\n2026-10-01,claude-sonnet-4-5,{team}x,chat,1000000,1000\n"
    );
    write_files(
        dir.path(),
        &[("govreview.toml", CONFIG), ("usage.csv", &usage)],
    );
    let o =
        run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let pages: Vec<String> = std::fs::read_dir(dir.path().join("reviews/2026-10/teams"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(pages.len(), 4, "{pages:?}");
    assert!(pages.iter().all(|p| p.len() <= 70), "{pages:?}");
}

#[test]
fn spellings_of_a_team_are_one_team_and_reserved_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let usage = "date,model,team,app,uncached_input_tokens,output_tokens\n\
2026-10-01,claude-sonnet-4-5,Support,bot,1000000,1000\n\
2026-10-02,claude-sonnet-4-5,SUPPORT,bot,3000000,1000\n\
2026-10-03,claude-sonnet-4-5,support ,Bot,1000000,1000\n";
    let cfg = format!("{CONFIG}\n[teams.support]\nowner = \"Priya Natarajan\"\n");
    write_files(
        dir.path(),
        &[("govreview.toml", &cfg), ("usage.csv", usage)],
    );
    let o = run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            "team spellings `SUPPORT`, `Support`, `support ` are read as one team, `support`"
        ) && stdout(&o).contains("are read as one app, `bot`"),
        "{}",
        stdout(&o)
    );
    let pages: Vec<String> = std::fs::read_dir(dir.path().join("reviews/2026-10/teams"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(pages.len(), 2, "one team: {pages:?}");
    // `unallocated` in the data, and as a configured team.
    let e = fails(&[
        ("govreview.toml", CONFIG),
        (
            "usage.csv",
            "date,model,team,uncached_input_tokens,output_tokens\n2026-10-01,claude-sonnet-4-5,Unallocated,1000,10\n",
        ),
    ]);
    assert!(e.contains("usage.csv") && e.contains("reserves"), "{e}");
    let e = fails(&[
        (
            "govreview.toml",
            &format!("{CONFIG}\n[teams.unallocated]\nowner = \"Priya Natarajan\"\n"),
        ),
        (
            "usage.csv",
            "date,model,team,uncached_input_tokens,output_tokens\n2026-10-01,claude-sonnet-4-5,a,1000,10\n",
        ),
    ]);
    assert!(
        e.contains("teams.unallocated") && e.contains("reserves"),
        "{e}"
    );
}

#[test]
fn every_mistake_of_a_config_is_named_in_one_run() {
    let cfg = r#"[organization]
review_owner = "Dana Whitfield"

[data]
paths = ["nothing/*.csv"]

[targets]
max_opus_share = 30

[commitment]
amount = 100000
start = 2026-01-01

[email]
from = "bad"
"#;
    let e = fails(&[("govreview.toml", cfg)]);
    for want in [
        "has 5 problems",
        "`organization.name`: `name` is missing",
        "`targets.max_opus_share`: 30 is outside 0..1",
        "`commitment.end`: `end` is missing",
        "`email.from`: `bad` is not an email address",
        "`data.paths`: no data file matches",
    ] {
        assert!(e.contains(want), "{want}\n{e}");
    }
}

#[test]
fn a_past_month_s_pack_is_not_rewritten_without_being_asked() {
    let dir = tempfile::tempdir().unwrap();
    let repo = tiny_repo(dir.path());
    let review = |month: &str, as_of: &str, extra: &[&str]| {
        run(govreview(&repo)
            .args(["review", "-m", month, "--as-of", as_of])
            .args(extra))
    };
    assert!(review("2026-09", "2026-10-10", &["-q"]).status.success());
    assert!(review("2026-10", "2026-11-10", &["-q"]).status.success());
    let pack = repo.join("reviews/2026-09/review.md");
    let before = std::fs::read(&pack).unwrap();
    // The same review again: the same pack, nothing written.
    let o = review("2026-09", "2026-10-10", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("is unchanged"), "{}", stdout(&o));
    // A later hand edit (an owner removed) would make September's final pack a draft.
    let reg = repo.join("reviews/actions.toml");
    let text = std::fs::read_to_string(&reg).unwrap();
    let first_owner = text.find("owner = \"").unwrap();
    let end = text[first_owner + 9..].find('"').unwrap() + first_owner + 9;
    std::fs::write(
        &reg,
        format!("{}owner = \"TBD{}", &text[..first_owner], &text[end..]),
    )
    .unwrap();
    let o = review("2026-09", "2026-10-10", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let e = stderr(&o);
    assert!(
        e.contains("past month (2026-10 came after it)")
            && e.contains("review.md")
            && e.contains("into a DRAFT")
            && e.contains("--rewrite"),
        "{e}"
    );
    assert_eq!(std::fs::read(&pack).unwrap(), before, "left as it was");
    let o = review("2026-09", "2026-10-10", &["--rewrite", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read_to_string(&pack)
            .unwrap()
            .contains("**DRAFT**")
    );
}

fn utf16(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend(u.to_le_bytes());
    }
    out
}

#[test]
fn encodings_and_dates_get_messages_that_name_the_real_cause() {
    let page = r#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","ending_at":"2026-10-02T00:00:00Z","group":{"model":"claude-sonnet-4-5"},"usage":{"output_tokens":1000}}],"has_more":false}"#;
    let csv = "date,model,team,uncached_input_tokens,output_tokens\n2026-10-01,claude-sonnet-4-5,a,1000,10\n";
    for (name, bytes) in [
        ("usage.csv", utf16(csv)),
        ("p.json", utf16(page)),
        (
            "u.ndjson",
            utf16("{\"date\":\"2026-10-01\",\"model\":\"m\",\"output_tokens\":1}\n"),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(name), bytes).unwrap();
        write_files(
            dir.path(),
            &[("govreview.toml", &CONFIG.replace("usage.csv", name))],
        );
        let e = fails_in(dir.path(), &[]);
        assert!(e.contains(name) && e.contains("is UTF-16 text"), "{e}");
    }
    // A UTF-8 byte-order mark before a page is harmless; before JSON lines, it is named.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.json"), format!("\u{feff}{page}")).unwrap();
    write_files(
        dir.path(),
        &[("govreview.toml", &CONFIG.replace("usage.csv", "p.json"))],
    );
    let o =
        run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("u.ndjson"),
        "\u{feff}{\"date\":\"2026-10-01\",\"model\":\"m\",\"output_tokens\":1}\n",
    )
    .unwrap();
    write_files(
        dir.path(),
        &[("govreview.toml", &CONFIG.replace("usage.csv", "u.ndjson"))],
    );
    let e = fails_in(dir.path(), &[]);
    assert!(
        e.contains("byte-order mark") && !e.contains("not valid JSON"),
        "{e}"
    );
    // RFC 3339 allows a lower-case t and z.
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("govreview.toml", CONFIG),
            (
                "usage.csv",
                "starting_at,model,team,uncached_input_tokens,output_tokens\n2026-10-01t00:00:00z,claude-sonnet-4-5,a,1000,10\n",
            ),
        ],
    );
    let o =
        run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"]));
    assert!(o.status.success(), "{}", stderr(&o));
    // A row in year 0 is a mistake in the year.
    for e in fails_both_ways(
        "date,model,team,uncached_input_tokens,output_tokens",
        &[
            "2026-10-01,claude-sonnet-4-5,a,1000,10",
            "0000-01-01,claude-sonnet-4-5,a,1000,10",
        ],
    ) {
        assert!(e.contains("row 2") && e.contains("2000 to 2099"), "{e}");
    }
}

/// The fourth hostile pass: each of its DEFECT rows, answered.
mod fourth {
    use super::*;

    const HEADER: &str =
        "date,team,app,model,service_tier,uncached_input_tokens,output_tokens,requests\n";
    const ROWS: &str = "2026-10-01,t,a,claude-sonnet-4-6,standard,1000000,100000,10\n";

    fn cfg(extra: &str) -> String {
        format!("{CONFIG}{extra}")
    }

    #[test]
    fn efforts_terms_and_next_starts_out_of_reach_are_named() {
        for (extra, says) in [
            (
                "\n[backlog.effort]\nrouting = 2e7\n",
                "`backlog.effort.routing`: 20000000 is not an effort in weeks; give 0.1 (half a day) to 520 (ten years)",
            ),
            (
                "\n[backlog.effort]\nrouting = 5e-324\n",
                "5e-324 is not an effort in weeks",
            ),
            (
                "\n[commitment]\namount = 1000\nstart = 2026-01-01\nend = 3500-12-31\n",
                "`commitment.end`: 3500-12-31 is not a term date; give a day from 2000 to 2099",
            ),
            (
                "\n[commitment]\namount = 1000\nstart = 2026-01-01\nend = 2026-12-31\nnext_start = 2099-12-31\n",
                "`commitment.next_start`: 2099-12-31 is more than ten years after the current term",
            ),
            (
                "\n[targets]\nmax_opus_share = 0.3\nmodel_mix = { opus = { min = 0.5 } }\n",
                "`targets.max_opus_share`: 0.3 is below model_mix.opus.min 0.5",
            ),
            (
                "\n[targets]\nmax_monthly_spend = 1e-300\n",
                "1e-300 is not a budget; give the monthly amount in USD, a dollar or more",
            ),
        ] {
            let e = fails(&[
                ("govreview.toml", &cfg(extra)),
                ("usage.csv", &format!("{HEADER}{ROWS}")),
            ]);
            assert!(e.contains(says), "{extra}: {e}");
        }
    }

    #[test]
    fn a_column_written_differently_or_twice_is_refused() {
        for (header, says) in [
            (
                "date,team,app,model,service_tier,uncached_input_tokens,Output_Tokens,requests",
                "`Output_Tokens` looks like `output_tokens`",
            ),
            (
                "date,team,app,model,service_tier,uncached_input_tokens,output_token,requests",
                "`output_token` looks like `output_tokens`",
            ),
            (
                "date,team,app,model,service_tier,uncached_input_tokens,output_tokens ,requests",
                "`output_tokens ` looks like `output_tokens`",
            ),
            (
                "date,team,app,model,service_tier,output_tokens,output_tokens,requests",
                "the header names `output_tokens` twice",
            ),
        ] {
            let e = fails(&[
                ("govreview.toml", CONFIG),
                ("usage.csv", &format!("{header}\n{ROWS}")),
            ]);
            assert!(e.contains(says), "{header}: {e}");
        }
    }

    #[test]
    fn ndjson_reads_every_row_and_refuses_fractions_and_repeated_keys() {
        let cfg = CONFIG.replace("usage.csv", "usage.ndjson");
        let row = r#"{"date":"2026-10-01","team":"t","app":"a","model":"claude-sonnet-4-6","service_tier":"standard","uncached_input_tokens":1,"output_tokens":1,"requests":1}"#;
        // A column first seen after row 10,000 counts: 1e9 cache reads at $0.30 a million.
        let mut late = format!("{row}\n").repeat(10_001);
        late.push_str(r#"{"date":"2026-10-02","team":"t","app":"a","model":"claude-sonnet-4-6","service_tier":"standard","cache_read_input_tokens":1000000000}"#);
        late.push('\n');
        let dir = tempfile::tempdir().unwrap();
        write_files(
            dir.path(),
            &[("govreview.toml", &cfg), ("usage.ndjson", &late)],
        );
        let o = run(govreview(dir.path()).args([
            "review",
            "-m",
            "2026-10",
            "--as-of",
            "2026-11-10",
            "-q",
        ]));
        assert!(o.status.success(), "{}", stderr(&o));
        let m: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("reviews/2026-10/metrics.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(m["tokens"]["cache_read"], 1_000_000_000u64);
        for (line, says) in [
            (
                row.replace(r#""output_tokens":1"#, r#""output_tokens":0.9"#),
                "`0.9` has a fraction; token and request counts are whole numbers",
            ),
            (
                row.replace(r#""requests":1"#, r#""requests":1,"output_tokens":5"#),
                "the object names `output_tokens` twice",
            ),
        ] {
            let e = fails(&[
                ("govreview.toml", &cfg),
                ("usage.ndjson", &format!("{line}\n")),
            ]);
            assert!(e.contains(says), "{line}: {e}");
        }
    }

    #[test]
    fn action_ids_have_one_spelling() {
        let dir = tempfile::tempdir().unwrap();
        write_files(
            dir.path(),
            &[
                ("govreview.toml", CONFIG),
                ("usage.csv", &format!("{HEADER}{ROWS}")),
                (
                    "reviews/actions.toml",
                    "[[action]]\nid = \"A-10\"\ntitle = \"t\"\nowner = \"Dana Whitfield\"\ndue = 2026-12-10\nstatus = \"open\"\nopened = \"2026-10\"\n",
                ),
            ],
        );
        let o = run(govreview(dir.path()).args(["actions", "list"]));
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("`A-10` is not written as action IDs are; write it `A-0010`"),
            "{}",
            stderr(&o)
        );
    }

    #[test]
    fn a_crlf_register_keeps_its_line_endings() {
        let dir = tempfile::tempdir().unwrap();
        let reg = "\u{feff}# ours\r\n[[action]]\r\nid = \"A-0001\"\r\ntitle = \"t\"\r\nowner = \"Dana Whitfield\"\r\ndue = 2026-12-10\r\nstatus = \"open\"\r\nopened = \"2026-10\"\r\n";
        write_files(
            dir.path(),
            &[
                ("govreview.toml", CONFIG),
                ("usage.csv", &format!("{HEADER}{ROWS}")),
                ("reviews/actions.toml", reg),
            ],
        );
        let o = run(govreview(dir.path()).args([
            "actions",
            "close",
            "A-0001",
            "--note",
            "done",
            "--as-of",
            "2026-11-12",
        ]));
        assert!(o.status.success(), "{}", stderr(&o));
        let text = std::fs::read_to_string(dir.path().join("reviews/actions.toml")).unwrap();
        assert!(text.starts_with("\u{feff}# ours\r\n"), "{text:?}");
        assert!(!text.replace("\r\n", "").contains('\n'), "{text:?}");
        assert!(text.contains("status = \"done\"\r\n"), "{text:?}");
    }

    #[test]
    fn targets_for_an_app_the_data_does_not_have_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write_files(
            dir.path(),
            &[
                (
                    "govreview.toml",
                    &cfg("\n[targets.teams.t.apps.aa]\nmin_batch_share = 0.5\n"),
                ),
                ("usage.csv", &format!("{HEADER}{ROWS}")),
            ],
        );
        let o =
            run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10"]));
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stdout(&o).contains(
                "targets.teams.t.apps.aa matches no app in the data (did you mean `t/a`?): it changes nothing."
            ),
            "{}",
            stdout(&o)
        );
    }
}
