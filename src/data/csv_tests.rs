//! The CSV fast path gives the general query's dataset, row for row, or hands the file back.

use super::aggregate::epoch_days;
use super::parquet_tests::{every_way, sorted_rows};
use super::scan;
use super::*;
use polars::prelude::{DataType, col};
use std::path::{Path, PathBuf};

/// Loads `files` with the fast paths and with the general query only; asserts that both give
/// the same cube (file indexes included), days, daily series and file notes, and that every way
/// of summing gives the same sums. Returns the files the CSV fast path handed back.
fn same_on_both(files: &[PathBuf], term: Option<(NaiveDate, NaiveDate)>) -> Vec<usize> {
    let inputs: Vec<(PathBuf, Option<anthropic::Kind>)> =
        files.iter().map(|p| (p.clone(), None)).collect();
    let fast = load_with(
        &inputs,
        term,
        &crate::data::Options {
            fast_path: true,
            daily: true,
            ..Default::default()
        },
    )
    .unwrap();
    let general = load_with(
        &inputs,
        term,
        &crate::data::Options {
            fast_path: false,
            daily: true,
            ..Default::default()
        },
    )
    .unwrap();
    let show = |ds: &Dataset| {
        (
            ds.rows.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>(),
            ds.files
                .iter()
                .map(|f| format!("{f:?}"))
                .collect::<Vec<_>>(),
            ds.days.clone(),
        )
    };
    assert_eq!(show(&fast), show(&general), "fast path vs general query");
    assert!(fast.daily == general.daily, "daily series differ");
    assert!(!fast.rows.is_empty());
    csv_ways_agree(files, term)
}

/// Every way of summing a block (`scan::Way`) gives the same rows, series and counts.
fn csv_ways_agree(files: &[PathBuf], term: Option<(NaiveDate, NaiveDate)>) -> Vec<usize> {
    let csv: Vec<scan::csv::CsvFile> = files
        .iter()
        .enumerate()
        .map(|(index, p)| scan::csv::CsvFile {
            path: p.clone(),
            index,
        })
        .collect();
    let split = crate::data::aggregate::Split {
        term: term.map(|(s, e)| (epoch_days(s), epoch_days(e))),
        cuts: Vec::new(),
    };
    every_way(|way| {
        let s = scan::csv::scan(&csv, &split, true, way).unwrap();
        let (rows, daily) = sorted_rows(&s.scanned);
        (rows, daily, s.scanned.files, s.scanned.bad_file, s.declined)
    })
    .4
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn error(files: &[PathBuf], fast: bool) -> String {
    let inputs: Vec<(PathBuf, Option<anthropic::Kind>)> =
        files.iter().map(|p| (p.clone(), None)).collect();
    match load_with(
        &inputs,
        None,
        &crate::data::Options {
            fast_path: fast,
            daily: true,
            ..Default::default()
        },
    ) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected an error"),
    }
}

/// The golden fixtures' and the sample's CSV files read the same on both engines (their blocks
/// of 97 bytes in unit tests cut rows across blocks and spread them over threads).
#[test]
fn the_csv_fast_path_gives_the_general_query_s_dataset() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for cfg in [
        "sample-data/govreview.toml",
        "tests/fixtures/tiny/govreview.toml",
    ] {
        let cfg = crate::config::Config::load(&root.join(cfg)).unwrap();
        let term = cfg.commitment.as_ref().map(|c| (c.start, c.end));
        let files = expand_config_paths(&cfg.data_paths, &cfg.base_dir).unwrap();
        assert!(
            files
                .iter()
                .any(|f| f.extension().is_some_and(|e| e == "csv"))
        );
        assert_eq!(same_on_both(&files, term), Vec::<usize>::new());
        // A term that ends mid-month splits the month's rows.
        let mid = Some((
            NaiveDate::from_ymd_opt(2026, 8, 17).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 9).unwrap(),
        ));
        same_on_both(&files, mid);
    }
}

