//! Saved API pages as a set: the same page saved twice (by content, or by the query and cursor
//! it answered) would count twice, and a walk whose next page is missing would read the days it
//! holds as days without usage. Both are refused, naming the files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::anthropic::{self, analytics};
use crate::error::{Error, Result};

/// What one saved page says about its place in a walk.
#[derive(Debug, Clone)]
pub(crate) struct PageInfo {
    path: PathBuf,
    /// `usage` or `cost`, and which API: pages of different reports never continue each other.
    report: &'static str,
    /// Its rows, as compact JSON (the content two copies share).
    data: String,
    /// Whether it says more pages follow, and the cursor of the next.
    has_more: bool,
    next_page: Option<String>,
    /// What govreview's fetch recorded: the query's range and the cursor this page answered
    /// (`None` for the first page).
    range: Option<(String, String)>,
    cursor: Option<Option<String>>,
    /// Its number in fetch's naming (`usage-002.json` is 2).
    number: Option<u32>,
    /// The report fetch recorded it answers (`usage`, `cost`), else its name's stem: an empty
    /// usage page and an empty cost page of one month answer one range and cursor, yet are two
    /// walks.
    walk: Option<String>,
}

impl PageInfo {
    /// A page's walk information; None for files that are not pages.
    pub(crate) fn of(path: &Path, kind: anthropic::Kind, page: &Value) -> Option<PageInfo> {
        let report = match kind {
            anthropic::Kind::AnalyticsUsage => "analytics usage",
            anthropic::Kind::AnalyticsCost => "analytics cost",
            anthropic::Kind::UsageReport => "usage report",
            anthropic::Kind::CostReport => "cost report",
            _ => return None,
        };
        let saved = page.get(analytics::SAVED_BY);
        let at = |k: &str| {
            saved
                .and_then(|s| s.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let range = at("starting_at").zip(at("ending_at"));
        let cursor = saved
            .and_then(|s| s.get("cursor"))
            .map(|c| c.as_str().map(str::to_owned));
        let name = path.file_name()?.to_str()?;
        let number = name
            .strip_suffix(".json")
            .and_then(|s| s.rsplit_once('-'))
            .and_then(|(_, n)| n.parse::<u32>().ok());
        let walk = at("report").or_else(|| {
            name.strip_suffix(".json")
                .and_then(|s| s.rsplit_once('-'))
                .map(|(stem, _)| stem.to_owned())
        });
        Some(PageInfo {
            path: path.to_owned(),
            walk,
            report,
            data: page.get("data").map(Value::to_string).unwrap_or_default(),
            has_more: page
                .get("has_more")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            next_page: page
                .get("next_page")
                .and_then(Value::as_str)
                .map(str::to_owned),
            range,
            cursor,
            number,
        })
    }

    fn folder(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    fn stem(&self) -> Option<&str> {
        let name = self.path.file_name()?.to_str()?;
        Some(name.rsplit_once('-')?.0)
    }
}

/// A page's walk fields as the API sends them: `has_more` a boolean and `next_page` a string
/// (either may be absent or null). Anything else cannot be read, and reading it as "no more
/// pages" would turn the days of a missing page into days without usage.
pub(crate) fn check_walk_fields(path: &Path, page: &Value) -> Result<()> {
    let bad = |key: &str, v: &Value, want: &str| {
        Error::data(
            path,
            None,
            Some(key),
            format!(
                "is {v}, not {want}: govreview cannot tell whether more pages follow. Save the page as the API sent it (govreview fetch does)"
            ),
        )
    };
    match page.get("has_more") {
        None | Some(Value::Null) | Some(Value::Bool(_)) => {}
        Some(v) => return Err(bad("has_more", v, "true or false")),
    }
    match page.get("next_page") {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(v) => return Err(bad("next_page", v, "a cursor string or null")),
    }
    // A legacy report's bucket lists its results, an empty list for a day without any: a
    // bucket whose results are not a list would read as a day without usage.
    let buckets = page
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for (i, b) in buckets.enumerate() {
        // A bucket (or row) lies within one UTC day: one that spans two would give its usage
        // to the first day, and its month, while its cost may be billed in the next.
        let at = |k: &str| {
            b.get(k)
                .and_then(Value::as_str)
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t.to_uppercase()).ok())
                .map(|t| t.with_timezone(&chrono::Utc))
        };
        // An end that cannot be read, or is not after the start, says the row is not what the
        // API sends.
        if let (Some(start), Some(raw)) = (at("starting_at"), b.get("ending_at"))
            && !raw.is_null()
            && at("ending_at").is_none_or(|end| end <= start)
        {
            return Err(Error::data(
                path,
                None,
                Some(&format!("data[{i}].ending_at")),
                format!(
                    "is {raw}, which is not an RFC 3339 time after the row's starting_at ({start}); save the page as the API sent it (govreview fetch does)"
                ),
            ));
        }
        if let (Some(start), Some(end)) = (at("starting_at"), at("ending_at"))
            && end > start
            && start.date_naive() != (end - chrono::Duration::nanoseconds(1)).date_naive()
        {
            return Err(Error::data(
                path,
                None,
                Some(&format!("data[{i}]")),
                format!(
                    "runs from {start} to {end}, across a UTC midnight: govreview counts usage by UTC day. Fetch the report in daily buckets (govreview fetch does)"
                ),
            ));
        }
        if let Some(r) = b.get("results").filter(|r| !r.is_array()) {
            return Err(Error::data(
                path,
                None,
                Some(&format!("data[{i}].results")),
                format!(
                    "is {r}, not a list: a bucket lists its results ([] for a day without usage), and reading it as none would drop the day's usage. Save the page as the API sent it (govreview fetch does)"
                ),
            ));
        }
    }
    Ok(())
}

/// The fields of a row that hold amounts, not what the row is of: two rows alike but for these
/// are one row given twice.
const AMOUNTS: [&str; 8] = [
    "amount",
    "usage",
    "cost",
    "uncached_input_tokens",
    "cache_creation",
    "cache_read_input_tokens",
    "output_tokens",
    "server_tool_use",
];

/// A row's dimensions as the readers take them: a key sent as `null` is a key left out, an
/// actor is its ID whether sent as text or as an object, and text is compared without case or
/// surrounding spaces, so that one row written two ways is still one row.
fn same_as_read(key: &str, v: &Value) -> Value {
    match v {
        Value::Object(_) if key == "actor" => analytics::actor_text(Some(v))
            .map_or(Value::Null, |a| Value::String(a.trim().to_lowercase())),
        Value::Object(o) => {
            let mut out: serde_json::Map<String, Value> = o
                .iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), same_as_read(k, x)))
                .collect();
            // The actor's type as the reader takes it: given, else the object's, else its tag.
            if o.contains_key("actor") || o.contains_key("actor_type") {
                let actor = analytics::actor_text(o.get("actor"));
                match analytics::actor_type(v, actor.as_deref()) {
                    Some(t) => out.insert("actor_type".into(), Value::String(t.to_lowercase())),
                    None => out.remove("actor_type"),
                };
            }
            Value::Object(out)
        }
        // A model's dated and undated IDs name one model.
        Value::String(t) if key == "model" => {
            Value::String(super::repeats::undated(t.trim()).to_lowercase())
        }
        Value::String(t) => Value::String(t.trim().to_lowercase()),
        other => other.clone(),
    }
}

