//! The email: a plain-text part, an HTML part with CSS inlined into `style` attributes, and the
//! charts as PNG images referenced by `cid:`. No SVG, no data: URIs, no external fetches.

use serde::Serialize;

use super::Templates;
use crate::charts::{self, Png};
use crate::error::{Error, Result};
use crate::report::{ActionLine, Finding, KpiRow, ReportModel, TeamRow};

/// The default subject.
pub const DEFAULT_SUBJECT: &str = "{% if draft %}DRAFT: {% endif %}Claude cost review {{ month }}{% if team %} ({{ team }}){% endif %}: {{ findings }} finding{{ '' if findings == 1 else 's' }}, {{ overdue }} action{{ '' if overdue == 1 else 's' }} overdue";

/// A chart image of the email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailImage {
    /// Chart name.
    pub name: String,
    /// Content-ID (without angle brackets).
    pub cid: String,
    /// Display width in pixels (the PNG is twice as wide).
    pub width: u32,
    /// Display height in pixels.
    pub height: u32,
    /// Alternative text stating the key number.
    pub alt: String,
    /// The PNG.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// What the message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailContent {
    /// Subject line.
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part, CSS inlined.
    pub html: String,
    /// Images referenced by the HTML part.
    pub images: Vec<EmailImage>,
}

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    model: &'a ReportModel,
    team: Option<&'a TeamRow>,
    scope_spend: f64,
    scope_prev_spend: Option<f64>,
    scope_kpis: &'a [KpiRow],
    scope_findings: Vec<&'a Finding>,
    scope_overdue: Vec<&'a ActionLine>,
    scope_new: Vec<&'a ActionLine>,
    scope_open: Vec<&'a ActionLine>,
    scope_closed: Vec<&'a ActionLine>,
    scope_warnings: &'a [String],
    /// The scope's backlog items to fund, best first (at most five).
    scope_backlog: Vec<&'a crate::report::Item>,
    /// The scope's backlog saving and optimized floor.
    scope_floor: Option<&'a crate::report::Floor>,
    images: &'a [EmailImage],
    css: String,
    subject: String,
    /// The names of the files attached.
    attached: Vec<String>,
}

/// The charts an email shows, last: the commitment's burn-up, the model mix and spend by team;
/// the rest is in the pack.
pub const EMAIL_CHARTS: &[&str] = &["commitment_burnup", "model_mix", "spend_by_team"];

/// The files an email carries: the team's own data for a team lead, else the pack's review.md
/// and metrics.json (none when attachments are off).
pub fn attachment_names(model: &ReportModel, team: Option<&str>, attached: bool) -> Vec<String> {
    match (attached, team) {
        (false, _) => Vec::new(),
        (true, Some(t)) => vec![format!("{}-{t}.json", model.month)],
        (true, None) => vec!["review.md".to_owned(), "metrics.json".to_owned()],
    }
}

