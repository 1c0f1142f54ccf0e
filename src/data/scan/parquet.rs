//! Reading canonical Parquet files: which files the fast path takes, their layouts (footers held
//! only while needed), and their row groups summed by the workers.

use super::group::row_group;
use super::merge::{Scanned, merge, spread};
use super::sum::per_day;
use super::worker::{
    Day, FastFile, KEPT_FOOTERS, Layout, MERGED, MODEL, TEXT, Way, Worker, count_columns,
    unreadable,
};
use crate::data::aggregate::Split;
use crate::data::guard::caught;
use crate::data::source::{LEGACY_CACHE_WRITE, TOKEN_COLUMNS, cache_writes_twice};
use crate::error::{Error, Result};
use polars::prelude::{DataType, Schema};
use polars_parquet::read::{FileMetadata, PhysicalType, read_metadata};
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Whether a file can take the fast path, and where its day comes from: canonical Parquet
/// whose day is a `date` column (or, without one, a `starting_at` timestamp), whose text keys
/// are text, whose counts are 32- or 64-bit integers and whose billed `cost_usd`, if any, is a
/// 64-bit float.
pub(crate) fn eligible(label: &str, schema: &Schema) -> Option<Day> {
    let day = match (schema.get("date"), schema.get("starting_at")) {
        (Some(DataType::Date), _) => Day::Date,
        (None, Some(DataType::Datetime(unit, _))) => Day::Timestamp(*unit),
        _ => return None,
    };
    let is = |name: &str, want: &DataType| schema.get(name).is_none_or(|d| d == want);
    let int = |name: &str| {
        schema
            .get(name)
            .is_none_or(|d| matches!(d, DataType::Int64 | DataType::Int32))
    };
    let plain = label == "parquet"
        && schema.get("model") == Some(&DataType::String)
        && is("cost_usd", &DataType::Float64)
        && TEXT.iter().all(|c| is(c, &DataType::String))
        && TOKEN_COLUMNS
            .iter()
            .map(|(c, _)| *c)
            .chain([LEGACY_CACHE_WRITE, "requests", "web_search_requests"])
            .all(int)
        // Usage priced beyond its model and tier (residency, speed, context, band): the general
        // query keys on those columns.
        && crate::data::aggregate::VARIANT_KEYS.iter().all(|c| schema.get(c).is_none())
        // Cache writes given twice are checked row by row by the general query.
        && !cache_writes_twice(schema);
    plain.then_some(day)
}

/// Aggregates the files into cube rows (and the daily series when `daily`). `split` is the
/// commitment term as epoch days when rows need an in-term flag; `others` are the day spans of
/// the files read by the general query (for [`classes`]).
pub(crate) fn scan(
    files: &[FastFile],
    split: &Split,
    daily: bool,
    others: &[(i32, i32)],
) -> Result<Scanned> {
    scan_with(files, split, daily, others, None)
}

/// [`scan`], every row group summed one given way (None: each the way that suits it): for
/// tests, which check that every way gives one cube.
pub(crate) fn scan_with(
    files: &[FastFile],
    split: &Split,
    daily: bool,
    others: &[(i32, i32)],
    way: Option<Way>,
) -> Result<Scanned> {
    let mut layouts = Vec::with_capacity(files.len());
    // Metadata is kept from this first read while the footers fit KEPT_FOOTERS.
    let mut footers = 0;
    for f in files {
        let l = std::panic::catch_unwind(|| layout(&f.path, f.index, f.day))
            .unwrap_or_else(|p| Err(caught(Some(&f.path), p.as_ref())))?;
        let mut meta = l.meta.lock().expect("metadata lock");
        footers += meta.as_ref().map_or(0, |m| m.footer_buf.len());
        if footers > KEPT_FOOTERS {
            *meta = None;
        }
        drop(meta);
        layouts.push(l);
    }
    let mut merged = classes(&mut layouts, others);
    let mut workers = run(&layouts, split, daily, way)?;
    if workers.iter().any(|w| w.untrusted) && !merged.is_empty() {
        // A row group held days its statistics did not state: trust no statistics, keep every
        // file's rows apart and read again.
        for l in &mut layouts {
            l.group_file = l.index as u32;
        }
        merged.clear();
        workers = run(&layouts, split, daily, way)?;
    }
    let mut scanned = merge(workers, |i| {
        layouts
            .iter()
            .find(|l| l.index == i)
            .map(|l| l.path.as_path())
    })?;
    scanned.merged = merged;
    Ok(scanned)
}

