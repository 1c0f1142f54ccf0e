//! Loading usage data. The only module that touches polars.
//!
//! Each input file (CSV, Parquet, NDJSON) is mapped lazily onto the canonical columns, all files are
//! concatenated, and one group-by on the raw columns builds the month x file x dimensions x tier
//! cube. Plain Parquet files skip the group-by and are aggregated on their dictionary codes instead
//! ([`parquet`]); both give the same cube rows. Costs and families are derived later, on the small
//! cube, in plain Rust. Problems in the raw rows are counted in the same pass; only when there are
//! some does a second, diagnostic query find the first offending row so the error can name it.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::anthropic;
use crate::cube::{Dataset, FileInfo};
use crate::data::aggregate::epoch_days;
use crate::data::aggregate::from_epoch_days;
use crate::data::aggregate::in_term_by_month;
use crate::data::aggregate::parquet;
use crate::data::aggregate::query::cube_query;
use crate::data::aggregate::query::partly_counted;
use crate::data::aggregate::query::to_rows;
use crate::data::aggregate::query::{daily_rows, distinct_days};
use crate::data::aggregate::{Split, VARIANT_KEYS};
use crate::data::detect::Input;
use crate::data::detect::classify;
use crate::data::detect::read_input;
use crate::data::detect::{ANALYTICS_USAGE, USAGE_REPORT};
use crate::data::diagnose::diagnose;
use crate::data::diagnose::first_bad_file;
use crate::data::diagnose::sums_fit;
use crate::data::diagnose::totals_fit;
use crate::data::guard::guard;
use crate::data::overlaps::check_cost_overlaps;
use crate::data::overlaps::check_overlaps;
use crate::data::pages::{PageInfo, check_pages};
use crate::data::source::LEGACY_CACHE_WRITE;
use crate::data::source::Plan;
use crate::data::source::Source;
use crate::data::source::TOKEN_COLUMNS;
use crate::error::{Error, Result};
use crate::month::Month;

mod aggregate;
mod detect;
mod diagnose;
mod guard;
mod names;
mod overlaps;
mod pages;
mod paths;
mod source;
mod sources;
mod text_scan;
pub mod write;

pub use paths::{expand_config_paths, expand_paths};

/// How the data is loaded.
#[derive(Debug, Clone)]
pub struct Options {
    /// Aggregate plain Parquet and plain CSV on the fast path (off: the general query for every
    /// file, for comparison).
    pub fast_path: bool,
    /// Also sum usage by day, model and tier (the daily series the commitment forecast reads).
    pub daily: bool,
    /// One cube row per day instead of per month (the FOCUS export), by the general query.
    pub by_day: bool,
    /// The allocation rules: those on the actor are applied as Analytics API pages are read (the
    /// cube has no actor column).
    pub rules: Vec<crate::config::AllocationRule>,
    /// The configured team names: a spelling of one in the data takes its name.
    pub teams: Vec<String>,
    /// Days some price changes: months are summed in parts between them.
    pub price_changes: Vec<NaiveDate>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fast_path: true,
            daily: false,
            by_day: false,
            rules: Vec::new(),
            teams: Vec::new(),
            price_changes: Vec::new(),
        }
    }
}

/// Loads the files into a cube. `term` is the commitment term, to split spend inside it.
#[cfg(test)]
pub fn load(files: &[PathBuf], term: Option<(NaiveDate, NaiveDate)>) -> Result<Dataset> {
    let inputs: Vec<(PathBuf, Option<anthropic::Kind>)> =
        files.iter().map(|p| (p.clone(), None)).collect();
    load_with(&inputs, term, &Options::default())
}

/// Like [`load`], with the kind of some files named (`--data-format`) instead of detected.
///
/// Plain Parquet files are aggregated on their dictionary codes (see [`parquet`]) unless
/// `options` turns that off.
pub fn load_with(
    files: &[(PathBuf, Option<anthropic::Kind>)],
    term: Option<(NaiveDate, NaiveDate)>,
    options: &Options,
) -> Result<Dataset> {
    load_inner(files, term, options)
}

