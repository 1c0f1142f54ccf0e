//! `govreview export`: FOCUS 1.0 rows checked by the FinOps Foundation's validator, and both files
//! adding up to the review to the cent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::util::{govreview, root, run, stderr, stdout, write_files};

/// The sample and every golden scenario: (config, month, as-of, months).
const CASES: [(&str, &str, &str, &str); 7] = [
    ("sample-data/govreview.toml", "2026-10", "2026-11-10", "3"),
    (
        "tests/fixtures/tiny/govreview.toml",
        "2026-10",
        "2026-11-10",
        "2",
    ),
    (
        "tests/fixtures/edge/govreview.toml",
        "2026-03",
        "2026-04-02",
        "1",
    ),
    (
        "tests/fixtures/console/govreview.toml",
        "2026-10",
        "2026-11-10",
        "1",
    ),
    (
        "tests/fixtures/admin-api/govreview.toml",
        "2026-10",
        "2026-11-10",
        "1",
    ),
    (
        "tests/fixtures/admin-api-costs/govreview.toml",
        "2026-10",
        "2026-11-10",
        "1",
    ),
    (
        "tests/fixtures/loop/govreview.toml",
        "2026-09",
        "2026-10-10",
        "3",
    ),
];

fn export(config: &str, month: &str, as_of: &str, months: &str, args: &[&str]) -> String {
    let o = run(govreview(&root())
        .args([
            "export", "--config", config, "--month", month, "--as-of", as_of, "--months", months,
        ])
        .args(args));
    assert!(o.status.success(), "{config}: {}", stderr(&o));
    stdout(&o)
}

