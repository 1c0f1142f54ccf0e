//! What a file holds: its format by extension and, for Anthropic's exports and pages, its kind by
//! content. Detection reads a header line or a JSON page and depends on nothing else of the data
//! layer; reading the file as usage or costs is [`super::input`].

use std::path::Path;

use crate::anthropic;
use crate::error::{Error, Result};

/// Input formats, detected by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
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
    pub(crate) fn line_of_row(self, row: u64) -> Option<u64> {
        match self {
            Format::Csv => Some(row + 1),
            Format::Ndjson => Some(row),
            Format::Parquet | Format::Json => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Ndjson => "ndjson",
            Format::Json => "json",
        }
    }
}

/// The first line of a text file.
pub(crate) fn header_line(path: &Path) -> Result<String> {
    use std::io::BufRead;
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, "cannot read", e))?;
    let mut line = Vec::new();
    std::io::BufReader::new(f)
        .read_until(b'\n', &mut line)
        .map_err(|e| Error::io(path, "cannot read", e))?;
    Ok(utf8_text(path, line)?.to_owned())
}

pub(crate) fn unknown_extension(path: &Path) -> Error {
    Error::data(
        path,
        None,
        None,
        "has an unknown extension; usage files must end in .csv, .parquet, .ndjson/.jsonl or .json (Admin API pages)",
    )
}

/// What a file holds: `named` (`--data-format`) or judged by its content (JSON pages by their
/// results, CSV by its header). A JSON page is read and parsed here, once, and handed on.
pub(crate) fn classify(
    path: &Path,
    named: Option<anthropic::Kind>,
) -> Result<(anthropic::Kind, Option<serde_json::Value>)> {
    match Format::of(path) {
        Some(Format::Json) => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read", e))?;
            let text = utf8_text(path, bytes)?;
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

/// A text file's bytes as text: a UTF-8 byte-order mark is dropped; UTF-16 (and anything else
/// that is not UTF-8) is an error that names the encoding and the fix.
pub(crate) fn utf8_text(path: &Path, bytes: Vec<u8>) -> Result<String> {
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    if utf16 {
        return Err(Error::data(
            path,
            None,
            None,
            "is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8 (govreview fetch writes UTF-8; most editors offer \"UTF-8\" under Save as or Encoding)",
        ));
    }
    let bytes = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        Error::data(
            path,
            None,
            None,
            format!(
                "is not UTF-8 text (byte {} is not valid UTF-8); save it as UTF-8",
                e.utf8_error().valid_up_to() + 1
            ),
        )
    })
}

/// The label of legacy Admin API usage-report pages in the data notes.
pub(crate) const USAGE_REPORT: &str = "usage report";
/// The label of Analytics API usage pages in the data notes.
pub(crate) const ANALYTICS_USAGE: &str = "analytics usage";
