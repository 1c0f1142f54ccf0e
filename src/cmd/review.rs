//! `govreview review`: usage in, review pack out.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::cli::{GlobalArgs, ReviewArgs};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::month::Month;
use crate::render::{Templates, terminal};
use crate::{data, metrics, pack, report};

/// Everything the review produced, for the caller to report.
#[derive(Debug)]
pub struct ReviewOutcome {
    /// The month folder written.
    pub dir: PathBuf,
    /// Files written, relative to `dir`.
    pub files: Vec<PathBuf>,
    /// Number of findings.
    pub findings: usize,
}

/// Runs a review and writes its pack; prints the summary unless quiet.
pub fn run(
    global: &GlobalArgs,
    args: &ReviewArgs,
    as_of: NaiveDate,
    out: &mut dyn Write,
) -> Result<ReviewOutcome> {
    let cfg = Config::load(&global.config).map_err(|e| match e {
        Error::Io { path, source, .. } if source.kind() == std::io::ErrorKind::NotFound => Error::Usage(format!(
            "config file `{}` not found; pass --config FILE (the bundled example is sample-data/govreview.toml)",
            path.display()
        )),
        other => other,
    })?;
    let month = args.month.unwrap_or_else(|| Month::of(as_of).prev());
    let mut files = data::expand_paths(&cfg.data_paths, &cfg.base_dir)?;
    files.extend(data::expand_paths(&args.data, Path::new(""))?);
    dedup_paths(&mut files);
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "no usage data: list files in data.paths of {} or pass --data PATH",
            cfg.path.display()
        )));
    }
    let templates = Templates::new(args.templates.as_deref())?;
    let ds = data::load(&files, cfg.commitment.as_ref().map(|c| (c.start, c.end)))?;
    let priced = metrics::price(&ds, &cfg)?;
    let model = report::build(&cfg, &ds, &priced, month, as_of)?;
    let pack_files = pack::assemble(&model, &templates)?;
    let dir = args.out.join(month.to_string());
    pack::write(&dir, &pack_files)?;

    if !args.quiet {
        let io = |e| Error::io("stdout", "cannot write", e);
        write!(out, "{}", terminal::summary(&model)).map_err(io)?;
        let charts = pack_files
            .iter()
            .filter(|f| f.path.starts_with("charts"))
            .count();
        writeln!(
            out,
            "\n  Wrote {}/: review.md, review.html, metrics.json, charts/ ({charts} SVG)",
            dir.display()
        )
        .map_err(io)?;
    }
    Ok(ReviewOutcome {
        dir,
        files: pack_files.into_iter().map(|f| f.path).collect(),
        findings: model.findings.len(),
    })
}

fn dedup_paths(files: &mut Vec<PathBuf>) {
    let mut seen = std::collections::BTreeSet::new();
    files.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
}
