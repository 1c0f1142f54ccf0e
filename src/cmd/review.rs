//! `govreview review`: usage in, review pack out.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::actions::{NewAction, Register, Status};
use crate::cli::{DataArgs, GlobalArgs, ReviewArgs};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::fsx::RepoLock;
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

/// Loads the configuration, reads the data and builds the report for `month` (None: the month
/// before `as_of`). Shared by `review` and `check`.
pub fn build_model(
    cfg: &Config,
    month: Option<Month>,
    input: &DataArgs,
    as_of: NaiveDate,
) -> Result<report::ReportModel> {
    let month = month.unwrap_or_else(|| Month::of(as_of).prev());
    check_month_over(month, as_of)?;
    let mut files: Vec<(PathBuf, Option<crate::anthropic::Kind>)> =
        data::expand_config_paths(&cfg.data_paths, &cfg.base_dir)?
            .into_iter()
            .map(|p| (p, None))
            .collect();
    files.extend(
        data::expand_paths(&input.data, Path::new(""))?
            .into_iter()
            .map(|p| (p, input.format.kind())),
    );
    dedup_paths(&mut files);
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "no usage data: list files in data.paths of {} or pass --data PATH",
            cfg.path.display()
        )));
    }
    let ds = data::load_with(&files, cfg.commitment.as_ref().map(|c| (c.start, c.end)))?;
    let priced = metrics::price(&ds, cfg)?;
    report::build(cfg, &ds, &priced, month, as_of)
}

/// Reads the configuration; a missing file says how to point at one.
pub fn load_config(path: &Path) -> Result<Config> {
    Config::load(path).map_err(|e| match e {
        Error::Io { path, source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            Error::Usage(format!(
                "config file `{}` not found; pass --config FILE (the bundled example is sample-data/govreview.toml, `govreview init` writes a new one)",
                path.display()
            ))
        }
        other => other,
    })
}

/// Refuses a review made before its month is over: every figure of a review is of a whole month.
pub fn check_month_over(month: Month, as_of: NaiveDate) -> Result<()> {
    if as_of <= month.last_day() {
        return Err(Error::Usage(format!(
            "--as-of {as_of} is not after the review month {month}: a review covers a whole month, so it is made on {} or later. Review {} instead, or give a later --as-of",
            month.next().first_day(),
            Month::of(as_of).prev()
        )));
    }
    Ok(())
}

/// The folders a writing run holds locked: the output folder and, when elsewhere, the register's.
pub fn lock_repository(out_dir: &Path, register: &Path) -> Result<Vec<RepoLock>> {
    let mut locks = vec![RepoLock::acquire(out_dir)?];
    let reg_dir = register
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let same = match (
        std::fs::canonicalize(out_dir),
        std::fs::canonicalize(reg_dir),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => out_dir == reg_dir,
    };
    if !same {
        locks.push(RepoLock::acquire(reg_dir)?);
    }
    Ok(locks)
}

/// Runs a review and writes its pack; prints the summary unless quiet.
pub fn run(
    global: &GlobalArgs,
    args: &ReviewArgs,
    as_of: NaiveDate,
    out: &mut dyn Write,
) -> Result<ReviewOutcome> {
    let templates = Templates::new(args.templates.as_deref())?;
    if let Some(m) = args.month {
        check_month_over(m, as_of)?;
    }
    let cfg = load_config(&global.config)?;
    let out_dir = args.out.clone().unwrap_or_else(|| cfg.out_dir.clone());
    let register_path = match (&args.register, &args.out) {
        (Some(r), _) => r.clone(),
        (None, Some(o)) => o.join(crate::config::REGISTER_FILE),
        (None, None) => cfg.register.clone(),
    };
    let spinner = spinner(args.quiet);
    let built = build_model(&cfg, args.month, &args.input, as_of);
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let mut model = built?;
    let month = model.month;
    // From reading the register to writing the pack, no other run may write the repository.
    let _locks = lock_repository(&out_dir, &register_path)?;
    let mut register = Register::load(&register_path)?;
    let new_ids = propose(&mut register, &model);
    let view = register.as_of(month, as_of);
    report::link_register(&mut model, &view, &cfg);
    let pack_files = pack::assemble(&model, &templates)?;
    let dir = out_dir.join(month.to_string());
    // Everything is written beside its place first; the pack folder is swapped in whole, then
    // the register takes its new text in one rename. An error before then changes nothing.
    let staged = pack::stage(&dir, &pack_files)?;
    let register_write = register.prepare_save()?;
    staged.commit()?;
    if let Some(w) = register_write {
        w.commit()?;
    }

    if !args.quiet {
        let io = |e| Error::io("stdout", "cannot write", e);
        write!(out, "{}", terminal::summary(&model)).map_err(io)?;
        let charts = pack_files
            .iter()
            .filter(|f| f.path.starts_with("charts"))
            .count();
        if !new_ids.is_empty() {
            if register.exists() {
                writeln!(
                    out,
                    "  Added {} to {}.",
                    new_ids.join(", "),
                    register_path.display()
                )
                .map_err(io)?;
            } else {
                writeln!(
                    out,
                    "  Created the action register {} (there was none) with {}.",
                    register_path.display(),
                    new_ids.join(", ")
                )
                .map_err(io)?;
            }
        }
        writeln!(
            out,
            "\n  Wrote {}/: review.md, review.html, metrics.json, actions.md, charts/ ({charts} SVG)",
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

/// Appends an action for every finding that has no open action in the register yet; returns the
/// new IDs. Findings are matched on metric and scope (`org` or the team).
pub fn propose(register: &mut Register, model: &report::ReportModel) -> Vec<String> {
    let mut ids = Vec::new();
    let view = register.as_of(model.month, model.as_of);
    for p in &model.actions {
        let linked = view.iter().any(|a| {
            a.status == Status::Open
                && a.finding.as_deref() == Some(p.metric.as_str())
                && a.scope == p.scope
        });
        if linked {
            continue;
        }
        ids.push(register.append(NewAction {
            title: p.title.clone(),
            finding: Some(p.metric.clone()),
            scope: p.scope.clone(),
            team: (p.scope != "org").then(|| p.scope.clone()),
            owner: p.owner.clone(),
            due: p.due,
            opened: model.month,
            notes: None,
        }));
    }
    ids
}

/// A spinner on standard error while the data loads, only when that is a terminal.
pub fn spinner(quiet: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let s = indicatif::ProgressBar::new_spinner();
    s.set_message("reading usage and computing the review…");
    s.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(s)
}

/// The same file named twice (in the config, in --data, or in both) is read once, with the kind
/// named last.
fn dedup_paths(files: &mut Vec<(PathBuf, Option<crate::anthropic::Kind>)>) {
    let mut last: std::collections::BTreeMap<PathBuf, usize> = std::collections::BTreeMap::new();
    for (i, (p, _)) in files.iter().enumerate() {
        last.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()), i);
    }
    let keep: std::collections::BTreeSet<usize> = last.into_values().collect();
    let mut i = 0;
    files.retain(|_| {
        i += 1;
        keep.contains(&(i - 1))
    });
}
