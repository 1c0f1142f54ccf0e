//! Plain CSV into the fast path's groups.
//!
//! The general query reads a CSV file with polars as text and groups every row on its six text
//! columns, and reads the file again for the daily series. Here each file is cut into blocks at
//! line ends, spread over all cores, and each block's values are parsed and coded in one pass
//! (the text keys as local codes, as a Parquet dictionary would give them) and summed into the
//! same groups and daily series as Parquet row groups (see [`super::group::sum_batch`]).
//!
//! It reads only values it reads exactly as the general query does: days written `YYYY-MM-DD`,
//! counts written as plain digits, costs as plain decimals, text unquoted or quoted without
//! escaped quotes. A file holding anything else (a count such as `1e3` or ` 12`, a quoted empty
//! value, a byte-order mark, a different header) is handed back, whole, to the general query,
//! which reads it or names the row that is wrong. Rows the general query would refuse (no model,
//! a negative or absurd count) mark the file bad, as on the Parquet path, so that the general
//! query names them.

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use polars::prelude::Schema;

use crate::data::aggregate::Split;
use crate::error::{Error, Result};

use std::os::unix::fs::FileExt;

use super::merge::{Scanned, merge, spread};
use super::sum::{Batch, Target, sum_batch, usd_e8};
use super::worker::{FxMap, MODEL, REQ, SUMS, TEXT, Way, Worker, count_columns};
use crate::data::detect::Format;

/// Bytes of a file one task reads (in unit tests, a few, so that their files span blocks).
#[cfg(not(test))]
const BLOCK: u64 = 8 << 20;
#[cfg(test)]
const BLOCK: u64 = 97;

/// The longest header line read.
const HEADER: usize = 64 << 10;

/// A CSV file for the fast path.
pub(crate) struct CsvFile {
    pub path: PathBuf,
    /// Its index among all usage files (the cube rows' `file`).
    pub index: usize,
}

/// Whether a file may take the CSV fast path: a canonical CSV file (not a Console export, which
/// the general query renames) whose rows take their day from `date`.
pub(crate) fn eligible(label: &str, format: Format, schema: &Schema) -> bool {
    format == Format::Csv
        && label == Format::Csv.name()
        && schema.get("date").is_some()
        && schema.get("model").is_some()
        // Usage priced beyond its model and tier: the general query keys on those columns.
        && crate::data::aggregate::VARIANT_KEYS
            .iter()
            .all(|c| schema.get(c).is_none())
        // Cache writes given twice are checked row by row by the general query.
        && !crate::data::source::cache_writes_twice(schema)
}

/// One file's columns, by their position in its header.
struct CsvLayout {
    path: PathBuf,
    index: usize,
    /// The file's length and the offset of its first row (after the header line).
    len: u64,
    start: u64,
    /// Fields per row.
    width: usize,
    date: usize,
    text: [Option<usize>; 6],
    /// Position of each summed count (`U`..`WEB`; `REQ_ROWS` and `O_REQ` are derived).
    counts: [Option<usize>; SUMS],
    cost: Option<usize>,
}

impl CsvLayout {
    fn blocks(&self) -> u64 {
        (self.len - self.start).div_ceil(BLOCK)
    }
}

/// What the CSV fast path read: the files' sums, and the files it handed back to the general
/// query (their values are not all of the plain kinds it reads).
pub(crate) struct CsvScanned {
    pub scanned: Scanned,
    pub declined: Vec<usize>,
}

