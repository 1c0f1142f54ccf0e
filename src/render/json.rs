//! `metrics.json`: every computed number, machine-readable.
//!
//! Shares are fractions 0..1, money is USD. Every number is written at full precision (the
//! shortest decimal that reads back to the same double), so a downstream tool can recompute any
//! figure exactly; only the Markdown, HTML and email round, for display. Sums are taken in a fixed
//! order, so the same inputs give the same bits.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{RenderContext, Renderer, Templates};
use crate::error::{Error, Result};
use crate::metrics::{CommitmentMetrics, Kpis};
use crate::month::Month;
use crate::report::{Finding, KpiRow, ReportModel};

/// The JSON pack.
pub struct Json;

/// Version of the `metrics.json` layout; raised when a key changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Serialize)]
struct MonthKpis<'a> {
    month: Month,
    #[serde(flatten)]
    kpis: &'a Kpis,
}

#[derive(Serialize)]
struct TeamJson<'a> {
    owner: &'a str,
    #[serde(flatten)]
    kpis: &'a Kpis,
    prev_spend: Option<f64>,
    share_of_spend: f64,
    findings: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    budget: Option<Budget>,
    /// Apps with a budget of their own.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    apps: BTreeMap<&'a str, AppJson>,
}

#[derive(Serialize)]
struct AppJson {
    spend: f64,
    prev_spend: Option<f64>,
    budget: Budget,
}

/// A scope's budget: the amount, the month's spend against it, and how its use moved.
#[derive(Serialize)]
struct Budget {
    amount: f64,
    spend: f64,
    /// spend / amount.
    utilization: Option<f64>,
    status: crate::report::Status,
    /// Change of the use since last month (a rise of `drift_tolerance` x budget is worsening).
    delta: Option<f64>,
    worsening: bool,
}

/// The budget of a scope, from its `budget` KPI row, when it has one.
fn budget(rows: &[KpiRow], spend: f64) -> Option<Budget> {
    let r = rows.iter().find(|r| r.key == "budget")?;
    Some(Budget {
        amount: r.configured.and_then(|g| g.max())?,
        spend,
        utilization: r.value,
        status: r.status,
        delta: r.drift.delta,
        worsening: r.drift.worsening,
    })
}

#[derive(Serialize)]
struct Drift<'a> {
    value: Option<f64>,
    target: &'a Option<crate::kpi::Goal>,
    status: crate::report::Status,
    delta: Option<f64>,
    trailing_mean: Option<f64>,
    vs_trailing_mean: Option<f64>,
    worsening: bool,
}

#[derive(Serialize)]
struct MetricsJson<'a> {
    schema_version: u32,
    organization: &'a str,
    month: Month,
    as_of: chrono::NaiveDate,
    status: &'a str,
    spend: f64,
    list_cost: f64,
    prev_spend: Option<f64>,
    model_mix: BTreeMap<String, f64>,
    cache_hit_rate: Option<f64>,
    batch_share: Option<f64>,
    output_per_request: Option<f64>,
    tokens: crate::pricing::Tokens,
    requests: u64,
    spend_by_family: &'a BTreeMap<String, f64>,
    spend_by_tier: &'a BTreeMap<String, f64>,
    spend_by_model: &'a BTreeMap<String, f64>,
    commitment: Option<CommitmentJson<'a>>,
    next_commitment: Option<&'a crate::report::NextCommitment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    budget: Option<Budget>,
    kpis: BTreeMap<&'a str, Drift<'a>>,
    teams: BTreeMap<&'a str, TeamJson<'a>>,
    months: Vec<MonthKpis<'a>>,
    findings: &'a [Finding],
    backlog: BacklogJson<'a>,
    optimized_floor: FloorJson<'a>,
    follow_ups: &'a crate::report::FollowUps,
    new_work: &'a crate::report::NewWork,
    actions: &'a crate::report::RegisterSection,
    bill: &'a crate::report::Bill,
    data: &'a crate::report::DataNotes,
}

/// The commitment's figures and its forecast.
#[derive(Serialize)]
struct CommitmentJson<'a> {
    #[serde(flatten)]
    metrics: &'a CommitmentMetrics,
    forecast: &'a crate::report::ForecastSection,
}

/// The backlog: every item (waits last), and the totals.
#[derive(Serialize)]
struct BacklogJson<'a> {
    route_to: &'a str,
    /// Monthly saving of every item, waits included.
    total_monthly: f64,
    total_annual: f64,
    /// Monthly saving and effort of the items to fund (not the waits).
    funded_monthly: f64,
    funded_weeks: f64,
    by_lever: &'a BTreeMap<crate::config::Lever, f64>,
    items: &'a [crate::report::Item],
    /// Levers dropped with a reason that still hold (counted nowhere).
    dropped: &'a [crate::report::Dropped],
    /// The waves, with their start and ship dates.
    waves: &'a [crate::report::Subtotal],
}

