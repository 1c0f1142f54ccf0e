//! One usage file as a lazy frame, and its mapping onto the canonical columns (with the checks
//! that find a bad row when the main pass saw one).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;

use crate::anthropic;
use crate::data::aggregate::{Slot, Split, VARIANT_KEYS, epoch_days, from_epoch_days};
use crate::error::{Error, Result};
use crate::month::Month;

pub(crate) use super::columns::{
    DIMENSIONS, FIRST_DAY, LAST_DAY, LEGACY_CACHE_WRITE, MAX_COST_USD, MAX_COUNT, TOKEN_COLUMNS,
    TOO_LARGE, cache_writes_twice, column_list,
};
use super::columns::{EMPTY_COUNT, KNOWN_COLUMNS, check_token_columns};
use super::sources::admin_api::ReportFrame;
use super::text_scan;
use crate::data::detect::Format;
use crate::data::detect::unknown_extension;

/// The checks of a billed cost column: a finite amount, not negative (usage files carry
/// charges; credits come from cost reports that mark them), at most [`MAX_COST_USD`].
fn cost_checks(raw: &Expr, v: &Expr, checks: &mut Vec<Check>) {
    let given = raw.clone().is_not_null().and(v.clone().is_not_null());
    checks.push(Check {
        column: "cost_usd".into(),
        bad: given.clone().and(v.clone().is_finite().not()),
        message: "is not a finite amount; billed cost must be US dollars such as 12.34".into(),
    });
    checks.push(Check {
        column: "cost_usd".into(),
        bad: given.clone().and(v.clone().lt(lit(0.0))),
        message: "is negative; usage files carry charges, not credits (credits come from Anthropic's cost reports, which mark them): fix or drop the row".into(),
    });
    checks.push(Check {
        column: "cost_usd".into(),
        bad: given.and(v.clone().gt(lit(MAX_COST_USD))),
        message: format!(
            "exceeds the largest billed cost govreview accepts in one row (${}); check that the column holds US dollars, not cents or micro-dollars",
            crate::fmt::int(MAX_COST_USD)
        ),
    });
}

/// A check on raw rows: which column, the expression that is true on a bad row, and the message.
/// Checks run only in the diagnostic query, after the main pass has seen that something is wrong.
pub(crate) struct Check {
    pub(crate) column: String,
    pub(crate) bad: Expr,
    pub(crate) message: String,
}

/// What the main query computes, decided once from all files' schemas: optional sums are only
/// aggregated when some file has the column, and validation costs almost nothing per row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    /// Some file has `cost_usd`.
    pub(crate) billed: bool,
    /// Some file has `requests`.
    pub(crate) requests: bool,
    /// Some file has `web_search_requests`.
    pub(crate) web: bool,
    /// Some count column is text (CSV) and may fail to parse.
    pub(crate) text_counts: bool,
    /// Where months are split: the commitment term, when it starts or ends inside a month (only
    /// then is an in-term flag needed per row; otherwise it follows from the month), and the days
    /// prices change.
    pub(crate) split: Split,
    /// Some file has a column that prices usage beyond its model and tier
    /// ([`VARIANT_KEYS`]): the cube keys on them.
    pub(crate) variants: bool,
    /// Sum output tokens over rows with a request count separately (needed only when some rows
    /// lack a count where others have one).
    pub(crate) precise_output: bool,
    /// Group by day instead of month (the FOCUS export's day-level cube).
    pub(crate) by_day: bool,
}

/// One file: its scan and schema.
pub(crate) struct Source {
    pub(crate) path: PathBuf,
    pub(crate) format: Format,
    /// What the file was recognised as (`csv`, `console usage`, `usage report`, ...).
    pub(crate) label: &'static str,
    /// Days the file covers without having rows for them (empty report buckets).
    pub(crate) covered: Vec<NaiveDate>,
    /// Some of its usage has no service tier.
    pub(crate) tier_missing: bool,
    /// Undocumented fields it carries.
    pub(crate) unknown_fields: Vec<String>,
    /// A text file whose last line has no line break (it may have been cut short).
    pub(crate) unterminated: bool,
    /// The day its figures stood, when it says (Analytics API pages).
    pub(crate) snapshot: Option<NaiveDate>,
    pub(crate) frame: LazyFrame,
    pub(crate) schema: SchemaRef,
}

