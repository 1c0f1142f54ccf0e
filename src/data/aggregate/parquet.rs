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

struct Worker {
    interner: [Interner; 6],
    groups: FxMap<GroupKey, Acc>,
    days: BTreeSet<i32>,
    bad: Option<usize>,
}

/// A file for the fast path.
pub(crate) struct FastFile {
    pub path: PathBuf,
    /// Its index among all usage files (the cube rows' `file`).
    pub index: usize,
    pub day: Day,
}

/// Aggregates the files into cube rows. `split_term` is the commitment
/// term as epoch days when rows need an in-term flag.
pub(crate) fn scan(files: &[FastFile], split_term: Option<(i32, i32)>) -> Result<Scanned> {
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
    let mut bad: Option<usize> = None;
    for w in workers {
        days.extend(w.days);
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
    Ok(Scanned {
        rows,
        days,
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

/// The bytes of one row group's needed columns, read in one piece.
struct Chunk<'a> {
    group: &'a RowGroupMetadata,
    start: u64,
    bytes: Buffer<u8>,
}

impl Chunk<'_> {
    /// Decodes one column as the given arrow type (`categorical` asks for dictionary codes).
    fn decode(
        &self,
        name: &str,
        dtype: ArrowDataType,
        categorical: bool,
    ) -> Result<Box<dyn Array>, String> {
        let meta = self
            .group
            .columns_under_root_iter(name)
            .and_then(|mut c| c.next())
            .ok_or_else(|| format!("column `{name}` is missing from a row group"))?;
        let r = meta.byte_range();
        let (s, e) = (
            (r.start - self.start) as usize,
            (r.end - self.start) as usize,
        );
        let pages = PageReader::new(
            Cursor::new(self.bytes.clone().sliced(s..e)),
            meta,
            vec![],
            usize::MAX,
        );
        let mut field = Field::new(name.into(), dtype, true);
        if categorical {
            let mut md = Metadata::new();
            md.insert(DTYPE_CATEGORICAL_NEW.into(), "".into());
            field = field.with_metadata(md);
        }
        let (mut arrays, _) = column_iter_to_arrays(
            vec![BasicDecompressor::new(pages, vec![])],
            vec![&meta.descriptor().descriptor.primitive_type],
            field,
            None,
        )
        .map_err(|e| e.to_string())?;
        match arrays.len() {
            1 => Ok(arrays.pop().expect("one array")),
            _ => {
                let refs: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
                polars_arrow::compute::concatenate::concatenate(&refs).map_err(|e| e.to_string())
            }
        }
    }
}

fn read_chunk<'a>(l: &'a Layout, g: usize, handle: &mut Option<File>) -> Result<Chunk<'a>> {
    let group = &l.meta.row_groups[g];
    let names = l
        .text
        .iter()
        .flatten()
        .copied()
        .chain(l.counts.iter().flatten().map(|(c, _)| *c))
        .chain(l.cost)
        .chain([l.day.column()]);
    let (mut start, mut end) = (u64::MAX, 0u64);
    for name in names {
        for c in group.columns_under_root_iter(name).into_iter().flatten() {
            let r = c.byte_range();
            start = start.min(r.start);
            end = end.max(r.end);
        }
    }
    if start >= end {
        return Ok(Chunk {
            group,
            start: 0,
            bytes: Buffer::from(Vec::new()),
        });
    }
    if handle.is_none() {
        *handle = Some(File::open(&l.path).map_err(|e| Error::io(&l.path, "cannot open", e))?);
    }
    let file = handle.as_mut().expect("opened");
    let mut bytes = vec![0u8; (end - start) as usize];
    file.seek(SeekFrom::Start(start))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(|e| Error::io(&l.path, "cannot read", e))?;
    Ok(Chunk {
        group,
        start,
        bytes: Buffer::from(bytes),
    })
}

/// A text column of a row group: its local codes (`dict.len() - 1` = no value) and dictionary.
struct TextCodes<'a> {
    codes: Cow<'a, [u32]>,
    dict: Vec<Option<String>>,
}

