//! `govreview export`: FOCUS 1.2 (and 1.0) rows checked by the FinOps Foundation's validators,
//! hostile names exported exactly (FOCUS) or defused (chargeback), the 1.3 commitment dataset's
//! columns as the specification names them, and the files adding up to the review to the cent.

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

/// Six hostile fixtures: (what, team, app, workspace). Each is exported with a plain row beside
/// it and a commitment, so that every kind of FOCUS row carries the names.
const HOSTILE: [(&str, &str, &str, &str); 6] = [
    ("commas", "ops, infra", "a,b,c", "wrkspc,1"),
    ("quotes", "say \"hi\"", "q\"uote\"", "\"ws\""),
    ("newlines", "line\nbreak", "app\r\nx", "ws\nnl"),
    (
        "formulas",
        "=HYPERLINK(\"http://example.invalid\",\"x\")",
        "+cmd|' /C calc'!A0",
        "@SUM(A1:A9)",
    ),
    ("rtl", "\u{202E}lanigiro", "abc\u{202E}fed", "\u{202E}=1+1"),
    ("long", "", "", ""),
];

/// The names of a hostile fixture (the long one's made here: 10 KB each).
fn hostile_names(i: usize) -> (String, String, String) {
    let (_, t, a, w) = HOSTILE[i];
    if t.is_empty() {
        ("T".repeat(10_240), "A".repeat(10_240), "W".repeat(10_240))
    } else {
        (t.to_owned(), a.to_owned(), w.to_owned())
    }
}

/// Writes hostile fixture `i` into `dir`: its config (a commitment) and usage (a hostile row and
/// a plain one, on two days).
fn hostile_fixture(dir: &Path, i: usize) {
    let (team, app, ws) = hostile_names(i);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "date",
        "workspace_id",
        "team",
        "app",
        "model",
        "service_tier",
        "uncached_input_tokens",
        "cache_read_input_tokens",
        "output_tokens",
        "requests",
    ])
    .unwrap();
    for (day, t, a, ws) in [
        ("2026-10-05", team.as_str(), app.as_str(), ws.as_str()),
        ("2026-10-06", "plain", "plain", "wrkspc_plain"),
    ] {
        w.write_record([
            day,
            ws,
            t,
            a,
            "claude-sonnet-4-5-20250929",
            "standard",
            "1000000",
            "3000000",
            "200000",
            "10",
        ])
        .unwrap();
    }
    write_files(
        dir,
        &[
            (
                "govreview.toml",
                "[organization]\nname = \"Acme \\\"Quoted\\\", =Inc.\"\nreview_owner = \"Dana Whitfield\"\n\n[data]\npaths = [\"usage.csv\"]\n\n[commitment]\namount = 12000\nstart = 2026-10-01\nend = 2027-09-30\n",
            ),
            (
                "usage.csv",
                &String::from_utf8(w.into_inner().unwrap()).unwrap(),
            ),
        ],
    );
}

