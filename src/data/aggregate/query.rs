//! The general query: every file mapped and concatenated, grouped by month x file x dimensions x
//! tier in one polars group-by.

use chrono::NaiveDate;
use polars::prelude::*;

use super::{Group, Slot, Sums, cube_row, from_epoch_days, in_term_by_month};
use crate::cube::CubeRow;
use crate::data::diagnose::query_error;
use crate::data::source::{Plan, Source, canonical, day_expr};
use crate::error::{Error, Result};
use crate::month::Month;

pub(crate) use crate::cube::TEXT_KEYS;

/// A 64-bit hash of the text keys of a row: each column hashed with its own seeds, nulls made
/// distinct first, combined by XOR. `round` picks an independent set of seeds.
pub(crate) fn key_hash(round: u64) -> Expr {
    TEXT_KEYS
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let s = 0x9e37_79b9_7f4a_7c15_u64
                .wrapping_mul(round * 8 + i as u64 + 1)
                .rotate_left(17);
            col(*c).fill_null(lit("\u{0}null")).hash(
                s,
                s ^ 0x5851_f42d,
                s.rotate_left(29),
                s ^ 0x14057b7ef767814f,
            )
        })
        .reduce(|a, b| a.xor(b))
        .expect("text keys")
}

/// The main pass: every file mapped and concatenated, grouped by month x file x dimensions x tier.
///
/// Grouping on six text columns is the expensive part of a group-by, so the fast path groups on
/// one 64-bit hash of them and carries the text along. A second, independently seeded hash checks
/// that no group mixes two different sets of keys; if one ever does, the query is run again
/// grouped on the text itself, so the cube is exact either way.
pub(crate) fn cube_query(sources: &[(usize, &Source)], plan: &Plan) -> Result<DataFrame> {
    match cube_query_with(sources, plan, true)? {
        Some(df) => Ok(df),
        None => cube_query_with(sources, plan, false)
            .map(|r| r.expect("the exact query always gives a cube")),
    }
}

pub(crate) fn cube_query_with(
    sources: &[(usize, &Source)],
    plan: &Plan,
    hashed: bool,
) -> Result<Option<DataFrame>> {
    let mut frames = Vec::with_capacity(sources.len());
    for &(i, s) in sources {
        let (frame, _) = canonical(s, plan)?;
        frames.push(frame.with_column(lit(i as u32).alias("file")));
    }
    let all = concat(frames, UnionArgs::default()).map_err(|e| Error::Internal(e.to_string()))?;
    let date = col("day").cast(DataType::Date);
    let month = date.clone().dt().year().cast(DataType::Int32) * lit(12i32)
        + date.dt().month().cast(DataType::Int32)
        - lit(1i32);
    let mut keys = if plan.by_day {
        vec![col("file"), col("day").cast(DataType::Int32).alias("dayk")]
    } else {
        vec![col("file"), month.alias("month")]
    };
    if plan.split.term.is_some() {
        keys.push(col("in_term"));
    }
    if !plan.split.cuts.is_empty() {
        keys.push(col("seg"));
    }
    if plan.variants {
        keys.extend(super::VARIANT_KEYS.iter().map(|c| col(*c)));
    }
    if plan.billed {
        keys.push(col("billed"));
    }
    // The slots the plan needs; the rest are 0 in every group.
    let mut sums: Vec<&str> = Slot::ALL
        .iter()
        .filter(|s| match s {
            Slot::Req | Slot::ReqRows => plan.requests,
            Slot::OReq => plan.requests && plan.precise_output,
            Slot::Web => plan.web,
            Slot::CostE8 => plan.billed,
            _ => true,
        })
        .map(|s| s.column())
        .collect();
    if plan.text_counts {
        sums.push("unparsed");
    }
    let mut aggs: Vec<Expr> = sums.iter().map(|c| col(*c).sum()).collect();
    if plan.billed {
        // Bad amounts (counted) and the largest one (which bounds the cost's sum).
        aggs.push(col("cost_bad").sum());
        aggs.push(col(Slot::CostE8.column()).max().alias("max_cost"));
    }
    aggs.extend([
        col("min_count").min(),
        col("max_count").max(),
        len().alias("rows"),
        col("day").min().alias("first"),
        col("day").max().alias("last"),
    ]);
    if hashed {
        keys.push(key_hash(0).alias("__key"));
        aggs.extend(TEXT_KEYS.iter().map(|c| col(*c).first()));
        let check = key_hash(1);
        aggs.push(check.clone().min().alias("__check_min"));
        aggs.push(check.max().alias("__check_max"));
    } else {
        keys.extend(TEXT_KEYS.iter().map(|c| col(*c)));
    }
    let df = all
        .group_by(keys)
        .agg(aggs)
        .collect_with_engine(Engine::Streaming)
        .map(|r| r.unwrap_single())
        .map_err(|e| query_error(sources.iter().map(|(_, s)| *s), e))?;
    if hashed && mixes_keys(&df).map_err(|e| Error::Internal(e.to_string()))? {
        return Ok(None);
    }
    Ok(Some(df))
}

