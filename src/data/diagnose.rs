//! When the main pass saw something wrong: which file, which row, and what; and the bounds that
//! keep every sum exact.

use std::path::Path;

use polars::prelude::*;

use crate::cube::Dataset;
use crate::data::detect::Format;
use crate::data::source::MAX_COUNT;
use crate::data::source::Plan;
use crate::data::source::Source;
use crate::data::source::TOO_LARGE;
use crate::data::source::canonical;
use crate::data::source::polars_err;
use crate::error::{Error, Result};

/// The first file with a bad row: an unparsable or missing day or model (their groups have null
/// keys), a negative count, or a count or cost that is not a number.
pub(crate) fn first_bad_file(cube: &DataFrame) -> PolarsResult<Option<usize>> {
    let file = cube.column("file")?.cast(&DataType::Int64)?;
    // A day-level cube keys on the day instead of the month: either is null for a bad day.
    let month = cube
        .column("month")
        .or_else(|_| cube.column("dayk"))?
        .cast(&DataType::Int64)?;
    let model = cube.column("model")?.str()?.clone();
    let min = cube.column("min_count")?.cast(&DataType::Int64)?;
    let max = cube.column("max_count")?.cast(&DataType::Int64)?;
    let max = max.i64()?;
    let unparsed = match cube.column("unparsed") {
        Ok(c) => Some(c.cast(&DataType::Int64)?),
        Err(_) => None,
    };
    let cost_bad = match cube.column("cost_bad") {
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
            || [&unparsed, &cost_bad].iter().any(|c| {
                c.as_ref()
                    .and_then(|u| u.i64().ok().and_then(|a| a.get(i)))
                    .is_some_and(|n| n > 0)
            });
        if broken && let Some(f) = file.get(i) {
            bad = Some(bad.map_or(f, |b| b.min(f)));
        }
    }
    Ok(bad.map(|f| f as usize))
}

/// Refuses a cube whose 64-bit sums might have wrapped: a group's sums are at most its rows
/// times its largest count, so when that product fits, every sum of the group is exact.
pub(crate) fn sums_fit(cube: &DataFrame, sources: &[Source]) -> Result<()> {
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
    // The billed cost's sums, bounded the same way by the largest amount.
    if let Ok(c) = cube.column("max_cost") {
        let c = c.cast(&DataType::Int64).map_err(internal)?;
        let c = c.i64().map_err(internal)?;
        for i in 0..cube.height() {
            let (Some(n), Some(m)) = (rows.get(i), c.get(i)) else {
                continue;
            };
            if i128::from(n) * i128::from(m.max(0)) > i128::from(i64::MAX) {
                let f = file.get(i).unwrap_or(0) as usize;
                return Err(too_many_tokens(sources.get(f).map(|s| s.path.as_path())));
            }
        }
    }
    Ok(())
}

/// The error for counts whose sums exceed what 64 bits hold.
pub(crate) fn too_many_tokens(path: Option<&Path>) -> Error {
    let msg = "holds counts that add up to more than govreview can count (9.2 x 10^18 of one kind in one month); check that the count columns hold token and request counts";
    match path {
        Some(p) => Error::data(p, None, None, msg),
        None => Error::Input(format!("the usage data {msg}")),
    }
}

/// Refuses data whose totals over all files would not fit the 64-bit counts downstream: once
/// the grand totals fit, every sum the review takes of them does too.
pub(crate) fn totals_fit(ds: &Dataset) -> Result<()> {
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
pub(crate) fn query_error<'a>(
    sources: impl Iterator<Item = &'a Source> + Clone,
    e: PolarsError,
) -> Error {
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

/// Finds the first bad row of a file and says what is wrong with it.
pub(crate) fn diagnose(src: &Source, plan: &Plan) -> Error {
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
        _ => {
            return unreadable_time(src)
                .unwrap_or_else(|| Error::data(path, None, None, "has invalid rows"));
        }
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
            let line = src.format.line_of_row(row);
            if raw.is_none()
                && src.format == Format::Csv
                && line.is_some_and(|l| blank_line(path, l))
            {
                let e = Error::data(
                    path,
                    Some(row),
                    None,
                    "is a blank line; remove it (a CSV file holds one row on every line, a blank line included, and this one has no values)",
                );
                return e.with_line(line);
            }
            let shown = match &raw {
                Some(v) => format!("`{v}`"),
                None => "the empty value".to_owned(),
            };
            let message = raw
                .as_deref()
                .and_then(|v| misread(v, &ch.column))
                .unwrap_or_else(|| ch.message.clone());
            // A Console export is named in its own columns, not the canonical ones it is read as.
            let console = src.label == "console usage";
            let name = |t: &str| {
                if console {
                    console_names(t)
                } else {
                    t.to_owned()
                }
            };
            let e = Error::data(
                path,
                Some(row),
                Some(&name(&ch.column)),
                format!("{shown} {}", name(&message)),
            );
            return e.with_line(line);
        }
    }
    Error::data(path, Some(row), None, "is invalid")
}

