//! Aggregating one row group into a worker's groups: each row's codes and month folded into one
//! key, the counts summed per key.

use super::read::{Chunk, count_values, decode_text, read_chunk, text_codes};
use super::sum::{Batch, SEGMENT, Target, WINDOW, days_of, decode_days, sum_batch, usd_e8};
use super::worker::{Layout, REQ, SMALL_GROUP, Way, Worker, unreadable};
use crate::data::aggregate::Split;
use crate::error::Result;
use polars_arrow::array::{Array, PrimitiveArray};
use polars_arrow::datatypes::ArrowDataType;
use std::borrow::Cow;
use std::fs::File;

/// Aggregates one row group into the worker's groups.
pub(super) fn row_group(
    w: &mut Worker,
    l: &Layout,
    g: usize,
    handle: &mut Option<File>,
    split: &Split,
    way: Option<Way>,
) -> Result<()> {
    let meta = l.meta()?;
    let group = &meta.row_groups[g];
    let n = group.num_rows();
    if n == 0 {
        return Ok(());
    }
    // A large row group is summed a column at a time, each column read as it is decoded.
    let streamed = streams(way, n.min(WINDOW));
    let mut chunk = read_chunk(l, group, handle, !streamed)?;
    if streamed {
        // A segment at a time, so that memory holds a segment's rows' groups and cells and
        // one column's pages for it, however large the row group (when its pages can be found).
        if n <= SEGMENT || !chunk.walkable(l) {
            return super::stream::row_group(w, l, &chunk, n, split);
        }
        for start in (0..n).step_by(SEGMENT) {
            let rows = start..(start + SEGMENT).min(n);
            let len = rows.len();
            chunk.segment = Some(rows);
            super::stream::row_group(w, l, &chunk, len, split)?;
        }
        return Ok(());
    }
    // A large row group is summed a window of rows at a time, so that memory holds one window's
    // decoded columns rather than the whole group's (pages before a window are skipped without
    // being decompressed).
    let mut start = 0;
    while start < n {
        let len = WINDOW.min(n - start);
        let rows = (n > WINDOW).then(|| start..start + len);
        window(w, l, &chunk, len, rows, split, way)?;
        start += len;
    }
    Ok(())
}

/// Whether a row group whose windows hold `n` rows is summed a column at a time (see `stream`):
/// a large one, unless a way is asked for.
pub(super) fn streams(way: Option<Way>, n: usize) -> bool {
    match way {
        None => n > SMALL_GROUP,
        Some(way) => way == Way::Indexed,
    }
}

/// Aggregates `n` rows of a row group (`rows` of it, or all) into the worker's groups.
pub(super) fn window(
    w: &mut Worker,
    l: &Layout,
    chunk: &Chunk,
    n: usize,
    rows: Option<std::ops::Range<usize>>,
    split: &Split,
    way: Option<Way>,
) -> Result<()> {
    let fail = |e: String| unreadable(&l.path, e);
    let mark_bad = |w: &mut Worker| w.bad = Some(w.bad.map_or(l.index, |b| b.min(l.index)));

    let day_array = decode_days(l, chunk, rows.clone()).map_err(fail)?;
    let Some(days) = days_of(l, day_array.as_ref(), n)? else {
        // A row without a day: the general query names it.
        mark_bad(w);
        return Ok(());
    };
    let mut batch = Batch {
        days,
        codes: Vec::with_capacity(6),
        dicts: Vec::with_capacity(6),
        counts: Default::default(),
        req_known: None,
        billed_cost: None,
    };
    // Text keys as local codes.
    let text_arrays: Vec<Option<Box<dyn Array>>> = l
        .text
        .iter()
        .map(|name| {
            name.map(|c| decode_text(chunk, c, rows.clone()))
                .transpose()
        })
        .collect::<Result<_, String>>()
        .map_err(fail)?;
    for (a, name) in text_arrays.iter().zip(l.text) {
        match (a, name) {
            (Some(a), Some(name)) => {
                let t = text_codes(a.as_ref(), name, n).map_err(fail)?;
                batch.codes.push(t.codes);
                batch.dicts.push(t.dict);
            }
            _ => {
                batch.codes.push(Cow::Borrowed(&[]));
                batch.dicts.push(vec![None]);
            }
        }
    }
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
                    chunk.decode(c, dtype, false, rows.clone())
                })
                .transpose()
        })
        .collect::<Result<_, String>>()
        .map_err(fail)?;
    for (i, (a, name)) in count_arrays.iter().zip(l.counts).enumerate() {
        let (Some(a), Some((name, _))) = (a, name) else {
            continue;
        };
        let (values, known) = count_values(a.as_ref(), name, n).map_err(fail)?;
        if i < REQ && known.is_some() {
            // A token count left null: the general query names the row.
            mark_bad(w);
            return Ok(());
        }
        if i == REQ {
            batch.req_known = known;
        }
        batch.counts[i] = values;
    }
    // Billed cost: a flag per row (it has one) and the amount in 1e-8 USD.
    if let Some(name) = l.cost {
        let a = chunk
            .decode(name, ArrowDataType::Float64, false, rows.clone())
            .map_err(fail)?;
        let p = a
            .as_any()
            .downcast_ref::<PrimitiveArray<f64>>()
            .filter(|p| p.len() == n)
            .ok_or_else(|| fail(format!("column `{name}` is not a number column")))?;
        let flags: Vec<u32> = (0..n).map(|i| u32::from(p.is_valid(i))).collect();
        let e8: Option<Vec<i64>> = p
            .values()
            .iter()
            .zip(&flags)
            .map(|(v, f)| if *f == 1 { usd_e8(*v) } else { Some(0) })
            .collect();
        let Some(e8) = e8 else {
            // An amount out of range: the general query names the row.
            mark_bad(w);
            return Ok(());
        };
        batch.billed_cost = Some((flags, e8));
    }
    let target = Target {
        path: &l.path,
        index: l.index,
        group_file: l.group_file,
        span: l.span,
    };
    sum_batch(w, &target, batch, split, way)
}
