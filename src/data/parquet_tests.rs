//! The Parquet fast path gives the general query's cube, number for number.

#[allow(unused_imports)]
use super::aggregate::{query::*, *};
use super::scan;
use super::*;
#[allow(unused_imports)]
use super::{detect::*, diagnose::*, guard::*, overlaps::*, source::*};
#[allow(unused_imports)]
use super::{expand_config_paths, expand_paths};
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// Writes `body` (CSV) as Parquet with typed columns (counts as `ints`), `rows` rows per row
/// group.
fn parquet(dir: &Path, name: &str, body: &str, rows: usize, ints: DataType) -> PathBuf {
    parquet_paged(dir, name, body, rows, ints, None)
}

/// [`parquet`], with data pages of about `page` bytes.
fn parquet_paged(
    dir: &Path,
    name: &str,
    body: &str,
    rows: usize,
    ints: DataType,
    page: Option<usize>,
) -> PathBuf {
    let csv = dir.join(format!("{name}.csv"));
    std::fs::write(&csv, body).unwrap();
    let lf = scan(&csv, Format::Csv).unwrap();
    let schema = lf.clone().collect_schema().unwrap();
    let exprs: Vec<Expr> = schema
        .iter_names()
        .map(|n| match n.as_str() {
            "date" => col("date").str().to_date(strptime(Some("%Y-%m-%d"))),
            "starting_at" => col("starting_at").str().to_datetime(
                Some(TimeUnit::Microseconds),
                Some(TimeZone::UTC),
                strptime(None),
                lit("raise"),
            ),
            "model" | "service_tier" | "team" | "app" | "workspace_id" | "api_key_id"
            | "inference_geo" | "speed" | "context_window" | "prompt_band" => col(n.as_str()),
            "cost_usd" => col("cost_usd").cast(DataType::Float64),
            other => col(other).cast(ints.clone()),
        })
        .collect();
    let mut df = lf.select(exprs).collect().unwrap();
    let p = dir.join(name);
    ParquetWriter::new(std::fs::File::create(&p).unwrap())
        .with_row_group_size(Some(rows))
        .with_data_page_size(page)
        .finish(&mut df)
        .unwrap();
    p
}

fn both(files: &[PathBuf], term: Option<(NaiveDate, NaiveDate)>) -> (Dataset, Dataset) {
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
    assert!(
        fast.daily == general.daily,
        "the daily series differs between the engines"
    );
    fast_paths_agree(files, term);
    (fast, general)
}

/// The fast path's three ways of summing a row group (`scan::Way`) give the same rows,
/// daily series, file counts and bad file.
fn fast_paths_agree(files: &[PathBuf], term: Option<(NaiveDate, NaiveDate)>) {
    let fast: Vec<scan::FastFile> = files
        .iter()
        .enumerate()
        .filter_map(|(index, p)| {
            let s = open(p, anthropic::Kind::Canonical, None).ok()?;
            let day = scan::eligible(s.label, &s.schema)?;
            Some(scan::FastFile {
                path: p.clone(),
                index,
                day,
            })
        })
        .collect();
    let split = crate::data::aggregate::Split {
        term: term.map(|(s, e)| (epoch_days(s), epoch_days(e))),
        cuts: Vec::new(),
    };
    every_way(|way| {
        let s = scan::scan_with(&fast, &split, true, &[], way).unwrap();
        (sorted_rows(&s), s.files, s.merged, s.bad_file)
    });
}

/// The default way and every way a test can ask for (`scan::Way`).
pub(super) const WAYS: [Option<scan::Way>; 4] = [
    None,
    Some(scan::Way::Packed),
    Some(scan::Way::Indexed),
    Some(scan::Way::Local),
];

/// What `f` gives for every way, asserted equal to the default way's, which it returns.
pub(super) fn every_way<T: PartialEq + std::fmt::Debug>(f: impl Fn(Option<scan::Way>) -> T) -> T {
    let mut got = WAYS.map(f).into_iter();
    let first = got.next().expect("the default way");
    for (way, other) in got.enumerate() {
        assert_eq!(first, other, "way {:?} against the default", WAYS[way + 1]);
    }
    first
}

/// A fast path's cube rows and daily series, each sorted, as text (for comparing ways).
pub(super) fn sorted_rows(s: &scan::Scanned) -> (Vec<String>, Vec<String>) {
    let mut rows: Vec<String> = s.rows.iter().map(|r| format!("{r:?}")).collect();
    rows.sort();
    let mut daily: Vec<String> = s.daily.iter().map(|r| format!("{r:?}")).collect();
    daily.sort();
    (rows, daily)
}

