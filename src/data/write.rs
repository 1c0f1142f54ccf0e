//! Writing a table as Parquet, in batches (the FOCUS export): text, decimal, whole-number and
//! UTC date-time columns, nulls where a cell is empty. The only polars writer of the tool, beside
//! its readers.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};

/// A cell of a table being written.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A decimal number.
    Dec(f64),
    /// A whole number.
    Int(i64),
    /// Midnight UTC of a day (`2026-10-01T00:00:00Z`).
    Day(chrono::NaiveDate),
    /// No value.
    Null,
}

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text (String).
    Text,
    /// Decimal (Float64).
    Dec,
    /// Whole number (Int64).
    Int,
    /// Date-time in UTC (microseconds).
    Time,
}

/// Rows written to a Parquet file in batches of `BATCH` rows.
pub struct ParquetSink {
    path: PathBuf,
    columns: Vec<(String, Kind)>,
    writer: polars::io::parquet::write::BatchedWriter<File>,
    pending: Vec<Vec<Cell>>,
}

const BATCH: usize = 65_536;

fn err(path: &Path, e: PolarsError) -> Error {
    match e {
        // The disk's failure (full, gone) as an I/O error on the file, not an internal one.
        PolarsError::IO { error, .. } => Error::io(
            path,
            "cannot write",
            std::io::Error::new(error.kind(), error.to_string()),
        ),
        e => Error::Internal(format!("writing {}: {e}", path.display())),
    }
}

impl ParquetSink {
    /// Starts a Parquet file at `path` (a temporary file the caller renames into place).
    pub fn create(path: &Path, columns: &[(&str, Kind)]) -> Result<ParquetSink> {
        let file = File::create(path).map_err(|e| Error::io(path, "cannot write", e))?;
        let schema: Schema = columns
            .iter()
            .map(|(n, k)| {
                Field::new(
                    (*n).into(),
                    match k {
                        Kind::Text => DataType::String,
                        Kind::Dec => DataType::Float64,
                        Kind::Int => DataType::Int64,
                        Kind::Time => {
                            DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
                        }
                    },
                )
            })
            .collect();
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .batched(&schema)
            .map_err(|e| err(path, e))?;
        Ok(ParquetSink {
            path: path.to_owned(),
            columns: columns.iter().map(|(n, k)| ((*n).to_owned(), *k)).collect(),
            writer,
            pending: Vec::new(),
        })
    }

    /// Adds a row (cells in column order).
    pub fn row(&mut self, cells: Vec<Cell>) -> Result<()> {
        self.pending.push(cells);
        if self.pending.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        let cols: Vec<Column> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (name, kind))| match kind {
                Kind::Text => Column::new(
                    name.as_str().into(),
                    rows.iter()
                        .map(|r| match &r[i] {
                            Cell::Text(s) => Some(s.as_str()),
                            _ => None,
                        })
                        .collect::<Vec<Option<&str>>>(),
                ),
                Kind::Dec => Column::new(
                    name.as_str().into(),
                    rows.iter()
                        .map(|r| match r[i] {
                            Cell::Dec(v) => Some(v),
                            _ => None,
                        })
                        .collect::<Vec<Option<f64>>>(),
                ),
                Kind::Int => Column::new(
                    name.as_str().into(),
                    rows.iter()
                        .map(|r| match r[i] {
                            Cell::Int(v) => Some(v),
                            _ => None,
                        })
                        .collect::<Vec<Option<i64>>>(),
                ),
                Kind::Time => Int64Chunked::new(
                    name.as_str().into(),
                    rows.iter()
                        .map(|r| match r[i] {
                            Cell::Day(d) => Some(
                                d.and_hms_opt(0, 0, 0)
                                    .expect("midnight exists")
                                    .and_utc()
                                    .timestamp_micros(),
                            ),
                            _ => None,
                        })
                        .collect::<Vec<Option<i64>>>(),
                )
                .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
                .into_column(),
            })
            .collect();
        let df = DataFrame::new(rows.len(), cols).map_err(|e| err(&self.path, e))?;
        self.writer.write_batch(&df).map_err(|e| err(&self.path, e))
    }

    /// Writes what is left and closes the file.
    pub fn finish(mut self) -> Result<()> {
        self.flush()?;
        self.writer.finish().map_err(|e| err(&self.path, e))?;
        Ok(())
    }
}