/// Whether some group of a hashed cube holds rows whose text keys differ (its check hash varies).
pub(crate) fn mixes_keys(df: &DataFrame) -> PolarsResult<bool> {
    let lo = df.column("__check_min")?.u64()?;
    let hi = df.column("__check_max")?.u64()?;
    Ok(lo.iter().zip(hi.iter()).any(|(a, b)| a != b))
}

/// Whether some group has request counts on some rows but not all.
pub(crate) fn partly_counted(cube: &DataFrame) -> PolarsResult<bool> {
    let known = cube.column("req_rows")?.cast(&DataType::Int64)?;
    let rows = cube.column("rows")?.cast(&DataType::Int64)?;
    Ok(known
        .i64()?
        .iter()
        .zip(rows.i64()?.iter())
        .any(|(k, n)| matches!((k, n), (Some(k), Some(n)) if k > 0 && k < n)))
}

/// The daily series: token classes and billed cost summed by day, model and tier (and the billed
/// flag), over the same canonical frames as the cube.
pub(crate) fn daily_rows(
    sources: &[(usize, &Source)],
    plan: &Plan,
) -> Result<Vec<crate::cube::DayRow>> {
    let mut frames = Vec::with_capacity(sources.len());
    for &(_, s) in sources {
        let (frame, _) = canonical(s, plan)?;
        frames.push(frame);
    }
    let all = concat(frames, UnionArgs::default()).map_err(|e| Error::Internal(e.to_string()))?;
    let mut keys = vec![
        col("day").cast(DataType::Int32).alias("day"),
        col("model"),
        col("service_tier"),
    ];
    if plan.billed {
        keys.push(col("billed"));
    }
    // A day's list cost depends on its residency, speed and bands as much as on its model.
    if plan.variants {
        keys.extend(super::VARIANT_KEYS.iter().map(|c| col(*c)));
    }
    let sums: Vec<Expr> = super::DAY_SLOTS
        .iter()
        .filter(|s| plan.billed || **s != Slot::CostE8)
        .map(|s| col(s.column()).sum())
        .collect();
    let df = all
        .group_by(keys)
        .agg(sums)
        .collect_with_engine(Engine::Streaming)
        .map(|r| r.unwrap_single())
        .map_err(|e| query_error(sources.iter().map(|(_, s)| *s), e))?;
    let n = df.height();
    let err = |e: PolarsError| Error::Internal(e.to_string());
    let i64s = |name: &str| -> Result<Vec<i64>> {
        match df.column(name) {
            Ok(c) => Ok(c
                .cast(&DataType::Int64)
                .and_then(|c| c.i64().map(|a| a.iter().map(|v| v.unwrap_or(0)).collect()))
                .map_err(err)?),
            Err(_) => Ok(vec![0; n]),
        }
    };
    let strs = |name: &str| -> Result<Vec<Option<String>>> {
        df.column(name)
            .and_then(|c| {
                c.str()
                    .map(|a| a.iter().map(|v| v.map(str::to_owned)).collect())
            })
            .map_err(err)
    };
    let days: Vec<Option<i32>> = df
        .column("day")
        .and_then(|c| c.i32().map(|a| a.iter().collect()))
        .map_err(err)?;
    let (models, tiers) = (strs("model")?, strs("service_tier")?);
    let billed: Vec<bool> = match df.column("billed") {
        Ok(c) => c
            .bool()
            .map_err(err)?
            .iter()
            .map(|v| v.unwrap_or(false))
            .collect(),
        Err(_) => vec![false; n],
    };
    let slots: Vec<Vec<i64>> = super::DAY_SLOTS
        .iter()
        .map(|s| i64s(s.column()))
        .collect::<Result<_>>()?;
    let variants: Vec<Vec<Option<String>>> = if plan.variants {
        super::VARIANT_KEYS
            .iter()
            .map(|c| strs(c))
            .collect::<Result<_>>()?
    } else {
        vec![vec![None; n]; super::VARIANT_KEYS.len()]
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let Some(day) = days[i] else { continue };
        out.push(super::day_row(
            day,
            models[i].clone(),
            tiers[i].clone(),
            super::variant(std::array::from_fn(|c| variants[c][i].clone())),
            billed[i],
            &std::array::from_fn(|s| slots[s][i]),
        ));
    }
    Ok(out)
}

