//! The Parquet fast path: canonical Parquet files aggregated on their dictionary codes.
//!
//! Parquet writers store low-cardinality text (teams, apps, models, tiers, IDs) dictionary
//! encoded. Grouping on the decoded text costs a hash of every string of every row; grouping on
//! the dictionary codes costs a few integer operations. This module decodes each row group of a
//! file with polars' Parquet reader, asking for the text columns as dictionaries, folds each row's
//! codes and month into one integer key, sums the counts per key, and only then looks up the text
//! of the (few) keys it saw. Row groups are spread over all cores; each reads only the bytes of
//! the columns it needs, so memory stays flat however large the files are.
//!
//! A column chunk that is not dictionary encoded throughout (a writer may fall back to plain
//! pages) is decoded as text and coded here instead: slower, same result. Files whose columns do
//! not have the plain types this path expects (a text date, text counts, a text `cost_usd`)
//! take the general polars query instead; see [`eligible`].

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hash};
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use polars::prelude::{DataType, Schema, TimeUnit};
use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::{ArrowDataType, DTYPE_CATEGORICAL_NEW, Field, IntegerType, Metadata};
use polars_buffer::Buffer;
use polars_parquet::read::{
    BasicDecompressor, FileMetadata, PageReader, PhysicalType, RowGroupMetadata,
    column_iter_to_arrays, read_metadata,
};
use rustc_hash::FxHasher;

use super::{Group, SLOTS, Slot, Sums, cube_row, from_epoch_days};
use crate::cube::CubeRow;
use crate::data::guard::caught;
use crate::data::source::{DIMENSIONS, LEGACY_CACHE_WRITE, TOKEN_COLUMNS};
use crate::error::{Error, Result};
use crate::month::Month;

mod group;
mod read;

use group::*;
use read::*;

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The text keys, in the order rows carry them: team, app, workspace, API key, model, tier.
const TEXT: [&str; 6] = [
    DIMENSIONS[0],
    DIMENSIONS[1],
    DIMENSIONS[2],
    DIMENSIONS[3],
    "model",
    "service_tier",
];
const MODEL: usize = 4;
const TIER: usize = 5;

/// The widest range of days one row group may span (about 11,000 years).
const MAX_DAY_SPAN: i64 = 4_000_000;

/// Slot indexes of the accumulators (the shared [`Slot`] order).
const SUMS: usize = SLOTS;
const U: usize = Slot::U as usize;
const W5: usize = Slot::W5 as usize;
const W1: usize = Slot::W1 as usize;
const R: usize = Slot::R as usize;
const O: usize = Slot::O as usize;
const REQ: usize = Slot::Req as usize;
const REQ_ROWS: usize = Slot::ReqRows as usize;
const O_REQ: usize = Slot::OReq as usize;
const WEB: usize = Slot::Web as usize;
const COST: usize = Slot::CostE8 as usize;

/// Where a file's rows take their day from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Day {
    /// A `date` column of dates.
    Date,
    /// A `starting_at` column of timestamps in this unit (UTC, or naive); its day is the UTC
    /// day, as the general query takes it.
    Timestamp(TimeUnit),
}

impl Day {
    fn column(self) -> &'static str {
        match self {
            Day::Date => "date",
            Day::Timestamp(_) => "starting_at",
        }
    }
}

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
            .all(int);
    plain.then_some(day)
}

/// What the fast path found in its files.
pub(crate) struct Scanned {
    /// The cube rows, `file` being the index given with each path.
    pub rows: Vec<CubeRow>,
    /// Every day that has rows.
    pub days: BTreeSet<i32>,
    /// The daily series (when asked for).
    pub daily: Vec<crate::cube::DayRow>,
    /// The first file (lowest index) with a bad row: no day, no model, or a negative count.
    pub bad_file: Option<usize>,
}