/// Each row of a page as what identifies it (its report, its time range and its dimensions,
/// as compact JSON), with its place: a bucket's results for the legacy reports, the row itself
/// for the Analytics API.
fn row_keys(p: &PageInfo) -> Vec<(String, (String, String), String)> {
    let Ok(Value::Array(rows)) = serde_json::from_str::<Value>(&p.data) else {
        return Vec::new();
    };
    let range = |v: &Value| {
        let at = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        (at("starting_at"), at("ending_at"))
    };
    let what = |v: &Value| -> String {
        match v {
            Value::Object(o) => {
                let kept: serde_json::Map<String, Value> = o
                    .iter()
                    .filter(|(k, _)| {
                        !AMOUNTS.contains(&k.as_str())
                            && !matches!(k.as_str(), "starting_at" | "ending_at")
                    })
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), same_as_read(k, v)))
                    .collect();
                Value::Object(kept).to_string()
            }
            other => other.to_string(),
        }
    };
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        match row.get("results").and_then(Value::as_array) {
            Some(results) => {
                for (j, r) in results.iter().enumerate() {
                    out.push((what(r), range(row), format!("data[{i}].results[{j}]")));
                }
            }
            None => out.push((what(row), range(row), format!("data[{i}]"))),
        }
    }
    out
}