impl Source {
    /// Drops what the frame learnt of the file when its schema was read (for Parquet, the
    /// whole footer: tens of MB over a year of small row groups), keeping a frame that reads it
    /// again if it is ever queried: for files the fast path reads itself.
    pub(crate) fn forget_footer(&mut self) -> Result<()> {
        if self.format == Format::Parquet && self.label == Format::Parquet.name() {
            self.frame = scan(&self.path, self.format)?;
        }
        Ok(())
    }
}

pub(crate) fn polars_err(path: &Path, e: PolarsError) -> Error {
    if let Some(located) = text_scan::json_line_error(path)
        .or_else(|| text_scan::ndjson_nested_value(path, &KNOWN_COLUMNS))
        .or_else(|| text_scan::ndjson_huge_number(path, &KNOWN_COLUMNS))
    {
        return located;
    }
    let text = e.to_string();
    if let Some(e) = super::columns::unsupported_type(path, &text) {
        return e;
    }
    Error::data(
        path,
        None,
        None,
        format!(
            "cannot be read: {text}. Check that the file is a complete, valid file of its format"
        ),
    )
}

pub(crate) fn scan(path: &Path, format: Format) -> Result<LazyFrame> {
    let p = PlRefPath::try_from_path(path).map_err(|e| polars_err(path, e))?;
    let lf = match format {
        Format::Csv => LazyCsvReader::new(p)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .finish(),
        Format::Parquet => LazyFrame::scan_parquet(p, ScanArgsParquet::default()),
        Format::Ndjson | Format::Json => LazyJsonLineReader::new(p)
            // Every row: a column first seen late in the file must not be dropped.
            .with_infer_schema_length(None)
            .finish(),
    };
    lf.map_err(|e| polars_err(path, e))
}

pub(crate) fn open(
    path: &Path,
    kind: anthropic::Kind,
    report: Option<ReportFrame>,
) -> Result<Source> {
    let format = Format::of(path).ok_or_else(|| unknown_extension(path))?;
    // Text files: every line UTF-8, every CSV row as wide as its header, no open quote.
    let shape = match (&report, format) {
        (None, Format::Csv) => Some(text_scan::check(path, text_scan::Kind::Csv)?),
        (None, Format::Ndjson) => Some(text_scan::check(path, text_scan::Kind::Ndjson)?),
        _ => None,
    };
    let mut covered = Vec::new();
    let mut tier_missing = false;
    let mut unknown_fields = Vec::new();
    let mut snapshot = None;
    let (mut frame, label) = match (report, kind, format) {
        (Some(r), _, _) => {
            covered = r.covered;
            tier_missing = r.tier_missing;
            unknown_fields = r.unknown_fields;
            snapshot = r.snapshot;
            (r.frame, r.label)
        }
        (None, anthropic::Kind::ConsoleUsage, _) => {
            // A Console export is small: read once, whole, checked for repeated lines, and
            // queried from memory.
            let mut lf = scan(path, format)?;
            if format == Format::Csv {
                let df = lf.collect().map_err(|e| polars_err(path, e))?;
                let amounts: Vec<&str> = anthropic::CONSOLE_USAGE_RENAMES
                    .iter()
                    .map(|(o, _)| *o)
                    .filter(|o| o.starts_with("usage_input") || o.starts_with("usage_output"))
                    .chain([anthropic::CONSOLE_WEB_SEARCH.0])
                    .collect();
                super::repeats::check_repeated_lines(path, &df, &amounts)?;
                lf = df.lazy();
            }
            let schema = lf.collect_schema().map_err(|e| polars_err(path, e))?;
            let (old, new): (Vec<&str>, Vec<&str>) = anthropic::CONSOLE_USAGE_RENAMES
                .iter()
                .chain([&anthropic::CONSOLE_WEB_SEARCH])
                .filter(|(o, _)| schema.get(o).is_some())
                .map(|(o, n)| (*o, *n))
                .unzip();
            (lf.rename(old, new, true), "console usage")
        }
        (None, _, Format::Json) => {
            // Canonical rows written as a JSON document are not supported; NDJSON is.
            return Err(Error::data(
                path,
                None,
                None,
                "is a JSON document but not an Admin API report page; canonical rows go in .ndjson (one object per line)",
            ));
        }
        _ => (scan(path, format)?, format.name()),
    };
    let schema = frame.collect_schema().map_err(|e| polars_err(path, e))?;
    if label == format.name() {
        check_token_columns(path, &schema)?;
        if schema.get("date").is_some() && schema.get("starting_at").is_some() {
            return Err(Error::data(
                path,
                None,
                Some("starting_at"),
                "the file has both `date` and `starting_at`: one of them would be read and the other ignored, though they may disagree. Give each row's day once: keep `date` (YYYY-MM-DD, UTC) or `starting_at` (RFC 3339), and drop the other",
            ));
        }
        if format == Format::Ndjson
            && let Some(e) = text_scan::ndjson_duplicate_key(path)
        {
            return Err(e);
        }
        let nested = KNOWN_COLUMNS.iter().any(|c| {
            schema
                .get(c)
                .is_some_and(|d| matches!(d, DataType::List(_) | DataType::Struct(_)))
        });
        if nested
            && format == Format::Ndjson
            && let Some(e) = text_scan::ndjson_nested_value(path, &KNOWN_COLUMNS)
        {
            return Err(e);
        }
        if format == Format::Ndjson {
            let counts: Vec<&str> = TOKEN_COLUMNS
                .iter()
                .map(|(c, _)| *c)
                .chain([LEGACY_CACHE_WRITE])
                .collect();
            if let Some(e) = text_scan::ndjson_null_count(path, &counts) {
                return Err(e);
            }
        }
    }
    tier_missing |= schema.get("service_tier").is_none();
    Ok(Source {
        path: path.to_owned(),
        format,
        label,
        frame,
        schema,
        covered,
        tier_missing,
        unknown_fields,
        unterminated: shape.is_some_and(|s| s.unterminated_last_line),
        snapshot,
    })
}

