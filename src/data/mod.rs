//! Loading usage data. The only module that touches polars.
//!
//! Each input file (CSV, Parquet, NDJSON) is mapped lazily onto the canonical columns, all files are
//! concatenated, and one group-by on the raw columns builds the month x file x dimensions x tier
//! cube. Plain Parquet files skip the group-by and are aggregated on their dictionary codes instead
//! ([`parquet`]); both give the same cube rows. Costs and families are derived later, on the small
//! cube, in plain Rust. Problems in the raw rows are counted in the same pass; only when there are
//! some does a second, diagnostic query find the first offending row so the error can name it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;

use crate::anthropic;
use crate::cube::{CubeRow, Dataset, FileInfo};
use crate::error::{Error, Result};
use crate::month::Month;
use crate::pricing::Tokens;

mod parquet;
mod text_scan;

/// Input formats, detected by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Newline-delimited JSON objects.
    Ndjson,
    /// A JSON document: Admin API report pages.
    Json,
}

impl Format {
    /// The format of a path, from its extension.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The line of the file that holds data row `row` (1-based): a CSV has its header on line 1,
    /// NDJSON has no header, Parquet and JSON documents have no lines to point at.
    fn line_of_row(self, row: u64) -> Option<u64> {
        match self {
            Format::Csv => Some(row + 1),
            Format::Ndjson => Some(row),
            Format::Parquet | Format::Json => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Ndjson => "ndjson",
            Format::Json => "json",
        }
    }
}

/// Expands paths and globs (relative ones against `base`) into a sorted list of files.
///
/// A pattern that matches nothing is an error: a silently missing month is worse than a failure.
pub fn expand_paths(patterns: &[String], base: &Path) -> Result<Vec<PathBuf>> {
    expand(patterns, base, true)
}

/// Like [`expand_paths`], for the configuration's `data.paths`: a pattern may match nothing (a
/// repository lists CSV, Parquet and fetched pages alike) as long as one of them matches a file.
pub fn expand_config_paths(patterns: &[String], base: &Path) -> Result<Vec<PathBuf>> {
    let files = expand(patterns, base, false)?;
    if files.is_empty() && !patterns.is_empty() {
        return Err(Error::Usage(format!(
            "no data file matches data.paths ({}) under {}; put usage files there, run `govreview fetch`, or pass --data PATH",
            patterns.join(", "),
            if base.as_os_str().is_empty() {
                ".".to_owned()
            } else {
                base.display().to_string()
            }
        )));
    }
    Ok(files)
}

fn expand(patterns: &[String], base: &Path, strict: bool) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for pat in patterns {
        let full = if Path::new(pat).is_absolute() {
            PathBuf::from(pat)
        } else {
            base.join(pat)
        };
        let text = full.to_string_lossy().into_owned();
        let mut found: Vec<PathBuf> = if pat.contains(['*', '?', '[']) {
            glob::glob(&text)
                .map_err(|e| Error::Usage(format!("`{pat}` is not a valid glob: {e}")))?
                .filter_map(|r| r.ok())
                .filter(|p| p.is_file())
                .collect()
        } else if full.is_dir() {
            let rd = std::fs::read_dir(&full).map_err(|e| Error::io(&full, "cannot list", e))?;
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && Format::of(p).is_some())
                .collect()
        } else if full.is_file() {
            vec![full.clone()]
        } else {
            Vec::new()
        };
        if found.is_empty() && strict {
            return Err(Error::Usage(format!(
                "data path `{}` matches no file; check the path in data.paths or --data",
                full.display()
            )));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

const TOKEN_COLUMNS: [(&str, &str); 5] = [
    ("uncached_input_tokens", "u"),
    ("cache_creation_5m_input_tokens", "w5"),
    ("cache_creation_1h_input_tokens", "w1"),
    ("cache_read_input_tokens", "r"),
    ("output_tokens", "o"),
];
const DIMENSIONS: [&str; 4] = ["team", "app", "workspace_id", "api_key_id"];

/// The largest count one row may hold (10^15 tokens: about $3 billion of Sonnet input). Larger
/// values are a unit mistake or hostile input; bounding them also bounds every sum.
pub(crate) const MAX_COUNT: i64 = 1_000_000_000_000_000;

/// The message for a count above [`MAX_COUNT`].
const TOO_LARGE: &str = "exceeds the largest count govreview accepts in one row (1,000,000,000,000,000); check that the column holds token or request counts";
const LEGACY_CACHE_WRITE: &str = "cache_creation_input_tokens";

/// A check on raw rows: which column, the expression that is true on a bad row, and the message.
/// Checks run only in the diagnostic query, after the main pass has seen that something is wrong.
struct Check {
    column: String,
    bad: Expr,
    message: String,
}

/// What the main query computes, decided once from all files' schemas: optional sums are only
/// aggregated when some file has the column, and validation costs almost nothing per row.
#[derive(Debug, Clone, Copy, Default)]
struct Plan {
    /// Some file has `cost_usd`.
    billed: bool,
    /// Some file has `requests`.
    requests: bool,
    /// Some file has `web_search_requests`.
    web: bool,
    /// Some count column is text (CSV) and may fail to parse.
    text_counts: bool,
    /// The commitment term, as epoch days, when it starts or ends inside a month (only then is
    /// an in-term flag needed per row; otherwise it follows from the month).
    split_term: Option<(i32, i32)>,
    /// Sum output tokens over rows with a request count separately (needed only when some rows
    /// lack a count where others have one).
    precise_output: bool,
}

/// One file: its scan and schema.
struct Source {
    path: PathBuf,
    format: Format,
    /// What the file was recognised as (`csv`, `console usage`, `usage report`, ...).
    label: &'static str,
    /// Days the file covers without having rows for them (empty report buckets).
    covered: Vec<NaiveDate>,
    /// Some of its usage has no service tier.
    tier_missing: bool,
    /// Undocumented fields it carries.
    unknown_fields: Vec<String>,
    /// A text file whose last line has no line break (it may have been cut short).
    unterminated: bool,
    frame: LazyFrame,
    schema: SchemaRef,
}

fn polars_err(path: &Path, e: PolarsError) -> Error {
    if let Some(located) = json_line_error(path) {
        return located;
    }
    Error::data(
        path,
        None,
        None,
        format!("cannot be read: {e}. Check that the file is a complete, valid file of its format"),
    )
}

fn scan(path: &Path, format: Format) -> Result<LazyFrame> {
    let p = PlRefPath::try_from_path(path).map_err(|e| polars_err(path, e))?;
    let lf = match format {
        Format::Csv => LazyCsvReader::new(p)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .finish(),
        Format::Parquet => LazyFrame::scan_parquet(p, ScanArgsParquet::default()),
        Format::Ndjson | Format::Json => LazyJsonLineReader::new(p)
            .with_infer_schema_length(std::num::NonZeroUsize::new(10_000))
            .finish(),
    };
    lf.map_err(|e| polars_err(path, e))
}

/// The first line of a text file.
fn header_line(path: &Path) -> Result<String> {
    use std::io::BufRead;
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, "cannot read", e))?;
    let mut line = String::new();
    std::io::BufReader::new(f)
        .read_line(&mut line)
        .map_err(|e| Error::io(path, "cannot read", e))?;
    Ok(line.trim_start_matches('\u{feff}').to_owned())
}

fn unknown_extension(path: &Path) -> Error {
    Error::data(
        path,
        None,
        None,
        "has an unknown extension; usage files must end in .csv, .parquet, .ndjson/.jsonl or .json (Admin API pages)",
    )
}

/// What a file holds: `named` (`--format`) or judged by its content (JSON pages by their
/// results, CSV by its header). A JSON page is read and parsed here, once, and handed on.
fn classify(
    path: &Path,
    named: Option<anthropic::Kind>,
) -> Result<(anthropic::Kind, Option<serde_json::Value>)> {
    match Format::of(path) {
        Some(Format::Json) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))?;
            let (kind, page) = anthropic::json_kind(path, &text)?;
            Ok((named.unwrap_or(kind), Some(page)))
        }
        Some(Format::Csv) => {
            let kind = match named {
                Some(k) => k,
                None => anthropic::csv_kind(&header_line(path)?),
            };
            Ok((kind, None))
        }
        Some(_) => Ok((named.unwrap_or(anthropic::Kind::Canonical), None)),
        None => Err(unknown_extension(path)),
    }
}

/// The label of Admin API usage-report pages in the data notes.
const USAGE_REPORT: &str = "usage report";

