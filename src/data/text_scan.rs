//! A first pass over text files (CSV, NDJSON) that the parsers do not make: every line is UTF-8,
//! every CSV row has as many fields as the header, and no quoted value runs to the end of the
//! file. The polars CSV reader fills the missing trailing fields of a short row with nulls (which
//! would count as 0 tokens) and, with a projection, ignores extra ones; a cut-off file would lose
//! spend silently. This pass names the file and line instead.
//!
//! It reads the file in large blocks and counts separators per line; lines without quotes (the
//! usual case) are counted with a vectorised byte count, quoted ones byte by byte.

use std::io::Read;
use std::path::Path;

use crate::data::detect::Format;
use crate::error::{Error, Result};

/// Block size of the pass.
const BLOCK: usize = 8 << 20;

/// What the pass learned about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Shape {
    /// Physical lines, the header included.
    pub lines: u64,
    /// The file does not end with a line break: its last line may have been cut short.
    pub unterminated_last_line: bool,
}

/// The text kinds the pass checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Comma-separated values with a header row and `"` quotes.
    Csv,
    /// One JSON object per line (UTF-8 only; the JSON parser checks the rest).
    Ndjson,
}

struct State {
    kind: Kind,
    /// 1-based line being read.
    line: u64,
    /// Line the current record started on.
    record_line: u64,
    /// Data rows completed (header not counted).
    rows: u64,
    /// Separators seen in the current record.
    commas: usize,
    /// Bytes in the current record so far (a blank line is skipped, not a row).
    record_bytes: usize,
    in_quotes: bool,
    /// Line a still-open quote opened on.
    quote_line: u64,
    /// Fields of the header row, once read.
    header: Option<usize>,
    /// The previous byte was a line break (or nothing has been read).
    at_line_start: bool,
}

fn ragged(path: &Path, line: u64, row: u64, fields: usize, header: usize) -> Error {
    let what = if fields < header { "fewer" } else { "more" };
    Error::data(
        path,
        Some(row),
        None,
        format!(
            "has {fields} field{} but the header has {header}: {what} values than columns (a short row, a cut-off line or an unquoted comma). Fix or remove the row",
            if fields == 1 { "" } else { "s" }
        ),
    )
    .with_line(Some(line))
}

impl State {
    /// A record ends at a line break outside quotes.
    fn end_record(&mut self, path: &Path) -> Result<()> {
        if self.kind == Kind::Csv && self.record_bytes > 0 {
            let fields = self.commas + 1;
            match self.header {
                None => self.header = Some(fields),
                Some(h) => {
                    self.rows += 1;
                    if fields != h {
                        return Err(ragged(path, self.record_line, self.rows, fields, h));
                    }
                }
            }
        }
        self.commas = 0;
        self.record_bytes = 0;
        Ok(())
    }

    /// Scans text without quotes: count commas per line.
    fn plain(&mut self, path: &Path, text: &[u8]) -> Result<()> {
        let mut rest = text;
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            let seg = &rest[..nl];
            self.count_plain(seg);
            self.end_record(path)?;
            self.line += 1;
            self.record_line = self.line;
            rest = &rest[nl + 1..];
        }
        self.count_plain(rest);
        self.at_line_start = text.last() == Some(&b'\n');
        Ok(())
    }

    fn count_plain(&mut self, seg: &[u8]) {
        let seg = seg.strip_suffix(b"\r").unwrap_or(seg);
        if self.kind == Kind::Csv {
            self.commas += seg.iter().filter(|&&b| b == b',').count();
        }
        self.record_bytes += seg.len();
    }

    /// Scans text that has quotes, byte by byte.
    fn quoted(&mut self, path: &Path, text: &[u8]) -> Result<()> {
        for &b in text {
            match b {
                b'"' if self.kind == Kind::Csv => {
                    // `""` inside quotes toggles twice: an escaped quote.
                    if !self.in_quotes {
                        self.quote_line = self.line;
                    }
                    self.in_quotes = !self.in_quotes;
                    self.record_bytes += 1;
                }
                b'\n' => {
                    if !self.in_quotes {
                        self.end_record(path)?;
                        self.line += 1;
                        self.record_line = self.line;
                    } else {
                        self.line += 1;
                    }
                }
                b'\r' => {}
                b',' if !self.in_quotes => {
                    self.commas += 1;
                    self.record_bytes += 1;
                }
                _ => self.record_bytes += 1,
            }
        }
        self.at_line_start = text.last() == Some(&b'\n');
        Ok(())
    }
}

