//! Summing a decoded batch of rows into a worker's groups and daily sums, one of three ways.

use super::read::Chunk;
use super::worker::{
    Acc, COST, DailyMap, Day, DayKey, FxMap, ID_BITS, Layout, MAX_DAY_SPAN, MODEL, O, O_REQ, R,
    REQ, REQ_ROWS, SMALL_GROUP, SUMS, TIER, U, W1, W5, WEB, Way, Worker, pack, unpack, unreadable,
};
use crate::data::aggregate::{Split, Sums};
use crate::data::source::{FIRST_DAY, LAST_DAY, MAX_COST_USD};
use crate::error::Result;
use polars::prelude::TimeUnit;
use polars_arrow::array::{Array, PrimitiveArray};
use polars_arrow::datatypes::ArrowDataType;
use std::borrow::Cow;
use std::hash::Hash;
use std::path::Path;

/// The most cells (days x models x tiers x billed flag) of a row group's dense daily table.
pub(super) const DENSE_DAYS: usize = 1 << 16;

/// Where each summed slot goes in the daily series' sums (`DAY_SLOTS`), if it does.
pub(super) const DAY_SLOT: [Option<usize>; SUMS] = {
    let mut at = [None; SUMS];
    at[U] = Some(0);
    at[W5] = Some(1);
    at[W1] = Some(2);
    at[R] = Some(3);
    at[O] = Some(4);
    at[COST] = Some(5);
    at
};

/// Rows a segment of a large row group holds when it is summed a column at a time (see
/// `stream`): two windows (in unit tests, so that their row groups of 61 and 4,096 rows take
/// several segments of several windows).
pub(super) const SEGMENT: usize = 2 * WINDOW;

/// Rows a window of a large row group holds (in unit tests, a few, so that their row groups of
/// 61 and 4,096 rows are read in windows and those of 1 and 3 rows whole).
#[cfg(not(test))]
pub(super) const WINDOW: usize = 1 << 20;

#[cfg(test)]
pub(super) const WINDOW: usize = 7;

/// Where a batch of rows is summed: the file it comes from, the group its rows go in (its own
/// index or [`MERGED`]) and the days its statistics say it spans.
pub(super) struct Target<'a> {
    pub(super) path: &'a Path,
    pub(super) index: usize,
    pub(super) group_file: u32,
    pub(super) span: Option<(i32, i32)>,
}

/// A batch of decoded rows (a window of a row group, a block of a CSV file), ready to sum.
pub(super) struct Batch<'a> {
    /// Each row's day (days since 1970-01-01).
    pub(super) days: Cow<'a, [i32]>,
    /// Each text key's local codes (empty: the file has no such column) ...
    pub(super) codes: Vec<Cow<'a, [u32]>>,
    /// ... and their dictionary, whose last entry is "no value".
    pub(super) dicts: Vec<Vec<Option<&'a str>>>,
    /// Each count's values (`U`..`WEB`), nulls as 0 (empty: the file has no such column).
    pub(super) counts: [Cow<'a, [i64]>; SUMS],
    /// Which rows have a request count (1/0; None: all that have the column).
    pub(super) req_known: Option<Vec<i64>>,
    /// Billed cost: a flag per row (it has one) and the amount in 1e-8 USD.
    pub(super) billed_cost: Option<(Vec<u32>, Vec<i64>)>,
}

/// A batch's days: their range, and the month code of each day in it.
pub(super) struct Months {
    pub(super) dmin: i32,
    pub(super) dmax: i32,
    /// The month of `dmin` (its index).
    pub(super) first_month: i32,
    /// Month code of each day in the range: (month - first month) x 2 + in-term flag; each
    /// row's key then adds its billed flag as the lowest digit.
    pub(super) table: Vec<u32>,
    /// The month codes' radix in a key (the billed flag included).
    pub(super) month_radix: u64,
}

/// Counts a batch's rows and days in its file's (see [`months`]); marks the worker's statistics
/// untrusted when a day lies outside the file's stated span.
pub(super) fn note_days(w: &mut Worker, l: &Target, n: usize, m: &Months) {
    if l.span.is_some_and(|(lo, hi)| m.dmin < lo || m.dmax > hi) {
        w.untrusted = true;
    }
    let f = w.files.entry(l.index).or_insert((0, i32::MAX, i32::MIN));
    *f = (f.0 + n as u64, f.1.min(m.dmin), f.2.max(m.dmax));
}

