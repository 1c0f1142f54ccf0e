//! Tests of the general query: the cube, bad rows, overlaps, hashing.

#[allow(unused_imports)]
use super::aggregate::{query::*, *};
use super::*;
#[allow(unused_imports)]
use super::{detect::*, diagnose::*, guard::*, overlaps::*, source::*};
use crate::pricing::Tokens;
use polars::prelude::{DataFrame, df};
use std::io::Write;
use std::path::{Path, PathBuf};

fn csv(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    f.write_all(body.as_bytes()).unwrap();
    p
}

fn err_text(r: Result<Dataset>) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn rfc3339_timestamps_of_mixed_forms_all_parse() {
    // Z and offsets, with and without fractions, in one column: each counted by UTC day.
    let d = tempfile::tempdir().unwrap();
    let p = csv(
        d.path(),
        "u.ndjson",
        concat!(
            r#"{"starting_at":"2026-10-01T00:00:00Z","model":"claude-opus-4-5","output_tokens":1}"#,
            "\n",
            r#"{"starting_at":"2026-10-01T12:30:00.250Z","model":"claude-opus-4-5","output_tokens":2}"#,
            "\n",
            r#"{"starting_at":"2026-10-02T01:00:00+02:00","model":"claude-opus-4-5","output_tokens":4}"#,
            "\n",
            r#"{"starting_at":"2026-10-03T23:30:00.5-01:00","model":"claude-opus-4-5","output_tokens":8}"#,
            "\n",
            r#"{"starting_at":"2026-10-05T00:00:00+00:00","model":"claude-opus-4-5","output_tokens":16}"#,
            "\n",
        ),
    );
    let ds = load(&[p], None).unwrap();
    let days: Vec<String> = ds.days.iter().map(|d| d.to_string()).collect();
    // 2026-10-02T01:00+02:00 is 2026-10-01 23:00 UTC; 2026-10-03T23:30-01:00 is the 4th.
    assert_eq!(days, ["2026-10-01", "2026-10-04", "2026-10-05"]);
    assert_eq!(ds.rows.iter().map(|r| r.tokens.output).sum::<u64>(), 31);
}

#[test]
fn a_count_too_large_is_named() {
    let d = tempfile::tempdir().unwrap();
    let p = csv(
        d.path(),
        "u.csv",
        "date,model,output_tokens\n2026-10-01,claude-opus-4-5,5\n2026-10-02,claude-opus-4-5,99999999999999999999\n",
    );
    let e = err_text(load(&[p], None));
    assert!(e.contains("u.csv:3: row 2, column `output_tokens`"), "{e}");
    assert!(e.contains("exceeds the largest count"), "{e}");
    let p = csv(
        d.path(),
        "v.csv",
        "date,model,output_tokens\n2026-10-01,claude-opus-4-5,9223372036854775000\n",
    );
    let e = err_text(load(&[p], None));
    assert!(
        e.contains("v.csv:2: row 1") && e.contains("exceeds the largest count"),
        "{e}"
    );
}

#[test]
fn sums_that_would_wrap_are_refused() {
    // 10,000 rows of 10^15 tokens: each row is allowed, their sum is not countable.
    let d = tempfile::tempdir().unwrap();
    let mut body = String::from("date,model,output_tokens\n");
    for _ in 0..10_000 {
        body.push_str("2026-10-01,claude-opus-4-5,1000000000000000\n");
    }
    let p = csv(d.path(), "u.csv", &body);
    let e = err_text(load(&[p], None));
    assert!(
        e.contains("u.csv") && e.contains("more than govreview can count"),
        "{e}"
    );
}

#[test]
fn short_rows_are_refused_not_zero_filled() {
    let d = tempfile::tempdir().unwrap();
    let p = csv(
        d.path(),
        "u.csv",
        "date,model,uncached_input_tokens,output_tokens\n2026-10-01,claude-opus-4-5,10,5\n2026-10-02,claude-opus-4-5,12\n",
    );
    let e = err_text(load(&[p], None));
    assert!(
        e.contains("u.csv:3: row 2") && e.contains("has 3 fields but the header has 4"),
        "{e}"
    );
}

