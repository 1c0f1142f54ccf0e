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
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            r.day, r.workspace, r.model, r.token_type, r.cost_type, r.service_tier, r.description
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
    Ok(())
}

/// Formats that hold the organisation's whole usage as Anthropic reports it: their teams and apps
/// come from allocation (rules on the actor are applied as Analytics API pages are read), so two
/// of them covering the same days are duplicates whatever teams they were allocated to.
const ORGANISATION_WIDE: [&str; 3] = [USAGE_REPORT, ANALYTICS_USAGE, "console usage"];

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
) -> Result<()> {
    // Which files give a workspace and an API key: a copy of a file with one of them added or
    // left out holds the same usage under other keys, so files that differ in them are also
    // compared without both. Which give a team or app: a copy without them, whose workspace or
    // key an allocation rule gives the same team and app, is compared as allocated.
    let mut gives = vec![(false, false); ds.files.len()];
    let mut tagged = vec![false; ds.files.len()];
    for r in &ds.rows {
        let g = &mut gives[r.file];
        g.0 |= r.workspace_id.is_some();
        g.1 |= r.api_key_id.is_some();
        tagged[r.file] |= (r.team.is_some() || r.app.is_some())
            && !ORGANISATION_WIDE.contains(&ds.files[r.file].format.as_str());
    }
    overlaps(ds, merged, Pass::Exact, &|_, _| true)?;
    overlaps(ds, merged, Pass::Coarse, &|a, b| gives[a] != gives[b])?;
    if !rules.is_empty() && tagged.iter().any(|t| *t) && tagged.iter().any(|t| !*t) {
        overlaps(ds, merged, Pass::Allocated(rules), &|a, b| {
            tagged[a] != tagged[b]
        })?;
    }
    Ok(())
}

/// How [`overlaps`] keys a row: as it is; without workspace and API key (`Coarse`); or with the
/// team and app the allocation rules give it, without workspace and API key (`Allocated`).
#[derive(Clone, Copy)]
enum Pass<'a> {
    Exact,
    Coarse,
    Allocated(&'a [AllocationRule]),
}

/// A model as its dated and undated names both give it (`claude-opus-4-5-20251101` is
/// `claude-opus-4-5`): two files that name it differently still hold the same usage.
pub(crate) fn undated(model: &str) -> &str {
    match model.rsplit_once('-') {
        Some((head, date)) if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => model,
    }
}

/// [`check_overlaps`] on one key: with or without workspace and API key (`coarse`), comparing
/// the pairs of files `compare` accepts.
fn overlaps(
    ds: &Dataset,
    merged: &[usize],
    pass: Pass,
    compare: &dyn Fn(usize, usize) -> bool,
) -> Result<()> {
    let mut spans: BTreeMap<Key, BTreeMap<usize, (NaiveDate, NaiveDate)>> = BTreeMap::new();
    let mut skip = vec![false; ds.files.len()];
    for f in merged {
        skip[*f] = true;
    }
    let coarse = !matches!(pass, Pass::Exact);
    for r in ds.rows.iter().filter(|r| !skip[r.file]) {
        let wide = ORGANISATION_WIDE.contains(&ds.files[r.file].format.as_str());
        // Organisation-wide files are compared as allocated in that pass (a team's own log
        // beside Anthropic's report of the same usage), else without team and app.
        let (team, app) = match pass {
            Pass::Allocated(rules) => {
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
            r.workspace_id.as_deref().filter(|_| !coarse),
            r.api_key_id.as_deref().filter(|_| !coarse),
            undated(r.model.as_str()),
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
                if from <= to {
                    let dims = describe_dims(key);
                    let why = match pass {
                        Pass::Exact => "",
                        Pass::Coarse => {
                            " (one of them gives a workspace or API key the other does not: the same usage under other keys)"
                        }
                        Pass::Allocated(_) => {
                            " (one of them gives team and app columns, the other a workspace or API key that [[allocation]] gives the same team and app: the same usage allocated two ways)"
                        }
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