/// A batch's day range and the month code of each day in it.
pub(super) fn months(l: &Target, days: &[i32], split: &Split) -> Result<Months> {
    let (dmin, dmax) = days
        .iter()
        .fold((i32::MAX, i32::MIN), |(a, b), &d| (a.min(d), b.max(d)));
    // The month table below has one entry per day of the range: refuse absurd ranges (which
    // the calendar could not show anyway) instead of allocating gigabytes.
    if i64::from(dmax) - i64::from(dmin) > MAX_DAY_SPAN {
        return Err(unreadable(
            l.path,
            format!(
                "its `date` column spans more than 10,000 years (days {dmin} to {dmax} since 1970-01-01); check the years of its dates"
            ),
        ));
    }
    // Months as periods: a month and its part between price changes (see `Split::period`).
    let first_month = split.period(dmin);
    let table: Vec<u32> = (dmin..=dmax)
        .map(|d| {
            let m = split.period(d) - first_month;
            let in_term = split.in_term(d);
            (m as u32) * 2 + u32::from(in_term)
        })
        .collect();
    // The largest code, not the last: a term that ends mid-month flags later days 0 again.
    // Doubled for the billed flag, the key's lowest month digit.
    let month_radix = (u64::from(table.iter().copied().max().unwrap_or(0)) + 1) * 2;
    Ok(Months {
        dmin,
        dmax,
        first_month,
        table,
        month_radix,
    })
}

/// Whether a row has no model (no value or an empty one): the general query names it.
pub(super) fn no_model(codes: &[u32], dict: &[Option<&str>]) -> bool {
    let none: Vec<bool> = dict
        .iter()
        .map(|t| t.as_deref().is_none_or(str::is_empty))
        .collect();
    // Only the last entry (no value) can be met when the dictionary's texts are all models.
    let maybe = none[..none.len() - 1].contains(&true)
        || codes.iter().any(|&c| c as usize >= none.len() - 1);
    maybe && codes.iter().any(|&c| none[c as usize])
}