pub(super) fn layout(path: &Path, index: usize, day: Day) -> Result<Layout> {
    let mut file = File::open(path).map_err(|e| Error::io(path, "cannot open", e))?;
    let meta = read_metadata(&mut file).map_err(|e| unreadable(path, e))?;
    let leaf = |name: &'static str| -> Option<&'static str> {
        let has = meta
            .schema_descr
            .columns()
            .iter()
            .any(|c| c.path_in_schema.len() == 1 && c.path_in_schema[0].as_str() == name);
        has.then_some(name)
    };
    let count = |name: &'static str| -> Option<(&'static str, bool)> {
        let c = meta
            .schema_descr
            .columns()
            .iter()
            .find(|c| c.path_in_schema.len() == 1 && c.path_in_schema[0].as_str() == name)?;
        let int32 = c.descriptor.primitive_type.physical_type == PhysicalType::Int32;
        Some((name, int32))
    };
    let text = TEXT.map(leaf);
    let counts = count_columns(count);
    let cost = leaf("cost_usd");
    let span = stated_span(&meta, day);
    if leaf(day.column()).is_none() || text[MODEL].is_none() {
        return Err(unreadable(
            path,
            format!("its `{}` or `model` column is nested", day.column()),
        ));
    }
    Ok(Layout {
        path: path.to_owned(),
        index,
        row_groups: meta.row_groups.len(),
        left: AtomicUsize::new(0),
        meta: Mutex::new(Some(Arc::new(meta))),
        day,
        text,
        counts,
        cost,
        span,
        group_file: index as u32,
    })
}

/// The days a file's row groups say (in their statistics) that its day column spans; None when a
/// row group has no statistics for it.
pub(super) fn stated_span(meta: &FileMetadata, day: Day) -> Option<(i32, i32)> {
    use polars_parquet::parquet::statistics::Statistics;
    let mut span: Option<(i32, i32)> = None;
    for g in &meta.row_groups {
        if g.num_rows() == 0 {
            continue;
        }
        let c = g.columns_under_root_iter(day.column())?.next()?;
        let (lo, hi) = match (c.statistics(&meta.footer_buf)?.ok()?, day) {
            (Statistics::Int32(s), Day::Date) => (s.min_value?, s.max_value?),
            (Statistics::Int64(s), Day::Timestamp(unit)) => {
                let day = |t: i64| i32::try_from(t.div_euclid(per_day(unit))).ok();
                (day(s.min_value?)?, day(s.max_value?)?)
            }
            _ => return None,
        };
        if lo > hi {
            return None;
        }
        span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
    }
    span
}

/// Which files' rows can be summed together as they are read: a file whose stated days overlap
/// no other file's (fast or not) cannot hold a duplicate of another file's usage, so its rows
/// need not be kept apart for the duplicate check. All such files are counted under the first of
/// them; the others keep their own rows (a file without statistics, parts of one Spark table,
/// and true duplicates, which the check then names). Returns the files summed together.
pub(super) fn classes(layouts: &mut [Layout], others: &[(i32, i32)]) -> Vec<usize> {
    // A file without statistics could hold any day: then no file is alone.
    let mut spans: Vec<((i32, i32), Option<usize>)> = Vec::with_capacity(layouts.len());
    for (i, l) in layouts.iter().enumerate() {
        let Some(span) = l.span else {
            return Vec::new();
        };
        spans.push((span, Some(i)));
    }
    spans.extend(others.iter().map(|o| (*o, None)));
    spans.sort_unstable();
    // Sorted by first day, a span overlaps another if an earlier one reaches its first day or
    // the next one starts by its last day.
    let mut alone = vec![false; layouts.len()];
    let mut reach = i32::MIN;
    for (k, &((lo, hi), i)) in spans.iter().enumerate() {
        let next = spans.get(k + 1).map_or(i32::MAX, |s| s.0.0);
        if let Some(i) = i {
            alone[i] = reach < lo && next > hi;
        }
        reach = reach.max(hi);
    }
    let mut merged = Vec::new();
    for (l, a) in layouts.iter_mut().zip(alone) {
        if a {
            l.group_file = MERGED;
            merged.push(l.index);
        }
    }
    merged
}

/// Each column of a file's first row group: its name, data pages, whether it has a dictionary
/// page, and the rows its pages hold (for tests of files written with small pages).
#[cfg(test)]
pub(crate) fn page_counts(path: &Path) -> Vec<(String, usize, bool, usize)> {
    let mut file = File::open(path).unwrap();
    let meta = read_metadata(&mut file).unwrap();
    let group = &meta.row_groups[0];
    group
        .parquet_columns()
        .iter()
        .map(|c| {
            let p = super::read::pages(&file, c, group.num_rows()).expect("pages walked");
            let rows = p.data.iter().map(|(_, n)| n).sum();
            (
                c.descriptor().path_in_schema[0].to_string(),
                p.data.len(),
                p.dict.is_some(),
                rows,
            )
        })
        .collect()
}

