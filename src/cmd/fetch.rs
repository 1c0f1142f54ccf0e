//! `govreview fetch`: Admin API usage and cost reports for one or more months, stored as pages.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;

use crate::Env;
use crate::cli::FetchArgs;
use crate::error::{Error, Result};
use crate::fetch::{Client, Report};
use crate::month::Month;

/// The environment variable that holds the admin key.
pub const KEY_VAR: &str = "ANTHROPIC_ADMIN_KEY";

/// Replaces `dir` with the files given, whole: staged beside it, then swapped in.
fn write_folder(dir: &Path, files: &[(String, String)]) -> Result<()> {
    let staged = crate::fsx::StagedDir::new(dir)?;
    for (file, text) in files {
        staged.write(Path::new(file), text.as_bytes())?;
    }
    staged.commit()
}

/// Fetches the months and writes OUT/YYYY-MM/{usage,cost}-NNN.json.
pub fn run(
    args: &FetchArgs,
    as_of: NaiveDate,
    env: &Env,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let key = env.admin_key.clone().unwrap_or_default();
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
    let quiet = args.quiet;
    let mut on_wait = |why: &str, wait: Duration| {
        if !quiet {
            env.clear();
            let _ = writeln!(err, "{why}; retrying in {:.1} s", wait.as_secs_f64());
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
            env.show(&format!("{month}: {} report", report.stem()));
            let mut on_page =
                |n: usize| env.show(&format!("{month}: {} report, page {n}", report.stem()));
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
            env.clear();
            writeln!(out, "{line}").map_err(io)?;
        }
    }
    env.clear();
    Ok(())
}