fn validator(var: &str, dir: &str) -> PathBuf {
    let venv = std::env::var(var).unwrap_or_else(|_| {
        format!(
            "{}/.cache/govreview-venvs/{dir}",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let python = Path::new(&venv).join("bin/python");
    assert!(
        python.exists(),
        "the FOCUS validator is not installed in {venv}: run .ci/run, or see scripts/focus-validate"
    );
    python
}

fn validate(version: &str, files: &[PathBuf]) -> String {
    let (var, dir) = if version == "1.2" {
        ("GOVREVIEW_FOCUS12_VENV", "focus12")
    } else {
        ("GOVREVIEW_FOCUS_VENV", "focus")
    };
    let o = std::process::Command::new(validator(var, dir))
        .arg(root().join("scripts/focus-validate"))
        .args(["--version", version])
        .args(files)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "focus-validator {version}:\n{report}");
    report
}

/// The FinOps Foundation's focus-validator 2.2.1 passes every FOCUS 1.2 export (the sample and
/// every golden scenario as CSV, the sample as Parquet, the six hostile fixtures) with no failed
/// rule that counts and no failed row check (scripts/focus-validate; .ci/run installs it); 1.0.0
/// passes the 1.0 shape.
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
    let p = dir.path().join("sample.parquet");
    export(
        CASES[0].0,
        CASES[0].1,
        CASES[0].2,
        CASES[0].3,
        &["--focus", p.to_str().unwrap()],
    );
    files.push(p);
    for (i, (what, ..)) in HOSTILE.iter().enumerate() {
        let fixture = dir.path().join(format!("hostile-{i}"));
        hostile_fixture(&fixture, i);
        for ext in ["csv", "parquet"] {
            let f = fixture.join(format!("focus.{ext}"));
            let o = run(govreview(&fixture)
                .args([
                    "export",
                    "--month",
                    "2026-10",
                    "--as-of",
                    "2026-11-10",
                    "--focus",
                ])
                .arg(&f));
            assert!(o.status.success(), "{what}: {}", stderr(&o));
            files.push(f);
        }
    }
    let report = validate("1.2", &files);
    assert_eq!(
        report.matches(" failed, ").count(),
        files.len(),
        "one verdict per file:\n{report}"
    );
    assert_eq!(
        report.matches(" 0 failed, ").count(),
        files.len(),
        "{report}"
    );
    assert_eq!(
        report.matches("row checks: 0 failed").count(),
        files.len(),
        "{report}"
    );

    let mut old = Vec::new();
    for (i, (config, month, as_of, months)) in CASES.iter().take(2).enumerate() {
        let f = dir.path().join(format!("{i}-1.0.csv"));
        export(
            config,
            month,
            as_of,
            months,
            &["--focus", f.to_str().unwrap(), "--focus-version", "1.0"],
        );
        old.push(f);
    }
    let report = validate("1.0", &old);
    assert_eq!(report.matches(" 0 failed").count(), old.len(), "{report}");
}

/// A Parquet file's cells as the CSV writes them.
fn parquet_rows(path: &Path) -> Vec<Vec<String>> {
    use polars::prelude::*;
    let df = ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap();
    let cols: Vec<Vec<String>> = df
        .columns()
        .iter()
        .map(|c| {
            let s = c.as_materialized_series();
            match s.dtype() {
                DataType::Float64 => {
                    let ca = s.f64().unwrap();
                    (0..ca.len())
                        .map(|i| ca.get(i))
                        .map(|v| {
                            v.map_or(String::new(), |v| {
                                let t = format!("{}", v + 0.0);
                                if t.contains('.') { t } else { format!("{t}.0") }
                            })
                        })
                        .collect()
                }
                DataType::Int64 => {
                    let ca = s.i64().unwrap();
                    (0..ca.len())
                        .map(|i| ca.get(i).map_or(String::new(), |v| v.to_string()))
                        .collect()
                }
                DataType::Datetime(TimeUnit::Microseconds, Some(tz)) if tz.as_str() == "UTC" => {
                    let ca = s.datetime().unwrap();
                    (0..ca.len())
                        .map(|i| {
                            ca.phys.get(i).map_or(String::new(), |us| {
                                chrono::DateTime::from_timestamp_micros(us)
                                    .unwrap()
                                    .format("%Y-%m-%dT%H:%M:%SZ")
                                    .to_string()
                            })
                        })
                        .collect()
                }
                _ => {
                    let ca = s.str().unwrap();
                    (0..ca.len())
                        .map(|i| ca.get(i).unwrap_or("").to_owned())
                        .collect()
                }
            }
        })
        .collect();
    (0..df.height())
        .map(|i| cols.iter().map(|c| c[i].clone()).collect())
        .collect()
}

/// Hostile names come back from FOCUS exactly as the data gave them, as CSV and as Parquet, cell
/// for cell; the chargeback file, opened in spreadsheets, cannot run them as formulas.
#[test]
fn hostile_names_read_back_exactly_and_never_run_in_a_spreadsheet() {
    for (i, &(what, ..)) in HOSTILE.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        hostile_fixture(dir.path(), i);
        let o = run(govreview(dir.path()).args([
            "export",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-10",
            "--focus",
            "f.csv",
            "--chargeback",
            "cb.csv",
        ]));
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        let o = run(govreview(dir.path()).args([
            "export",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-10",
            "--focus",
            "f.parquet",
        ]));
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        let (team, app, ws) = hostile_names(i);

        let rows = read_csv(&dir.path().join("f.csv"));
        let hostile: Vec<_> = rows
            .iter()
            .filter(|r| r["ChargePeriodStart"] == "2026-10-05T00:00:00Z")
            .collect();
        assert_eq!(hostile.len(), 3, "{what}: input, cache read, output");
        for r in &hostile {
            let tags: serde_json::Value = serde_json::from_str(&r["Tags"]).unwrap();
            assert_eq!(tags["team"], team.as_str(), "{what}");
            assert_eq!(tags["app"], app.as_str(), "{what}");
            assert_eq!(r["SubAccountId"], ws, "{what}");
            assert_eq!(r["SubAccountName"], ws, "{what}");
        }
        assert!(
            rows.iter()
                .all(|r| r["BillingAccountName"] == "Acme \"Quoted\", =Inc."),
            "{what}"
        );
        // Parquet holds the same cells as the CSV.
        let mut r = csv::Reader::from_path(dir.path().join("f.csv")).unwrap();
        let from_csv: Vec<Vec<String>> = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(
            parquet_rows(&dir.path().join("f.parquet")),
            from_csv,
            "{what}"
        );

        // The chargeback file: the hostile team's row, its names defused only where a
        // spreadsheet would run them.
        let cb = read_csv(&dir.path().join("cb.csv"));
        assert_eq!(cb.len(), 2, "{what}: {cb:?}");
        let row = cb.iter().find(|r| r["team"] != "plain").unwrap();
        let shown = |name: &str| {
            // Bidirectional formatting characters are written out (`\u{202e}`).
            let name: String = name
                .chars()
                .map(|c| match c {
                    '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => {
                        format!("\\u{{{:x}}}", u32::from(c))
                    }
                    c => c.to_string(),
                })
                .collect();
            let name = name.as_str();
            let first = name.chars().find(|c| {
                !c.is_whitespace()
                    && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}')
            });
            if matches!(first, Some('=' | '+' | '-' | '@')) {
                format!("'{name}")
            } else {
                name.to_owned()
            }
        };
        assert_eq!(row["team"], shown(&team), "{what}");
        assert_eq!(row["app"], shown(&app), "{what}");
        for cell in [&row["team"], &row["app"], &row["owner"]] {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{what}: {cell:?} would run as a formula"
            );
        }
    }
}

