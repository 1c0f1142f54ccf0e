//! Golden scenarios: each runs the binary and compares the whole pack, byte for byte.
//!
//! `tests/fixtures/<case>/` holds `govreview.toml`, its data, `args` (extra arguments) and
//! `expected/` (the pack). The bundled sample's expected pack is the committed example under
//! `reviews/2026-10/`. Set `GOVREVIEW_BLESS=1` to rewrite the expected files after an intended change.

use std::path::Path;

use crate::util::{files_below, govreview, root, run, stderr};

fn check_pack(config: &str, args: &[&str], month: &str, expected: &Path, register: Option<&Path>) {
    let out = tempfile::tempdir().unwrap();
    if let Some(r) = register {
        std::fs::copy(r, out.path().join("actions.toml")).unwrap();
    }
    let o = run(govreview(&root())
        .args(["review", "--config", config, "--out"])
        .arg(out.path())
        .args(args));
    assert!(o.status.success(), "review failed: {}", stderr(&o));
    let produced = out.path().join(month);
    let got = files_below(&produced);
    if std::env::var_os("GOVREVIEW_BLESS").is_some() {
        if expected.exists() {
            std::fs::remove_dir_all(expected).unwrap();
        }
        for f in &got {
            let to = expected.join(f);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(produced.join(f), to).unwrap();
        }
        return;
    }
    let want = files_below(expected);
    assert_eq!(
        got,
        want,
        "the pack's files differ from {}",
        expected.display()
    );
    for f in &got {
        let a = std::fs::read(produced.join(f)).unwrap();
        let b = std::fs::read(expected.join(f)).unwrap();
        if a != b {
            let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
            let line = a
                .lines()
                .zip(b.lines())
                .position(|(x, y)| x != y)
                .map_or(0, |i| i + 1);
            panic!(
                "{} differs from {} (first difference at line {line}); rerun with GOVREVIEW_BLESS=1 if the change is intended",
                f.display(),
                expected.join(f).display()
            );
        }
    }
}

fn fixture(case: &str) {
    let dir = root().join("tests/fixtures").join(case);
    let args = std::fs::read_to_string(dir.join("args")).unwrap();
    let args: Vec<&str> = args.split_whitespace().collect();
    let month = args[args.iter().position(|a| *a == "--month").unwrap() + 1];
    let config = format!("tests/fixtures/{case}/govreview.toml");
    check_pack(&config, &args, month, &dir.join("expected"), None);
}

/// The README's first command: the October review on the committed register changes nothing.
#[test]
fn sample_pack_regenerates_byte_identical() {
    let register = root().join("reviews/actions.toml");
    check_pack(
        "sample-data/govreview.toml",
        &["--month", "2026-10", "--as-of", "2026-11-10"],
        "2026-10",
        &root().join("reviews/2026-10"),
        Some(&register),
    );
}

/// Three consecutive reviews of the sample with what owners did in between
/// (scripts/gen-sample-reviews.sh): every month folder and the register come out byte for byte
/// as committed under reviews/.
#[test]
fn sample_history_replays_byte_identical() {
    let out = tempfile::tempdir().unwrap();
    let o = std::process::Command::new("bash")
        .arg(root().join("scripts/gen-sample-reviews.sh"))
        .arg(out.path())
        .env("GOVREVIEW_BIN", env!("CARGO_BIN_EXE_govreview"))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let committed = root().join("reviews");
    let got = files_below(out.path());
    assert_eq!(got, files_below(&committed));
    for f in &got {
        assert!(
            std::fs::read(out.path().join(f)).unwrap() == std::fs::read(committed.join(f)).unwrap(),
            "{} differs from the committed reviews/{}; run scripts/gen-sample-reviews.sh if intended",
            f.display(),
            f.display()
        );
    }
    let register = std::fs::read_to_string(out.path().join("actions.toml")).unwrap();
    // The hand-written comment and note survived two commands and a review.
    assert!(register.contains("# Agreed at the 2026-10-10 review: the nightly extraction moves back to batch after the\n# schema migration, so the due date moved to the end of November.\nid = \"A-0004\""));
    // What each month shows, from its metrics.json.
    let ids = |month: &str, part: &str| -> Vec<String> {
        let m: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.path().join(month).join("metrics.json")).unwrap(),
        )
        .unwrap();
        m["actions"][part]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids("2026-08", "new"), ["A-0001", "A-0002"]);
    // Month 2: one closed since the last review, one overdue.
    assert_eq!(ids("2026-09", "closed"), ["A-0002"]);
    assert_eq!(ids("2026-09", "overdue"), ["A-0001"]);
    // Month 3: the overdue one carried, two closed since the last review, two still open.
    assert_eq!(ids("2026-10", "overdue"), ["A-0001"]);
    assert_eq!(ids("2026-10", "closed"), ["A-0003", "A-0006"]);
    assert_eq!(ids("2026-10", "open"), ["A-0004", "A-0005"]);
    let oct: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(oct["actions"]["overdue"][0]["days_overdue"], 41);
    assert_eq!(oct["actions"]["overdue"][0]["reviews_carried"], 2);
    assert!(register.contains("notes = \"Sales assistant launched on Opus by default; evaluating Sonnet 4.5 on the eval set first.\""));
}

#[test]
fn tiny_hand_checked_case() {
    fixture("tiny");
}

#[test]
fn edge_first_month_without_commitment() {
    fixture("edge");
}

#[test]
fn admin_api_usage_report_pages() {
    fixture("admin-api");
}

#[test]
fn admin_api_usage_and_cost_report_pages() {
    fixture("admin-api-costs");
}

#[test]
fn console_usage_and_cost_exports() {
    fixture("console");
}

/// The sample's usage as Parquet (dictionary-encoded row groups straddling month ends, and a
/// file of plain pages) gives the same review as the CSV, number for number: only the data
/// notes (which files were read) differ.
#[test]
fn parquet_and_csv_of_the_same_usage_agree() {
    let metrics = |config: &str| -> (serde_json::Value, String) {
        let out = tempfile::tempdir().unwrap();
        let o = run(govreview(&root())
            .env("GOVREVIEW_TIMINGS", "1")
            .args(["review", "-q", "--config", config, "--out"])
            .arg(out.path())
            .args(["--month", "2026-10", "--as-of", "2026-11-10"]));
        assert!(o.status.success(), "review failed: {}", stderr(&o));
        let text = std::fs::read_to_string(out.path().join("2026-10/metrics.json")).unwrap();
        (serde_json::from_str(&text).unwrap(), stderr(&o))
    };
    let (mut csv, _) = metrics("sample-data/govreview.toml");
    let (mut parquet, timings) = metrics("tests/fixtures/parquet/govreview.toml");
    // The Parquet files took the dictionary-code path, not the general query.
    assert!(timings.contains("timing: parquet fast path"), "{timings}");
    assert!(!timings.contains("timing: cube query"), "{timings}");
    let (csv_data, parquet_data) = (csv["data"].take(), parquet["data"].take());
    assert_eq!(csv, parquet);
    for key in [
        "rows",
        "first_day",
        "last_day",
        "missing_days",
        "unallocated_spend",
        "warnings",
    ] {
        assert_eq!(csv_data[key], parquet_data[key], "data.{key}");
    }
    assert!(csv["spend"].as_f64().unwrap() > 0.0);
}