/// What plain CSV writers produce: quoted text with commas, empty values (no team, no tier, no
/// request count on some rows, no billed cost on some), CRLF line ends, the legacy
/// cache-write column, and a last line without a break.
#[test]
fn plain_csv_in_all_its_forms_reads_as_the_general_query_reads_it() {
    let d = tempfile::tempdir().unwrap();
    let mut body = String::from(
        "date,team,app,model,service_tier,uncached_input_tokens,cache_creation_input_tokens,cache_read_input_tokens,output_tokens,requests,web_search_requests,cost_usd,extra\r\n",
    );
    for i in 0..300 {
        let team = match i % 5 {
            0 => "\"research, applied\"".to_owned(),
            1 => String::new(),
            k => format!("team-{k}"),
        };
        let tier = ["standard", "batch", "", "priority"][i % 4];
        let model = [
            "claude-sonnet-4-6",
            "claude-opus-4-6",
            "\"claude-haiku-4-5\"",
        ][i % 3];
        let requests = if i % 7 == 0 {
            String::new()
        } else {
            (i % 4 + 1).to_string()
        };
        let cost = match i % 6 {
            0 => String::new(),
            1 => "0.000000015".to_owned(),
            2 => "0.25".to_owned(),
            k => format!("{}.{k}5", i * 13),
        };
        body.push_str(&format!(
            "2026-{:02}-{:02},{team},app-{},{model},{tier},{},{},{},{},{requests},{},{cost},x\r\n",
            i % 3 + 8,
            i % 28 + 1,
            i % 4,
            i * 1_000 + 7,
            i % 11,
            i * 31,
            i * 3 + 1,
            i % 2,
        ));
    }
    body.push_str("2026-10-31,t,a,claude-sonnet-4-6,standard,5,0,0,1,1,0,1.5,y");
    let a = write(d.path(), "a.csv", &body);
    // A second file on other days, written with LF line ends and without optional columns.
    let b = write(
        d.path(),
        "b.csv",
        "date,model,output_tokens\n2026-07-01,claude-opus-4-6,10\n2026-07-02,claude-opus-4-6,0\n",
    );
    assert_eq!(
        same_on_both(&[a.clone(), b.clone()], None),
        Vec::<usize>::new()
    );
    let term = Some((
        NaiveDate::from_ymd_opt(2026, 7, 2).unwrap(),
        NaiveDate::from_ymd_opt(2026, 9, 14).unwrap(),
    ));
    same_on_both(&[a, b], term);
}

/// Values the general query reads but the fast path does not (a quoted empty value, an escaped
/// quote, a day before 1900, a byte-order mark): the file is handed back whole and read by the
/// general query, beside files the fast path reads.
#[test]
fn files_with_values_the_fast_path_does_not_read_go_to_the_general_query() {
    let d = tempfile::tempdir().unwrap();
    let plain = write(
        d.path(),
        "plain.csv",
        "date,team,model,output_tokens\n2026-09-01,a,claude-opus-4-6,3\n2026-09-02,b,claude-opus-4-6,4\n",
    );
    let mut rows = String::from("date,team,model,output_tokens\n");
    for i in 0..40 {
        rows.push_str(&format!(
            "2026-10-{:02},t{i},claude-opus-4-6,{i}\n",
            i % 28 + 1
        ));
    }
    for (name, odd) in [
        ("quoted-empty", "2026-10-03,\"\",claude-opus-4-6,5\n"),
        (
            "escaped",
            "2026-10-03,\"say \"\"hi\"\"\",claude-opus-4-6,5\n",
        ),
    ] {
        // The odd row last, so that earlier blocks were summed before it was met.
        let f = write(d.path(), &format!("{name}.csv"), &format!("{rows}{odd}"));
        assert_eq!(same_on_both(&[plain.clone(), f], None), vec![1], "{name}");
    }
    let bom = write(d.path(), "bom.csv", &format!("\u{feff}{}", &rows));
    assert_eq!(
        same_on_both(&[bom, plain], None),
        vec![0],
        "byte-order mark"
    );
}