fn errors(files: &[PathBuf]) -> (String, String) {
    let inputs: Vec<(PathBuf, Option<anthropic::Kind>)> =
        files.iter().map(|p| (p.clone(), None)).collect();
    let text = |fast| match load_with(
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
    };
    (text(true), text(false))
}

/// A Parquet file with a `date` column, as the fast path's only file.
fn fast_file(path: &Path) -> scan::FastFile {
    scan::FastFile {
        path: path.to_owned(),
        index: 0,
        day: scan::Day::Date,
    }
}

/// Runs `f`, failing if the fast path panicked meanwhile: a debug build turns an overflow into a
/// panic that the loader reports as the right error, so only the panic tells a missing check.
fn without_fast_path_panics<T>(f: impl FnOnce() -> T) -> T {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let panics = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = panics.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info
            .location()
            .is_some_and(|l| l.file().contains("data/scan/"))
        {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    }));
    let out = f();
    std::panic::set_hook(previous);
    assert_eq!(
        panics.load(Ordering::SeqCst),
        0,
        "the fast path overflowed instead of refusing"
    );
    out
}

const HEADER: &str = "date,team,workspace_id,model,service_tier,uncached_input_tokens,cache_creation_input_tokens,cache_read_input_tokens,output_tokens,requests,web_search_requests\n";

#[test]
fn the_fast_path_gives_the_general_query_s_cube() {
    let d = tempfile::tempdir().unwrap();
    // Nulls and empty text in the keys, a missing tier, rows without a request count, the
    // older single cache-write column, and row groups that straddle months and the term start.
    let a = parquet(
        d.path(),
        "a.parquet",
        &format!(
            "{HEADER}\
2026-09-29,a,w1,claude-opus-4-5,standard,10,1,2,3,1,0\n\
2026-09-30,,w1,claude-opus-4-5,,20,0,0,4,,1\n\
2026-10-01,a,w1,claude-opus-4-5,batch,30,0,5,6,2,0\n\
2026-10-14,a,,claude-haiku-4-5,batch,40,0,0,7,1,0\n\
2026-10-15,a,,claude-haiku-4-5,batch,50,2,0,8,,2\n\
2026-10-15,,w1,claude-opus-4-5,,60,0,0,9,3,0\n\
2026-10-31,a,w1,claude-opus-4-5,standard,70,0,1,1,1,0\n"
        ),
        3,
        DataType::Int64,
    );
    let b = parquet(
        d.path(),
        "b.parquet",
        "date,model,output_tokens\n2026-08-02,claude-sonnet-4-5,5\n2026-08-02,claude-sonnet-4-5,6\n",
        1,
        DataType::Int32,
    );
    let files = [a, b];
    for f in &files {
        let s = open(f, anthropic::Kind::Canonical, None).unwrap();
        assert!(
            scan::eligible(s.label, &s.schema).is_some(),
            "{}",
            f.display()
        );
    }
    let starts = Some((
        NaiveDate::from_ymd_opt(2026, 10, 15).unwrap(),
        NaiveDate::from_ymd_opt(2027, 10, 14).unwrap(),
    ));
    // Ends mid-month: within a row group, later days are out of the term again.
    let ends = Some((
        NaiveDate::from_ymd_opt(2025, 10, 15).unwrap(),
        NaiveDate::from_ymd_opt(2026, 10, 14).unwrap(),
    ));
    for term in [None, starts, ends] {
        let (fast, general) = both(&files, term);
        assert_eq!(fast.rows, general.rows);
        assert_eq!(fast.files, general.files);
        assert_eq!(fast.days, general.days);
    }
    let (fast, _) = both(&files, None);
    // By hand: October, team a, opus, batch: one row.
    let r = fast
        .rows
        .iter()
        .find(|r| r.tier == "batch" && r.model == "claude-opus-4-5")
        .unwrap();
    assert_eq!(
        (r.tokens.uncached_input, r.tokens.cache_read, r.rows),
        (30, 5, 1)
    );
    // Haiku: two days, one of the two rows without a request count.
    let h = fast
        .rows
        .iter()
        .find(|r| r.model == "claude-haiku-4-5")
        .unwrap();
    assert_eq!(h.workspace_id, None);
    assert_eq!(
        (
            h.tokens.uncached_input,
            h.tokens.cache_write_5m,
            h.tokens.output
        ),
        (90, 2, 15)
    );
    assert_eq!(
        (h.requests, h.output_with_requests, h.web_search_requests),
        (1, 7, 2)
    );
    assert_eq!(
        (h.first_day.to_string(), h.last_day.to_string()),
        ("2026-10-14".into(), "2026-10-15".into())
    );
    // A missing tier is standard; an empty team is no team.
    assert!(
        fast.rows
            .iter()
            .any(|r| r.team.is_none() && r.tier == "standard" && r.tokens.uncached_input == 20)
    );
    assert_eq!(fast.days.len(), 7);
}