/// The line and column (1-based, in characters) of byte `at` of `text`, given the line the text
/// starts on.
fn locate(text: &[u8], at: usize, first_line: u64) -> (u64, usize) {
    let before = &text[..at];
    let line = first_line + memchr::memchr_iter(b'\n', before).count() as u64;
    let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, col)
}

/// Checks a CSV or NDJSON file as described in the module documentation.
pub(crate) fn check(path: &Path, kind: Kind) -> Result<Shape> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, "cannot read", e))?;
    let mut st = State {
        kind,
        line: 1,
        record_line: 1,
        rows: 0,
        commas: 0,
        record_bytes: 0,
        in_quotes: false,
        quote_line: 0,
        header: None,
        at_line_start: true,
    };
    let mut buf = vec![0u8; BLOCK];
    // Bytes of a character split across two blocks, carried to the next.
    let mut carry = 0usize;
    let mut first = true;
    let mut any = false;
    loop {
        let n =
            read_full(&mut f, &mut buf[carry..]).map_err(|e| Error::io(path, "cannot read", e))?;
        let len = carry + n;
        if len == 0 {
            break;
        }
        any = true;
        if first && (buf[..len].starts_with(&[0xFF, 0xFE]) || buf[..len].starts_with(&[0xFE, 0xFF]))
        {
            // UTF-16: say so, rather than name its first byte as a broken character.
            crate::data::detect::utf8_text(path, buf[..2].to_vec())?;
        }
        // Lines ended by a carriage return alone (an old Mac export): the whole file would read
        // as one header line.
        if first {
            let head = &buf[..len];
            let cr = memchr::memchr(b'\r', head);
            let lf = memchr::memchr(b'\n', head);
            if let Some(at) = cr
                && lf.is_none_or(|lf| at < lf && head.get(at + 1) != Some(&b'\n'))
            {
                return Err(Error::data(
                    path,
                    None,
                    None,
                    "ends its lines with a carriage return alone (CR, as old Mac files do): convert the line endings to LF or CRLF (for example `tr '\\r' '\\n'`) and run again",
                ));
            }
        }
        if first && kind == Kind::Ndjson && buf[..len].starts_with(b"\xEF\xBB\xBF") {
            return Err(Error::data(
                path,
                Some(1),
                None,
                "starts with a byte-order mark, which JSON lines do not allow; save the file as UTF-8 without a BOM",
            )
            .with_line(Some(1)));
        }
        let start = if first && buf[..len].starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        first = false;
        let block = &buf[start..len];
        let (valid, keep) = match std::str::from_utf8(block) {
            Ok(_) => (block.len(), 0),
            Err(e) if e.error_len().is_none() && n > 0 => {
                (e.valid_up_to(), block.len() - e.valid_up_to())
            }
            Err(e) => {
                let (line, col) = locate(block, e.valid_up_to(), st.line);
                let byte = block[e.valid_up_to()];
                return Err(Error::data(
                    path,
                    None,
                    None,
                    format!(
                        "is not UTF-8 text: byte 0x{byte:02X} at column {col} is not a character. Save the file as UTF-8 (in a spreadsheet: \"CSV UTF-8\")"
                    ),
                )
                .with_line(Some(line)));
            }
        };
        let text = &block[..valid];
        if st.in_quotes || (kind == Kind::Csv && memchr::memchr(b'"', text).is_some()) {
            st.quoted(path, text)?;
        } else {
            st.plain(path, text)?;
        }
        // Move the split character's bytes to the front for the next block.
        buf.copy_within(len - keep..len, 0);
        carry = keep;
        if n == 0 {
            break;
        }
    }
    if st.in_quotes {
        return Err(Error::data(
            path,
            None,
            None,
            "has a quoted value that opens on this line and never closes: add the closing `\"` (a quote inside a value is written `\"\"`)",
        )
        .with_line(Some(st.quote_line)));
    }
    if any && !st.at_line_start {
        st.end_record(path)?;
    }
    Ok(Shape {
        lines: st.line - u64::from(st.at_line_start && any),
        unterminated_last_line: any && !st.at_line_start,
    })
}