fn load_inner(
    files: &[(PathBuf, Option<anthropic::Kind>)],
    term: Option<(NaiveDate, NaiveDate)>,
    options: &Options,
) -> Result<Dataset> {
    let fast_path = options.fast_path && !options.by_day;
    let (want_daily, by_day) = (options.daily, options.by_day);
    let (rules, teams) = (&options.rules[..], &options.teams[..]);
    if files.is_empty() {
        return Err(Error::Usage(
            "no usage data given; list files in data.paths of the config or pass --data PATH"
                .into(),
        ));
    }
    let mut sources = Vec::new();
    let mut cost_files = Vec::new();
    let mut pages = Vec::new();
    for (p, named) in files {
        let (kind, page) = classify(p, *named)?;
        pages.extend(page.as_ref().and_then(|v| PageInfo::of(p, kind, v)));
        match guard(Some(p), || read_input(p, kind, page, rules))? {
            Input::Costs(costs) => cost_files.push((p.clone(), costs)),
            Input::Usage(source) => sources.push(*source),
        }
    }
    check_pages(&pages)?;
    if sources.is_empty() {
        return Err(Error::Usage(
            "only cost data was given: model mix, cache hit rate and batch share need the usage data of the same period too (usage-report pages, a Console usage export or canonical usage files)".into(),
        ));
    }
    let has = |c: &str| sources.iter().any(|s| s.schema.get(c).is_some());
    let text_counts = sources.iter().any(|s| {
        TOKEN_COLUMNS
            .iter()
            .map(|(c, _)| *c)
            .chain([LEGACY_CACHE_WRITE, "requests", "web_search_requests"])
            .any(|c| {
                s.schema.get(c).is_some_and(|d| {
                    !d.is_integer() || matches!(d, polars::prelude::DataType::UInt64)
                })
            })
            || s.schema
                .get("cost_usd")
                .is_some_and(|d| !d.is_primitive_numeric())
    });
    let split_term = term.and_then(|(s, e)| {
        let aligned = s == Month::of(s).first_day() && e == Month::of(e).last_day();
        (!aligned).then(|| (epoch_days(s), epoch_days(e)))
    });
    let variants = VARIANT_KEYS.iter().any(|c| has(c));
    let mut plan = Plan {
        billed: has("cost_usd"),
        requests: has("requests"),
        web: has("web_search_requests"),
        text_counts,
        split: Split::new(split_term, &options.price_changes),
        variants,
        precise_output: false,
        by_day,
    };
    // Plain Parquet and plain CSV files take the fast path; the rest the general query.
    if fast_path {
        for s in sources.iter_mut() {
            if parquet::eligible(s.label, &s.schema).is_some() {
                s.forget_footer()?;
            }
        }
    }
    let mut fast: Vec<parquet::FastFile> = Vec::new();
    let mut fast_csv: Vec<parquet::csv::CsvFile> = Vec::new();
    let mut general: Vec<(usize, &Source)> = Vec::new();
    for (index, s) in sources.iter().enumerate() {
        if fast_path && parquet::csv::eligible(s.label, s.format, &s.schema) {
            fast_csv.push(parquet::csv::CsvFile {
                path: s.path.clone(),
                index,
            });
            continue;
        }
        match fast_path
            .then(|| parquet::eligible(s.label, &s.schema))
            .flatten()
        {
            Some(day) => fast.push(parquet::FastFile {
                path: s.path.clone(),
                index,
                day,
            }),
            None => general.push((index, s)),
        }
    }
    let mut rows = Vec::new();
    let mut bad: Option<usize> = None;
    let mut days: Vec<NaiveDate> = Vec::new();
    let mut daily: Vec<crate::cube::DayRow> = Vec::new();
    let mut timings: Vec<(&'static str, f64)> = Vec::new();
    let mut timing = |stage: &'static str, since: std::time::Instant| {
        timings.push((stage, since.elapsed().as_secs_f64()));
    };
    // CSV first: a file the fast path does not read (see `parquet::csv`) joins the general query.
    let mut from_csv = None;
    if !fast_csv.is_empty() {
        let t0 = std::time::Instant::now();
        let scanned = guard(None, || {
            parquet::csv::scan(&fast_csv, &plan.split, want_daily, None)
        })?;
        timing("csv fast path", t0);
        general.extend(scanned.declined.iter().map(|&i| (i, &sources[i])));
        general.sort_by_key(|(i, _)| *i);
        from_csv = Some(scanned.scanned);
    }
    if !general.is_empty() {
        let t0 = std::time::Instant::now();
        let only = (general.len() == 1).then(|| general[0].1.path.as_path());
        let mut cube = guard(only, || cube_query(&general, &plan))?;
        if plan.requests && partly_counted(&cube).map_err(|e| Error::Internal(e.to_string()))? {
            // Some groups mix rows with and without request counts: sum their output exactly.
            plan.precise_output = true;
            cube = guard(only, || cube_query(&general, &plan))?;
        }
        timing("cube query", t0);
        bad = first_bad_file(&cube).map_err(|e| Error::Internal(e.to_string()))?;
        if bad.is_none() {
            sums_fit(&cube, &sources)?;
            rows = to_rows(&cube, &plan, term).map_err(|e| Error::Internal(e.to_string()))?;
            let t0 = std::time::Instant::now();
            if want_daily {
                daily = guard(only, || daily_rows(&general, &plan))?;
                days = daily.iter().map(|d| d.day).collect();
                timing("daily series", t0);
            } else {
                let sources: Vec<&Source> = general.iter().map(|(_, s)| *s).collect();
                days = guard(only, || distinct_days(&sources))?;
                timing("distinct days", t0);
            }
        }
    }
    // A fast path's rows, days and daily series join the general query's.
    let take = |s: parquet::Scanned,
                rows: &mut Vec<crate::cube::CubeRow>,
                days: &mut Vec<NaiveDate>,
                daily: &mut Vec<crate::cube::DayRow>| {
        rows.extend(s.rows.into_iter().map(|mut r| {
            if plan.split.term.is_none() {
                r.in_term = in_term_by_month(r.month, term);
            }
            r
        }));
        days.extend(s.days.into_iter().map(from_epoch_days));
        daily.extend(s.daily);
    };
    if let Some(scanned) = from_csv.filter(|_| bad.is_none()) {
        bad = scanned.bad_file;
        take(scanned, &mut rows, &mut days, &mut daily);
    }
    // Each file's rows and days: the general query's and the CSV fast path's from their rows
    // (one file each), the Parquet fast path's below.
    let mut infos: Vec<FileInfo> = sources
        .iter()
        .map(|s| FileInfo {
            path: s.path.clone(),
            format: s.label.to_owned(),
            rows: 0,
            first_day: None,
            last_day: None,
            billed: s.schema.get("cost_usd").is_some(),
            tier_missing: s.tier_missing,
            unknown_fields: s.unknown_fields.clone(),
            unterminated: s.unterminated,
            snapshot: s.snapshot,
        })
        .collect();
    for r in &rows {
        let info = &mut infos[r.file];
        info.rows += r.rows;
        info.first_day = Some(info.first_day.map_or(r.first_day, |d| d.min(r.first_day)));
        info.last_day = Some(info.last_day.map_or(r.last_day, |d| d.max(r.last_day)));
    }
    let mut fast_files = Vec::new();
    let mut merged = Vec::new();
    if !fast.is_empty() && bad.is_none() {
        let t0 = std::time::Instant::now();
        // The days each file read so far spans: a fast file overlapping none of them (nor
        // another fast file) cannot duplicate their usage.
        let others: Vec<(i32, i32)> = infos
            .iter()
            .filter_map(|i| Some((epoch_days(i.first_day?), epoch_days(i.last_day?))))
            .collect();
        let mut scanned = guard(None, || {
            parquet::scan(&fast, &plan.split, want_daily, &others)
        })?;
        timing("parquet fast path", t0);
        bad = scanned.bad_file;
        fast_files = std::mem::take(&mut scanned.files);
        merged = std::mem::take(&mut scanned.merged);
        take(scanned, &mut rows, &mut days, &mut daily);
    }
    if let Some(file) = bad {
        return Err(diagnose(&sources[file], &plan));
    }
    // The fast path counts its files apart from its rows (which may hold several files').
    for (f, (n, lo, hi)) in fast_files {
        let info = &mut infos[f];
        info.rows = n;
        info.first_day = Some(from_epoch_days(lo));
        info.last_day = Some(from_epoch_days(hi));
    }
    // A usage-report page of empty buckets is a normal page; any other empty file is a mistake.
    if let Some(empty) = infos
        .iter()
        .find(|i| i.rows == 0 && i.format != USAGE_REPORT && i.format != ANALYTICS_USAGE)
    {
        return Err(Error::data(
            &empty.path,
            None,
            None,
            "holds no usage rows; remove it from the data paths or export it again",
        ));
    }

    days.extend(sources.iter().flat_map(|s| s.covered.iter().copied()));
    days.sort();
    days.dedup();
    let mut costs = Vec::new();
    for (
        path,
        detect::Costs {
            records,
            label,
            snapshot,
        },
    ) in cost_files
    {
        let file = infos.len();
        infos.push(FileInfo {
            path,
            format: label.to_owned(),
            rows: records.len() as u64,
            first_day: records.iter().map(|r| r.day).min(),
            last_day: records.iter().map(|r| r.day).max(),
            billed: true,
            tier_missing: false,
            unknown_fields: Vec::new(),
            unterminated: false,
            snapshot,
        });
        costs.extend(records.into_iter().map(|r| (file, r)));
    }
    check_cost_overlaps(&costs, &infos)?;
    daily.sort_by(|a, b| {
        (a.day, &a.model, &a.tier, &a.variant, a.billed)
            .cmp(&(b.day, &b.model, &b.tier, &b.variant, b.billed))
    });
    // A day read by two engines (the fast path and the general query) is one row, as one engine
    // gives it: tokens added, costs added in 1e-8 USD (as each engine summed them).
    daily.dedup_by(|later, kept| {
        let same = (
            later.day,
            &later.model,
            &later.tier,
            &later.variant,
            later.billed,
        ) == (
            kept.day,
            &kept.model,
            &kept.tier,
            &kept.variant,
            kept.billed,
        );
        if same {
            kept.tokens.add(&later.tokens);
            let e8 = |usd: f64| (usd * 1e8).round() as i64;
            kept.billed_cost = (e8(kept.billed_cost) + e8(later.billed_cost)) as f64 / 1e8;
        }
        same
    });
    let warnings = names::normalise(&mut rows, &infos, teams)?;
    let mut ds = Dataset {
        rows,
        files: infos,
        days,
        daily,
        costs,
        timings,
        warnings,
    };
    ds.rows.sort_by(|a, b| {
        (
            (a.month, a.segment, &a.variant),
            &a.team,
            &a.app,
            &a.workspace_id,
            &a.api_key_id,
            &a.model,
            &a.tier,
            a.file,
            a.in_term,
            a.billed,
            a.first_day,
        )
            .cmp(&(
                (b.month, b.segment, &b.variant),
                &b.team,
                &b.app,
                &b.workspace_id,
                &b.api_key_id,
                &b.model,
                &b.tier,
                b.file,
                b.in_term,
                b.billed,
                b.first_day,
            ))
    });
    check_overlaps(&ds, &merged)?;
    totals_fit(&ds)?;
    if !by_day {
        // (A day-level cube keeps a row per day and file: its rows are days, not months.)
        ds.rows = merge_files(std::mem::take(&mut ds.rows));
    }
    Ok(ds)
}