#[test]
fn ndjson_syntax_errors_name_the_line() {
    let d = tempfile::tempdir().unwrap();
    let p = csv(
        d.path(),
        "u.ndjson",
        "{\"date\":\"2026-10-01\",\"model\":\"claude-opus-4-5\",\"output_tokens\":1}\n{\"date\":\"2026-10-02\",\"model\":\"claude-opus-4-5\",\"output_tokens\":1\n",
    );
    let e = err_text(load(&[p], None));
    assert!(e.contains("u.ndjson:2:"), "{e}");
    assert!(e.len() < 400, "{e}");
}

#[test]
fn csv_rows_aggregate_into_the_cube() {
    let d = tempfile::tempdir().unwrap();
    let p = csv(
        d.path(),
        "u.csv",
        "date,model,service_tier,team,uncached_input_tokens,cache_read_input_tokens,output_tokens,requests\n\
         2026-10-01,claude-opus-4-5,standard,search,100,50,10,2\n\
         2026-10-02,claude-opus-4-5,,search,200,0,20,\n\
         2026-09-30,claude-opus-4-5,batch,search,1,2,3,1\n",
    );
    let ds = load(&[p], None).unwrap();
    assert_eq!(ds.rows.len(), 2);
    let oct = ds
        .rows
        .iter()
        .find(|r| r.month.to_string() == "2026-10")
        .unwrap();
    assert_eq!(oct.tier, "standard");
    assert_eq!(oct.tokens.uncached_input, 300);
    assert_eq!(oct.tokens.cache_read, 50);
    assert_eq!(oct.tokens.output, 30);
    assert_eq!(oct.requests, 2);
    assert_eq!(oct.output_with_requests, 10);
    assert_eq!(oct.rows, 2);
    assert_eq!(ds.days.len(), 3);
    assert_eq!(ds.files[0].rows, 3);
}

#[test]
fn legacy_cache_write_column_counts_as_5m() {
    let d = tempfile::tempdir().unwrap();
    let p = csv(
        d.path(),
        "u.csv",
        "date,model,cache_creation_input_tokens\n2026-10-01,m,7\n",
    );
    let ds = load(&[p], None).unwrap();
    assert_eq!(ds.rows[0].tokens.cache_write_5m, 7);
    assert!(ds.files[0].tier_missing, "no service_tier column");
}

#[test]
fn cache_writes_given_twice_must_agree() {
    let d = tempfile::tempdir().unwrap();
    let head = "date,model,cache_creation_input_tokens,cache_creation_5m_input_tokens,cache_creation_1h_input_tokens\n";
    // Agreeing: the split is what counts.
    let p = csv(
        d.path(),
        "a.csv",
        &format!("{head}2026-10-01,m,3000000,1000000,2000000\n"),
    );
    let ds = load(&[p], None).unwrap();
    let t = &ds.rows[0].tokens;
    assert_eq!((t.cache_write_5m, t.cache_write_1h), (1_000_000, 2_000_000));
    // Disagreeing on the second row: 2M writes would vanish; refused, naming the row, on the
    // general query and the fast path alike.
    let p = csv(
        d.path(),
        "b.csv",
        &format!("{head}2026-10-01,m,3,1,2\n2026-10-02,m,3000000,1000000,0\n"),
    );
    for fast_path in [true, false] {
        let options = Options {
            fast_path,
            ..Options::default()
        };
        let e = err_text(load_with(&[(p.clone(), None)], None, &options));
        assert!(
            e.contains("b.csv") && e.contains("row 2") && e.contains("is not the sum of"),
            "{e}"
        );
    }
}

#[test]
fn a_key_spelt_differently_on_a_later_ndjson_row_is_named() {
    let d = tempfile::tempdir().unwrap();
    for key in ["Output_Tokens", "outputtokens"] {
        let p = csv(
            d.path(),
            "u.ndjson",
            &format!(
                "{{\"date\":\"2026-10-15\",\"model\":\"m\",\"output_tokens\":0}}\n{{\"date\":\"2026-10-15\",\"model\":\"m\",\"{key}\":5000000}}\n"
            ),
        );
        let e = err_text(load(&[p], None));
        assert!(
            e.contains(key) && e.contains("looks like `output_tokens`"),
            "{e}"
        );
    }
}