pub(crate) fn strptime(format: Option<&str>) -> StrptimeOptions {
    StrptimeOptions {
        format: format.map(Into::into),
        strict: false,
        exact: true,
        cache: true,
    }
}

/// The canonical day column of a file, and the check that it parsed.
pub(crate) fn day_expr(path: &Path, schema: &Schema) -> Result<(Expr, Vec<Check>)> {
    let mut checks = Vec::new();
    let (name, dtype) = if let Some(dt) = schema.get("date") {
        ("date", dt)
    } else if let Some(dt) = schema.get("starting_at") {
        ("starting_at", dt)
    } else {
        return Err(Error::data(
            path,
            None,
            Some("date"),
            format!(
                "required column is missing: the file needs `date` (YYYY-MM-DD, UTC) or `starting_at` (RFC 3339). Columns found: {}",
                column_list(schema)
            ),
        ));
    };
    let c = col(name);
    let day = match dtype {
        DataType::Date => c.clone(),
        DataType::Datetime(_, Some(_)) => {
            c.clone().dt().convert_time_zone(TimeZone::UTC).dt().date()
        }
        DataType::Datetime(_, None) => c.clone().dt().date(),
        DataType::String if name == "date" => c.clone().str().to_date(strptime(Some("%Y-%m-%d"))),
        // RFC 3339 allows a lower-case `t` and `z`; the parser wants them upper-case.
        DataType::String => {
            let up = c
                .clone()
                .str()
                .strip_chars(lit(NULL).cast(DataType::String))
                .str()
                .to_uppercase();
            // An offset is `Z` or `+hh:mm`/`-hh:mm`: a timestamp without one is refused (the
            // parser would take the first row's form for every row, and blame the next).
            let sign = up.clone().str().tail(lit(6)).str().slice(lit(0), lit(1));
            let offset = up.clone().str().ends_with(lit("Z")).or(sign
                .clone()
                .eq(lit("+"))
                .or(sign.eq(lit("-")))
                .and(up.clone().str().tail(lit(3)).str().starts_with(lit(":"))));
            // A leap second (:60) would be moved to the next second: the next day, at a month's
            // end the next month.
            let leap = up.clone().str().slice(lit(17), lit(2)).eq(lit("60"));
            checks.push(Check {
                column: name.to_owned(),
                bad: c.clone().is_not_null().and(offset.clone().not()),
                message: "has no UTC offset in RFC 3339 form; RFC 3339 timestamps end in Z or +hh:mm (e.g. 2026-10-15T12:00:00Z, or +02:00, not +0200), and a day is counted in UTC: write the offset the time was taken in".into(),
            });
            checks.push(Check {
                column: name.to_owned(),
                bad: c.clone().is_not_null().and(leap.clone()),
                message: "is a leap second (:60), which would be counted in the next second, on the next day: write 23:59:59".into(),
            });
            // Only values of the form are parsed: the parser takes its format from the first
            // value, and one that fits none would fail the whole file without naming a row.
            let parsed = when(offset.clone().and(leap.clone().not()))
                .then(up.clone())
                .otherwise(lit(NULL).cast(DataType::String))
                .str()
                .to_datetime(
                    Some(TimeUnit::Microseconds),
                    Some(TimeZone::UTC),
                    strptime(None),
                    lit("raise"),
                )
                .dt()
                .date();
            when(offset.and(leap.not()))
                .then(parsed)
                .otherwise(lit(NULL).cast(DataType::Date))
        }
        other => {
            return Err(Error::data(
                path,
                None,
                Some(name),
                format!("has type {other}; it must hold dates (YYYY-MM-DD) or RFC 3339 timestamps"),
            ));
        }
    };
    let what = if name == "date" {
        "is not a date; write days as YYYY-MM-DD (UTC)"
    } else {
        "is not an RFC 3339 timestamp (e.g. 2026-10-01T00:00:00Z)"
    };
    checks.push(Check {
        column: name.to_owned(),
        bad: day.clone().is_null(),
        message: what.to_owned(),
    });
    Ok((day, checks))
}

