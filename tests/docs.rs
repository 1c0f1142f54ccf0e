//! Docs that cannot rot: every `console` example of README.md and docs/*.md runs (with
//! [trycmd], the way clap tests its examples) against the sample set up as a review repository,
//! and what it prints must match; the README's quickstart is replayed on a generated
//! organisation; every relative link resolves; no `sh` example runs govreview unless it is the
//! quickstart or needs a server (`fetch`, `email --send`).
//!
//! A separate test binary: it changes its working folder, one sandbox per page.
//! `TRYCMD=overwrite cargo test --test docs` rewrites the examples' output after an intended
//! change (read the diff).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// The sample as a review repository (its config at the top, the pack folder `reviews/` beside
/// it, October's pack removed so that the examples write it), and two small organisations for
/// the input examples: `console-co/` (Console exports) and `analytics-inc/` (Analytics API
/// pages).
fn sandbox() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path();
    let cfg = std::fs::read_to_string(root().join("sample-data/govreview.toml")).unwrap();
    assert!(cfg.contains("dir = \"../reviews\""));
    std::fs::write(
        t.join("govreview.toml"),
        cfg.replace("dir = \"../reviews\"", "dir = \"reviews\""),
    )
    .unwrap();
    copy_dir(&root().join("sample-data/usage"), &t.join("usage"));
    copy_dir(&root().join("reviews"), &t.join("reviews"));
    std::fs::remove_dir_all(t.join("reviews/2026-10")).unwrap();
    for (fixture, name) in [
        ("console", "console-co"),
        ("analytics-api", "analytics-inc"),
    ] {
        let f = root().join("tests/fixtures").join(fixture);
        std::fs::create_dir_all(t.join(name)).unwrap();
        std::fs::copy(
            f.join("govreview.toml"),
            t.join(name).join("govreview.toml"),
        )
        .unwrap();
        copy_dir(&f.join("data"), &t.join(name).join("data"));
    }
    dir
}

/// The pages whose examples run.
fn pages() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    out.extend(docs);
    out
}

#[test]
fn every_console_example_prints_what_the_page_shows() {
    for page in pages() {
        let dir = sandbox();
        std::env::set_current_dir(dir.path()).unwrap();
        trycmd::TestCases::new()
            .register_bin("govreview", PathBuf::from(env!("CARGO_BIN_EXE_govreview")))
            .env("GOVREVIEW_AS_OF", "2026-11-10")
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100")
            .case(&page)
            .run();
        std::env::set_current_dir(root()).unwrap();
    }
}

/// The fenced blocks of a Markdown page: (info string, body).
fn blocks(text: &str) -> Vec<(String, String)> {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
    let mut out = Vec::new();
    let mut cur: Option<(String, String)> = None;
    for ev in Parser::new(text) {
        match ev {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                cur = Some((info.to_string(), String::new()));
            }
            Event::Text(t) => {
                if let Some((_, body)) = cur.as_mut() {
                    body.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => out.extend(cur.take()),
            _ => {}
        }
    }
    out
}

#[test]
fn no_sh_example_runs_govreview_untested() {
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let quickstart = quickstart_block(&text);
        for (info, body) in blocks(&text) {
            if !matches!(info.as_str(), "sh" | "bash" | "shell")
                || Some(&body) == quickstart.as_ref()
            {
                continue;
            }
            for line in body.lines() {
                let cmd = line.split('#').next().unwrap_or("");
                let runs = cmd.split_whitespace().any(|w| w == "govreview");
                let needs_a_server = cmd.contains(" fetch") || cmd.contains("--send");
                assert!(
                    !runs || needs_a_server,
                    "{}: `{}` runs govreview in an sh block; make it a `console` example (with its output) so that a test runs it",
                    page.display(),
                    line.trim()
                );
            }
        }
    }
}