#[test]
fn timestamps_count_by_their_utc_day_on_both_paths() {
    let d = tempfile::tempdir().unwrap();
    let body = "starting_at,model,service_tier,output_tokens,requests\n\
2025-12-31T23:00:00Z,m,batch,1,1\n\
2026-09-30T23:59:59.999999Z,m,batch,2,1\n\
2026-10-01T00:00:00Z,m,batch,4,1\n\
2026-10-31T23:59:59Z,m,,8,\n";
    let utc = parquet(d.path(), "utc.parquet", body, 3, DataType::Int64);
    // The same instants as naive millisecond timestamps.
    let mut naive = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(&utc).unwrap(),
        ScanArgsParquet::default(),
    )
    .unwrap()
    .with_column(
        col("starting_at")
            .dt()
            .replace_time_zone(None, lit("raise"), NonExistent::Raise)
            .cast(DataType::Datetime(TimeUnit::Milliseconds, None)),
    )
    .collect()
    .unwrap();
    let naive_path = d.path().join("naive.parquet");
    ParquetWriter::new(std::fs::File::create(&naive_path).unwrap())
        .with_row_group_size(Some(2))
        .finish(&mut naive)
        .unwrap();
    for p in [utc, naive_path] {
        let s = open(&p, anthropic::Kind::Canonical, None).unwrap();
        assert!(matches!(
            scan::eligible(s.label, &s.schema),
            Some(scan::Day::Timestamp(_))
        ));
        let (fast, general) = both(std::slice::from_ref(&p), None);
        assert_eq!(fast.rows, general.rows);
        assert_eq!(fast.days, general.days);
        let by_month = |m: &str| -> u64 {
            fast.rows
                .iter()
                .filter(|r| r.month.to_string() == m)
                .map(|r| r.tokens.output)
                .sum()
        };
        assert_eq!(
            (
                by_month("2025-12"),
                by_month("2026-09"),
                by_month("2026-10")
            ),
            (1, 2, 12)
        );
    }
}

#[test]
fn billed_costs_are_summed_exactly_on_both_paths() {
    let d = tempfile::tempdir().unwrap();
    // Billed and unbilled rows of the same keys stay apart; a half-cent-of-a-millionth that
    // rounds away from zero.
    let body = "date,model,output_tokens,cost_usd\n\
2026-10-01,m,1,0.123456785\n\
2026-10-02,m,2,\n\
2026-10-03,m,4,1.5\n\
2026-10-04,m,8,2.000000004\n\
2026-09-30,m,16,0.25\n";
    let p = parquet(d.path(), "billed.parquet", body, 2, DataType::Int64);
    let s = open(&p, anthropic::Kind::Canonical, None).unwrap();
    assert_eq!(scan::eligible(s.label, &s.schema), Some(scan::Day::Date));
    let (fast, general) = both(std::slice::from_ref(&p), None);
    assert_eq!(fast.rows, general.rows);
    let oct_billed = fast
        .rows
        .iter()
        .find(|r| r.month.to_string() == "2026-10" && r.billed)
        .unwrap();
    // 12345678.5 -> 12345679; 150000000; 200000000.4 -> 200000000 (1e-8 USD).
    assert_eq!(oct_billed.billed_cost, 3.62345679);
    assert_eq!((oct_billed.tokens.output, oct_billed.rows), (13, 3));
    let oct_unbilled = fast
        .rows
        .iter()
        .find(|r| r.month.to_string() == "2026-10" && !r.billed)
        .unwrap();
    assert_eq!(
        (oct_unbilled.tokens.output, oct_unbilled.billed_cost),
        (2, 0.0)
    );
}

/// A day in a far year is a mistake in the year: refused by both engines, naming the row.
#[test]
fn a_far_future_day_is_refused_on_both_paths() {
    let d = tempfile::tempdir().unwrap();
    let p = parquet(
        d.path(),
        "far.parquet",
        "date,model,output_tokens\n2026-10-01,m,5\n9999-12-31,m,7\n",
        2,
        DataType::Int64,
    );
    let (fast, general) = errors(&[p]);
    assert_eq!(fast, general);
    assert!(
        fast.contains("row 2") && fast.contains("2000 to 2099"),
        "{fast}"
    );
}