/// One cube row per set of dimensions, whatever files the usage came from: the per-file rows
/// were needed for the files' own counts and the duplicate check, both done by now. Many files of
/// one month (a file a day, a Spark job's parts) would otherwise multiply the cube and everything
/// after it by the number of files. A merged row keeps its first file (for messages that name
/// one).
fn merge_files(mut rows: Vec<crate::cube::CubeRow>) -> Vec<crate::cube::CubeRow> {
    #[allow(clippy::type_complexity)]
    fn key(
        r: &crate::cube::CubeRow,
    ) -> (
        (Month, u8, &crate::pricing::Variant),
        &Option<String>,
        &Option<String>,
        &Option<String>,
        &Option<String>,
        &str,
        &str,
        bool,
        bool,
    ) {
        (
            (r.month, r.segment, &r.variant),
            &r.team,
            &r.app,
            &r.workspace_id,
            &r.api_key_id,
            &r.model,
            &r.tier,
            r.in_term,
            r.billed,
        )
    }
    let files: std::collections::BTreeSet<usize> = rows.iter().map(|r| r.file).collect();
    if files.len() < 2 {
        return rows;
    }
    rows.sort_by(|a, b| key(a).cmp(&key(b)).then(a.file.cmp(&b.file)));
    let mut out: Vec<crate::cube::CubeRow> = Vec::with_capacity(rows.len());
    for r in rows {
        match out.last_mut() {
            Some(last) if key(last) == key(&r) => {
                last.tokens.add(&r.tokens);
                last.requests += r.requests;
                last.output_with_requests += r.output_with_requests;
                last.web_search_requests += r.web_search_requests;
                last.billed_cost += r.billed_cost;
                last.rows += r.rows;
                last.first_day = last.first_day.min(r.first_day);
                last.last_day = last.last_day.max(r.last_day);
            }
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod csv_tests;
#[cfg(test)]
mod parquet_tests;
#[cfg(test)]
mod tests;
