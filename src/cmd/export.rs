//! `govreview export`: FOCUS cost and usage rows, the FOCUS commitment dataset, the chargeback
//! and budgets files, for finance.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

use crate::Env;
use crate::cli::{ExportArgs, FocusVersion, GlobalArgs};
use crate::data::write::{Cell, Kind, ParquetSink};
use crate::error::{Error, Result};
use crate::fsx::PendingFile;
use crate::month::Month;
use crate::pipeline;
use crate::render::focus::contract;
use crate::render::{chargeback, focus};

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

/// Where a table's rows go, one at a time.
type Sink<'a> = dyn FnMut(Vec<Cell>) -> Result<()> + 'a;

/// A table written as CSV or Parquet into `tmp`, its rows handed over by `fill`; counts them.
fn write_table(
    tmp: &Path,
    format: Format,
    columns: &[(&str, Kind)],
    fill: &mut dyn FnMut(&mut Sink) -> Result<()>,
) -> Result<usize> {
    let mut count = 0usize;
    match format {
        Format::Csv => {
            let file = std::fs::File::create(tmp).map_err(|e| Error::io(tmp, "cannot write", e))?;
            let mut w = ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::CRLF)
                .from_writer(std::io::BufWriter::new(file));
            let bad = |e: ::csv::Error| Error::csv(tmp, e);
            w.write_record(columns.iter().map(|(n, _)| *n))
                .map_err(bad)?;
            // Values as they are: FOCUS files are loaded by tools, which must read back what
            // the data says (the csv crate quotes what needs quoting).
            fill(&mut |cells| {
                count += 1;
                w.write_record(cells.iter().map(|c| match c {
                    Cell::Text(s) => s.clone(),
                    Cell::Dec(v) => focus::decimal(*v),
                    Cell::Int(v) => v.to_string(),
                    Cell::Day(d) => focus::ts(*d),
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
                .map_err(|e| Error::io(tmp, "cannot write", e))?;
        }
        Format::Parquet => {
            let mut sink = ParquetSink::create(tmp, columns)?;
            fill(&mut |cells| {
                count += 1;
                sink.row(cells)
            })?;
            sink.finish()?;
        }
    }
    Ok(count)
}

/// Writes the asked-for files; each appears whole or not at all.
pub fn run(
    global: &GlobalArgs,
    args: &ExportArgs,
    as_of: NaiveDate,
    env: &Env,
    out: &mut dyn Write,
) -> Result<()> {
    if args.focus.is_none()
        && args.chargeback.is_none()
        && args.commitments.is_none()
        && args.budgets.is_none()
    {
        return Err(Error::Usage(
            "nothing to export: give --focus FILE.csv|FILE.parquet, --commitments FILE.csv|FILE.parquet, --chargeback FILE.csv and/or --budgets FILE.csv"
                .into(),
        ));
    }
    let both = [Format::Csv, Format::Parquet];
    let focus_format = args
        .focus
        .as_deref()
        .map(|p| output(p, "FOCUS", &both))
        .transpose()?;
    let commitments_format = args
        .commitments
        .as_deref()
        .map(|p| output(p, "commitments", &both))
        .transpose()?;
    if let Some(p) = &args.chargeback {
        output(p, "chargeback", &[Format::Csv])?;
    }
    if let Some(p) = &args.budgets {
        output(p, "budgets", &[Format::Csv])?;
    }
    let outputs: Vec<(&str, &Path)> = [
        ("--focus", &args.focus),
        ("--commitments", &args.commitments),
        ("--chargeback", &args.chargeback),
        ("--budgets", &args.budgets),
    ]
    .into_iter()
    .filter_map(|(what, p)| p.as_deref().map(|p| (what, p)))
    .collect();
    crate::fsx::check_distinct(&outputs)?;
    let cfg = pipeline::load_config(&global.config)?;
    let inputs: Vec<std::path::PathBuf> = pipeline::files(&cfg, &args.input.inputs())?
        .into_iter()
        .map(|(p, _)| p)
        .chain([cfg.path.clone(), cfg.register.clone()])
        .collect();
    crate::fsx::check_not_inputs(&outputs, &inputs)?;
    if args.commitments.is_some() && cfg.commitment.is_none() {
        return Err(Error::Usage(format!(
            "{} configures no commitment, so --commitments has nothing to write: add [commitment] with amount, start and end, or leave --commitments out",
            cfg.path.display()
        )));
    }
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

    let mut pending = Vec::new();
    let mut said = Vec::new();
    if let (Some(path), Some(format)) = (&args.focus, focus_format) {
        let version = match args.focus_version {
            FocusVersion::V1_2 => focus::Version::V1_2,
            FocusVersion::V1_0 => focus::Version::V1_0,
        };
        let mut count = 0;
        pending.push(PendingFile::streamed(path, |tmp| {
            count = write_table(tmp, format, version.columns(), &mut |emit| {
                focus::rows(&cfg, version, &priced, &months, emit)
            })?;
            Ok(())
        })?);
        said.push(format!(
            "FOCUS {}: {} rows for {} → {}",
            version.label(),
            count,
            span(&months),
            path.display()
        ));
    }
    if let (Some(path), Some(format), Some(c)) =
        (&args.commitments, commitments_format, &cfg.commitment)
    {
        env.show("forecasting the commitment…");
        let built = pipeline::model(&cfg, &args.input.inputs(), Some(last), as_of, env, &[]);
        env.clear();
        let (model, _) = built?;
        let section = model
            .commitment
            .as_ref()
            .ok_or_else(|| Error::Internal("a configured commitment without its section".into()))?;
        let row = contract::row(c, last, as_of, section);
        pending.push(PendingFile::streamed(path, |tmp| {
            write_table(tmp, format, &contract::COLUMNS, &mut |emit| {
                emit(row.clone())
            })?;
            Ok(())
        })?);
        said.push(format!(
            "FOCUS 1.3 Contract Commitment: 1 commitment ({}) as of {as_of} → {}",
            contract::lifecycle(c, as_of).to_lowercase(),
            path.display()
        ));
    }
    if let Some(path) = &args.chargeback {
        let bytes = chargeback::render(&cfg, &priced, &months)?;
        pending.push(PendingFile::new(path, &bytes)?);
        said.push(format!(
            "Chargeback: {} → {}",
            span(&months),
            path.display()
        ));
    }
    if let Some(path) = &args.budgets {
        let (bytes, rows) = chargeback::budgets(&cfg, &priced, &months)?;
        pending.push(PendingFile::new(path, &bytes)?);
        said.push(format!(
            "Budgets: {rows} {} for {} → {}",
            if rows == 1 { "row" } else { "rows" },
            span(&months),
            path.display()
        ));
    }
    for p in pending {
        p.commit()?;
    }
    for line in said {
        writeln!(out, "{line}").map_err(|e| Error::io("stdout", "cannot write", e))?;
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