#[test]
fn billed_cost_is_summed_exactly() {
    let d = tempfile::tempdir().unwrap();
    let p = csv(
        d.path(),
        "u.csv",
        "date,model,output_tokens,cost_usd\n2026-10-01,m,1,0.1\n2026-10-02,m,1,0.2\n",
    );
    let ds = load(&[p], None).unwrap();
    assert!(ds.rows[0].billed);
    assert_eq!(ds.rows[0].billed_cost, 0.3);
}

#[test]
fn timestamps_become_utc_days() {
    let d = tempfile::tempdir().unwrap();
    let p = csv(
        d.path(),
        "u.csv",
        "starting_at,model,output_tokens\n2026-10-31T23:00:00-02:00,m,5\n2026-10-01T00:00:00Z,m,1\n",
    );
    let ds = load(&[p], None).unwrap();
    let months: Vec<String> = ds.rows.iter().map(|r| r.month.to_string()).collect();
    assert_eq!(months, ["2026-10", "2026-11"]);
}

#[test]
fn commitment_term_splits_rows() {
    let d = tempfile::tempdir().unwrap();
    let p = csv(
        d.path(),
        "u.csv",
        "date,model,output_tokens\n2026-10-14,m,5\n2026-10-15,m,7\n",
    );
    let term = (
        NaiveDate::from_ymd_opt(2026, 10, 15).unwrap(),
        NaiveDate::from_ymd_opt(2027, 10, 14).unwrap(),
    );
    let ds = load(&[p], Some(term)).unwrap();
    let inside: u64 = ds
        .rows
        .iter()
        .filter(|r| r.in_term)
        .map(|r| r.tokens.output)
        .sum();
    assert_eq!(inside, 7);
}

#[test]
fn bad_rows_are_named() {
    let d = tempfile::tempdir().unwrap();
    let p = csv(
        d.path(),
        "a.csv",
        "date,model,output_tokens\n2026-10-01,m,5\n2026-10-02,m,-3\n",
    );
    let e = err_text(load(std::slice::from_ref(&p), None));
    assert!(
        e.contains("a.csv:3: row 2, column `output_tokens`: `-3` is negative"),
        "{e}"
    );
    let p = csv(
        d.path(),
        "b.csv",
        "date,model,output_tokens\n2026-10-01,m,5x\n",
    );
    let e = err_text(load(&[p], None));
    assert!(
        e.contains("row 1, column `output_tokens`: `5x` is not a whole number"),
        "{e}"
    );
    let p = csv(
        d.path(),
        "c.csv",
        "date,model,output_tokens\n2026-13-01,m,1\n",
    );
    let e = err_text(load(&[p], None));
    assert!(
        e.contains("row 1, column `date`: `2026-13-01` is not a date"),
        "{e}"
    );
    let p = csv(d.path(), "d.csv", "day,model\n2026-10-01,m\n");
    let e = err_text(load(&[p], None));
    assert!(e.contains("required column is missing"), "{e}");
}

#[test]
fn hashed_and_exact_cubes_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = expand_paths(&["sample-data/usage/2026-0[89].csv".into()], root).unwrap();
    let sources: Vec<Source> = files
        .iter()
        .map(|p| open(p, anthropic::Kind::Canonical, None).unwrap())
        .collect();
    let plan = Plan {
        requests: true,
        text_counts: true,
        ..Plan::default()
    };
    let sorted = |df: DataFrame| {
        let term = None;
        let mut rows = to_rows(&df, &plan, term).unwrap();
        rows.sort_by(|a, b| {
            (
                a.file,
                a.month,
                &a.team,
                &a.app,
                &a.api_key_id,
                &a.model,
                &a.tier,
            )
                .cmp(&(
                    b.file,
                    b.month,
                    &b.team,
                    &b.app,
                    &b.api_key_id,
                    &b.model,
                    &b.tier,
                ))
        });
        rows
    };
    let sources: Vec<(usize, &Source)> = sources.iter().enumerate().collect();
    let hashed = cube_query_with(&sources, &plan, true).unwrap().unwrap();
    let exact = cube_query_with(&sources, &plan, false).unwrap().unwrap();
    let (h, e) = (sorted(hashed), sorted(exact));
    assert!(h.len() >= 30, "{}", h.len());
    assert_eq!(h, e);
}