/// The FOCUS 1.3 Contract Commitment dataset: its columns as the specification lists them (all
/// 13, in its order; ours after them, named x_), and the sample's commitment as of the review.
#[test]
fn the_contract_commitment_dataset_names_the_specification_s_columns() {
    // FOCUS 1.3, specification/datasets/contract_commitment: "all columns MUST be included".
    const SPEC: [&str; 13] = [
        "BillingCurrency",
        "ContractCommitmentCategory",
        "ContractCommitmentCost",
        "ContractCommitmentDescription",
        "ContractCommitmentId",
        "ContractCommitmentPeriodEnd",
        "ContractCommitmentPeriodStart",
        "ContractCommitmentQuantity",
        "ContractCommitmentType",
        "ContractCommitmentUnit",
        "ContractId",
        "ContractPeriodEnd",
        "ContractPeriodStart",
    ];
    let dir = tempfile::tempdir().unwrap();
    let (c, f) = (dir.path().join("c.csv"), dir.path().join("f.csv"));
    let said = export(
        "sample-data/govreview.toml",
        "2026-10",
        "2026-11-10",
        "1",
        &[
            "--commitments",
            c.to_str().unwrap(),
            "--focus",
            f.to_str().unwrap(),
        ],
    );
    assert!(
        said.contains("FOCUS 1.3 Contract Commitment: 1 commitment (active) as of 2026-11-10"),
        "{said}"
    );
    let mut r = csv::Reader::from_path(&c).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header[..13], SPEC);
    assert!(
        header[13..].iter().all(|h| h.starts_with("x_")),
        "{header:?}"
    );
    let rows = read_csv(&c);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["ContractCommitmentCategory"], "Spend");
    assert_eq!(row["ContractCommitmentCost"], "600000.0");
    assert_eq!(row["ContractCommitmentPeriodStart"], "2026-01-01T00:00:00Z");
    assert_eq!(row["ContractCommitmentPeriodEnd"], "2027-01-01T00:00:00Z");
    assert_eq!(row["ContractCommitmentQuantity"], "");
    assert_eq!(row["ContractCommitmentUnit"], "");
    assert_eq!(row["x_LifecycleStatus"], "Active");
    // It links to the usage it covers by its ID.
    assert!(
        read_csv(&f)
            .iter()
            .any(|u| u["CommitmentDiscountId"] == row["ContractCommitmentId"])
    );
    // Consumed and projected as the review says them.
    let m = metrics("sample-data/govreview.toml", "2026-10", "2026-11-10");
    let consumed: f64 = row["x_ConsumedCost"].parse().unwrap();
    let review = m["commitment"]["consumed_to_date"].as_f64().unwrap();
    assert!((consumed - review).abs() < 1e-6, "{consumed} vs {review}");
    let p50: f64 = row["x_ProjectedCostP50"].parse().unwrap();
    let review = m["commitment"]["forecast"]["end_of_term"][1]
        .as_f64()
        .unwrap();
    assert!((p50 - review).abs() < 1e-6, "{p50} vs {review}");

    // No commitment configured: exit 2, a message saying so, nothing written.
    let o = run(govreview(&root())
        .args([
            "export",
            "--config",
            "tests/fixtures/edge/govreview.toml",
            "--month",
            "2026-03",
            "--as-of",
            "2026-04-02",
            "--commitments",
        ])
        .arg(dir.path().join("none.csv")));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("configures no commitment"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("none.csv").exists());
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
        let mut shares = 0.0;
        for r in read_csv(&c) {
            assert_ne!(
                r["team"], "(total)",
                "no total rows: totals belong in the pack"
            );
            *chargeback.entry(r["team"].clone()).or_default() +=
                cents(r["spend_usd"].parse::<f64>().unwrap());
            let share = &r["share_of_month"];
            assert_eq!(share.split('.').nth(1).map(str::len), Some(6), "{share}");
            shares += share.parse::<f64>().unwrap();
        }
        assert!(
            (shares - 1.0).abs() < 1e-9,
            "{config}: shares add up to {shares}"
        );
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
        assert_eq!(
            chargeback.values().sum::<i64>(),
            spend,
            "{config}: chargeback rows"
        );
        // Every request once.
        let requests: u64 = read_csv(&f)
            .iter()
            .filter(|r| !r["x_Requests"].is_empty())
            .map(|r| r["x_Requests"].parse::<u64>().unwrap())
            .sum();
        assert_eq!(
            requests,
            m["requests"].as_u64().unwrap(),
            "{config}: requests"
        );
        // The list cost of the usage rows is the review's.
        let list: f64 = read_csv(&f)
            .iter()
            .filter(|r| r["SkuId"] != "anthropic:commitment:spend")
            .map(|r| r["ListCost"].parse::<f64>().unwrap())
            .sum();
        assert_eq!(
            cents(list),
            cents(m["list_cost"].as_f64().unwrap()),
            "{config}: FOCUS list cost"
        );
    }
}