/// Aggregates the files into cube rows (and the daily series when `daily`), as
/// [`super::scan`] does for Parquet; files it does not read are returned in `declined`.
pub(crate) fn scan(
    files: &[CsvFile],
    parts: &Split,
    daily: bool,
    way: Option<Way>,
) -> Result<CsvScanned> {
    let mut declined = Vec::new();
    let mut layouts = Vec::new();
    for f in files {
        match layout(&f.path, f.index)? {
            Some(l) => layouts.push(l),
            None => declined.push(f.index),
        }
    }
    loop {
        let refused: Vec<AtomicBool> = layouts.iter().map(|_| AtomicBool::new(false)).collect();
        let workers = run(&layouts, parts, daily, way, &refused)?;
        let again: Vec<bool> = refused.iter().map(|r| r.load(Ordering::Relaxed)).collect();
        if !again.contains(&true) {
            declined.sort_unstable();
            return Ok(CsvScanned {
                scanned: merge(workers, |i| {
                    layouts
                        .iter()
                        .find(|l| l.index == i)
                        .map(|l| l.path.as_path())
                })?,
                declined,
            });
        }
        // Some of a refused file's blocks may have been summed already: read the others again.
        let mut keep = Vec::with_capacity(layouts.len());
        for (l, refused) in layouts.into_iter().zip(again) {
            if refused {
                declined.push(l.index);
            } else {
                keep.push(l);
            }
        }
        layouts = keep;
    }
}

/// A file's header resolved to column positions; None when the fast path does not read it.
fn layout(path: &Path, index: usize) -> Result<Option<CsvLayout>> {
    let file = File::open(path).map_err(|e| Error::io(path, "cannot open", e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::io(path, "cannot read", e))?
        .len();
    let mut head = vec![0u8; HEADER.min(len as usize)];
    file.read_exact_at(&mut head, 0)
        .map_err(|e| Error::io(path, "cannot read", e))?;
    let Some(end) = memchr::memchr(b'\n', &head) else {
        return Ok(None);
    };
    let line = head[..end].strip_suffix(b"\r").unwrap_or(&head[..end]);
    // Quoted names, a byte-order mark or a blank first line: the general query's to read.
    if line.is_empty() || line.contains(&b'"') || line.starts_with(b"\xef\xbb\xbf") {
        return Ok(None);
    }
    let Ok(line) = std::str::from_utf8(line) else {
        return Ok(None);
    };
    let names: Vec<&str> = line.split(',').collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    if sorted.windows(2).any(|p| p[0] == p[1]) {
        return Ok(None);
    }
    let at = |name: &str| names.iter().position(|n| *n == name);
    let Some(date) = at("date") else {
        return Ok(None);
    };
    let text = TEXT.map(at);
    if text[MODEL].is_none() {
        return Ok(None);
    }
    let counts = count_columns(at);
    Ok(Some(CsvLayout {
        path: path.to_owned(),
        index,
        len,
        start: end as u64 + 1,
        width: names.len(),
        date,
        text,
        counts,
        cost: at("cost_usd"),
    }))
}

/// Reads every block of the files, spread over all cores; a file with a value the fast path
/// does not read is flagged in `refused` and its remaining blocks skipped.
fn run(
    layouts: &[CsvLayout],
    parts: &Split,
    daily: bool,
    way: Option<Way>,
    refused: &[AtomicBool],
) -> Result<Vec<Worker>> {
    let tasks: Vec<(usize, u64)> = layouts
        .iter()
        .enumerate()
        .flat_map(|(f, l)| (0..l.blocks()).map(move |b| (f, b)))
        .collect();
    spread(
        tasks.len(),
        daily,
        || -> (Vec<Option<File>>, Vec<u8>) {
            ((0..layouts.len()).map(|_| None).collect(), Vec::new())
        },
        |w, (handles, buf), t| {
            let (f, b) = tasks[t];
            if refused[f].load(Ordering::Relaxed) {
                return Ok(());
            }
            let l = &layouts[f];
            let file = match &mut handles[f] {
                Some(h) => h,
                slot => slot
                    .insert(File::open(&l.path).map_err(|e| Error::io(&l.path, "cannot open", e))?),
            };
            let lines =
                read_block(file, l, b, buf).map_err(|e| Error::io(&l.path, "cannot read", e))?;
            if !block(w, l, lines, parts, way)? {
                refused[f].store(true, Ordering::Relaxed);
            }
            Ok(())
        },
        |t| &layouts[tasks[t].0].path,
    )
}

/// Reads the lines of block `b` into `buf`: those that start within its bytes, the last one
/// whole. Returns them (line breaks included).
fn read_block<'a>(
    file: &File,
    l: &CsvLayout,
    b: u64,
    buf: &'a mut Vec<u8>,
) -> std::io::Result<&'a [u8]> {
    let lo = l.start + b * BLOCK;
    let hi = (lo + BLOCK).min(l.len);
    // From the byte before the block, to tell whether the block starts a line.
    let from = if b == 0 { lo } else { lo - 1 };
    buf.clear();
    buf.resize((hi - from) as usize, 0);
    file.read_exact_at(buf, from)?;
    // The block's last line runs on to its line break (or the end of the file).
    let last = (hi - 1 - from) as usize;
    let mut end = memchr::memchr(b'\n', &buf[last..]).map(|i| last + i + 1);
    let mut at = hi;
    while end.is_none() && at < l.len {
        let more = (64u64 << 10).min(l.len - at) as usize;
        let old = buf.len();
        buf.resize(old + more, 0);
        file.read_exact_at(&mut buf[old..], at)?;
        at += more as u64;
        end = memchr::memchr(b'\n', &buf[old..]).map(|i| old + i + 1);
    }
    let end = end.unwrap_or(buf.len());
    let begin = if b == 0 {
        0
    } else {
        memchr::memchr(b'\n', buf).map_or(end, |i| i + 1).min(end)
    };
    Ok(&buf[begin..end])
}