/// A file read as usage (to scan) or as billed costs.
enum Input {
    Usage(Box<Source>),
    Costs(Vec<anthropic::CostRecord>, &'static str),
}

/// Reads a file as `kind`; `page` is the parsed JSON of a .json file.
fn read_input(
    path: &Path,
    kind: anthropic::Kind,
    page: Option<serde_json::Value>,
) -> Result<Input> {
    let needs = |what: &str| {
        Error::data(
            path,
            None,
            None,
            format!(
                "is read as {what} (--format), which needs a .{} file",
                if what.contains("page") { "json" } else { "csv" }
            ),
        )
    };
    let csv = Format::of(path) == Some(Format::Csv);
    let usage = |s: Source| Input::Usage(Box::new(s));
    match kind {
        anthropic::Kind::CostReport => {
            let page = page.ok_or_else(|| needs("cost-report pages"))?;
            Ok(Input::Costs(
                anthropic::cost_report_rows(path, &page)?,
                "cost report",
            ))
        }
        anthropic::Kind::ConsoleCost if csv => {
            Ok(Input::Costs(console_cost_rows(path)?, "console cost"))
        }
        anthropic::Kind::ConsoleCost => Err(needs("a Console cost export")),
        anthropic::Kind::UsageReport => {
            let page = page.ok_or_else(|| needs("usage-report pages"))?;
            open(path, kind, Some(usage_report_frame(path, &page)?)).map(usage)
        }
        anthropic::Kind::ConsoleUsage if csv => open(path, kind, None).map(usage),
        anthropic::Kind::ConsoleUsage => Err(needs("a Console usage export")),
        anthropic::Kind::Canonical => open(path, kind, None).map(usage),
    }
}

/// A Console cost export: one row per day x model x token type, `cost_usd` in dollars, models by
/// display name. Small enough to read whole and check row by row.
fn console_cost_rows(path: &Path) -> Result<Vec<anthropic::CostRecord>> {
    text_scan::check(path, text_scan::Kind::Csv)?;
    let df = scan(path, Format::Csv)?
        .collect()
        .map_err(|e| polars_err(path, e))?;
    let col_text = |name: &str| -> Vec<Option<String>> {
        df.column(name)
            .ok()
            .and_then(|c| {
                c.str()
                    .ok()
                    .map(|a| a.iter().map(|v| v.map(str::to_owned)).collect())
            })
            .unwrap_or_else(|| vec![None; df.height()])
    };
    let (dates, models, workspaces, tiers, tokens, costs, kinds) = (
        col_text("usage_date_utc"),
        col_text("model"),
        col_text("workspace"),
        col_text("usage_type"),
        col_text("token_type"),
        col_text("cost_usd"),
        col_text("cost_type"),
    );
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let row = i as u64 + 1;
        let bad = |column: &str, msg: String| {
            Error::data(path, Some(row), Some(column), msg).with_line(Format::Csv.line_of_row(row))
        };
        let raw_day = dates[i].clone().unwrap_or_default();
        let day = NaiveDate::parse_from_str(raw_day.get(..10).unwrap_or(&raw_day), "%Y-%m-%d")
            .map_err(|_| {
                bad(
                    "usage_date_utc",
                    format!("`{raw_day}` is not a date; the export gives YYYY-MM-DD"),
                )
            })?;
        let raw_cost = costs[i].clone().unwrap_or_default();
        let usd: f64 = raw_cost.trim().parse().map_err(|_| {
            bad(
                "cost_usd",
                format!("`{raw_cost}` is not a number; cost_usd is in US dollars, e.g. 12.34"),
            )
        })?;
        let model = models[i].as_deref().map(|m| {
            anthropic::model_from_display_name(m).unwrap_or_else(|| m.to_ascii_lowercase())
        });
        out.push(anthropic::CostRecord {
            day,
            workspace: workspaces[i].clone(),
            model,
            cost_type: kinds[i].clone(),
            token_type: tokens[i].clone(),
            service_tier: tiers[i].clone(),
            description: None,
            usd,
        });
    }
    Ok(out)
}

/// Refuses billed records that two files both hold: loading them twice would double the bill.
fn check_cost_overlaps(costs: &[(usize, anthropic::CostRecord)], infos: &[FileInfo]) -> Result<()> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (file, r) in costs {
        let key = format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            r.day, r.workspace, r.model, r.token_type, r.cost_type, r.service_tier, r.description
        );
        match seen.get(&key) {
            Some(other) if other != file => {
                return Err(Error::Input(format!(
                    "{} and {} both hold billed costs for {}{}: the same cost data loaded twice would be counted twice. Give each day's costs in one file only",
                    infos[*other].path.display(),
                    infos[*file].path.display(),
                    r.day,
                    r.model
                        .as_ref()
                        .map_or(String::new(), |m| format!(" ({m})"))
                )));
            }
            _ => {
                seen.insert(key, *file);
            }
        }
    }
    Ok(())
}

/// An Admin API usage-report page mapped onto the canonical columns, with what the rows alone do
/// not say.
struct ReportFrame {
    frame: LazyFrame,
    /// Days of its buckets, empty ones included.
    covered: Vec<NaiveDate>,
    /// Some results carry no service tier.
    tier_missing: bool,
    /// Undocumented fields of its results.
    unknown_fields: Vec<String>,
}

/// An Admin API usage-report page as a frame in the canonical column names.
fn usage_report_frame(path: &Path, page: &serde_json::Value) -> Result<ReportFrame> {
    let rows = anthropic::usage_report_rows(path, page)?;
    let texts = |f: fn(&anthropic::ReportRow) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(f).collect()
    };
    let ints = |f: fn(&anthropic::ReportRow) -> i64| -> Vec<i64> { rows.iter().map(f).collect() };
    let df = df!(
        "starting_at" => texts(|r| Some(r.starting_at.clone())),
        "model" => texts(|r| Some(r.model.clone())),
        "service_tier" => texts(|r| r.service_tier.clone()),
        "workspace_id" => texts(|r| r.workspace_id.clone()),
        "api_key_id" => texts(|r| r.api_key_id.clone()),
        "uncached_input_tokens" => ints(|r| r.uncached_input),
        "cache_creation_5m_input_tokens" => ints(|r| r.cache_write_5m),
        "cache_creation_1h_input_tokens" => ints(|r| r.cache_write_1h),
        "cache_read_input_tokens" => ints(|r| r.cache_read),
        "output_tokens" => ints(|r| r.output),
        "web_search_requests" => ints(|r| r.web_search_requests),
    )
    .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(ReportFrame {
        frame: df.lazy(),
        covered: anthropic::bucket_days(page),
        tier_missing: rows.iter().any(|r| r.service_tier.is_none()),
        unknown_fields: anthropic::unknown_usage_fields(page),
    })
}

fn open(path: &Path, kind: anthropic::Kind, report: Option<ReportFrame>) -> Result<Source> {
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
    let (mut frame, label) = match (report, kind, format) {
        (Some(r), _, _) => {
            covered = r.covered;
            tier_missing = r.tier_missing;
            unknown_fields = r.unknown_fields;
            (r.frame, USAGE_REPORT)
        }
        (None, anthropic::Kind::ConsoleUsage, _) => {
            let mut lf = scan(path, format)?;
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
    })
}

fn strptime(format: Option<&str>) -> StrptimeOptions {
    StrptimeOptions {
        format: format.map(Into::into),
        strict: false,
        exact: true,
        cache: true,
    }
}

/// The canonical day column of a file, and the check that it parsed.
fn day_expr(path: &Path, schema: &Schema) -> Result<(Expr, Check)> {
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
        DataType::String => c
            .clone()
            .str()
            .to_datetime(
                Some(TimeUnit::Microseconds),
                Some(TimeZone::UTC),
                strptime(None),
                lit("raise"),
            )
            .dt()
            .date(),
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
    let check = Check {
        column: name.to_owned(),
        bad: day.clone().is_null(),
        message: what.to_owned(),
    };
    Ok((day, check))
}