/// Decodes a text column, as dictionary codes when every page is dictionary encoded.
fn decode_text(chunk: &Chunk, name: &str) -> Result<Box<dyn Array>, String> {
    let dict_type = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::Utf8View),
        false,
    );
    match chunk.decode(name, dict_type, true) {
        Ok(a) if a.as_any().is::<DictionaryArray<u32>>() => Ok(a),
        _ => chunk.decode(name, ArrowDataType::Utf8View, false),
    }
}

fn text_codes<'a>(a: &'a dyn Array, name: &str, n: usize) -> Result<TextCodes<'a>, String> {
    if a.len() != n {
        return Err(format!(
            "column `{name}` has {} values for {n} rows",
            a.len()
        ));
    }
    if let Some(d) = a.as_any().downcast_ref::<DictionaryArray<u32>>()
        && let Some(values) = d.values().as_any().downcast_ref::<Utf8ViewArray>()
    {
        let none = values.len() as u32;
        let mut dict: Vec<Option<String>> = (0..values.len())
            .map(|i| values.is_valid(i).then(|| values.value(i).to_owned()))
            .collect();
        dict.push(None);
        let keys = d.keys();
        let raw = keys.values().as_slice();
        let nulls = keys.validity().is_some_and(|v| v.unset_bits() > 0);
        if !nulls && raw.iter().all(|&c| c < none) {
            return Ok(TextCodes {
                codes: Cow::Borrowed(raw),
                dict,
            });
        }
        // Nulls, or codes beyond the dictionary (a broken file): both count as no value.
        let codes = raw
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if c < none && keys.is_valid(i) {
                    c
                } else {
                    none
                }
            })
            .collect();
        return Ok(TextCodes {
            codes: Cow::Owned(codes),
            dict,
        });
    }
    // Not dictionary encoded throughout: code the text here.
    let s = a
        .as_any()
        .downcast_ref::<Utf8ViewArray>()
        .ok_or_else(|| format!("column `{name}` is not text"))?;
    let mut local: FxMap<&str, u32> = FxMap::default();
    let mut dict: Vec<Option<String>> = Vec::new();
    let mut codes: Vec<u32> = (0..s.len())
        .map(|i| {
            if !s.is_valid(i) {
                return u32::MAX;
            }
            let v = s.value(i);
            *local.entry(v).or_insert_with(|| {
                dict.push(Some(v.to_owned()));
                dict.len() as u32 - 1
            })
        })
        .collect();
    let none = dict.len() as u32;
    dict.push(None);
    for c in codes.iter_mut().filter(|c| **c == u32::MAX) {
        *c = none;
    }
    Ok(TextCodes {
        codes: Cow::Owned(codes),
        dict,
    })
}

/// A count column's values with nulls as 0, and which rows had a value (1/0; None: all did).
type Counts<'a> = (Cow<'a, [i64]>, Option<Vec<i64>>);

/// A count column with nulls as 0, and which rows had a value.
fn count_values<'a>(a: &'a dyn Array, name: &str, n: usize) -> Result<Counts<'a>, String> {
    if a.len() != n {
        return Err(format!(
            "column `{name}` has {} values for {n} rows",
            a.len()
        ));
    }
    let (values, validity): (Cow<[i64]>, _) =
        if let Some(p) = a.as_any().downcast_ref::<PrimitiveArray<i64>>() {
            (Cow::Borrowed(p.values().as_slice()), p.validity())
        } else if let Some(p) = a.as_any().downcast_ref::<PrimitiveArray<i32>>() {
            let wide = p.values().iter().map(|v| i64::from(*v)).collect();
            (Cow::Owned(wide), p.validity())
        } else {
            return Err(format!("column `{name}` is not an integer column"));
        };
    match validity.filter(|v| v.unset_bits() > 0) {
        None => Ok((values, None)),
        Some(valid) => {
            let known: Vec<i64> = valid.iter().map(i64::from).collect();
            let values = values.iter().zip(&known).map(|(v, k)| v * k).collect();
            Ok((Cow::Owned(values), Some(known)))
        }
    }
}