/// A block's values as the fast path codes them.
#[derive(Default)]
struct Parsed<'a> {
    days: Vec<i32>,
    codes: [Vec<u32>; 6],
    dicts: [Vec<&'a str>; 6],
    index: [FxMap<&'a [u8], u32>; 6],
    counts: [Vec<i64>; SUMS],
    /// 1 where the row has a request count.
    known: Vec<i64>,
    unknown_requests: bool,
    billed: Vec<u32>,
    cost: Vec<i64>,
}

/// Parses and sums one block's lines; false when a value is not one the fast path reads (a
/// blank line among them: the general query reads it as a row of empty values).
fn block(
    w: &mut Worker,
    l: &CsvLayout,
    lines: &[u8],
    parts: &Split,
    way: Option<Way>,
) -> Result<bool> {
    let mut p = Parsed::default();
    let mut fields: Vec<&[u8]> = Vec::with_capacity(l.width);
    if lines.is_empty() {
        return Ok(true);
    }
    let lines = lines.strip_suffix(b"\n").unwrap_or(lines);
    for line in lines.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !split(line, l.width, &mut fields) || !row(&mut p, l, &fields) {
            return Ok(false);
        }
    }
    let n = p.days.len();
    if n == 0 {
        return Ok(true);
    }
    let mut codes: Vec<Cow<[u32]>> = Vec::with_capacity(6);
    let mut dicts: Vec<Vec<Option<&str>>> = Vec::with_capacity(6);
    for c in 0..6 {
        if l.text[c].is_none() {
            codes.push(Cow::Borrowed(&[]));
            dicts.push(vec![None]);
            continue;
        }
        // No value is the dictionary's last entry.
        let none = p.dicts[c].len() as u32;
        let mut dict: Vec<Option<&str>> = p.dicts[c].iter().map(|t| Some(*t)).collect();
        dict.push(None);
        let mut col = std::mem::take(&mut p.codes[c]);
        for code in col.iter_mut().filter(|c| **c == u32::MAX) {
            *code = none;
        }
        codes.push(Cow::Owned(col));
        dicts.push(dict);
    }
    let mut counts: [Cow<[i64]>; SUMS] = Default::default();
    for (i, values) in p.counts.iter_mut().enumerate() {
        if l.counts[i].is_some() {
            counts[i] = Cow::Owned(std::mem::take(values));
        }
    }
    let batch = Batch {
        days: Cow::Owned(p.days),
        codes,
        dicts,
        counts,
        req_known: p.unknown_requests.then_some(p.known),
        billed_cost: l.cost.map(|_| (p.billed, p.cost)),
    };
    let target = Target {
        path: &l.path,
        index: l.index,
        group_file: l.index as u32,
        span: None,
    };
    sum_batch(w, &target, batch, parts, way)?;
    Ok(true)
}