/// A whole-number column as Int64 (None where absent or empty), its checks, and whether the cast
/// can fail (the column is not already an integer).
pub(crate) fn count_expr(
    schema: &Schema,
    name: &str,
    checks: &mut Vec<Check>,
) -> Option<(Expr, bool)> {
    let dtype = schema.get(name)?;
    let raw = col(name);
    // A count is a whole number: a fraction, or true/false, is not read as one (it would be
    // truncated to a count without a word).
    let v = match dtype {
        DataType::Boolean => lit(NULL).cast(DataType::Int64),
        d if d.is_float() => when(
            raw.clone()
                .eq(raw.clone().cast(DataType::Int64).cast(DataType::Float64)),
        )
        .then(raw.clone().cast(DataType::Int64))
        .otherwise(lit(NULL).cast(DataType::Int64)),
        _ => raw.clone().cast(DataType::Int64),
    };
    // An unsigned 64-bit count past the largest signed one cannot be read as a count.
    if matches!(dtype, DataType::UInt64) {
        checks.push(Check {
            column: name.to_owned(),
            bad: raw.clone().gt(lit(MAX_COUNT as u64)),
            message: TOO_LARGE.to_owned(),
        });
    }
    checks.push(Check {
        column: name.to_owned(),
        bad: raw.is_not_null().and(v.clone().is_null()),
        message: "is not a whole number; token and request counts must be integers".to_owned(),
    });
    checks.push(Check {
        column: name.to_owned(),
        bad: v.clone().lt(lit(0i64)),
        message: "is negative; counts cannot be below 0 (fix or drop the row)".to_owned(),
    });
    checks.push(Check {
        column: name.to_owned(),
        bad: v.clone().gt(lit(MAX_COUNT)),
        message: TOO_LARGE.to_owned(),
    });
    Some((v, !dtype.is_integer() || matches!(dtype, DataType::UInt64)))
}

pub(crate) fn text_expr(schema: &Schema, name: &str) -> Expr {
    if schema.get(name).is_some() {
        col(name).cast(DataType::String)
    } else {
        lit(NULL).cast(DataType::String)
    }
    .alias(name)
}

/// A typed zero: every file's frame must give each column the same type (a bare literal would be
/// a dynamic integer that can resolve differently per file).
pub(crate) fn zero() -> Expr {
    lit(0i64).cast(DataType::Int64)
}

