//! Spreading files over all cores and merging the workers' groups on the texts' global codes.

use super::worker::{Acc, DayKey, FileSpan, FxMap, GroupKey, Interner, MODEL, TIER, Worker};
use crate::cube::CubeRow;
use crate::data::aggregate::{Group, Sums, cube_row, month_part};
use crate::data::guard::caught;
use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

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

/// Runs `tasks` tasks over all cores, each thread summing into its own worker with its own
/// state (open files, buffers); stops at the first error (the lowest task's, for a stable
/// message) and turns a panic into an error naming the task's file.
pub(super) fn spread<'p, S>(
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
pub(super) fn merge<'p>(
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
            crate::data::aggregate::day_row(
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
pub(super) fn same_key(c: usize, text: Option<&str>) -> Option<String> {
    let mut texts: [Option<String>; 6] = Default::default();
    texts[c] = text.map(str::to_owned);
    let mut same = crate::data::aggregate::same_keys(texts);
    same[c].take()
}