/// `text` with each canonical column name (one with an underscore, so never a word of prose) a
/// Console usage export renames written as the export's column.
fn console_names(text: &str) -> String {
    use crate::anthropic::{CONSOLE_USAGE_RENAMES, CONSOLE_WEB_SEARCH};
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while let Some(c) = rest.chars().next() {
        if out.chars().next_back().is_none_or(|p| !word(p)) {
            for (console, canonical) in CONSOLE_USAGE_RENAMES.iter().chain([&CONSOLE_WEB_SEARCH]) {
                if canonical.contains('_')
                    && rest.starts_with(canonical)
                    && rest[canonical.len()..]
                        .chars()
                        .next()
                        .is_none_or(|n| !word(n))
                {
                    out.push_str(console);
                    rest = &rest[canonical.len()..];
                    continue 'scan;
                }
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// When the query itself failed on a file's `starting_at` text (the parser takes its format from
/// the first value, and a first value that is no time at all, such as `24:00`, fails the whole
/// column): the first value that is not an RFC 3339 time, named by row.
fn unreadable_time(src: &Source) -> Option<Error> {
    if !matches!(src.schema.get("starting_at"), Some(DataType::String)) {
        return None;
    }
    let df = src
        .frame
        .clone()
        .select([col("starting_at")])
        .collect()
        .ok()?;
    let values = df.column("starting_at").ok()?.str().ok()?.clone();
    let (i, v) = values.iter().enumerate().find_map(|(i, v)| {
        let v = v?;
        chrono::DateTime::parse_from_rfc3339(&v.trim().to_uppercase())
            .is_err()
            .then(|| (i, v.to_owned()))
    })?;
    let row = i as u64 + 1;
    Some(
        Error::data(
            &src.path,
            Some(row),
            Some("starting_at"),
            format!(
                "`{v}` is not an RFC 3339 timestamp (a real date and time with its offset, e.g. 2026-10-01T00:00:00Z)"
            ),
        )
        .with_line(src.format.line_of_row(row)),
    )
}

/// The first row (from 1) of a file whose text column `column` reads `value`, and its line in a
/// text file; (None, None) when it cannot be found (the caller names the file and column).
pub(crate) fn row_with(src: &Source, column: &str, value: &str) -> (Option<u64>, Option<u64>) {
    if src.schema.get(column).is_none() {
        return (None, None);
    }
    let found = src
        .frame
        .clone()
        .with_row_index("__row", None)
        .filter(col(column).cast(DataType::String).eq(lit(value.to_owned())))
        .select([col("__row")])
        .limit(1)
        .collect();
    let row = found.ok().and_then(|df| {
        df.column("__row")
            .ok()
            .and_then(|c| c.cast(&DataType::UInt64).ok())
            .and_then(|c| c.u64().ok().and_then(|a| a.get(0)))
    });
    match row {
        Some(r) => (Some(r + 1), src.format.line_of_row(r + 1)),
        None => (None, None),
    }
}

/// Whether line `line` (from 1) of a text file holds nothing but spaces.
fn blank_line(path: &Path, line: u64) -> bool {
    use std::io::BufRead;
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let at = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
    std::io::BufReader::new(f)
        .split(b'\n')
        .nth(at)
        .and_then(std::result::Result::ok)
        .is_some_and(|l| l.iter().all(u8::is_ascii_whitespace))
}

/// The real cause of a value that failed to read, where it is a common way of writing a number
/// that the column does not take: spaces around it, scientific notation, a fraction in a count,
/// or a whole number too long for 64 bits.
fn misread(raw: &str, column: &str) -> Option<String> {
    let t = raw.trim();
    if t == column {
        return Some(
            "is the column's own name: this line repeats the header (two files joined into one?); remove it"
                .to_owned(),
        );
    }
    if column == "date" {
        return chrono::DateTime::parse_from_rfc3339(&t.to_uppercase())
            .is_ok()
            .then(|| {
                "is a timestamp, not a day: name the column `starting_at` to read RFC 3339 timestamps (each counted on its UTC day), or write the day as YYYY-MM-DD".to_owned()
            });
    }
    if t != raw && !t.is_empty() && t.parse::<f64>().is_ok() {
        return Some(format!(
            "has spaces around the number; remove them (write {t})"
        ));
    }
    let is_count = column != "cost_usd";
    if is_count {
        let d = t.trim_start_matches('+');
        if d.len() > 18 && d.bytes().all(|b| b.is_ascii_digit()) {
            return Some(TOO_LARGE.to_owned());
        }
        if let Ok(v) = t.parse::<f64>()
            && v.is_finite()
        {
            if t.contains(['e', 'E']) && v.fract() == 0.0 && v.abs() < 1e18 {
                return Some(format!(
                    "is in scientific notation; write counts as whole numbers ({})",
                    v as i64
                ));
            }
            if v.fract() != 0.0 {
                return Some(
                    "has a fraction; token and request counts are whole numbers".to_owned(),
                );
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::misread;

    #[test]
    fn a_misread_number_says_why() {
        assert!(misread(" 150", "cost_usd").unwrap().contains("spaces"));
        assert!(
            misread("150 ", "output_tokens")
                .unwrap()
                .contains("write 150")
        );
        assert!(misread("2e4", "output_tokens").unwrap().contains("(20000)"));
        assert!(
            misread("1.5", "output_tokens")
                .unwrap()
                .contains("fraction")
        );
        assert!(
            misread("99999999999999999999", "output_tokens")
                .unwrap()
                .contains("largest count")
        );
        assert_eq!(misread("abc", "output_tokens"), None);
        assert!(
            misread("2026-10-01T00:00:00Z", "date")
                .unwrap()
                .contains("`starting_at`")
        );
        assert!(
            misread("2026-10-01t08:00:00+02:00", "date")
                .unwrap()
                .contains("UTC day")
        );
        assert_eq!(misread("10/01/2026", "date"), None);
        assert_eq!(misread("1e3", "date"), None);
        assert!(
            misread("date", "date")
                .unwrap()
                .contains("repeats the header")
        );
        assert_eq!(misread("1e40", "cost_usd"), None);
        assert_eq!(misread("12", "output_tokens"), None);
    }
}