#[test]
fn keys_too_many_to_fold_into_64_bits_take_the_wide_key() {
    // 1,800 distinct values in each of the six text columns of one row group: the product
    // of the dictionary sizes passes 2^64, so rows are keyed on the codes side by side.
    let d = tempfile::tempdir().unwrap();
    let mut body =
        String::from("date,team,app,workspace_id,api_key_id,model,service_tier,output_tokens\n");
    for i in 0..1800 {
        let day = 1 + i % 28;
        body.push_str(&format!(
            "2026-10-{day:02},t{i},a{i},w{i},k{i},m{i},s{i},{i}\n"
        ));
    }
    body.push_str("2026-10-03,t1,a1,w1,k1,m1,s1,1000\n");
    let p = parquet(d.path(), "wide.parquet", &body, 4096, DataType::Int64);
    let (fast, general) = both(&[p], None);
    assert_eq!(fast.rows, general.rows);
    assert_eq!(fast.rows.len(), 1800);
    let one = fast.rows.iter().find(|r| r.model == "m1").unwrap();
    assert_eq!((one.tokens.output, one.rows), (1001, 2));
}

#[test]
fn bad_rows_in_parquet_are_named_as_by_the_general_query() {
    let d = tempfile::tempdir().unwrap();
    let cases = [
        (
            "neg.parquet",
            "2026-10-02,a,w,m,standard,1,0,0,-4,1,0\n",
            "is negative",
        ),
        (
            "model.parquet",
            "2026-10-02,a,w,,standard,1,0,0,4,1,0\n",
            "column `model`",
        ),
        (
            "date.parquet",
            ",a,w,m,standard,1,0,0,4,1,0\n",
            "column `date`",
        ),
        (
            "null.parquet",
            "2026-10-02,a,w,m,standard,1,0,0,,1,0\n",
            "column `output_tokens`: the empty value is not a token count",
        ),
    ];
    for (name, bad, want) in cases {
        let body = format!("{HEADER}2026-10-01,a,w,m,standard,1,0,0,1,1,0\n{bad}");
        let p = parquet(d.path(), name, &body, 1, DataType::Int64);
        let (fast, general) = errors(std::slice::from_ref(&p));
        assert_eq!(fast, general);
        assert!(fast.contains("row 2") && fast.contains(want), "{fast}");
        // Every way marks the file for the general query to name the row.
        for way in WAYS {
            let s = scan::scan_with(&[fast_file(&p)], &Default::default(), true, &[], way).unwrap();
            assert_eq!(s.bad_file, Some(0), "{name}: {way:?}");
        }
    }
}

/// The canonical rows of a fixture file (CSV, or NDJSON with RFC 3339 `starting_at`), written as
/// typed Parquet.
fn as_parquet(dir: &Path, src: &Path, rows: usize) -> PathBuf {
    let format = Format::of(src).unwrap();
    let lf = scan(src, format).unwrap();
    let schema = lf.clone().collect_schema().unwrap();
    let exprs: Vec<Expr> = schema
        .iter_names()
        .map(|n| match n.as_str() {
            "date" => col("date")
                .cast(DataType::String)
                .str()
                .to_date(strptime(Some("%Y-%m-%d"))),
            "starting_at" => col("starting_at").cast(DataType::String).str().to_datetime(
                Some(TimeUnit::Microseconds),
                Some(TimeZone::UTC),
                strptime(None),
                lit("raise"),
            ),
            "model" | "service_tier" | "team" | "app" | "workspace_id" | "api_key_id"
            | "inference_geo" | "speed" | "context_window" | "prompt_band" => {
                col(n.as_str()).cast(DataType::String)
            }
            "cost_usd" => col("cost_usd").cast(DataType::Float64),
            other => col(other).cast(DataType::Int64),
        })
        .collect();
    let mut df = lf.select(exprs).collect().unwrap();
    let p = dir.join(format!(
        "{}.parquet",
        src.file_stem().unwrap().to_string_lossy()
    ));
    ParquetWriter::new(std::fs::File::create(&p).unwrap())
        .with_row_group_size(Some(rows))
        .finish(&mut df)
        .unwrap();
    p
}

/// The cube without the file index (the same usage read from other files).
fn cube(ds: &Dataset) -> Vec<String> {
    let mut v: Vec<String> = ds
        .rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.file = 0;
            format!("{r:?}")
        })
        .collect();
    v.sort();
    v
}

