//! What a worker of the fast path sums into: texts interned to codes, groups keyed on codes and
//! month, daily sums; the layout of a file it reads; the constants every reader shares.

use crate::data::aggregate::{SLOTS, Slot, Sums};
use crate::data::source::{DIMENSIONS, LEGACY_CACHE_WRITE, TOKEN_COLUMNS};
use crate::error::{Error, Result};
use polars::prelude::TimeUnit;
use polars_parquet::read::{FileMetadata, read_metadata};
use rustc_hash::FxHasher;
use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub(super) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The text keys, in the order rows carry them: team, app, workspace, API key, model, tier.
pub(super) const TEXT: [&str; 6] = [
    DIMENSIONS[0],
    DIMENSIONS[1],
    DIMENSIONS[2],
    DIMENSIONS[3],
    "model",
    "service_tier",
];

pub(super) const MODEL: usize = 4;

pub(super) const TIER: usize = 5;

/// The widest range of days one row group may span (about 11,000 years).
pub(super) const MAX_DAY_SPAN: i64 = 4_000_000;

/// Slot indexes of the accumulators (the shared [`Slot`] order).
pub(super) const SUMS: usize = SLOTS;

pub(super) const U: usize = Slot::U as usize;

pub(super) const W5: usize = Slot::W5 as usize;

pub(super) const W1: usize = Slot::W1 as usize;

pub(super) const R: usize = Slot::R as usize;

pub(super) const O: usize = Slot::O as usize;

pub(super) const REQ: usize = Slot::Req as usize;

pub(super) const REQ_ROWS: usize = Slot::ReqRows as usize;

pub(super) const O_REQ: usize = Slot::OReq as usize;

pub(super) const WEB: usize = Slot::Web as usize;

pub(super) const COST: usize = Slot::CostE8 as usize;

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
    pub(super) fn column(self) -> &'static str {
        match self {
            Day::Date => "date",
            Day::Timestamp(_) => "starting_at",
        }
    }
}

/// One file's columns, resolved against its schema.
pub(super) struct Layout {
    pub(super) path: PathBuf,
    pub(super) index: usize,
    /// Its footer's metadata while kept (see [`Layout::meta`]).
    pub(super) meta: Mutex<Option<Arc<FileMetadata>>>,
    /// How many row groups it has, and how many of them are still to be summed in this run.
    pub(super) row_groups: usize,
    pub(super) left: AtomicUsize,
    pub(super) day: Day,
    /// Source column of each text key, if the file has it.
    pub(super) text: [Option<&'static str>; 6],
    /// Source column of each summed count (`U`..`WEB`; `REQ_ROWS` and `O_REQ` are derived),
    /// and whether it holds 32-bit integers.
    pub(super) counts: [Option<(&'static str, bool)>; SUMS],
    /// The billed cost column, if the file has one.
    pub(super) cost: Option<&'static str>,
    /// The days its row groups' statistics say it spans (None: a row group has none).
    pub(super) span: Option<(i32, i32)>,
    /// The group its rows are summed in: its own index, or [`MERGED`] (see [`classes`]).
    pub(super) group_file: u32,
}

/// Footer bytes of the files whose metadata is kept from the first read to the summing: beyond
/// this, a file's metadata is read again when its row groups are summed and dropped after its
/// last one, so that memory holds a few files' metadata at a time however many row groups the
/// files have (parsed, a footer takes about seven times its size; twelve files of 10,000-row
/// groups held 125 MB). In unit tests, about one small file's footer, so that tests take both
/// ways.
#[cfg(not(test))]
pub(super) const KEPT_FOOTERS: usize = 2 << 20;

#[cfg(test)]
pub(super) const KEPT_FOOTERS: usize = 3 << 10;

impl Layout {
    /// The file's metadata, read again if it was dropped.
    pub(super) fn meta(&self) -> Result<Arc<FileMetadata>> {
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
    pub(super) fn summed(&self, keep: bool) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 && !keep {
            *self.meta.lock().expect("metadata lock") = None;
        }
    }
}

/// The sums of one group: the shared [`Sums`].
pub(super) type Acc = Sums;

/// A thread's interned text: id 0 is "no value".
pub(super) struct Interner {
    pub(super) ids: FxMap<String, u32>,
    pub(super) texts: Vec<Option<String>>,
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
    pub(super) fn id(&mut self, text: Option<&str>) -> u32 {
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
pub(super) const MERGED: u32 = u32::MAX;

/// A thread's groups: file (or [`MERGED`]), month code (month index x 4 + in-term flag x 2 + billed flag), and
/// the six text ids.
pub(super) type GroupKey = (u32, i32, [u32; 6]);

/// A thread's daily sums: (day, model id, tier id, billed) → U, W5, W1, R, O, cost in 1e-8 USD.
pub(super) type DailyMap = FxMap<DayKey, [i64; 6]>;

/// A daily sum's key: day, model id, tier id, billed.
pub(super) type DayKey = (i32, u32, u32, bool);

pub(super) struct Worker {
    pub(super) interner: [Interner; 6],
    /// Each group's key, sums and the first file that holds it.
    pub(super) groups: Vec<(GroupKey, Acc, u32)>,
    /// Where each group is in `groups`, by its key packed into 128 bits ([`pack`])...
    pub(super) packed: FxMap<u128, u32>,
    /// ... or, for keys too wide to pack, by the key itself.
    pub(super) wide: FxMap<GroupKey, u32>,
    /// The row group's local key index, kept between row groups for its capacity.
    pub(super) scratch: FxMap<u64, u32>,
    /// The most any of the worker's sums can have reached (every row group's rows times its
    /// largest value, whichever way it was summed): a row group takes an unchecked way only while
    /// this stays within 64 bits, and is otherwise summed on its own and merged with checks.
    pub(super) budget: [i128; SUMS],
    pub(super) days: BTreeSet<i32>,
    /// The daily series, when asked for.
    pub(super) daily: Option<DailyMap>,
    /// Each file's rows, first and last day.
    pub(super) files: FxMap<usize, FileSpan>,
    /// A row group held days outside its file's statistics.
    pub(super) untrusted: bool,
    pub(super) bad: Option<usize>,
}

impl Worker {
    pub(super) fn new(daily: bool) -> Worker {
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
    pub(super) fn group(&mut self, key: GroupKey, file: u32) -> usize {
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
pub(super) const ID_BITS: u32 = 14;

/// A packed key's file part for [`MERGED`].
pub(super) const FILE: u32 = (1 << 20) - 1;

/// A group key packed into 128 bits: file (20 bits, [`MERGED`] as all ones), month code (20),
/// six text ids (14 each); None when a part does not fit. A key always packs or never does, so
/// one group is never in both of a worker's indexes.
pub(super) fn pack(&(file, code, ids): &GroupKey) -> Option<u128> {
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
pub(super) fn unpack(key: u128) -> GroupKey {
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
pub(super) const SMALL_GROUP: usize = 32_768;

pub(super) fn unreadable(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::data(
        path,
        None,
        None,
        format!("cannot be read: {e}. Check that the file is a complete, valid Parquet file"),
    )
}

/// Where each summed count (`U`..`WEB`) is read from, by `find` on its column's name: the token
/// columns (5-minute cache writes from the older single cache-write column when the file has no
/// other), requests and web searches; `REQ_ROWS` and `O_REQ` are derived.
pub(super) fn count_columns<T: Copy>(
    find: impl Fn(&'static str) -> Option<T>,
) -> [Option<T>; SUMS] {
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
