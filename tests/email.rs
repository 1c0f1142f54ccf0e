//! `govreview email`: the message's MIME tree and content, and delivery to a real SMTP server
//! (Debian's aiosmtpd on 127.0.0.1, a free port; plain and STARTTLS with a throwaway CA).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailparse::{MailHeaderMap, ParsedMail};

use crate::util::{govreview, root, run, stderr, stdout};

const AIOSMTPD: &str = "/usr/bin/aiosmtpd";

/// The SMTP server, stopped by its pid when dropped.
struct Smtp {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_smtp(dir: &Path, tls: Option<(&Path, &Path)>) -> Smtp {
    start_smtp_with(dir, tls, "aiosmtpd.handlers.Mailbox")
}

fn start_smtp_with(dir: &Path, tls: Option<(&Path, &Path)>, handler: &str) -> Smtp {
    assert!(
        Path::new(AIOSMTPD).exists(),
        "{AIOSMTPD} is missing: apt-get install python3-aiosmtpd (.ci/run does)"
    );
    let port = free_port();
    let maildir = dir.join("maildir");
    let mut cmd = Command::new(AIOSMTPD);
    cmd.args(["-n", "-l", &format!("127.0.0.1:{port}"), "-c", handler])
        .env("PYTHONPATH", root().join("tests/support"));
    if let Some((cert, key)) = tls {
        cmd.arg("--tlscert").arg(cert).arg("--tlskey").arg(key);
    }
    cmd.arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = cmd.spawn().expect("aiosmtpd starts");
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd did not answer");
        std::thread::sleep(Duration::from_millis(50));
    }
    Smtp {
        child,
        port,
        maildir,
    }
}

/// The one message delivered to the maildir.
fn received(smtp: &Smtp) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let new = smtp.maildir.join("new");
        if let Ok(rd) = std::fs::read_dir(&new) {
            let files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
            if let Some(f) = files.first() {
                return std::fs::read(f).unwrap();
            }
        }
        assert!(Instant::now() < deadline, "no message arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A copy of the sample repository (config, data, reviews) to send from.
fn sample_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["sample-data", "reviews"] {
        let o = Command::new("cp")
            .arg("-r")
            .arg(root().join(sub))
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(o.status.success());
    }
    // The test server takes mail without a login.
    let cfg = dir.path().join("sample-data/govreview.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("username = \"finops@northwind.example\"\n", ""),
    )
    .unwrap();
    dir
}

fn email(dir: &Path, extra: &[&str]) -> std::process::Output {
    run(govreview(dir)
        .args([
            "email",
            "-c",
            "sample-data/govreview.toml",
            "-m",
            "2026-10",
            "--as-of",
            "2026-11-10",
        ])
        .args(extra)
        .env_remove("GOVREVIEW_SMTP_PASSWORD"))
}

fn find<'a>(m: &'a ParsedMail<'a>, ctype: &str) -> Vec<&'a ParsedMail<'a>> {
    let mut out = Vec::new();
    if m.ctype.mimetype == ctype {
        out.push(m);
    }
    for s in &m.subparts {
        out.extend(find(s, ctype));
    }
    out
}