/// Reads until `buf` is full or the file ends.
fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match f.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The keys of one JSON object, in order (duplicates kept, values skipped).
struct Keys(Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    m.next_value::<serde::de::IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(V)
    }
}

/// The first of an NDJSON file's rows (blank lines skipped) that `problem` finds wrong, as an
/// error naming its row and line; None when every row passes or the file cannot be read (the
/// reader reports that itself).
fn first_bad_row(
    path: &Path,
    problem: impl Fn(&str) -> Option<(Option<String>, String)>,
) -> Option<Error> {
    use std::io::BufRead;
    let f = std::fs::File::open(path).ok()?;
    let mut row = 0u64;
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.ok()?;
        if line.trim().is_empty() {
            continue;
        }
        row += 1;
        if let Some((key, why)) = problem(&line) {
            return Some(
                Error::data(path, Some(row), key.as_deref(), why).with_line(Some(i as u64 + 1)),
            );
        }
    }
    None
}

/// An NDJSON line whose object names a key twice: the reader would keep one value silently.
pub(crate) fn ndjson_duplicate_key(path: &Path) -> Option<Error> {
    first_bad_row(path, |line| {
        let Keys(keys) = serde_json::from_str::<Keys>(line).ok()?;
        let mut seen = std::collections::HashSet::new();
        let k = keys.iter().find(|k| !seen.insert(k.as_str()))?;
        Some((
            Some(k.clone()),
            format!("the object names `{k}` twice; keep one value of each key"),
        ))
    })
}

/// An NDJSON line whose value for one of `columns` is a list or an object: the reader would
/// turn the whole column into lists (or refuse the file) without naming the line.
pub(crate) fn ndjson_nested_value(path: &Path, columns: &[&str]) -> Option<Error> {
    if Format::of(path) != Some(Format::Ndjson) {
        return None;
    }
    first_bad_row(path, |line| {
        let serde_json::Value::Object(o) = serde_json::from_str(line).ok()? else {
            return None;
        };
        let (k, v) = o
            .iter()
            .find(|(k, v)| columns.contains(&k.as_str()) && (v.is_array() || v.is_object()))?;
        let what = if v.is_array() { "a list" } else { "an object" };
        Some((
            Some(k.clone()),
            format!(
                "holds {what} (`{}`), not one value; write a single number or text",
                crate::secret::printable(&shorten(&v.to_string(), 40))
            ),
        ))
    })
}

/// An NDJSON line giving one of `counts` as `null`: a count left out of a line counts as 0, but
/// a `null` says the value is unknown, and is never read as 0.
pub(crate) fn ndjson_null_count(path: &Path, counts: &[&str]) -> Option<Error> {
    first_bad_row(path, |line| {
        // Most lines hold no null at all.
        if !line.contains("null") {
            return None;
        }
        let serde_json::Value::Object(o) = serde_json::from_str(line).ok()? else {
            return None;
        };
        let (k, _) = o
            .iter()
            .find(|(k, v)| v.is_null() && counts.contains(&k.as_str()))?;
        Some((
            Some(k.clone()),
            "is null: write the token count, 0 where there were none (a null is never read as 0; a key left out of a line counts as 0)".to_owned(),
        ))
    })
}

