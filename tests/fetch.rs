//! `govreview fetch` against a local stand-in for the Admin API (tests/support/fake_admin_api.py,
//! on 127.0.0.1 and a free port), then `govreview review` on what was stored.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{files_below, govreview, root, run, stderr, stdout};

/// The server, stopped by its pid when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(log: &Path) -> Server {
    let mut child = Command::new("python3")
        .arg(root().join("tests/support/fake_admin_api.py"))
        .arg("--root")
        .arg(root())
        .arg("--log")
        .arg(log)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the stand-in API");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("PORT ")
        .expect("PORT line")
        .parse()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the stand-in API did not answer");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, port }
}

fn fetch(dir: &Path, server: &Server, key: &str) -> std::process::Output {
    run(govreview(dir)
        .args(["fetch", "--month", "2026-10", "--base-url"])
        .arg(format!("http://127.0.0.1:{}", server.port))
        .env("ANTHROPIC_ADMIN_KEY", key))
}

#[test]
fn fetch_pages_with_retries_then_review_offline() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.log");
    let server = start(&log);
    let o = fetch(dir.path(), &server, "sk-ant-admin-test-key");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Fetched 2026-10: 2 usage pages, 1 cost page -> data/anthropic/2026-10/\n"
    );
    let err = stderr(&o);
    assert!(
        err.contains("answered 429 (slow down); retrying in 1.0 s"),
        "{err}"
    );
    assert!(
        err.contains("answered 500 (internal); retrying in"),
        "{err}"
    );
    assert!(
        !err.contains("sk-ant-admin-test-key"),
        "the key is never printed"
    );
    let stored = dir.path().join("data/anthropic/2026-10");
    let names: Vec<String> = files_below(&stored)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(names, ["cost-001.json", "usage-001.json", "usage-002.json"]);
    let requests = std::fs::read_to_string(&log).unwrap();
    assert!(requests.contains("group_by%5B%5D=model&group_by%5B%5D=service_tier&group_by%5B%5D=workspace_id&group_by%5B%5D=api_key_id"), "{requests}");
    assert!(requests.contains("page=page_p2"), "{requests}");
    assert_eq!(
        requests.lines().filter(|l| l.ends_with("-> 200")).count(),
        3,
        "{requests}"
    );
    drop(server);

    // The review runs offline on what was stored: the admin-api-costs numbers.
    let cfg = std::fs::read_to_string(root().join("tests/fixtures/admin-api-costs/govreview.toml"))
        .unwrap()
        .replace(
            "paths = [\"../admin-api/data/anthropic/2026-10\", \"data/cost\"]",
            "paths = [\"data/anthropic/2026-10\"]",
        );
    std::fs::write(dir.path().join("govreview.toml"), cfg).unwrap();
    let r =
        run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"]));
    assert!(r.status.success(), "{}", stderr(&r));
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reviews/2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    assert!(
        (m["spend"].as_f64().unwrap() - 209.4).abs() < 1e-9,
        "{}",
        m["spend"]
    );

    // Fetching again replaces the month whole and reads the same.
    let server = start(&log);
    let again = fetch(dir.path(), &server, "sk-ant-admin-test-key");
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(files_below(&stored).len(), 3);
}

#[test]
fn a_refused_key_says_what_key_is_needed_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("requests.log"));
    let o = fetch(dir.path(), &server, "sk-ant-admin-revoked");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("the Admin API refused the key (401: invalid x-api-key: [redacted])"),
        "{err}"
    );
    assert!(
        err.contains("must be an Admin API key (sk-ant-admin...)"),
        "{err}"
    );
    assert!(
        !err.contains("sk-ant-admin-revoked"),
        "the key is never printed"
    );
    assert!(!dir.path().join("data").exists());
}

#[test]
fn fetch_needs_a_key_and_https() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(govreview(dir.path())
        .args(["fetch", "--month", "2026-10"])
        .env_remove("ANTHROPIC_ADMIN_KEY"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("set ANTHROPIC_ADMIN_KEY"),
        "{}",
        stderr(&o)
    );
    let o = run(govreview(dir.path())
        .args([
            "fetch",
            "--month",
            "2026-10",
            "--base-url",
            "http://api.example.com",
        ])
        .env("ANTHROPIC_ADMIN_KEY", "sk-ant-admin-x"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not HTTPS"), "{}", stderr(&o));
}

#[test]
fn from_nothing_to_a_pack_with_init_fetch_review() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("reviews-repo");
    assert!(
        run(govreview(dir.path()).args(["init", "reviews-repo"]))
            .status
            .success()
    );
    let cfg = std::fs::read_to_string(repo.join("govreview.toml"))
        .unwrap()
        .replace("review_owner = \"TBD\"", "review_owner = \"Pat Pages\"");
    std::fs::write(repo.join("govreview.toml"), cfg).unwrap();
    let server = start(&dir.path().join("requests.log"));
    let o = fetch(&repo, &server, "sk-ant-admin-test-key");
    assert!(o.status.success(), "{}", stderr(&o));
    let r = run(govreview(&repo).args(["review", "--month", "2026-10", "--as-of", "2026-11-10"]));
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(
        stdout(&r).contains("Spend                      $209.40"),
        "{}",
        stdout(&r)
    );
    assert!(repo.join("reviews/2026-10/review.html").is_file());
}