/// Maps one file onto the canonical columns the plan asks for; returns the frame and the checks
/// the diagnostic query would run on it.
pub(crate) fn canonical(src: &Source, plan: &Plan) -> Result<(LazyFrame, Vec<Check>)> {
    let (path, schema) = (src.path.as_path(), src.schema.as_ref());
    let (raw_day, day_checks) = day_expr(path, schema)?;
    let day_column = day_checks
        .last()
        .map_or_else(|| "date".to_owned(), |c| c.column.clone());
    // A day outside the years usage can have is a mistake in the year (0000-01-01 would chart
    // as "Jan 0000"): named by its own check, before the unparsable-day one.
    let d32 = raw_day.clone().cast(DataType::Int32);
    let in_range = d32
        .clone()
        .gt_eq(lit(FIRST_DAY))
        .and(d32.lt_eq(lit(LAST_DAY)));
    let day = when(in_range.clone())
        .then(raw_day.clone())
        .otherwise(lit(NULL).cast(DataType::Date));
    let mut checks = vec![Check {
        column: day_column,
        bad: raw_day.is_not_null().and(in_range.not()),
        message: "is outside the years govreview reads (2000 to 2099); check the year".into(),
    }];
    checks.extend(day_checks);
    if schema.get("model").is_none() {
        return Err(Error::data(
            path,
            None,
            Some("model"),
            format!(
                "required column is missing. Columns found: {}",
                column_list(schema)
            ),
        ));
    }
    let model = col("model").cast(DataType::String);
    checks.push(Check {
        column: "model".into(),
        bad: model.clone().is_null().or(model.clone().eq(lit(""))),
        message: "is empty; every row needs the model ID".into(),
    });

    let mut exprs = vec![
        day.clone().cast(DataType::Int32).alias("day"),
        model.alias("model"),
        if schema.get("service_tier").is_some() {
            col("service_tier")
                .cast(DataType::String)
                .fill_null(lit("standard"))
        } else {
            lit("standard")
        }
        .alias("service_tier"),
    ];
    exprs.extend(DIMENSIONS.iter().map(|d| text_expr(schema, d)));

    // Counts: values (0 where the column is absent; an empty token count is an error), the smallest of them per row (for the negative
    // check), and, for text columns, how many values failed to parse.
    let mut counts: Vec<Expr> = Vec::new();
    let mut unparsed: Vec<Expr> = Vec::new();
    // Both the total of cache writes and its split: they must agree, or writes would vanish.
    if cache_writes_twice(schema) {
        let mut ignored = Vec::new();
        let mut value = |c: &str| {
            count_expr(schema, c, &mut ignored).map_or(zero(), |(v, _)| v.fill_null(zero()))
        };
        let total = value(LEGACY_CACHE_WRITE);
        let split = value(TOKEN_COLUMNS[1].0) + value(TOKEN_COLUMNS[2].0);
        let mismatch = total.neq(split);
        // Marks the file bad through the row's smallest count (a row that disagrees reads as
        // -1 there); the diagnostic query then names the row by this check.
        counts.push(when(mismatch.clone()).then(lit(-1i64)).otherwise(zero()));
        checks.push(Check {
            column: LEGACY_CACHE_WRITE.to_owned(),
            bad: mismatch,
            message: format!(
                "is not the sum of {} and {} on this row: the file gives cache writes twice and they disagree. Keep the split columns and drop {LEGACY_CACHE_WRITE}, or correct the row",
                TOKEN_COLUMNS[1].0, TOKEN_COLUMNS[2].0
            ),
        });
    }
    let mut count = |name: &str, checks: &mut Vec<Check>| -> Expr {
        match count_expr(schema, name, checks) {
            Some((v, fallible)) => {
                counts.push(v.clone());
                if fallible {
                    unparsed.push(
                        col(name)
                            .is_not_null()
                            .and(v.clone().is_null())
                            .cast(DataType::Int64),
                    );
                }
                v.fill_null(zero())
            }
            None => zero(),
        }
    };
    let mut output = zero();
    let mut empty_marks = Vec::new();
    for (name, slot) in TOKEN_COLUMNS {
        let source = if slot == Slot::W5 && schema.get(name).is_none() {
            LEGACY_CACHE_WRITE
        } else {
            name
        };
        let v = count(source, &mut checks);
        // JSON lines leave a key out where its count is 0 (as the Analytics API's rows may);
        // a `null` there is named by the text pass (`text_scan::ndjson_null_count`).
        if schema.get(source).is_some() && src.format != Format::Ndjson {
            // Marks the file bad through the row's smallest count, as above.
            empty_marks.push(
                when(col(source).is_null())
                    .then(lit(-1i64))
                    .otherwise(zero()),
            );
            checks.push(Check {
                column: source.to_owned(),
                bad: col(source).is_null(),
                message: EMPTY_COUNT.to_owned(),
            });
        }
        if slot == Slot::O {
            output = v.clone();
        }
        exprs.push(v.alias(slot.column()));
    }
    if plan.requests {
        let has = schema.get("requests").is_some();
        let v = count("requests", &mut checks);
        exprs.push(v.alias(Slot::Req.column()));
        let known = if has {
            col("requests").is_not_null()
        } else {
            lit(false)
        };
        exprs.push(
            known
                .clone()
                .cast(DataType::Int64)
                .alias(Slot::ReqRows.column()),
        );
        if plan.precise_output {
            exprs.push(
                when(known)
                    .then(output)
                    .otherwise(zero())
                    .alias(Slot::OReq.column()),
            );
        }
    }
    if plan.web {
        let v = count("web_search_requests", &mut checks);
        exprs.push(v.alias(Slot::Web.column()));
    }
    if plan.billed {
        if let Some(dtype) = schema.get("cost_usd") {
            // An empty cost means "not billed", quoted (`""`, read as an empty text) or not.
            let raw = if matches!(dtype, DataType::String) {
                when(col("cost_usd").eq(lit("")))
                    .then(lit(NULL).cast(DataType::String))
                    .otherwise(col("cost_usd"))
            } else {
                col("cost_usd")
            };
            let v = raw.clone().cast(DataType::Float64);
            checks.push(Check {
                column: "cost_usd".into(),
                bad: raw.clone().is_not_null().and(v.clone().is_null()),
                message: "is not a number; billed cost must be in US dollars, e.g. 12.34".into(),
            });
            if !schema
                .get("cost_usd")
                .is_some_and(|d| d.is_primitive_numeric())
            {
                unparsed.push(
                    raw.clone()
                        .is_not_null()
                        .and(v.clone().is_null())
                        .cast(DataType::Int64),
                );
            }
            cost_checks(&raw, &v, &mut checks);
            // Held as integer 1e-8 USD so that sums are exact and independent of summation order.
            // An amount that is not finite or out of range is flagged (`cost_bad`), which marks
            // the file bad (never a silent 0): the diagnostic query names the row.
            let scaled = v.clone() * lit(1e8);
            let rounded = when(scaled.clone().lt(lit(0.0)))
                .then(scaled.clone() - lit(0.5))
                .otherwise(scaled + lit(0.5))
                .cast(DataType::Int64);
            let in_range = v
                .clone()
                .is_finite()
                .and(v.clone().lt_eq(lit(MAX_COST_USD)))
                .and(v.clone().gt_eq(lit(0.0)));
            let given = v.clone().is_not_null();
            exprs.push(
                when(given.clone().and(in_range.clone().not()))
                    .then(lit(1i64))
                    .otherwise(zero())
                    .alias("cost_bad"),
            );
            let e8 = when(given.and(in_range)).then(rounded).otherwise(zero());
            exprs.push(e8.alias(Slot::CostE8.column()));
            exprs.push(v.is_not_null().alias("billed"));
        } else {
            exprs.push(zero().alias("cost_bad"));
            exprs.push(zero().alias(Slot::CostE8.column()));
            exprs.push(lit(false).alias("billed"));
        }
    }
    counts.extend(empty_marks);
    if !counts.is_empty() {
        exprs.push(
            polars::lazy::dsl::min_horizontal(counts.clone())
                .map_err(|e| Error::Internal(e.to_string()))?
                .alias("min_count"),
        );
        exprs.push(
            polars::lazy::dsl::max_horizontal(counts)
                .map_err(|e| Error::Internal(e.to_string()))?
                .alias("max_count"),
        );
    } else {
        exprs.push(zero().alias("min_count"));
        exprs.push(zero().alias("max_count"));
    }
    if plan.text_counts {
        let bad = unparsed.into_iter().reduce(|a, b| a + b).unwrap_or(zero());
        exprs.push(bad.alias("unparsed"));
    }
    if plan.variants {
        exprs.extend(VARIANT_KEYS.iter().map(|d| text_expr(schema, d)));
    }
    let mut frame = src.frame.clone().select(exprs);
    if !plan.split.cuts.is_empty() {
        // The part of its month a row's day falls in: the month's price changes on or before it.
        let d = col("day");
        let seg = plan
            .split
            .cuts
            .iter()
            .map(|&c| {
                let next_month = epoch_days(Month::of(from_epoch_days(c)).next().first_day());
                d.clone()
                    .gt_eq(lit(c))
                    .and(d.clone().lt(lit(next_month)))
                    .fill_null(lit(false))
                    .cast(DataType::Int32)
            })
            .reduce(|a, b| a + b)
            .unwrap_or(lit(0i32));
        frame = frame.with_column(seg.alias("seg"));
    }
    if let Some((s, e)) = plan.split.term {
        let d = col("day");
        frame = frame.with_column(
            d.clone()
                .gt_eq(lit(s))
                .and(d.lt_eq(lit(e)))
                .fill_null(lit(false))
                .alias("in_term"),
        );
    }
    Ok((frame, checks))
}
