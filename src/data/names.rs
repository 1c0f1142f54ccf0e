//! Team and app names as people mean them: `Support`, `SUPPORT` and `support ` are one team
//! (compared without case and surrounding spaces, with a warning naming the spellings), and the
//! names govreview gives things itself are refused in the data.

use std::collections::BTreeMap;
use std::path::Path;

use crate::cube::{CubeRow, FileInfo};
use crate::error::{Error, Result};
use crate::metrics::reserved;

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The first reserved team or app name in the rows: the file it came from, `team` or `app`, and
/// the name as written.
pub(crate) fn first_reserved(rows: &[CubeRow]) -> Option<(usize, &'static str, String)> {
    rows.iter().find_map(|r| {
        [("team", &r.team), ("app", &r.app)]
            .into_iter()
            .find_map(|(what, name)| {
                name.as_deref()
                    .filter(|n| reserved(n))
                    .map(|n| (r.file, what, n.to_owned()))
            })
    })
}

/// The error for reserved name `n` in column `what` of `path` (at `row`, when found).
pub(crate) fn reserved_error(path: &Path, row: Option<u64>, what: &str, n: &str) -> Error {
    Error::data(
        path,
        row,
        Some(what),
        format!(
            "`{n}` is a name govreview reserves ({}); rename the {what} in the data, or leave the cell empty for usage that has none",
            if key(n) == "unallocated" {
                "it gathers usage without a team or app"
            } else {
                "it marks a table's total"
            }
        ),
    )
}

/// Gives every spelling of a team (and of an app within its team) one name: a configured team's
/// name when one matches, else the spelling with the most tokens (ties: the first in order).
/// Returns a warning per name that had several spellings. A reserved name is an error naming the
/// file.
pub(crate) fn normalise(
    rows: &mut [CubeRow],
    files: &[FileInfo],
    configured: &[String],
) -> Result<Vec<String>> {
    if let Some((file, what, n)) = first_reserved(rows) {
        return Err(reserved_error(&files[file].path, None, what, &n));
    }
    let mut warnings = Vec::new();
    // Teams.
    let team_names = canonical(
        rows.iter()
            .filter_map(|r| r.team.as_deref().map(|t| (t, r.tokens.total()))),
        configured,
        "team",
        &mut warnings,
    );
    for r in rows.iter_mut() {
        if let Some(t) = &r.team {
            r.team = Some(team_names[&key(t)].clone());
        }
    }
    // Apps, within their team.
    let mut by_team: BTreeMap<Option<String>, Vec<(String, u64)>> = BTreeMap::new();
    for r in rows.iter() {
        if let Some(a) = &r.app {
            by_team
                .entry(r.team.clone())
                .or_default()
                .push((a.clone(), r.tokens.total()));
        }
    }
    let mut app_names: BTreeMap<Option<String>, BTreeMap<String, String>> = BTreeMap::new();
    for (team, apps) in by_team {
        let what = match &team {
            Some(t) => format!("app (of team `{t}`)"),
            None => "app".to_owned(),
        };
        let names = canonical(
            apps.iter().map(|(a, n)| (a.as_str(), *n)),
            &[],
            &what,
            &mut warnings,
        );
        app_names.insert(team, names);
    }
    for r in rows.iter_mut() {
        if let Some(a) = &r.app {
            r.app = Some(app_names[&r.team][&key(a)].clone());
        }
    }
    Ok(warnings)
}

/// The one name of each spelling's key.
fn canonical<'a>(
    names: impl Iterator<Item = (&'a str, u64)>,
    configured: &[String],
    what: &str,
    warnings: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut spellings: BTreeMap<String, BTreeMap<&str, u128>> = BTreeMap::new();
    for (name, tokens) in names {
        *spellings
            .entry(key(name))
            .or_default()
            .entry(name)
            .or_default() += u128::from(tokens);
    }
    let mut out = BTreeMap::new();
    for (k, variants) in spellings {
        let chosen = configured
            .iter()
            .find(|c| key(c) == k)
            .map(|c| c.trim().to_owned())
            .unwrap_or_else(|| {
                let (best, _) = variants
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                    .expect("a key has a spelling");
                best.trim().to_owned()
            });
        if variants.len() > 1 || variants.keys().any(|v| **v != chosen) {
            let list: Vec<String> = variants.keys().map(|v| format!("`{v}`")).collect();
            let noun = what.split(' ').next().unwrap_or(what);
            warnings.push(format!(
                "{what} spellings {} are read as one {noun}, `{chosen}` (names are compared without case and surrounding spaces); write one spelling in the data to silence this",
                list.join(", ")
            ));
        }
        out.insert(k, chosen);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_name_become_one() {
        let mut w = Vec::new();
        let names = canonical(
            [
                ("Support", 5),
                ("SUPPORT", 9),
                ("support ", 1),
                ("search", 3),
            ]
            .into_iter(),
            &[],
            "team",
            &mut w,
        );
        assert_eq!(names["support"], "SUPPORT");
        assert_eq!(names["search"], "search");
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("`SUPPORT`, `Support`, `support `"), "{w:?}");
        // A configured name wins.
        let mut w = Vec::new();
        let names = canonical(
            [("Support", 5), ("SUPPORT", 9)].into_iter(),
            &["support".to_owned()],
            "team",
            &mut w,
        );
        assert_eq!(names["support"], "support");
        assert!(reserved(" Unallocated ") && reserved("(TOTAL)") && !reserved("total"));
    }
}