pub(crate) fn distinct_days(sources: &[&Source]) -> Result<Vec<NaiveDate>> {
    let mut frames = Vec::with_capacity(sources.len());
    for s in sources {
        let (day, _) = day_expr(&s.path, &s.schema)?;
        frames.push(
            s.frame
                .clone()
                .select([day.cast(DataType::Int32).alias("day")]),
        );
    }
    let df = concat(frames, UnionArgs::default())
        .and_then(|lf| {
            lf.drop_nulls(None)
                .unique(None, UniqueKeepStrategy::Any)
                .collect_with_engine(Engine::Streaming)
        })
        .map(|r| r.unwrap_single())
        .map_err(|e| query_error(sources.iter().copied(), e))?;
    let days: Vec<NaiveDate> = df
        .column("day")
        .and_then(|c| {
            c.i32()
                .map(|a| a.iter().flatten().map(from_epoch_days).collect())
        })
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(days)
}

pub(crate) fn to_rows(
    df: &DataFrame,
    plan: &Plan,
    term: Option<(NaiveDate, NaiveDate)>,
) -> PolarsResult<Vec<CubeRow>> {
    let n = df.height();
    let i64s = |name: &str| -> PolarsResult<Vec<i64>> {
        match df.column(name) {
            Ok(c) => Ok(c
                .cast(&DataType::Int64)?
                .i64()?
                .iter()
                .map(|v| v.unwrap_or(0))
                .collect()),
            Err(_) => Ok(vec![0; n]),
        }
    };
    let i32s = |name: &str| -> PolarsResult<Vec<Option<i32>>> {
        Ok(df
            .column(name)?
            .cast(&DataType::Int32)?
            .i32()?
            .iter()
            .collect())
    };
    let strs = |name: &str| -> PolarsResult<Vec<Option<String>>> {
        Ok(df
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect())
    };
    let bools = |name: &str| -> PolarsResult<Vec<bool>> {
        match df.column(name) {
            Ok(c) => Ok(c.bool()?.iter().map(|v| v.unwrap_or(false)).collect()),
            Err(_) => Ok(vec![false; n]),
        }
    };
    let file = i32s("file")?;
    // A day-level cube keys on the day: its month follows.
    let month: Vec<Option<i32>> = if plan.by_day {
        i32s("dayk")?
            .into_iter()
            .map(|d| d.map(|d| Month::of(from_epoch_days(d)).index()))
            .collect()
    } else {
        i32s("month")?
    };
    let first = i32s("first")?;
    let last = i32s("last")?;
    let rows_n = i64s("rows")?;
    let (in_term, billed) = (bools("in_term")?, bools("billed")?);
    let texts: Vec<Vec<Option<String>>> = TEXT_KEYS
        .iter()
        .map(|c| strs(c))
        .collect::<PolarsResult<_>>()?;
    let variants: Vec<Vec<Option<String>>> = if plan.variants {
        super::VARIANT_KEYS
            .iter()
            .map(|c| strs(c))
            .collect::<PolarsResult<_>>()?
    } else {
        vec![vec![None; n]; 4]
    };
    let segments: Vec<Option<i32>> = if plan.split.cuts.is_empty() {
        vec![Some(0); n]
    } else {
        i32s("seg")?
    };
    let mut slots: Vec<Vec<i64>> = Slot::ALL
        .iter()
        .map(|s| i64s(s.column()))
        .collect::<PolarsResult<_>>()?;
    if !plan.precise_output {
        // Every group has request counts on all of its rows or on none.
        let (req_rows, o) = (&slots[Slot::ReqRows as usize], &slots[Slot::O as usize]);
        slots[Slot::OReq as usize] = (0..n)
            .map(|i| if req_rows[i] > 0 { o[i] } else { 0 })
            .collect();
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (Some(m), Some(f), Some(l)) = (month[i], first[i], last[i]) else {
            continue;
        };
        let month = Month::from_index(m);
        let group = Group {
            file: file[i].unwrap_or(0) as usize,
            month,
            segment: segments[i].unwrap_or(0).clamp(0, super::PARTS - 1) as u8,
            in_term: if plan.split.term.is_some() {
                in_term[i]
            } else {
                in_term_by_month(month, term)
            },
            billed: billed[i],
        };
        let sums = Sums {
            slots: std::array::from_fn(|s| slots[s][i]),
            rows: rows_n[i],
            first: f,
            last: l,
        };
        out.push(cube_row(
            group,
            std::array::from_fn(|c| texts[c][i].clone()),
            super::variant(std::array::from_fn(|c| variants[c][i].clone())),
            &sums,
        ));
    }
    Ok(out)
}