/// The optimized floor: the review month's usage after the counted items' levers, and the
/// upside pending validation.
#[derive(Serialize)]
struct FloorJson<'a> {
    #[serde(flatten)]
    org: &'a crate::report::Floor,
    by_team: &'a BTreeMap<String, crate::report::Floor>,
}

fn drift(r: &KpiRow) -> Drift<'_> {
    Drift {
        value: r.value,
        target: &r.goal,
        status: r.status,
        delta: r.drift.delta,
        trailing_mean: r.drift.trailing_mean,
        vs_trailing_mean: r.drift.vs_trailing,
        worsening: r.drift.worsening,
    }
}

fn backlog(m: &ReportModel) -> BacklogJson<'_> {
    BacklogJson {
        route_to: &m.backlog.route_to,
        total_monthly: m.backlog.total_monthly,
        total_annual: m.backlog.total_annual,
        funded_monthly: m.backlog.funded_monthly,
        funded_weeks: m.backlog.funded_weeks,
        by_lever: &m.backlog.by_lever,
        items: &m.backlog.items,
        dropped: &m.backlog.dropped,
        waves: &m.backlog.waves,
    }
}

fn floor(m: &ReportModel) -> FloorJson<'_> {
    FloorJson {
        org: &m.backlog.floor,
        by_team: &m.backlog.floor_by_team,
    }
}

#[derive(Serialize)]
struct BacklogDocument<'a> {
    schema_version: u32,
    organization: &'a str,
    month: Month,
    as_of: chrono::NaiveDate,
    backlog: BacklogJson<'a>,
    optimized_floor: FloorJson<'a>,
}

/// A JSON value as the pack writes it and the commands print it: indented, bidirectional formatting characters escaped,
/// a final line break.
pub fn pretty(v: &Value) -> Result<String> {
    serde_json::to_string_pretty(v)
        .map(|s| crate::fmt::json_bidi_escaped(s) + "\n")
        .map_err(|e| Error::Internal(e.to_string()))
}

/// The backlog alone, as `govreview backlog --format json` prints it: the `backlog` and
/// `optimized_floor` of metrics.json.
pub fn backlog_document(m: &ReportModel) -> Result<Value> {
    let doc = BacklogDocument {
        schema_version: SCHEMA_VERSION,
        organization: &m.organization,
        month: m.month,
        as_of: m.as_of,
        backlog: backlog(m),
        optimized_floor: floor(m),
    };
    let mut v = serde_json::to_value(doc).map_err(|e| Error::Internal(e.to_string()))?;
    positive_zero(&mut v);
    Ok(v)
}

#[derive(Serialize)]
struct CommitmentDocument<'a> {
    schema_version: u32,
    organization: &'a str,
    month: Month,
    as_of: chrono::NaiveDate,
    commitment: Option<CommitmentJson<'a>>,
    next_commitment: Option<&'a crate::report::NextCommitment>,
}

/// The commitment alone, as `govreview commitment --format json` prints it: the `commitment` and
/// `next_commitment` of metrics.json.
pub fn commitment_document(m: &ReportModel) -> Result<Value> {
    let doc = CommitmentDocument {
        schema_version: SCHEMA_VERSION,
        organization: &m.organization,
        month: m.month,
        as_of: m.as_of,
        commitment: m.commitment.as_ref().map(|c| CommitmentJson {
            metrics: &c.metrics,
            forecast: &c.forecast,
        }),
        next_commitment: m.next_commitment.as_ref(),
    };
    let mut v = serde_json::to_value(doc).map_err(|e| Error::Internal(e.to_string()))?;
    positive_zero(&mut v);
    Ok(v)
}