#[test]
fn a_hash_collision_is_detected() {
    let ok = df!("__check_min" => [1u64, 7], "__check_max" => [1u64, 7]).unwrap();
    let mixed = df!("__check_min" => [1u64, 7], "__check_max" => [1u64, 8]).unwrap();
    assert!(!mixes_keys(&ok).unwrap());
    assert!(mixes_keys(&mixed).unwrap());
}

#[test]
fn console_usage_exports_map_onto_the_canonical_columns() {
    let d = tempfile::tempdir().unwrap();
    let new = csv(
        d.path(),
        "console.csv",
        "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens,web_search_count,inference_geo,speed\n\
         2026-10-01,claude-sonnet-4-5-20250929,support-bot,Default,batch,\u{2264} 200k,100,20,10,300,50,2,global,standard\n",
    );
    let old = csv(
        d.path(),
        "console-old.csv",
        "usage_date_utc,model_version,api_key,workspace,usage_type,usage_input_tokens_no_cache,usage_input_tokens_cache_write,usage_input_tokens_cache_read,usage_output_tokens\n\
         2026-10-02,claude-haiku-4-5,jobs,Research,standard,7,8,9,10\n",
    );
    let ds = load(&[new, old], None).unwrap();
    assert_eq!(ds.files[0].format, "console usage");
    let a = &ds
        .rows
        .iter()
        .find(|r| r.model.starts_with("claude-sonnet"))
        .unwrap();
    assert_eq!(a.tokens, Tokens::new(100, 20, 10, 300, 50));
    assert_eq!(a.tier, "batch");
    assert_eq!(a.api_key_id.as_deref(), Some("support-bot"));
    assert_eq!(a.workspace_id.as_deref(), Some("Default"));
    assert_eq!(a.web_search_requests, 2);
    let b = &ds
        .rows
        .iter()
        .find(|r| r.model.starts_with("claude-haiku"))
        .unwrap();
    assert_eq!(
        b.tokens,
        Tokens::new(7, 8, 0, 9, 10),
        "the single cache-write column is 5-minute writes"
    );
}

/// A Console export's bad row is named in the export's own column names, not the canonical ones
/// it is read as.
#[test]
fn console_rows_are_named_in_the_console_columns() {
    let d = tempfile::tempdir().unwrap();
    let both = csv(
        d.path(),
        "console.csv",
        "usage_date_utc,model_version,api_key,workspace,usage_type,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_write,usage_input_tokens_cache_read,usage_output_tokens\n\
         2026-10-01,claude-sonnet-4-5-20250929,support-bot,Default,standard,100,20,10,5,300,50\n",
    );
    let e = load(&[both], None).unwrap_err().to_string();
    assert!(
        e.contains("column `usage_input_tokens_cache_write`")
            && e.contains(
                "usage_input_tokens_cache_write_5m and usage_input_tokens_cache_write_1h"
            )
            && !e.contains("cache_creation"),
        "{e}"
    );
    let negative = csv(
        d.path(),
        "console2.csv",
        "usage_date_utc,model_version,api_key,workspace,usage_type,usage_input_tokens_no_cache,usage_output_tokens\n\
         2026-10-01,claude-sonnet-4-5-20250929,support-bot,Default,standard,-4,50\n",
    );
    let e = load(&[negative], None).unwrap_err().to_string();
    assert!(e.contains("column `usage_input_tokens_no_cache`"), "{e}");
}