/// A row the general query refuses is refused with its message, whichever engine reads it.
#[test]
fn bad_rows_in_csv_are_named_as_by_the_general_query() {
    let d = tempfile::tempdir().unwrap();
    let head = "date,team,model,output_tokens,requests\n";
    let mut good = String::new();
    for i in 0..30 {
        good.push_str(&format!(
            "2026-10-{:02},t,claude-opus-4-6,{i},1\n",
            i % 28 + 1
        ));
    }
    for (name, bad) in [
        ("no-model", "2026-10-05,t,,4,1\n"),
        ("negative", "2026-10-05,t,claude-opus-4-6,-4,1\n"),
        (
            "huge",
            "2026-10-05,t,claude-opus-4-6,1000000000000000001,1\n",
        ),
        ("text-count", "2026-10-05,t,claude-opus-4-6,lots,1\n"),
        ("not-a-day", "2026-02-30,t,claude-opus-4-6,4,1\n"),
        ("decimal", "2026-10-05,t,claude-opus-4-6,4.5,1\n"),
        ("blank", "\n"),
        ("blank-crlf", "\r\n"),
    ] {
        let f = write(
            d.path(),
            &format!("{name}.csv"),
            &format!("{head}{good}{bad}{good}"),
        );
        let (fast, general) = (error(std::slice::from_ref(&f), true), error(&[f], false));
        assert_eq!(fast, general, "{name}");
        assert!(fast.contains(&format!("{name}.csv")), "{name}: {fast}");
    }
}

/// A CSV file and a Parquet copy of it are still refused as duplicates, naming both files: the
/// Parquet file is not summed with others, as the CSV file's days overlap it.
#[test]
fn a_parquet_copy_of_a_csv_file_is_still_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut body = String::from("date,team,model,output_tokens\n");
    for i in 0..60 {
        body.push_str(&format!(
            "2026-10-{:02},t{},claude-opus-4-6,{i}\n",
            i % 28 + 1,
            i % 3
        ));
    }
    let csv = write(d.path(), "usage.csv", &body);
    let pq = d.path().join("copy.parquet");
    let mut df = source::scan(&csv, detect::Format::Csv)
        .unwrap()
        .select([
            col("date")
                .str()
                .to_date(source::strptime(Some("%Y-%m-%d"))),
            col("team"),
            col("model"),
            col("output_tokens").cast(DataType::Int64),
        ])
        .collect()
        .unwrap();
    polars::prelude::ParquetWriter::new(std::fs::File::create(&pq).unwrap())
        .finish(&mut df)
        .unwrap();
    let (fast, general) = (
        error(&[csv.clone(), pq.clone()], true),
        error(&[csv, pq], false),
    );
    assert_eq!(fast, general);
    assert!(
        fast.contains("usage.csv") && fast.contains("copy.parquet"),
        "{fast}"
    );
}

/// Two files on the same days, one read on the fast path and one handed back to the general
/// query, give one daily row per day, model and tier, as the general query alone does.
#[test]
fn a_day_read_by_both_engines_is_one_row_of_the_daily_series() {
    let d = tempfile::tempdir().unwrap();
    let fast = write(
        d.path(),
        "a.csv",
        "date,team,model,output_tokens,cost_usd\n2026-10-01,a,claude-opus-4-6,3,0.1\n2026-10-02,a,claude-opus-4-6,4,0.2\n",
    );
    // A byte-order mark: the general query's to read.
    let general = write(
        d.path(),
        "b.csv",
        "\u{feff}date,team,model,output_tokens,cost_usd\n2026-10-01,b,claude-opus-4-6,5,0.7\n",
    );
    assert_eq!(same_on_both(&[fast, general], None), vec![1]);
}