fn column_list(schema: &Schema) -> String {
    schema
        .iter_names()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A whole-number column as Int64 (None where absent or empty), its checks, and whether the cast
/// can fail (the column is not already an integer).
fn count_expr(schema: &Schema, name: &str, checks: &mut Vec<Check>) -> Option<(Expr, bool)> {
    let dtype = schema.get(name)?;
    let raw = col(name);
    let v = raw.clone().cast(DataType::Int64);
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
    Some((v, !dtype.is_integer()))
}

fn text_expr(schema: &Schema, name: &str) -> Expr {
    if schema.get(name).is_some() {
        col(name).cast(DataType::String)
    } else {
        lit(NULL).cast(DataType::String)
    }
    .alias(name)
}

/// A typed zero: every file's frame must give each column the same type (a bare literal would be
/// a dynamic integer that can resolve differently per file).
fn zero() -> Expr {
    lit(0i64).cast(DataType::Int64)
}

/// Maps one file onto the canonical columns the plan asks for; returns the frame and the checks
/// the diagnostic query would run on it.
fn canonical(src: &Source, plan: &Plan) -> Result<(LazyFrame, Vec<Check>)> {
    let (path, schema) = (src.path.as_path(), src.schema.as_ref());
    let (day, day_check) = day_expr(path, schema)?;
    let mut checks = vec![day_check];
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

    // Counts: values (0 where absent or empty), the smallest of them per row (for the negative
    // check), and, for text columns, how many values failed to parse.
    let mut counts: Vec<Expr> = Vec::new();
    let mut unparsed: Vec<Expr> = Vec::new();
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
    for (name, short) in TOKEN_COLUMNS {
        let source = if short == "w5" && schema.get(name).is_none() {
            LEGACY_CACHE_WRITE
        } else {
            name
        };
        let v = count(source, &mut checks);
        if short == "o" {
            output = v.clone();
        }
        exprs.push(v.alias(short));
    }
    if plan.requests {
        let has = schema.get("requests").is_some();
        let v = count("requests", &mut checks);
        exprs.push(v.alias("req"));
        let known = if has {
            col("requests").is_not_null()
        } else {
            lit(false)
        };
        exprs.push(known.clone().cast(DataType::Int64).alias("req_rows"));
        if plan.precise_output {
            exprs.push(when(known).then(output).otherwise(zero()).alias("o_req"));
        }
    }
    if plan.web {
        let v = count("web_search_requests", &mut checks);
        exprs.push(v.alias("web"));
    }
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

    if plan.billed {
        if schema.get("cost_usd").is_some() {
            let raw = col("cost_usd");
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
                    raw.is_not_null()
                        .and(v.clone().is_null())
                        .cast(DataType::Int64),
                );
            }
            // Held as integer 1e-8 USD so that sums are exact and independent of summation order.
            let scaled = v.clone() * lit(1e8);
            let rounded = when(scaled.clone().lt(lit(0.0)))
                .then(scaled.clone() - lit(0.5))
                .otherwise(scaled + lit(0.5))
                .cast(DataType::Int64);
            exprs.push(rounded.fill_null(zero()).alias("cost_e8"));
            exprs.push(v.is_not_null().alias("billed"));
        } else {
            exprs.push(zero().alias("cost_e8"));
            exprs.push(lit(false).alias("billed"));
        }
    }
    if plan.text_counts {
        let bad = unparsed.into_iter().reduce(|a, b| a + b).unwrap_or(zero());
        exprs.push(bad.alias("unparsed"));
    }
    let mut frame = src.frame.clone().select(exprs);
    if let Some((s, e)) = plan.split_term {
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

/// Runs `f`, turning a panic of the file readers into an error. A few kinds of corrupt file (a
/// damaged Parquet footer, for one) make the readers panic instead of returning an error; the
/// user gets the usual "cannot be read" message, naming the file when it is known, and exit
/// code 2. The panic message is not printed meanwhile. Call it from the main thread only (it
/// swaps the process's panic hook); worker threads use [`caught`] inside it.
fn guard<T>(path: Option<&Path>, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    r.unwrap_or_else(|payload| Err(caught(path, payload.as_ref())))
}

/// The error for a reader's panic with this payload.
fn caught(path: Option<&Path>, payload: &(dyn std::any::Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the reader stopped".into());
    // A sum that does not fit 64 bits stops a debug build here (a release build wraps, and
    // `sums_fit` refuses the cube): the same error either way.
    if what.contains("with overflow") {
        return too_many_tokens(path);
    }
    match path {
        Some(p) => Error::data(
            p,
            None,
            None,
            format!(
                "cannot be read ({what}). Check that the file is a complete, valid file of its format"
            ),
        ),
        None => Error::Input(format!(
            "the usage data cannot be read ({what}). Check each file given in data.paths or --data"
        )),
    }
}

/// How the data is loaded.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Aggregate plain Parquet on its dictionary codes (off: the general query for every file,
    /// for comparison).
    pub fast_parquet: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { fast_parquet: true }
    }
}

fn epoch_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn from_epoch_days(d: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(d as i64)
}

/// Loads the files into a cube. `term` is the commitment term, to split spend inside it.
pub fn load(files: &[PathBuf], term: Option<(NaiveDate, NaiveDate)>) -> Result<Dataset> {
    let inputs: Vec<(PathBuf, Option<anthropic::Kind>)> =
        files.iter().map(|p| (p.clone(), None)).collect();
    load_with(&inputs, term, &Options::default())
}

/// Like [`load`], with the kind of some files named (`--format`) instead of detected.
///
/// Plain Parquet files are aggregated on their dictionary codes (see [`parquet`]) unless
/// `options` turns that off.
pub fn load_with(
    files: &[(PathBuf, Option<anthropic::Kind>)],
    term: Option<(NaiveDate, NaiveDate)>,
    options: &Options,
) -> Result<Dataset> {
    load_inner(files, term, options.fast_parquet)
}

fn load_inner(
    files: &[(PathBuf, Option<anthropic::Kind>)],
    term: Option<(NaiveDate, NaiveDate)>,
    fast_parquet: bool,
) -> Result<Dataset> {
    if files.is_empty() {
        return Err(Error::Usage(
            "no usage data given; list files in data.paths of the config or pass --data PATH"
                .into(),
        ));
    }
    let mut sources = Vec::new();
    let mut cost_files = Vec::new();
    for (p, named) in files {
        let (kind, page) = classify(p, *named)?;
        match guard(Some(p), || read_input(p, kind, page))? {
            Input::Costs(records, label) => cost_files.push((p.clone(), records, label)),
            Input::Usage(source) => sources.push(*source),
        }
    }
    if sources.is_empty() {
        return Err(Error::Usage(
            "only cost data was given: model mix, cache hit rate and batch share need the usage data of the same period too (usage-report pages, a Console usage export or canonical usage files)".into(),
        ));
    }
    let has = |c: &str| sources.iter().any(|s| s.schema.get(c).is_some());
    let text_counts = sources.iter().any(|s| {
        TOKEN_COLUMNS
            .iter()
            .map(|(c, _)| *c)
            .chain([LEGACY_CACHE_WRITE, "requests", "web_search_requests"])
            .any(|c| s.schema.get(c).is_some_and(|d| !d.is_integer()))
            || s.schema
                .get("cost_usd")
                .is_some_and(|d| !d.is_primitive_numeric())
    });
    let split_term = term.and_then(|(s, e)| {
        let aligned = s == Month::of(s).first_day() && e == Month::of(e).last_day();
        (!aligned).then(|| (epoch_days(s), epoch_days(e)))
    });
    let mut plan = Plan {
        billed: has("cost_usd"),
        requests: has("requests"),
        web: has("web_search_requests"),
        text_counts,
        split_term,
        precise_output: false,
    };
    // Plain Parquet files take the dictionary-code fast path; the rest the general query.
    let mut fast: Vec<parquet::FastFile> = Vec::new();
    let mut general: Vec<(usize, &Source)> = Vec::new();
    for (index, s) in sources.iter().enumerate() {
        match fast_parquet
            .then(|| parquet::eligible(s.label, &s.schema))
            .flatten()
        {
            Some(day) => fast.push(parquet::FastFile {
                path: s.path.clone(),
                index,
                day,
            }),
            None => general.push((index, s)),
        }
    }
    let mut rows = Vec::new();
    let mut bad: Option<usize> = None;
    let mut days: Vec<NaiveDate> = Vec::new();
    let mut timings: Vec<(&'static str, f64)> = Vec::new();
    let mut timing = |stage: &'static str, since: std::time::Instant| {
        timings.push((stage, since.elapsed().as_secs_f64()));
    };
    if !general.is_empty() {
        let t0 = std::time::Instant::now();
        let only = (general.len() == 1).then(|| general[0].1.path.as_path());
        let mut cube = guard(only, || cube_query(&general, &plan))?;
        if plan.requests && partly_counted(&cube).map_err(|e| Error::Internal(e.to_string()))? {
            // Some groups mix rows with and without request counts: sum their output exactly.
            plan.precise_output = true;
            cube = guard(only, || cube_query(&general, &plan))?;
        }
        timing("cube query", t0);
        bad = first_bad_file(&cube).map_err(|e| Error::Internal(e.to_string()))?;
        if bad.is_none() {
            sums_fit(&cube, &sources)?;
            rows = to_rows(&cube, &plan, term).map_err(|e| Error::Internal(e.to_string()))?;
            let t0 = std::time::Instant::now();
            let sources: Vec<&Source> = general.iter().map(|(_, s)| *s).collect();
            days = guard(only, || distinct_days(&sources))?;
            timing("distinct days", t0);
        }
    }
    if !fast.is_empty() && bad.is_none() {
        let t0 = std::time::Instant::now();
        let scanned = guard(None, || parquet::scan(&fast, plan.split_term))?;
        timing("parquet fast path", t0);
        bad = scanned.bad_file;
        rows.extend(scanned.rows.into_iter().map(|mut r| {
            if plan.split_term.is_none() {
                r.in_term = in_term_by_month(r.month, term);
            }
            r
        }));
        days.extend(scanned.days.into_iter().map(from_epoch_days));
    }
    if let Some(file) = bad {
        return Err(diagnose(&sources[file], &plan));
    }
    let mut infos: Vec<FileInfo> = sources
        .iter()
        .map(|s| FileInfo {
            path: s.path.clone(),
            format: s.label.to_owned(),
            rows: 0,
            first_day: None,
            last_day: None,
            billed: s.schema.get("cost_usd").is_some(),
            tier_missing: s.tier_missing,
            unknown_fields: s.unknown_fields.clone(),
            unterminated: s.unterminated,
        })
        .collect();
    for r in &rows {
        let info = &mut infos[r.file];
        info.rows += r.rows;
        info.first_day = Some(info.first_day.map_or(r.first_day, |d| d.min(r.first_day)));
        info.last_day = Some(info.last_day.map_or(r.last_day, |d| d.max(r.last_day)));
    }
    // A usage-report page of empty buckets is a normal page; any other empty file is a mistake.
    if let Some(empty) = infos
        .iter()
        .find(|i| i.rows == 0 && i.format != USAGE_REPORT)
    {
        return Err(Error::data(
            &empty.path,
            None,
            None,
            "holds no usage rows; remove it from the data paths or export it again",
        ));
    }

    days.extend(sources.iter().flat_map(|s| s.covered.iter().copied()));
    days.sort();
    days.dedup();
    let mut costs = Vec::new();
    for (path, records, label) in cost_files {
        let file = infos.len();
        infos.push(FileInfo {
            path,
            format: label.to_owned(),
            rows: records.len() as u64,
            first_day: records.iter().map(|r| r.day).min(),
            last_day: records.iter().map(|r| r.day).max(),
            billed: true,
            tier_missing: false,
            unknown_fields: Vec::new(),
            unterminated: false,
        });
        costs.extend(records.into_iter().map(|r| (file, r)));
    }
    check_cost_overlaps(&costs, &infos)?;
    let mut ds = Dataset {
        rows,
        files: infos,
        days,
        costs,
        timings,
    };
    ds.rows.sort_by(|a, b| {
        (
            a.month,
            &a.team,
            &a.app,
            &a.workspace_id,
            &a.api_key_id,
            &a.model,
            &a.tier,
            a.file,
            a.in_term,
            a.billed,
        )
            .cmp(&(
                b.month,
                &b.team,
                &b.app,
                &b.workspace_id,
                &b.api_key_id,
                &b.model,
                &b.tier,
                b.file,
                b.in_term,
                b.billed,
            ))
    });
    check_overlaps(&ds)?;
    totals_fit(&ds)?;
    Ok(ds)
}