#[test]
fn report_pages_and_cost_exports() {
    let d = tempfile::tempdir().unwrap();
    let usage = csv(
        d.path(),
        "u.csv",
        "date,model,workspace_id,output_tokens\n2026-10-01,claude-sonnet-4-5,Default,5\n",
    );
    let cost = csv(
        d.path(),
        "cost.csv",
        "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed\n\
         2026-10-01,Claude Sonnet 4.5,Default,bot,standard,\u{2264} 200k,output,1.25,1.50,tokens,global,standard\n\
         2026-10-01,Claude Haiku 3.5,Default,bot,batch,\u{2264} 200k,input_no_cache,0.5,0.5,tokens,global,standard\n",
    );
    let ds = load(&[usage.clone(), cost.clone()], None).unwrap();
    assert_eq!(ds.files[1].format, "console cost");
    assert_eq!(ds.costs.len(), 2);
    assert_eq!(ds.costs[0].1.model.as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(ds.costs[1].1.model.as_deref(), Some("claude-3-5-haiku"));
    assert_eq!(ds.costs[0].1.usd, 1.25);
    let e = err_text(load(std::slice::from_ref(&cost), None));
    assert!(e.contains("only cost data was given"), "{e}");
    let bad = csv(
        d.path(),
        "bad-cost.csv",
        "usage_date_utc,model,workspace,token_type,cost_usd\n2026-10-01,Claude Sonnet 4.5,Default,output,1.2.3\n",
    );
    let e = err_text(load(&[usage.clone(), bad], None));
    assert!(
        e.contains("bad-cost.csv:2: row 1, column `cost_usd`: `1.2.3` is not a number"),
        "{e}"
    );
    let copy = csv(
        d.path(),
        "cost-copy.csv",
        &std::fs::read_to_string(&cost).unwrap(),
    );
    let e = err_text(load(&[usage, cost, copy], None));
    assert!(e.contains("the same cost data loaded twice"), "{e}");
    let truncated = csv(
        d.path(),
        "cut.json",
        r#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","results":[{"model":"#,
    );
    let e = err_text(load(&[truncated], None));
    assert!(e.contains("cut.json: is not valid JSON at line 1"), "{e}");
    let empty = csv(
        d.path(),
        "empty.json",
        r#"{"data":[{"starting_at":"2026-10-05T00:00:00Z","results":[]}],"has_more":false}"#,
    );
    let full = csv(
        d.path(),
        "full.json",
        r#"{"data":[{"starting_at":"2026-10-04T00:00:00Z","results":[{"model":"claude-opus-4-5","output_tokens":5}]}]}"#,
    );
    let ds = load(&[empty, full], None).unwrap();
    assert_eq!(ds.files[0].rows, 0, "an empty page is a normal page");
    assert_eq!(ds.days.len(), 2, "the empty bucket's day is covered");
    assert_eq!(ds.rows[0].tier, "standard");
}

#[test]
fn the_same_data_twice_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let body = "date,model,output_tokens\n2026-10-01,m,5\n2026-10-02,m,5\n";
    let a = csv(d.path(), "a.csv", body);
    let b = csv(d.path(), "b.csv", body);
    let e = err_text(load(&[a.clone(), b], None));
    assert!(e.contains("the same data loaded twice"), "{e}");
    // Consecutive halves of a month are fine.
    let c = csv(
        d.path(),
        "c.csv",
        "date,model,output_tokens\n2026-10-03,m,5\n",
    );
    assert!(load(&[a, c], None).is_ok());
}