/// Splits a line into its fields; false when it is not `width` plain or simply quoted fields.
fn split<'a>(line: &'a [u8], width: usize, fields: &mut Vec<&'a [u8]>) -> bool {
    fields.clear();
    if memchr::memchr(b'"', line).is_none() {
        fields.extend(line.split(|b| *b == b','));
        return fields.len() == width;
    }
    // Quoted fields: only whole-field quotes around a value without quotes in it (an escaped
    // quote or a quoted empty value is the general query's to read).
    let mut rest = line;
    loop {
        if let Some(q) = rest.strip_prefix(b"\"") {
            let Some(close) = memchr::memchr(b'"', q) else {
                return false;
            };
            if close == 0 {
                return false;
            }
            fields.push(&q[..close]);
            match &q[close + 1..] {
                [] => break,
                [b',', tail @ ..] => rest = tail,
                _ => return false,
            }
        } else {
            let end = memchr::memchr(b',', rest).unwrap_or(rest.len());
            if rest[..end].contains(&b'"') {
                return false;
            }
            fields.push(&rest[..end]);
            if end == rest.len() {
                break;
            }
            rest = &rest[end + 1..];
        }
    }
    fields.len() == width
}

/// Codes one row's values into `p`; false when one is not of the plain kinds read here.
fn row<'a>(p: &mut Parsed<'a>, l: &CsvLayout, fields: &[&'a [u8]]) -> bool {
    let Some(day) = day(fields[l.date]) else {
        return false;
    };
    p.days.push(day);
    for c in 0..6 {
        let Some(at) = l.text[c] else { continue };
        let v = fields[at];
        let code = if v.is_empty() {
            u32::MAX
        } else {
            match p.index[c].get(v) {
                Some(&code) => code,
                None => {
                    let Ok(text) = std::str::from_utf8(v) else {
                        return false;
                    };
                    let code = p.dicts[c].len() as u32;
                    p.dicts[c].push(text);
                    p.index[c].insert(v, code);
                    code
                }
            }
        };
        p.codes[c].push(code);
    }
    for (i, at) in l.counts.iter().enumerate() {
        let Some(at) = *at else { continue };
        let Some(v) = count(fields[at]) else {
            return false;
        };
        // An empty token count is never read as 0: the general query names the row.
        if v.is_none() && i < REQ {
            return false;
        }
        p.counts[i].push(v.unwrap_or(0));
        if i == REQ {
            p.known.push(i64::from(v.is_some()));
            p.unknown_requests |= v.is_none();
        }
    }
    if let Some(at) = l.cost {
        let v = fields[at];
        if v.is_empty() {
            p.billed.push(0);
            p.cost.push(0);
        } else {
            let Some(e8) = cost(v).and_then(usd_e8) else {
                return false;
            };
            p.billed.push(1);
            p.cost.push(e8);
        }
    }
    true
}

