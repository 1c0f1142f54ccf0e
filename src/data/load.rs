//! Loading, step by step: each file read as what it holds; the plan of what to sum; each usage
//! file routed to a reader (the CSV and Parquet fast paths, or the general query); usage summed;
//! each file's rows and days counted; billed costs added; the daily series made one row a day;
//! the whole checked for overlaps and sums that do not fit.

use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;

use crate::anthropic;
use crate::cube::{CubeRow, Dataset, DayRow, FileInfo};
use crate::error::{Error, Result};
use crate::month::Month;

use super::Options;
use super::aggregate::query::{cube_query, daily_rows, distinct_days, partly_counted, to_rows};
use super::aggregate::{Split, VARIANT_KEYS, epoch_days, from_epoch_days, in_term_by_month};
use super::detect::{ANALYTICS_USAGE, USAGE_REPORT, classify};
use super::diagnose::{diagnose, first_bad_file, sums_fit, totals_fit};
use super::guard::{caught, guard};
use super::input::{self, Input, read_input};
use super::names;
use super::overlaps::{check_cost_overlaps, check_overlaps};
use super::pages::{PageInfo, check_pages, check_walk_fields};
use super::scan;
use super::source::{LEGACY_CACHE_WRITE, Plan, Source, TOKEN_COLUMNS};

type Term = Option<(NaiveDate, NaiveDate)>;

/// Loads the files into a cube (see [`super::load_with`]).
pub(super) fn load(
    files: &[(PathBuf, Option<anthropic::Kind>)],
    term: Term,
    options: &Options,
) -> Result<Dataset> {
    if files.is_empty() {
        return Err(Error::Usage(
            "no usage data given; list files in data.paths of the config or pass --data PATH"
                .into(),
        ));
    }
    let (mut sources, cost_files) = read_files(files, &options.rules)?;
    let mut plan = plan_for(&sources, term, options);
    let fast_path = options.fast_path && !options.by_day;
    if fast_path {
        forget_footers(&mut sources)?;
    }
    let routes = route(&sources, fast_path);
    let mut summed = Summed::default();
    sum_csv_and_general(
        &sources,
        &routes,
        &mut plan,
        term,
        options.daily,
        &mut summed,
    )?;
    let mut infos = file_infos(&sources, &summed.rows);
    sum_fast_parquet(
        &routes.fast,
        &plan,
        term,
        options.daily,
        &infos,
        &mut summed,
    )?;
    if let Some(file) = summed.bad {
        return Err(diagnose(&sources[file], &plan));
    }
    // The fast path counts its files apart from its rows (which may hold several files').
    for &(f, (n, lo, hi)) in &summed.fast_files {
        let info = &mut infos[f];
        info.rows = n;
        info.first_day = Some(from_epoch_days(lo));
        info.last_day = Some(from_epoch_days(hi));
    }
    no_empty_file(&infos)?;
    let Summed {
        mut rows,
        mut days,
        daily,
        timings,
        merged,
        ..
    } = summed;
    days.extend(sources.iter().flat_map(|s| s.covered.iter().copied()));
    days.sort();
    days.dedup();
    let costs = add_costs(cost_files, &mut infos);
    check_cost_overlaps(&costs, &infos)?;
    if let Some((file, what, name)) = names::first_reserved(&rows) {
        // Named with its row: the raw rows are queried again, on this error's path only.
        let (row, line) = super::diagnose::row_with(&sources[file], what, &name);
        return Err(names::reserved_error(&infos[file].path, row, what, &name).with_line(line));
    }
    let warnings = names::normalise(&mut rows, &infos, &options.teams)?;
    let mut ds = Dataset {
        rows,
        files: infos,
        days,
        daily: one_row_a_day(daily),
        costs,
        timings,
        warnings,
    };
    sort_rows(&mut ds.rows);
    let days_of = |f: usize| sources.get(f).and_then(|s| distinct_days(&[s]).ok());
    check_overlaps(&ds, &merged, &options.rules, &days_of)?;
    totals_fit(&ds)?;
    if !options.by_day {
        // (A day-level cube keeps a row per day and file: its rows are days, not months.)
        ds.rows = merge_files(std::mem::take(&mut ds.rows));
    }
    Ok(ds)
}