/// Every month of the sample's committed reviews: each team's chargeback rows add up to its spend
/// in that month's pack, to the cent (September's support team is 4,489.754: $4,489.75 in the pack
/// and in the file).
#[test]
fn chargeback_teams_tie_to_the_pack_in_every_month() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.csv");
    export(
        "sample-data/govreview.toml",
        "2026-10",
        "2026-11-10",
        "3",
        &["--chargeback", c.to_str().unwrap()],
    );
    let rows = read_csv(&c);
    let cents = |v: f64| (v * 100.0).round() as i64;
    for month in ["2026-08", "2026-09", "2026-10"] {
        let m: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root().join(format!("reviews/{month}/metrics.json"))).unwrap(),
        )
        .unwrap();
        let mut total = 0;
        for (team, v) in m["teams"].as_object().unwrap() {
            let got: i64 = rows
                .iter()
                .filter(|r| r["month"] == month && &r["team"] == team)
                .map(|r| cents(r["spend_usd"].parse::<f64>().unwrap()))
                .sum();
            assert_eq!(got, cents(v["spend"].as_f64().unwrap()), "{month} {team}");
            total += got;
        }
        let month_rows: i64 = rows
            .iter()
            .filter(|r| r["month"] == month)
            .map(|r| cents(r["spend_usd"].parse::<f64>().unwrap()))
            .sum();
        assert_eq!(month_rows, total, "{month}: no rows beyond the teams");
        assert!(
            (month_rows - cents(m["spend"].as_f64().unwrap())).abs() <= 1,
            "{month}: the month within a cent of the pack's"
        );
    }
}

