//! `govreview fetch`: a month (or several) of usage and cost pages from the Usage and Cost
//! Analytics API (or, with `--api legacy`, the Admin API's legacy reports), stored as pages.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::Env;
use crate::anthropic::analytics;
use crate::cli::{ApiChoice, FetchArgs, GlobalArgs};
use crate::error::{Error, Result};
use crate::fetch::{Api, Client, Range, Report};
use crate::month::Month;

/// The environment variable that holds an Admin API key.
pub const KEY_VAR: &str = "ANTHROPIC_ADMIN_KEY";
/// The environment variable that holds a Claude Enterprise Analytics API key.
pub const ANALYTICS_KEY_VAR: &str = "ANTHROPIC_ANALYTICS_KEY";

/// Whether a file name is one of fetch's pages (`usage-001.json`, `cost-012.json`).
fn is_page(name: &str) -> bool {
    let stem = name
        .strip_prefix("usage-")
        .or_else(|| name.strip_prefix("cost-"))
        .and_then(|r| r.strip_suffix(".json"));
    stem.is_some_and(|n| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Replaces the pages in `dir` with the files given, whole: staged beside it with any other file
/// already there (a person's notes stay), then swapped in.
fn write_folder(dir: &Path, files: &[(String, String)]) -> Result<()> {
    let staged = crate::fsx::StagedDir::new(dir)?;
    for (file, text) in files {
        staged.write(Path::new(file), text.as_bytes())?;
    }
    staged.carry_over(|rel| {
        let top = rel.parent().is_none_or(|p| p.as_os_str().is_empty());
        !(top && rel.to_str().is_some_and(is_page))
    })?;
    staged.commit()
}

/// The key for `api` and the variable it came from: an Admin API key, or (Analytics API only) an
/// Analytics API key.
fn key(api: Api, env: &Env) -> Result<(String, &'static str)> {
    let admin = env
        .admin_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let analytics = env
        .analytics_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let checked = |k: &str, var: &'static str| -> Result<(String, &'static str)> {
        // A header cannot carry it: say so at once, by position, never echoing the key.
        match k.chars().position(|c| !c.is_ascii_graphic()) {
            Some(at) => {
                let c = k.chars().nth(at).unwrap_or(' ');
                let what = match c {
                    '\n' | '\r' => "a line break".to_owned(),
                    ' ' | '\t' => "a space".to_owned(),
                    c => format!("the character U+{:04X}", u32::from(c)),
                };
                Err(Error::Usage(format!(
                    "{var} holds {what} (character {} of {}); an API key is one line of visible characters. Set it again without it, e.g. export {var}=\"$(tr -d '[:space:]' < key.txt)\"",
                    at + 1,
                    k.chars().count()
                )))
            }
            None => Ok((k.to_owned(), var)),
        }
    };
    match (api, admin, analytics) {
        (_, Some(k), _) => checked(k, KEY_VAR),
        (Api::Analytics, None, Some(k)) => checked(k, ANALYTICS_KEY_VAR),
        (Api::Analytics, None, None) => Err(Error::Usage(format!(
            "set {KEY_VAR} to an Admin API key (sk-ant-admin...), or {ANALYTICS_KEY_VAR} to a Claude Enterprise Analytics API key (read:analytics); keys are read from the environment only, never from a file"
        ))),
        (Api::Legacy, None, _) => Err(Error::Usage(format!(
            "set {KEY_VAR} to an Admin API key (sk-ant-admin...); the legacy reports take no Analytics API key, and keys are read from the environment only, never from a file"
        ))),
    }
}

/// The days of `month` to ask for on `today`: the whole month, or up to yesterday for the current
/// one (None: nothing of it has ended yet). The Analytics API serves only the last 365 days and
/// nothing before 2026-01-01.
fn range(api: Api, month: Month, today: NaiveDate) -> Result<Option<Range>> {
    let end = month.next().first_day().min(today);
    if month > Month::of(today) {
        return Err(Error::Usage(format!(
            "{month} has not begun on {today}: there is nothing to fetch yet. Give a month up to {} (the current one is fetched up to yesterday)",
            Month::of(today)
        )));
    }
    if api == Api::Analytics {
        let first = analytics::first_served(today);
        if month.first_day() < first {
            return Err(Error::Usage(format!(
                "{month} is outside what the Usage and Cost Analytics API serves on {today} (from {first}: never before 2026-01-01, at most {} days back). Review earlier months from the pages already stored in the review repository (data/anthropic/YYYY-MM/), which is why it keeps them; --api legacy reaches further back for Console organisations",
                analytics::WINDOW_DAYS
            )));
        }
    }
    Ok((end > month.first_day()).then_some(Range {
        start: month.first_day(),
        end,
    }))
}

/// Where the pages go: `--out`, else `data/anthropic` beside the configuration file (where the
/// review resolves its data paths), else in the current folder.
fn out_dir(global: &GlobalArgs, args: &FetchArgs) -> PathBuf {
    if let Some(o) = &args.out {
        return o.clone();
    }
    let base = if global.config.is_file() {
        global
            .config
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    } else {
        PathBuf::new()
    };
    base.join("data").join("anthropic")
}

/// Fetches the months and writes OUT/YYYY-MM/{usage,cost}-NNN.json.
pub fn run(
    global: &GlobalArgs,
    args: &FetchArgs,
    as_of: NaiveDate,
    env: &Env,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let api = match args.api {
        ApiChoice::Analytics => Api::Analytics,
        ApiChoice::Legacy => Api::Legacy,
    };
    let (key, key_var) = key(api, env)?;
    if key_var == KEY_VAR && api == Api::Analytics && env.analytics_key.is_some() && !args.quiet {
        let _ = writeln!(
            err,
            "{KEY_VAR} and {ANALYTICS_KEY_VAR} are both set: using {KEY_VAR} (unset it to use the Analytics API key)"
        );
    }
    let base = crate::net::api_base(&args.base_url).map_err(Error::Usage)?;
    let last = args.month.unwrap_or_else(|| Month::of(as_of).prev());
    let months: Vec<Month> = (0..args.months as i32)
        .rev()
        .map(|k| last.plus(-k))
        .collect();
    // Every month is checked before the first request.
    let mut ranges = Vec::new();
    for m in &months {
        ranges.push((*m, range(api, *m, as_of)?));
    }
    let client = Client::new(base.as_str(), key, key_var, api);
    let io = |e| Error::io("stdout", "cannot write", e);
    let quiet = args.quiet;
    let mut on_wait = |why: &str, wait: Duration| {
        if !quiet {
            env.clear();
            if wait.is_zero() {
                let _ = writeln!(err, "{why}");
            } else {
                let _ = writeln!(err, "{why}; retrying in {:.1} s", wait.as_secs_f64());
            }
        }
    };
    let mut reports = vec![Report::Usage];
    if !args.no_costs {
        reports.push(Report::Cost);
    }
    for (month, range) in ranges {
        let Some(range) = range else {
            if !quiet {
                env.clear();
                writeln!(out, "Skipped {month}: no day of it has ended on {as_of}").map_err(io)?;
            }
            continue;
        };
        let mut files = Vec::new();
        let mut counts = Vec::new();
        for report in &reports {
            env.show(&format!("{month}: {}", report.stem()));
            let mut on_page = |n: usize| env.show(&format!("{month}: {}, page {n}", report.stem()));
            // Each page saved as text as it arrives.
            let mut keep = |mut p: Value, cursor: Option<String>| -> Result<(String, usize)> {
                if api == Api::Analytics
                    && let Value::Object(o) = &mut p
                {
                    // What the response does not say: when, for which days and for which page
                    // cursor it was asked.
                    o.insert(
                        analytics::SAVED_BY.to_owned(),
                        json!({
                            "fetched_on": as_of.to_string(),
                            "starting_at": format!("{}T00:00:00Z", range.start),
                            "ending_at": format!("{}T00:00:00Z", range.end),
                            "cursor": cursor,
                            "report": report.stem(),
                        }),
                    );
                }
                let text = serde_json::to_string_pretty(&p)
                    .map_err(|e| Error::Internal(e.to_string()))?
                    + "\n";
                let n = text.len();
                Ok((text, n))
            };
            let pages = client.pages(*report, range, &mut on_wait, &mut on_page, &mut keep)?;
            counts.push(format!(
                "{} {} page{}",
                pages.len(),
                report.stem(),
                if pages.len() == 1 { "" } else { "s" }
            ));
            for (i, text) in pages.into_iter().enumerate() {
                files.push((format!("{}-{:03}.json", report.stem(), i + 1), text));
            }
        }
        let dir = out_dir(global, args).join(month.to_string());
        // A row the API gave twice across the walk's pages is refused now, not saved for every
        // later review to refuse.
        crate::data::check_fetched(&dir, &files).map_err(|e| {
            Error::Input(format!(
                "the API's pages for {month} would be refused by every review: {}. The API repeated rows across the pages of its walk (its data may have been refreshed meanwhile); nothing was saved for {month}: fetch it again later",
                e.shown()
            ))
        })?;
        write_folder(&dir, &files)?;
        if !quiet {
            let final_from = analytics::final_from(month);
            let line = format!(
                "Fetched {month}: {} -> {}/{}",
                counts.join(", "),
                dir.display(),
                if api == Api::Analytics && as_of < final_from {
                    format!(
                        " (provisional: Anthropic may revise it until {final_from}; fetch it again then)"
                    )
                } else {
                    String::new()
                }
            );
            env.clear();
            writeln!(out, "{line}").map_err(io)?;
        }
    }
    env.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_replaced_and_other_files_kept() {
        assert!(is_page("usage-001.json") && is_page("cost-120.json"));
        assert!(!is_page("usage-1.json") && !is_page("notes.md") && !is_page("usage-001.json.bak"));
        let dir = tempfile::tempdir().unwrap();
        let month = dir.path().join("2026-10");
        std::fs::create_dir_all(month.join("sub")).unwrap();
        for f in ["usage-001.json", "usage-002.json", "notes.md", "sub/x.txt"] {
            std::fs::write(month.join(f), f).unwrap();
        }
        write_folder(&month, &[("usage-001.json".into(), "new".into())]).unwrap();
        assert_eq!(
            std::fs::read_to_string(month.join("usage-001.json")).unwrap(),
            "new"
        );
        assert!(!month.join("usage-002.json").exists(), "stale pages go");
        assert_eq!(
            std::fs::read_to_string(month.join("notes.md")).unwrap(),
            "notes.md"
        );
        assert_eq!(
            std::fs::read_to_string(month.join("sub/x.txt")).unwrap(),
            "sub/x.txt"
        );
    }

    #[test]
    fn ranges_stop_before_today_and_inside_the_served_window() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let m = |s: &str| s.parse::<Month>().unwrap();
        let r = range(Api::Analytics, m("2026-10"), d("2026-11-26"))
            .unwrap()
            .unwrap();
        assert_eq!((r.start, r.end), (d("2026-10-01"), d("2026-11-01")));
        let r = range(Api::Analytics, m("2026-11"), d("2026-11-26"))
            .unwrap()
            .unwrap();
        assert_eq!(r.end, d("2026-11-26"), "today is not over yet");
        assert_eq!(
            range(Api::Analytics, m("2026-11"), d("2026-11-01")).unwrap(),
            None
        );
        let e = range(Api::Analytics, m("2025-12"), d("2026-11-26"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("from 2026-01-01") && e.contains("stored in the review repository"),
            "{e}"
        );
        let e = range(Api::Analytics, m("2026-06"), d("2027-06-15"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("from 2026-06-15"), "{e}");
        assert!(range(Api::Legacy, m("2025-12"), d("2026-11-26")).is_ok());
        for api in [Api::Analytics, Api::Legacy] {
            let e = range(api, m("2026-12"), d("2026-11-30"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("2026-12 has not begun on 2026-11-30"), "{e}");
        }
    }

    #[test]
    fn a_key_a_header_cannot_carry_is_refused_at_once_without_echoing_it() {
        let env = |k: &str| Env {
            admin_key: Some(k.to_owned()),
            ..Env::plain(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap())
        };
        let (k, var) = key(Api::Analytics, &env("  sk-ant-admin01-abc\n")).unwrap();
        assert_eq!((k.as_str(), var), ("sk-ant-admin01-abc", KEY_VAR));
        for (bad, what, at) in [
            ("sk-ant-admin01\nabc", "a line break", "character 15 of 18"),
            ("sk-ant admin01", "a space", "character 7 of 14"),
            ("sk-ant-é", "U+00E9", "character 8 of 8"),
        ] {
            let e = key(Api::Analytics, &env(bad)).unwrap_err().to_string();
            assert!(
                e.contains(KEY_VAR) && e.contains(what) && e.contains(at),
                "{e}"
            );
            assert!(!e.contains("admin01"), "the key is never echoed: {e}");
        }
    }
}