/// Renders the email of a review, for the organisation or for one team.
pub fn render(
    model: &ReportModel,
    templates: &Templates,
    team: Option<&str>,
    subject_template: Option<&str>,
    attached: bool,
) -> Result<EmailContent> {
    let team_row = match team {
        None => None,
        Some(t) => Some(model.teams.iter().find(|r| r.team == t).ok_or_else(|| {
            Error::Usage(format!(
                "team `{t}` has no usage in {} or {}; teams: {}",
                model.month,
                model.prev_month,
                model
                    .teams
                    .iter()
                    .map(|r| r.team.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?),
    };
    let r = &model.register;
    fn pick<'a>(list: &'a [ActionLine], team: Option<&str>) -> Vec<&'a ActionLine> {
        list.iter()
            .filter(|a| team.is_none_or(|t| super::team::is_teams(a, t)))
            .collect()
    }
    let findings: Vec<&Finding> = model
        .findings
        .iter()
        .filter(|f| team.is_none_or(|t| f.team.as_deref() == Some(t)))
        .collect();
    let (overdue, new, open, closed) = (
        pick(&r.overdue, team),
        pick(&r.new, team),
        pick(&r.open, team),
        pick(&r.closed, team),
    );
    let images: Vec<EmailImage> = if let Some(t) = team_row {
        // The team's own chart: its spend by app, month by month.
        let p = charts::team_png(t, 2)?;
        vec![EmailImage {
            cid: "team_apps@govreview".into(),
            name: "team_apps".into(),
            width: p.width,
            height: p.height,
            alt: charts::team_chart_alt(t),
            bytes: p.bytes,
        }]
    } else {
        charts::render_pngs_of(model, 2, EMAIL_CHARTS)?
            .into_iter()
            .zip(
                charts::chart_refs(model)
                    .iter()
                    .filter(|c| EMAIL_CHARTS.contains(&c.name.as_str()))
                    .cloned()
                    .collect::<Vec<_>>(),
            )
            .map(|(p, c): (Png, _)| {
                Ok(EmailImage {
                    cid: format!("{}@govreview", p.name),
                    name: p.name,
                    width: p.width,
                    height: p.height,
                    alt: c.alt.clone(),
                    bytes: p.bytes,
                })
            })
            .chain(
                model
                    .cards
                    .iter()
                    .filter(|c| c.spark.iter().filter(|v| v.is_some()).count() >= 2)
                    .map(|c| {
                        let name = format!("spark_{}", c.key);
                        charts::sparkline_png(
                            &name,
                            &c.spark,
                            c.status == "met" || c.status == "none",
                            2,
                        )
                        .map(|p| EmailImage {
                            cid: format!("{name}@govreview"),
                            name,
                            width: p.width,
                            height: p.height,
                            alt: format!("{}, last six months", c.label),
                            bytes: p.bytes,
                        })
                    }),
            )
            .collect::<Result<Vec<_>>>()?
    };
    #[derive(Serialize)]
    struct SubjectVars<'a> {
        month: String,
        organization: &'a str,
        team: Option<&'a str>,
        findings: usize,
        overdue: usize,
        draft: bool,
    }
    let subject = templates.render_str(
        subject_template.unwrap_or(DEFAULT_SUBJECT),
        &SubjectVars {
            month: model.month.to_string(),
            organization: &model.organization,
            team,
            findings: findings.len(),
            overdue: overdue.len(),
            draft: model.status == "draft",
        },
    )?;
    // One line whatever the names in it hold; a draft says so even in a custom subject.
    let mut subject: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if model.status == "draft" && !subject.contains("DRAFT") {
        subject = format!("DRAFT: {subject}");
    }
    let ctx = Context {
        model,
        team: team_row,
        scope_spend: team_row.map_or(model.totals.spend, |t| t.spend),
        scope_prev_spend: team_row.map_or(model.prev_spend, |t| t.prev_spend),
        scope_kpis: team_row.map_or(&model.kpis, |t| &t.rows),
        scope_findings: findings,
        scope_overdue: overdue,
        scope_new: new,
        scope_open: open,
        scope_closed: closed,
        scope_warnings: if team.is_some() {
            &model.data.team_warnings
        } else {
            &model.data.warnings
        },
        scope_backlog: model
            .backlog
            .items
            .iter()
            .filter(|i| !i.waits && team.is_none_or(|t| i.team == t))
            .take(5)
            .collect(),
        scope_floor: match team {
            Some(t) => model.backlog.floor_by_team.get(t),
            None => Some(&model.backlog.floor),
        },
        images: &images,
        css: templates.render("email.css", &())?,
        subject: subject.clone(),
        attached: attachment_names(model, team, attached),
    };
    let text = templates.render("email.txt.j2", &ctx)?;
    let html = templates.render("email.html.j2", &ctx)?;
    let html = css_inline::inline(&html).map_err(|e| Error::Template {
        name: "email.html.j2".into(),
        msg: format!("CSS could not be inlined: {e}"),
    })?;
    Ok(EmailContent {
        subject,
        text,
        html,
        images,
    })
}