/// `f` of each of `n` files, in the files' order: on as many threads as there are cores when
/// `parallel`, else on this one.
fn each_file<T: Send>(n: usize, parallel: bool, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(n);
    if threads <= 1 || !parallel {
        return (0..n).map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= n {
                            return done;
                        }
                        done.push((i, f(i)));
                    }
                })
            })
            .collect();
        for w in workers {
            for (i, t) in w.join().expect("a file reader's panic is caught inside it") {
                out[i] = Some(t);
            }
        }
    });
    out.into_iter()
        .map(|t| t.expect("every file is read"))
        .collect()
}

/// Each file classified (named by `--data-format` or by its content) and read as usage or
/// billed costs; saved API pages checked as a set (no page missing or read twice).
#[allow(clippy::type_complexity)]
fn read_files(
    files: &[(PathBuf, Option<anthropic::Kind>)],
    rules: &[crate::config::AllocationRule],
) -> Result<(Vec<Source>, Vec<(PathBuf, input::Costs)>)> {
    let mut sources = Vec::new();
    let mut cost_files = Vec::new();
    let mut pages = Vec::new();
    // Text files read on as many threads as there are cores (a CSV's first pass over its text
    // takes a core a file); other files one after another (a Parquet file's opening is its
    // footer, and several footers parsed at once would only raise the peak of memory). The
    // results taken in the files' order, the first error first, as one thread would.
    let text = files.iter().any(|(p, _)| {
        matches!(
            super::detect::Format::of(p),
            Some(super::detect::Format::Csv | super::detect::Format::Ndjson)
        )
    });
    let read_one = |(p, named): &(PathBuf, Option<anthropic::Kind>)| {
        let (kind, page) = classify(p, *named)?;
        if let Some(v) = &page {
            check_walk_fields(p, v)?;
        }
        let info = page.as_ref().and_then(|v| PageInfo::of(p, kind, v));
        Ok((info, read_input(p, kind, page, rules)?))
    };
    let read = guard(None, || {
        Ok(each_file(files.len(), text, |i| {
            let f = &files[i];
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_one(f)))
                .unwrap_or_else(|payload| Err(caught(Some(&f.0), payload.as_ref())))
        }))
    })?;
    for ((p, _), r) in files.iter().zip(read) {
        let (info, input): (Option<PageInfo>, Input) = r?;
        pages.extend(info);
        match input {
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
    Ok((sources, cost_files))
}

/// What the readers sum, from the columns the files have: billed costs, requests, web searches,
/// counts written as text, price variants; months split at the term's ends and price changes.
fn plan_for(sources: &[Source], term: Term, options: &Options) -> Plan {
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
    Plan {
        billed: has("cost_usd"),
        requests: has("requests"),
        web: has("web_search_requests"),
        text_counts,
        split: Split::new(split_term, &options.price_changes),
        variants: VARIANT_KEYS.iter().any(|c| has(c)),
        precise_output: false,
        by_day: options.by_day,
    }
}

/// The Parquet files the fast path takes let go of the footers read while detecting them (the
/// fast path reads each again only while it sums that file).
fn forget_footers(sources: &mut [Source]) -> Result<()> {
    for s in sources.iter_mut() {
        if scan::eligible(s.label, &s.schema).is_some() {
            s.forget_footer()?;
        }
    }
    Ok(())
}

/// Which reader sums each usage file.
struct Routes<'a> {
    /// Plain Parquet, for the Parquet fast path.
    fast: Vec<scan::FastFile>,
    /// Plain CSV, for the CSV fast path (a file it declines joins `general`).
    csv: Vec<scan::csv::CsvFile>,
    /// The rest, for the general query, by index into the sources.
    general: Vec<(usize, &'a Source)>,
}

fn route(sources: &[Source], fast_path: bool) -> Routes<'_> {
    let mut routes = Routes {
        fast: Vec::new(),
        csv: Vec::new(),
        general: Vec::new(),
    };
    for (index, s) in sources.iter().enumerate() {
        if fast_path && scan::csv::eligible(s.label, s.format, &s.schema) {
            routes.csv.push(scan::csv::CsvFile {
                path: s.path.clone(),
                index,
            });
            continue;
        }
        match fast_path
            .then(|| scan::eligible(s.label, &s.schema))
            .flatten()
        {
            Some(day) => routes.fast.push(scan::FastFile {
                path: s.path.clone(),
                index,
                day,
            }),
            None => routes.general.push((index, s)),
        }
    }
    routes
}