/// One file's columns, resolved against its schema.
struct Layout {
    path: PathBuf,
    index: usize,
    meta: FileMetadata,
    day: Day,
    /// Source column of each text key, if the file has it.
    text: [Option<&'static str>; 6],
    /// Source column of each summed count (`U`..`WEB`; `REQ_ROWS` and `O_REQ` are derived),
    /// and whether it holds 32-bit integers.
    counts: [Option<(&'static str, bool)>; SUMS],
    /// The billed cost column, if the file has one.
    cost: Option<&'static str>,
}

/// The sums of one group: the shared [`Sums`].
type Acc = Sums;

/// A thread's interned text: id 0 is "no value".
struct Interner {
    ids: FxMap<String, u32>,
    texts: Vec<Option<String>>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            ids: FxMap::default(),
            texts: vec![None],
        }
    }
}

impl Interner {
    fn id(&mut self, text: Option<&str>) -> u32 {
        let Some(t) = text else { return 0 };
        if let Some(&id) = self.ids.get(t) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(Some(t.to_owned()));
        self.ids.insert(t.to_owned(), id);
        id
    }
}

/// A thread's groups: file, month code (month index x 4 + in-term flag x 2 + billed flag), and
/// the six text ids.
type GroupKey = (u32, i32, [u32; 6]);

/// A thread's daily sums: (day, model id, tier id, billed) → U, W5, W1, R, O, cost in 1e-8 USD.
type DailyMap = FxMap<(i32, u32, u32, bool), [i64; 6]>;

struct Worker {
    interner: [Interner; 6],
    groups: FxMap<GroupKey, Acc>,
    days: BTreeSet<i32>,
    /// The daily series, when asked for.
    daily: Option<DailyMap>,
    bad: Option<usize>,
}

/// A file for the fast path.
pub(crate) struct FastFile {
    pub path: PathBuf,
    /// Its index among all usage files (the cube rows' `file`).
    pub index: usize,
    pub day: Day,
}

/// Aggregates the files into cube rows (and the daily series when `daily`). `split_term` is the
/// commitment term as epoch days when rows need an in-term flag.
pub(crate) fn scan(
    files: &[FastFile],
    split_term: Option<(i32, i32)>,
    daily: bool,
) -> Result<Scanned> {
    let mut layouts = Vec::with_capacity(files.len());
    for f in files {
        let l = std::panic::catch_unwind(|| layout(&f.path, f.index, f.day))
            .unwrap_or_else(|p| Err(caught(Some(&f.path), p.as_ref())))?;
        layouts.push(l);
    }
    let tasks: Vec<(usize, usize)> = layouts
        .iter()
        .enumerate()
        .flat_map(|(f, l)| (0..l.meta.row_groups.len()).map(move |g| (f, g)))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(tasks.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let errors: Mutex<Vec<(usize, Error)>> = Mutex::new(Vec::new());
    let workers: Vec<Worker> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut w = Worker {
                        interner: Default::default(),
                        groups: FxMap::default(),
                        days: BTreeSet::new(),
                        daily: daily.then(FxMap::default),
                        bad: None,
                    };
                    let mut handles: Vec<Option<File>> = (0..layouts.len()).map(|_| None).collect();
                    while !failed.load(Ordering::Relaxed) {
                        let t = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(f, g)) = tasks.get(t) else { break };
                        let l = &layouts[f];
                        let done = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            row_group(&mut w, l, g, &mut handles[f], split_term)
                        }))
                        .unwrap_or_else(|p| Err(caught(Some(&l.path), p.as_ref())));
                        if let Err(e) = done {
                            failed.store(true, Ordering::Relaxed);
                            errors.lock().expect("error list").push((t, e));
                        }
                    }
                    w
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("parquet worker panicked"))
            .collect()
    });
    let mut errors = errors.into_inner().expect("error list");
    errors.sort_by_key(|(t, _)| *t);
    if let Some((_, e)) = errors.into_iter().next() {
        return Err(e);
    }
    merge(workers)
}

/// The cube rows of all workers, merged on their text.
fn merge(workers: Vec<Worker>) -> Result<Scanned> {
    type Key = (u32, i32, [Option<String>; 6]);
    let mut all: FxMap<Key, Acc> = FxMap::default();
    let mut days = BTreeSet::new();
    type DayKey = (i32, Option<String>, Option<String>, bool);
    let mut daily: FxMap<DayKey, [i64; 6]> = FxMap::default();
    let mut bad: Option<usize> = None;
    for w in workers {
        days.extend(w.days);
        for ((day, model, tier, billed), s) in w.daily.into_iter().flatten() {
            let key = (
                day,
                w.interner[MODEL].texts[model as usize].clone(),
                w.interner[TIER].texts[tier as usize].clone(),
                billed,
            );
            let acc = daily.entry(key).or_insert([0; 6]);
            for (a, v) in acc.iter_mut().zip(s) {
                *a = a
                    .checked_add(v)
                    .ok_or_else(|| crate::data::diagnose::too_many_tokens(None))?;
            }
        }
        bad = match (bad, w.bad) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for ((file, code, ids), acc) in w.groups {
            let texts = std::array::from_fn(|c| w.interner[c].texts[ids[c] as usize].clone());
            if !all
                .entry((file, code, texts))
                .or_insert(Sums::EMPTY)
                .merge(&acc)
            {
                return Err(crate::data::diagnose::too_many_tokens(None));
            }
        }
    }
    let mut rows = Vec::with_capacity(all.len());
    for ((file, code, texts), acc) in all {
        let group = Group {
            file: file as usize,
            month: Month::from_index(code >> 2),
            in_term: code & 2 == 2,
            billed: code & 1 == 1,
        };
        let row = cube_row(group, texts, &acc);
        if row.model.is_empty() {
            let f = file as usize;
            bad = Some(bad.map_or(f, |b| b.min(f)));
        }
        rows.push(row);
    }
    let daily = daily
        .into_iter()
        .map(|((day, model, tier, billed), s)| super::day_row(day, model, tier, billed, &s))
        .collect();
    Ok(Scanned {
        rows,
        days,
        daily,
        bad_file: bad,
    })
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::data(
        path,
        None,
        None,
        format!("cannot be read: {e}. Check that the file is a complete, valid Parquet file"),
    )
}

fn layout(path: &Path, index: usize, day: Day) -> Result<Layout> {
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
    let mut counts: [Option<(&'static str, bool)>; SUMS] = [None; SUMS];
    for (i, (name, _)) in TOKEN_COLUMNS.iter().enumerate() {
        counts[i] = count(name);
    }
    if counts[W5].is_none() {
        counts[W5] = count(LEGACY_CACHE_WRITE);
    }
    counts[REQ] = count("requests");
    counts[WEB] = count("web_search_requests");
    let cost = leaf("cost_usd");
    if leaf(day.column()).is_none() || text[MODEL].is_none() {
        return Err(unreadable(
            path,
            format!("its `{}` or `model` column is nested", day.column()),
        ));
    }
    Ok(Layout {
        path: path.to_owned(),
        index,
        meta,
        day,
        text,
        counts,
        cost,
    })
}
