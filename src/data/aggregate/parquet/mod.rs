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
//!
//! Large row groups are summed a column at a time ([`stream`]). Plain CSV files are cut into
//! blocks, parsed and coded into the same batches and groups ([`csv`]).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hash};
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use polars::prelude::{DataType, Schema, TimeUnit};
use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::{ArrowDataType, DTYPE_CATEGORICAL_NEW, Field, IntegerType, Metadata};
use polars_buffer::Buffer;
use polars_parquet::read::{
    BasicDecompressor, ColumnChunkMetadata, FileMetadata, Filter, PageReader, PhysicalType,
    RowGroupMetadata, column_iter_to_arrays, read_metadata,
};
use rustc_hash::FxHasher;

use super::{Group, SLOTS, Slot, Split, Sums, cube_row, month_part};
use crate::cube::CubeRow;
use crate::data::guard::caught;
use crate::data::source::{DIMENSIONS, LEGACY_CACHE_WRITE, TOKEN_COLUMNS};
use crate::error::{Error, Result};

pub(crate) mod csv;
mod group;
mod read;
mod stream;

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
            .all(int)
        // Usage priced beyond its model and tier (residency, speed, context, band): the general
        // query keys on those columns.
        && super::VARIANT_KEYS.iter().all(|c| schema.get(c).is_none());
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
    /// Each file's rows, first and last day, by file index.
    pub files: Vec<(usize, FileSpan)>,
    /// The files that overlap no other (see [`classes`]): summed together as read, each row
    /// naming the first of them that holds it; they need no duplicate check.
    pub merged: Vec<usize>,
}