/// An NDJSON line giving one of `columns` as a number past 64 bits (2^64): the reader turns
/// the whole column into a 128-bit integer it cannot use without naming the line.
pub(crate) fn ndjson_huge_number(path: &Path, columns: &[&str]) -> Option<Error> {
    if Format::of(path) != Some(Format::Ndjson) {
        return None;
    }
    first_bad_row(path, |line| {
        let serde_json::Value::Object(o) = serde_json::from_str(line).ok()? else {
            return None;
        };
        let (k, v) = o.iter().find(|(k, v)| {
            columns.contains(&k.as_str())
                && v.is_number()
                && v.as_i64().is_none()
                && v.as_f64().is_some_and(|f| f.abs() >= 9.2e18)
        })?;
        let why = if k == "cost_usd" {
            format!(
                "exceeds the largest billed cost govreview accepts in one row (${}); check that the column holds US dollars, not cents or micro-dollars",
                crate::fmt::int(crate::data::columns::MAX_COST_USD)
            )
        } else {
            crate::data::columns::TOO_LARGE.to_owned()
        };
        Some((Some(k.clone()), format!("`{v}` {why}")))
    })
}

/// `text` cut to at most `n` characters, with an ellipsis when cut.
fn shorten(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(n).collect::<String>())
    }
}

/// For an NDJSON file the reader refused: the first line that is not a JSON object, named by
/// its line number (the reader only says at which character of its buffer it stopped).
pub(crate) fn json_line_error(path: &Path) -> Option<Error> {
    if Format::of(path) != Some(Format::Ndjson) {
        return None;
    }
    first_bad_row(path, |line| {
        if line.starts_with('\u{feff}') {
            return Some((
                None,
                "starts with a byte-order mark (two files joined into one?); remove it, or save each file as UTF-8 without a BOM before joining them".to_owned(),
            ));
        }
        let why = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(_)) => return None,
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
        Some((None, why))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &[u8]) -> Result<Shape> {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("u.csv");
        std::fs::write(&p, text).unwrap();
        check(&p, Kind::Csv)
    }

    fn err(text: &[u8]) -> String {
        scan(text).unwrap_err().to_string()
    }

    #[test]
    fn whole_files_pass() {
        let s = scan(b"a,b,c\n1,2,3\n4,5,6\n").unwrap();
        assert_eq!(s.lines, 3);
        assert!(!s.unterminated_last_line);
        // CRLF, a BOM, a blank line, quoted commas, an escaped quote and a line break in quotes.
        let s = scan(b"\xEF\xBB\xBFa,b,c\r\n1,\"x,y\",3\r\n\r\n\"q\"\"q\",\"two\nlines\",6\r\n")
            .unwrap();
        assert!(!s.unterminated_last_line);
        let s = scan(b"a,b\n1,2").unwrap();
        assert!(s.unterminated_last_line);
    }

    #[test]
    fn short_and_long_rows_are_named_by_line() {
        let e = err(b"a,b,c\n1,2,3\n4,5\n");
        assert!(e.contains("u.csv:3: row 2"), "{e}");
        assert!(e.contains("has 2 fields but the header has 3"), "{e}");
        let e = err(b"a,b,c\n1,2,3,4\n");
        assert!(e.contains(":2: row 1") && e.contains("more values"), "{e}");
        // A row cut off in the middle, at the end of the file.
        let e = err(b"a,b,c\n1,2,3\n4,5");
        assert!(e.contains(":3: row 2"), "{e}");
        // Quoted rows are counted the same way, on the line the record starts.
        let e = err(b"a,b,c\n\"x\ny\",2\n");
        assert!(e.contains(":2: row 1"), "{e}");
    }

    #[test]
    fn unterminated_quote_names_its_line() {
        let e = err(b"a,b\n1,2\n\"open,3\n4,5\n");
        assert!(e.contains("u.csv:3:") && e.contains("never closes"), "{e}");
        assert!(e.len() < 400, "no dump of the file: {e}");
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let e = err(b"a,b\n1,2\nx\xFFy,3\n");
        assert!(
            e.contains("u.csv:3:") && e.contains("0xFF at column 2"),
            "{e}"
        );
    }

    #[test]
    fn characters_split_across_blocks_are_fine() {
        // Fill a whole block so that a 3-byte character straddles the boundary.
        let mut text = b"a,b\n".to_vec();
        let row = "x\u{20ac}y,1\n".as_bytes();
        while text.len() < BLOCK + 100 {
            text.extend_from_slice(row);
        }
        let s = scan(&text).unwrap();
        assert_eq!(s.lines as usize, 1 + (text.len() - 4) / row.len());
    }
}
