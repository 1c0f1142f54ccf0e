//! Large row groups summed a column at a time.
//!
//! Decoding a window of a million rows whole holds fourteen decoded columns per core (over a
//! hundred megabytes, several hundred for text written without dictionaries). Here a row group
//! is summed in two passes. First, a window of rows at a time, each row's group and daily cell
//! are found from its day and text columns (small: dictionary codes and runs of days), each
//! decoded, folded into the rows' keys and dropped in turn. Then each count column (the bulk of
//! the bytes) is read once and decoded a window at a time, each window's values added to their
//! rows' groups and cells. Between the passes the row group holds eight bytes a row (a group and
//! a cell) and whether each row is billed. A row group of more than two windows is summed so a
//! segment of two windows at a time (`group::SEGMENT`), each column read only as far as the
//! pages that hold the segment's rows (`read::pages`), so that neither the bytes a row nor a
//! count column's bytes grow with the row group.

use std::path::Path;

use polars_arrow::array::{Array, PrimitiveArray};
use polars_arrow::datatypes::ArrowDataType;

use crate::data::aggregate::Split;
use crate::error::{Error, Result};

use super::read::{Chunk, count_values, decode_text, text_codes};
use super::sum::{
    DAY_SLOT, DENSE_DAYS, Fold, Months, Target, WINDOW, days_of, decode_days, group_of, months,
    no_model, note_days, usd_e8,
};
use super::worker::{
    COST, DayKey, FxMap, Layout, MODEL, O, O_REQ, R, REQ, REQ_ROWS, TIER, U, W1, W5, WEB, Worker,
    unreadable,
};
use std::ops::Range;

/// Whether a window's keys, `bits` wide, fold into one integer: any that fit 64 bits (in unit
/// tests, at most 10 bits, so that their small windows also take the way of keys too wide to
/// fold).
#[cfg(not(test))]
fn folds(bits: u32) -> bool {
    bits <= 64
}
#[cfg(test)]
fn folds(bits: u32) -> bool {
    bits <= 10
}

/// Rows a window holds where a text column has no dictionary (in unit tests, a few).
#[cfg(not(test))]
const PLAIN_WINDOW: usize = WINDOW / 4;
#[cfg(test)]
const PLAIN_WINDOW: usize = 3;

/// Each row's cell of the daily series, and each cell's key and sums.
type Cells = (Vec<u32>, Vec<(DayKey, [i64; 6])>);

