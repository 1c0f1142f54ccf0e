//! Large row groups summed a column at a time.
//!
//! Decoding a window of a million rows whole holds fourteen decoded columns per core (over a
//! hundred megabytes, several hundred for text written without dictionaries). Here each row's
//! group is found once from the text columns, each decoded, folded into the rows' keys and
//! dropped in turn; then each count column is decoded, added to the groups (and the daily
//! series) and dropped. Each column's bytes are read once and decoded a window of rows at a time
//! (Spark's row groups hold three million rows); between columns the row group holds each row's
//! day, key, group and daily cell, and one window of one column.

use std::ops::Range;

use super::group::{
    DAY_SLOT, DENSE_DAYS, Months, Target, WINDOW, days_of, decode_days, months, no_model,
    note_days, usd_e8,
};
use super::*;

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

/// Sums a row group of `n` rows the column-at-a-time way; false (nothing noted or summed) when
/// its keys do not fold into 64 bits or a text column's dictionary differs between windows (a
/// writer fell back to plain pages), for the caller to sum it a window at a time.
pub(super) fn row_group(
    w: &mut Worker,
    l: &Layout,
    chunk: &Chunk,
    n: usize,
    split_term: Option<(i32, i32)>,
) -> Result<bool> {
    let fail = |e: String| unreadable(&l.path, e);
    let mark_bad = |w: &mut Worker| w.bad = Some(w.bad.map_or(l.index, |b| b.min(l.index)));
    let target = Target {
        path: &l.path,
        index: l.index,
        group_file: l.group_file,
        span: l.span,
    };
    let windows: Vec<Range<usize>> = (0..n)
        .step_by(WINDOW)
        .map(|s| s..(s + WINDOW).min(n))
        .collect();
    let whole = windows.len() == 1;

    // Days: a row without one is the general query's to name.
    let mut days: Vec<i32> = Vec::with_capacity(n);
    let day_column = chunk.only(l.day.column()).map_err(fail)?;
    for r in &windows {
        let a = decode_days(l, &day_column, (!whole).then(|| r.clone())).map_err(fail)?;
        let Some(d) = days_of(l, a.as_ref(), r.len())? else {
            mark_bad(w);
            return Ok(true);
        };
        days.extend_from_slice(&d);
    }
    drop(day_column);
    let m = months(&target, &days, split_term)?;
    let Months {
        dmin,
        first_month,
        ref table,
        month_radix,
        ..
    } = m;

    // Which rows have a billed cost: each row's key holds it.
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
    let mut keys: Vec<u64> = days
        .iter()
        .enumerate()
        .map(|(i, &d)| u64::from(table[(d - dmin) as usize] * 2 + u32::from(is_billed(i))))
        .collect();

    // Text keys folded into the rows' keys one column at a time; each row's model and tier kept
    // (as one code) for the daily series.
    let mut radix = [1u64; 6];
    let mut local: [Vec<Option<String>>; 6] = Default::default();
    let mut model_tier: Vec<u32> = Vec::new();
    let mut width = month_radix;
    let mut missing_model = false;
    let text_type = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::Utf8View),
        false,
    );
    for c in 0..6 {
        let Some(name) = l.text[c] else {
            local[c] = vec![None];
            continue;
        };
        let column = chunk.only(name).map_err(fail)?;
        let mut dict: Option<Vec<Option<String>>> = None;
        for r in &windows {
            let rows = (!whole).then(|| r.clone());
            let a = match column.decode(name, text_type.clone(), true, rows.clone()) {
                Ok(a) if a.as_any().is::<DictionaryArray<u32>>() => a,
                _ => column
                    .decode(name, ArrowDataType::Utf8View, false, rows)
                    .map_err(fail)?,
            };
            let t = text_codes(a.as_ref(), name, r.len()).map_err(fail)?;
            // The codes of every window must mean the same texts.
            match &dict {
                None => {
                    let r = t.dict.len() as u64;
                    match width.checked_mul(r) {
                        Some(v) => width = v,
                        None => return Ok(false),
                    }
                    radix[c] = r;
                    dict = Some(t.dict.iter().map(|d| d.map(str::to_owned)).collect());
                }
                Some(first) => {
                    let same = first.len() == t.dict.len()
                        && first.iter().zip(&t.dict).all(|(a, b)| a.as_deref() == *b);
                    if !same {
                        return Ok(false);
                    }
                }
            }
            if c == MODEL {
                missing_model |= no_model(&t.codes, &t.dict);
            }
            let rc = radix[c];
            for (k, &code) in keys[r.clone()].iter_mut().zip(t.codes.iter()) {
                *k = *k * rc + u64::from(code);
            }
            match c {
                MODEL => model_tier.extend_from_slice(&t.codes),
                TIER => {
                    for (mt, &code) in model_tier[r.clone()].iter_mut().zip(t.codes.iter()) {
                        *mt = *mt * rc as u32 + code;
                    }
                }
                _ => {}
            }
        }
        local[c] = dict.unwrap_or_else(|| vec![None]);
    }
    note_days(w, &target, n, &m);
    if missing_model {
        // A row without a model: the general query names it.
        mark_bad(w);
        return Ok(true);
    }
    let maps: Vec<Vec<u32>> = (0..6)
        .map(|c| {
            local[c]
                .iter()
                .map(|t| w.interner[c].id(t.as_deref()))
                .collect()
        })
        .collect();

    // Each row's group, found once; its rows and days counted.
    let mut index = std::mem::take(&mut w.scratch);
    index.clear();
    let mut seen = vec![false; table.len()];
    let file = l.group_file;
    let slots: Vec<u32> = keys
        .iter()
        .zip(&days)
        .map(|(&k, &d)| {
            let slot = *index.entry(k).or_insert_with(|| {
                let mut rest = k;
                let mut ids = [0u32; 6];
                for c in (0..6).rev() {
                    ids[c] = maps[c][(rest % radix[c]) as usize];
                    rest /= radix[c];
                }
                let code = rest as u32;
                let month = first_month + (code >> 2) as i32;
                let g = w.group((file, month * 4 + (code & 3) as i32, ids), l.index as u32);
                let first = &mut w.groups[g].2;
                *first = (*first).min(l.index as u32);
                g as u32
            });
            let a = &mut w.groups[slot as usize].1;
            a.rows += 1;
            a.first = a.first.min(d);
            a.last = a.last.max(d);
            seen[(d - dmin) as usize] = true;
            slot
        })
        .collect();
    w.scratch = index;
    drop(keys);

    // Each row's cell of the daily series (day, model, tier, billed flag): in a dense table over
    // the row group's days, models and tiers when it is small, else numbered as met.
    let (nm, nt) = (radix[MODEL] as usize, radix[TIER] as usize);
    let mt = |i: usize| model_tier.get(i).copied().unwrap_or(0) as usize;
    let mut cells: Option<Cells> = w.daily.is_some().then(|| {
        let dense = table
            .len()
            .saturating_mul(nm)
            .saturating_mul(nt)
            .saturating_mul(2);
        if dense <= DENSE_DAYS {
            let cell: Vec<u32> = (0..n)
                .map(|i| {
                    let c = (((days[i] - dmin) as usize * nm * nt + mt(i)) << 1)
                        | usize::from(is_billed(i));
                    c as u32
                })
                .collect();
            // Cells numbered by their place in the table: every cell has its key, used or not;
            // unused ones are dropped before the merge (`used`).
            let sums = (0..dense)
                .map(|c| {
                    let b = c & 1 == 1;
                    let rest = c >> 1;
                    let (t, rest) = (rest % nt, rest / nt);
                    let (m, d) = (rest % nm, rest / nm);
                    ((dmin + d as i32, m as u32, t as u32, b), [0i64; 6])
                })
                .collect();
            (cell, sums)
        } else {
            let mut at: FxMap<DayKey, u32> = FxMap::default();
            let mut sums: Vec<(DayKey, [i64; 6])> = Vec::new();
            let cell = (0..n)
                .map(|i| {
                    let key = (
                        days[i],
                        (mt(i) / nt) as u32,
                        (mt(i) % nt) as u32,
                        is_billed(i),
                    );
                    *at.entry(key).or_insert_with(|| {
                        sums.push((key, [0; 6]));
                        sums.len() as u32 - 1
                    })
                })
                .collect();
            (cell, sums)
        }
    });
    let used: Option<Vec<bool>> = cells.as_ref().map(|(cell, sums)| {
        let mut used = vec![false; sums.len()];
        for &c in cell {
            used[c as usize] = true;
        }
        used
    });
    drop((days, model_tier, billed));

    // The counts, a column at a time; requests before output, whose rows with a request count
    // are summed apart. Each window's bound (rows x largest value) counts towards the worker's
    // (see `add`).
    let mut known: Option<Vec<i64>> = None;
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
                add(w, slots, i, values.iter().copied(), bound, &l.path)?;
                if i == REQ {
                    match &k {
                        Some(k) => {
                            add(w, slots, REQ_ROWS, k.iter().copied(), len as i128, &l.path)?;
                            // Rows of earlier windows all had a count.
                            let all = known.get_or_insert_with(|| vec![1; r.start]);
                            all.extend_from_slice(k);
                        }
                        None => {
                            add(
                                w,
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
                            add(w, slots, O_REQ, o, bound, &l.path)?;
                        }
                        None => add(w, slots, O_REQ, values.iter().copied(), bound, &l.path)?,
                    }
                }
                if let (Some((cell, sums)), Some(d)) = (cells.as_mut(), DAY_SLOT[i]) {
                    for (&c, v) in cell[r].iter().zip(values.iter()) {
                        sums[c as usize].1[d] += v;
                    }
                }
                Ok(true)
            },
            fail,
        )?;
        if !go && bad {
            mark_bad(w);
            return Ok(true);
        }
    }
    if let Some(name) = l.cost {
        each_window(
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
                let e8: Vec<i64> = (0..p.len())
                    .map(|i| if p.is_valid(i) { usd_e8(p.value(i)) } else { 0 })
                    .collect();
                let bound = i128::from(e8.iter().map(|c| c.unsigned_abs()).max().unwrap_or(0))
                    * r.len() as i128;
                // Refused as the count columns above when its rows could pass 64 bits of 1e-8 USD.
                if bound > i128::from(i64::MAX) {
                    return Err(crate::data::diagnose::too_many_tokens(Some(&l.path)));
                }
                add(
                    w,
                    &slots[r.clone()],
                    COST,
                    e8.iter().copied(),
                    bound,
                    &l.path,
                )?;
                if let (Some((cell, sums)), Some(d)) = (cells.as_mut(), DAY_SLOT[COST]) {
                    for (&c, v) in cell[r].iter().zip(&e8) {
                        sums[c as usize].1[d] += v;
                    }
                }
                Ok(true)
            },
            fail,
        )?;
    }
    for (d, s) in seen.iter().enumerate() {
        if *s {
            w.days.insert(dmin + d as i32);
        }
    }
    if let (Some(daily), Some((_, sums)), Some(used)) = (w.daily.as_mut(), cells, used) {
        for ((d, m, t, b), s) in sums
            .into_iter()
            .zip(used)
            .filter_map(|(s, u)| u.then_some(s))
        {
            let key = (d, maps[MODEL][m as usize], maps[TIER][t as usize], b);
            let acc = daily.entry(key).or_insert([0; 6]);
            for (x, v) in acc.iter_mut().zip(s) {
                *x = x
                    .checked_add(v)
                    .ok_or_else(|| crate::data::diagnose::too_many_tokens(Some(&l.path)))?;
            }
        }
    }
    Ok(true)
}

/// Adds a column's values to slot `i` of each row's group: unchecked while the worker's bound on
/// the slot's sums (`Worker::budget`) stays within 64 bits, else checked.
fn add(
    w: &mut Worker,
    slots: &[u32],
    i: usize,
    values: impl Iterator<Item = i64>,
    bound: i128,
    path: &Path,
) -> Result<()> {
    let unchecked = w.budget[i] + bound <= i128::from(i64::MAX);
    w.budget[i] += bound;
    let groups = &mut w.groups;
    if unchecked {
        for (&s, v) in slots.iter().zip(values) {
            groups[s as usize].1.slots[i] += v;
        }
        return Ok(());
    }
    for (&s, v) in slots.iter().zip(values) {
        let a = &mut groups[s as usize].1.slots[i];
        *a = a
            .checked_add(v)
            .ok_or_else(|| crate::data::diagnose::too_many_tokens(Some(path)))?;
    }
    Ok(())
}
