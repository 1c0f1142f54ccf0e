//! `govreview fetch`: Admin API usage and cost reports for one or more months, stored as pages.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;

use crate::cli::FetchArgs;
use crate::error::{Error, Result};
use crate::fetch::{Client, Report};
use crate::month::Month;

/// The environment variable that holds the admin key.
pub const KEY_VAR: &str = "ANTHROPIC_ADMIN_KEY";

/// Replaces `dir` with the files given, whole: written into a staging folder, then swapped in.
fn write_folder(dir: &Path, files: &[(String, String)]) -> Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "cannot create folder", e))?;
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("month");
    let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let result = (|| {
        std::fs::create_dir_all(&staging)
            .map_err(|e| Error::io(&staging, "cannot create folder", e))?;
        for (file, text) in files {
            let p = staging.join(file);
            std::fs::write(&p, text).map_err(|e| Error::io(&p, "cannot write", e))?;
        }
        if dir.exists() {
            std::fs::rename(dir, &old).map_err(|e| Error::io(dir, "cannot replace", e))?;
        }
        std::fs::rename(&staging, dir).map_err(|e| Error::io(dir, "cannot write", e))?;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, "cannot remove", e))?;
        }
        Ok(())
    })();
    if staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// Fetches the months and writes OUT/YYYY-MM/{usage,cost}-NNN.json.
pub fn run(args: &FetchArgs, as_of: NaiveDate, out: &mut dyn Write) -> Result<()> {
    let key = std::env::var(KEY_VAR).unwrap_or_default();
    if key.trim().is_empty() {
        return Err(Error::Usage(format!(
            "set {KEY_VAR} to an Admin API key (sk-ant-admin...); the key is read from the environment only, never from a file"
        )));
    }
    if !args.base_url.starts_with("https://")
        && !crate::net::is_loopback_host(crate::net::url_host(&args.base_url))
    {
        return Err(Error::Usage(format!(
            "`{}` is not HTTPS; the admin key would travel unencrypted. Use https:// (plain http only to 127.0.0.1 or localhost)",
            args.base_url
        )));
    }
    if args.months == 0 {
        return Err(Error::Usage("--months must be 1 or more".into()));
    }
    let last = args.month.unwrap_or_else(|| Month::of(as_of).prev());
    let client = Client::new(&args.base_url, key.trim().to_owned());
    let io = |e| Error::io("stdout", "cannot write", e);
    let spinner = crate::cmd::review::spinner(args.quiet);
    let quiet = args.quiet;
    let mut on_wait = |why: &str, wait: Duration| {
        if !quiet {
            eprintln!("{why}; retrying in {:.1} s", wait.as_secs_f64());
        }
    };
    let mut reports = vec![Report::Usage];
    if !args.no_costs {
        reports.push(Report::Cost);
    }
    for k in (0..args.months as i32).rev() {
        let month = last.plus(-k);
        let mut files = Vec::new();
        let mut counts = Vec::new();
        for report in &reports {
            if let Some(s) = &spinner {
                s.set_message(format!("{month}: {} report", report.stem()));
            }
            let mut on_page = |n: usize| {
                if let Some(s) = &spinner {
                    s.set_message(format!("{month}: {} report, page {n}", report.stem()));
                }
            };
            let pages = client.pages(*report, month, &mut on_wait, &mut on_page)?;
            counts.push(format!(
                "{} {} page{}",
                pages.len(),
                report.stem(),
                if pages.len() == 1 { "" } else { "s" }
            ));
            for (i, p) in pages.iter().enumerate() {
                let text =
                    serde_json::to_string_pretty(p).map_err(|e| Error::Internal(e.to_string()))?;
                files.push((format!("{}-{:03}.json", report.stem(), i + 1), text + "\n"));
            }
        }
        let dir = args.out.join(month.to_string());
        write_folder(&dir, &files)?;
        if !quiet {
            let line = format!(
                "Fetched {month}: {} -> {}/",
                counts.join(", "),
                dir.display()
            );
            let mut print = || writeln!(out, "{line}").map_err(io);
            match &spinner {
                Some(s) => s.suspend(print)?,
                None => print()?,
            }
        }
    }
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    Ok(())
}