/// Sums a batch of rows into the worker's groups (and daily series): marks the file bad instead
/// where a row needs the general query's message (no model, a negative or absurd count).
pub(super) fn sum_batch(
    w: &mut Worker,
    l: &Target,
    batch: Batch,
    split: &Split,
    way: Option<Way>,
) -> Result<()> {
    let mark_bad = |w: &mut Worker| w.bad = Some(w.bad.map_or(l.index, |b| b.min(l.index)));
    let n = batch.days.len();
    if n == 0 {
        return Ok(());
    }
    let days = batch.days.as_ref();
    let (codes, dicts) = (&batch.codes, &batch.dicts);
    let m = months(l, days, split)?;
    note_days(w, l, n, &m);
    let Months {
        dmin,
        dmax,
        first_month,
        table,
        month_radix,
    } = m;
    let mut seen = vec![false; table.len()];

    // A row without a model: the general query names it.
    if no_model(&codes[MODEL], &dicts[MODEL]) {
        mark_bad(w);
        return Ok(());
    }
    let radix: Vec<u64> = dicts.iter().map(|d| d.len() as u64).collect();
    let fold = Fold::new(month_radix, &radix);
    let fits = fold.is_some();

    let mut counts: [&[i64]; SUMS] = [&[]; SUMS];
    // The most each sum of this row group can reach (see `Worker::budget`).
    let mut bounds = [0i128; SUMS];
    for (i, values) in batch.counts.iter().enumerate() {
        if values.is_empty() {
            continue;
        }
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
            return Err(crate::data::diagnose::too_many_tokens(Some(l.path)));
        }
        bounds[i] = i128::from(hi) * n as i128;
        counts[i] = values;
    }
    let has_req = !counts[REQ].is_empty();
    let req_known = &batch.req_known;
    let billed_cost = &batch.billed_cost;
    let zeros = vec![0i64; n];
    let col = |i: usize| -> &[i64] {
        if counts[i].is_empty() {
            &zeros
        } else {
            counts[i]
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

    // Local codes to the worker's text ids, once per group.
    let maps: Vec<Vec<u32>> = (0..6)
        .map(|c| {
            dicts[c]
                .iter()
                .map(|t| w.interner[c].id(t.as_deref()))
                .collect()
        })
        .collect();
    bounds[REQ_ROWS] = n as i128;
    bounds[O_REQ] = bounds[O];
    bounds[COST] = i128::from(
        cols.cost
            .iter()
            .map(|c| c.unsigned_abs())
            .max()
            .unwrap_or(0),
    ) * n as i128;
    // A row group's billed cost is summed without a check, as its counts are: refuse it (as the
    // count columns above) when its rows could pass 64 bits of 1e-8 USD.
    if bounds[COST] > i128::from(i64::MAX) {
        return Err(crate::data::diagnose::too_many_tokens(Some(l.path)));
    }
    let file = l.group_file;
    let months = table.iter().max().map_or(0, |t| t >> 1) as i32;
    let fits_budget = w
        .budget
        .iter()
        .zip(&bounds)
        .all(|(a, b)| a + b <= i128::from(i64::MAX));
    let packs = maps.iter().flatten().all(|id| *id < 1 << ID_BITS)
        && pack(&(file, first_month * 4, [0; 6])).is_some()
        && pack(&(file, (first_month + months) * 4 + 3, [0; 6])).is_some();
    let way = match way {
        Some(Way::Packed) if packs && fits_budget => Way::Packed,
        Some(Way::Indexed) if fits && fits_budget => Way::Indexed,
        Some(_) => Way::Local,
        None if packs && fits_budget && n <= SMALL_GROUP => Way::Packed,
        None if fits && fits_budget => Way::Indexed,
        None => Way::Local,
    };
    // Every row group counts, whichever way: a merged one's sums are in the groups too.
    for (a, b) in w.budget.iter_mut().zip(&bounds) {
        *a += b;
    }
    if way == Way::Packed {
        let high: Vec<u128> = table
            .iter()
            .map(|t| {
                let code = (first_month + (t >> 1) as i32) * 4 + (t & 1) as i32 * 2;
                pack(&(file, code, [0; 6])).expect("checked above")
            })
            .collect();
        let shifted: Vec<Vec<u128>> = maps
            .iter()
            .enumerate()
            .map(|(c, m)| {
                m.iter()
                    .map(|id| u128::from(*id) << (ID_BITS * (5 - c as u32)))
                    .collect()
            })
            .collect();
        let billed_bit: u128 = 1 << (6 * ID_BITS);
        let mut keys: Vec<u128> = days
            .iter()
            .enumerate()
            .map(|(i, &d)| high[(d - dmin) as usize] | (u128::from(billed(i)) * billed_bit))
            .collect();
        for (c, sh) in codes.iter().zip(&shifted) {
            if !c.is_empty() {
                for (k, &code) in keys.iter_mut().zip(c.iter()) {
                    *k |= sh[code as usize];
                }
            }
        }
        let (packed, groups) = (&mut w.packed, &mut w.groups);
        let first = l.index as u32;
        // Each row's group first, then the sums: two tight loops, in which the processor
        // overlaps the rows' cache misses (in the index, then in the groups) better than in one.
        let slots: Vec<u32> = keys
            .iter()
            .map(|&k| {
                *packed.entry(k).or_insert_with(|| {
                    groups.push((unpack(k), Sums::EMPTY, first));
                    groups.len() as u32 - 1
                })
            })
            .collect();
        for (i, &slot) in slots.iter().enumerate() {
            let (_, a, f) = &mut groups[slot as usize];
            *f = (*f).min(first);
            add_row(a, &cols, i);
            seen[(days[i] - dmin) as usize] = true;
        }
    } else if way == Way::Indexed {
        let mut index = std::mem::take(&mut w.scratch);
        index.clear();
        let mut keys: Vec<u64> = Vec::with_capacity(n.min(CHUNK));
        let mut slots: Vec<u32> = Vec::with_capacity(n.min(CHUNK));
        for start in (0..n).step_by(CHUNK) {
            let end = (start + CHUNK).min(n);
            keys.clear();
            keys.extend(
                (start..end).map(|i| u64::from(table[(days[i] - dmin) as usize] * 2 + billed(i))),
            );
            let fold = fold.expect("checked above");
            for (c, codes) in codes.iter().enumerate() {
                if codes.is_empty() {
                    keys.iter_mut().for_each(|k| *k = fold.push(*k, c, 0));
                } else {
                    for (k, &code) in keys.iter_mut().zip(&codes[start..end]) {
                        *k = fold.push(*k, c, code);
                    }
                }
            }
            // Each row's group, then the sums (see the packed way above).
            slots.clear();
            for &k in &keys {
                slots.push(
                    *index.entry(k).or_insert_with(|| {
                        group_of(w, k, &fold, &maps, first_month, file, l.index)
                    }),
                );
            }
            for (j, &slot) in slots.iter().enumerate() {
                let i = start + j;
                let (_, sums, first) = &mut w.groups[slot as usize];
                *first = (*first).min(l.index as u32);
                add_row(sums, &cols, i);
                seen[(days[i] - dmin) as usize] = true;
            }
        }
        w.scratch = index;
    } else {
        let local: Vec<([u32; 7], Acc)> = if let Some(fold) = fold {
            let mut keys: Vec<u64> = days
                .iter()
                .enumerate()
                .map(|(i, &d)| u64::from(table[(d - dmin) as usize] * 2 + billed(i)))
                .collect();
            for (c, codes) in codes.iter().enumerate() {
                if codes.is_empty() {
                    keys.iter_mut().for_each(|k| *k = fold.push(*k, c, 0));
                } else {
                    for (k, &code) in keys.iter_mut().zip(codes.iter()) {
                        *k = fold.push(*k, c, code);
                    }
                }
            }
            accumulate(&keys, &cols, &mut seen, &mut w.scratch)
                .into_iter()
                .map(|(k, acc)| {
                    let (month, text) = fold.split(k);
                    let mut parts = [0u32; 7];
                    parts[0] = month;
                    parts[1..].copy_from_slice(&text);
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
            accumulate(&keys, &cols, &mut seen, &mut FxMap::default())
        };

        let file = l.group_file;
        for (parts, acc) in local {
            // parts[0] = (month - first month) x 4 + in-term flag x 2 + billed flag.
            let code = parts[0];
            let month = first_month + (code >> 2) as i32;
            let ids: [u32; 6] = std::array::from_fn(|c| maps[c][parts[c + 1] as usize]);
            let g = w.group((file, month * 4 + (code & 3) as i32, ids), l.index as u32);
            let (_, sums, first) = &mut w.groups[g];
            *first = (*first).min(l.index as u32);
            if !sums.merge(&acc) {
                return Err(crate::data::diagnose::too_many_tokens(Some(l.path)));
            }
        }
    }
    for (d, s) in seen.iter().enumerate() {
        if *s {
            w.days.insert(dmin + d as i32);
        }
    }
    if let Some(daily) = w.daily.as_mut() {
        // The day's sums per model and tier, on local codes, then on the worker's ids: in a
        // dense table over the row group's days, models, tiers and billed flag when it is small
        // (no hashing per row), else in a map (and always in a map on the `Local` way, so that
        // tests compare the two).
        let (models, tiers) = (&codes[MODEL], &codes[TIER]);
        let (nm, nt) = (dicts[MODEL].len(), dicts[TIER].len());
        let span = (dmax - dmin) as usize + 1;
        let cells = span.saturating_mul(nm).saturating_mul(nt).saturating_mul(2);
        let mut by_day: Vec<(DayKey, [i64; 6])> = Vec::new();
        if way != Way::Local && cells <= DENSE_DAYS {
            let mut table = vec![([0i64; 6], false); cells];
            for (i, &day) in days.iter().enumerate().take(n) {
                let m = models.get(i).copied().unwrap_or(0) as usize;
                let t = tiers.get(i).copied().unwrap_or(0) as usize;
                let cell = ((((day - dmin) as usize * nm + m) * nt + t) << 1) | billed(i) as usize;
                let (a, seen) = &mut table[cell];
                *seen = true;
                add_day(a, &cols, i);
            }
            for (cell, (a, seen)) in table.into_iter().enumerate() {
                if seen {
                    let b = cell & 1 == 1;
                    let rest = cell >> 1;
                    let (t, rest) = (rest % nt, rest / nt);
                    let (m, d) = (rest % nm, rest / nm);
                    by_day.push(((dmin + d as i32, m as u32, t as u32, b), a));
                }
            }
        } else {
            let mut map: DailyMap = FxMap::default();
            for (i, &day) in days.iter().enumerate().take(n) {
                let key = (
                    day,
                    models.get(i).copied().unwrap_or(0),
                    tiers.get(i).copied().unwrap_or(0),
                    billed(i) == 1,
                );
                add_day(map.entry(key).or_insert([0; 6]), &cols, i);
            }
            by_day.extend(map);
        }
        for ((d, m, t, b), s) in by_day {
            let key = (d, maps[MODEL][m as usize], maps[TIER][t as usize], b);
            let acc = daily.entry(key).or_insert([0; 6]);
            for (x, v) in acc.iter_mut().zip(s) {
                *x = x
                    .checked_add(v)
                    .ok_or_else(|| crate::data::diagnose::too_many_tokens(Some(l.path)))?;
            }
        }
    }
    Ok(())
}

/// A billed amount in US dollars as integer 1e-8 USD, rounded half away from zero as the
/// general query rounds it; None for an amount the general query refuses (not finite, negative,
/// or above [`MAX_COST_USD`]): the file is marked bad and the general query names the row.
pub(super) fn usd_e8(usd: f64) -> Option<i64> {
    if !(usd.is_finite() && (0.0..=MAX_COST_USD).contains(&usd)) {
        return None;
    }
    Some((usd * 1e8 + 0.5) as i64)
}

/// Timestamps a day holds, in their unit.
pub(super) fn per_day(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Nanoseconds => 86_400_000_000_000,
        TimeUnit::Microseconds => 86_400_000_000,
        TimeUnit::Milliseconds => 86_400_000,
    }
}

/// The UTC day (days since 1970-01-01) of each timestamp; None if one is beyond the calendar.
pub(super) fn utc_days(ts: &[i64], unit: TimeUnit) -> Option<Cow<'static, [i32]>> {
    let per_day = per_day(unit);
    ts.iter()
        .map(|t| i32::try_from(t.div_euclid(per_day)).ok())
        .collect::<Option<Vec<i32>>>()
        .map(Cow::Owned)
}

/// A row group's columns, ready to sum.
pub(super) struct Columns<'a> {
    pub(super) days: &'a [i32],
    pub(super) dmin: i32,
    pub(super) u: &'a [i64],
    pub(super) w5: &'a [i64],
    pub(super) w1: &'a [i64],
    pub(super) r: &'a [i64],
    pub(super) o: &'a [i64],
    pub(super) req: &'a [i64],
    /// 1 where the row has a request count.
    pub(super) known: &'a [i64],
    pub(super) web: &'a [i64],
    /// Billed cost in 1e-8 USD (0 where none).
    pub(super) cost: &'a [i64],
}