/// The text columns that, with file and month, key the cube.
const TEXT_KEYS: [&str; 6] = [
    "team",
    "app",
    "workspace_id",
    "api_key_id",
    "model",
    "service_tier",
];

/// A 64-bit hash of the text keys of a row: each column hashed with its own seeds, nulls made
/// distinct first, combined by XOR. `round` picks an independent set of seeds.
fn key_hash(round: u64) -> Expr {
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
fn cube_query(sources: &[(usize, &Source)], plan: &Plan) -> Result<DataFrame> {
    match cube_query_with(sources, plan, true)? {
        Some(df) => Ok(df),
        None => cube_query_with(sources, plan, false)
            .map(|r| r.expect("the exact query always gives a cube")),
    }
}

fn cube_query_with(
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
    let mut keys = vec![col("file"), month.alias("month")];
    if plan.split_term.is_some() {
        keys.push(col("in_term"));
    }
    if plan.billed {
        keys.push(col("billed"));
    }
    let mut sums: Vec<&str> = vec!["u", "w5", "w1", "r", "o"];
    if plan.requests {
        sums.extend(["req", "req_rows"]);
        if plan.precise_output {
            sums.push("o_req");
        }
    }
    if plan.web {
        sums.push("web");
    }
    if plan.billed {
        sums.push("cost_e8");
    }
    if plan.text_counts {
        sums.push("unparsed");
    }
    let mut aggs: Vec<Expr> = sums.iter().map(|c| col(*c).sum()).collect();
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
fn mixes_keys(df: &DataFrame) -> PolarsResult<bool> {
    let lo = df.column("__check_min")?.u64()?;
    let hi = df.column("__check_max")?.u64()?;
    Ok(lo.iter().zip(hi.iter()).any(|(a, b)| a != b))
}

/// Whether some group has request counts on some rows but not all.
fn partly_counted(cube: &DataFrame) -> PolarsResult<bool> {
    let known = cube.column("req_rows")?.cast(&DataType::Int64)?;
    let rows = cube.column("rows")?.cast(&DataType::Int64)?;
    Ok(known
        .i64()?
        .iter()
        .zip(rows.i64()?.iter())
        .any(|(k, n)| matches!((k, n), (Some(k), Some(n)) if k > 0 && k < n)))
}

/// The first file with a bad row: an unparsable or missing day or model (their groups have null
/// keys), a negative count, or a count or cost that is not a number.
fn first_bad_file(cube: &DataFrame) -> PolarsResult<Option<usize>> {
    let file = cube.column("file")?.cast(&DataType::Int64)?;
    let month = cube.column("month")?.cast(&DataType::Int64)?;
    let model = cube.column("model")?.str()?.clone();
    let min = cube.column("min_count")?.cast(&DataType::Int64)?;
    let max = cube.column("max_count")?.cast(&DataType::Int64)?;
    let max = max.i64()?;
    let unparsed = match cube.column("unparsed") {
        Ok(c) => Some(c.cast(&DataType::Int64)?),
        Err(_) => None,
    };
    let (file, month, min) = (file.i64()?, month.i64()?, min.i64()?);
    let mut bad: Option<i64> = None;
    for i in 0..cube.height() {
        let broken = month.get(i).is_none()
            || model.get(i).is_none_or(str::is_empty)
            || min.get(i).is_some_and(|m| m < 0)
            || max.get(i).is_some_and(|m| m > MAX_COUNT)
            || unparsed
                .as_ref()
                .and_then(|u| u.i64().ok().and_then(|a| a.get(i)))
                .is_some_and(|n| n > 0);
        if broken && let Some(f) = file.get(i) {
            bad = Some(bad.map_or(f, |b| b.min(f)));
        }
    }
    Ok(bad.map(|f| f as usize))
}

/// Refuses a cube whose 64-bit sums might have wrapped: a group's sums are at most its rows
/// times its largest count, so when that product fits, every sum of the group is exact.
fn sums_fit(cube: &DataFrame, sources: &[Source]) -> Result<()> {
    let internal = |e: PolarsError| Error::Internal(e.to_string());
    let rows = cube
        .column("rows")
        .and_then(|c| c.cast(&DataType::Int64))
        .map_err(internal)?;
    let max = cube
        .column("max_count")
        .and_then(|c| c.cast(&DataType::Int64))
        .map_err(internal)?;
    let file = cube
        .column("file")
        .and_then(|c| c.cast(&DataType::Int64))
        .map_err(internal)?;
    let (rows, max, file) = (
        rows.i64().map_err(internal)?,
        max.i64().map_err(internal)?,
        file.i64().map_err(internal)?,
    );
    for i in 0..cube.height() {
        let (Some(n), Some(m)) = (rows.get(i), max.get(i)) else {
            continue;
        };
        if i128::from(n) * i128::from(m.max(0)) > i128::from(i64::MAX) {
            let f = file.get(i).unwrap_or(0) as usize;
            return Err(too_many_tokens(sources.get(f).map(|s| s.path.as_path())));
        }
    }
    Ok(())
}

/// The error for counts whose sums exceed what 64 bits hold.
fn too_many_tokens(path: Option<&Path>) -> Error {
    let msg = "holds counts that add up to more than govreview can count (9.2 x 10^18 of one kind in one month); check that the count columns hold token and request counts";
    match path {
        Some(p) => Error::data(p, None, None, msg),
        None => Error::Input(format!("the usage data {msg}")),
    }
}

/// Refuses data whose totals over all files would not fit the 64-bit counts downstream: once
/// the grand totals fit, every sum the review takes of them does too.
fn totals_fit(ds: &Dataset) -> Result<()> {
    let mut t = [0u128; 8];
    for r in &ds.rows {
        let v = [
            r.tokens.uncached_input,
            r.tokens.cache_write_5m,
            r.tokens.cache_write_1h,
            r.tokens.cache_read,
            r.tokens.output,
            r.requests,
            r.web_search_requests,
            r.tokens.total(),
        ];
        for (a, b) in t.iter_mut().zip(v) {
            *a += u128::from(b);
        }
    }
    if t.iter().any(|v| *v > i64::MAX as u128) {
        return Err(too_many_tokens(None));
    }
    Ok(())
}

/// Maps an engine failure during a query to the file it concerns, when it names one.
fn query_error<'a>(sources: impl Iterator<Item = &'a Source> + Clone, e: PolarsError) -> Error {
    let text = e.to_string();
    let only = {
        let mut it = sources.clone();
        match (it.next(), it.next()) {
            (Some(s), None) => Some(&s.path),
            _ => None,
        }
    };
    let path = sources
        .map(|s| &s.path)
        .find(|p| text.contains(&*p.to_string_lossy()))
        .or(only);
    match path {
        Some(p) => polars_err(p, e),
        None => Error::Input(format!(
            "the usage data cannot be read: {text}. Check each file given in data.paths or --data"
        )),
    }
}

/// For an NDJSON file the reader refused: the first line that is not a JSON object, named by
/// its line number (the reader only says at which character of its buffer it stopped).
fn json_line_error(path: &Path) -> Option<Error> {
    if Format::of(path) != Some(Format::Ndjson) {
        return None;
    }
    use std::io::BufRead;
    let f = std::fs::File::open(path).ok()?;
    let mut row = 0u64;
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.ok()?;
        if line.trim().is_empty() {
            continue;
        }
        row += 1;
        let why = match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(serde_json::Value::Object(_)) => continue,
            Ok(_) => "is not a JSON object; each line holds one object such as {\"date\": \"2026-10-01\", ...}".to_owned(),
            Err(e) => {
                let what = e.to_string();
                let what = what.split(" at line ").next().unwrap_or(&what).to_owned();
                format!(
                    "is not valid JSON ({what} at column {}); each line holds one complete JSON object",
                    e.column()
                )
            }
        };
        return Some(Error::data(path, Some(row), None, why).with_line(Some(i as u64 + 1)));
    }
    None
}

