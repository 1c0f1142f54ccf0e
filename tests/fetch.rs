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

/// The legacy reports.
fn fetch(dir: &Path, server: &Server, key: &str) -> std::process::Output {
    run(govreview(dir)
        .args([
            "fetch",
            "--api",
            "legacy",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-10",
        ])
        .arg("--base-url")
        .arg(format!("http://127.0.0.1:{}", server.port))
        .env("ANTHROPIC_ADMIN_KEY", key))
}

/// The Usage and Cost Analytics API (the default).
fn fetch_analytics(
    dir: &Path,
    server: &Server,
    month: &str,
    envs: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = govreview(dir);
    cmd.args([
        "fetch",
        "--month",
        month,
        "--as-of",
        "2026-11-10",
        "--base-url",
    ])
    .arg(format!("http://127.0.0.1:{}", server.port))
    .env_remove("ANTHROPIC_ADMIN_KEY")
    .env_remove("ANTHROPIC_ANALYTICS_KEY");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

#[test]
fn analytics_api_pages_with_a_429_and_an_expired_cursor_then_review_offline() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.log");
    let server = start(&log);
    // A Claude Enterprise Analytics API key works as well as an Admin API key.
    let o = fetch_analytics(
        dir.path(),
        &server,
        "2026-10",
        &[("ANTHROPIC_ANALYTICS_KEY", "sk-ant-api01-analytics-key")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Fetched 2026-10: 2 usage pages, 1 cost page -> data/anthropic/2026-10/ (provisional: Anthropic may revise it until 2026-11-30; fetch it again then)\n"
    );
    let err = stderr(&o);
    assert!(
        err.contains("answered 429 (slow down); retrying in 1.0 s"),
        "{err}"
    );
    assert!(
        err.contains(
            "refused the page cursor (410: cursor expired); starting again from the first page"
        ),
        "{err}"
    );
    assert!(!err.contains("analytics-key"), "the key is never printed");
    let requests = std::fs::read_to_string(&log).unwrap();
    let usage: Vec<&str> = requests
        .lines()
        .filter(|l| l.starts_with("/v1/organizations/analytics/usage"))
        .collect();
    // 429, page 1, 410 on page 2, page 1 again, page 2.
    let statuses: Vec<&str> = usage
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(statuses, ["429", "200", "410", "200", "200"], "{requests}");
    assert!(usage[0].contains("time_bucket_width=1d"), "{requests}");
    assert!(
        usage[0].contains("group_by%5B%5D=model&group_by%5B%5D=service_tier&group_by%5B%5D=workspace_id&group_by%5B%5D=api_key_id&group_by%5B%5D=actor&group_by%5B%5D=actor_type"),
        "{requests}"
    );
    let stored = dir.path().join("data/anthropic/2026-10");
    let names: Vec<String> = files_below(&stored)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(names, ["cost-001.json", "usage-001.json", "usage-002.json"]);
    let page: Value =
        serde_json::from_str(&std::fs::read_to_string(stored.join("usage-001.json")).unwrap())
            .unwrap();
    assert_eq!(page["govreview"]["fetched_on"], "2026-11-10");
    assert_eq!(page["govreview"]["ending_at"], "2026-11-01T00:00:00Z");
    drop(server);

    // Offline: the analytics-api fixture's numbers, by hand in its govreview.toml.
    let cfg = std::fs::read_to_string(root().join("tests/fixtures/analytics-api/govreview.toml"))
        .unwrap()
        .replace(
            "paths = [\"data/2026-10\"]",
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
    let spend = m["spend"].as_f64().unwrap();
    assert!((spend - 104.42).abs() < 1e-9, "{spend}");
    assert!((m["teams"]["research"]["spend"].as_f64().unwrap() - 55.85).abs() < 1e-9);
    assert_eq!(m["data"]["provisional"]["final_from"], "2026-11-30");
    assert_eq!(m["data"]["month_days_with_data"], 31);
}

#[test]
fn the_analytics_api_window_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("requests.log"));
    // Before 2026-01-01: refused before any request, pointing at the stored history.
    let o = fetch_analytics(
        dir.path(),
        &server,
        "2025-12",
        &[("ANTHROPIC_ADMIN_KEY", "sk-ant-admin-x")],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("2025-12 is outside what the Usage and Cost Analytics API serves"),
        "{err}"
    );
    assert!(err.contains("stored in the review repository"), "{err}");
    // No key at all names both variables.
    let o = fetch_analytics(dir.path(), &server, "2026-10", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("ANTHROPIC_ANALYTICS_KEY"),
        "{}",
        stderr(&o)
    );
    // A refused key says which keys work, without printing it.
    let o = fetch_analytics(
        dir.path(),
        &server,
        "2026-10",
        &[("ANTHROPIC_ADMIN_KEY", "sk-ant-admin-revoked")],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("the API refused the key in ANTHROPIC_ADMIN_KEY (401"),
        "{err}"
    );
    assert!(err.contains("read:analytics"), "{err}");
    assert!(!err.contains("sk-ant-admin-revoked"), "{err}");
    assert!(!dir.path().join("data").exists(), "nothing written");
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
        err.contains(
            "the API refused the key in ANTHROPIC_ADMIN_KEY (401: invalid x-api-key: [redacted])"
        ),
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
        .args(["fetch", "--api", "legacy", "--month", "2026-10"])
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

/// Run from another folder, fetch stores the pages beside the configuration, where the review
/// looks for them.
#[test]
fn pages_go_beside_the_config_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        run(govreview(dir.path()).args(["init", "repo"]))
            .status
            .success()
    );
    let server = start(&dir.path().join("requests.log"));
    let o = run(govreview(dir.path())
        .args([
            "-c",
            "repo/govreview.toml",
            "fetch",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-10",
        ])
        .arg("--base-url")
        .arg(format!("http://127.0.0.1:{}", server.port))
        .env("ANTHROPIC_ADMIN_KEY", "sk-ant-admin-test-key")
        .env("ANTHROPIC_ANALYTICS_KEY", "sk-ant-api-other"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("both set: using ANTHROPIC_ADMIN_KEY"),
        "{}",
        stderr(&o)
    );
    assert!(
        dir.path()
            .join("repo/data/anthropic/2026-10/usage-001.json")
            .is_file()
    );
    assert!(!dir.path().join("data").exists());
}

