//! The pipeline every command shares: configuration → data → priced cube → review → report model.
//!
//! Commands stay thin: `review` adds the register and writes the pack, `check` gates on the
//! result, `email` sends it; each calls [`model`] (or [`priced`] for the data alone).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::actions::Action;
use crate::anthropic::Kind;
use crate::config::Config;
use crate::costing;
use crate::cube::Dataset;
use crate::error::{Error, Result};
use crate::metrics::PricedRow;
use crate::month::Month;
use crate::report::ReportModel;
use crate::{Env, data, review};

/// Usage data named on the command line, beyond the configuration's `data.paths`.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Files, folders or globs (relative to the current folder).
    pub paths: Vec<String>,
    /// What they hold, when not detected from their content.
    pub kind: Option<Kind>,
}

/// Reads the configuration; a missing file says how to point at one. When the file has problems,
/// `data.paths` that match no file are listed with them, so that one run names everything.
pub fn load_config(path: &Path) -> Result<Config> {
    Config::load(path).map_err(|e| match e {
        Error::Io { path, source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            Error::Usage(format!(
                "config file `{}` not found; pass --config FILE (the bundled example is sample-data/govreview.toml, `govreview init` writes a new one)",
                path.display()
            ))
        }
        Error::Config { path, mut problems } => {
            problems.extend(data_paths_problem(&path));
            crate::diag::sort(&mut problems);
            Error::Config { path, problems }
        }
        other => other,
    })
}

/// The problem of a configuration's `data.paths` that match no file, if they do not.
fn data_paths_problem(path: &Path) -> Option<crate::diag::Problem> {
    let text = std::fs::read_to_string(path).ok()?;
    let table: toml::Table = text.parse().ok()?;
    let patterns: Vec<String> = table
        .get("data")?
        .get("paths")?
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    match data::expand_config_paths(&patterns, &base) {
        Err(Error::Usage(msg)) => {
            let loc = crate::diag::Locator::new(&text);
            Some(loc.problem(&["data", "paths"], msg))
        }
        _ => None,
    }
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

/// The files to read: the configuration's `data.paths`, then the command line's, each read once.
pub fn files(cfg: &Config, inputs: &Inputs) -> Result<Vec<(PathBuf, Option<Kind>)>> {
    let mut files: Vec<(PathBuf, Option<Kind>)> =
        data::expand_config_paths(&cfg.data_paths, &cfg.base_dir)?
            .into_iter()
            .map(|p| (p, None))
            .collect();
    files.extend(
        data::expand_paths(&inputs.paths, Path::new(""))?
            .into_iter()
            .map(|p| (p, inputs.kind)),
    );
    dedup_paths(&mut files);
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "no usage data: list files in data.paths of {} or pass --data PATH",
            cfg.path.display()
        )));
    }
    Ok(files)
}

/// Reads and prices the usage data.
pub fn priced(cfg: &Config, inputs: &Inputs, env: &Env) -> Result<(Dataset, Vec<PricedRow>)> {
    priced_by(cfg, inputs, env, false)
}

/// Reads and prices the usage data, one row per day when `by_day` (the FOCUS export).
pub fn priced_by(
    cfg: &Config,
    inputs: &Inputs,
    env: &Env,
    by_day: bool,
) -> Result<(Dataset, Vec<PricedRow>)> {
    let files = files(cfg, inputs)?;
    let options = data::Options {
        fast_path: env.fast_path,
        // The commitment's forecast reads spend by day.
        daily: cfg.commitment.is_some(),
        by_day,
        rules: cfg.allocation.clone(),
        // The spellings the configuration gives teams (owners first, then targets): a team of
        // the data written otherwise takes the configuration's name.
        teams: {
            let mut t: Vec<String> = cfg.team_owners.keys().cloned().collect();
            for k in cfg.targets.teams.keys() {
                if !t.iter().any(|x| x.trim().eq_ignore_ascii_case(k.trim())) {
                    t.push(k.clone());
                }
            }
            t
        },
        price_changes: cfg.prices.price_changes(),
    };
    let ds = data::load_with(
        &files,
        cfg.commitment.as_ref().map(|c| (c.start, c.end)),
        &options,
    )?;
    let priced = costing::price(&ds, cfg)?;
    Ok((ds, priced))
}

/// The review of `month` made on `as_of`, read only: the register at `register` as it stood then,
/// linked to the review's findings (what `check`, `summary`, `backlog` and `email` show). `doing`
/// is shown on a terminal meanwhile.
pub fn linked_model(
    cfg: &Config,
    inputs: &Inputs,
    month: Month,
    as_of: NaiveDate,
    env: &Env,
    register: &Path,
    doing: &str,
) -> Result<(ReportModel, Dataset)> {
    // Dates after today are refused; a review dated later (--as-of) is its own today.
    let register = crate::actions::Register::load_on(register, env.today.max(as_of))?;
    let view = register.as_of(month, as_of);
    env.show(doing);
    let built = model(cfg, inputs, Some(month), as_of, env, &view);
    env.clear();
    let (mut m, ds) = built?;
    review::register::link_register(&mut m, &view, cfg);
    Ok((m, ds))
}

/// The register a command works on: `--register`, else the configuration's `output.register`,
/// else `reviews/actions.toml` in the current folder when there is no configuration.
pub fn register_path(arg: Option<&Path>, cfg: Option<&Config>) -> PathBuf {
    match (arg, cfg) {
        (Some(p), _) => p.to_owned(),
        (None, Some(c)) => c.register.clone(),
        (None, None) => {
            Path::new(crate::config::DEFAULT_OUT_DIR).join(crate::config::REGISTER_FILE)
        }
    }
}

/// The set-up of the commands that show a month without writing a pack (`summary`, `check`,
/// `backlog`, `commitment`): the review of `month` (None: the month before `as_of`) with the
/// register at `register` (None: the configuration's) linked, read only.
pub fn month_review(
    cfg: &Config,
    month: Option<Month>,
    register: Option<&Path>,
    inputs: &Inputs,
    as_of: NaiveDate,
    env: &Env,
    doing: &str,
) -> Result<ReportModel> {
    let month = month.unwrap_or_else(|| Month::of(as_of).prev());
    let path = register_path(register, Some(cfg));
    let (model, _) = linked_model(cfg, inputs, month, as_of, env, &path, doing)?;
    Ok(model)
}

/// The review of `month` (None: the month before `as_of`), made on `as_of`, with the register as
/// it stood then (to measure what earlier actions did); the register is linked by the caller.
pub fn model(
    cfg: &Config,
    inputs: &Inputs,
    month: Option<Month>,
    as_of: NaiveDate,
    env: &Env,
    register: &[Action],
) -> Result<(ReportModel, Dataset)> {
    let month = month.unwrap_or_else(|| Month::of(as_of).prev());
    check_month_over(month, as_of)?;
    let (ds, priced) = priced(cfg, inputs, env)?;
    let model = review::build(cfg, &ds, &priced, month, as_of, register)?;
    Ok((model, ds))
}

/// The same file named twice (in the config, in --data, or in both) is read once, with the kind
/// named last.
fn dedup_paths(files: &mut Vec<(PathBuf, Option<Kind>)>) {
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