/// Checks the MIME tree, that every cid: resolves, the text part and the headers.
fn check_message(raw: &[u8]) {
    let m = mailparse::parse_mail(raw).unwrap();
    assert_eq!(m.ctype.mimetype, "multipart/mixed");
    let alt = &m.subparts[0];
    assert_eq!(alt.ctype.mimetype, "multipart/alternative");
    assert_eq!(
        alt.subparts[0].ctype.mimetype, "text/plain",
        "plain text comes first"
    );
    let related = &alt.subparts[1];
    assert_eq!(related.ctype.mimetype, "multipart/related");
    assert_eq!(related.subparts[0].ctype.mimetype, "text/html");
    let html = related.subparts[0].get_body().unwrap();
    assert!(html.len() < 100 * 1024, "HTML part is {} bytes", html.len());
    assert!(
        !html.contains("<svg") && !html.contains("src=\"data:") && !html.contains("src=\"http"),
        "no SVG, data: URIs or remote images"
    );
    assert!(!html.contains("<style"), "CSS is inlined");
    assert!(html.contains("style=\""), "inline styles");
    let cids: Vec<String> = html
        .split("src=\"cid:")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    // The five cards' sparklines, then last the burn-up, the model mix and spend by team.
    assert_eq!(cids.len(), 8, "{cids:?}");
    // Decisions first: the cards, what needs a decision and the actions with their owners come
    // before the findings, and the charts after them.
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("Needs a decision") < at("id=\"actions\""));
    assert!(at("id=\"actions\"") < at(">Findings<"));
    assert!(at(">Findings<") < at("cid:model_mix@govreview"));
    // Under 300 KB with its charts and attachments.
    assert!(
        raw.len() < 300 * 1024,
        "the message is {} KB",
        raw.len() / 1024
    );
    let images = find(related, "image/png");
    for cid in &cids {
        let part = images
            .iter()
            .find(|p| {
                p.headers.get_first_value("Content-ID").as_deref() == Some(&format!("<{cid}>"))
            })
            .unwrap_or_else(|| panic!("cid:{cid} has no image part"));
        assert_eq!(&part.get_body_raw().unwrap()[..4], b"\x89PNG");
    }
    assert!(
        html.contains("alt=\"Model mix by month; in October 2026 Opus is 35.3% of spend\""),
        "alt states the key number"
    );
    let text = alt.subparts[0].get_body().unwrap();
    assert!(text.contains("Spend $61,505.60"), "{text}");
    assert!(text.contains("FINDINGS (22)"), "{text}");
    assert!(text.contains("A-0001  Commitment pacing 0.66"), "{text}");
    assert!(
        text.contains("owner: Dana Whitfield   due: 2026-09-30 (41 days late)"),
        "{text}"
    );
    let names: Vec<String> = m.subparts[1..]
        .iter()
        .map(|p| {
            p.get_content_disposition()
                .params
                .get("filename")
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(names, ["review.md", "metrics.json"]);
    let h = &m.headers;
    assert_eq!(
        h.get_first_value("Subject").unwrap(),
        "Claude cost review 2026-10: 22 findings, 1 action overdue"
    );
    assert!(
        h.get_first_value("Message-ID")
            .unwrap()
            .ends_with("@northwind.example>")
    );
    assert!(h.get_first_value("Date").is_some());
    assert_eq!(
        h.get_first_value("To").unwrap(),
        "eng-leads@northwind.example"
    );
}

#[test]
fn dry_run_writes_an_eml_with_the_whole_tree() {
    let dir = sample_repo();
    let o = email(dir.path(), &["--eml", "out/review.eml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("Wrote out/review.eml ("),
        "{}",
        stdout(&o)
    );
    check_message(&std::fs::read(dir.path().join("out/review.eml")).unwrap());
}

#[test]
fn sends_over_plain_smtp_on_loopback() {
    let dir = sample_repo();
    let smtp = start_smtp(dir.path(), None);
    let port = smtp.port.to_string();
    let o = email(
        dir.path(),
        &[
            "--send",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &port,
            "--tls",
            "none",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!(
            "Sent to eng-leads@northwind.example (cc finance@northwind.example) via 127.0.0.1:{port}"
        )),
        "{}",
        stdout(&o)
    );
    check_message(&received(&smtp));
}

#[test]
fn sends_over_starttls_with_a_throwaway_ca() {
    let dir = sample_repo();
    let d = dir.path();
    let sh = |args: &str| {
        let o = Command::new("sh")
            .arg("-c")
            .arg(args)
            .current_dir(d)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{args}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    sh(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=govreview-test-ca 2>/dev/null",
    );
    sh(
        "openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj /CN=localhost 2>/dev/null",
    );
    std::fs::write(
        d.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    sh(
        "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile san.ext 2>/dev/null",
    );
    let smtp = start_smtp(d, Some((&d.join("leaf.pem"), &d.join("leaf.key"))));
    let port = smtp.port.to_string();
    // Without the CA the certificate is not trusted: a clear TLS error, and the .eml is kept.
    let o = email(
        d,
        &[
            "--send",
            "--eml",
            "kept.eml",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &port,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    // Said in words a user can act on, the library's text after them.
    assert!(
        stderr(&o).contains(&format!(
            "127.0.0.1:{port}'s certificate is not signed by an authority this machine trusts; for a private mail relay, set email.ca_cert"
        )),
        "{}",
        stderr(&o)
    );
    assert!(
        d.join("kept.eml").is_file(),
        "the .eml is written before sending"
    );
    let o = email(
        d,
        &[
            "--send",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &port,
            "--tls",
            "starttls",
            "--ca-cert",
            "ca.pem",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    check_message(&received(&smtp));
}

#[test]
fn delivery_problems_are_clear_and_keep_the_eml() {
    let dir = sample_repo();
    let port = free_port().to_string();
    let o = email(
        dir.path(),
        &[
            "--send",
            "--eml",
            "r.eml",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &port,
            "--tls",
            "none",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("cannot deliver through 127.0.0.1:{port}")),
        "{}",
        stderr(&o)
    );
    assert!(dir.path().join("r.eml").is_file());
    let o = email(
        dir.path(),
        &["--send", "--smtp-host", "smtp.example.com", "--tls", "none"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("tls = none is only for a server on loopback"),
        "{}",
        stderr(&o)
    );
    let o = email(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--eml FILE"), "{}", stderr(&o));
    let o = run(govreview(dir.path()).args([
        "email",
        "-c",
        "sample-data/govreview.toml",
        "-m",
        "2026-09",
        "--eml",
        "x.eml",
        "-o",
        "elsewhere",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("there is no review pack for 2026-09 in elsewhere/2026-09: run `govreview review --month 2026-09` first"), "{}", stderr(&o));
}

#[test]
fn a_team_slice_goes_to_its_lead() {
    let dir = sample_repo();
    let o = email(dir.path(), &["--eml", "growth.eml", "--team", "growth"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let raw = std::fs::read(dir.path().join("growth.eml")).unwrap();
    let m = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(
        m.headers.get_first_value("To").unwrap(),
        "elena.petrova@northwind.example"
    );
    assert!(m.headers.get_first_value("Cc").is_none());
    assert_eq!(
        m.headers.get_first_value("Subject").unwrap(),
        "Claude cost review 2026-10 (growth): 9 findings, 0 actions overdue"
    );
    let text = find(&m, "text/plain")[0].get_body().unwrap();
    assert!(
        text.contains("(team growth)") && text.contains("Team growth: Opus share is 83.8%"),
        "{text}"
    );
    assert!(
        !text.contains("Team support"),
        "only the team's findings: {text}"
    );
    // Nothing of the organisation's: not its unallocated warning, not its pack.
    assert!(!text.contains("unallocated"), "{text}");
    let names: Vec<String> = m
        .subparts
        .iter()
        .filter_map(|p| p.get_content_disposition().params.get("filename").cloned())
        .collect();
    assert_eq!(names, ["2026-10-growth.json"]);
    let json = m
        .subparts
        .iter()
        .find(|p| p.get_content_disposition().params.contains_key("filename"))
        .unwrap()
        .get_body_raw()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["team"], "growth");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["team"] == "growth")
    );
    assert!(!String::from_utf8_lossy(&json).contains("\"support\""));
    // Every action of the team and of its apps, as the register has them.
    let register = std::fs::read_to_string(dir.path().join("reviews/actions.toml")).unwrap();
    let want = register
        .lines()
        .filter(|l| *l == "scope = \"growth\"" || l.starts_with("scope = \"growth/"))
        .count();
    assert!(want >= 3, "{register}");
    assert_eq!(v["actions"].as_array().unwrap().len(), want);
    // The body says what is attached.
    assert!(text.contains("Attached: 2026-10-growth.json."), "{text}");
}

/// Runs scripts/screenshot (headless Chromium at 640 px) on a page; it fails on console errors,
/// broken images and horizontal overflow.
fn check_in_chromium(page: &Path, shot: Option<&Path>) -> serde_json::Value {
    check_in_chromium_at(page, shot, 640)
}

/// The same at a window `width` pixels wide; it also fails on text under 11 px in tables and
/// charts.
fn check_in_chromium_at(page: &Path, shot: Option<&Path>, width: u32) -> serde_json::Value {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: apt-get install chromium (.ci/run does)"
    );
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("scripts/screenshot"))
        .arg(page)
        .args(["--width", &width.to_string()]);
    if let Some(s) = shot {
        cmd.arg(s);
    }
    let o = cmd.output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("no report: {}", String::from_utf8_lossy(&o.stderr)));
    assert!(o.status.success(), "{report}");
    report
}

#[test]
fn pack_and_email_render_cleanly_in_chromium_at_640_px() {
    let dir = sample_repo();
    let o = email(dir.path(), &["--eml", "review.eml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shot = dir.path().join("email.png");
    let r = check_in_chromium(&dir.path().join("review.eml"), Some(&shot));
    assert_eq!(r["overflow"], false);
    assert_eq!(r["broken_images"].as_array().unwrap().len(), 0);
    assert_eq!(r["errors"].as_array().unwrap().len(), 0);
    assert_eq!(&std::fs::read(&shot).unwrap()[..4], b"\x89PNG");
    let r = check_in_chromium(&dir.path().join("reviews/2026-10/review.html"), None);
    assert_eq!(r["overflow"], false, "{r}");
    // The stylesheet applied: the page's font is the sans-serif stack, not the serif default.
    let font = r["font_family"].as_str().unwrap();
    assert!(
        font.contains("Segoe UI") && font.ends_with("sans-serif"),
        "{font}"
    );
}

/// The first screen at 1280 and 640 px: cards, decisions, then findings and the action list,
/// which starts within the first three screens; no text under 11 px in tables and charts; a
/// team's page and a team's email render as cleanly.
#[test]
fn the_review_reads_at_a_glance_in_chromium() {
    let dir = sample_repo();
    let html = dir.path().join("reviews/2026-10/review.html");
    for (width, screen) in [(1280u32, 800i64), (640, 1000)] {
        let r = check_in_chromium_at(&html, None, width);
        let top = r["actions_top"].as_i64().unwrap();
        assert!(
            top < 3 * screen,
            "{width} px: the action list starts at {top} px: {r}"
        );
        assert!(
            r["min_text_px"].as_f64().unwrap() >= 11.0,
            "{width} px: {r}"
        );
    }
    let page = std::fs::read_to_string(&html).unwrap();
    let cards = page.find("class=\"cards\"").unwrap();
    let decisions = page.find("id=\"decisions\"").unwrap();
    let findings = page.find("id=\"findings\"").unwrap();
    let actions = page.find("id=\"actions\"").unwrap();
    let supporting = page.find("id=\"model-mix\"").unwrap();
    assert!(
        cards < decisions && decisions < findings && findings < actions && actions < supporting
    );
    // Five cards, each with its sparkline.
    assert_eq!(page.matches("<div class=\"card ").count(), 5);
    assert_eq!(page.matches("<div class=\"spark\"").count(), 5);
    // A team's page, linked from the main one.
    assert!(page.contains("<a href=\"teams&#x2f;growth.html\">growth</a>"));
    let team = dir.path().join("reviews/2026-10/teams/growth.html");
    let r = check_in_chromium_at(&team, None, 640);
    assert!(r["min_text_px"].as_f64().unwrap() >= 11.0, "{r}");
    // A team's email: its own chart, as a PNG by cid.
    let o = email(dir.path(), &["--eml", "growth.eml", "--team", "growth"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shot = dir.path().join("growth.png");
    let r = check_in_chromium(&dir.path().join("growth.eml"), Some(&shot));
    assert_eq!(r["broken_images"].as_array().unwrap().len(), 0, "{r}");
    let raw = std::fs::read_to_string(dir.path().join("growth.eml")).unwrap();
    assert!(
        raw.contains("Content-ID: <team_apps@govreview>"),
        "the team chart is attached"
    );
}

#[test]
fn a_rejected_recipient_is_named() {
    let dir = sample_repo();
    let smtp = start_smtp_with(dir.path(), None, "smtp_handlers.RejectNobody");
    let port = smtp.port.to_string();
    let o = email(
        dir.path(),
        &[
            "--send",
            "--eml",
            "r.eml",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &port,
            "--tls",
            "none",
        ],
    );
    assert!(
        o.status.success(),
        "an accepted recipient goes through: {}",
        stderr(&o)
    );
    let o = email(
        dir.path(),
        &[
            "--send",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &port,
            "--tls",
            "none",
            "--to",
            "nobody@northwind.example",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("127.0.0.1:{port} rejected the message")),
        "{e}"
    );
    assert!(
        e.contains("no such user") && e.contains("check the recipients"),
        "{e}"
    );
}

#[test]
fn a_refused_login_says_so_and_the_password_is_never_printed() {
    let dir = sample_repo();
    let port = free_port();
    let mut child = Command::new("/usr/bin/python3")
        .arg(root().join("tests/support/smtp_auth_server.py"))
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the auth server did not answer");
        std::thread::sleep(Duration::from_millis(50));
    }
    let cfg = dir.path().join("sample-data/govreview.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace(
            "[email]\n",
            "[email]\nusername = \"finops@northwind.example\"\n",
        ),
    )
    .unwrap();
    let o = run(govreview(dir.path())
        .args([
            "email",
            "-c",
            "sample-data/govreview.toml",
            "-m",
            "2026-10",
            "--as-of",
            "2026-11-10",
        ])
        .args([
            "--send",
            "--smtp-host",
            "127.0.0.1",
            "--tls",
            "none",
            "--smtp-port",
        ])
        .arg(port.to_string())
        .env("GOVREVIEW_SMTP_PASSWORD", "hunter2-secret"));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("127.0.0.1:{port} refused the login")),
        "{e}"
    );
    assert!(
        e.contains("check email.username and GOVREVIEW_SMTP_PASSWORD"),
        "{e}"
    );
    // The server's reply quoted the password and its base64 form; neither is shown.
    assert!(e.contains("[redacted]"), "{e}");
    assert!(!e.contains("hunter2-secret") && !stdout(&o).contains("hunter2-secret"));
    assert!(!e.contains("aHVudGVyMi1zZWNyZXQ"), "{e}");
    assert!(
        !e.contains("AGZpbm9wc0Bub3J0aHdpbmQuZXhhbXBsZQBodW50ZXIyLXNlY3JldA"),
        "{e}"
    );
}

#[test]
fn a_server_without_login_says_to_drop_the_username() {
    let dir = sample_repo();
    let smtp = start_smtp(dir.path(), None);
    let cfg = dir.path().join("sample-data/govreview.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace(
            "[email]\n",
            "[email]\nusername = \"finops@northwind.example\"\n",
        ),
    )
    .unwrap();
    let port = smtp.port.to_string();
    let o = run(govreview(dir.path())
        .args([
            "email",
            "-c",
            "sample-data/govreview.toml",
            "-m",
            "2026-10",
            "--send",
        ])
        .args([
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &port,
            "--tls",
            "none",
        ])
        .env("GOVREVIEW_SMTP_PASSWORD", "pw-12345"));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("127.0.0.1:{port} offers no login (AUTH)"))
            && e.contains("drop email.username"),
        "{e}"
    );
}