/// Refuses a row given twice (the same day and dimensions, in one page or two pages of a
/// report) and buckets of one report whose times overlap (an hour inside a day): either would
/// count usage or cost twice.
fn check_rows(pages: &[PageInfo]) -> Result<()> {
    // A row's (or bucket's) place: its page and where in it.
    type Place<'a> = (&'a PageInfo, String);
    type Range = (String, String);
    let mut seen: BTreeMap<(&str, Range, String), Place> = BTreeMap::new();
    let mut ranges: BTreeMap<&str, BTreeMap<Range, Place>> = BTreeMap::new();
    for p in pages {
        for (what, range, at) in row_keys(p) {
            ranges
                .entry(p.report)
                .or_default()
                .entry(range.clone())
                .or_insert((p, at.clone()));
            if let Some((first, first_at)) =
                seen.insert((p.report, range.clone(), what), (p, at.clone()))
            {
                return Err(Error::data(
                    &p.path,
                    None,
                    Some(&at),
                    format!(
                        "gives the same {} row as {} of {} ({} to {}, the same dimensions): it would be counted twice. Fetch the month again (govreview fetch), or remove the copy",
                        p.report,
                        first_at,
                        first.path.display(),
                        range.0,
                        range.1
                    ),
                ));
            }
        }
    }
    for (report, by_range) in &ranges {
        let mut last: Option<(&Range, &Place)> = None;
        for (range, place) in by_range {
            if let Some((prev, (p0, at0))) = last
                && !prev.1.is_empty()
                && range.0 < prev.1
                && prev.0 <= range.0
            {
                let (p1, at1) = place;
                return Err(Error::data(
                    &p1.path,
                    None,
                    Some(at1),
                    format!(
                        "covers {} to {}, which overlaps {} to {} ({} of {}): {report} rows of overlapping times would count usage twice. Keep buckets of one width (govreview fetch asks for days)",
                        range.0,
                        range.1,
                        prev.0,
                        prev.1,
                        at0,
                        p0.path.display()
                    ),
                ));
            }
            last = Some((range, place));
        }
    }
    Ok(())
}

/// The checks of [`check_pages`] on the pages one `fetch` walk is about to save in `dir`
/// (`name`, text): a row the API repeated across its pages is refused before it is saved (every
/// later review would refuse the folder).
pub(crate) fn check_fetched(dir: &Path, files: &[(String, String)]) -> Result<()> {
    let mut infos = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        let (kind, page) = anthropic::json_kind(&path, text)?;
        infos.extend(PageInfo::of(&path, kind, &page));
    }
    // Two pages of one walk with the same rows: the API answered one page twice.
    if let Some((first, p)) = same_rows(&infos) {
        return Err(Error::Input(format!(
            "{} would hold the same rows as {}",
            p.path.display(),
            first.path.display()
        )));
    }
    check_pages(&infos)
}

/// The first two pages of one report holding the same rows (empty pages aside: a month without
/// usage has several), in their order.
fn same_rows(pages: &[PageInfo]) -> Option<(&PageInfo, &PageInfo)> {
    let mut by_content: BTreeMap<(&str, &str), &PageInfo> = BTreeMap::new();
    for p in pages {
        if p.data.is_empty() || p.data == "[]" {
            continue;
        }
        if let Some(first) = by_content.insert((p.report, p.data.as_str()), p) {
            return Some((first, p));
        }
    }
    None
}

/// Refuses a page saved twice, a walk with a page missing, and a row given twice.
pub(crate) fn check_pages(pages: &[PageInfo]) -> Result<()> {
    // The same rows in two files.
    if let Some((first, p)) = same_rows(pages) {
        return Err(twice(first, p, "hold the same rows"));
    }
    // The same query and cursor answered twice in one folder.
    type Query<'a> = (
        &'a Path,
        &'a str,
        &'a Option<String>,
        &'a (String, String),
        &'a Option<String>,
    );
    let mut by_query: BTreeMap<Query, &PageInfo> = BTreeMap::new();
    for p in pages {
        if let (Some(range), Some(cursor)) = (&p.range, &p.cursor)
            && let Some(first) = by_query.insert((p.folder(), p.report, &p.walk, range, cursor), p)
        {
            return Err(twice(first, p, "answer the same query and page cursor"));
        }
    }
    // Every page that says more follow is continued by a page of the same folder and report:
    // the one saved as answering its cursor, else the next number in fetch's naming.
    for p in pages.iter().filter(|p| p.has_more) {
        let same = |q: &&PageInfo| q.report == p.report && q.folder() == p.folder();
        let by_cursor = pages.iter().filter(same).any(|q| {
            q.range == p.range
                && q.cursor
                    .as_ref()
                    .is_some_and(|c| c.is_some() && *c == p.next_page)
        });
        let by_number = p.number.is_some_and(|n| {
            pages
                .iter()
                .filter(same)
                .any(|q| q.stem() == p.stem() && q.number == Some(n + 1))
        });
        if !(by_cursor || by_number) {
            let next = p
                .number
                .zip(p.stem())
                .map(|(n, stem)| format!(" (`{stem}-{:03}.json`)", n + 1));
            return Err(Error::data(
                &p.path,
                None,
                Some("has_more"),
                format!(
                    "says more pages follow (has_more: true{}), but the next page{} is not in {}: its days would read as days without usage. Fetch the month again (govreview fetch saves every page of a walk) or add the missing page",
                    p.next_page
                        .as_deref()
                        .map_or(String::new(), |c| format!(", next_page `{c}`")),
                    next.unwrap_or_default(),
                    p.folder().display()
                ),
            ));
        }
    }
    check_rows(pages)
}