/// Every golden fixture with canonical usage gives one cube whichever engine reads it: its text
/// files through the general query, the same rows as Parquet through the general query and
/// through the dictionary-code fast path.
#[test]
fn every_golden_fixture_gives_one_cube_on_both_engines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = tempfile::tempdir().unwrap();
    for case in ["tiny", "edge", "sample"] {
        let cfg_path = if case == "sample" {
            root.join("sample-data/govreview.toml")
        } else {
            root.join(format!("tests/fixtures/{case}/govreview.toml"))
        };
        let cfg = crate::config::Config::load(&cfg_path).unwrap();
        let term = cfg.commitment.as_ref().map(|c| (c.start, c.end));
        let files = expand_config_paths(&cfg.data_paths, &cfg.base_dir).unwrap();
        let inputs: Vec<(PathBuf, Option<anthropic::Kind>)> =
            files.iter().map(|p| (p.clone(), None)).collect();
        let text = load_with(
            &inputs,
            term,
            &crate::data::Options {
                fast_path: false,
                daily: true,
                ..Default::default()
            },
        )
        .unwrap();
        let out = d.path().join(case);
        std::fs::create_dir_all(&out).unwrap();
        // Small row groups (61 rows), so that groups straddle days and months.
        // (A folder per file: two files of one name, in different folders, stay apart.)
        let pq: Vec<(PathBuf, Option<anthropic::Kind>)> = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let dir = out.join(i.to_string());
                std::fs::create_dir_all(&dir).unwrap();
                (as_parquet(&dir, f, 61), None)
            })
            .collect();
        let fast = load_with(
            &pq,
            term,
            &crate::data::Options {
                fast_path: true,
                daily: true,
                ..Default::default()
            },
        )
        .unwrap();
        let general = load_with(
            &pq,
            term,
            &crate::data::Options {
                fast_path: false,
                daily: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(!text.rows.is_empty(), "{case}");
        assert_eq!(
            cube(&fast),
            cube(&general),
            "{case}: fast path vs general query"
        );
        assert_eq!(
            cube(&general),
            cube(&text),
            "{case}: Parquet vs the text files"
        );
        assert_eq!(fast.days, text.days, "{case}: days with data");
        assert!(!text.daily.is_empty(), "{case}");
        assert!(
            fast.daily == general.daily,
            "{case}: daily series, fast vs general"
        );
        assert!(
            general.daily == text.daily,
            "{case}: daily series, Parquet vs text"
        );
        // The daily series sums to the cube's tokens.
        let by_day: u64 = text.daily.iter().map(|d| d.tokens.total()).sum();
        let by_cube: u64 = text.rows.iter().map(|r| r.tokens.total()).sum();
        assert_eq!(by_day, by_cube, "{case}");
    }
}