/// Aggregates one row group into the worker's groups.
fn row_group(
    w: &mut Worker,
    l: &Layout,
    g: usize,
    handle: &mut Option<File>,
    split_term: Option<(i32, i32)>,
) -> Result<()> {
    let n = l.meta.row_groups[g].num_rows();
    if n == 0 {
        return Ok(());
    }
    let chunk = read_chunk(l, g, handle)?;
    let fail = |e: String| unreadable(&l.path, e);
    let mark_bad = |w: &mut Worker| w.bad = Some(w.bad.map_or(l.index, |b| b.min(l.index)));

    let day_array = match l.day {
        Day::Date => chunk.decode("date", ArrowDataType::Date32, false),
        Day::Timestamp(unit) => chunk.decode(
            "starting_at",
            ArrowDataType::Timestamp(unit.to_arrow(), None),
            false,
        ),
    }
    .map_err(fail)?;
    if day_array.len() != n {
        return Err(fail(format!(
            "column `{}` has the wrong length",
            l.day.column()
        )));
    }
    if day_array.null_count() > 0 {
        // A row without a day: the general query names it.
        mark_bad(w);
        return Ok(());
    }
    let days: Cow<[i32]> = match l.day {
        Day::Date => day_array
            .as_any()
            .downcast_ref::<PrimitiveArray<i32>>()
            .map(|d| Cow::Borrowed(d.values().as_slice())),
        Day::Timestamp(unit) => day_array
            .as_any()
            .downcast_ref::<PrimitiveArray<i64>>()
            .and_then(|t| utc_days(t.values(), unit)),
    }
    .ok_or_else(|| fail(format!("column `{}` is out of range", l.day.column())))?;
    let days = days.as_ref();
    let (dmin, dmax) = days
        .iter()
        .fold((i32::MAX, i32::MIN), |(a, b), &d| (a.min(d), b.max(d)));
    // The month table below has one entry per day of the range: refuse absurd ranges (which
    // the calendar could not show anyway) instead of allocating gigabytes.
    if i64::from(dmax) - i64::from(dmin) > MAX_DAY_SPAN {
        return Err(fail(format!(
            "its `date` column spans more than 10,000 years (days {dmin} to {dmax} since 1970-01-01); check the years of its dates"
        )));
    }

    // Month code of each day in the group's range: (month - first month) x 2 + in-term flag;
    // each row's key then adds its billed flag as the lowest digit.
    let first_month = Month::of(from_epoch_days(dmin)).index();
    let table: Vec<u32> = (dmin..=dmax)
        .map(|d| {
            let m = Month::of(from_epoch_days(d)).index() - first_month;
            let in_term = split_term.is_some_and(|(s, e)| d >= s && d <= e);
            (m as u32) * 2 + u32::from(in_term)
        })
        .collect();
    // The largest code, not the last: a term that ends mid-month flags later days 0 again.
    // Doubled for the billed flag, the key's lowest month digit.
    let month_radix = (u64::from(table.iter().copied().max().unwrap_or(0)) + 1) * 2;
    let mut seen = vec![false; table.len()];

    // Text keys as local codes, folded with the month code into one key per row.
    let text_arrays: Vec<Option<Box<dyn Array>>> = l
        .text
        .iter()
        .map(|name| name.map(|c| decode_text(&chunk, c)).transpose())
        .collect::<Result<_, String>>()
        .map_err(fail)?;
    let mut dicts: Vec<Vec<Option<String>>> = Vec::with_capacity(6);
    let mut codes: Vec<Cow<[u32]>> = Vec::with_capacity(6);
    for (a, name) in text_arrays.iter().zip(l.text) {
        match (a, name) {
            (Some(a), Some(name)) => {
                let t = text_codes(a.as_ref(), name, n).map_err(fail)?;
                codes.push(t.codes);
                dicts.push(t.dict);
            }
            _ => {
                codes.push(Cow::Borrowed(&[]));
                dicts.push(vec![None]);
            }
        }
    }
    let radix: Vec<u64> = dicts.iter().map(|d| d.len() as u64).collect();
    let fits = radix
        .iter()
        .try_fold(month_radix, |acc, r| acc.checked_mul(*r))
        .is_some();

    let count_arrays: Vec<Option<Box<dyn Array>>> = l
        .counts
        .iter()
        .map(|count| {
            count
                .map(|(c, int32)| {
                    let dtype = if int32 {
                        ArrowDataType::Int32
                    } else {
                        ArrowDataType::Int64
                    };
                    chunk.decode(c, dtype, false)
                })
                .transpose()
        })
        .collect::<Result<_, String>>()
        .map_err(fail)?;
    let mut counts: [Cow<[i64]>; SUMS] = Default::default();
    let mut req_known: Option<Vec<i64>> = None;
    let mut has_req = false;
    for (i, (a, name)) in count_arrays.iter().zip(l.counts).enumerate() {
        let (Some(a), Some((name, _))) = (a, name) else {
            continue;
        };
        let (values, known) = count_values(a.as_ref(), name, n).map_err(fail)?;
        let (lo, hi) = values
            .iter()
            .fold((0i64, 0i64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        if lo < 0 || hi > crate::data::source::MAX_COUNT {
            // A negative or absurd count: the general query names the row.
            mark_bad(w);
            return Ok(());
        }
        // The group's sums are at most its rows times its largest count.
        if i128::from(hi) * n as i128 > i128::from(i64::MAX) {
            return Err(crate::data::diagnose::too_many_tokens(Some(&l.path)));
        }
        if i == REQ {
            has_req = true;
            req_known = known;
        }
        counts[i] = values;
    }
    // Billed cost: a flag per row (it has one) and the amount in 1e-8 USD.
    let billed_cost: Option<(Vec<u32>, Vec<i64>)> = match l.cost {
        None => None,
        Some(name) => {
            let a = chunk
                .decode(name, ArrowDataType::Float64, false)
                .map_err(fail)?;
            let p = a
                .as_any()
                .downcast_ref::<PrimitiveArray<f64>>()
                .filter(|p| p.len() == n)
                .ok_or_else(|| fail(format!("column `{name}` is not a number column")))?;
            let flags: Vec<u32> = (0..n).map(|i| u32::from(p.is_valid(i))).collect();
            let e8 = p
                .values()
                .iter()
                .zip(&flags)
                .map(|(v, f)| if *f == 1 { usd_e8(*v) } else { 0 })
                .collect();
            Some((flags, e8))
        }
    };
    let zeros = vec![0i64; n];
    let col = |i: usize| -> &[i64] {
        if counts[i].is_empty() {
            &zeros
        } else {
            &counts[i]
        }
    };
    let ones;
    let known: &[i64] = match (&req_known, has_req) {
        (Some(k), _) => k,
        (None, true) => {
            ones = vec![1i64; n];
            &ones
        }
        (None, false) => &zeros,
    };
    let cols = Columns {
        days,
        dmin,
        u: col(U),
        w5: col(W5),
        w1: col(W1),
        r: col(R),
        o: col(O),
        req: col(REQ),
        known,
        web: col(WEB),
        cost: billed_cost.as_ref().map_or(&zeros, |(_, e8)| e8),
    };
    let billed = |i: usize| billed_cost.as_ref().map_or(0, |(f, _)| f[i]);

    let local: Vec<([u32; 7], Acc)> = if fits {
        let mut keys: Vec<u64> = days
            .iter()
            .enumerate()
            .map(|(i, &d)| u64::from(table[(d - dmin) as usize] * 2 + billed(i)))
            .collect();
        for (c, r) in codes.iter().zip(&radix) {
            if c.is_empty() {
                keys.iter_mut().for_each(|k| *k *= r);
            } else {
                for (k, &code) in keys.iter_mut().zip(c.iter()) {
                    *k = *k * r + u64::from(code);
                }
            }
        }
        accumulate(&keys, &cols, &mut seen)
            .into_iter()
            .map(|(mut k, acc)| {
                let mut parts = [0u32; 7];
                for c in (0..6).rev() {
                    parts[c + 1] = (k % radix[c]) as u32;
                    k /= radix[c];
                }
                parts[0] = k as u32;
                (parts, acc)
            })
            .collect()
    } else {
        let keys: Vec<[u32; 7]> = (0..n)
            .map(|i| {
                let mut k = [0u32; 7];
                k[0] = table[(days[i] - dmin) as usize] * 2 + billed(i);
                for c in 0..6 {
                    k[c + 1] = codes[c].get(i).copied().unwrap_or(0);
                }
                k
            })
            .collect();
        accumulate(&keys, &cols, &mut seen)
    };

    for (d, s) in seen.iter().enumerate() {
        if *s {
            w.days.insert(dmin + d as i32);
        }
    }
    // Local codes to the worker's text ids, once per group.
    let maps: Vec<Vec<u32>> = (0..6)
        .map(|c| {
            dicts[c]
                .iter()
                .map(|t| w.interner[c].id(t.as_deref()))
                .collect()
        })
        .collect();
    let file = l.index as u32;
    for (parts, acc) in local {
        // parts[0] = (month - first month) x 4 + in-term flag x 2 + billed flag.
        let code = parts[0];
        let month = first_month + (code >> 2) as i32;
        let ids: [u32; 6] = std::array::from_fn(|c| maps[c][parts[c + 1] as usize]);
        if !w
            .groups
            .entry((file, month * 4 + (code & 3) as i32, ids))
            .or_insert(Sums::EMPTY)
            .merge(&acc)
        {
            return Err(crate::data::diagnose::too_many_tokens(Some(&l.path)));
        }
    }
    Ok(())
}

/// A billed amount in US dollars as integer 1e-8 USD, rounded half away from zero as the
/// general query rounds it; not a finite amount in range counts as 0, as there.
fn usd_e8(usd: f64) -> i64 {
    let scaled = usd * 1e8;
    let rounded = if scaled < 0.0 {
        scaled - 0.5
    } else {
        scaled + 0.5
    };
    if rounded.is_finite() && rounded.abs() < 9.2e18 {
        rounded as i64
    } else {
        0
    }
}

/// The UTC day (days since 1970-01-01) of each timestamp; None if one is beyond the calendar.
fn utc_days(ts: &[i64], unit: TimeUnit) -> Option<Cow<'static, [i32]>> {
    let per_day: i64 = match unit {
        TimeUnit::Nanoseconds => 86_400_000_000_000,
        TimeUnit::Microseconds => 86_400_000_000,
        TimeUnit::Milliseconds => 86_400_000,
    };
    ts.iter()
        .map(|t| i32::try_from(t.div_euclid(per_day)).ok())
        .collect::<Option<Vec<i32>>>()
        .map(Cow::Owned)
}

/// A row group's columns, ready to sum.
struct Columns<'a> {
    days: &'a [i32],
    dmin: i32,
    u: &'a [i64],
    w5: &'a [i64],
    w1: &'a [i64],
    r: &'a [i64],
    o: &'a [i64],
    req: &'a [i64],
    /// 1 where the row has a request count.
    known: &'a [i64],
    web: &'a [i64],
    /// Billed cost in 1e-8 USD (0 where none).
    cost: &'a [i64],
}