/// Reads every row group of the files, spread over all cores.
pub(super) fn run(
    layouts: &[Layout],
    split: &Split,
    daily: bool,
    way: Option<Way>,
) -> Result<Vec<Worker>> {
    // The files whose metadata was kept from the first read keep it (see `scan_with`).
    let keep: Vec<bool> = layouts
        .iter()
        .map(|l| {
            l.left.store(l.row_groups, Ordering::Release);
            l.meta.lock().expect("metadata lock").is_some()
        })
        .collect();
    let tasks: Vec<(usize, usize)> = layouts
        .iter()
        .enumerate()
        .flat_map(|(f, l)| (0..l.row_groups).map(move |g| (f, g)))
        .collect();
    spread(
        tasks.len(),
        daily,
        || -> Vec<Option<File>> { (0..layouts.len()).map(|_| None).collect() },
        |w, handles, t| {
            let (f, g) = tasks[t];
            let l = &layouts[f];
            let done = row_group(w, l, g, &mut handles[f], split, way);
            l.summed(keep[f]);
            done
        },
        |t| &layouts[tasks[t].0].path,
    )
}

#[cfg(test)]
mod tests {
    use std::fs::File;

    use super::super::worker::{pack, unpack};
    use super::*;

    /// A file's footer dropped after its first read is read again for its row groups and dropped
    /// after the last; a second run over the same layouts (as after untrusted statistics) reads
    /// it again and sums the same.
    #[test]
    fn dropped_footers_are_read_again_for_each_run() {
        use polars::prelude::*;
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("u.parquet");
        let n = 40i32;
        let days: Vec<i32> = (0..n).map(|i| 20_400 + i % 9).collect();
        let models: Vec<&str> = (0..n).map(|i| ["m1", "m2"][(i % 2) as usize]).collect();
        let output: Vec<i64> = (0..n).map(|i| i64::from(i) * 3).collect();
        let mut df = DataFrame::new(
            n as usize,
            vec![
                Column::new("date".into(), days)
                    .cast(&DataType::Date)
                    .unwrap(),
                Column::new("model".into(), models),
                Column::new("output_tokens".into(), output),
            ],
        )
        .unwrap();
        ParquetWriter::new(File::create(&path).unwrap())
            .with_row_group_size(Some(7))
            .finish(&mut df)
            .unwrap();
        let layouts = vec![layout(&path, 0, Day::Date).unwrap()];
        assert!(layouts[0].row_groups > 1);
        *layouts[0].meta.lock().unwrap() = None;
        let scan = |layouts: &[Layout]| {
            let workers = run(layouts, &Default::default(), true, None).unwrap();
            let s = merge(workers, |_| None).unwrap();
            let mut rows: Vec<String> = s.rows.iter().map(|r| format!("{r:?}")).collect();
            rows.sort();
            rows
        };
        let first = scan(&layouts);
        assert!(
            layouts[0].meta.lock().unwrap().is_none(),
            "dropped after the last row group"
        );
        assert_eq!(scan(&layouts), first);
        assert!(layouts[0].meta.lock().unwrap().is_none());
        assert_eq!(first.len(), 2, "one row per model: {first:?}");
        // The footer kept from the first read stays for the next run.
        let kept = vec![layout(&path, 0, Day::Date).unwrap()];
        assert_eq!(scan(&kept), first);
        assert!(kept[0].meta.lock().unwrap().is_some());
    }

    #[test]
    fn group_keys_pack_without_collisions_or_not_at_all() {
        let key = |file, code, last| (file, code, [1, 2, 3, 4, 5, last]);
        let a = pack(&key(3, 97_000, 6)).unwrap();
        assert_ne!(a, pack(&key(3, 97_000, 7)).unwrap());
        assert_ne!(a, pack(&key(4, 97_000, 6)).unwrap());
        assert_ne!(a, pack(&key(3, 97_001, 6)).unwrap());
        // Each part in its own bits: the highest id of one part does not reach the next.
        assert_eq!(
            pack(&(0, 0, [0, 0, 0, 0, 0, (1 << 14) - 1])).unwrap(),
            (1 << 14) - 1
        );
        assert_eq!(pack(&(0, 0, [0, 0, 0, 0, 1, 0])).unwrap(), 1 << 14);
        assert_eq!(pack(&(MERGED, 0, [0; 6])).unwrap() >> 104, (1 << 20) - 1);
        assert!(pack(&(0, 0, [1 << 14, 0, 0, 0, 0, 0])).is_none());
        assert!(pack(&((1 << 20) - 1, 0, [0; 6])).is_none());
        assert!(pack(&(0, 1 << 20, [0; 6])).is_none());
        assert!(pack(&(0, -4, [0; 6])).is_none());
        for k in [
            (3, 97_000, [1, 2, 3, 4, 5, 6]),
            (MERGED, 4, [(1 << 14) - 1; 6]),
            (0, (1 << 20) - 1, [0, 9, 0, 9, 0, 9]),
        ] {
            assert_eq!(unpack(pack(&k).unwrap()), k);
        }
    }
}
