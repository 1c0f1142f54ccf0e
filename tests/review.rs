//! Behaviour of `govreview review` as a user meets it.

use std::path::Path;

use serde_json::Value;

use crate::util::{files_below, govreview, root, run, stderr, stdout, write_files};

fn tiny_metrics() -> Value {
    let out = tempfile::tempdir().unwrap();
    let o = run(govreview(&root())
        .args([
            "review",
            "--config",
            "tests/fixtures/tiny/govreview.toml",
            "--month",
            "2026-10",
        ])
        .args(["--as-of", "2026-11-10", "--out"])
        .arg(out.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(out.path().join("2026-10/metrics.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn num(v: &Value, path: &str) -> f64 {
    let mut cur = v;
    for key in path.split('/') {
        cur = match key.parse::<usize>() {
            Ok(i) if cur.is_array() => &cur[i],
            _ => &cur[key],
        };
    }
    cur.as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number: {cur}"))
}

fn close(v: &Value, path: &str, want: f64) {
    let got = num(v, path);
    assert!((got - want).abs() < 1e-6, "{path}: got {got}, want {want}");
}

/// The tiny fixture, worked out by hand (prices per million tokens: Opus 4.5 $5 in / $0.50 read /
/// $25 out; Sonnet 4.5 $3 in / $3.75 5m write / $15 out; Haiku 4.5 $1 in / $2 1h write /
/// $0.10 read / $5 out; batch half price).
#[test]
fn tiny_numbers_match_hand_arithmetic() {
    let m = tiny_metrics();
    // September: Opus 100M in + 10M out = 500 + 250 = $750; Haiku batch (200M + 40M x 5) / 2 = $200.
    let sep = &m["months"][0];
    assert_eq!(sep["month"], "2026-09");
    close(sep, "spend", 950.0);
    close(sep, "model_mix/opus", 750.0 / 950.0);
    // October: Opus 60M in ($300) + 40M reads ($20) + 10M out ($250) = $570;
    // Sonnet 50M in ($150) + 10M 5m writes ($37.50) + 5M out ($75) = $262.50;
    // Haiku batch (100M in $100 + 20M 1h writes $40 + 80M reads $8 + 20M out $100) / 2 = $124.
    close(&m, "spend", 956.5);
    close(&m, "model_mix/opus", 570.0 / 956.5);
    close(&m, "model_mix/sonnet", 262.5 / 956.5);
    close(&m, "model_mix/haiku", 124.0 / 956.5);
    // Cache reads 40M + 80M over input 100M + 60M + 200M.
    close(&m, "cache_hit_rate", 120.0 / 360.0);
    // Batch tokens 220M over all tokens 110M + 65M + 220M.
    close(&m, "batch_share", 220.0 / 395.0);
    // Output 35M over 3,500 requests.
    close(&m, "output_per_request", 10_000.0);
    // Commitment $3,630 over 2026-09-01..2026-12-30 (121 days), review month ends day 61.
    close(&m, "commitment/consumed_to_date", 1906.5);
    close(&m, "commitment/expected_to_date", 3630.0 * 61.0 / 121.0);
    close(&m, "commitment/pacing", 1906.5 / 1830.0);
    close(&m, "commitment/month_utilization", 956.5 / 930.0);
    let projected = 1906.5 + 1906.5 / 61.0 * 60.0;
    close(&m, "commitment/projected_end_of_term", projected);
    close(&m, "commitment/projected_utilization", projected / 3630.0);
    close(&m, "commitment/projected_overage", projected - 3630.0);
    close(&m, "commitment/projected_unused", 0.0);
    assert_eq!(m["commitment"]["days_to_renewal"], 60);
    // Team b comes from the allocation rule on workspace wrkspc_b.
    close(&m, "teams/b/spend", 124.0);
    close(&m, "teams/a/spend", 832.5);
    close(&m, "teams/a/model_mix/opus", 570.0 / 832.5);
    // Drift: Opus improved by 19.4 points; batch share fell 12.9 points (worsening, target still met).
    close(
        &m,
        "kpis/model_mix.opus/delta",
        570.0 / 956.5 - 750.0 / 950.0,
    );
    assert_eq!(m["kpis"]["batch_share"]["worsening"], true);
    assert_eq!(m["kpis"]["batch_share"]["status"], "met");
    assert_eq!(m["kpis"]["cache_hit_rate"]["status"], "missed");
    let findings: Vec<(String, String)> = m["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["metric"].as_str().unwrap().to_owned(),
                f["team"].as_str().unwrap_or("org").to_owned(),
            )
        })
        .collect();
    assert!(findings.contains(&("model_mix.opus".into(), "org".into())));
    assert!(findings.contains(&("batch_share".into(), "org".into())));
    assert!(!findings.contains(&("commitment_pacing".into(), "org".into())));
    // Every finding has an action; every new action has a named owner and is due at the next
    // review, but the backlog item's, which is due on its ship date: a week (its effort) after
    // the review date.
    for f in m["findings"].as_array().unwrap() {
        assert!(f["action"].is_string(), "{} has no action", f["id"]);
    }
    let new = m["actions"]["new"].as_array().unwrap();
    for a in new {
        assert!(["Ann Example", "Bo Builder"].contains(&a["owner"].as_str().unwrap()));
        let item = a["scope"] == "a/assistant";
        assert_eq!(a["due"], if item { "2026-11-17" } else { "2026-12-10" });
    }
    // Team a's cache finding is answered by the backlog item of its one app.
    assert!(
        new.iter()
            .any(|a| a["scope"] == "a/assistant" && a["finding"] == "cache_hit_rate")
    );
    assert!(
        !new.iter()
            .any(|a| a["scope"] == "a" && a["finding"] == "cache_hit_rate")
    );

    // The backlog of workload a/assistant, by hand. October: Opus 4.5 (standard) 60M uncached,
    // 40M cache reads, 10M output = 300 + 20 + 250 = $570; Sonnet 4.5 (standard) 50M uncached,
    // 10M 5-minute writes, 5M output = 150 + 37.5 + 75 = $262.50. Total $832.50.
    let items = m["backlog"]["items"].as_array().unwrap();
    let item = |app: &str, lever: &str| {
        items
            .iter()
            .find(|i| i["app"] == app && i["lever"] == lever)
            .unwrap_or_else(|| panic!("no {lever} item for {app}"))
    };
    let num = |v: &serde_json::Value| v.as_f64().unwrap();
    // Routing: s = 570 / 832.5, t = 0.5; the Opus tokens at Sonnet 4.6 prices cost $342 (60 x 3
    // + 40 x 0.3 + 10 x 15), rho = 342 / 570 = 0.6; f = (s - t) / (s (1 - t (1 - rho))) =
    // 153.75 / 456 of the Opus tokens move, and the Opus share lands on 50%: saving f x 228.
    let f: f64 = 153.75 / 456.0;
    let routing: f64 = f * 228.0;
    assert!((routing - 76.875).abs() < 1e-9);
    assert!((num(&item("assistant", "routing")["monthly"]) - routing).abs() < 1e-9);
    assert!((570.0 * (1.0 - f) / (832.5 - routing) - 0.5).abs() < 1e-12);
    // Caching, on what routing left: I = 160M, R = 40M, h = 0.25, h* = 0.5: D = 40M of U = 110M
    // (a fraction 4/11 of every row's uncached input) is read from the cache instead.
    let caching = 4.0 / 11.0 * (60.0 * (1.0 - f) * 4.5 + 60.0 * f * 2.7 + 50.0 * 2.7);
    assert!((num(&item("assistant", "caching")["monthly"]) - caching).abs() < 1e-9);
    // Batch, on what caching left: b = 0, b* = 0.2: a fifth of the work at half price.
    let batch = 0.2 * 0.5 * (832.5 - routing - caching);
    assert!((num(&item("assistant", "batch")["monthly"]) - batch).abs() < 1e-9);
    // Caching saves more than $1,000 a year; routing too, but it needs a quality check.
    assert_eq!(item("assistant", "caching")["counted"], true);
    assert_eq!(item("assistant", "routing")["counted"], false);
    // The floor applies the counted levers only (caching and batch, goals set by targets), each
    // recomputed without routing: caching takes 4/11 of (60 x 4.5 + 50 x 2.7) = $147.27, batch a
    // tenth of what is left. Team b's counted items come off as they are.
    let caching_alone = 4.0 / 11.0 * (60.0 * 4.5 + 50.0 * 2.7);
    let batch_alone = 0.1 * (832.5 - caching_alone);
    let others: f64 = items
        .iter()
        .filter(|i| i["app"] != "assistant" && i["counted"] == true)
        .map(|i| num(&i["monthly"]))
        .sum();
    let floor = 956.5 - caching_alone - batch_alone - others;
    close(&m, "optimized_floor/monthly", floor);
    close(&m, "optimized_floor/annual", 12.0 * floor);
    // The upside: what routing adds on top, pending validation.
    let all: f64 = items.iter().map(|i| num(&i["monthly"])).sum();
    close(&m, "optimized_floor/upside", floor - (956.5 - all));
}

#[test]
fn same_inputs_give_byte_identical_packs() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for out in [a.path(), b.path()] {
        let o = run(govreview(&root())
            .args([
                "review",
                "-c",
                "sample-data/govreview.toml",
                "-m",
                "2026-09",
                "--as-of",
                "2026-10-10",
                "-o",
            ])
            .arg(out));
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let files = files_below(a.path());
    assert_eq!(files, files_below(b.path()));
    assert!(files.len() >= 8, "{files:?}");
    for f in files {
        assert_eq!(
            std::fs::read(a.path().join(&f)).unwrap(),
            std::fs::read(b.path().join(&f)).unwrap(),
            "{} differs between runs",
            f.display()
        );
    }
}

#[test]
fn summary_names_kpis_and_where_the_pack_went() {
    let out = tempfile::tempdir().unwrap();
    let o = run(govreview(&root())
        .args([
            "review",
            "-c",
            "sample-data/govreview.toml",
            "-m",
            "2026-10",
            "--as-of",
            "2026-11-10",
            "-o",
        ])
        .arg(out.path()));
    let s = stdout(&o);
    assert!(s.contains("Opus share"), "{s}");
    assert!(s.contains("missed, worsening"), "{s}");
    assert!(s.contains("Wrote "), "{s}");
    // Spend is judged against its budget, as the card and the chat summary judge it.
    let spend = s
        .lines()
        .find(|l| l.trim_start().starts_with("Spend "))
        .unwrap();
    assert!(
        spend.contains("≤ $60,000") && spend.contains("missed"),
        "{spend}"
    );
    let summary = std::fs::read_to_string(out.path().join("2026-10/summary.txt")).unwrap();
    assert!(
        summary.contains("Off target: Budget use 102.5% (≤ $60,000)"),
        "{summary}"
    );
    assert!(
        !s.contains('\u{1b}'),
        "no colour codes when not a terminal: {s}"
    );
    let forced = run(govreview(&root())
        .args([
            "review",
            "-c",
            "sample-data/govreview.toml",
            "-m",
            "2026-10",
            "--color",
            "always",
            "-o",
        ])
        .arg(out.path()));
    assert!(stdout(&forced).contains('\u{1b}'));
    let quiet = run(govreview(&root())
        .args([
            "review",
            "-c",
            "sample-data/govreview.toml",
            "-m",
            "2026-10",
            "-q",
            "-o",
        ])
        .arg(out.path()));
    assert!(quiet.status.success());
    assert_eq!(stdout(&quiet), "");
}

#[test]
fn month_defaults_to_the_month_before_as_of() {
    let out = tempfile::tempdir().unwrap();
    let o = run(govreview(&root())
        .args([
            "review",
            "-c",
            "sample-data/govreview.toml",
            "--as-of",
            "2026-08-03",
            "-o",
        ])
        .arg(out.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.path().join("2026-07/review.md").is_file());
}

#[test]
fn user_templates_override_built_ins_file_by_file() {
    let t = tempfile::tempdir().unwrap();
    write_files(
        t.path(),
        &[(
            "review.md.j2",
            "# {{ organization }} {{ month }}: {{ totals.spend | usd }}\n",
        )],
    );
    let out = tempfile::tempdir().unwrap();
    let o = run(govreview(&root())
        .args([
            "review",
            "-c",
            "tests/fixtures/tiny/govreview.toml",
            "-m",
            "2026-10",
            "--templates",
        ])
        .arg(t.path())
        .arg("-o")
        .arg(out.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(out.path().join("2026-10/review.md")).unwrap();
    assert_eq!(md, "# Tiny Co 2026-10: $956.50\n");
    let html = std::fs::read_to_string(out.path().join("2026-10/review.html")).unwrap();
    assert!(
        html.contains("<h2 id=\"commitment\">"),
        "the built-in HTML template is still used"
    );
}

#[test]
fn html_is_self_contained_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = std::fs::read_to_string(root().join("tests/fixtures/tiny/govreview.toml"))
        .unwrap()
        .replace(
            "name = \"Tiny Co\"",
            "name = \"Tiny <script>alert(1)</script> & Co\"",
        )
        .replace("data/usage.csv", "usage.csv");
    write_files(dir.path(), &[("govreview.toml", &cfg)]);
    std::fs::copy(
        root().join("tests/fixtures/tiny/data/usage.csv"),
        dir.path().join("usage.csv"),
    )
    .unwrap();
    let o = run(govreview(dir.path()).args(["review", "-m", "2026-10"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(dir.path().join("reviews/2026-10/review.html")).unwrap();
    assert!(
        html.contains("Tiny &lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; Co"),
        "escaped"
    );
    assert!(!html.contains("<script"), "no script survives");
    assert!(html.contains("<svg"), "charts inline");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external fetch"
    );
    assert!(html.contains("<style>"));
}

#[test]
fn data_flag_adds_files_and_the_same_file_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = std::fs::read_to_string(root().join("tests/fixtures/tiny/govreview.toml"))
        .unwrap()
        .replace("paths = [\"data/usage.csv\"]", "paths = []");
    write_files(dir.path(), &[("govreview.toml", &cfg)]);
    std::fs::copy(
        root().join("tests/fixtures/tiny/data/usage.csv"),
        dir.path().join("u.csv"),
    )
    .unwrap();
    let o = run(govreview(dir.path()).args([
        "review", "-m", "2026-10", "--data", "u.csv", "--data", "./u.csv", "-q",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reviews/2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m["spend"], 956.5);
}

/// The admin-api fixture, by hand (see its govreview.toml): 30 days of Sonnet 4.5 at $4.80 and
/// batch Haiku 4.5 at $2.00, one flex Opus 4.5 row at $7.50.
#[test]
fn admin_api_pages_match_hand_arithmetic() {
    let out = tempfile::tempdir().unwrap();
    let o = run(govreview(&root())
        .args([
            "review",
            "--config",
            "tests/fixtures/admin-api/govreview.toml",
            "--month",
            "2026-10",
        ])
        .args(["--as-of", "2026-11-10", "-q", "--out"])
        .arg(out.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    close(&m, "spend", 211.5);
    close(&m, "spend_by_tier/standard", 144.0);
    close(&m, "spend_by_tier/batch", 60.0);
    close(&m, "spend_by_tier/flex", 7.5);
    // 30 x 1M reads over 30 x 2M + 30 x 2M + 1M input tokens.
    close(&m, "cache_hit_rate", 30.0 / 121.0);
    // 30 x 2.4M batch tokens over 30 x 2.1M + 30 x 2.4M + 1.1M.
    close(&m, "batch_share", 72.0 / 136.1);
    close(&m, "teams/support/spend", 151.5);
    close(&m, "teams/data/spend", 60.0);
    assert_eq!(
        m["data"]["month_days_with_data"], 31,
        "the empty bucket's day counts as covered"
    );
    assert_eq!(m["data"]["files"][0]["format"], "usage report");
}

#[test]
fn usage_without_a_service_tier_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = "[organization]\nname = \"Acme\"\nreview_owner = \"Dana Whitfield\"\n[data]\npaths = [\"u.csv\"]\n";
    write_files(
        dir.path(),
        &[
            ("govreview.toml", cfg),
            (
                "u.csv",
                "date,model,output_tokens\n2026-10-01,claude-haiku-4-5,10\n",
            ),
        ],
    );
    let o = run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("warning: No service tier in u.csv: that usage is counted as standard"),
        "{}",
        stdout(&o)
    );
}

/// The admin-api-costs fixture, by hand (see its govreview.toml): billed costs replace computed
/// ones where the cost report covers the usage, spread pro rata within a workspace and model.
#[test]
fn billed_costs_are_spend_and_reconciled() {
    let out = tempfile::tempdir().unwrap();
    let o = run(govreview(&root())
        .args([
            "review",
            "--config",
            "tests/fixtures/admin-api-costs/govreview.toml",
            "--month",
            "2026-10",
        ])
        .args(["--as-of", "2026-11-10", "--out"])
        .arg(out.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o)
            .contains("differs from the computed cost by -3.5% ($57.90 billed, $60.00 computed)")
    );
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    close(&m, "spend", 209.4);
    close(&m, "teams/data/spend", 57.9);
    close(&m, "teams/support/spend", 151.5);
    let cells = m["data"]["reconciliation_cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    close(&cells[0], "billed", 57.9);
    close(&cells[0], "computed", 60.0);
    close(&cells[1], "difference", 0.0);
}

/// The analytics-api fixture, by hand (see its govreview.toml and make_pages.py): spend from the
/// net amounts, teams from rules on the actor, the list amounts against the price table, the
/// discount actually got, and the month marked provisional (read 10 days after it ended).
#[test]
fn analytics_api_pages_match_hand_arithmetic() {
    let out = tempfile::tempdir().unwrap();
    let o = run(govreview(&root())
        .args([
            "review",
            "--config",
            "tests/fixtures/analytics-api/govreview.toml",
            "--month",
            "2026-10",
        ])
        .args(["--as-of", "2026-11-10", "--out"])
        .arg(out.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(
            "has fields govreview does not know (group.carbon_region, usage.thinking_tokens)"
        ),
        "{text}"
    );
    assert!(text.contains("Unknown service tier hyperflex"), "{text}");
    assert!(
        text.contains("(final, as of 2026-11-10; data provisional until 2026-11-30)"),
        "{text}"
    );
    // The billed amount is 9.9% under the computed cost, but the list amount matches the price
    // table: that is the discount received, said as such, not a pricing warning.
    assert!(!text.contains("check prices, discount and tiers"), "{text}");
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    close(&m, "spend", 22.32 + 3.00 + 55.85 + 23.25);
    close(&m, "teams/support/spend", 25.32);
    close(&m, "teams/research/spend", 55.85);
    close(&m, "teams/data/spend", 23.25);
    // Output per request counts only rows with a request count (Opus's are null):
    // 31 x (20,000 + 100,000) output over 31 x (50 + 200) + 4 requests.
    close(&m, "output_per_request", 3_720_000.0 / 7_754.0);
    let cells = m["data"]["list_cells"].as_array().unwrap();
    let opus = cells
        .iter()
        .find(|c| c["model"] == "claude-opus-4-5")
        .unwrap();
    close(opus, "net", 55.80);
    close(opus, "list", 62.0);
    close(opus, "computed_list", 62.0);
    close(opus, "list_gap_pct", 0.0);
    close(opus, "effective_discount", 0.10);
    assert!(m["data"]["notes"][0].as_str().unwrap().contains(
        "the difference is the discount received (10.0% of list) against pricing.discount (0.0%)"
    ));
    assert_eq!(m["data"]["provisional"]["fetched_on"], "2026-11-10");
    assert_eq!(m["data"]["provisional"]["final_from"], "2026-11-30");
    assert_eq!(m["data"]["files"][0]["format"], "analytics usage");
    assert_eq!(m["data"]["files"][2]["format"], "analytics cost");
}

/// The console fixture, by hand (see its govreview.toml).
#[test]
fn console_exports_match_hand_arithmetic() {
    let out = tempfile::tempdir().unwrap();
    let o = run(govreview(&root())
        .args([
            "review",
            "--config",
            "tests/fixtures/console/govreview.toml",
            "--month",
            "2026-10",
        ])
        .args(["--as-of", "2026-11-10", "-q", "--out"])
        .arg(out.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    close(&m, "spend", 279.0 + 89.28);
    close(&m, "teams/support/spend", 279.0);
    close(&m, "teams/data/spend", 89.28);
    close(&m, "data/reconciliation_cells/0/difference_pct", -0.04);
    // Usage files first, then cost files.
    assert_eq!(m["data"]["files"][0]["format"], "console usage");
    assert_eq!(m["data"]["files"][1]["format"], "console cost");
}

#[test]
fn format_flag_names_what_detection_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = "[organization]\nname = \"Acme\"\nreview_owner = \"Dana Whitfield\"\n";
    write_files(
        dir.path(),
        &[
            ("govreview.toml", cfg),
            (
                "usage.csv",
                "date,model,workspace_id,uncached_input_tokens\n2026-10-01,claude-sonnet-4-5,Default,1000000\n",
            ),
            // A trimmed cost export without token_type: its header alone does not say what it is.
            (
                "billed.csv",
                "usage_date_utc,model,workspace,cost_usd\n2026-10-01,Claude Sonnet 4.5,Default,2.70\n",
            ),
        ],
    );
    let o = run(govreview(dir.path())
        .args([
            "review",
            "-m",
            "2026-10",
            "--as-of",
            "2026-11-10",
            "-q",
            "--data",
            "usage.csv",
        ])
        .args(["--data", "billed.csv", "--data-format", "console-cost"]));
    // Both --data files are named console-cost, so the usage file is refused as a cost export.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let cfg_with_usage = format!("{cfg}[data]\npaths = [\"usage.csv\"]\n");
    write_files(dir.path(), &[("govreview.toml", &cfg_with_usage)]);
    let o = run(govreview(dir.path())
        .args(["review", "-m", "2026-10", "--as-of", "2026-11-10", "-q"])
        .args(["--data", "billed.csv", "--data-format", "console-cost"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reviews/2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    // Computed $3.00 (1M input at $3), billed $2.70.
    close(&m, "spend", 2.7);
    close(&m, "data/reconciliation_cells/0/computed", 3.0);
    let o = run(govreview(dir.path()).args([
        "review",
        "-m",
        "2026-10",
        "-q",
        "--data",
        "billed.csv",
        "--data-format",
        "usage-report",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "billed.csv: is read as usage-report pages (--data-format), which needs a .json file"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unknown_tiers_and_new_fields_are_accepted_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = "[organization]\nname = \"Acme\"\nreview_owner = \"Dana Whitfield\"\n[data]\npaths = [\"page.json\"]\n";
    let page = r#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","ending_at":"2026-10-02T00:00:00Z","results":[
        {"model":"claude-haiku-4-5","service_tier":"turbo","workspace_id":null,"api_key_id":null,
         "uncached_input_tokens":1000000,"output_tokens":0,"carbon_grams":12}]}],"has_more":false,"next_page":null}"#;
    write_files(dir.path(), &[("govreview.toml", cfg), ("page.json", page)]);
    let o = run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains("warning: Unknown service tier turbo: priced at standard list prices"),
        "{s}"
    );
    assert!(s.contains("warning: page.json has fields govreview does not know (carbon_grams): accepted and not used."), "{s}");
    assert!(s.contains("Spend                      $1.00"), "{s}");
}

#[test]
fn a_known_tier_written_differently_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = "[organization]\nname = \"Acme\"\nreview_owner = \"Dana Whitfield\"\n[data]\npaths = [\"u.csv\"]\n";
    let csv = "date,model,service_tier,uncached_input_tokens\n2026-10-01,claude-haiku-4-5,BATCH,1000000\n";
    write_files(dir.path(), &[("govreview.toml", cfg), ("u.csv", csv)]);
    let o = run(govreview(dir.path()).args(["review", "-m", "2026-10", "--as-of", "2026-11-10"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains("Service tier `BATCH` looks like `batch` written differently: priced at standard list prices (twice the Batch API's price). Write the tier as `batch`"),
        "{s}"
    );
}

/// `govreview backlog` prints the ranked list without writing a pack, as a table, JSON or CSV;
/// a hostile team name cannot become a spreadsheet formula.
#[test]
fn backlog_command_prints_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    crate::util::write_files(
        dir.path(),
        &[
            (
                "govreview.toml",
                "[organization]\nname = \"X\"\nreview_owner = \"Ann Example\"\n[data]\npaths = [\"u.csv\"]\n[targets]\nmin_cache_hit_rate = 0.5\n",
            ),
            (
                "u.csv",
                "date,team,app,model,service_tier,uncached_input_tokens,cache_creation_5m_input_tokens,cache_creation_1h_input_tokens,cache_read_input_tokens,output_tokens,requests\n\
                 2026-10-01,=HYPERLINK(\"http://x\"),bot,claude-sonnet-4-6,standard,1000000000,0,0,0,0,10\n",
            ),
        ],
    );
    let g = |args: &[&str]| {
        let o = run(govreview(dir.path())
            .args(["backlog", "-m", "2026-10", "--as-of", "2026-11-10"])
            .args(args));
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    // 1,000M uncached at $3, h* = 0.5: 500M read at $0.30 instead: $1,350 a month.
    let table = g(&[]);
    assert!(table.contains("$1,350.00"), "{table}");
    assert!(table.contains("caching"), "{table}");
    let json: serde_json::Value = serde_json::from_str(&g(&["--format", "json"])).unwrap();
    assert_eq!(json["backlog"]["items"][0]["monthly"], 1350.0);
    assert_eq!(json["optimized_floor"]["monthly"], 3000.0 - 1350.0);
    let csv = g(&["--format", "csv"]);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("rank,wave,waits,team,app,owner,lever,monthly_saving_usd")
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("1,1,false,\"'=HYPERLINK(\"\"http://x\"\")\",bot,"),
        "{row}"
    );
    assert!(
        row.contains(",caching,1350.00,16200.00,1,16200.00,false,"),
        "{row}"
    );
    // Nothing written: no pack, no register.
    assert_eq!(crate::util::files_below(dir.path()).len(), 2);
}

/// `govreview commitment` prints the forecast and the next commitment without writing a pack;
/// without a commitment it says what to configure.
#[test]
fn commitment_command_prints_the_forecast_and_the_sizing() {
    let o = run(govreview(&root()).args([
        "commitment",
        "--config",
        "sample-data/govreview.toml",
        "-m",
        "2026-10",
        "--as-of",
        "2026-11-10",
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let f = &v["commitment"]["forecast"];
    assert!(f["declined"].is_null());
    let num = |x: &serde_json::Value| x.as_f64().unwrap();
    let three = |x: &serde_json::Value| -> [f64; 3] {
        let a = x.as_array().unwrap();
        [num(&a[0]), num(&a[1]), num(&a[2])]
    };
    let near = |a: f64, b: f64, tol: f64| assert!((a - b).abs() <= tol, "{a} != {b} (±{tol})");

    // Weekly tokens, from the raw files: the 13 weeks ending 2026-10-31.
    let mut by_day: std::collections::BTreeMap<String, f64> = Default::default();
    for dir in ["sample-data/usage", "sample-data/usage/current"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_none_or(|x| x != "csv") {
                continue;
            }
            for line in std::fs::read_to_string(&p).unwrap().lines().skip(1) {
                let c: Vec<&str> = line.split(',').collect();
                let t: f64 = c[7..12].iter().map(|x| x.parse::<f64>().unwrap()).sum();
                *by_day.entry(c[0].to_owned()).or_default() += t;
            }
        }
    }
    let d_end = chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
    let weeks: Vec<(f64, f64)> = (1..=13)
        .map(|k: i64| {
            let last = d_end - chrono::Duration::days(7 * (13 - k));
            let w: f64 = (0..7)
                .map(|j| {
                    let day = (last - chrono::Duration::days(j)).to_string();
                    by_day.get(&day).copied().unwrap_or(0.0)
                })
                .sum();
            (k as f64, w)
        })
        .collect();
    let model = &f["model"];
    for (w, x) in weeks.iter().zip(model["weeks"].as_array().unwrap()) {
        near(num(&x["tokens"]), w.1, 0.5);
        assert_eq!(x["counts"], true);
    }
    // Least squares of ln W on k, and its standard error.
    let n = 13.0;
    let mx = weeks.iter().map(|w| w.0).sum::<f64>() / n;
    let my = weeks.iter().map(|w| w.1.ln()).sum::<f64>() / n;
    let sxx: f64 = weeks.iter().map(|w| (w.0 - mx).powi(2)).sum();
    let b = weeks
        .iter()
        .map(|w| (w.0 - mx) * (w.1.ln() - my))
        .sum::<f64>()
        / sxx;
    let a = my - b * mx;
    let ssr: f64 = weeks.iter().map(|w| (w.1.ln() - a - b * w.0).powi(2)).sum();
    let se = (ssr / (n - 2.0) / sxx).sqrt();
    near(num(&model["data_slope"]), b, 1e-9);
    near(num(&model["se"]), se, 1e-9);
    // Scenarios: b10 = min(b - 1.2816 se, 0), b50 = b, b90 = b + 1.2816 se, clipped to 5% a month.
    let cap = 1.05_f64.ln() * 7.0 / 30.4375;
    let want = [(b - 1.2816 * se).min(0.0), b, b + 1.2816 * se].map(|x| x.clamp(-cap, cap));
    let slopes = three(&model["slopes"]);
    for p in 0..3 {
        near(slopes[p], want[p], 1e-12);
    }
    // The next term, 2027-01-01..12-31 (62 days after d_end to start): r0 times a geometric sum.
    let r0 = num(&model["r0"]);
    let n_ = &v["next_commitment"];
    let l = three(&n_["list"]["not_shipped"]);
    for p in 0..3 {
        let q = (slopes[p] / 7.0).exp();
        let sum = if slopes[p] == 0.0 {
            365.0
        } else {
            (slopes[p] * 75.5 / 7.0).exp() * (q.powi(365) - 1.0) / (q - 1.0)
        };
        near(l[p], r0 * sum, 1e-6 * l[p]);
    }
    // φ = the floor over the month's spend at price-table prices: the backlog's one floor.
    let bl = run(govreview(&root()).args([
        "backlog",
        "--config",
        "sample-data/govreview.toml",
        "-m",
        "2026-10",
        "--as-of",
        "2026-11-10",
        "--format",
        "json",
    ]));
    let bl: serde_json::Value = serde_json::from_str(&stdout(&bl)).unwrap();
    let floor = &bl["optimized_floor"];
    let phi = num(&n_["phi"]);
    near(phi, num(&floor["monthly"]) / num(&floor["spend"]), 1e-12);
    let opt = three(&n_["list"]["optimized"]);
    for p in 0..3 {
        near(opt[p], l[p] * phi, 1e-6 * l[p]);
    }
    // Every candidate's expected cost under overage at list, and the pick.
    let bands = [
        (250_000.0, 0.05),
        (500_000.0, 0.10),
        (1_000_000.0, 0.15),
        (2_000_000.0, 0.20),
    ];
    let disc = |c: f64| {
        bands
            .iter()
            .filter(|b| b.0 <= c)
            .map(|b| b.1)
            .fold(0.0, f64::max)
    };
    let cost = |c: f64, l: f64| c + (l - c / (1.0 - disc(c))).max(0.0);
    let sizing = &n_["sizing"];
    let cands = sizing["candidates"].as_array().unwrap();
    let e = |c: f64| 0.3 * cost(c, opt[0]) + 0.4 * cost(c, opt[1]) + 0.3 * cost(c, opt[2]);
    let mut lowest = f64::INFINITY;
    for x in cands {
        let c = num(&x["amount"]);
        near(num(&x["expected"]), e(c), 0.01);
        near(num(&x["discount"]), disc(c), 1e-12);
        lowest = lowest.min(e(c));
    }
    assert!(
        cands.iter().any(|x| num(&x["amount"]) == 0.0),
        "no commitment is a candidate"
    );
    let gap = |c: f64| {
        let d = disc(c);
        0.3 * (opt[0] * (1.0 - d) - c).abs()
            + 0.4 * (opt[1] * (1.0 - d) - c).abs()
            + 0.3 * (opt[2] * (1.0 - d) - c).abs()
    };
    let pick = cands
        .iter()
        .map(|x| num(&x["amount"]))
        .filter(|c| e(*c) <= lowest + 1.0)
        .min_by(|a, b| gap(*a).total_cmp(&gap(*b)).then(a.total_cmp(b)))
        .unwrap();
    let rec = &cands[sizing["recommended"].as_u64().unwrap() as usize];
    near(num(&rec["amount"]), pick, 1e-9);
    assert!(num(&rec["effective_discount"]) >= 0.0);
    assert!(
        n_["sentence"].as_str().unwrap().starts_with("Commit $"),
        "{}",
        n_["sentence"]
    );
    // The backtest: three month-ends with their errors.
    assert_eq!(f["backtest"]["months"].as_array().unwrap().len(), 3);
    let table = run(govreview(&root()).args([
        "commitment",
        "--config",
        "sample-data/govreview.toml",
        "-m",
        "2026-10",
        "--as-of",
        "2026-11-10",
    ]));
    let t = stdout(&table);
    assert!(
        t.contains("At the end of the term") && t.contains("recommended"),
        "{t}"
    );
    let csv = stdout(&run(govreview(&root()).args([
        "commitment",
        "--config",
        "sample-data/govreview.toml",
        "-m",
        "2026-10",
        "--as-of",
        "2026-11-10",
        "--format",
        "csv",
    ])));
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("amount_usd,discount,why,cost_p10_usd,cost_p50_usd,cost_p90_usd,")
    );
    assert_eq!(lines.count(), cands.len());
    assert!(csv.contains("0.00,0,no commitment"), "{csv}");
    // A configuration without a commitment.
    let dir = tempfile::tempdir().unwrap();
    crate::util::write_files(
        dir.path(),
        &[(
            "govreview.toml",
            "[organization]\nname = \"X\"\nreview_owner = \"Ann Example\"\n",
        )],
    );
    let o = run(govreview(dir.path()).args(["commitment", "--as-of", "2026-11-10"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("configures no commitment: add [commitment]"),
        "{}",
        stderr(&o)
    );
}

/// Analytics API pages split rows, not days: two pages of one fetch (one folder) may hold the
/// same day, model, workspace and key for different actors, and both count. The same page in
/// another folder, or a legacy page of the same day beside them, is a duplicate, whatever teams
/// rules on the actor gave them.
#[test]
fn analytics_pages_of_one_fetch_share_days_but_duplicates_are_refused() {
    let row = |actor: &str| {
        format!(
            r#"{{"starting_at":"2026-10-05T00:00:00Z","ending_at":"2026-10-06T00:00:00Z","group":{{"model":"claude-sonnet-4-5","workspace_id":"wrkspc_a","api_key_id":null,"service_tier":"standard","actor":"{actor}"}},"usage":{{"uncached_input_tokens":1000000}}}}"#
        )
    };
    let page = |actor: &str| format!(r#"{{"data":[{}],"has_more":false}}"#, row(actor));
    let cfg = "[organization]\nname = \"Acme\"\nreview_owner = \"Dana Whitfield\"\n\n[data]\npaths = [\"pages/**/*.json\"]\n\n[[allocation]]\nactor = \"user_ann\"\nteam = \"research\"\n\n[[allocation]]\nactor = \"user_bob\"\nteam = \"research\"\n";
    let review = |dir: &Path| {
        run(govreview(dir).args([
            "review",
            "-q",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-10",
        ]))
    };
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("govreview.toml", cfg),
            ("pages/usage-001.json", &page("user_ann")),
            ("pages/usage-002.json", &page("user_bob")),
        ],
    );
    let o = review(dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reviews/2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    close(&m, "spend", 6.0);
    close(&m, "teams/research/spend", 6.0);
    // The same page again in another folder: refused.
    write_files(
        dir.path(),
        &[("pages/copy/usage-001.json", &page("user_ann"))],
    );
    let o = review(dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("hold the same rows"), "{}", stderr(&o));
    std::fs::remove_dir_all(dir.path().join("pages/copy")).unwrap();
    // A legacy usage-report page of the same day and dimensions: refused, though the actor rule
    // gave the Analytics rows a team the legacy rows do not have.
    write_files(
        dir.path(),
        &[(
            "pages/legacy/page-001.json",
            r#"{"data":[{"starting_at":"2026-10-05T00:00:00Z","results":[{"model":"claude-sonnet-4-5","workspace_id":"wrkspc_a","service_tier":"standard","uncached_input_tokens":2000000}]}]}"#,
        )],
    );
    let o = review(dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("both hold usage of"), "{}", stderr(&o));
}

/// The parts an engine writes for one table (Spark's `part-*`) split rows, not days: they count
/// together. The same rows in two files not named as parts are a duplicate.
#[test]
fn parts_of_one_dataset_share_days_but_copies_are_refused() {
    let head = "date,team,model,uncached_input_tokens\n";
    let part = format!("{head}2026-10-05,search,claude-sonnet-4-5,1000000\n");
    let cfg = "[organization]\nname = \"Acme\"\nreview_owner = \"Dana Whitfield\"\n\n[data]\npaths = [\"usage/*.csv\"]\n";
    let review = |dir: &Path| {
        run(govreview(dir).args([
            "review",
            "-q",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-10",
        ]))
    };
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("govreview.toml", cfg),
            ("usage/part-00000-a1.csv", &part),
            ("usage/part-00001-a1.csv", &part),
        ],
    );
    let o = review(dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reviews/2026-10/metrics.json")).unwrap(),
    )
    .unwrap();
    close(&m, "spend", 6.0);
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("govreview.toml", cfg),
            ("usage/october.csv", &part),
            ("usage/october-copy.csv", &part),
        ],
    );
    let o = review(dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("both hold usage of"), "{}", stderr(&o));
}

/// A new organisation's first months, growing 20% a month, with a $300k commitment: the forecast
/// holds growth to the cap, "no commitment" is a candidate, the pick never costs more than no
/// commitment, and the pack says how little history there is.
#[test]
fn a_new_organisation_growing_fast_gets_a_sober_forecast() {
    for (first, says) in [
        (
            "2026-09-01",
            "Growth rests on 8 weeks of the 13 to 2026-10-31.",
        ),
        (
            "2026-08-01",
            "Only 1 month-end has 6 weeks of usage before it.",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let start: chrono::NaiveDate = first.parse().unwrap();
        let mut csv = String::from(
            "date,team,app,model,service_tier,uncached_input_tokens,cache_creation_5m_input_tokens,cache_creation_1h_input_tokens,cache_read_input_tokens,output_tokens,requests\n",
        );
        for day in start
            .iter_days()
            .take_while(|d| d.to_string().as_str() <= "2026-10-31")
        {
            let g = 1.2_f64.powf((day - start).num_days() as f64 / 30.4375);
            csv.push_str(&format!(
                "{day},core,assistant,claude-sonnet-4-6,standard,{},0,0,0,{},1000\n",
                (200e6 * g).round(),
                (20e6 * g).round()
            ));
        }
        let cfg = "[organization]\nname = \"Newco\"\nreview_owner = \"Ann Example\"\n\n[data]\npaths = [\"usage.csv\"]\n\n[commitment]\namount = 300_000\nstart = 2026-08-01\nend = 2027-07-31\noverage = \"list\"\n\n[[commitment.bands]]\nmin = 100_000\ndiscount = 0.05\n\n[[commitment.bands]]\nmin = 250_000\ndiscount = 0.10\n\n[[commitment.bands]]\nmin = 500_000\ndiscount = 0.15\n";
        write_files(dir.path(), &[("govreview.toml", cfg), ("usage.csv", &csv)]);
        let o = run(govreview(dir.path()).args([
            "commitment",
            "-m",
            "2026-10",
            "--as-of",
            "2026-11-10",
            "--format",
            "json",
        ]));
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let f = &v["commitment"]["forecast"];
        let growth: Vec<f64> = f["model"]["monthly_growth"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        // The data grows about 20% a month; the forecast assumes at most 5%, and P10 none.
        let data = (f["model"]["data_slope"].as_f64().unwrap() * 30.4375 / 7.0).exp() - 1.0;
        assert!((0.15..0.25).contains(&data), "{first}: {data}");
        assert!(
            growth[2] <= 0.05 + 1e-12 && growth[0] <= 0.0,
            "{first}: {growth:?}"
        );
        // Nothing past what the cap allows: P90 at the end of the term is at most the level
        // grown at 5% a month.
        let r0 = f["model"]["r0_net"].as_f64().unwrap();
        let cap = 1.05_f64.ln() / 7.0 * 7.0 / 30.4375;
        let d_end: chrono::NaiveDate = "2026-10-31".parse().unwrap();
        let end: chrono::NaiveDate = "2027-07-31".parse().unwrap();
        let most: f64 = (d_end + chrono::Duration::days(1))
            .iter_days()
            .take_while(|d| *d <= end)
            .map(|d| r0 * (cap * ((d - d_end).num_days() as f64 + 13.5)).exp())
            .sum();
        let consumed = f["consumed"].as_f64().unwrap();
        assert!(
            f["end_of_term"][2].as_f64().unwrap() <= consumed + most + 0.01,
            "{first}: {}",
            f["end_of_term"]
        );
        // The table holds "no commitment"; the pick is never dearer than it.
        let s = &v["next_commitment"]["sizing"];
        let cands = s["candidates"].as_array().unwrap();
        assert_eq!(cands[0]["amount"], 0.0);
        assert_eq!(cands[0]["why"][0], "no_commitment");
        let rec = &cands[s["recommended"].as_u64().unwrap() as usize];
        assert!(
            rec["effective_discount"].as_f64().unwrap() >= 0.0,
            "{first}: {rec}"
        );
        // And it says how short the history is.
        let said: Vec<String> = f["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .chain([f["backtest_text"].as_str().unwrap().to_owned()])
            .collect();
        assert!(said.iter().any(|n| n.contains(says)), "{first}: {said:?}");
    }
}

/// An organisation's first review says, in one line, when a lever's goal is missed by more than
/// half of the workloads, and how to give an app its own target.
#[test]
fn a_first_review_suggests_per_app_targets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = std::fs::read_to_string(root().join("sample-data/govreview.toml")).unwrap();
    // The sample's data with the organisation's targets only.
    let plain: String = cfg
        .split("\n[targets.teams")
        .next()
        .unwrap()
        .replace("dir = \"../reviews\"", "dir = \"reviews\"");
    let tail = &cfg[cfg.find("\n[backlog]").unwrap()..];
    write_files(dir.path(), &[("govreview.toml", &format!("{plain}{tail}"))]);
    crate::util::copy_dir(&root().join("sample-data/usage"), &dir.path().join("usage"));
    let first = stdout(&run(govreview(dir.path()).args([
        "review",
        "-m",
        "2026-10",
        "--as-of",
        "2026-11-10",
    ])));
    let hint = first
        .lines()
        .find(|l| l.contains("Hint:"))
        .unwrap_or_else(|| panic!("{first}"));
    assert!(
        hint.contains("workloads miss their") && hint.contains("[targets.teams.<team>.apps.<app>]"),
        "{hint}"
    );
}