fn distinct_days(sources: &[&Source]) -> Result<Vec<NaiveDate>> {
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

/// A group's text keys as the cube holds them; the one rule both loading paths follow: an empty
/// dimension is no dimension, a missing model is the empty model (a bad row), a missing tier is
/// standard.
struct TextKeys {
    team: Option<String>,
    app: Option<String>,
    workspace_id: Option<String>,
    api_key_id: Option<String>,
    model: String,
    tier: String,
}

impl TextKeys {
    /// From team, app, workspace ID, API key ID, model and tier as read.
    fn new([team, app, ws, key, model, tier]: [Option<String>; 6]) -> TextKeys {
        let some = |t: Option<String>| t.filter(|s| !s.is_empty());
        TextKeys {
            team: some(team),
            app: some(app),
            workspace_id: some(ws),
            api_key_id: some(key),
            model: model.unwrap_or_default(),
            tier: tier.unwrap_or_else(|| "standard".into()),
        }
    }
}

/// Whether a month lies in the commitment term (for terms of whole months).
fn in_term_by_month(month: Month, term: Option<(NaiveDate, NaiveDate)>) -> bool {
    term.is_some_and(|(s, e)| month >= Month::of(s) && month <= Month::of(e))
}

fn to_rows(
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
    let month = i32s("month")?;
    let first = i32s("first")?;
    let last = i32s("last")?;
    let rows_n = i64s("rows")?;
    let (in_term, billed) = (bools("in_term")?, bools("billed")?);
    let (team, app, ws, key) = (
        strs("team")?,
        strs("app")?,
        strs("workspace_id")?,
        strs("api_key_id")?,
    );
    let (model, tier) = (strs("model")?, strs("service_tier")?);
    let (u, w5, w1, r, o) = (i64s("u")?, i64s("w5")?, i64s("w1")?, i64s("r")?, i64s("o")?);
    let (req, req_rows, web, cost) = (
        i64s("req")?,
        i64s("req_rows")?,
        i64s("web")?,
        i64s("cost_e8")?,
    );
    let o_req = if plan.precise_output {
        i64s("o_req")?
    } else {
        // Every group has request counts on all of its rows or on none.
        (0..n)
            .map(|i| if req_rows[i] > 0 { o[i] } else { 0 })
            .collect()
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (Some(m), Some(f), Some(l)) = (month[i], first[i], last[i]) else {
            continue;
        };
        let month = Month::from_index(m);
        let in_term = if plan.split_term.is_some() {
            in_term[i]
        } else {
            in_term_by_month(month, term)
        };
        let k = TextKeys::new([
            team[i].clone(),
            app[i].clone(),
            ws[i].clone(),
            key[i].clone(),
            model[i].clone(),
            tier[i].clone(),
        ]);
        out.push(CubeRow {
            month,
            file: file[i].unwrap_or(0) as usize,
            team: k.team,
            app: k.app,
            workspace_id: k.workspace_id,
            api_key_id: k.api_key_id,
            model: k.model,
            tier: k.tier,
            in_term,
            billed: billed[i],
            tokens: Tokens {
                uncached_input: u[i] as u64,
                cache_write_5m: w5[i] as u64,
                cache_write_1h: w1[i] as u64,
                cache_read: r[i] as u64,
                output: o[i] as u64,
            },
            requests: req[i] as u64,
            output_with_requests: o_req[i] as u64,
            web_search_requests: web[i] as u64,
            billed_cost: cost[i] as f64 / 1e8,
            rows: rows_n[i] as u64,
            first_day: from_epoch_days(f),
            last_day: from_epoch_days(l),
        });
    }
    Ok(out)
}

/// Finds the first bad row of a file and says what is wrong with it.
fn diagnose(src: &Source, plan: &Plan) -> Error {
    let path = src.path.as_path();
    let checks = match canonical(src, plan) {
        Ok((_, checks)) => checks,
        Err(e) => return e,
    };
    let mut sel = vec![col("__row")];
    let mut cols = Vec::new();
    for (i, ch) in checks.iter().enumerate() {
        sel.push(
            ch.bad
                .clone()
                .fill_null(lit(false))
                .alias(format!("__bad{i}")),
        );
        if !cols.contains(&ch.column) {
            cols.push(ch.column.clone());
            sel.push(
                col(ch.column.as_str())
                    .cast(DataType::String)
                    .alias(format!("__raw_{}", ch.column)),
            );
        }
    }
    let any = (0..checks.len())
        .map(|i| col(format!("__bad{i}")))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let found = src
        .frame
        .clone()
        .with_row_index("__row", None)
        .select(sel)
        .filter(any)
        .limit(1)
        .collect();
    let df = match found {
        Ok(df) if df.height() > 0 => df,
        _ => return Error::data(path, None, None, "has invalid rows"),
    };
    let row = df
        .column("__row")
        .ok()
        .and_then(|c| c.cast(&DataType::UInt64).ok())
        .and_then(|c| c.u64().ok().and_then(|a| a.get(0)))
        .unwrap_or(0)
        + 1;
    for (i, ch) in checks.iter().enumerate() {
        let hit = df
            .column(&format!("__bad{i}"))
            .ok()
            .and_then(|c| c.bool().ok().and_then(|a| a.get(0)))
            .unwrap_or(false);
        if hit {
            let raw = df
                .column(&format!("__raw_{}", ch.column))
                .ok()
                .and_then(|c| c.str().ok().and_then(|a| a.get(0).map(str::to_owned)));
            // A whole number too long for 64 bits fails the cast like text does: say what it is.
            let too_long = raw.as_deref().is_some_and(|v| {
                let d = v.trim().trim_start_matches('+');
                !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
            });
            let shown = match &raw {
                Some(v) => format!("`{v}`"),
                None => "the empty value".to_owned(),
            };
            let message = if too_long {
                TOO_LARGE
            } else {
                ch.message.as_str()
            };
            let e = Error::data(
                path,
                Some(row),
                Some(&ch.column),
                format!("{shown} {message}"),
            );
            return e.with_line(src.format.line_of_row(row));
        }
    }
    Error::data(path, Some(row), None, "is invalid")
}

/// Fails when two files hold usage of the same dimensions on overlapping days: the same data
/// loaded twice would double count silently.
fn check_overlaps(ds: &Dataset) -> Result<()> {
    type Key<'a> = (
        Month,
        &'a Option<String>,
        &'a Option<String>,
        &'a Option<String>,
        &'a Option<String>,
        &'a str,
        &'a str,
    );
    let mut spans: BTreeMap<Key, BTreeMap<usize, (NaiveDate, NaiveDate)>> = BTreeMap::new();
    for r in &ds.rows {
        let key = (
            r.month,
            &r.team,
            &r.app,
            &r.workspace_id,
            &r.api_key_id,
            r.model.as_str(),
            r.tier.as_str(),
        );
        let e = spans
            .entry(key)
            .or_default()
            .entry(r.file)
            .or_insert((r.first_day, r.last_day));
        e.0 = e.0.min(r.first_day);
        e.1 = e.1.max(r.last_day);
    }
    for (key, files) in &spans {
        let v: Vec<(&usize, &(NaiveDate, NaiveDate))> = files.iter().collect();
        for (i, (fa, a)) in v.iter().enumerate() {
            for (fb, b) in &v[i + 1..] {
                let from = a.0.max(b.0);
                let to = a.1.min(b.1);
                if from <= to {
                    let dims = describe_dims(key);
                    return Err(Error::Input(format!(
                        "{} and {} both hold usage of {dims} for {from}..{to}: the same data loaded twice would be counted twice. Give each day's usage in one file only (remove the duplicate file or its overlapping days)",
                        ds.files[**fa].path.display(),
                        ds.files[**fb].path.display(),
                    )));
                }
            }
        }
    }
    Ok(())
}