/// The README's quickstart block (between `<!-- quickstart` and `<!-- /quickstart -->`).
fn quickstart_block(text: &str) -> Option<String> {
    let start = text.find("<!-- quickstart")?;
    let end = text[start..].find("<!-- /quickstart -->")? + start;
    blocks(&text[start..end]).into_iter().next().map(|b| b.1)
}

#[test]
fn the_quickstart_reaches_a_first_review_and_an_email() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let script = quickstart_block(&readme).expect("the README has a quickstart block");
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("home");
    std::fs::create_dir_all(home.join("Downloads")).unwrap();
    // A new organisation's Console usage export.
    std::fs::copy(
        root().join("tests/fixtures/console/data/console-usage-2026-10.csv"),
        home.join("Downloads/claude_api_usage_2026-10.csv"),
    )
    .unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_govreview"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(work.path())
        .env("HOME", &home)
        .env("PATH", path)
        .env("GOVREVIEW_AS_OF", "2026-11-10")
        .env("NO_COLOR", "1")
        .env("GIT_AUTHOR_NAME", "Dana Whitfield")
        .env("GIT_AUTHOR_EMAIL", "dana@acme.example")
        .env("GIT_COMMITTER_NAME", "Dana Whitfield")
        .env("GIT_COMMITTER_EMAIL", "dana@acme.example")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "the quickstart failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let repo = work.path().join("acme-reviews");
    let review = std::fs::read_to_string(repo.join("reviews/2026-10/review.md")).unwrap();
    assert!(
        review.contains("# Claude cost review: Acme, October 2026"),
        "{review}"
    );
    assert!(repo.join("review.eml").exists());
    let log = Command::new("git")
        .args(["log", "--oneline"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&log.stdout).lines().count(), 2);
}

#[test]
fn every_relative_link_resolves() {
    use pulldown_cmark::{Event, Parser, Tag};
    let mut files = pages();
    files.push(root().join("ARCHITECTURE.md"));
    for page in files {
        let text = std::fs::read_to_string(&page).unwrap();
        let base = page.parent().unwrap();
        let mut targets: Vec<String> = Vec::new();
        for ev in Parser::new(&text) {
            match ev {
                Event::Start(Tag::Link { dest_url, .. })
                | Event::Start(Tag::Image { dest_url, .. }) => targets.push(dest_url.to_string()),
                Event::Html(h) | Event::InlineHtml(h) => {
                    if let Some(i) = h.find("src=\"") {
                        let rest = &h[i + 5..];
                        targets.push(rest[..rest.find('"').unwrap_or(0)].to_owned());
                    }
                }
                _ => {}
            }
        }
        for t in targets {
            if t.starts_with("http") || t.starts_with("mailto:") || t.is_empty() {
                continue;
            }
            let (file, anchor) = t.split_once('#').unwrap_or((&t, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                base.join(file)
            };
            assert!(
                target.exists(),
                "{}: the link `{t}` points at nothing",
                page.display()
            );
            if !anchor.is_empty() && target.extension().is_some_and(|x| x == "md") {
                let anchors = heading_anchors(&std::fs::read_to_string(&target).unwrap());
                assert!(
                    anchors.iter().any(|a| a == anchor),
                    "{}: `{t}`: {} has no heading `#{anchor}`",
                    page.display(),
                    target.display()
                );
            }
        }
    }
}

/// GitHub's anchors of a page's headings.
fn heading_anchors(text: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for ev in Parser::new(text) {
        match ev {
            Event::Start(Tag::Heading { .. }) => cur = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = cur.as_mut() {
                    c.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(h) = cur.take() {
                    out.push(
                        h.to_lowercase()
                            .chars()
                            .filter_map(|c| {
                                if c.is_alphanumeric() || c == '-' || c == '_' {
                                    Some(c)
                                } else if c == ' ' {
                                    Some('-')
                                } else {
                                    None
                                }
                            })
                            .collect(),
                    );
                }
            }
            _ => {}
        }
    }
    out
}
