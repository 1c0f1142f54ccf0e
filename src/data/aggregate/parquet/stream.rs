//! Large row groups summed a column at a time.
//!
//! Decoding a window of a million rows whole holds fourteen decoded columns per core (over a
//! hundred megabytes, several hundred for text written without dictionaries). Here each row's
//! group is found once from the text columns, each decoded, folded into the rows' keys and
//! dropped in turn; then each count column is decoded, added to the groups (and the daily
//! series) and dropped. The window holds its days, its keys or group indexes and one column at a
//! time.

use super::group::{DAY_SLOT, Months, Target, months, no_model, note_days, usd_e8};
use super::*;

/// Each row's cell of the daily series, and each cell's key and sums.
type Cells = (Vec<u32>, Vec<(DayKey, [i64; 6])>);

/// Sums a window the column-at-a-time way; false (nothing noted or summed) when its keys do not
/// fold into 64 bits, for the caller to sum it whole.
pub(super) fn window(
    w: &mut Worker,
    l: &Layout,
    chunk: &Chunk,
    days: &[i32],
    rows: Option<std::ops::Range<usize>>,
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
    let n = days.len();
    let m = months(&target, days, split_term)?;
    let Months {
        dmin,
        first_month,
        ref table,
        month_radix,
        ..
    } = m;

    // Billed cost first: each row's key holds whether it has one.
    let billed_cost: Option<(Vec<bool>, Vec<i64>)> = match l.cost {
        None => None,
        Some(name) => {
            let a = chunk
                .decode(name, ArrowDataType::Float64, false, rows.clone())
                .map_err(fail)?;
            let p = a
                .as_any()
                .downcast_ref::<PrimitiveArray<f64>>()
                .filter(|p| p.len() == n)
                .ok_or_else(|| fail(format!("column `{name}` is not a number column")))?;
            let flags: Vec<bool> = (0..n).map(|i| p.is_valid(i)).collect();
            let e8 = p
                .values()
                .iter()
                .zip(&flags)
                .map(|(v, f)| if *f { usd_e8(*v) } else { 0 })
                .collect();
            Some((flags, e8))
        }
    };
    let mut keys: Vec<u64> = days
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let billed = billed_cost.as_ref().is_some_and(|(f, _)| f[i]);
            u64::from(table[(d - dmin) as usize] * 2 + u32::from(billed))
        })
        .collect();

    // Text keys folded into the rows' keys one column at a time; model and tier codes kept for
    // the daily series.
    let mut radix = [1u64; 6];
    let mut local: [Vec<Option<String>>; 6] = Default::default();
    let (mut models, mut tiers): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    let mut width = month_radix;
    for c in 0..6 {
        let Some(name) = l.text[c] else {
            local[c] = vec![None];
            continue;
        };
        let a = decode_text(chunk, name, rows.clone()).map_err(fail)?;
        let t = text_codes(a.as_ref(), name, n).map_err(fail)?;
        if c == MODEL && no_model(&t.codes, &t.dict) {
            note_days(w, &target, n, &m);
            mark_bad(w);
            return Ok(true);
        }
        let r = t.dict.len() as u64;
        match width.checked_mul(r) {
            Some(v) => width = v,
            None => return Ok(false),
        }
        radix[c] = r;
        for (k, &code) in keys.iter_mut().zip(t.codes.iter()) {
            *k = *k * r + u64::from(code);
        }
        match c {
            MODEL => models = t.codes.into_owned(),
            TIER => tiers = t.codes.into_owned(),
            _ => {}
        }
        local[c] = t.dict.iter().map(|d| d.map(str::to_owned)).collect();
    }
    note_days(w, &target, n, &m);
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
        .zip(days)
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
    // the window's days, models and tiers when it is small, else numbered as met.
    let mut cells: Option<Cells> = w.daily.is_some().then(|| {
        let billed = |i: usize| billed_cost.as_ref().is_some_and(|(f, _)| f[i]);
        let model = |i: usize| models.get(i).copied().unwrap_or(0);
        let tier = |i: usize| tiers.get(i).copied().unwrap_or(0);
        let (nm, nt) = (radix[MODEL] as usize, radix[TIER] as usize);
        let span = table.len();
        let dense = span.saturating_mul(nm).saturating_mul(nt).saturating_mul(2);
        if dense <= DENSE_DAYS {
            let cell: Vec<u32> = (0..n)
                .map(|i| {
                    let c = ((((days[i] - dmin) as usize * nm + model(i) as usize) * nt
                        + tier(i) as usize)
                        << 1)
                        | usize::from(billed(i));
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
                    let key = (days[i], model(i), tier(i), billed(i));
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
    drop((models, tiers));

    // The counts, a column at a time; requests before output, whose rows with a request count
    // are summed apart.
    let mut known: Option<Vec<i64>> = None;
    let has_req = l.counts[REQ].is_some();
    for i in [U, W5, W1, R, REQ, O, WEB] {
        let Some((name, int32)) = l.counts[i] else {
            continue;
        };
        let dtype = if int32 {
            ArrowDataType::Int32
        } else {
            ArrowDataType::Int64
        };
        let a = chunk
            .decode(name, dtype, false, rows.clone())
            .map_err(fail)?;
        let (values, k) = count_values(a.as_ref(), name, n).map_err(fail)?;
        let (lo, hi) = values
            .iter()
            .fold((0i64, 0i64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        if lo < 0 || hi > crate::data::source::MAX_COUNT {
            // A negative or absurd count: the general query names the row.
            mark_bad(w);
            return Ok(true);
        }
        let bound = i128::from(hi) * n as i128;
        if bound > i128::from(i64::MAX) {
            return Err(crate::data::diagnose::too_many_tokens(Some(&l.path)));
        }
        add(w, &slots, i, values.iter().copied(), bound, &l.path)?;
        if i == REQ {
            match &k {
                Some(k) => add(w, &slots, REQ_ROWS, k.iter().copied(), n as i128, &l.path)?,
                None => add(
                    w,
                    &slots,
                    REQ_ROWS,
                    std::iter::repeat(1),
                    n as i128,
                    &l.path,
                )?,
            }
            known = k;
        }
        if i == O && has_req {
            match &known {
                Some(k) => {
                    let o = values.iter().zip(k).map(|(v, k)| v * k);
                    add(w, &slots, O_REQ, o, bound, &l.path)?;
                }
                None => add(w, &slots, O_REQ, values.iter().copied(), bound, &l.path)?,
            }
        }
        if let (Some((cell, sums)), Some(d)) = (cells.as_mut(), DAY_SLOT[i]) {
            for (&c, v) in cell.iter().zip(values.iter()) {
                sums[c as usize].1[d] += v;
            }
        }
    }
    if let Some((_, e8)) = &billed_cost {
        let bound = i128::from(e8.iter().map(|c| c.unsigned_abs()).max().unwrap_or(0)) * n as i128;
        // Refused as the count columns above when its rows could pass 64 bits of 1e-8 USD.
        if bound > i128::from(i64::MAX) {
            return Err(crate::data::diagnose::too_many_tokens(Some(&l.path)));
        }
        add(w, &slots, COST, e8.iter().copied(), bound, &l.path)?;
        if let (Some((cell, sums)), Some(d)) = (cells.as_mut(), DAY_SLOT[COST]) {
            for (&c, v) in cell.iter().zip(e8) {
                sums[c as usize].1[d] += v;
            }
        }
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