/// A `YYYY-MM-DD` day as days since 1970-01-01; None for anything else (including days that
/// are not in the calendar, and years outside 1900-2999, which the general query then reads).
fn day(v: &[u8]) -> Option<i32> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *v else {
        return None;
    };
    let digit = |b: u8| b.is_ascii_digit().then(|| i32::from(b - b'0'));
    let year = digit(y0)? * 1000 + digit(y1)? * 100 + digit(y2)? * 10 + digit(y3)?;
    let month = digit(m0)? * 10 + digit(m1)?;
    let dom = digit(d0)? * 10 + digit(d1)?;
    // The years usage can have (see `FIRST_DAY`); others go to the general query, which names
    // the row.
    if !(2000..=2099).contains(&year) || !(1..=12).contains(&month) || dom < 1 {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if dom > days_in[(month - 1) as usize] {
        return None;
    }
    // Days from civil (proleptic Gregorian), with March as the year's first month.
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + dom - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// A count: Some(None) when empty (no value), Some(Some(n)) for plain digits (at most 18),
/// None for anything else.
fn count(v: &[u8]) -> Option<Option<i64>> {
    if v.is_empty() {
        return Some(None);
    }
    if v.len() > 18 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(Some(
        v.iter().fold(0i64, |n, b| n * 10 + i64::from(b - b'0')),
    ))
}

/// A cost in US dollars written as a plain decimal (`12`, `-0.5`, `3.25`); None for anything
/// else.
fn cost(v: &[u8]) -> Option<f64> {
    let digits = v.strip_prefix(b"-").unwrap_or(v);
    let (whole, frac) = match memchr::memchr(b'.', digits) {
        Some(i) => (&digits[..i], Some(&digits[i + 1..])),
        None => (digits, None),
    };
    let plain = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    if v.len() > 40 || !plain(whole) || frac.is_some_and(|f| !plain(f)) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::aggregate::epoch_days;

    #[test]
    fn days_are_read_as_the_calendar_has_them() {
        let mut d = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let end = chrono::NaiveDate::from_ymd_opt(2099, 12, 31).unwrap();
        while d <= end {
            let text = d.format("%Y-%m-%d").to_string();
            assert_eq!(day(text.as_bytes()), Some(epoch_days(d)), "{text}");
            d += chrono::Duration::days(1);
        }
        for bad in [
            "2026-02-29",
            "2096-02-30",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-01-00",
            "1999-12-31",
            "2100-01-01",
            "0000-01-01",
            "2026-1-05",
            "2026/01/05",
            "2026-01-05 ",
            "",
            "20260105",
        ] {
            assert_eq!(day(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(day(b"2024-02-29"), Some(19_782));
        assert_eq!(day(b"2000-02-29"), Some(11_016));
    }

    #[test]
    fn counts_and_costs_are_read_only_when_plain() {
        assert_eq!(count(b""), Some(None));
        assert_eq!(count(b"0"), Some(Some(0)));
        assert_eq!(count(b"0012"), Some(Some(12)));
        assert_eq!(
            count(b"999999999999999999"),
            Some(Some(999_999_999_999_999_999))
        );
        for bad in [
            "1e3",
            " 12",
            "12 ",
            "+1",
            "-1",
            "1.0",
            "1_000",
            "1000000000000000000",
            "x",
        ] {
            assert_eq!(count(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(cost(b"12"), Some(12.0));
        assert_eq!(cost(b"-0.5"), Some(-0.5));
        assert_eq!(cost(b"3.25"), Some(3.25));
        assert_eq!(cost(b"0.000000015"), Some(0.000000015));
        for bad in [
            "", "-", ".5", "5.", "1e-3", "NaN", "inf", " 1", "1,5", "--1", "1.2.3",
        ] {
            assert_eq!(cost(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn lines_split_into_plain_or_simply_quoted_fields() {
        let mut f = Vec::new();
        assert!(split(b"a,,c", 3, &mut f));
        assert_eq!(f, [&b"a"[..], b"", b"c"]);
        assert!(split(b"\"a, b\",x,\"c\"", 3, &mut f));
        assert_eq!(f, [&b"a, b"[..], b"x", b"c"]);
        assert!(split(b"x,\"y\",", 3, &mut f));
        assert_eq!(f, [&b"x"[..], b"y", b""]);
        assert!(!split(b"a,b", 3, &mut f));
        for bad in [
            "\"\",b,c",
            "\"a\"\"b\",b,c",
            "a\"b,c,d",
            "\"a\" ,b,c",
            "\"open,b,c",
        ] {
            assert!(!split(bad.as_bytes(), 3, &mut f), "{bad}");
        }
    }

    /// Every line of a file belongs to exactly one block, however the block edges fall.
    #[test]
    fn blocks_cut_at_line_ends_read_every_line_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.csv");
        let mut text = String::from("date,model\n");
        for i in 0..200 {
            text.push_str(&format!(
                "2026-01-{:02},m{}\n",
                i % 28 + 1,
                "x".repeat(i % 37)
            ));
        }
        text.push_str("2026-01-01,last-without-break");
        std::fs::write(&path, &text).unwrap();
        let l = layout(&path, 0).unwrap().unwrap();
        assert!(l.blocks() > 20);
        let file = File::open(&path).unwrap();
        let mut all = Vec::new();
        let mut buf = Vec::new();
        for b in 0..l.blocks() {
            all.extend_from_slice(read_block(&file, &l, b, &mut buf).unwrap());
        }
        assert_eq!(all, text.as_bytes()[l.start as usize..]);
    }
}