/// One file's columns, resolved against its schema.
struct Layout {
    path: PathBuf,
    index: usize,
    /// Its footer's metadata while kept (see [`Layout::meta`]).
    meta: Mutex<Option<Arc<FileMetadata>>>,
    /// How many row groups it has, and how many of them are still to be summed in this run.
    row_groups: usize,
    left: AtomicUsize,
    day: Day,
    /// Source column of each text key, if the file has it.
    text: [Option<&'static str>; 6],
    /// Source column of each summed count (`U`..`WEB`; `REQ_ROWS` and `O_REQ` are derived),
    /// and whether it holds 32-bit integers.
    counts: [Option<(&'static str, bool)>; SUMS],
    /// The billed cost column, if the file has one.
    cost: Option<&'static str>,
    /// The days its row groups' statistics say it spans (None: a row group has none).
    span: Option<(i32, i32)>,
    /// The group its rows are summed in: its own index, or [`MERGED`] (see [`classes`]).
    group_file: u32,
}

/// Footer bytes of the files whose metadata is kept from the first read to the summing: beyond
/// this, a file's metadata is read again when its row groups are summed and dropped after its
/// last one, so that memory holds a few files' metadata at a time however many row groups the
/// files have (parsed, a footer takes about seven times its size; twelve files of 10,000-row
/// groups held 125 MB). In unit tests, about one small file's footer, so that tests take both
/// ways.
#[cfg(not(test))]
const KEPT_FOOTERS: usize = 2 << 20;
#[cfg(test)]
const KEPT_FOOTERS: usize = 3 << 10;

impl Layout {
    /// The file's metadata, read again if it was dropped.
    fn meta(&self) -> Result<Arc<FileMetadata>> {
        let mut kept = self.meta.lock().expect("metadata lock");
        if let Some(m) = kept.as_ref() {
            return Ok(Arc::clone(m));
        }
        let mut file =
            File::open(&self.path).map_err(|e| Error::io(&self.path, "cannot open", e))?;
        let meta = Arc::new(read_metadata(&mut file).map_err(|e| unreadable(&self.path, e))?);
        if meta.row_groups.len() != self.row_groups {
            return Err(unreadable(&self.path, "it changed while being read"));
        }
        *kept = Some(Arc::clone(&meta));
        Ok(meta)
    }

    /// One of the file's row groups is summed: after the last, its metadata is dropped unless
    /// it was kept from the first read.
    fn summed(&self, keep: bool) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 && !keep {
            *self.meta.lock().expect("metadata lock") = None;
        }
    }
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

/// The group of the files summed together as they are read.
const MERGED: u32 = u32::MAX;

/// A thread's groups: file (or [`MERGED`]), month code (month index x 4 + in-term flag x 2 + billed flag), and
/// the six text ids.
type GroupKey = (u32, i32, [u32; 6]);

/// A thread's daily sums: (day, model id, tier id, billed) → U, W5, W1, R, O, cost in 1e-8 USD.
type DailyMap = FxMap<DayKey, [i64; 6]>;

/// A daily sum's key: day, model id, tier id, billed.
type DayKey = (i32, u32, u32, bool);

struct Worker {
    interner: [Interner; 6],
    /// Each group's key, sums and the first file that holds it.
    groups: Vec<(GroupKey, Acc, u32)>,
    /// Where each group is in `groups`, by its key packed into 128 bits ([`pack`])...
    packed: FxMap<u128, u32>,
    /// ... or, for keys too wide to pack, by the key itself.
    wide: FxMap<GroupKey, u32>,
    /// The row group's local key index, kept between row groups for its capacity.
    scratch: FxMap<u64, u32>,
    /// The most any of the worker's sums can have reached (every row group's rows times its
    /// largest value, whichever way it was summed): a row group takes an unchecked way only while
    /// this stays within 64 bits, and is otherwise summed on its own and merged with checks.
    budget: [i128; SUMS],
    days: BTreeSet<i32>,
    /// The daily series, when asked for.
    daily: Option<DailyMap>,
    /// Each file's rows, first and last day.
    files: FxMap<usize, FileSpan>,
    /// A row group held days outside its file's statistics.
    untrusted: bool,
    bad: Option<usize>,
}

impl Worker {
    fn new(daily: bool) -> Worker {
        Worker {
            interner: Default::default(),
            groups: Vec::new(),
            packed: FxMap::default(),
            wide: FxMap::default(),
            scratch: FxMap::default(),
            budget: [0; SUMS],
            days: BTreeSet::new(),
            daily: daily.then(FxMap::default),
            files: FxMap::default(),
            untrusted: false,
            bad: None,
        }
    }

    /// The index of a group in `groups`, added (with no sums yet) if new.
    fn group(&mut self, key: GroupKey, file: u32) -> usize {
        let groups = &mut self.groups;
        let add = || {
            groups.push((key, Sums::EMPTY, file));
            groups.len() as u32 - 1
        };
        let i = match pack(&key) {
            Some(p) => *self.packed.entry(p).or_insert_with(add),
            None => *self.wide.entry(key).or_insert_with(add),
        };
        i as usize
    }
}

/// Bits of a text id in a packed key.
const ID_BITS: u32 = 14;
/// A packed key's file part for [`MERGED`].
const FILE: u32 = (1 << 20) - 1;

/// A group key packed into 128 bits: file (20 bits, [`MERGED`] as all ones), month code (20),
/// six text ids (14 each); None when a part does not fit. A key always packs or never does, so
/// one group is never in both of a worker's indexes.
fn pack(&(file, code, ids): &GroupKey) -> Option<u128> {
    let file = if file == MERGED {
        FILE
    } else if file < FILE {
        file
    } else {
        return None;
    };
    let code = u32::try_from(code).ok().filter(|c| *c < 1 << 20)?;
    let mut key = (u128::from(file) << 20) | u128::from(code);
    for id in ids {
        if id >= 1 << ID_BITS {
            return None;
        }
        key = (key << ID_BITS) | u128::from(id);
    }
    Some(key)
}

/// The key [`pack`] packed.
fn unpack(key: u128) -> GroupKey {
    let mask = (1u32 << ID_BITS) - 1;
    let ids = std::array::from_fn(|c| (key >> (ID_BITS * (5 - c as u32))) as u32 & mask);
    let code = (key >> (6 * ID_BITS)) as i32 & ((1 << 20) - 1);
    let file = match (key >> (6 * ID_BITS + 20)) as u32 {
        FILE => MERGED,
        f => f,
    };
    (file, code, ids)
}

/// A file's rows, first and last day (epoch days).
pub(crate) type FileSpan = (u64, i32, i32);

/// A file for the fast path.
pub(crate) struct FastFile {
    pub path: PathBuf,
    /// Its index among all usage files (the cube rows' `file`).
    pub index: usize,
    pub day: Day,
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

/// How a row group's rows reach the worker's groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    /// Each row by its key packed with the worker's ids (one probe of the worker's index per
    /// row): for small row groups, whose keys are nearly as many as their rows.
    Packed,
    /// Each row by its local key (codes folded into 64 bits), through a small per-batch index
    /// that finds the worker's group once per key: for large row groups, summed a column at a
    /// time (`stream`), and for CSV blocks.
    Indexed,
    /// The row group summed on its own, then merged with checked additions: when its keys do
    /// not fold into 64 bits or pack, or a sum could pass 64 bits.
    Local,
}

/// Row groups of at most this many rows take [`Way::Packed`], larger ones [`Way::Indexed`].
const SMALL_GROUP: usize = 32_768;

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

/// Reads every row group of the files, spread over all cores.
fn run(layouts: &[Layout], split: &Split, daily: bool, way: Option<Way>) -> Result<Vec<Worker>> {
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

/// Runs `tasks` tasks over all cores, each thread summing into its own worker with its own
/// state (open files, buffers); stops at the first error (the lowest task's, for a stable
/// message) and turns a panic into an error naming the task's file.
fn spread<'p, S>(
    tasks: usize,
    daily: bool,
    state: impl Fn() -> S + Sync,
    work: impl Fn(&mut Worker, &mut S, usize) -> Result<()> + Sync,
    path: impl Fn(usize) -> &'p Path + Sync,
) -> Result<Vec<Worker>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(tasks)
        .max(1);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let errors: Mutex<Vec<(usize, Error)>> = Mutex::new(Vec::new());
    let workers: Vec<Worker> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut w = Worker::new(daily);
                    let mut st = state();
                    while !failed.load(Ordering::Relaxed) {
                        let t = next.fetch_add(1, Ordering::Relaxed);
                        if t >= tasks {
                            break;
                        }
                        let done =
                            std::panic::catch_unwind(AssertUnwindSafe(|| work(&mut w, &mut st, t)))
                                .unwrap_or_else(|p| Err(caught(Some(path(t)), p.as_ref())));
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
            .map(|h| h.join().expect("fast path worker panicked"))
            .collect()
    });
    let mut errors = errors.into_inner().expect("error list");
    errors.sort_by_key(|(t, _)| *t);
    if let Some((_, e)) = errors.into_iter().next() {
        return Err(e);
    }
    Ok(workers)
}

/// The cube rows of all workers, merged on their text; `path` names a file by its index (for a
/// sum that does not fit, the first file of the group). Groups are merged on global ids of their
/// texts as the cube reads them (a null and an empty team are one text), each text copied once
/// rather than once per group.
fn merge<'p>(
    mut workers: Vec<Worker>,
    path: impl Fn(usize) -> Option<&'p Path>,
) -> Result<Scanned> {
    for w in &mut workers {
        // The workers' indexes are not needed any more.
        w.packed = FxMap::default();
        w.wide = FxMap::default();
        w.scratch = FxMap::default();
    }
    let mut texts: [Interner; 6] = Default::default();
    let mut at: FxMap<GroupKey, u32> = FxMap::default();
    let mut all: Vec<(GroupKey, Acc, u32)> = Vec::new();
    let mut days = BTreeSet::new();
    let mut daily: FxMap<DayKey, [i64; 6]> = FxMap::default();
    let mut bad: Option<usize> = None;
    let mut files: FxMap<usize, FileSpan> = FxMap::default();
    for w in workers {
        // The worker's ids as global ones.
        let ids: [Vec<u32>; 6] = std::array::from_fn(|c| {
            w.interner[c]
                .texts
                .iter()
                .map(|t| texts[c].id(same_key(c, t.as_deref()).as_deref()))
                .collect()
        });
        days.extend(w.days);
        for (f, (n, lo, hi)) in w.files {
            let e = files.entry(f).or_insert((0, i32::MAX, i32::MIN));
            *e = (e.0 + n, e.1.min(lo), e.2.max(hi));
        }
        for ((day, model, tier, billed), s) in w.daily.into_iter().flatten() {
            let key = (
                day,
                ids[MODEL][model as usize],
                ids[TIER][tier as usize],
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
        for ((file, code, local), acc, first) in w.groups {
            let key = (
                file,
                code,
                std::array::from_fn(|c| ids[c][local[c] as usize]),
            );
            let i = *at.entry(key).or_insert_with(|| {
                all.push((key, Sums::EMPTY, first));
                all.len() as u32 - 1
            });
            let (_, sums, f) = &mut all[i as usize];
            *f = (*f).min(first);
            if !sums.merge(&acc) {
                return Err(crate::data::diagnose::too_many_tokens(path(*f as usize)));
            }
        }
    }
    drop(at);
    let text = |c: usize, id: u32| texts[c].texts[id as usize].clone();
    let mut rows = Vec::with_capacity(all.len());
    for ((_, code, ids), acc, file) in all {
        let (month, segment) = month_part(code >> 2);
        let group = Group {
            file: file as usize,
            month,
            segment,
            in_term: code & 2 == 2,
            billed: code & 1 == 1,
        };
        let row = cube_row(
            group,
            std::array::from_fn(|c| text(c, ids[c])),
            Default::default(),
            &acc,
        );
        if row.model.is_empty() {
            let f = file as usize;
            bad = Some(bad.map_or(f, |b| b.min(f)));
        }
        rows.push(row);
    }
    let daily = daily
        .into_iter()
        .map(|((day, model, tier, billed), s)| {
            super::day_row(
                day,
                text(MODEL, model),
                text(TIER, tier),
                crate::pricing::Variant::default(),
                billed,
                &s,
            )
        })
        .collect();
    let mut files: Vec<(usize, FileSpan)> = files.into_iter().collect();
    files.sort_unstable();
    Ok(Scanned {
        rows,
        days,
        daily,
        bad_file: bad,
        files,
        merged: Vec::new(),
    })
}

/// A text of key `c` as the cube reads it ([`super::same_keys`]).
fn same_key(c: usize, text: Option<&str>) -> Option<String> {
    let mut texts: [Option<String>; 6] = Default::default();
    texts[c] = text.map(str::to_owned);
    let mut same = super::same_keys(texts);
    same[c].take()
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

/// Where each summed count (`U`..`WEB`) is read from, by `find` on its column's name: the token
/// columns (5-minute cache writes from the older single cache-write column when the file has no
/// other), requests and web searches; `REQ_ROWS` and `O_REQ` are derived.
fn count_columns<T: Copy>(find: impl Fn(&'static str) -> Option<T>) -> [Option<T>; SUMS] {
    let mut counts = [None; SUMS];
    for (i, (name, _)) in TOKEN_COLUMNS.iter().enumerate() {
        counts[i] = find(name);
    }
    if counts[W5].is_none() {
        counts[W5] = find(LEGACY_CACHE_WRITE);
    }
    counts[REQ] = find("requests");
    counts[WEB] = find("web_search_requests");
    counts
}

/// The days a file's row groups say (in their statistics) that its day column spans; None when a
/// row group has no statistics for it.
fn stated_span(meta: &FileMetadata, day: Day) -> Option<(i32, i32)> {
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
fn classes(layouts: &mut [Layout], others: &[(i32, i32)]) -> Vec<usize> {
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
            let p = pages(&file, c, group.num_rows()).expect("pages walked");
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

#[cfg(test)]
mod tests {
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