fn twice(first: &PageInfo, second: &PageInfo, how: &str) -> Error {
    Error::Input(format!(
        "{} and {} {how}: the same page saved twice would be counted twice. Remove the copy",
        first.path.display(),
        second.path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn info(path: &str, page: Value) -> PageInfo {
        PageInfo::of(Path::new(path), anthropic::Kind::AnalyticsUsage, &page).unwrap()
    }

    fn row(day: &str) -> Value {
        json!({"starting_at": day, "group": {"model": "m"}, "usage": {"output_tokens": 1}})
    }

    #[test]
    fn a_complete_walk_passes_and_a_missing_page_is_named() {
        let p1 = info(
            "m/usage-001.json",
            json!({"data": [row("a")], "has_more": true, "next_page": "c2"}),
        );
        let p2 = info(
            "m/usage-002.json",
            json!({"data": [row("b")], "has_more": false}),
        );
        assert!(check_pages(&[p1.clone(), p2]).is_ok());
        let e = check_pages(std::slice::from_ref(&p1))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("m/usage-001.json") && e.contains("usage-002.json") && e.contains("c2"),
            "{e}"
        );
        // Renamed pages continue each other by the cursor fetch recorded.
        let saved = |cursor: Value| json!({"starting_at": "s", "ending_at": "e", "cursor": cursor});
        let a = info(
            "m/first.json",
            json!({"data": [row("a")], "has_more": true, "next_page": "c2", "govreview": saved(Value::Null)}),
        );
        let b = info(
            "m/second.json",
            json!({"data": [row("b")], "has_more": false, "govreview": saved(json!("c2"))}),
        );
        assert!(check_pages(&[a, b]).is_ok());
    }

    /// A month without usage: fetch saves an empty usage page and an empty cost page with the
    /// same range and cursor. They are two walks (by the report fetch recorded, or, in pages
    /// saved before it recorded one, by their names), not a copy; a copy of one is still refused.
    #[test]
    fn the_empty_usage_and_cost_pages_of_a_month_are_two_walks() {
        let saved = |report: Option<&str>| {
            let mut s = json!({"starting_at": "s", "ending_at": "e", "cursor": null});
            if let Some(r) = report {
                s["report"] = json!(r);
            }
            json!({"data": [], "has_more": false, "next_page": null, "govreview": s})
        };
        for report in [None, Some("x")] {
            let usage = info("m/usage-001.json", saved(report.map(|_| "usage")));
            let cost = info("m/cost-001.json", saved(report.map(|_| "cost")));
            assert!(check_pages(&[usage.clone(), cost]).is_ok(), "{report:?}");
            let copy = info("m/usage-001 (copy).json", saved(report.map(|_| "usage")));
            let e = check_pages(&[usage, copy]).unwrap_err().to_string();
            assert!(e.contains("answer the same query and page cursor"), "{e}");
        }
    }

    /// A walk whose second page repeats a row of the first is refused before it is saved.
    #[test]
    fn a_fetched_walk_with_a_repeated_row_is_refused() {
        let saved = |cursor: Value| json!({"starting_at": "s", "ending_at": "e", "cursor": cursor, "report": "usage"});
        let row = json!({"starting_at": "2026-10-05T00:00:00Z", "ending_at": "2026-10-06T00:00:00Z",
            "group": {"model": "claude-sonnet-4-5", "workspace_id": "w"}, "usage": {"output_tokens": 1}});
        let mut other = row.clone();
        other["group"]["workspace_id"] = json!("v");
        let files = vec![
            (
                "usage-001.json".to_owned(),
                json!({"data": [row.clone()], "has_more": true, "next_page": "c2", "govreview": saved(Value::Null)}).to_string(),
            ),
            (
                "usage-002.json".to_owned(),
                json!({"data": [other, row], "has_more": false, "next_page": null, "govreview": saved(json!("c2"))}).to_string(),
            ),
        ];
        let e = check_fetched(Path::new("m"), &files)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("usage-002.json") && e.contains("gives the same"),
            "{e}"
        );
        assert!(
            check_fetched(Path::new("m"), &files[..1]).is_err(),
            "a missing page"
        );
    }

    /// One row given on two pages of a walk, the second with the model's undated ID, or the
    /// actor as an object without `actor_type`: still one row given twice.
    #[test]
    fn a_row_spelt_otherwise_on_the_next_page_is_still_given_twice() {
        let first = json!({"starting_at": "d", "ending_at": "e",
            "group": {"actor": "user_01Ann", "actor_type": "user", "model": "claude-sonnet-4-5-20250929", "workspace_id": "w"},
            "usage": {"output_tokens": 1}});
        let mut undated = first.clone();
        undated["group"]["model"] = json!("claude-sonnet-4-5");
        let mut object = first.clone();
        object["group"]["actor"] = json!({"type": "user", "id": "user_01Ann"});
        object["group"]["actor_type"] = Value::Null;
        for twin in [undated, object] {
            let p1 = info(
                "m/usage-001.json",
                json!({"data": [first.clone()], "has_more": true, "next_page": "c2"}),
            );
            let p2 = info(
                "m/usage-002.json",
                json!({"data": [twin.clone()], "has_more": false}),
            );
            let e = check_pages(&[p1, p2]).unwrap_err().to_string();
            assert!(e.contains("gives the same"), "{twin}: {e}");
        }
    }

    #[test]
    fn walk_fields_that_cannot_be_read_are_refused() {
        let p = Path::new("m/usage-001.json");
        for ok in [
            json!({"data": [], "has_more": true, "next_page": "c2"}),
            json!({"data": [], "has_more": null, "next_page": null}),
            json!({"data": []}),
        ] {
            assert!(check_walk_fields(p, &ok).is_ok(), "{ok}");
        }
        for (bad, key) in [
            (json!({"has_more": "true"}), "has_more"),
            (json!({"has_more": 1}), "has_more"),
            (json!({"has_more": "yes"}), "has_more"),
            (json!({"has_more": false, "next_page": 2}), "next_page"),
        ] {
            let e = check_walk_fields(p, &bad).unwrap_err().to_string();
            assert!(e.contains("m/usage-001.json") && e.contains(key), "{e}");
        }
        // A row's end that cannot be read, or is not after its start.
        for end in [
            json!("garbage"),
            json!("2026-10-30T00:00:00Z"),
            json!("2026-11-01T00:00:00"),
            json!(5),
        ] {
            let page = json!({"data": [{"starting_at": "2026-10-31T00:00:00Z", "ending_at": end}]});
            let e = check_walk_fields(p, &page).unwrap_err().to_string();
            assert!(e.contains("data[0].ending_at"), "{end}: {e}");
        }
        let page = json!({"data": [{"starting_at": "2026-10-31T00:00:00Z", "ending_at": "2026-11-01T00:00:00Z"}]});
        assert!(check_walk_fields(p, &page).is_ok());
    }

    #[test]
    fn a_page_saved_twice_is_refused() {
        let page = json!({"data": [row("a")], "has_more": false});
        let e = check_pages(&[
            info("m/usage-001.json", page.clone()),
            info("m/usage-003.json", page),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("hold the same rows"), "{e}");
        // Empty pages are alike without being copies.
        let empty = json!({"data": [], "has_more": false});
        assert!(
            check_pages(&[
                info("m/usage-001.json", empty.clone()),
                info("n/usage-001.json", empty),
            ])
            .is_ok()
        );
        // The same query and cursor in one folder.
        let saved = json!({"starting_at": "s", "ending_at": "e", "cursor": "c2"});
        let e = check_pages(&[
            info(
                "m/usage-002.json",
                json!({"data": [row("a")], "govreview": saved}),
            ),
            info(
                "m/usage-009.json",
                json!({"data": [row("b")], "govreview": saved}),
            ),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("same query and page cursor"), "{e}");
    }
}