/// Rows summed at a time on the direct path (bounds the key buffer of a large row group).
pub(super) const CHUNK: usize = 1 << 16;

/// Adds row `i` to a group's sums.
#[inline(always)]
pub(super) fn add_row(a: &mut Acc, c: &Columns, i: usize) {
    let d = c.days[i];
    a.slots[U] += c.u[i];
    a.slots[W5] += c.w5[i];
    a.slots[W1] += c.w1[i];
    a.slots[R] += c.r[i];
    a.slots[O] += c.o[i];
    a.slots[REQ] += c.req[i];
    a.slots[REQ_ROWS] += c.known[i];
    a.slots[O_REQ] += c.o[i] * c.known[i];
    a.slots[WEB] += c.web[i];
    a.slots[COST] += c.cost[i];
    a.rows += 1;
    a.first = a.first.min(d);
    a.last = a.last.max(d);
}

/// Adds row `i` to a day's sums (`DAY_SLOTS`: U, W5, W1, R, O, cost).
#[inline(always)]
pub(super) fn add_day(a: &mut [i64; 6], c: &Columns, i: usize) {
    a[0] += c.u[i];
    a[1] += c.w5[i];
    a[2] += c.w1[i];
    a[3] += c.r[i];
    a[4] += c.o[i];
    a[5] += c.cost[i];
}