/// The FinOps Foundation's validator passes every export (scripts/focus-validate; .ci/run
/// installs it).
#[test]
fn focus_exports_pass_the_foundation_validator() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for (i, (config, month, as_of, months)) in CASES.iter().enumerate() {
        let f = dir.path().join(format!("{i}.csv"));
        export(
            config,
            month,
            as_of,
            months,
            &["--focus", f.to_str().unwrap()],
        );
        files.push(f);
    }
    let venv = std::env::var("GOVREVIEW_FOCUS_VENV").unwrap_or_else(|_| {
        format!(
            "{}/.cache/govreview-venvs/focus",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let python = Path::new(&venv).join("bin/python");
    assert!(
        python.exists(),
        "the FOCUS validator is not installed in {venv}: run .ci/run, or see scripts/focus-validate"
    );
    let o = std::process::Command::new(&python)
        .arg(root().join("scripts/focus-validate"))
        .args(&files)
        .env("GOVREVIEW_FOCUS_VENV", &venv)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "focus-validator:\n{report}");
    assert_eq!(report.matches(" 0 failed").count(), CASES.len(), "{report}");
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn metrics(config: &str, month: &str, as_of: &str) -> serde_json::Value {
    let out = tempfile::tempdir().unwrap();
    let o = run(govreview(&root())
        .args([
            "review", "-q", "--config", config, "--month", month, "--as-of", as_of, "--out",
        ])
        .arg(out.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(
        &std::fs::read_to_string(out.path().join(month).join("metrics.json")).unwrap(),
    )
    .unwrap()
}

/// Per team, the FOCUS file's effective cost (by its team tag) and the chargeback file's spend
/// equal metrics.json to the cent; so do their totals.
#[test]
fn focus_and_chargeback_add_up_to_the_review_to_the_cent() {
    for (config, month, as_of) in [
        ("sample-data/govreview.toml", "2026-10", "2026-11-10"),
        (
            "tests/fixtures/admin-api-costs/govreview.toml",
            "2026-10",
            "2026-11-10",
        ),
        (
            "tests/fixtures/tiny/govreview.toml",
            "2026-10",
            "2026-11-10",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (f, c) = (dir.path().join("focus.csv"), dir.path().join("cb.csv"));
        export(
            config,
            month,
            as_of,
            "1",
            &[
                "--focus",
                f.to_str().unwrap(),
                "--chargeback",
                c.to_str().unwrap(),
            ],
        );
        if config.starts_with("sample-data") {
            // One row per day: every day of October has its own charge period.
            let days: std::collections::BTreeSet<String> = read_csv(&f)
                .iter()
                .filter(|r| r["ChargeCategory"] == "Usage")
                .map(|r| r["ChargePeriodStart"].clone())
                .collect();
            assert_eq!(days.len(), 31, "{days:?}");
        }
        let m = metrics(config, month, as_of);
        let want: BTreeMap<String, f64> = m["teams"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(t, v)| (t.clone(), v["spend"].as_f64().unwrap()))
            .collect();
        let cents = |v: f64| (v * 100.0).round() as i64;

        let mut focus: BTreeMap<String, f64> = BTreeMap::new();
        for r in read_csv(&f) {
            let tags: serde_json::Value = serde_json::from_str(&r["Tags"]).unwrap();
            if let Some(team) = tags["team"].as_str() {
                assert_eq!(r["ChargeCategory"], "Usage");
                *focus.entry(team.to_owned()).or_default() +=
                    r["EffectiveCost"].parse::<f64>().unwrap();
            }
        }
        let mut chargeback: BTreeMap<String, i64> = BTreeMap::new();
        let mut total = None;
        for r in read_csv(&c) {
            let c = cents(r["spend_usd"].parse::<f64>().unwrap());
            if r["team"] == "(total)" {
                total = Some(c);
            } else {
                *chargeback.entry(r["team"].clone()).or_default() += c;
            }
        }
        assert_eq!(
            focus.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{config}"
        );
        for (team, spend) in &want {
            assert_eq!(
                cents(focus[team]),
                cents(*spend),
                "{config}: FOCUS, team {team}"
            );
            assert_eq!(
                chargeback[team],
                cents(*spend),
                "{config}: chargeback, team {team}"
            );
        }
        let spend = cents(m["spend"].as_f64().unwrap());
        assert_eq!(cents(focus.values().sum()), spend, "{config}: FOCUS total");
        assert_eq!(total, Some(spend), "{config}: chargeback total");
        assert_eq!(
            chargeback.values().sum::<i64>(),
            spend,
            "{config}: chargeback rows"
        );
    }
}

/// The commitment, amortized by month: the purchase of the month's share, usage it covers billed
/// through it, and the unused share; the export is the same bytes every time, as CSV or Parquet.
#[test]
fn the_commitment_in_focus_and_a_deterministic_export() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.csv");
    let config = "sample-data/govreview.toml";
    export(
        config,
        "2026-09",
        "2026-10-10",
        "1",
        &["--focus", f.to_str().unwrap()],
    );
    let rows = read_csv(&f);
    // September's share of $600,000 over 365 days: 30 days, $49,315.07.
    let share = 600_000.0 * 30.0 / 365.0;
    let purchase: Vec<_> = rows
        .iter()
        .filter(|r| r["ChargeCategory"] == "Purchase")
        .collect();
    assert_eq!(purchase.len(), 1);
    let billed: f64 = purchase[0]["BilledCost"].parse().unwrap();
    assert!((billed - share).abs() < 1e-6);
    // September's spend ($39,674.70) stays under it: every usage row is covered, billed at 0,
    // and the rest is unused.
    let usage: Vec<_> = rows
        .iter()
        .filter(|r| r["ChargeCategory"] == "Usage" && r["CommitmentDiscountStatus"] != "Unused")
        .collect();
    assert!(
        usage
            .iter()
            .all(|r| r["CommitmentDiscountStatus"] == "Used" && r["BilledCost"] == "0.0")
    );
    let spend: f64 = usage
        .iter()
        .map(|r| r["EffectiveCost"].parse::<f64>().unwrap())
        .sum();
    let unused: f64 = rows
        .iter()
        .filter(|r| r["CommitmentDiscountStatus"] == "Unused")
        .map(|r| r["EffectiveCost"].parse::<f64>().unwrap())
        .sum();
    assert!(
        (spend + unused - share).abs() < 0.005,
        "{spend} + {unused} vs {share}"
    );
    // Again: the same bytes; and as Parquet too.
    let g = dir.path().join("b.csv");
    export(
        config,
        "2026-09",
        "2026-10-10",
        "1",
        &["--focus", g.to_str().unwrap()],
    );
    assert!(std::fs::read(&f).unwrap() == std::fs::read(&g).unwrap());
    let p = dir.path().join("a.parquet");
    let said = export(
        config,
        "2026-09",
        "2026-10-10",
        "1",
        &["--focus", p.to_str().unwrap()],
    );
    assert!(
        said.contains(&format!("FOCUS 1.0: {} rows", rows.len())),
        "{said}"
    );
    assert_eq!(&std::fs::read(&p).unwrap()[..4], b"PAR1");
}

/// A month without data, a folder that does not exist, an unknown extension: exit 2, a message
/// that says what to do, and nothing written.
#[test]
fn bad_exports_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("keep.txt", "x")]);
    let config = root().join("sample-data/govreview.toml");
    let fail = |args: &[&str], says: &str| {
        let o = run(govreview(dir.path())
            .arg("export")
            .arg("--config")
            .arg(&config)
            .args(["--as-of", "2026-11-10"])
            .args(args));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert_eq!(
            crate::util::files_below(dir.path()),
            [PathBuf::from("keep.txt")]
        );
    };
    fail(
        &["--month", "2025-10", "--focus", "f.csv"],
        "no usage rows in 2025-10: the data covers 2026-01..2026-10",
    );
    fail(
        &["--month", "2026-10", "--focus", "missing/f.csv"],
        "the folder missing does not exist",
    );
    fail(
        &["--month", "2026-10", "--focus", "f.xlsx"],
        "must end in .csv or .parquet",
    );
    fail(
        &["--month", "2026-10", "--chargeback", "c.parquet"],
        "must end in .csv",
    );
    fail(&["--month", "2026-10"], "nothing to export");
}