/// The budgets file: one row per budget (the organisation's, each team's, each app's own) with the
/// spend it covers in the chargeback file's cents; nothing counted twice.
#[test]
fn budgets_sit_beside_the_spend_they_cover() {
    let dir = tempfile::tempdir().unwrap();
    let (b, c) = (dir.path().join("b.csv"), dir.path().join("c.csv"));
    let said = export(
        "sample-data/govreview.toml",
        "2026-10",
        "2026-11-10",
        "1",
        &[
            "--budgets",
            b.to_str().unwrap(),
            "--chargeback",
            c.to_str().unwrap(),
        ],
    );
    assert!(said.contains("Budgets: 5 rows for 2026-10"), "{said}");
    let budgets = read_csv(&b);
    let chargeback = read_csv(&c);
    let cents = |v: &str| (v.parse::<f64>().unwrap() * 100.0).round() as i64;
    let spent = |team: &str, app: &str| -> i64 {
        chargeback
            .iter()
            .filter(|r| team.is_empty() || r["team"] == team)
            .filter(|r| app.is_empty() || r["app"] == app)
            .map(|r| cents(&r["spend_usd"]))
            .sum()
    };
    let levels: Vec<(&str, &str, &str)> = budgets
        .iter()
        .map(|r| (r["level"].as_str(), r["team"].as_str(), r["app"].as_str()))
        .collect();
    assert_eq!(
        levels,
        [
            ("organization", "", ""),
            ("team", "data", ""),
            ("team", "growth", ""),
            ("app", "growth", "sales-assistant"),
            ("team", "support", ""),
        ]
    );
    for r in &budgets {
        assert_eq!(
            cents(&r["spend_usd"]),
            spent(&r["team"], &r["app"]),
            "{r:?}"
        );
        let share: f64 = r["share_of_budget"].parse().unwrap();
        let want = cents(&r["spend_usd"]) as f64 / cents(&r["budget_usd"]) as f64;
        assert!((share - want).abs() <= 5.000_001e-7, "{r:?}");
    }
    // Growth's $12,000 and its app's $5,000 are separate rows: no sum counts one in the other.
    assert_eq!(budgets[2]["budget_usd"], "12000.00");
    assert_eq!(budgets[3]["budget_usd"], "5000.00");
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
        said.contains(&format!("FOCUS 1.2: {} rows", rows.len())),
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
    // A folder that takes no files: the message names the file asked for, never a temporary one.
    for what in ["--focus", "--chargeback"] {
        fail(
            &["--month", "2026-10", what, "/proc/f.csv"],
            "/proc/f.csv: cannot write: No such file or directory (os error 2); that folder does not take new files (or is gone): write elsewhere",
        );
    }
}