/// Sums the rows per key; marks the days seen.
pub(super) fn accumulate<K: Copy + Eq + Hash>(
    keys: &[K],
    c: &Columns,
    seen: &mut [bool],
    index: &mut FxMap<K, u32>,
) -> Vec<(K, Acc)> {
    index.clear();
    let mut accs: Vec<(K, Acc)> = Vec::new();
    for (i, &k) in keys.iter().enumerate() {
        let slot = *index.entry(k).or_insert_with(|| {
            accs.push((k, Sums::EMPTY));
            accs.len() as u32 - 1
        });
        add_row(&mut accs[slot as usize].1, c, i);
        seen[(c.days[i] - c.dmin) as usize] = true;
    }
    accs
}

/// How a row's month code and its six text codes fold into one 64-bit key: each code in bits of
/// its own (as many as its largest value needs), so that a key is split again by shifts rather
/// than divisions.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fold {
    bits: [u32; 6],
}

impl Fold {
    /// Bits that hold the values below `radix`.
    pub(super) fn width(radix: u64) -> u32 {
        64 - radix.saturating_sub(1).leading_zeros()
    }

    /// The fold of month codes below `month_radix` and text codes below each `radix`; None when
    /// a key would not fit 64 bits.
    pub(super) fn new(month_radix: u64, radix: &[u64]) -> Option<Fold> {
        let bits: [u32; 6] = std::array::from_fn(|c| Fold::width(radix[c]));
        (Fold::width(month_radix) + bits.iter().sum::<u32>() <= 64).then_some(Fold { bits })
    }

