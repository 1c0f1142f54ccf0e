//! The monthly workflow as a FinOps lead runs it, and hostile input: what the tool says must be
//! true, it gates against the right files, and it writes whole or nothing.

use std::path::Path;
use std::process::Command;

use mailparse::MailHeaderMap;

use crate::util::{files_below, govreview, root, run, stderr, stdout, write_files};

/// The tiny fixture as a review repository in `dir/name`.
fn repo_in(dir: &Path, name: &str) -> std::path::PathBuf {
    let r = dir.join(name);
    let cfg = std::fs::read_to_string(root().join("tests/fixtures/tiny/govreview.toml")).unwrap();
    write_files(&r, &[("govreview.toml", &cfg)]);
    std::fs::create_dir_all(r.join("data")).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/tiny/data/usage.csv"),
        r.join("data/usage.csv"),
    )
    .unwrap();
    r
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn paths_the_config_implies_resolve_beside_it_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_in(dir.path(), "repo");
    let o = run(govreview(dir.path()).args([
        "-c",
        "repo/govreview.toml",
        "review",
        "-m",
        "2026-10",
        "--as-of",
        "2026-11-10",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(repo.join("reviews/2026-10/review.md").is_file());
    assert!(repo.join("reviews/actions.toml").is_file());
    assert!(
        !dir.path().join("reviews").exists(),
        "nothing is written relative to the current folder"
    );
    // A new register is announced.
    assert!(
        stdout(&o).contains("Created the action register repo/reviews/actions.toml"),
        "{}",
        stdout(&o)
    );
    // `check` from the same folder gates against that register: make an action overdue.
    let o = run(govreview(dir.path()).args([
        "-c",
        "repo/govreview.toml",
        "check",
        "-m",
        "2026-10",
        "--as-of",
        "2026-12-20",
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("is overdue"), "{}", stdout(&o));
    // `actions list` reads it too.
    let o = run(govreview(dir.path()).args(["-c", "repo/govreview.toml", "actions", "list"]));
    assert!(stdout(&o).contains("A-0001"), "{}", stdout(&o));
}

#[test]
fn a_draft_says_draft_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_in(dir.path(), "repo");
    let cfg = read(&repo.join("govreview.toml"));
    std::fs::write(
        repo.join("govreview.toml"),
        format!(
            "{cfg}\n[email]\nfrom = \"FinOps <finops@example.com>\"\nto = [\"leads@example.com\"]\n"
        ),
    )
    .unwrap();
    let review = |extra: &[&str]| {
        run(govreview(&repo)
            .args(["review", "-m", "2026-10", "--as-of", "2026-11-10"])
            .args(extra))
    };
    assert!(review(&["-q"]).status.success());
    let reg = repo.join("reviews/actions.toml");
    std::fs::write(
        &reg,
        read(&reg).replacen("owner = \"Ann Example\"", "owner = \"TBD\"", 1),
    )
    .unwrap();
    assert!(review(&["-q"]).status.success());
    let pack = repo.join("reviews/2026-10");
    assert!(read(&pack.join("review.md")).contains("**DRAFT**"));
    let html = read(&pack.join("review.html"));
    assert!(
        html.contains("<p class=\"draft\"><strong>DRAFT</strong>"),
        "review.html shows the banner"
    );
    let o = run(govreview(&repo).args(["email", "-m", "2026-10", "--eml", "d.eml"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let raw = std::fs::read(repo.join("d.eml")).unwrap();
    let m = mailparse::parse_mail(&raw).unwrap();
    let subject = m.headers.get_first_value("Subject").unwrap();
    assert!(subject.starts_with("DRAFT: "), "{subject}");
    let mut html_part = String::new();
    for p in m
        .subparts
        .iter()
        .flat_map(|p| p.subparts.iter())
        .flat_map(|p| std::iter::once(p).chain(p.subparts.iter()))
    {
        if p.ctype.mimetype == "text/html" {
            html_part = p.get_body().unwrap();
        }
    }
    assert!(
        html_part.contains("DRAFT"),
        "the email's HTML part says DRAFT"
    );
}

#[test]
fn css_is_written_raw_inside_style() {
    let html = read(&root().join("reviews/2026-10/review.html"));
    let style = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
    assert!(style.contains("\"Segoe UI\""), "{style}");
    assert!(!style.contains("&quot;"), "CSS must not be HTML-escaped");
}

#[test]
fn the_email_is_dated_like_its_pack() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_in(dir.path(), "repo");
    let cfg = read(&repo.join("govreview.toml"));
    std::fs::write(
        repo.join("govreview.toml"),
        format!(
            "{cfg}\n[email]\nfrom = \"FinOps <finops@example.com>\"\nto = [\"leads@example.com\"]\n"
        ),
    )
    .unwrap();
    let o = run(govreview(&repo).args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"]));
    assert!(o.status.success(), "{}", stderr(&o));
    // No --as-of: today is later, but the message is of the pack made on 2026-11-10.
    let o = run(govreview(&repo).args(["email", "-m", "2026-10", "--eml", "a.eml"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let raw = read(&repo.join("a.eml"));
    assert!(
        raw.contains("Made on 2026-11-10"),
        "the body gives the pack's date"
    );
    assert!(
        raw.contains("Date: Tue, 10 Nov 2026 00:00:00 +0000"),
        "{}",
        &raw[..600]
    );
    // The same pack gives the same file.
    let o = run(govreview(&repo).args(["email", "-m", "2026-10", "--eml", "b.eml"]));
    assert!(o.status.success());
    assert!(
        raw == read(&repo.join("b.eml")),
        "the same pack gives a byte-identical .eml"
    );
    // A different --as-of is refused, saying how to fix it.
    let o = run(govreview(&repo).args([
        "email",
        "-m",
        "2026-10",
        "--as-of",
        "2026-11-25",
        "--eml",
        "c.eml",
    ]));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("was made on 2026-11-10, but --as-of is 2026-11-25")
            && e.contains("Drop --as-of"),
        "{e}"
    );
    assert!(!repo.join("c.eml").exists());
}

/// The sample's history replayed, then each past month reviewed again on its own review day
/// against today's register: the packs come out as they were made.
#[test]
fn a_past_month_reviewed_again_sees_the_register_as_it_stood() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reviews");
    let o = Command::new("bash")
        .arg(root().join("scripts/gen-sample-reviews.sh"))
        .arg(&out)
        .env("GOVREVIEW_BIN", env!("CARGO_BIN_EXE_govreview"))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let register = read(&out.join("actions.toml"));
    // Those months were reviewed before the budgets were introduced (see the script), with the
    // configuration beside the sample's data so that the pack names its files alike.
    struct Gone(std::path::PathBuf);
    impl Drop for Gone {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let before = Gone(root().join(format!(
        "sample-data/.govreview-before-budgets-test-{}.toml",
        std::process::id()
    )));
    let cfg: String = read(&root().join("sample-data/govreview.toml"))
        .lines()
        .filter(|l| !l.contains("max_monthly_spend"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&before.0, cfg).unwrap();
    for (month, as_of) in [("2026-08", "2026-09-10"), ("2026-09", "2026-10-10")] {
        let again = dir.path().join(format!("again-{month}"));
        std::fs::create_dir_all(&again).unwrap();
        std::fs::write(again.join("actions.toml"), &register).unwrap();
        let o = run(govreview(&root())
            .args(["review", "-m", month, "--as-of", as_of, "-q", "-c"])
            .arg(before.0.strip_prefix(root()).unwrap())
            .arg("--out")
            .arg(&again));
        assert!(o.status.success(), "{}", stderr(&o));
        // Notes and links written by hand carry no date: they show as they are now. Everything
        // else (status, owner, due, opened, closed, the pack's numbers) is as it stood.
        let comparable = |p: &Path| {
            let text = read(p);
            if p.ends_with("metrics.json") {
                fn strip(v: &mut serde_json::Value) {
                    match v {
                        serde_json::Value::Object(o) => {
                            o.remove("notes");
                            o.remove("links");
                            o.values_mut().for_each(strip);
                        }
                        serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
                        _ => {}
                    }
                }
                let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
                strip(&mut v);
                return v.to_string();
            }
            if !p.ends_with("actions.md") {
                return text;
            }
            text.lines()
                .map(
                    |l| match l.strip_suffix(" |").and_then(|x| x.rsplit_once(" | ")) {
                        Some((row, _notes)) if l.starts_with("| A-") => format!("{row} |"),
                        _ => l.to_owned(),
                    },
                )
                .collect::<Vec<_>>()
                .join("\n")
        };
        for f in files_below(&out.join(month)) {
            assert!(
                comparable(&again.join(month).join(&f)) == comparable(&out.join(month).join(&f)),
                "{month}/{}: a later run must not rewrite history (diff {} {})",
                f.display(),
                again.join(month).join(&f).display(),
                out.join(month).join(&f).display()
            );
        }
        assert!(
            read(&again.join("actions.toml")) == register,
            "no action added"
        );
    }
}

#[test]
fn a_review_before_its_month_is_over_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_in(dir.path(), "repo");
    let o = run(govreview(&repo).args(["review", "-m", "2026-10", "--as-of", "2026-10-20"]));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("--as-of 2026-10-20 is not after the review month 2026-10")
            && e.contains("made on 2026-11-01 or later"),
        "{e}"
    );
    assert!(!repo.join("reviews").exists());
}

#[test]
fn a_pack_that_cannot_be_written_leaves_the_register_alone() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_in(dir.path(), "repo");
    // The month's folder is a file: the pack cannot go there.
    write_files(&repo, &[("reviews/2026-10", "in the way")]);
    let o = run(govreview(&repo).args(["review", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("reviews/2026-10 is a file"),
        "{}",
        stderr(&o)
    );
    assert!(
        !repo.join("reviews/actions.toml").exists(),
        "no action may be registered for a pack that was not written"
    );
    let left: Vec<_> = std::fs::read_dir(repo.join("reviews"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["2026-10"], "no staging or temporary file left");
}

#[test]
fn leftovers_of_a_killed_run_are_cleaned_and_runs_do_not_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_in(dir.path(), "repo");
    // What a run killed mid-write leaves.
    std::fs::create_dir_all(repo.join("reviews/.2026-10.staging-99999/charts")).unwrap();
    write_files(&repo, &[("reviews/.actions.toml.tmp-99999", "half")]);
    let o = run(govreview(&repo).args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!repo.join("reviews/.2026-10.staging-99999").exists());
    assert!(!repo.join("reviews/.actions.toml.tmp-99999").exists());
    // Four runs at once, two of them on another date: each pack is whole (all its files from
    // one run) and the register stays valid with no action proposed twice.
    let children: Vec<_> = ["2026-11-10", "2026-11-12", "2026-11-10", "2026-11-12"]
        .iter()
        .map(|d| {
            let mut c = govreview(&repo);
            c.args(["review", "-m", "2026-10", "--as-of", d, "-q"]);
            c.spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let md = read(&repo.join("reviews/2026-10/review.md"));
    let actions = read(&repo.join("reviews/2026-10/actions.md"));
    let date = if md.contains("made on 2026-11-12") {
        "2026-11-12"
    } else {
        "2026-11-10"
    };
    assert!(
        actions.contains(&format!("As it stood on {date}")),
        "one run's files"
    );
    let o = run(govreview(&repo).args(["actions", "list", "--status", "all", "--format", "json"]));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{} {}", a["finding"].as_str().unwrap_or(""), a["scope"]))
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        ids.len(),
        unique.len(),
        "no finding got two actions: {ids:?}"
    );
}

#[test]
fn templates_may_not_include_files_outside_their_folder() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_in(dir.path(), "repo");
    for include in ["/etc/passwd", "../govreview.toml", "../../etc/hostname"] {
        write_files(
            &repo,
            &[(
                "tpl/review.md.j2",
                &format!("# Review\n{{% include \"{include}\" %}}\n"),
            )],
        );
        let o = run(govreview(&repo).args([
            "review",
            "-m",
            "2026-10",
            "--as-of",
            "2026-11-10",
            "--templates",
            "tpl",
        ]));
        assert_eq!(o.status.code(), Some(2), "{include}");
        assert!(
            stderr(&o).contains("is outside the template folder"),
            "{}",
            stderr(&o)
        );
        assert!(!repo.join("reviews/2026-10").exists());
    }
    // Nor may an email subject.
    let cfg = read(&repo.join("govreview.toml"));
    std::fs::write(
        repo.join("govreview.toml"),
        format!(
            "{cfg}\n[email]\nfrom = \"f@example.com\"\nto = [\"t@example.com\"]\nsubject = \"{{% include '/etc/passwd' %}}\"\n"
        ),
    )
    .unwrap();
    let o = run(govreview(&repo).args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"]));
    assert!(o.status.success());
    let o = run(govreview(&repo).args(["email", "-m", "2026-10", "--eml", "x.eml"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("outside the template folder"),
        "{}",
        stderr(&o)
    );
    assert!(!repo.join("x.eml").exists());
}

#[test]
fn hostile_names_cannot_break_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let evil_team = "ev|il\n# head <script>alert(1)</script>";
    let evil_app = "[click](javascript:alert(1)) *x* `y` &lt;b&gt; \u{202E}lave";
    let evil_model = "claude-opus-4-5|x";
    let csv = format!(
        "date,model,team,app,uncached_input_tokens,output_tokens\n\
         2026-10-01,{evil_model},\"{evil_team}\",\"{evil_app}\",1000000,1000\n\
         2026-10-02,claude-sonnet-4-5,\"{evil_team}\",\"{evil_app}\",1000000,1000\n"
    );
    let cfg = format!(
        "[organization]\nname = \"Evil | Org\"\nreview_owner = \"Dana <b>W</b> | x\"\n[data]\npaths = [\"u.csv\"]\n[targets]\nmax_opus_share = 0.1\n[pricing.models.\"{evil_model}\"]\ninput = 5\ncache_write_5m = 6.25\ncache_write_1h = 10\ncache_read = 0.5\noutput = 25\n[families]\n\"{evil_model}\" = \"opus\"\n"
    );
    write_files(repo, &[("govreview.toml", &cfg), ("u.csv", &csv)]);
    let o = run(govreview(repo).args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"]));
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["review.md", "actions.md"] {
        let md = read(&repo.join("reviews/2026-10").join(f));
        let parser = pulldown_cmark::Parser::new_ext(&md, pulldown_cmark::Options::all());
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, parser);
        assert!(!html.contains("<script"), "{f}: {html}");
        assert!(!html.contains("href=\"javascript:"), "{f}: {html}");
        assert!(
            !html.contains("<h1>head") && !html.contains("<em>x</em>"),
            "{f}"
        );
        // An entity in a name is shown as written, not decoded.
        if f == "review.md" {
            assert!(html.contains("&amp;lt;b&amp;gt;"), "{f}: {html}");
        }
        // Every table keeps its shape: each row has as many cells as its header.
        for table in html.split("<table>").skip(1) {
            let table = &table[..table.find("</table>").unwrap()];
            let thead = table.split("</thead>").next().unwrap();
            let head = thead.matches("<th>").count() + thead.matches("<th ").count();
            for row in table
                .split("<tbody>")
                .nth(1)
                .unwrap_or("")
                .split("<tr>")
                .skip(1)
            {
                assert_eq!(row.matches("<td").count(), head, "{f}: {row}");
            }
        }
    }
    // A right-to-left override in a name is shown, never obeyed, in every file of the pack.
    let mut files = vec![repo.join("reviews/2026-10")];
    let mut seen = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if let Ok(text) = std::fs::read_to_string(&p) {
            assert!(!text.contains('\u{202E}'), "{}", p.display());
            seen += usize::from(text.contains("202e") || text.contains("202E"));
        }
    }
    assert!(
        seen >= 4,
        "the override is shown as \\u{{202e}} in md, html, json and svg: {seen}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&read(&repo.join("reviews/2026-10/metrics.json"))).unwrap();
    assert!(
        v.to_string().contains('\u{202E}'),
        "metrics.json keeps the value (escaped)"
    );
}

#[test]
fn metrics_json_holds_every_number_at_full_precision() {
    let v: serde_json::Value =
        serde_json::from_str(&read(&root().join("reviews/2026-10/metrics.json"))).unwrap();
    let spend = v["spend"].as_f64().unwrap();
    let opus = v["spend_by_family"]["opus"].as_f64().unwrap();
    // A share read back equals the division of its own parts, to the last bit.
    assert_eq!(v["model_mix"]["opus"].as_f64().unwrap(), opus / spend);
    let t = &v["tokens"];
    let read_tokens = t["cache_read"].as_f64().unwrap();
    let input = [
        "uncached_input",
        "cache_write_5m",
        "cache_write_1h",
        "cache_read",
    ]
    .iter()
    .map(|k| t[k].as_f64().unwrap())
    .sum::<f64>();
    assert_eq!(v["cache_hit_rate"].as_f64().unwrap(), read_tokens / input);
}

#[test]
fn actions_list_closed_and_team_checks() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_in(dir.path(), "repo");
    let o = run(govreview(&repo).args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"]));
    assert!(o.status.success());
    let o = run(govreview(&repo).args(["actions", "close", "A-0001", "--as-of", "2026-11-12"]));
    assert!(o.status.success(), "{}", stderr(&o));
    // Dropped without a reason is refused, and the register is left as it was.
    let before = read(&repo.join("reviews/actions.toml"));
    let o = run(govreview(&repo).args([
        "actions",
        "close",
        "A-0002",
        "--dropped",
        "--as-of",
        "2026-11-12",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("say why A-0002 is dropped: add --note"),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(&repo.join("reviews/actions.toml")), before);
    let o = run(govreview(&repo).args([
        "actions",
        "close",
        "A-0002",
        "--dropped",
        "--note",
        "the team is replacing the app next quarter",
        "--as-of",
        "2026-11-12",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(govreview(&repo).args(["actions", "list", "--status", "closed"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("A-0001") && out.contains("A-0002") && !out.contains("A-0003"),
        "{out}"
    );
    // An email for a team the config does not know names the teams it does.
    let o =
        run(govreview(&repo).args(["email", "-m", "2026-10", "--team", "nope", "--eml", "x.eml"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("team `nope` is not in") && stderr(&o).contains("a, b"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_bad_as_of_says_the_format() {
    let o = run(govreview(&root()).args(["review", "--as-of", "2026-13-01"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`2026-13-01` is not a date; write it as YYYY-MM-DD"),
        "{}",
        stderr(&o)
    );
}
