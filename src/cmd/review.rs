//! `govreview review`: usage in, review pack out.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

use crate::Env;
use crate::actions::Register;
use crate::cli::{GlobalArgs, ReviewArgs};
use crate::error::{Error, Result};
use crate::fsx::RepoLock;
use crate::month::Month;
use crate::render::{Templates, terminal};
use crate::{pack, pipeline, review};

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

/// Writes the stages' timings to `err` when asked for (`GOVREVIEW_TIMINGS`).
pub fn report_timings(env: &Env, ds: &crate::cube::Dataset, err: &mut dyn Write) {
    if env.timings {
        for (stage, secs) in &ds.timings {
            let _ = writeln!(err, "timing: {stage}: {secs:.3} s");
        }
        // Peak memory so far (Linux), to tell loading's share of the run's peak,
        // and what is resident now: the program's own pages (file) and the heap
        // and stacks (anonymous).
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_owned())
            };
            if let (Some(peak), Some(anon), Some(file)) =
                (field("VmHWM:"), field("RssAnon:"), field("RssFile:"))
            {
                let _ = writeln!(
                    err,
                    "timing: peak memory after loading: {peak} (now {anon} anonymous, {file} file)"
                );
            }
        }
    }
}

/// Runs a review and writes its pack; prints the summary unless quiet.
pub fn run(
    global: &GlobalArgs,
    args: &ReviewArgs,
    as_of: NaiveDate,
    env: &Env,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let templates = Templates::new(args.templates.as_deref())?;
    if let Some(m) = args.month {
        pipeline::check_month_over(m, as_of)?;
    }
    let cfg = pipeline::load_config(&global.config)?;
    let out_dir = args.out.clone().unwrap_or_else(|| cfg.out_dir.clone());
    let register_path = match (&args.register, &args.out) {
        (Some(r), _) => r.clone(),
        (None, Some(o)) => o.join(crate::config::REGISTER_FILE),
        (None, None) => cfg.register.clone(),
    };
    let month = args.month.unwrap_or_else(|| Month::of(as_of).prev());
    // From reading the register to writing the pack, no other run may write the repository.
    let _locks = lock_repository(&out_dir, &register_path)?;
    // Dates after today are refused; a review dated later (--as-of) is its own today.
    let mut register = Register::load_on(&register_path, env.today.max(as_of))?;
    if !args.quiet {
        for w in &register.warnings {
            let _ = writeln!(err, "warning: {}", crate::secret::printable(w));
        }
    }
    let before = register.as_of(month, as_of);
    env.show("reading usage and computing the review…");
    let built = pipeline::model(&cfg, &args.input.inputs(), Some(month), as_of, env, &before);
    env.clear();
    let (mut model, ds) = built?;
    report_timings(env, &ds, err);
    let new_ids = review::register::propose(&mut register, &model)?;
    let view = register.as_of(month, as_of);
    review::register::link_register(&mut model, &view, &cfg);
    let pack_files = pack::assemble(&model, &templates)?;
    let dir = out_dir.join(month.to_string());
    // A past month's pack (a later month's beside it) is history: it is rewritten only when
    // asked, and otherwise the run says what it would have changed.
    let later = pack::later_packs(&out_dir, month);
    if dir.join("review.md").is_file() && !later.is_empty() {
        let changed = pack::changes(&dir, &pack_files);
        if changed.is_empty() {
            if !args.quiet {
                writeln!(
                    out,
                    "{}/ is unchanged: the review of {month} made on {as_of} gives the same pack.",
                    dir.display()
                )
                .map_err(|e| Error::io("stdout", "cannot write", e))?;
            }
            return Ok(());
        }
        if !args.rewrite {
            let was_final = std::fs::read_to_string(dir.join("review.md"))
                .is_ok_and(|t| !t.contains("**DRAFT**"));
            let draft = if was_final && model.status == "draft" {
                " It would also turn the final review into a DRAFT (an action it shows now lacks an owner or a due date)."
            } else {
                ""
            };
            let shown: Vec<&str> = changed.iter().take(8).map(String::as_str).collect();
            return Err(Error::Usage(format!(
                "{} is the pack of a past month ({} came after it); reviewing {month} again on {as_of} would change {}{}.{draft} The pack was left as it was: to replace it, run again with --rewrite (the register's later edits then show in the old month)",
                dir.display(),
                later[0],
                shown.join(", "),
                if changed.len() > shown.len() {
                    format!(" and {} more", changed.len() - shown.len())
                } else {
                    String::new()
                }
            )));
        }
    }
    // Everything is written beside its place first; the pack folder is swapped in whole, then
    // the register takes its new text in one rename. An error before then changes nothing.
    let staged = pack::stage(&dir, &pack_files)?;
    let register_write = register.prepare_save()?;
    // The pack and the register together or not at all: a register that cannot be replaced
    // puts the earlier pack back.
    staged.commit_then(|| register_write.map_or(Ok(()), |w| w.commit()))?;

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
        let teams = pack_files
            .iter()
            .filter(|f| {
                f.path.starts_with("teams") && f.path.extension().is_some_and(|e| e == "html")
            })
            .count();
        writeln!(
            out,
            "\n  Wrote {}/: review.md, review.html, metrics.json, actions.md, summary.txt, teams/ ({}), charts/ ({charts} SVG)",
            dir.display(),
            crate::fmt::count(teams as i64, "team page")
        )
        .map_err(io)?;
    }
    Ok(())
}