/// Builds the JSON document of a report.
pub fn document(m: &ReportModel) -> Result<Value> {
    let k = m.totals.kpis();
    let doc = MetricsJson {
        schema_version: SCHEMA_VERSION,
        organization: &m.organization,
        month: m.month,
        as_of: m.as_of,
        status: &m.status,
        spend: m.totals.spend,
        list_cost: m.totals.list_cost,
        prev_spend: m.prev_spend,
        model_mix: k.model_mix.clone(),
        cache_hit_rate: k.cache_hit_rate,
        batch_share: k.batch_share,
        output_per_request: k.output_per_request,
        tokens: m.totals.tokens,
        requests: m.totals.requests,
        spend_by_family: &m.totals.by_family,
        spend_by_tier: &m.totals.by_tier,
        spend_by_model: &m.totals.by_model,
        commitment: m.commitment.as_ref().map(|c| CommitmentJson {
            metrics: &c.metrics,
            forecast: &c.forecast,
        }),
        next_commitment: m.next_commitment.as_ref(),
        budget: budget(&m.kpis, m.totals.spend),
        kpis: m
            .kpis
            .iter()
            .chain(m.model_mix.iter())
            .map(|r| (r.key.as_str(), drift(r)))
            .collect(),
        teams: m
            .teams
            .iter()
            .map(|t| {
                (
                    t.team.as_str(),
                    TeamJson {
                        owner: &t.owner,
                        kpis: &t.kpis,
                        prev_spend: t.prev_spend,
                        share_of_spend: t.share,
                        findings: t.findings,
                        budget: budget(&t.rows, t.spend),
                        apps: t
                            .apps
                            .iter()
                            .filter_map(|a| {
                                Some((
                                    a.app.as_str(),
                                    AppJson {
                                        spend: a.spend,
                                        prev_spend: a.prev_spend,
                                        budget: budget(&a.rows, a.spend)?,
                                    },
                                ))
                            })
                            .collect(),
                    },
                )
            })
            .collect(),
        months: m
            .history
            .iter()
            .filter(|h| h.month < m.month)
            .map(|h| MonthKpis {
                month: h.month,
                kpis: &h.kpis,
            })
            .collect(),
        findings: &m.findings,
        backlog: backlog(m),
        optimized_floor: floor(m),
        follow_ups: &m.follow_ups,
        new_work: &m.new_work,
        actions: &m.register,
        bill: &m.bill,
        data: &m.data,
    };
    let mut v = serde_json::to_value(doc).map_err(|e| Error::Internal(e.to_string()))?;
    positive_zero(&mut v);
    Ok(v)
}

/// Writes `-0.0` as `0.0`: the sign of a zero sum depends on the order of its terms.
fn positive_zero(v: &mut Value) {
    match v {
        Value::Number(n) if n.as_f64() == Some(0.0) && n.is_f64() => {
            *n = serde_json::Number::from_f64(0.0).expect("zero is finite");
        }
        Value::Array(a) => a.iter_mut().for_each(positive_zero),
        Value::Object(o) => o.values_mut().for_each(positive_zero),
        _ => {}
    }
}

/// One team's slice of the review, for the team's email: its KPIs, findings and actions, and
/// nothing of other teams or of the organisation.
pub fn team_document(m: &ReportModel, team: &str) -> Result<Vec<u8>> {
    #[derive(Serialize)]
    struct TeamSlice<'a> {
        schema_version: u32,
        organization: &'a str,
        month: Month,
        as_of: chrono::NaiveDate,
        team: &'a str,
        owner: &'a str,
        spend: f64,
        prev_spend: Option<f64>,
        share_of_spend: f64,
        #[serde(flatten)]
        kpis: &'a Kpis,
        kpi_rows: BTreeMap<&'a str, Drift<'a>>,
        findings: Vec<&'a Finding>,
        actions: Vec<&'a crate::report::ActionLine>,
    }
    let row = m.teams.iter().find(|t| t.team == team);
    let empty = Kpis::default();
    let doc = TeamSlice {
        schema_version: SCHEMA_VERSION,
        organization: &m.organization,
        month: m.month,
        as_of: m.as_of,
        team,
        owner: row.map_or("", |t| t.owner.as_str()),
        spend: row.map_or(0.0, |t| t.spend),
        prev_spend: row.and_then(|t| t.prev_spend),
        share_of_spend: row.map_or(0.0, |t| t.share),
        kpis: row.map_or(&empty, |t| &t.kpis),
        kpi_rows: row
            .map(|t| t.rows.iter().map(|r| (r.key.as_str(), drift(r))).collect())
            .unwrap_or_default(),
        findings: m
            .findings
            .iter()
            .filter(|f| f.team.as_deref() == Some(team))
            .collect(),
        // The team's actions and its apps'.
        actions: m
            .register
            .all
            .iter()
            .filter(|a| super::team::is_teams(a, team))
            .collect(),
    };
    let mut v = serde_json::to_value(doc).map_err(|e| Error::Internal(e.to_string()))?;
    positive_zero(&mut v);
    Ok(pretty(&v)?.into_bytes())
}

impl Renderer for Json {
    fn file_name(&self) -> &'static str {
        "metrics.json"
    }

    fn render(&self, ctx: &RenderContext, _: &Templates) -> Result<Vec<u8>> {
        Ok(pretty(&document(ctx.model)?)?.into_bytes())
    }
}