#[allow(clippy::type_complexity)]
fn describe_dims(
    key: &(
        Month,
        &Option<String>,
        &Option<String>,
        &Option<String>,
        &Option<String>,
        &str,
        &str,
    ),
) -> String {
    let mut parts = vec![format!("model {}", key.5), format!("tier {}", key.6)];
    for (name, v) in [
        ("team", key.1),
        ("app", key.2),
        ("workspace", key.3),
        ("api key", key.4),
    ] {
        if let Some(v) = v {
            parts.push(format!("{name} {v}"));
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn csv(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(body.as_bytes()).unwrap();
        p
    }

    fn err_text(r: Result<Dataset>) -> String {
        match r {
            Err(e) => e.to_string(),
            Ok(_) => panic!("expected an error"),
        }
    }

    #[test]
    fn rfc3339_timestamps_of_mixed_forms_all_parse() {
        // Z and offsets, with and without fractions, in one column: each counted by UTC day.
        let d = tempfile::tempdir().unwrap();
        let p = csv(
            d.path(),
            "u.ndjson",
            concat!(
                r#"{"starting_at":"2026-10-01T00:00:00Z","model":"claude-opus-4-5","output_tokens":1}"#,
                "\n",
                r#"{"starting_at":"2026-10-01T12:30:00.250Z","model":"claude-opus-4-5","output_tokens":2}"#,
                "\n",
                r#"{"starting_at":"2026-10-02T01:00:00+02:00","model":"claude-opus-4-5","output_tokens":4}"#,
                "\n",
                r#"{"starting_at":"2026-10-03T23:30:00.5-01:00","model":"claude-opus-4-5","output_tokens":8}"#,
                "\n",
                r#"{"starting_at":"2026-10-05T00:00:00+00:00","model":"claude-opus-4-5","output_tokens":16}"#,
                "\n",
            ),
        );
        let ds = load(&[p], None).unwrap();
        let days: Vec<String> = ds.days.iter().map(|d| d.to_string()).collect();
        // 2026-10-02T01:00+02:00 is 2026-10-01 23:00 UTC; 2026-10-03T23:30-01:00 is the 4th.
        assert_eq!(days, ["2026-10-01", "2026-10-04", "2026-10-05"]);
        assert_eq!(ds.rows.iter().map(|r| r.tokens.output).sum::<u64>(), 31);
    }

    #[test]
    fn a_count_too_large_is_named() {
        let d = tempfile::tempdir().unwrap();
        let p = csv(
            d.path(),
            "u.csv",
            "date,model,output_tokens\n2026-10-01,claude-opus-4-5,5\n2026-10-02,claude-opus-4-5,99999999999999999999\n",
        );
        let e = err_text(load(&[p], None));
        assert!(e.contains("u.csv:3: row 2, column `output_tokens`"), "{e}");
        assert!(e.contains("exceeds the largest count"), "{e}");
        let p = csv(
            d.path(),
            "v.csv",
            "date,model,output_tokens\n2026-10-01,claude-opus-4-5,9223372036854775000\n",
        );
        let e = err_text(load(&[p], None));
        assert!(
            e.contains("v.csv:2: row 1") && e.contains("exceeds the largest count"),
            "{e}"
        );
    }

    #[test]
    fn sums_that_would_wrap_are_refused() {
        // 10,000 rows of 10^15 tokens: each row is allowed, their sum is not countable.
        let d = tempfile::tempdir().unwrap();
        let mut body = String::from("date,model,output_tokens\n");
        for _ in 0..10_000 {
            body.push_str("2026-10-01,claude-opus-4-5,1000000000000000\n");
        }
        let p = csv(d.path(), "u.csv", &body);
        let e = err_text(load(&[p], None));
        assert!(
            e.contains("u.csv") && e.contains("more than govreview can count"),
            "{e}"
        );
    }

    #[test]
    fn short_rows_are_refused_not_zero_filled() {
        let d = tempfile::tempdir().unwrap();
        let p = csv(
            d.path(),
            "u.csv",
            "date,model,uncached_input_tokens,output_tokens\n2026-10-01,claude-opus-4-5,10,5\n2026-10-02,claude-opus-4-5,12\n",
        );
        let e = err_text(load(&[p], None));
        assert!(
            e.contains("u.csv:3: row 2") && e.contains("has 3 fields but the header has 4"),
            "{e}"
        );
    }

    #[test]
    fn ndjson_syntax_errors_name_the_line() {
        let d = tempfile::tempdir().unwrap();
        let p = csv(
            d.path(),
            "u.ndjson",
            "{\"date\":\"2026-10-01\",\"model\":\"claude-opus-4-5\",\"output_tokens\":1}\n{\"date\":\"2026-10-02\",\"model\":\"claude-opus-4-5\",\"output_tokens\":1\n",
        );
        let e = err_text(load(&[p], None));
        assert!(e.contains("u.ndjson:2:"), "{e}");
        assert!(e.len() < 400, "{e}");
    }

    #[test]
    fn csv_rows_aggregate_into_the_cube() {
        let d = tempfile::tempdir().unwrap();
        let p = csv(
            d.path(),
            "u.csv",
            "date,model,service_tier,team,uncached_input_tokens,cache_read_input_tokens,output_tokens,requests\n\
             2026-10-01,claude-opus-4-5,standard,search,100,50,10,2\n\
             2026-10-02,claude-opus-4-5,,search,200,0,20,\n\
             2026-09-30,claude-opus-4-5,batch,search,1,2,3,1\n",
        );
        let ds = load(&[p], None).unwrap();
        assert_eq!(ds.rows.len(), 2);
        let oct = ds
            .rows
            .iter()
            .find(|r| r.month.to_string() == "2026-10")
            .unwrap();
        assert_eq!(oct.tier, "standard");
        assert_eq!(oct.tokens.uncached_input, 300);
        assert_eq!(oct.tokens.cache_read, 50);
        assert_eq!(oct.tokens.output, 30);
        assert_eq!(oct.requests, 2);
        assert_eq!(oct.output_with_requests, 10);
        assert_eq!(oct.rows, 2);
        assert_eq!(ds.days.len(), 3);
        assert_eq!(ds.files[0].rows, 3);
    }

    #[test]
    fn legacy_cache_write_column_counts_as_5m() {
        let d = tempfile::tempdir().unwrap();
        let p = csv(
            d.path(),
            "u.csv",
            "date,model,cache_creation_input_tokens\n2026-10-01,m,7\n",
        );
        let ds = load(&[p], None).unwrap();
        assert_eq!(ds.rows[0].tokens.cache_write_5m, 7);
        assert!(ds.files[0].tier_missing, "no service_tier column");
    }

    #[test]
    fn billed_cost_is_summed_exactly() {
        let d = tempfile::tempdir().unwrap();
        let p = csv(
            d.path(),
            "u.csv",
            "date,model,output_tokens,cost_usd\n2026-10-01,m,1,0.1\n2026-10-02,m,1,0.2\n",
        );
        let ds = load(&[p], None).unwrap();
        assert!(ds.rows[0].billed);
        assert_eq!(ds.rows[0].billed_cost, 0.3);
    }

    #[test]
    fn timestamps_become_utc_days() {
        let d = tempfile::tempdir().unwrap();
        let p = csv(
            d.path(),
            "u.csv",
            "starting_at,model,output_tokens\n2026-10-31T23:00:00-02:00,m,5\n2026-10-01T00:00:00Z,m,1\n",
        );
        let ds = load(&[p], None).unwrap();
        let months: Vec<String> = ds.rows.iter().map(|r| r.month.to_string()).collect();
        assert_eq!(months, ["2026-10", "2026-11"]);
    }

    #[test]
    fn commitment_term_splits_rows() {
        let d = tempfile::tempdir().unwrap();
        let p = csv(
            d.path(),
            "u.csv",
            "date,model,output_tokens\n2026-10-14,m,5\n2026-10-15,m,7\n",
        );
        let term = (
            NaiveDate::from_ymd_opt(2026, 10, 15).unwrap(),
            NaiveDate::from_ymd_opt(2027, 10, 14).unwrap(),
        );
        let ds = load(&[p], Some(term)).unwrap();
        let inside: u64 = ds
            .rows
            .iter()
            .filter(|r| r.in_term)
            .map(|r| r.tokens.output)
            .sum();
        assert_eq!(inside, 7);
    }

    #[test]
    fn bad_rows_are_named() {
        let d = tempfile::tempdir().unwrap();
        let p = csv(
            d.path(),
            "a.csv",
            "date,model,output_tokens\n2026-10-01,m,5\n2026-10-02,m,-3\n",
        );
        let e = err_text(load(std::slice::from_ref(&p), None));
        assert!(
            e.contains("a.csv:3: row 2, column `output_tokens`: `-3` is negative"),
            "{e}"
        );
        let p = csv(
            d.path(),
            "b.csv",
            "date,model,output_tokens\n2026-10-01,m,5x\n",
        );
        let e = err_text(load(&[p], None));
        assert!(
            e.contains("row 1, column `output_tokens`: `5x` is not a whole number"),
            "{e}"
        );
        let p = csv(d.path(), "c.csv", "date,model\n2026-13-01,m\n");
        let e = err_text(load(&[p], None));
        assert!(
            e.contains("row 1, column `date`: `2026-13-01` is not a date"),
            "{e}"
        );
        let p = csv(d.path(), "d.csv", "day,model\n2026-10-01,m\n");
        let e = err_text(load(&[p], None));
        assert!(e.contains("required column is missing"), "{e}");
    }

    #[test]
    fn hashed_and_exact_cubes_agree() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let files = expand_paths(&["sample-data/usage/2026-0[89].csv".into()], root).unwrap();
        let sources: Vec<Source> = files
            .iter()
            .map(|p| open(p, anthropic::Kind::Canonical, None).unwrap())
            .collect();
        let plan = Plan {
            requests: true,
            text_counts: true,
            ..Plan::default()
        };
        let sorted = |df: DataFrame| {
            let term = None;
            let mut rows = to_rows(&df, &plan, term).unwrap();
            rows.sort_by(|a, b| {
                (
                    a.file,
                    a.month,
                    &a.team,
                    &a.app,
                    &a.api_key_id,
                    &a.model,
                    &a.tier,
                )
                    .cmp(&(
                        b.file,
                        b.month,
                        &b.team,
                        &b.app,
                        &b.api_key_id,
                        &b.model,
                        &b.tier,
                    ))
            });
            rows
        };
        let sources: Vec<(usize, &Source)> = sources.iter().enumerate().collect();
        let hashed = cube_query_with(&sources, &plan, true).unwrap().unwrap();
        let exact = cube_query_with(&sources, &plan, false).unwrap().unwrap();
        let (h, e) = (sorted(hashed), sorted(exact));
        assert!(h.len() >= 30, "{}", h.len());
        assert_eq!(h, e);
    }

    #[test]
    fn a_hash_collision_is_detected() {
        let ok = df!("__check_min" => [1u64, 7], "__check_max" => [1u64, 7]).unwrap();
        let mixed = df!("__check_min" => [1u64, 7], "__check_max" => [1u64, 8]).unwrap();
        assert!(!mixes_keys(&ok).unwrap());
        assert!(mixes_keys(&mixed).unwrap());
    }

    #[test]
    fn console_usage_exports_map_onto_the_canonical_columns() {
        let d = tempfile::tempdir().unwrap();
        let new = csv(
            d.path(),
            "console.csv",
            "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens,web_search_count,inference_geo,speed\n\
             2026-10-01,claude-sonnet-4-5-20250929,support-bot,Default,batch,\u{2264} 200k,100,20,10,300,50,2,global,standard\n",
        );
        let old = csv(
            d.path(),
            "console-old.csv",
            "usage_date_utc,model_version,api_key,workspace,usage_type,usage_input_tokens_no_cache,usage_input_tokens_cache_write,usage_input_tokens_cache_read,usage_output_tokens\n\
             2026-10-02,claude-haiku-4-5,jobs,Research,standard,7,8,9,10\n",
        );
        let ds = load(&[new, old], None).unwrap();
        assert_eq!(ds.files[0].format, "console usage");
        let a = &ds
            .rows
            .iter()
            .find(|r| r.model.starts_with("claude-sonnet"))
            .unwrap();
        assert_eq!(a.tokens, Tokens::new(100, 20, 10, 300, 50));
        assert_eq!(a.tier, "batch");
        assert_eq!(a.api_key_id.as_deref(), Some("support-bot"));
        assert_eq!(a.workspace_id.as_deref(), Some("Default"));
        assert_eq!(a.web_search_requests, 2);
        let b = &ds
            .rows
            .iter()
            .find(|r| r.model.starts_with("claude-haiku"))
            .unwrap();
        assert_eq!(
            b.tokens,
            Tokens::new(7, 8, 0, 9, 10),
            "the single cache-write column is 5-minute writes"
        );
    }

    #[test]
    fn report_pages_and_cost_exports() {
        let d = tempfile::tempdir().unwrap();
        let usage = csv(
            d.path(),
            "u.csv",
            "date,model,workspace_id,output_tokens\n2026-10-01,claude-sonnet-4-5,Default,5\n",
        );
        let cost = csv(
            d.path(),
            "cost.csv",
            "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed\n\
             2026-10-01,Claude Sonnet 4.5,Default,bot,standard,\u{2264} 200k,output,1.25,1.50,tokens,global,standard\n\
             2026-10-01,Claude Haiku 3.5,Default,bot,batch,\u{2264} 200k,input_no_cache,0.5,0.5,tokens,global,standard\n",
        );
        let ds = load(&[usage.clone(), cost.clone()], None).unwrap();
        assert_eq!(ds.files[1].format, "console cost");
        assert_eq!(ds.costs.len(), 2);
        assert_eq!(ds.costs[0].1.model.as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(ds.costs[1].1.model.as_deref(), Some("claude-3-5-haiku"));
        assert_eq!(ds.costs[0].1.usd, 1.25);
        let e = err_text(load(std::slice::from_ref(&cost), None));
        assert!(e.contains("only cost data was given"), "{e}");
        let bad = csv(
            d.path(),
            "bad-cost.csv",
            "usage_date_utc,model,workspace,token_type,cost_usd\n2026-10-01,Claude Sonnet 4.5,Default,output,1.2.3\n",
        );
        let e = err_text(load(&[usage.clone(), bad], None));
        assert!(
            e.contains("bad-cost.csv:2: row 1, column `cost_usd`: `1.2.3` is not a number"),
            "{e}"
        );
        let copy = csv(
            d.path(),
            "cost-copy.csv",
            &std::fs::read_to_string(&cost).unwrap(),
        );
        let e = err_text(load(&[usage, cost, copy], None));
        assert!(e.contains("the same cost data loaded twice"), "{e}");
        let truncated = csv(
            d.path(),
            "cut.json",
            r#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","results":[{"model":"#,
        );
        let e = err_text(load(&[truncated], None));
        assert!(e.contains("cut.json: is not valid JSON at line 1"), "{e}");
        let empty = csv(
            d.path(),
            "empty.json",
            r#"{"data":[{"starting_at":"2026-10-05T00:00:00Z","results":[]}],"has_more":false}"#,
        );
        let full = csv(
            d.path(),
            "full.json",
            r#"{"data":[{"starting_at":"2026-10-04T00:00:00Z","results":[{"model":"claude-opus-4-5","output_tokens":5}]}]}"#,
        );
        let ds = load(&[empty, full], None).unwrap();
        assert_eq!(ds.files[0].rows, 0, "an empty page is a normal page");
        assert_eq!(ds.days.len(), 2, "the empty bucket's day is covered");
        assert_eq!(ds.rows[0].tier, "standard");
    }

    #[test]
    fn the_same_data_twice_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let body = "date,model,output_tokens\n2026-10-01,m,5\n2026-10-02,m,5\n";
        let a = csv(d.path(), "a.csv", body);
        let b = csv(d.path(), "b.csv", body);
        let e = err_text(load(&[a.clone(), b], None));
        assert!(e.contains("the same data loaded twice"), "{e}");
        // Consecutive halves of a month are fine.
        let c = csv(
            d.path(),
            "c.csv",
            "date,model,output_tokens\n2026-10-03,m,5\n",
        );
        assert!(load(&[a, c], None).is_ok());
    }
}

#[cfg(test)]
mod parquet_tests {
    use super::*;

    /// Writes `body` (CSV) as Parquet with typed columns (counts as `ints`), `rows` rows per row
    /// group.
    fn parquet(dir: &Path, name: &str, body: &str, rows: usize, ints: DataType) -> PathBuf {
        let csv = dir.join(format!("{name}.csv"));
        std::fs::write(&csv, body).unwrap();
        let lf = scan(&csv, Format::Csv).unwrap();
        let schema = lf.clone().collect_schema().unwrap();
        let exprs: Vec<Expr> = schema
            .iter_names()
            .map(|n| match n.as_str() {
                "date" => col("date").str().to_date(strptime(Some("%Y-%m-%d"))),
                "starting_at" => col("starting_at").str().to_datetime(
                    Some(TimeUnit::Microseconds),
                    Some(TimeZone::UTC),
                    strptime(None),
                    lit("raise"),
                ),
                "model" | "service_tier" | "team" | "app" | "workspace_id" | "api_key_id" => {
                    col(n.as_str())
                }
                "cost_usd" => col("cost_usd").cast(DataType::Float64),
                other => col(other).cast(ints.clone()),
            })
            .collect();
        let mut df = lf.select(exprs).collect().unwrap();
        let p = dir.join(name);
        ParquetWriter::new(std::fs::File::create(&p).unwrap())
            .with_row_group_size(Some(rows))
            .finish(&mut df)
            .unwrap();
        p
    }

    fn both(files: &[PathBuf], term: Option<(NaiveDate, NaiveDate)>) -> (Dataset, Dataset) {
        let inputs: Vec<(PathBuf, Option<anthropic::Kind>)> =
            files.iter().map(|p| (p.clone(), None)).collect();
        let fast = load_inner(&inputs, term, true).unwrap();
        let general = load_inner(&inputs, term, false).unwrap();
        (fast, general)
    }

    fn errors(files: &[PathBuf]) -> (String, String) {
        let inputs: Vec<(PathBuf, Option<anthropic::Kind>)> =
            files.iter().map(|p| (p.clone(), None)).collect();
        let text = |fast| match load_inner(&inputs, None, fast) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("expected an error"),
        };
        (text(true), text(false))
    }

    const HEADER: &str = "date,team,workspace_id,model,service_tier,uncached_input_tokens,cache_creation_input_tokens,cache_read_input_tokens,output_tokens,requests,web_search_requests\n";

    #[test]
    fn the_fast_path_gives_the_general_query_s_cube() {
        let d = tempfile::tempdir().unwrap();
        // Nulls and empty text in the keys, a missing tier, rows without a request count, the
        // older single cache-write column, and row groups that straddle months and the term start.
        let a = parquet(
            d.path(),
            "a.parquet",
            &format!(
                "{HEADER}\
2026-09-29,a,w1,claude-opus-4-5,standard,10,1,2,3,1,0\n\
2026-09-30,,w1,claude-opus-4-5,,20,0,0,4,,1\n\
2026-10-01,a,w1,claude-opus-4-5,batch,30,0,5,6,2,0\n\
2026-10-14,a,,claude-haiku-4-5,batch,40,0,0,7,1,0\n\
2026-10-15,a,,claude-haiku-4-5,batch,50,2,0,8,,2\n\
2026-10-15,,w1,claude-opus-4-5,,60,0,0,9,3,0\n\
2026-10-31,a,w1,claude-opus-4-5,standard,70,0,1,1,1,0\n"
            ),
            3,
            DataType::Int64,
        );
        let b = parquet(
            d.path(),
            "b.parquet",
            "date,model,output_tokens\n2026-08-02,claude-sonnet-4-5,5\n2026-08-02,claude-sonnet-4-5,6\n",
            1,
            DataType::Int32,
        );
        let files = [a, b];
        for f in &files {
            let s = open(f, anthropic::Kind::Canonical, None).unwrap();
            assert!(
                parquet::eligible(s.label, &s.schema).is_some(),
                "{}",
                f.display()
            );
        }
        let starts = Some((
            NaiveDate::from_ymd_opt(2026, 10, 15).unwrap(),
            NaiveDate::from_ymd_opt(2027, 10, 14).unwrap(),
        ));
        // Ends mid-month: within a row group, later days are out of the term again.
        let ends = Some((
            NaiveDate::from_ymd_opt(2025, 10, 15).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 14).unwrap(),
        ));
        for term in [None, starts, ends] {
            let (fast, general) = both(&files, term);
            assert_eq!(fast.rows, general.rows);
            assert_eq!(fast.files, general.files);
            assert_eq!(fast.days, general.days);
        }
        let (fast, _) = both(&files, None);
        // By hand: October, team a, opus, batch: one row.
        let r = fast
            .rows
            .iter()
            .find(|r| r.tier == "batch" && r.model == "claude-opus-4-5")
            .unwrap();
        assert_eq!(
            (r.tokens.uncached_input, r.tokens.cache_read, r.rows),
            (30, 5, 1)
        );
        // Haiku: two days, one of the two rows without a request count.
        let h = fast
            .rows
            .iter()
            .find(|r| r.model == "claude-haiku-4-5")
            .unwrap();
        assert_eq!(h.workspace_id, None);
        assert_eq!(
            (
                h.tokens.uncached_input,
                h.tokens.cache_write_5m,
                h.tokens.output
            ),
            (90, 2, 15)
        );
        assert_eq!(
            (h.requests, h.output_with_requests, h.web_search_requests),
            (1, 7, 2)
        );
        assert_eq!(
            (h.first_day.to_string(), h.last_day.to_string()),
            ("2026-10-14".into(), "2026-10-15".into())
        );
        // A missing tier is standard; an empty team is no team.
        assert!(
            fast.rows
                .iter()
                .any(|r| r.team.is_none() && r.tier == "standard" && r.tokens.uncached_input == 20)
        );
        assert_eq!(fast.days.len(), 7);
    }

    #[test]
    fn timestamps_count_by_their_utc_day_on_both_paths() {
        let d = tempfile::tempdir().unwrap();
        let body = "starting_at,model,service_tier,output_tokens,requests\n\
1969-12-31T23:00:00Z,m,batch,1,1\n\
2026-09-30T23:59:59.999999Z,m,batch,2,1\n\
2026-10-01T00:00:00Z,m,batch,4,1\n\
2026-10-31T23:59:59Z,m,,8,\n";
        let utc = parquet(d.path(), "utc.parquet", body, 3, DataType::Int64);
        // The same instants as naive millisecond timestamps.
        let mut naive = LazyFrame::scan_parquet(
            PlRefPath::try_from_path(&utc).unwrap(),
            ScanArgsParquet::default(),
        )
        .unwrap()
        .with_column(
            col("starting_at")
                .dt()
                .replace_time_zone(None, lit("raise"), NonExistent::Raise)
                .cast(DataType::Datetime(TimeUnit::Milliseconds, None)),
        )
        .collect()
        .unwrap();
        let naive_path = d.path().join("naive.parquet");
        ParquetWriter::new(std::fs::File::create(&naive_path).unwrap())
            .with_row_group_size(Some(2))
            .finish(&mut naive)
            .unwrap();
        for p in [utc, naive_path] {
            let s = open(&p, anthropic::Kind::Canonical, None).unwrap();
            assert!(matches!(
                parquet::eligible(s.label, &s.schema),
                Some(parquet::Day::Timestamp(_))
            ));
            let (fast, general) = both(std::slice::from_ref(&p), None);
            assert_eq!(fast.rows, general.rows);
            assert_eq!(fast.days, general.days);
            let by_month = |m: &str| -> u64 {
                fast.rows
                    .iter()
                    .filter(|r| r.month.to_string() == m)
                    .map(|r| r.tokens.output)
                    .sum()
            };
            assert_eq!(
                (
                    by_month("1969-12"),
                    by_month("2026-09"),
                    by_month("2026-10")
                ),
                (1, 2, 12)
            );
        }
    }

    #[test]
    fn billed_costs_are_summed_exactly_on_both_paths() {
        let d = tempfile::tempdir().unwrap();
        // Billed and unbilled rows of the same keys stay apart; a credit; a half-cent-of-a-
        // millionth that rounds away from zero.
        let body = "date,model,output_tokens,cost_usd\n\
2026-10-01,m,1,0.123456785\n\
2026-10-02,m,2,\n\
2026-10-03,m,4,-1.5\n\
2026-10-04,m,8,2.000000004\n\
2026-09-30,m,16,0.25\n";
        let p = parquet(d.path(), "billed.parquet", body, 2, DataType::Int64);
        let s = open(&p, anthropic::Kind::Canonical, None).unwrap();
        assert_eq!(
            parquet::eligible(s.label, &s.schema),
            Some(parquet::Day::Date)
        );
        let (fast, general) = both(std::slice::from_ref(&p), None);
        assert_eq!(fast.rows, general.rows);
        let oct_billed = fast
            .rows
            .iter()
            .find(|r| r.month.to_string() == "2026-10" && r.billed)
            .unwrap();
        // 12345678.5 -> 12345679; -150000000; 200000000.4 -> 200000000 (1e-8 USD).
        assert_eq!(oct_billed.billed_cost, 0.62345679);
        assert_eq!((oct_billed.tokens.output, oct_billed.rows), (13, 3));
        let oct_unbilled = fast
            .rows
            .iter()
            .find(|r| r.month.to_string() == "2026-10" && !r.billed)
            .unwrap();
        assert_eq!(
            (oct_unbilled.tokens.output, oct_unbilled.billed_cost),
            (2, 0.0)
        );
    }

    #[test]
    fn a_far_future_day_in_a_row_group_is_counted_like_any_other() {
        let d = tempfile::tempdir().unwrap();
        let p = parquet(
            d.path(),
            "far.parquet",
            "date,model,output_tokens\n2026-10-01,m,5\n9999-12-31,m,7\n",
            2,
            DataType::Int64,
        );
        let (fast, general) = both(&[p], None);
        assert_eq!(fast.rows, general.rows);
        assert_eq!(fast.days, general.days);
        assert_eq!(fast.rows.len(), 2);
    }

    #[test]
    fn keys_too_many_to_fold_into_64_bits_take_the_wide_key() {
        // 1,800 distinct values in each of the six text columns of one row group: the product
        // of the dictionary sizes passes 2^64, so rows are keyed on the codes side by side.
        let d = tempfile::tempdir().unwrap();
        let mut body = String::from(
            "date,team,app,workspace_id,api_key_id,model,service_tier,output_tokens\n",
        );
        for i in 0..1800 {
            let day = 1 + i % 28;
            body.push_str(&format!(
                "2026-10-{day:02},t{i},a{i},w{i},k{i},m{i},s{i},{i}\n"
            ));
        }
        body.push_str("2026-10-03,t1,a1,w1,k1,m1,s1,1000\n");
        let p = parquet(d.path(), "wide.parquet", &body, 4096, DataType::Int64);
        let (fast, general) = both(&[p], None);
        assert_eq!(fast.rows, general.rows);
        assert_eq!(fast.rows.len(), 1800);
        let one = fast.rows.iter().find(|r| r.model == "m1").unwrap();
        assert_eq!((one.tokens.output, one.rows), (1001, 2));
    }

    #[test]
    fn bad_rows_in_parquet_are_named_as_by_the_general_query() {
        let d = tempfile::tempdir().unwrap();
        let cases = [
            (
                "neg.parquet",
                "2026-10-02,a,w,m,standard,1,0,0,-4,1,0\n",
                "is negative",
            ),
            (
                "model.parquet",
                "2026-10-02,a,w,,standard,1,0,0,4,1,0\n",
                "column `model`",
            ),
            (
                "date.parquet",
                ",a,w,m,standard,1,0,0,4,1,0\n",
                "column `date`",
            ),
        ];
        for (name, bad, want) in cases {
            let body = format!("{HEADER}2026-10-01,a,w,m,standard,1,0,0,1,1,0\n{bad}");
            let p = parquet(d.path(), name, &body, 1, DataType::Int64);
            let (fast, general) = errors(&[p]);
            assert_eq!(fast, general);
            assert!(fast.contains("row 2") && fast.contains(want), "{fast}");
        }
    }
}