/// Decodes a count or cost column a window at a time from one read of its bytes, handing each
/// window's array and rows to `f` until it answers false (a single window is decoded whole).
fn each_window(
    chunk: &Chunk,
    name: &str,
    dtype: &ArrowDataType,
    windows: &[Range<usize>],
    mut f: impl FnMut(Box<dyn Array>, Range<usize>) -> Result<bool>,
    fail: impl Fn(String) -> Error,
) -> Result<bool> {
    let column = chunk.only(name).map_err(&fail)?;
    for r in windows {
        let rows = (windows.len() > 1).then(|| r.clone());
        let a = column
            .decode(name, dtype.clone(), false, rows)
            .map_err(&fail)?;
        if !f(a, r.clone())? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Sums a row group (or a segment of one, see `Chunk::segment`) of `n` rows the column-at-a-time
/// way.
pub(super) fn row_group(
    w: &mut Worker,
    l: &Layout,
    chunk: &Chunk,
    n: usize,
    split: &Split,
) -> Result<()> {
    let fail = |e: String| unreadable(&l.path, e);
    let mark_bad = |w: &mut Worker| w.bad = Some(w.bad.map_or(l.index, |b| b.min(l.index)));
    let target = Target {
        path: &l.path,
        index: l.index,
        group_file: l.group_file,
        span: l.span,
    };
    // Text written without a dictionary decodes to a few dozen bytes a row: a quarter of the
    // rows at a time then.
    let step = if l.text.iter().flatten().all(|c| chunk.has_dictionary(c)) {
        WINDOW
    } else {
        PLAIN_WINDOW
    };
    let windows: Vec<Range<usize>> = (0..n).step_by(step).map(|s| s..(s + step).min(n)).collect();
    let whole = windows.len() == 1;

    // Which rows have a billed cost (each row's key holds it), from one read of the cost column.
    let mut billed: Vec<bool> = Vec::new();
    if let Some(name) = l.cost {
        billed.reserve(n);
        each_window(
            chunk,
            name,
            &ArrowDataType::Float64,
            &windows,
            |a, r| {
                if a.len() != r.len() {
                    return Err(fail(format!("column `{name}` has the wrong length")));
                }
                billed.extend((0..a.len()).map(|i| a.is_valid(i)));
                Ok(true)
            },
            fail,
        )?;
    }
    let is_billed = |i: usize| billed.get(i).copied().unwrap_or(false);

    // Each row's group and daily cell, a window at a time: the day and text columns are small
    // (dictionary codes, runs of days), so each window decodes them from the file again and
    // keeps only its rows' groups and cells.
    // Each row's group among the segment's (`Local`).
    let mut slots: Vec<u32> = Vec::with_capacity(n);
    let mut local = Local::default();
    let mut cells: Vec<u32> = Vec::with_capacity(if w.daily.is_some() { n } else { 0 });
    let mut cell_at: FxMap<DayKey, u32> = FxMap::default();
    let mut cell_sums: Vec<(DayKey, [i64; 6])> = Vec::new();
    for r in &windows {
        let rows = (!whole).then(|| r.clone());
        let len = r.len();
        let a = decode_days(l, chunk, rows.clone()).map_err(fail)?;
        let Some(days) = days_of(l, a.as_ref(), len)? else {
            // A row without a day: the general query names it.
            mark_bad(w);
            return Ok(());
        };
        let m = months(&target, &days, split)?;
        note_days(w, &target, len, &m);
        let Months {
            dmin,
            first_month,
            ref table,
            month_radix,
            ..
        } = m;
        let billed_at = |i: usize| is_billed(r.start + i);
        // Text keys as local codes folded into one key per row (when they fit 64 bits).
        let mut keys: Vec<u64> = days
            .iter()
            .enumerate()
            .map(|(i, &d)| u64::from(table[(d - dmin) as usize] * 2 + u32::from(billed_at(i))))
            .collect();
        let mut radix = [1u64; 6];
        // The keys' width in bits so far (see `Fold`); None once past what folds.
        let mut width = Some(Fold::width(month_radix)).filter(|b| folds(*b));
        let mut maps: Vec<Vec<u32>> = vec![vec![0]; 6];
        let mut codes: Vec<Vec<u32>> = vec![Vec::new(); 6];
        for c in 0..6 {
            let Some(name) = l.text[c] else { continue };
            let a = decode_text(chunk, name, rows.clone()).map_err(fail)?;
            let t = text_codes(a.as_ref(), name, len).map_err(fail)?;
            if c == MODEL && no_model(&t.codes, &t.dict) {
                // A row without a model: the general query names it.
                mark_bad(w);
                return Ok(());
            }
            let rc = t.dict.len() as u64;
            radix[c] = rc;
            let bits = Fold::width(rc);
            width = width.map(|v| v + bits).filter(|v| folds(*v));
            if width.is_some() {
                for (k, &code) in keys.iter_mut().zip(t.codes.iter()) {
                    *k = (*k << bits) | u64::from(code);
                }
            }
            maps[c] = t.dict.iter().map(|t| w.interner[c].id(*t)).collect();
            // Kept for the daily series, and for keys too wide to fold.
            if c == MODEL || c == TIER || width.is_none() {
                codes[c] = t.codes.into_owned();
            }
        }
        let file = l.group_file;
        let mut seen = vec![false; table.len()];
        let mut count = |local: &mut Local, slot: u32, d: i32| {
            let a = &mut local.span[slot as usize];
            a.0 += 1;
            a.1 = a.1.min(d);
            a.2 = a.2.max(d);
            seen[(d - dmin) as usize] = true;
        };
        if let Some(fold) = width.and_then(|_| Fold::new(month_radix, &radix)) {
            // Each row's key numbered as met in the window, then the keys met turned into the
            // worker's groups all at once: the groups' cache misses then overlap, instead of
            // stalling the rows' loop one at a time.
            let mut index = std::mem::take(&mut w.scratch);
            index.clear();
            let mut met: Vec<u64> = Vec::new();
            let mut spans: Vec<(i64, i32, i32)> = Vec::new();
            let from = slots.len();
            for (&k, &d) in keys.iter().zip(days.iter()) {
                let n = *index.entry(k).or_insert_with(|| {
                    met.push(k);
                    spans.push((0, i32::MAX, i32::MIN));
                    met.len() as u32 - 1
                });
                let a = &mut spans[n as usize];
                a.0 += 1;
                a.1 = a.1.min(d);
                a.2 = a.2.max(d);
                seen[(d - dmin) as usize] = true;
                slots.push(n);
            }
            w.scratch = index;
            let groups: Vec<u32> = met
                .iter()
                .map(|&k| group_of(w, k, &fold, &maps, first_month, file, l.index))
                .collect();
            let to: Vec<u32> = groups
                .iter()
                .zip(&spans)
                .map(|(&g, &(rows, lo, hi))| {
                    let slot = local.at(g);
                    let a = &mut local.span[slot as usize];
                    a.0 += rows;
                    a.1 = a.1.min(lo);
                    a.2 = a.2.max(hi);
                    slot
                })
                .collect();
            for s in &mut slots[from..] {
                *s = to[*s as usize];
            }
        } else {
            // Keys too wide to fold: each row's group found by its ids (the codes of the columns
            // folded before the keys grew too wide decoded again).
            for (held, name) in codes.iter_mut().zip(l.text) {
                let Some(name) = name.filter(|_| held.is_empty()) else {
                    continue;
                };
                let a = decode_text(chunk, name, rows.clone()).map_err(fail)?;
                *held = text_codes(a.as_ref(), name, len)
                    .map_err(fail)?
                    .codes
                    .into_owned();
            }
            for (i, &d) in days.iter().enumerate() {
                let ids: [u32; 6] =
                    std::array::from_fn(|c| codes[c].get(i).map_or(0, |&x| maps[c][x as usize]));
                let month = split.period(d);
                let in_term = split.in_term(d);
                let code = month * 4 + i32::from(in_term) * 2 + i32::from(billed_at(i));
                let g = w.group((file, code, ids), l.index as u32) as u32;
                let first = &mut w.groups[g as usize].2;
                *first = (*first).min(l.index as u32);
                let slot = local.at(g);
                count(&mut local, slot, d);
                slots.push(slot);
            }
        }
        drop(keys);
        for (d, s) in seen.iter().enumerate() {
            if *s {
                w.days.insert(dmin + d as i32);
            }
        }
        // Each row's cell of the daily series (day, model, tier, billed flag, on the worker's
        // ids): through a dense table of the window's cells when it is small, else a probe per row.
        if w.daily.is_some() {
            let model = |i: usize| codes[MODEL].get(i).copied().unwrap_or(0) as usize;
            let tier = |i: usize| codes[TIER].get(i).copied().unwrap_or(0) as usize;
            let (nm, nt) = (radix[MODEL] as usize, radix[TIER] as usize);
            let mut cell_of = |key: DayKey| {
                *cell_at.entry(key).or_insert_with(|| {
                    cell_sums.push((key, [0; 6]));
                    cell_sums.len() as u32 - 1
                })
            };
            let dense = table
                .len()
                .saturating_mul(nm)
                .saturating_mul(nt)
                .saturating_mul(2);
            if dense <= DENSE_DAYS {
                let mut to: Vec<u32> = vec![u32::MAX; dense];
                for (i, &d) in days.iter().enumerate() {
                    let local = (((((d - dmin) as usize * nm) + model(i)) * nt + tier(i)) << 1)
                        | usize::from(billed_at(i));
                    if to[local] == u32::MAX {
                        to[local] =
                            cell_of((d, maps[MODEL][model(i)], maps[TIER][tier(i)], billed_at(i)));
                    }
                    cells.push(to[local]);
                }
            } else {
                for (i, &d) in days.iter().enumerate() {
                    cells.push(cell_of((
                        d,
                        maps[MODEL][model(i)],
                        maps[TIER][tier(i)],
                        billed_at(i),
                    )));
                }
            }
        }
    }
    drop(billed);
    local.count_rows(w, l.index);
    let mut cells: Option<Cells> = w.daily.is_some().then_some((cells, cell_sums));

    // The counts, a column at a time; requests before output, whose rows with a request count
    // are summed apart. Each window's bound (rows x largest value) counts towards the worker's
    // (see `add`).
    let mut known: Option<Vec<i64>> = None;
    // The most each daily sum of the row group can reach, over the windows added so far.
    let mut day_bounds = [0i128; 6];
    let has_req = l.counts[REQ].is_some();
    let mut bad = false;
    for i in [U, W5, W1, R, REQ, O, WEB] {
        let Some((name, int32)) = l.counts[i] else {
            continue;
        };
        let dtype = if int32 {
            ArrowDataType::Int32
        } else {
            ArrowDataType::Int64
        };
        let go = each_window(
            chunk,
            name,
            &dtype,
            &windows,
            |a, r| {
                let len = r.len();
                let (values, k) = count_values(a.as_ref(), name, len).map_err(fail)?;
                if i < REQ && k.is_some() {
                    // A token count left null: the general query names the row.
                    bad = true;
                    return Ok(false);
                }
                let (lo, hi) = values
                    .iter()
                    .fold((0i64, 0i64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                if lo < 0 || hi > crate::data::source::MAX_COUNT {
                    // A negative or absurd count: the general query names the row.
                    bad = true;
                    return Ok(false);
                }
                let bound = i128::from(hi) * len as i128;
                if bound > i128::from(i64::MAX) {
                    return Err(crate::data::diagnose::too_many_tokens(Some(&l.path)));
                }
                let slots = &slots[r.clone()];
                add_both(
                    w,
                    &mut local,
                    slots,
                    i,
                    (&values, bound),
                    (&mut cells, &mut day_bounds, r.clone()),
                    &l.path,
                )?;
                if i == REQ {
                    match &k {
                        Some(k) => {
                            add(
                                w,
                                &mut local,
                                slots,
                                REQ_ROWS,
                                k.iter().copied(),
                                len as i128,
                                &l.path,
                            )?;
                            // Rows of earlier windows all had a count.
                            let all = known.get_or_insert_with(|| vec![1; r.start]);
                            all.extend_from_slice(k);
                        }
                        // Every row has a count: each group's rows, as counted already when
                        // the window is the whole row group.
                        None if whole => {
                            local.sums.clear();
                            local.sums.extend(local.span.iter().map(|s| s.0));
                            commit(w, &local, REQ_ROWS, len as i128, &l.path)?;
                        }
                        None => {
                            add(
                                w,
                                &mut local,
                                slots,
                                REQ_ROWS,
                                std::iter::repeat(1),
                                len as i128,
                                &l.path,
                            )?;
                            if let Some(all) = known.as_mut() {
                                all.extend(std::iter::repeat_n(1, len));
                            }
                        }
                    }
                }
                if i == O && has_req {
                    match &known {
                        Some(k) => {
                            let o = values.iter().zip(&k[r.clone()]).map(|(v, k)| v * k);
                            add(w, &mut local, slots, O_REQ, o, bound, &l.path)?;
                        }
                        // Every row has a request count: the output just summed.
                        None => commit(w, &local, O_REQ, bound, &l.path)?,
                    }
                }
                Ok(true)
            },
            fail,
        )?;
        if !go && bad {
            mark_bad(w);
            return Ok(());
        }
    }
    if let Some(name) = l.cost {
        let mut bad = false;
        let go = each_window(
            chunk,
            name,
            &ArrowDataType::Float64,
            &windows,
            |a, r| {
                let p = a
                    .as_any()
                    .downcast_ref::<PrimitiveArray<f64>>()
                    .filter(|p| p.len() == r.len())
                    .ok_or_else(|| fail(format!("column `{name}` is not a number column")))?;
                let e8: Option<Vec<i64>> = (0..p.len())
                    .map(|i| {
                        if p.is_valid(i) {
                            usd_e8(p.value(i))
                        } else {
                            Some(0)
                        }
                    })
                    .collect();
                let Some(e8) = e8 else {
                    // An amount out of range: the general query names the row.
                    bad = true;
                    return Ok(false);
                };
                let bound = i128::from(e8.iter().map(|c| c.unsigned_abs()).max().unwrap_or(0))
                    * r.len() as i128;
                // Refused as the count columns above when its rows could pass 64 bits of 1e-8 USD.
                if bound > i128::from(i64::MAX) {
                    return Err(crate::data::diagnose::too_many_tokens(Some(&l.path)));
                }
                add(
                    w,
                    &mut local,
                    &slots[r.clone()],
                    COST,
                    e8.iter().copied(),
                    bound,
                    &l.path,
                )?;
                add_daily(&mut cells, &mut day_bounds, COST, r, &e8, bound, &l.path)?;
                Ok(true)
            },
            fail,
        )?;
        if !go && bad {
            mark_bad(w);
            return Ok(());
        }
    }
    if let (Some(daily), Some((_, sums))) = (w.daily.as_mut(), cells) {
        for (key, s) in sums {
            let acc = daily.entry(key).or_insert([0; 6]);
            for (x, v) in acc.iter_mut().zip(s) {
                *x = x
                    .checked_add(v)
                    .ok_or_else(|| crate::data::diagnose::too_many_tokens(Some(&l.path)))?;
            }
        }
    }
    Ok(())
}

/// A window's daily cells and the bounds of their sums, and the window's rows.
type Daily<'a> = (&'a mut Option<Cells>, &'a mut [i128; 6], Range<usize>);

/// Adds a window's values of slot `i` (with their `bound`, see `add`) to their rows' groups and,
/// if the daily series sums the slot, to their rows' daily cells (as `add_daily`): in one pass
/// over the values when the cells' sums cannot pass 64 bits.
fn add_both(
    w: &mut Worker,
    local: &mut Local,
    slots: &[u32],
    i: usize,
    (values, bound): (&[i64], i128),
    (cells, day_bounds, rows): Daily,
    path: &Path,
) -> Result<()> {
    let d =
        DAY_SLOT[i].filter(|&d| cells.is_some() && day_bounds[d] + bound <= i128::from(i64::MAX));
    let (Some(d), Some((cell, cell_sums))) = (d, cells.as_mut()) else {
        add(w, local, slots, i, values.iter().copied(), bound, path)?;
        return add_daily(cells, day_bounds, i, rows, values, bound, path);
    };
    day_bounds[d] += bound;
    let sums = &mut local.sums;
    sums.clear();
    sums.resize(local.groups.len(), 0);
    for ((&s, &c), &v) in slots.iter().zip(&cell[rows]).zip(values) {
        sums[s as usize] += v;
        cell_sums[c as usize].1[d] += v;
    }
    commit(w, local, i, bound, path)
}

/// Adds a window's values of slot `i`, if the daily series sums it, to their rows' daily cells:
/// unchecked while the most the row group's cells can reach (`day_bounds`, over every window so
/// far, this one's `bound` included) stays within 64 bits, else checked.
fn add_daily(
    cells: &mut Option<Cells>,
    day_bounds: &mut [i128; 6],
    i: usize,
    rows: Range<usize>,
    values: &[i64],
    bound: i128,
    path: &Path,
) -> Result<()> {
    let (Some((cell, sums)), Some(d)) = (cells.as_mut(), DAY_SLOT[i]) else {
        return Ok(());
    };
    day_bounds[d] += bound;
    let pairs = cell[rows].iter().zip(values);
    if day_bounds[d] <= i128::from(i64::MAX) {
        for (&c, v) in pairs {
            sums[c as usize].1[d] += v;
        }
        return Ok(());
    }
    for (&c, v) in pairs {
        let a = &mut sums[c as usize].1[d];
        *a = a
            .checked_add(*v)
            .ok_or_else(|| crate::data::diagnose::too_many_tokens(Some(path)))?;
    }
    Ok(())
}

/// The groups of a segment's rows, numbered densely as met: rows are summed into small arrays
/// by these numbers (which stay in the processor's caches), and each array is added to the
/// worker's groups once, rather than each row's values to its group's wide entry.
#[derive(Default)]
struct Local {
    /// The worker's group of each.
    groups: Vec<u32>,
    /// The number of each of the worker's groups met.
    of: FxMap<u32, u32>,
    /// Each one's rows, first and last day.
    span: Vec<(i64, i32, i32)>,
    /// One column's sums (reused).
    sums: Vec<i64>,
}

impl Local {
    /// The number of the worker's group `g`, added if new.
    fn at(&mut self, g: u32) -> u32 {
        let (groups, span) = (&mut self.groups, &mut self.span);
        *self.of.entry(g).or_insert_with(|| {
            groups.push(g);
            span.push((0, i32::MAX, i32::MIN));
            groups.len() as u32 - 1
        })
    }

    /// Adds the rows and days counted to the worker's groups, and file `index` as one that
    /// holds them.
    fn count_rows(&self, w: &mut Worker, index: usize) {
        for (&g, &(rows, first, last)) in self.groups.iter().zip(&self.span) {
            let (_, a, file) = &mut w.groups[g as usize];
            a.rows += rows;
            a.first = a.first.min(first);
            a.last = a.last.max(last);
            *file = (*file).min(index as u32);
        }
    }
}

/// Adds a window's values of slot `i` to its rows' groups (`slots`, numbered as in `local`): per
/// group first (no sum passes `bound`, which fits 64 bits), then to the worker's groups,
/// unchecked while the worker's bound on the slot's sums (`Worker::budget`) stays within 64 bits,
/// else checked.
fn add(
    w: &mut Worker,
    local: &mut Local,
    slots: &[u32],
    i: usize,
    values: impl Iterator<Item = i64>,
    bound: i128,
    path: &Path,
) -> Result<()> {
    debug_assert!(bound <= i128::from(i64::MAX));
    let sums = &mut local.sums;
    sums.clear();
    sums.resize(local.groups.len(), 0);
    for (&s, v) in slots.iter().zip(values) {
        sums[s as usize] += v;
    }
    commit(w, local, i, bound, path)
}

/// Adds the per-group sums held in `local.sums` to slot `i` of the worker's groups (see `add`).
fn commit(w: &mut Worker, local: &Local, i: usize, bound: i128, path: &Path) -> Result<()> {
    let sums = &local.sums;
    let unchecked = w.budget[i] + bound <= i128::from(i64::MAX);
    w.budget[i] += bound;
    let groups = &mut w.groups;
    for (&g, &v) in local.groups.iter().zip(sums.iter()) {
        let a = &mut groups[g as usize].1.slots[i];
        if unchecked {
            *a += v;
        } else {
            *a = a
                .checked_add(v)
                .ok_or_else(|| crate::data::diagnose::too_many_tokens(Some(path)))?;
        }
    }
    Ok(())
}
