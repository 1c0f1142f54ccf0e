//! `govreview export`: FOCUS cost and usage rows and the chargeback file, for finance.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

use crate::Env;
use crate::cli::{ExportArgs, GlobalArgs};
use crate::data::write::{Cell, ParquetSink};
use crate::error::{Error, Result};
use crate::fsx::PendingFile;
use crate::month::Month;
use crate::pipeline;
use crate::render::{chargeback, csv, focus};

/// What an output path asks for, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Parquet,
}

/// Checks an output path: a known extension, a folder that exists.
fn output(path: &Path, what: &str, allowed: &[Format]) -> Result<Format> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let format = match ext.as_deref() {
        Some("csv") => Format::Csv,
        Some("parquet") => Format::Parquet,
        _ => {
            return Err(Error::Usage(format!(
                "{}: the {what} file must end in {}",
                path.display(),
                if allowed.len() == 2 {
                    ".csv or .parquet"
                } else {
                    ".csv"
                }
            )));
        }
    };
    if !allowed.contains(&format) {
        return Err(Error::Usage(format!(
            "{}: the {what} file must end in .csv",
            path.display()
        )));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{}: the folder {} does not exist; create it or write the {what} file elsewhere",
            path.display(),
            dir.display()
        )));
    }
    Ok(format)
}

/// Writes the asked-for files; each appears whole or not at all.
pub fn run(
    global: &GlobalArgs,
    args: &ExportArgs,
    as_of: NaiveDate,
    env: &Env,
    out: &mut dyn Write,
) -> Result<()> {
    if args.focus.is_none() && args.chargeback.is_none() {
        return Err(Error::Usage(
            "nothing to export: give --focus FILE.csv|FILE.parquet and/or --chargeback FILE.csv"
                .into(),
        ));
    }
    let focus_format = args
        .focus
        .as_deref()
        .map(|p| output(p, "FOCUS", &[Format::Csv, Format::Parquet]))
        .transpose()?;
    if let Some(p) = &args.chargeback {
        output(p, "chargeback", &[Format::Csv])?;
    }
    let cfg = pipeline::load_config(&global.config)?;
    let last = args.month.unwrap_or_else(|| Month::of(as_of).prev());
    pipeline::check_month_over(last, as_of)?;
    let months: Vec<Month> = (0..args.months as i32)
        .rev()
        .map(|k| last.plus(-k))
        .collect();
    env.show("reading usage by day…");
    let loaded = pipeline::priced_by(&cfg, &args.input.inputs(), env, true);
    env.clear();
    let (_, priced) = loaded?;
    let empty: Vec<String> = months
        .iter()
        .filter(|m| !priced.iter().any(|r| r.month == **m))
        .map(Month::to_string)
        .collect();
    if !empty.is_empty() {
        let (first, last_data) = (
            priced.iter().map(|r| r.month).min(),
            priced.iter().map(|r| r.month).max(),
        );
        return Err(Error::Input(format!(
            "no usage rows in {}: the data covers {}. Pick months with data (--month, --months) or add their files",
            empty.join(", "),
            match (first, last_data) {
                (Some(a), Some(b)) => format!("{a}..{b}"),
                _ => "nothing".into(),
            }
        )));
    }

    let outputs: Vec<(&str, &Path)> =
        [("--focus", &args.focus), ("--chargeback", &args.chargeback)]
            .into_iter()
            .filter_map(|(what, p)| p.as_deref().map(|p| (what, p)))
            .collect();
    crate::fsx::check_distinct(&outputs)?;
    let mut pending = Vec::new();
    if let (Some(path), Some(format)) = (&args.focus, focus_format) {
        let mut count = 0usize;
        pending.push(PendingFile::streamed(path, |tmp| match format {
            Format::Csv => {
                let file =
                    std::fs::File::create(tmp).map_err(|e| Error::io(tmp, "cannot write", e))?;
                let mut w = ::csv::WriterBuilder::new()
                    .terminator(::csv::Terminator::CRLF)
                    .from_writer(std::io::BufWriter::new(file));
                let bad = |e: ::csv::Error| Error::csv(tmp, e);
                w.write_record(focus::COLUMNS.iter().map(|(n, _)| *n))
                    .map_err(bad)?;
                focus::rows(&cfg, &priced, &months, &mut |cells| {
                    count += 1;
                    w.write_record(cells.iter().map(|c| match c {
                        Cell::Text(s) => csv::text(s),
                        Cell::Dec(v) => focus::decimal(*v),
                        Cell::Null => String::new(),
                    }))
                    .map_err(bad)
                })?;
                let inner = w
                    .into_inner()
                    .map_err(|e| Error::io(tmp, "cannot write", e.into_error()))?;
                inner
                    .into_inner()
                    .map_err(|e| Error::io(tmp, "cannot write", e.into_error()))?
                    .sync_all()
                    .map_err(|e| Error::io(tmp, "cannot write", e))
            }
            Format::Parquet => {
                let mut sink = ParquetSink::create(tmp, &focus::COLUMNS)?;
                focus::rows(&cfg, &priced, &months, &mut |cells| {
                    count += 1;
                    sink.row(cells)
                })?;
                sink.finish()
            }
        })?);
        writeln!(
            out,
            "FOCUS 1.0: {} rows for {} → {}",
            count,
            span(&months),
            path.display()
        )
        .map_err(|e| Error::io("stdout", "cannot write", e))?;
    }
    if let Some(path) = &args.chargeback {
        let bytes = chargeback::render(&cfg, &priced, &months)?;
        pending.push(PendingFile::new(path, &bytes)?);
        writeln!(out, "Chargeback: {} → {}", span(&months), path.display())
            .map_err(|e| Error::io("stdout", "cannot write", e))?;
    }
    for p in pending {
        p.commit()?;
    }
    Ok(())
}

fn span(months: &[Month]) -> String {
    match (months.first(), months.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}..{b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}