/// Files of disjoint days (a file a day) are summed as they are read, one cube row per set of
/// dimensions rather than one per file, each file still counted on its own; a copy of one of
/// them is still refused, naming both files; parts of one table sharing days sit beside them; a
/// file without statistics keeps every file apart.
#[test]
fn files_of_disjoint_days_are_summed_as_they_are_read() {
    let d = tempfile::tempdir().unwrap();
    // Teams a and b on days 1 and 2, a and c on day 3.
    let day = |n: u32| {
        let other = if n == 3 { "c" } else { "b" };
        format!(
            "{HEADER}2026-10-{n:02},a,w,m,standard,1,0,0,{n},1,0\n2026-10-{n:02},{other},w,m,standard,2,0,0,1,1,0\n"
        )
    };
    let files: Vec<PathBuf> = (1..=3)
        .map(|n| {
            parquet(
                d.path(),
                &format!("day-{n}.parquet"),
                &day(n),
                1,
                DataType::Int64,
            )
        })
        .collect();
    let fast: Vec<scan::FastFile> = files
        .iter()
        .enumerate()
        .map(|(index, path)| scan::FastFile {
            path: path.clone(),
            index,
            day: scan::Day::Date,
        })
        .collect();
    let s = scan::scan(&fast, &Default::default(), false, &[]).unwrap();
    assert_eq!(s.rows.len(), 3, "one row per team, not per team and file");
    assert_eq!(s.merged, vec![0, 1, 2]);
    let oct = |n: u32| epoch_days(NaiveDate::from_ymd_opt(2026, 10, n).unwrap());
    let want: Vec<(usize, scan::FileSpan)> = (0..3)
        .map(|i| (i, (2, oct(i as u32 + 1), oct(i as u32 + 1))))
        .collect();
    assert_eq!(s.files, want);
    let a = s
        .rows
        .iter()
        .find(|r| r.team.as_deref() == Some("a"))
        .unwrap();
    assert_eq!((a.tokens.output, a.rows), (1 + 2 + 3, 3));
    // Each row names the first file that holds it (messages name a file with the usage).
    let file = |t: &str| {
        s.rows
            .iter()
            .find(|r| r.team.as_deref() == Some(t))
            .unwrap()
            .file
    };
    assert_eq!((file("a"), file("b"), file("c")), (0, 0, 2));

    // A general-query file on day 2 keeps day 2's file apart from the others.
    let s = scan::scan(&fast, &Default::default(), false, &[(oct(2), oct(2))]).unwrap();
    assert_eq!((s.rows.len(), s.merged), (5, vec![0, 2]));

    let (f, g) = both(&files, None);
    assert_eq!(cube(&f), cube(&g));
    let spans = |ds: &Dataset| -> Vec<_> {
        ds.files
            .iter()
            .map(|i| (i.rows, i.first_day, i.last_day))
            .collect()
    };
    assert_eq!(spans(&f), spans(&g));

    // A copy of day 2 under another name is the same data loaded twice.
    let copy = d.path().join("copy.parquet");
    std::fs::copy(&files[1], &copy).unwrap();
    let mut with_copy = files.clone();
    with_copy.push(copy);
    let (fast_err, general_err) = errors(&with_copy);
    assert_eq!(fast_err, general_err);
    assert!(
        fast_err.contains("day-2.parquet") && fast_err.contains("copy.parquet"),
        "{fast_err}"
    );

    // Two parts of one table sharing day 5, beside the daily files.
    let parts = d.path().join("table");
    std::fs::create_dir_all(&parts).unwrap();
    let mut with_parts = files.clone();
    for (i, team) in ["a", "b"].iter().enumerate() {
        let body = format!("{HEADER}2026-10-05,{team},w,m,standard,1,0,0,7,1,0\n");
        with_parts.push(parquet(
            &parts,
            &format!("part-0000{i}.parquet"),
            &body,
            1,
            DataType::Int64,
        ));
    }
    let (f, g) = both(&with_parts, None);
    assert_eq!(cube(&f), cube(&g));

    // Without statistics a file could hold any day: nothing is summed across files.
    let bare = d.path().join("bare.parquet");
    let mut df = ParquetReader::new(std::fs::File::open(&files[0]).unwrap())
        .finish()
        .unwrap();
    ParquetWriter::new(std::fs::File::create(&bare).unwrap())
        .with_statistics(StatisticsOptions::empty())
        .finish(&mut df)
        .unwrap();
    let mut fast_bare: Vec<scan::FastFile> = fast.into_iter().skip(1).collect();
    fast_bare.push(scan::FastFile {
        path: bare,
        index: 3,
        day: scan::Day::Date,
    });
    let s = scan::scan(&fast_bare, &Default::default(), false, &[]).unwrap();
    assert_eq!((s.rows.len(), s.merged), (6, Vec::<usize>::new()));
}

/// Billed costs whose sum could pass 64 bits of 1e-8 USD are refused as the general query
/// refuses them, by a check rather than by the overflow (which only a debug build traps).
#[test]
fn billed_costs_too_large_to_sum_are_refused_on_both_paths() {
    let d = tempfile::tempdir().unwrap();
    // 60 billion USD is 6e18 in 1e-8 USD: two of them pass i64::MAX (about 9.2e18).
    let body = "date,model,output_tokens,cost_usd\n\
2026-10-01,m,1,60000000000\n\
2026-10-02,m,1,60000000000\n";
    let p = parquet(d.path(), "huge.parquet", body, 2, DataType::Int64);
    let (fast, general, ways) = without_fast_path_panics(|| {
        let (fast, general) = errors(std::slice::from_ref(&p));
        // Every way, with the daily series too (whose sums hold the cost as well).
        let ways = WAYS.map(|way| {
            match scan::scan_with(&[fast_file(&p)], &Default::default(), true, &[], way) {
                Ok(_) => "summed".to_owned(),
                Err(e) => e.to_string(),
            }
        });
        (fast, general, ways)
    });
    assert_eq!(fast, general);
    for got in ways {
        assert_eq!(got, fast);
    }
}

/// The bound on a worker's sums counts every row group it summed, including those it summed on
/// its own and merged: otherwise a row group after a large merged one takes an unchecked way
/// and overflows. Here one row group of three windows (7 rows each in unit tests): the first
/// bounds the sums at 4.2e18 (1e-8 USD), the second (7e18) passes the 64-bit limit with it and is
/// merged with checks, the third (4.9e18) fits beside the first alone: its sums reach 1.25e19.
#[test]
fn a_worker_s_bound_counts_the_row_groups_it_merged() {
    let d = tempfile::tempdir().unwrap();
    let mut body = String::from("date,model,output_tokens,cost_usd\n");
    for i in 0..21 {
        let usd = match i {
            0 => "6000000000",
            1..=6 => "0",
            7..=13 => "10000000000",
            _ => "7000000000",
        };
        body.push_str(&format!("2026-10-01,m,1,{usd}\n"));
    }
    let p = parquet(d.path(), "three.parquet", &body, 21, DataType::Int64);
    // Every way: the column-at-a-time one (`Indexed`) adds with checks once the bound passes.
    for way in [None, Some(scan::Way::Indexed)] {
        let got = without_fast_path_panics(|| {
            scan::scan_with(&[fast_file(&p)], &Default::default(), false, &[], way)
                .map(|s| s.rows.len())
        });
        let err = got.expect_err("the sums pass 64 bits").to_string();
        assert!(
            err.contains("more than govreview can count"),
            "{way:?}: {err}"
        );
    }
}