/// The key never leaves with a redirect, a server asking to wait ten years is given up on at
/// once, and an address whose user-info hides another host is refused before any request.
#[test]
fn the_key_stays_put_and_waits_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.log");
    let server = start(&log);
    let base = format!("http://127.0.0.1:{}", server.port);
    let fetch_with = |key: &str, base: &str| {
        run(govreview(dir.path())
            .args(["fetch", "--month", "2026-10", "--as-of", "2026-11-10"])
            .args(["--base-url", base])
            .env("ANTHROPIC_ADMIN_KEY", key))
    };
    let o = fetch_with("sk-ant-admin-redirect", &base);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("does not follow redirects") && stderr(&o).contains("/stolen"),
        "{}",
        stderr(&o)
    );
    let requests = std::fs::read_to_string(&log).unwrap();
    assert!(!requests.contains("/stolen"), "{requests}");
    let t0 = Instant::now();
    let o = fetch_with("sk-ant-admin-patient", &base);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("asks to wait 315360000 s") && stderr(&o).contains("gave up at once"),
        "{}",
        stderr(&o)
    );
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    let before = std::fs::read_to_string(&log).unwrap().lines().count();
    let o = fetch_with(
        "sk-ant-admin-test-key",
        &format!("http://127.0.0.1:1@127.0.0.2:{}", server.port),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("user name or password"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().lines().count(),
        before
    );
    for months in ["0", "37", "4294967295", "2147483647"] {
        let o = run(govreview(dir.path())
            .args(["fetch", "--months", months])
            .env("ANTHROPIC_ADMIN_KEY", "sk-ant-admin-test-key"));
        assert_eq!(o.status.code(), Some(2), "{months}");
        assert!(stderr(&o).contains("--months"), "{}", stderr(&o));
    }
}