/// The readers' results, gathered.
#[derive(Default)]
struct Summed {
    rows: Vec<CubeRow>,
    days: Vec<NaiveDate>,
    daily: Vec<DayRow>,
    /// The first file (by index) with a bad row: it is diagnosed instead of loaded.
    bad: Option<usize>,
    timings: Vec<(&'static str, f64)>,
    /// Per Parquet fast-path file: rows, first and last day (epoch days).
    fast_files: Vec<(usize, (u64, i32, i32))>,
    /// The files whose groups the Parquet fast path merged (for the duplicate check).
    merged: Vec<usize>,
}

impl Summed {
    fn time(&mut self, stage: &'static str, since: Instant) {
        self.timings.push((stage, since.elapsed().as_secs_f64()));
    }

    /// A fast path's rows, days and daily series join the others.
    fn take(&mut self, s: scan::Scanned, plan: &Plan, term: Term) {
        self.rows.extend(s.rows.into_iter().map(|mut r| {
            if plan.split.term.is_none() {
                r.in_term = in_term_by_month(r.month, term);
            }
            r
        }));
        self.days.extend(s.days.into_iter().map(from_epoch_days));
        self.daily.extend(s.daily);
    }
}

/// Plain CSV first (a file the CSV fast path does not read joins the general query), then the
/// general query with its daily series or distinct days.
fn sum_csv_and_general(
    sources: &[Source],
    routes: &Routes<'_>,
    plan: &mut Plan,
    term: Term,
    want_daily: bool,
    out: &mut Summed,
) -> Result<()> {
    let mut general = routes.general.clone();
    let mut from_csv = None;
    if !routes.csv.is_empty() {
        let t0 = Instant::now();
        let scanned = guard(None, || {
            scan::csv::scan(&routes.csv, &plan.split, want_daily, None)
        })?;
        out.time("csv fast path", t0);
        general.extend(scanned.declined.iter().map(|&i| (i, &sources[i])));
        general.sort_by_key(|(i, _)| *i);
        from_csv = Some(scanned.scanned);
    }
    if !general.is_empty() {
        let t0 = Instant::now();
        let only = (general.len() == 1).then(|| general[0].1.path.as_path());
        let mut cube = guard(only, || cube_query(&general, plan))?;
        if plan.requests && partly_counted(&cube).map_err(|e| Error::Internal(e.to_string()))? {
            // Some groups mix rows with and without request counts: sum their output exactly.
            plan.precise_output = true;
            cube = guard(only, || cube_query(&general, plan))?;
        }
        out.time("cube query", t0);
        out.bad = first_bad_file(&cube).map_err(|e| Error::Internal(e.to_string()))?;
        if out.bad.is_none() {
            sums_fit(&cube, sources)?;
            out.rows = to_rows(&cube, plan, term).map_err(|e| Error::Internal(e.to_string()))?;
            let t0 = Instant::now();
            if want_daily {
                out.daily = guard(only, || daily_rows(&general, plan))?;
                out.days = out.daily.iter().map(|d| d.day).collect();
                out.time("daily series", t0);
            } else {
                let sources: Vec<&Source> = general.iter().map(|(_, s)| *s).collect();
                out.days = guard(only, || distinct_days(&sources))?;
                out.time("distinct days", t0);
            }
        }
    }
    if let Some(scanned) = from_csv.filter(|_| out.bad.is_none()) {
        out.bad = scanned.bad_file;
        out.take(scanned, plan, term);
    }
    Ok(())
}

/// Each file's rows and days from the cube rows so far (one file each).
fn file_infos(sources: &[Source], rows: &[CubeRow]) -> Vec<FileInfo> {
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
    for r in rows {
        let info = &mut infos[r.file];
        info.rows += r.rows;
        info.first_day = Some(info.first_day.map_or(r.first_day, |d| d.min(r.first_day)));
        info.last_day = Some(info.last_day.map_or(r.last_day, |d| d.max(r.last_day)));
    }
    infos
}

/// The Parquet fast path, told which days the files read so far span: a fast file overlapping
/// none of them (nor another fast file) cannot duplicate their usage.
fn sum_fast_parquet(
    fast: &[scan::FastFile],
    plan: &Plan,
    term: Term,
    want_daily: bool,
    infos: &[FileInfo],
    out: &mut Summed,
) -> Result<()> {
    if fast.is_empty() || out.bad.is_some() {
        return Ok(());
    }
    let t0 = Instant::now();
    let others: Vec<(i32, i32)> = infos
        .iter()
        .filter_map(|i| Some((epoch_days(i.first_day?), epoch_days(i.last_day?))))
        .collect();
    let mut scanned = guard(None, || scan::scan(fast, &plan.split, want_daily, &others))?;
    out.time("parquet fast path", t0);
    out.bad = scanned.bad_file;
    out.fast_files = std::mem::take(&mut scanned.files);
    out.merged = std::mem::take(&mut scanned.merged);
    out.take(scanned, plan, term);
    Ok(())
}

/// A usage-report page of empty buckets is a normal page; any other empty file is a mistake.
fn no_empty_file(infos: &[FileInfo]) -> Result<()> {
    match infos
        .iter()
        .find(|i| i.rows == 0 && i.format != USAGE_REPORT && i.format != ANALYTICS_USAGE)
    {
        Some(empty) => Err(Error::data(
            &empty.path,
            None,
            None,
            "holds no usage rows; remove it from the data paths or export it again",
        )),
        None => Ok(()),
    }
}

/// The billed-cost files joined to the file list, their records numbered by file.
fn add_costs(
    cost_files: Vec<(PathBuf, input::Costs)>,
    infos: &mut Vec<FileInfo>,
) -> Vec<(usize, anthropic::CostRecord)> {
    let mut costs = Vec::new();
    for (
        path,
        input::Costs {
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
    costs
}

/// A day read by two engines (the fast path and the general query) is one row, as one engine
/// gives it: tokens added, costs added in 1e-8 USD (as each engine summed them).
fn one_row_a_day(mut daily: Vec<DayRow>) -> Vec<DayRow> {
    daily.sort_by(|a, b| {
        (a.day, &a.model, &a.tier, &a.variant, a.billed)
            .cmp(&(b.day, &b.model, &b.tier, &b.variant, b.billed))
    });
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
    daily
}

/// The cube rows in one order, whatever order the readers gave them.
fn sort_rows(rows: &mut [CubeRow]) {
    rows.sort_by(|a, b| {
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
}

/// One cube row per set of dimensions, whatever files the usage came from: the per-file rows
/// were needed for the files' own counts and the duplicate check, both done by now. Many files of
/// one month (a file a day, a Spark job's parts) would otherwise multiply the cube and everything
/// after it by the number of files. A merged row keeps its first file (for messages that name
/// one).
fn merge_files(mut rows: Vec<CubeRow>) -> Vec<CubeRow> {
    #[allow(clippy::type_complexity)]
    fn key(
        r: &CubeRow,
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
    let mut out: Vec<CubeRow> = Vec::with_capacity(rows.len());
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