/// A row dated in year 0 (a mistake in the year, which would chart as "Jan 0000") is refused by
/// both engines, naming the row.
#[test]
fn a_row_dated_in_year_zero_is_refused_on_both_paths() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("year-zero.parquet");
    // 2026-10-01 and 0000-01-01, days since 1970-01-01.
    let days = Series::new("date".into(), [20_362i32, -719_528])
        .cast(&DataType::Date)
        .unwrap();
    let mut df = DataFrame::new_infer_height(vec![
        days.into(),
        Series::new("model".into(), ["m", "m"]).into(),
        Series::new("output_tokens".into(), [1i64, 2]).into(),
    ])
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&p).unwrap())
        .finish(&mut df)
        .unwrap();
    let (fast, general) = errors(std::slice::from_ref(&p));
    assert_eq!(fast, general);
    assert!(
        fast.contains("row 2, column `date`") && fast.contains("2000 to 2099"),
        "{fast}"
    );
}

/// A row without a tier is a `standard` row: in one month with rows that say `standard`, both
/// engines give one cube row and one daily row (the fast path once kept them apart, as two rows
/// with the same keys).
#[test]
fn a_missing_tier_and_standard_make_one_row_on_both_paths() {
    let d = tempfile::tempdir().unwrap();
    let a = parquet(
        d.path(),
        "a.parquet",
        &format!(
            "{HEADER}\
2026-10-01,a,w1,claude-opus-4-5,standard,10,1,2,3,1,0\n\
2026-10-01,a,w1,claude-opus-4-5,,20,0,0,4,1,1\n"
        ),
        2,
        DataType::Int64,
    );
    let (fast, general) = both(&[a], None);
    assert_eq!(general.rows.len(), 1);
    assert_eq!(fast.rows.len(), 1, "{:?}", fast.rows);
    assert_eq!(fast.daily.len(), 1);
}

/// One row group read a window at a time (seven rows a window in unit tests), with rows without
/// a request count in every window and billed costs on some: each way, and the column-at-a-time
/// one across windows, gives the general query's sums of output with and without requests.
#[test]
fn rows_without_requests_across_windows_sum_as_on_the_general_query() {
    let d = tempfile::tempdir().unwrap();
    let mut body = String::from("date,team,model,service_tier,output_tokens,requests,cost_usd\n");
    for i in 0..40 {
        let requests = if i % 3 == 0 {
            String::new()
        } else {
            (i % 4).to_string()
        };
        let cost = if i % 5 == 0 {
            String::new()
        } else {
            format!("{}.25", i)
        };
        body.push_str(&format!(
            "2026-{:02}-{:02},t{},claude-opus-4-5,{},{},{requests},{cost}\n",
            9 + i % 2,
            i % 28 + 1,
            i % 2,
            ["standard", "batch"][i % 2],
            (i + 1) * 1000,
        ));
    }
    let p = parquet(d.path(), "w.parquet", &body, 40, DataType::Int64);
    let (fast, general) = both(&[p], None);
    assert_eq!(cube(&fast), cube(&general));
    assert!(
        fast.rows
            .iter()
            .any(|r| r.output_with_requests < r.tokens.output)
    );
}

/// A daily cell summed over several windows of one row group is checked like the cube's sums:
/// two windows of $10 billion charges on one day, model and tier pass 64 bits of 1e-8 USD in the
/// daily series though each team's cube sums fit. Every way refuses it, without a panic.
#[test]
fn a_daily_sum_over_windows_too_large_to_count_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut body = String::from("date,team,model,output_tokens,cost_usd\n");
    for i in 0..14 {
        body.push_str(&format!("2026-10-01,t{},m,1,10000000000\n", i / 7));
    }
    let p = parquet(d.path(), "days.parquet", &body, 14, DataType::Int64);
    for way in WAYS {
        let got = without_fast_path_panics(|| {
            scan::scan_with(&[fast_file(&p)], &Default::default(), true, &[], way)
                .map(|s| s.rows.len())
        });
        let err = got.expect_err("the daily sum passes 64 bits").to_string();
        assert!(
            err.contains("more than govreview can count"),
            "{way:?}: {err}"
        );
    }
}

