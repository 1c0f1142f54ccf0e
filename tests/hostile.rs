//! The third hostile audit's reproductions: money never silently wrong, files and keys never
//! leak, every hostile input gets a clear answer (exit 2, the file, the row or key, the fix).

use std::path::Path;

use crate::util::{govreview, run, stderr, stdout, write_files};

const CONFIG: &str = r#"[organization]
name = "Acme"
review_owner = "Dana Whitfield"

[data]
paths = ["usage.csv"]
"#;

/// Runs `govreview review` for 2026-10 in a folder holding `files`; returns stderr after
/// checking exit code 2 and that no pack was written.
fn fails(files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    fails_in(dir.path(), &[])
}

fn fails_in(dir: &Path, extra: &[&str]) -> String {
    let o = run(govreview(dir)
        .args(["review", "--month", "2026-10", "--as-of", "2026-11-10"])
        .args(extra));
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {}\nstderr: {}",
        stdout(&o),
        stderr(&o)
    );
    assert!(
        !dir.join("reviews/2026-10").exists(),
        "nothing may be written on error"
    );
    stderr(&o)
}

/// The same rows as CSV (the fast path) and as NDJSON (the general query): both must refuse.
fn fails_both_ways(header: &str, rows: &[&str]) -> [String; 2] {
    let csv = format!("{header}\n{}\n", rows.join("\n"));
    let names: Vec<&str> = header.split(',').collect();
    let ndjson: String = rows
        .iter()
        .map(|r| {
            let fields: Vec<String> = names
                .iter()
                .zip(r.split(','))
                .map(|(n, v)| {
                    let number =
                        serde_json::from_str::<serde_json::Value>(v).is_ok_and(|j| j.is_number());
                    let json = if number && !v.starts_with(' ') {
                        v.to_owned()
                    } else {
                        format!("\"{v}\"")
                    };
                    format!("\"{n}\": {json}")
                })
                .collect();
            format!("{{{}}}\n", fields.join(", "))
        })
        .collect();
    let ndjson_cfg = CONFIG.replace("usage.csv", "usage.ndjson");
    [
        fails(&[("govreview.toml", CONFIG), ("usage.csv", &csv)]),
        fails(&[("govreview.toml", &ndjson_cfg), ("usage.ndjson", &ndjson)]),
    ]
}

#[test]
fn the_messages_api_column_names_are_refused_with_the_mapping_to_write() {
    for (alias, canonical) in [
        ("input_tokens", "uncached_input_tokens"),
        ("prompt_tokens", "uncached_input_tokens"),
        ("completion_tokens", "output_tokens"),
    ] {
        let header = if alias == "completion_tokens" {
            format!("date,model,team,uncached_input_tokens,{alias}")
        } else {
            format!("date,model,team,{alias},output_tokens")
        };
        for e in fails_both_ways(
            &header,
            &[
                "2026-10-01,claude-sonnet-4-5,a,900000000,1000",
                "2026-10-02,claude-sonnet-4-5,a,900000000,1000",
            ],
        ) {
            assert!(
                e.contains(&format!("`{alias}`")) && e.contains(&format!("`{canonical}`")),
                "{alias}: {e}"
            );
            assert!(e.contains("usage."), "names the file: {e}");
        }
    }
}

#[test]
fn a_file_without_any_token_column_is_refused() {
    for e in fails_both_ways(
        "date,model,team,tokens",
        &["2026-10-01,claude-sonnet-4-5,a,5"],
    ) {
        assert!(
            e.contains("none of the token columns") && e.contains("uncached_input_tokens"),
            "{e}"
        );
    }
}

#[test]
fn a_billed_cost_that_is_not_an_amount_in_range_is_an_error_never_zero() {
    let header = "date,model,team,uncached_input_tokens,output_tokens,cost_usd";
    for (value, says) in [
        ("NaN", "not a finite amount"),
        ("inf", "not a finite amount"),
        ("-inf", "not a finite amount"),
        ("1e40", "largest billed cost"),
        ("99999999999", "largest billed cost"),
        ("92233720368", "largest billed cost"),
        ("-720000", "negative"),
    ] {
        for e in fails_both_ways(
            header,
            &[
                "2026-10-01,claude-sonnet-4-5,a,1000,10,1.5",
                &format!("2026-10-02,claude-sonnet-4-5,a,1000,10,{value}"),
            ],
        ) {
            assert!(
                e.contains("row 2") && e.contains("cost_usd") && e.contains(says),
                "{value}: {e}"
            );
        }
    }
}

#[test]
fn poorly_written_numbers_get_a_message_that_names_the_real_cause() {
    let header = "date,model,team,uncached_input_tokens,output_tokens,cost_usd";
    let [csv, ndjson] = fails_both_ways(header, &["2026-10-01,claude-sonnet-4-5,a,1000,10, 150"]);
    for e in [csv, ndjson] {
        assert!(e.contains("spaces"), "{e}");
        assert!(!e.contains("largest"), "{e}");
    }
    let e = fails(&[
        ("govreview.toml", CONFIG),
        (
            "usage.csv",
            "date,model,team,uncached_input_tokens,output_tokens\n2026-10-01,claude-sonnet-4-5,a,2e4,10\n",
        ),
    ]);
    assert!(
        e.contains("scientific notation") && e.contains("20000"),
        "{e}"
    );
}
