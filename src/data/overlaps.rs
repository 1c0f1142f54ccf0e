//! The same data loaded twice would count twice: refused, naming both files.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::anthropic;
use crate::config::{AllocationRule, RuleKeys, allocate_keys};
use crate::cube::{Dataset, FileInfo};
use crate::data::detect::{ANALYTICS_USAGE, USAGE_REPORT};
use crate::error::{Error, Result};
use crate::month::Month;

/// Refuses billed records that two files both hold: loading them twice would double the bill.
pub(crate) fn check_cost_overlaps(
    costs: &[(usize, anthropic::CostRecord)],
    infos: &[FileInfo],
) -> Result<()> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (file, r) in costs {
        let key = format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}",
            r.day,
            r.workspace,
            r.model,
            r.token_type,
            r.cost_type,
            r.service_tier,
            r.description,
            r.detail
        );
        match seen.get(&key) {
            Some(other) if other != file => {
                return Err(Error::Input(format!(
                    "{} and {} both hold billed costs for {}{}: the same cost data loaded twice would be counted twice. Give each day's costs in one file only",
                    infos[*other].path.display(),
                    infos[*file].path.display(),
                    r.day,
                    r.model
                        .as_ref()
                        .map_or(String::new(), |m| format!(" ({m})"))
                )));
            }
            _ => {
                seen.insert(key, *file);
            }
        }
    }
    // Files of two formats (Analytics cost pages, a legacy cost report, a Console cost export),
    // or of one format in two folders, billing one model on one day: two sources of one bill.
    // Their rows are not comparable line by line (the formats group costs differently), so the
    // day and model decide, with the workspace where both give IDs (a Console export gives
    // names: "Default" is the API's none). One entry per cost row: what it bills (a model, or a
    // cost type without one), whether it may be any model's (a report not grouped by model or
    // description), its file, workspace and other dimensions.
    struct Bill<'a> {
        what: String,
        any_model: bool,
        credit: bool,
        file: usize,
        workspace: Option<&'a str>,
        /// Every other dimension, compared between files of one format.
        dims: Vec<(&'static str, String)>,
    }
    // Rows of one format are the same cost unless a dimension both give differs (a row not
    // grouped by a dimension covers every value of it: a re-fetch grouped otherwise).
    let compatible = |a: &Bill, b: &Bill| {
        a.dims.iter().all(|(k, v)| {
            b.dims
                .iter()
                .find(|(l, _)| l == k)
                .is_none_or(|(_, w)| w == v)
        })
    };
    let mut by_day: BTreeMap<chrono::NaiveDate, Vec<Bill>> = BTreeMap::new();
    for (file, r) in costs {
        let (what, any_model) = match &r.model {
            // A credit is not the model's bill.
            Some(m) if r.credit => (
                format!("credit ({})", super::repeats::model_key(m).to_lowercase()),
                false,
            ),
            Some(m) => (super::repeats::model_key(m).to_lowercase(), false),
            None if r.credit => ("credit (no model)".to_owned(), false),
            None => match r.cost_type.as_deref().map(str::to_lowercase) {
                Some(t) if t != "tokens" => (format!("{t} (no model)"), false),
                _ => ("cost not grouped by model".to_owned(), true),
            },
        };
        by_day.entry(r.day).or_default().push(Bill {
            what,
            any_model,
            credit: r.credit,
            file: *file,
            workspace: r.workspace.as_deref(),
            dims: [
                ("service_tier", &r.service_tier),
                ("token_type", &r.token_type),
                ("cost_type", &r.cost_type),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
            .chain(r.detail.split(';').filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                // The known keys of the three formats (others are compared as one text).
                let k: &'static str = match k {
                    "api_key" => "api_key",
                    "context_window" => "context_window",
                    "inference_geo" => "inference_geo",
                    "speed" => "speed",
                    _ => "other",
                };
                Some((k, v.to_owned()))
            }))
            .collect(),
        });
    }
    let folder = |f: usize| infos[f].path.parent().map(std::path::Path::to_path_buf);
    let console = |f: usize| infos[f].format == "console cost";
    for (day, bills) in &by_day {
        // Each file's bills of the day, compared with other files' only.
        let mut files: BTreeMap<usize, Vec<&Bill>> = BTreeMap::new();
        for b in bills {
            files.entry(b.file).or_default().push(b);
        }
        let files: Vec<(usize, Vec<&Bill>)> = files.into_iter().collect();
        for (i, (fa, a_bills)) in files.iter().enumerate() {
            for (fb, b_bills) in &files[i + 1..] {
                let same_format = infos[*fa].format == infos[*fb].format;
                // Files of one format in one folder are pages of one walk (their rows were
                // compared one by one above), unless one holds a bill not grouped by model;
                // in two folders, or of two formats, two sources.
                let one_walk = same_format && folder(*fa) == folder(*fb);
                for a in a_bills {
                    for b in b_bills {
                        if one_walk && !(a.any_model || b.any_model) {
                            continue;
                        }
                        let same_thing = a.what == b.what
                            || (a.any_model && !b.credit)
                            || (b.any_model && !a.credit);
                        // One format gives the same dimensions: rows that differ in them differ
                        // (a tier, a token type, an API key, a context window).
                        let same_detail =
                            !same_format || a.any_model || b.any_model || compatible(a, b);
                        let same_workspace = if console(*fa) != console(*fb) {
                            // A Console name cannot be told from an API workspace ID: one,
                            // unless the API's is the default (none) and the Console's is not.
                            let (ws_console, ws_api) = if console(*fa) {
                                (a.workspace, b.workspace)
                            } else {
                                (b.workspace, a.workspace)
                            };
                            ws_api.is_some()
                                || ws_console.is_none_or(|w| w.eq_ignore_ascii_case("default"))
                        } else {
                            a.workspace == b.workspace
                        };
                        if same_thing && same_detail && same_workspace {
                            let what = if a.any_model { &b.what } else { &a.what };
                            return Err(Error::Input(format!(
                                "{} ({}) and {} ({}) are two sources of billed cost for {what} on {day}{}: the same bill loaded twice would be counted twice. Keep one source of billed cost for each day (one set of Analytics cost pages, legacy cost report pages or Console cost exports)",
                                infos[*fa].path.display(),
                                infos[*fa].format,
                                infos[*fb].path.display(),
                                infos[*fb].format,
                                match (a.workspace, b.workspace) {
                                    (Some(w), _) | (None, Some(w)) => format!(", workspace {w}"),
                                    _ => String::new(),
                                }
                            )));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Formats that hold the organisation's whole usage as Anthropic reports it: their teams and apps
/// come from allocation (rules on the actor are applied as Analytics API pages are read), so two
/// of them covering the same days are duplicates whatever teams they were allocated to.
const ORGANISATION_WIDE: [&str; 3] = [USAGE_REPORT, ANALYTICS_USAGE, CONSOLE_USAGE];

/// A Console usage export's format.
const CONSOLE_USAGE: &str = "console usage";

/// The dataset a file is one part of, when files of one folder split rows rather than days and
/// so share days by design: pages of one Analytics API response (it pages rows), and the parts an
/// engine writes for one table (Spark, Databricks, Hive and Hadoop `part-*` files; DuckDB's
/// per-thread `data_N` files). Parts of one dataset are never duplicates of each other; the same
/// dataset copied to another folder still is.
fn dataset(f: &FileInfo) -> Option<(&std::path::Path, &'static str)> {
    let folder = f.path.parent().unwrap_or(std::path::Path::new(""));
    if f.format == ANALYTICS_USAGE {
        return Some((folder, "pages"));
    }
    let name = f.path.file_name()?.to_str()?;
    let stem = name.split('.').next().unwrap_or(name);
    let numbered = |rest: &str| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
    if name.starts_with("part-") || stem.strip_prefix("data_").is_some_and(numbered) {
        return Some((folder, "parts"));
    }
    None
}

/// Fails when two files hold usage of the same dimensions on overlapping days: the same data
/// loaded twice would double count silently. Files of Anthropic's organisation-wide formats are
/// compared without their team and app. The rows of the `merged` files hold the usage of several
/// files whose days overlap no other file's (the Parquet fast path sums them as it reads them):
/// they cannot be duplicates, and are not compared.
pub(crate) fn check_overlaps(
    ds: &Dataset,
    merged: &[usize],
    rules: &[AllocationRule],
    days_of: &dyn Fn(usize) -> Option<Vec<NaiveDate>>,
) -> Result<()> {
    // The days a file holds, asked only for files whose spans overlap (a cube row knows its
    // first and last day, not the days between), once each.
    let cache: std::cell::RefCell<BTreeMap<usize, Option<Vec<NaiveDate>>>> = Default::default();
    let days_of = |f: usize| -> Option<Vec<NaiveDate>> {
        cache
            .borrow_mut()
            .entry(f)
            .or_insert_with(|| days_of(f))
            .clone()
    };
    let days_of: &dyn Fn(usize) -> Option<Vec<NaiveDate>> = &days_of;
    // What each file gives: a workspace, an API key, a team or app of its own. A copy of a file
    // with a key column added or left out holds the same usage under other keys, so two files
    // that differ in what they give are also compared on what both give only (and as allocated
    // when one gives team and app and the other leaves them to the [[allocation]] rules).
    let mut gives = vec![Gives::default(); ds.files.len()];
    for r in &ds.rows {
        let g = &mut gives[r.file];
        g.workspace |= r.workspace_id.is_some();
        g.key |= r.api_key_id.is_some();
        g.tagged |= (r.team.is_some() || r.app.is_some())
            && !ORGANISATION_WIDE.contains(&ds.files[r.file].format.as_str());
    }
    overlaps(ds, merged, Pass::EXACT, days_of, &|_, _| true)?;
    // A Console usage export names workspaces and keys, the API's reports give their IDs: the
    // two of the same days are compared without them (both hold the organisation's usage).
    let format = |f: usize| ds.files[f].format.as_str();
    let console_vs_api = |a: usize, b: usize| {
        ORGANISATION_WIDE.contains(&format(a))
            && ORGANISATION_WIDE.contains(&format(b))
            && format(a) != format(b)
            && (format(a) == CONSOLE_USAGE || format(b) == CONSOLE_USAGE)
    };
    let wide_files = ds
        .files
        .iter()
        .filter(|f| ORGANISATION_WIDE.contains(&f.format.as_str()))
        .count();
    if wide_files > 1 {
        let pass = Pass {
            workspace: false,
            key: false,
            rules: None,
            note: Some(
                "a Console usage export and the API's report both hold the organisation's usage, the one naming workspaces and keys, the other giving their IDs",
            ),
        };
        overlaps(ds, merged, pass, days_of, &console_vs_api)?;
    }
    let mut kinds: Vec<Gives> = gives.clone();
    kinds.sort();
    kinds.dedup();
    for (i, p) in kinds.iter().enumerate() {
        for q in &kinds[i + 1..] {
            let allocate = p.tagged != q.tagged;
            if allocate && rules.is_empty() {
                // Team and app on one side only, and nothing to allocate the other's by.
                continue;
            }
            let pass = Pass {
                workspace: p.workspace && q.workspace,
                key: p.key && q.key,
                rules: allocate.then_some(rules),
                note: None,
            };
            overlaps(ds, merged, pass, days_of, &|a, b| {
                (gives[a] == *p && gives[b] == *q) || (gives[a] == *q && gives[b] == *p)
            })?;
        }
    }
    Ok(())
}

/// What a file's rows give.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Gives {
    workspace: bool,
    key: bool,
    tagged: bool,
}

/// How [`overlaps`] keys a row: with or without its workspace and API key, and with its own
/// team and app or those the allocation rules give it.
#[derive(Clone, Copy)]
struct Pass<'a> {
    workspace: bool,
    key: bool,
    rules: Option<&'a [AllocationRule]>,
    /// Why the files are compared so, for the message (when not said by the above).
    note: Option<&'static str>,
}

impl Pass<'_> {
    const EXACT: Pass<'static> = Pass {
        workspace: true,
        key: true,
        rules: None,
        note: None,
    };
}

/// [`check_overlaps`] on one key: with or without workspace and API key (`coarse`), comparing
/// the pairs of files `compare` accepts.
fn overlaps(
    ds: &Dataset,
    merged: &[usize],
    pass: Pass,
    days_of: &dyn Fn(usize) -> Option<Vec<NaiveDate>>,
    compare: &dyn Fn(usize, usize) -> bool,
) -> Result<()> {
    let mut spans: BTreeMap<Key, BTreeMap<usize, (NaiveDate, NaiveDate)>> = BTreeMap::new();
    let mut skip = vec![false; ds.files.len()];
    for f in merged {
        skip[*f] = true;
    }
    for r in ds.rows.iter().filter(|r| !skip[r.file]) {
        let wide = ORGANISATION_WIDE.contains(&ds.files[r.file].format.as_str());
        // Organisation-wide files are compared as allocated in that pass (a team's own log
        // beside Anthropic's report of the same usage), else without team and app.
        let (team, app) = match pass.rules {
            Some(rules) => {
                let keys = RuleKeys {
                    workspace_id: r.workspace_id.as_deref(),
                    api_key_id: r.api_key_id.as_deref(),
                    model: &r.model,
                    actor: None,
                    actor_type: None,
                };
                let (t, a) = allocate_keys(r.team.clone(), r.app.clone(), &keys, rules);
                (t.map(Cow::Owned), a.map(Cow::Owned))
            }
            _ if wide => (None, None),
            _ => (
                r.team.as_deref().map(Cow::Borrowed),
                r.app.as_deref().map(Cow::Borrowed),
            ),
        };
        let key = (
            r.month,
            team,
            app,
            r.workspace_id.as_deref().filter(|_| pass.workspace),
            r.api_key_id.as_deref().filter(|_| pass.key),
            super::repeats::undated(r.model.as_str()),
            r.tier.as_str(),
        );
        let e = spans
            .entry(key)
            .or_default()
            .entry(r.file)
            .or_insert((r.first_day, r.last_day));
        e.0 = e.0.min(r.first_day);
        e.1 = e.1.max(r.last_day);
    }
    for (key, files) in &spans {
        let v: Vec<(&usize, &(NaiveDate, NaiveDate))> = files.iter().collect();
        for (i, (fa, a)) in v.iter().enumerate() {
            for (fb, b) in &v[i + 1..] {
                let (one, other) = (&ds.files[**fa], &ds.files[**fb]);
                if (dataset(one).is_some() && dataset(one) == dataset(other))
                    || !compare(**fa, **fb)
                {
                    continue;
                }
                let from = a.0.max(b.0);
                let to = a.1.min(b.1);
                // Spans that overlap: the days both files hold in them (a file whose days
                // cannot be listed counts as holding all of its span).
                let common: Vec<NaiveDate> = if from <= to {
                    match (days_of(**fa), days_of(**fb)) {
                        (Some(x), Some(y)) => {
                            let y: std::collections::BTreeSet<NaiveDate> =
                                y.into_iter().filter(|d| *d >= from && *d <= to).collect();
                            x.into_iter().filter(|d| y.contains(d)).collect()
                        }
                        _ => vec![from, to],
                    }
                } else {
                    Vec::new()
                };
                if let (Some(&from), Some(&to)) = (common.iter().min(), common.iter().max()) {
                    let dims = describe_dims(key);
                    let noted = pass.note.map(|n| format!(" ({n})"));
                    let why = if let Some(n) = &noted {
                        n.as_str()
                    } else if pass.rules.is_some() {
                        " (one of them gives team and app columns, the other a workspace or API key that [[allocation]] gives the same team and app: the same usage allocated two ways)"
                    } else if !(pass.workspace && pass.key) {
                        " (one of them gives a workspace or API key the other does not: the same usage under other keys)"
                    } else {
                        ""
                    };
                    return Err(Error::Input(format!(
                        "{} and {} both hold usage of {dims} for {from}..{to}{why}: the same data loaded twice would be counted twice. Give each day's usage in one file only (remove the duplicate file or its overlapping days)",
                        one.path.display(),
                        other.path.display(),
                    )));
                }
            }
        }
    }
    Ok(())
}

/// What [`overlaps`] compares rows by: month, team, app, workspace, API key, undated model, tier.
type Key<'a> = (
    Month,
    Option<Cow<'a, str>>,
    Option<Cow<'a, str>>,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
    &'a str,
);

fn describe_dims(key: &Key) -> String {
    let mut parts = vec![format!("model {}", key.5), format!("tier {}", key.6)];
    for (name, v) in [
        ("team", key.1.as_deref()),
        ("app", key.2.as_deref()),
        ("workspace", key.3),
        ("api key", key.4),
    ] {
        if let Some(v) = v {
            parts.push(format!("{name} {v}"));
        }
    }
    parts.join(", ")
}
