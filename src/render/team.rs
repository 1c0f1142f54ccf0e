//! A team's page of the pack, `teams/<team>.md` and `.html`: its KPIs, its apps, its chart, its
//! findings and actions, its backlog items, linked from the main pack.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Templates;
use crate::charts;
use crate::error::Result;
use crate::report::{ActionLine, Finding, Floor, Item, ReportModel, TeamRow};

/// The file name of each team's page (without extension), under `teams/`: lowercase letters,
/// digits and dashes, unique.
pub fn slugs(m: &ReportModel) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut used = std::collections::BTreeSet::new();
    for t in &m.teams {
        let base = crate::fmt::slug(&t.team);
        let base = if base.is_empty() {
            "team".to_owned()
        } else {
            base
        };
        let mut slug = base.clone();
        let mut n = 2;
        while !used.insert(slug.clone()) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        out.insert(t.team.clone(), slug);
    }
    out
}

/// Whether an action is a team's: its scope is the team or one of its apps.
pub fn is_teams(a: &ActionLine, team: &str) -> bool {
    a.scope == team
        || a.scope
            .strip_prefix(team)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[derive(Serialize)]
struct TeamContext<'a> {
    organization: &'a str,
    month: crate::month::Month,
    month_label: &'a str,
    prev_month: crate::month::Month,
    as_of: chrono::NaiveDate,
    next_review: chrono::NaiveDate,
    team: &'a TeamRow,
    team_columns: &'a [crate::report::Column],
    slug: &'a str,
    findings: Vec<&'a Finding>,
    new: Vec<&'a ActionLine>,
    open: Vec<&'a ActionLine>,
    overdue: Vec<&'a ActionLine>,
    closed: Vec<&'a ActionLine>,
    items: Vec<&'a Item>,
    floor: Option<&'a Floor>,
    chart_svg: String,
    chart_alt: String,
    css: String,
}

/// Every team's page: (path under the month folder, bytes), and its chart.
pub fn pages(m: &ReportModel, templates: &Templates) -> Result<Vec<(String, Vec<u8>)>> {
    let slugs = slugs(m);
    let css = templates.render("style.css", &())?;
    let mut out = Vec::new();
    for t in &m.teams {
        let slug = &slugs[&t.team];
        fn pick<'a>(list: &'a [ActionLine], team: &str) -> Vec<&'a ActionLine> {
            list.iter().filter(|a| is_teams(a, team)).collect()
        }
        let svg = charts::team_svg(t)?;
        let r = &m.register;
        let ctx = TeamContext {
            organization: &m.organization,
            month: m.month,
            month_label: &m.month_label,
            prev_month: m.prev_month,
            as_of: m.as_of,
            next_review: m.next_review,
            team: t,
            team_columns: &m.team_columns,
            slug,
            findings: m
                .findings
                .iter()
                .filter(|f| f.team.as_deref() == Some(t.team.as_str()))
                .collect(),
            new: pick(&r.new, &t.team),
            open: pick(&r.open, &t.team),
            overdue: pick(&r.overdue, &t.team),
            closed: pick(&r.closed, &t.team),
            items: m
                .backlog
                .items
                .iter()
                .filter(|i| i.team == t.team)
                .collect(),
            floor: m.backlog.floor_by_team.get(&t.team),
            chart_svg: svg.clone(),
            chart_alt: charts::team_chart_alt(t),
            css: css.clone(),
        };
        out.push((
            format!("teams/{slug}.md"),
            templates.render("team.md.j2", &ctx)?.into_bytes(),
        ));
        out.push((
            format!("teams/{slug}.html"),
            templates.render("team.html.j2", &ctx)?.into_bytes(),
        ));
        out.push((format!("charts/team-{slug}.svg"), svg.into_bytes()));
    }
    Ok(out)
}