    /// `key` with column `c`'s code added (below the codes added before it).
    #[inline]
    pub(super) fn push(&self, key: u64, c: usize, code: u32) -> u64 {
        // Never a shift by 64: the month code takes at least one bit of the key.
        (key << self.bits[c]) | u64::from(code)
    }

    /// The month code and six text codes of a key.
    pub(super) fn split(&self, mut key: u64) -> (u32, [u32; 6]) {
        let mut codes = [0u32; 6];
        for c in (0..6).rev() {
            let b = self.bits[c];
            codes[c] = (key & ((1u64 << b) - 1)) as u32;
            key >>= b;
        }
        (key as u32, codes)
    }
}

/// The worker's group of a row-group-local key (the month code and text codes folded by `fold`;
/// `maps` turns each text code into the worker's id), added if new. The caller records the
/// first file that holds it (`groups[g].2`) where it adds the rows' sums, which reads the group
/// anyway.
pub(super) fn group_of(
    w: &mut Worker,
    key: u64,
    fold: &Fold,
    maps: &[Vec<u32>],
    first_month: i32,
    file: u32,
    index: usize,
) -> u32 {
    let (code, local) = fold.split(key);
    let ids: [u32; 6] = std::array::from_fn(|c| maps[c][local[c] as usize]);
    let month = first_month + (code >> 2) as i32;
    let g = w.group((file, month * 4 + (code & 3) as i32, ids), index as u32);
    g as u32
}

/// Decodes a window's day column (`rows` of the row group, or all).
pub(super) fn decode_days(
    l: &Layout,
    chunk: &Chunk,
    rows: Option<std::ops::Range<usize>>,
) -> Result<Box<dyn Array>, String> {
    match l.day {
        Day::Date => chunk.decode("date", ArrowDataType::Date32, false, rows),
        Day::Timestamp(unit) => chunk.decode(
            "starting_at",
            ArrowDataType::Timestamp(unit.to_arrow(), None),
            false,
            rows,
        ),
    }
}

/// A decoded day column of `n` rows as days since 1970-01-01; None when a row has no day.
pub(super) fn days_of<'a>(
    l: &Layout,
    day_array: &'a dyn Array,
    n: usize,
) -> Result<Option<Cow<'a, [i32]>>> {
    let fail = |e: String| unreadable(&l.path, e);
    if day_array.len() != n {
        return Err(fail(format!(
            "column `{}` has the wrong length",
            l.day.column()
        )));
    }
    if day_array.null_count() > 0 {
        return Ok(None);
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
    // A day outside the years usage can have: the general query names the row.
    if days.iter().any(|d| !(FIRST_DAY..=LAST_DAY).contains(d)) {
        return Ok(None);
    }
    Ok(Some(days))
}