/// Sums the rows per key; marks the days seen.
fn accumulate<K: Copy + Eq + Hash>(keys: &[K], c: &Columns, seen: &mut [bool]) -> Vec<(K, Acc)> {
    let n = keys.len();
    let (days, u, w5, w1, r, o) = (
        &c.days[..n],
        &c.u[..n],
        &c.w5[..n],
        &c.w1[..n],
        &c.r[..n],
        &c.o[..n],
    );
    let (req, known, web, cost) = (&c.req[..n], &c.known[..n], &c.web[..n], &c.cost[..n]);
    let mut index: FxMap<K, u32> = FxMap::default();
    let mut accs: Vec<(K, Acc)> = Vec::new();
    for i in 0..n {
        let slot = *index.entry(keys[i]).or_insert_with(|| {
            accs.push((keys[i], Sums::EMPTY));
            accs.len() as u32 - 1
        });
        let a = &mut accs[slot as usize].1;
        let d = days[i];
        a.slots[U] += u[i];
        a.slots[W5] += w5[i];
        a.slots[W1] += w1[i];
        a.slots[R] += r[i];
        a.slots[O] += o[i];
        a.slots[REQ] += req[i];
        a.slots[REQ_ROWS] += known[i];
        a.slots[O_REQ] += o[i] * known[i];
        a.slots[WEB] += web[i];
        a.slots[COST] += cost[i];
        a.rows += 1;
        a.first = a.first.min(d);
        a.last = a.last.max(d);
        seen[(d - c.dmin) as usize] = true;
    }
    accs
}