/// A row group summed a segment at a time (fourteen rows a segment in unit tests) reads of each
/// column only the pages that hold the segment's rows, with the dictionary page: with pages of
/// a few rows each, every way gives the general query's cube and daily series, rows without a
/// request count and all.
#[test]
fn segments_read_only_their_pages_and_sum_as_the_whole_row_group() {
    let d = tempfile::tempdir().unwrap();
    let mut body = HEADER.to_string();
    for i in 0..300u64 {
        let requests = if i % 11 == 0 {
            String::new()
        } else {
            (1 + i % 3).to_string()
        };
        body += &format!(
            "2026-10-{:02},team-{},w{},claude-{}-4-5,{},{},{},{},{},{requests},{}\n",
            1 + i % 28,
            i % 5,
            i % 2,
            ["opus", "sonnet", "haiku"][(i % 3) as usize],
            ["standard", "batch"][(i % 7 == 0) as usize],
            i * 7919 % 100_003,
            i % 13,
            i * 31 % 977,
            i * 104_729 % 50_021,
            i % 4,
        );
    }
    let p = parquet_paged(
        d.path(),
        "paged.parquet",
        &body,
        300,
        DataType::Int64,
        Some(64),
    );
    // The file has what the test is about: one row group of many pages, text with a
    // dictionary page.
    let pages = scan::page_counts(&p);
    let count = |name: &str| pages.iter().find(|(c, ..)| c == name).unwrap();
    let (_, output_pages, _, output_rows) = count("output_tokens");
    assert!(*output_pages > 10, "{pages:?}");
    assert_eq!(*output_rows, 300);
    let (_, team_pages, dict, _) = count("team");
    assert!(*team_pages > 2 && *dict, "{pages:?}");
    let (fast, general) = both(&[p], None);
    assert_eq!(cube(&fast), cube(&general));
    assert_eq!(fast.rows.iter().map(|r| r.rows).sum::<u64>(), 300);

    // A workspace on every row: written without a dictionary, decoded as text in smaller
    // windows.
    let unique = body
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => line.to_owned(),
            _ => line.replacen(",w0,", &format!(",ws-{i},"), 1).replacen(
                ",w1,",
                &format!(",ws-{i},"),
                1,
            ),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let p = parquet_paged(
        d.path(),
        "plain.parquet",
        &unique,
        300,
        DataType::Int64,
        Some(64),
    );
    let pages = scan::page_counts(&p);
    let (_, _, dict, _) = pages.iter().find(|(c, ..)| c == "workspace_id").unwrap();
    assert!(!dict, "{pages:?}");
    let (fast, general) = both(&[p], None);
    assert_eq!(cube(&fast), cube(&general));
    assert_eq!(fast.rows.len(), 300);
}

/// Counts that are not whole numbers in Parquet's own types: a fraction in a float column,
/// true/false, an unsigned count past the largest signed one. Each is named with its row, on
/// both paths, never truncated to a count.
#[test]
fn parquet_counts_that_are_not_counts_are_refused_on_both_paths() {
    let d = tempfile::tempdir().unwrap();
    let body = format!(
        "{HEADER}2026-10-01,a,w,m,standard,1,0,0,1,1,0\n2026-10-02,a,w,m,standard,1,0,0,4,1,0\n"
    );
    let base = parquet(d.path(), "base.parquet", &body, 2, DataType::Int64);
    let df = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(&base).unwrap(),
        ScanArgsParquet::default(),
    )
    .unwrap()
    .collect()
    .unwrap();
    let cases: [(&str, Series, &str); 3] = [
        (
            "float.parquet",
            Series::new("output_tokens".into(), [1.0f64, 4.5]),
            "has a fraction",
        ),
        (
            "bool.parquet",
            Series::new("output_tokens".into(), [true, false]),
            "is not a whole number",
        ),
        (
            "u64.parquet",
            Series::new("output_tokens".into(), [1u64, u64::MAX]),
            "exceeds the largest count",
        ),
    ];
    for (name, s, want) in cases {
        let mut df = df.clone();
        df.with_column(s.into_column()).unwrap();
        let p = d.path().join(name);
        ParquetWriter::new(std::fs::File::create(&p).unwrap())
            .finish(&mut df)
            .unwrap();
        let (fast, general) = errors(std::slice::from_ref(&p));
        for e in [&fast, &general] {
            assert!(
                e.contains("column `output_tokens`") && e.contains(want),
                "{name}: {e}"
            );
        }
        let row = if name == "bool.parquet" {
            "row 1"
        } else {
            "row 2"
        };
        assert!(general.contains(row), "{name}: {general}");
    }
}
