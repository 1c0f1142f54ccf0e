//! Bad input: a clear message naming the file, row/column or key and the fix; exit code 2; and no
//! output written. Messages are snapshot-tested (tests/snapshots/).

use crate::util::{govreview, root, run, stderr, write_files};

const CONFIG: &str = r#"[organization]
name = "Acme"
review_owner = "Dana Whitfield"

[data]
paths = ["usage.csv"]
"#;

const HEADER: &str = "date,model,team,uncached_input_tokens,output_tokens\n";

/// Runs `govreview review --month 2026-10` in a folder holding `files`; returns stderr after
/// checking exit code 2 and that no pack was written.
fn fails(files: &[(&str, &str)], extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    let o = run(govreview(dir.path())
        .args(["review", "--month", "2026-10", "--as-of", "2026-11-10"])
        .args(extra));
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    assert!(
        !dir.path().join("reviews").exists(),
        "nothing may be written on error"
    );
    assert!(o.stdout.is_empty(), "no summary on error");
    stderr(&o)
}

fn usage(rows: &str) -> String {
    format!("{HEADER}{rows}")
}

#[test]
fn missing_required_column() {
    let e = fails(
        &[
            ("govreview.toml", CONFIG),
            ("usage.csv", "date,team,output_tokens\n2026-10-01,a,5\n"),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn unparsable_date() {
    let e = fails(
        &[
            ("govreview.toml", CONFIG),
            (
                "usage.csv",
                &usage("2026-10-01,claude-opus-4-5,a,1,1\n2026-10-32,claude-opus-4-5,a,1,1\n"),
            ),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn unparsable_number() {
    let e = fails(
        &[
            ("govreview.toml", CONFIG),
            (
                "usage.csv",
                &usage("2026-10-01,claude-opus-4-5,a,1,1\n2026-10-02,claude-opus-4-5,a,12k,1\n"),
            ),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn negative_tokens() {
    let e = fails(
        &[
            ("govreview.toml", CONFIG),
            (
                "usage.csv",
                &usage(
                    "2026-10-01,claude-opus-4-5,a,1,1\n2026-10-02,claude-opus-4-5,a,1,1\n2026-10-03,claude-opus-4-5,a,1,-40\n",
                ),
            ),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn unknown_model_names_the_config_key() {
    let e = fails(
        &[
            ("govreview.toml", CONFIG),
            ("usage.csv", &usage("2026-10-01,claude-mythos-1,a,1,1\n")),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn no_rows_in_the_review_month() {
    let e = fails(
        &[
            ("govreview.toml", CONFIG),
            (
                "usage.csv",
                &usage("2026-08-01,claude-opus-4-5,a,1,1\n2026-09-01,claude-opus-4-5,a,1,1\n"),
            ),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn the_same_data_loaded_twice() {
    let body = usage("2026-10-01,claude-opus-4-5,a,1,1\n2026-10-02,claude-opus-4-5,a,1,1\n");
    let cfg = CONFIG.replace(
        "paths = [\"usage.csv\"]",
        "paths = [\"usage.csv\", \"copy/usage.csv\"]",
    );
    let e = fails(
        &[
            ("govreview.toml", &cfg),
            ("usage.csv", &body),
            ("copy/usage.csv", &body),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn config_syntax_error_has_line_and_column() {
    let cfg = CONFIG.replace("name = \"Acme\"", "name = \"Acme");
    let e = fails(
        &[
            ("govreview.toml", &cfg),
            ("usage.csv", &usage("2026-10-01,claude-opus-4-5,a,1,1\n")),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn unknown_config_key() {
    let cfg = format!("{CONFIG}\n[targets]\nmax_opus_shar = 0.3\n");
    let e = fails(
        &[
            ("govreview.toml", &cfg),
            ("usage.csv", &usage("2026-10-01,claude-opus-4-5,a,1,1\n")),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn target_outside_zero_one_and_commitment_end_before_start_reported_together() {
    let cfg = format!(
        "{CONFIG}\n[targets]\nmin_cache_hit_rate = 60\n\n[commitment]\namount = 1000.0\nstart = 2026-12-31\nend = 2026-01-01\n"
    );
    let e = fails(
        &[
            ("govreview.toml", &cfg),
            ("usage.csv", &usage("2026-10-01,claude-opus-4-5,a,1,1\n")),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn missing_config_file_says_how_to_point_at_one() {
    let e = fails(
        &[("usage.csv", &usage("2026-10-01,claude-opus-4-5,a,1,1\n"))],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn data_path_that_matches_nothing() {
    let e = fails(
        &[
            ("govreview.toml", CONFIG),
            ("usage.csv", &usage("2026-10-01,claude-opus-4-5,a,1,1\n")),
        ],
        &["--data", "2026-*.parquet"],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn bad_month_argument() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(govreview(dir.path()).args(["review", "--month", "2026-13"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`2026-13` is not a month; write it as YYYY-MM"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_existing_pack_survives_a_failed_run() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("govreview.toml", CONFIG),
            ("usage.csv", &usage("2026-10-01,claude-opus-4-5,a,1,1\n")),
        ],
    );
    let ok = run(govreview(dir.path()).args(["review", "--month", "2026-10", "-q"]));
    assert!(ok.status.success(), "{}", stderr(&ok));
    let before = std::fs::read(dir.path().join("reviews/2026-10/review.md")).unwrap();
    write_files(
        dir.path(),
        &[("usage.csv", &usage("2026-10-01,claude-opus-4-5,a,1,-1\n"))],
    );
    let bad = run(govreview(dir.path()).args(["review", "--month", "2026-10", "-q"]));
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        std::fs::read(dir.path().join("reviews/2026-10/review.md")).unwrap(),
        before
    );
}

/// Damaged Parquet files: exit 2 naming the file, nothing written, no panic on the terminal,
/// on the fast path and the general query alike.
#[test]
fn damaged_parquet_files_are_named() {
    for name in ["footer.parquet", "pages.parquet"] {
        for general in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let config = CONFIG.replace("usage.csv", "usage.parquet");
            write_files(dir.path(), &[("govreview.toml", &config)]);
            std::fs::copy(
                root().join("tests/fixtures/damaged").join(name),
                dir.path().join("usage.parquet"),
            )
            .unwrap();
            let mut cmd = govreview(dir.path());
            if general {
                cmd.env("GOVREVIEW_NO_FAST_PATH", "1");
            }
            let o = run(cmd.args(["review", "--month", "2026-10"]));
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{name}: {e}");
            assert!(
                e.contains("usage.parquet") && e.contains("cannot be read"),
                "{name}: {e}"
            );
            assert!(!e.contains("panicked"), "{name}: {e}");
            assert!(!dir.path().join("reviews").exists());
        }
    }
}

/// A column type the reader has no support for (DuckDB's DECIMAL) is named, with what to write.
#[test]
fn a_decimal_column_says_to_write_double() {
    for general in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let config = CONFIG.replace("usage.csv", "usage.parquet");
        write_files(dir.path(), &[("govreview.toml", &config)]);
        std::fs::copy(
            root().join("tests/fixtures/damaged/decimal.parquet"),
            dir.path().join("usage.parquet"),
        )
        .unwrap();
        let mut cmd = govreview(dir.path());
        if general {
            cmd.env("GOVREVIEW_NO_FAST_PATH", "1");
        }
        let o = run(cmd.args(["review", "--month", "2026-10", "--as-of", "2026-11-10"]));
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(
            e.contains("usage.parquet: has a column of type Decimal(10, 2)")
                && e.contains("DOUBLE"),
            "{e}"
        );
    }
}

#[test]
fn short_row() {
    let e = fails(
        &[
            ("govreview.toml", CONFIG),
            (
                "usage.csv",
                &usage("2026-10-01,claude-opus-4-5,a,1,1\n2026-10-02,claude-opus-4-5,a,10\n"),
            ),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn a_file_cut_off_mid_row() {
    let e = fails(
        &[
            ("govreview.toml", CONFIG),
            (
                "usage.csv",
                &usage("2026-10-01,claude-opus-4-5,a,1,1\n2026-10-02,claude-opus-4-5,a,12"),
            ),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn unterminated_quote() {
    let body = usage("2026-10-01,claude-opus-4-5,\"a,1,1\n")
        + &"2026-10-02,claude-opus-4-5,a,1,1\n".repeat(2000);
    let e = fails(&[("govreview.toml", CONFIG), ("usage.csv", &body)], &[]);
    assert!(
        e.len() < 500,
        "the message names the line, it does not dump the file"
    );
    insta::assert_snapshot!(e);
}

#[test]
fn invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("govreview.toml", CONFIG)]);
    let mut body = usage("2026-10-01,claude-opus-4-5,a,1,1\n").into_bytes();
    body.extend_from_slice(b"2026-10-02,claude-opus-4-5,caf\xe9,1,1\n");
    std::fs::write(dir.path().join("usage.csv"), body).unwrap();
    let o =
        run(govreview(dir.path()).args(["review", "--month", "2026-10", "--as-of", "2026-11-10"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path().join("reviews").exists());
    insta::assert_snapshot!(stderr(&o));
}

#[test]
fn ndjson_syntax_error() {
    let cfg = CONFIG.replace("usage.csv", "usage.ndjson");
    let e = fails(
        &[
            ("govreview.toml", &cfg),
            (
                "usage.ndjson",
                "{\"date\": \"2026-10-01\", \"model\": \"claude-opus-4-5\", \"output_tokens\": 1}\n{\"date\": \"2026-10-02\", \"model\": \"claude-opus-4-5\" \"output_tokens\": 1}\n",
            ),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn a_count_beyond_what_can_be_counted() {
    let e = fails(
        &[
            ("govreview.toml", CONFIG),
            (
                "usage.csv",
                &usage(
                    "2026-10-01,claude-opus-4-5,a,1,1\n2026-10-02,claude-opus-4-5,a,99999999999999999999,1\n",
                ),
            ),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn every_config_problem_at_once_with_types_and_typos() {
    let cfg = format!(
        "{CONFIG}\n[targets]\nmin_cache_hit_rate = \"half\"\nmax_opus_shar = 0.3\nmin_batch_share = 2\n\n[commitment]\namount = \"600k\"\nstart = 2026-01-01\nend = 2026-12-31\n"
    );
    let e = fails(
        &[
            ("govreview.toml", &cfg),
            ("usage.csv", &usage("2026-10-01,claude-opus-4-5,a,1,1\n")),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn backlog_defaults_and_surge_problems_reported_together() {
    let config = format!(
        "{CONFIG}\n[targets]\nsurge = {{ growth = 0, min_usd = 100 }}\n\n[backlog]\nroute_to = \"claude-sonet-4-6\"\nwave_weeks = 0\nmin_annual_saving = -5\n\n[backlog.effort]\nrouting = -1\n\n[backlog.effort.apps.\"growth\"]\nbatch = 2\n\n[defaults]\nmax_opus_share = 1.5\nbatch_apps = [\"[nightly\"]\nnew_work_grace = 2\n"
    );
    let e = fails(
        &[
            ("govreview.toml", &config),
            ("usage.csv", &usage("2026-10-01,claude-sonnet-4-5,a,1,1\n")),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn commitment_bands_out_of_order_and_out_of_range() {
    let config = format!(
        "{CONFIG}\n[commitment]\namount = 1000.0\nstart = 2026-01-01\nend = 2026-12-31\nnext_term_days = 0\noverage_factor = -1\n\n[[commitment.bands]]\nmin = 500_000\ndiscount = 0.10\n\n[[commitment.bands]]\nmin = 1_000_000\ndiscount = 0.05\n\n[[commitment.bands]]\nmin = 250_000\ndiscount = 1.5\n\n[[commitment.bands]]\nmin = 500_000\ndiscount = 0.12\nmax = 3\n"
    );
    let e = fails(
        &[
            ("govreview.toml", &config),
            ("usage.csv", &usage("2026-10-01,claude-sonnet-4-5,a,1,1\n")),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

#[test]
fn the_next_terms_settings_each_named() {
    // Bands without `overage`, a next term starting inside this one, a negative growth cap, a
    // growth of -100% a month, no ramp periods: each named with its line and how to fix it.
    let config = format!(
        "{CONFIG}\n[commitment]\namount = 1000.0\nstart = 2026-01-01\nend = 2026-12-31\nnext_start = 2026-12-01\nmax_monthly_growth = -0.05\nmonthly_growth = -1.0\nramp_periods = 0\n\n[[commitment.bands]]\nmin = 500_000\ndiscount = 0.10\n"
    );
    let e = fails(
        &[
            ("govreview.toml", &config),
            ("usage.csv", &usage("2026-10-01,claude-sonnet-4-5,a,1,1\n")),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
    let config = format!(
        "{CONFIG}\n[commitment]\namount = 1000.0\nstart = 2026-01-01\nend = 2026-12-31\noverage = \"at list\"\n"
    );
    let e = fails(
        &[
            ("govreview.toml", &config),
            ("usage.csv", &usage("2026-10-01,claude-sonnet-4-5,a,1,1\n")),
        ],
        &[],
    );
    assert!(
        e.contains("`commitment.overage`: `at list` is not how overage is billed; write \"list\""),
        "{e}"
    );
}

/// Bad Analytics API pages: each names the file and the field, exits 2 and writes nothing.
#[test]
fn bad_analytics_api_pages_name_file_and_field() {
    let cfg = CONFIG.replace("usage.csv", "pages");
    let row = r#"{"starting_at":"2026-10-01T00:00:00Z","ending_at":"2026-10-02T00:00:00Z","group":{"model":"claude-sonnet-4-5"},"usage":{"output_tokens":1}}"#;
    let cost = r#"{"starting_at":"2026-10-01T00:00:00Z","ending_at":"2026-10-02T00:00:00Z","group":{"model":"claude-sonnet-4-5"},"cost":{"amount":"twelve","currency":"USD"}}"#;
    let legacy = r#"{"starting_at":"2026-10-01T00:00:00Z","results":[{"model":"claude-sonnet-4-5","output_tokens":1}]}"#;
    let cases = [
        (
            format!(r#"{{"data":[{legacy},{row}],"has_more":false}}"#),
            "pages/mixed.json, field `data[1]`: mixes the legacy report shape",
        ),
        (
            format!(r#"{{"data":[{row},{cost}]}}"#),
            "pages/mixed.json, field `data[1]`: mixes usage rows",
        ),
        (
            format!(r#"{{"data":[{row}]}}"#)
                .replace(r#""starting_at":"2026-10-01T00:00:00Z","#, ""),
            "pages/mixed.json, field `data[0].starting_at`: is missing",
        ),
    ];
    for (page, want) in cases {
        let e = fails(
            &[("govreview.toml", &cfg), ("pages/mixed.json", &page)],
            &[],
        );
        assert!(e.contains(want), "want {want}\ngot {e}");
    }
    let e = fails(
        &[
            ("govreview.toml", &cfg),
            ("pages/usage.json", &format!(r#"{{"data":[{row}]}}"#)),
            ("pages/cost.json", &format!(r#"{{"data":[{cost}]}}"#)),
        ],
        &[],
    );
    assert!(
        e.contains("pages/cost.json, field `data[0].cost.amount`: \"twelve\" is not an amount"),
        "{e}"
    );
}

/// The backlog's settings and goals, each named with its line and how to fix it.
#[test]
fn backlog_settings_and_goals_each_named() {
    let config = format!(
        "{CONFIG}\n[targets]\nmin_haiku_share = 1.5\n\n[backlog]\nwave_items = 0\ndropped_months = -1\ndownshift_to = \"claude-haiku-9\"\n"
    );
    let e = fails(
        &[
            ("govreview.toml", &config),
            ("usage.csv", &usage("2026-10-01,claude-sonnet-4-5,a,1,1\n")),
        ],
        &[],
    );
    insta::assert_snapshot!(e);
}

/// A register whose validation or drop cannot be true: exit 2, the line, how to fix it; nothing
/// written.
#[test]
fn register_validations_and_drops_that_cannot_be_true() {
    let action = |extra: &str| {
        format!(
            "[[action]]\nid = \"A-0001\"\ntitle = \"Route\"\nfinding = \"model_mix.opus\"\nscope = \"a\"\nowner = \"Dana Whitfield\"\ndue = 2026-11-20\nopened = \"2026-10\"\n{extra}"
        )
    };
    for (extra, says) in [
        (
            "status = \"open\"\nvalidated = 2026-09-01\n",
            "`A-0001.validated`: 2026-09-01 is before the action was opened (2026-10)",
        ),
        (
            "status = \"dropped\"\nclosed = 2026-11-05\n",
            "`A-0001.status`: is dropped without a note",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let reg = action(extra);
        write_files(
            dir.path(),
            &[
                ("govreview.toml", CONFIG),
                ("usage.csv", &usage("2026-10-01,claude-sonnet-4-5,a,1,1\n")),
                ("reviews/actions.toml", &reg),
            ],
        );
        let o = run(govreview(dir.path()).args([
            "review",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-10",
        ]));
        assert_eq!(o.status.code(), Some(2), "{extra}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{extra}: {}", stderr(&o));
        assert!(!dir.path().join("reviews/2026-10").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("reviews/actions.toml")).unwrap(),
            reg
        );
    }
}