/// `starting_at` is read as RFC 3339 asks: with a UTC offset (`Z`, `z` or `+hh:mm`), `T`, `t`
/// or a space before the time, a fraction optional. A timestamp without an offset is named as
/// such (it was taken as UTC when the first row had none, and the next row, with one, was the one
/// refused); a leap second (:60) is refused rather than moved to the next day (and month); a
/// file with both `date` and `starting_at` is refused (the one ignored could disagree).
#[test]
fn starting_at_needs_its_offset_and_a_second_that_was() {
    let d = tempfile::tempdir().unwrap();
    let body = |stamps: &[&str]| {
        let mut s = "starting_at,model,uncached_input_tokens\n".to_owned();
        for t in stamps {
            s.push_str(&format!("{t},claude-sonnet-4-5,1\n"));
        }
        s
    };
    let ok = csv(
        d.path(),
        "ok.csv",
        &body(&[
            "2026-10-01T00:00:00Z",
            "2026-10-01t23:30:00.125z",
            "2026-10-02T01:30:00+02:00",
            "2026-10-02 12:00:00Z",
            "2026-10-02T22:00:00-03:00",
        ]),
    );
    let ds = load(&[ok], None).unwrap();
    let days: Vec<String> = ds.days.iter().map(|x| x.to_string()).collect();
    assert_eq!(days, ["2026-10-01", "2026-10-02", "2026-10-03"]);
    let naive = csv(
        d.path(),
        "naive.csv",
        &body(&["2026-10-15T12:00:00", "2026-10-05T00:00:00Z"]),
    );
    let e = err_text(load(&[naive], None));
    assert!(
        e.contains("row 1, column `starting_at`") && e.contains("no UTC offset"),
        "{e}"
    );
    // Only unreadable values: still named by row (it was "has invalid rows"); an ISO basic
    // offset is named as not RFC 3339's; spaces around are trimmed.
    for (stamp, why) in [
        ("garbage", "no UTC offset in RFC 3339 form"),
        ("2026-10-05T00:00:00+0200", "no UTC offset in RFC 3339 form"),
    ] {
        let f = csv(d.path(), "one.csv", &body(&[stamp]));
        let e = err_text(load(&[f], None));
        assert!(
            e.contains("row 1, column `starting_at`") && e.contains(why),
            "{stamp}: {e}"
        );
    }
    // A first value of the right form that is no real time failed the whole column unnamed.
    for stamp in [
        "2026-10-05T24:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-13-01T00:00:00Z",
    ] {
        let f = csv(d.path(), "one.csv", &body(&[stamp]));
        let e = err_text(load(&[f], None));
        assert!(
            e.contains("row 1, column `starting_at`") && e.contains(stamp),
            "{stamp}: {e}"
        );
    }
    let spaced = csv(
        d.path(),
        "spaced.csv",
        &body(&["\"2026-10-05T00:00:00Z \"", "\" 2026-10-06T00:00:00Z\""]),
    );
    assert_eq!(load(&[spaced], None).unwrap().days.len(), 2);
    let leap = csv(d.path(), "leap.csv", &body(&["2026-10-31T23:59:60Z"]));
    let e = err_text(load(&[leap], None));
    assert!(
        e.contains("row 1, column `starting_at`") && e.contains("leap second"),
        "{e}"
    );
    let both = csv(
        d.path(),
        "both.csv",
        "date,starting_at,model,uncached_input_tokens\n2026-10-05,2026-11-05T00:00:00Z,claude-sonnet-4-5,1\n",
    );
    let e = err_text(load(&[both], None));
    assert!(e.contains("both `date` and `starting_at`"), "{e}");
}

/// A CSV `cost_usd` left empty means "not billed" (priced from the price list), whether the
/// empty value is quoted (`""`) or not: the quoted one was "`` is not a number".
#[test]
fn an_empty_cost_quoted_or_not_is_not_billed() {
    let d = tempfile::tempdir().unwrap();
    let p = csv(
        d.path(),
        "u.csv",
        "date,model,uncached_input_tokens,cost_usd\n2026-10-01,claude-sonnet-4-5,10,\n2026-10-02,claude-sonnet-4-5,20,\"\"\n2026-10-03,claude-sonnet-4-5,30,1.5\n",
    );
    let ds = load(&[p], None).unwrap();
    let billed: u64 = ds
        .rows
        .iter()
        .filter(|r| r.billed)
        .map(|r| r.tokens.uncached_input)
        .sum();
    let priced: u64 = ds
        .rows
        .iter()
        .filter(|r| !r.billed)
        .map(|r| r.tokens.uncached_input)
        .sum();
    assert_eq!((billed, priced), (30, 30));
}
