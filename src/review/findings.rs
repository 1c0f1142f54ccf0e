//! Findings (a missed target or a worsening drift) and the actions proposed for them.

use chrono::NaiveDate;

use crate::config::Config;
use crate::config::Lever;
use crate::kpi::{Instance, Wording};
use crate::metrics::CommitmentMetrics;
use crate::report::{BacklogSection, Item};
use crate::report::{Finding, KpiRow, ProposedAction, Status};

use super::rows::Who;

/// The finding a KPI row gives, if it gives one. `totals` are the scope's in the review month.
pub fn finding(row: &KpiRow, who: Who, id: usize) -> Option<Finding> {
    if !row.is_finding() {
        return None;
    }
    let kind = match (row.status == Status::Missed, row.drift.worsening) {
        (true, true) => "missed_target_and_worsening_drift",
        (true, false) => "missed_target",
        _ => "worsening_drift",
    };
    let title = who.title();
    let summary = if kind == "worsening_drift" {
        // The target is still met: say how far it moved, not that it missed.
        format!(
            "{title}: {} {} {} since last month, to {} (target {}, still met): a move the wrong way beyond the tolerance.",
            row.label,
            moved(row.drift.delta),
            magnitude(&row.delta_text),
            row.value_text,
            row.target_text
        )
    } else {
        let mut s = format!("{title}: {} is {}", row.label, row.value_text);
        if row.goal.is_some() {
            s.push_str(&format!(" (target {})", row.target_text));
        }
        if row.drift.delta.is_some() {
            s.push_str(&format!(", {} since last month", row.delta_text));
        }
        if row.drift.worsening {
            s.push_str(", worsening beyond the tolerance");
        }
        s.push('.');
        s
    };
    let value = row.value.unwrap_or(0.0);
    Some(Finding {
        id: format!("F{id}"),
        metric: row.key.clone(),
        label: row.label.clone(),
        scope: match (who.team, who.app) {
            (Some(_), Some(_)) => "app",
            (Some(_), None) => "team",
            _ => "org",
        }
        .to_owned(),
        team: who.team.map(str::to_owned),
        app: who.app.map(str::to_owned),
        kind: kind.to_owned(),
        value,
        value_text: row.value_text.clone(),
        target: row.goal,
        target_text: row.target_text.clone(),
        delta: row.drift.delta,
        delta_text: row.delta_text.clone(),
        summary,
        // The backlog's items of the KPI's lever give the dollars (see `review::build`).
        est_monthly_saving: None,
        teams_saving: None,
        owner: None,
        regressed_after: None,
        action: None,
    })
}

/// `rose` or `fell`: the direction of a move.
pub fn moved(delta: Option<f64>) -> &'static str {
    if delta.unwrap_or(0.0) >= 0.0 {
        "rose"
    } else {
        "fell"
    }
}

/// The size of a move, without its sign (`16.2 pp`, `$1,234.00`).
pub fn magnitude(delta_text: &str) -> &str {
    delta_text.trim_start_matches(['+', '-', '±'])
}

/// The scope of a finding as the register writes it (`org`, a team, `team/app`).
pub fn register_scope(f: &Finding) -> String {
    Who {
        scope: crate::kpi::Scope::Org,
        team: f.team.as_deref(),
        app: f.app.as_deref(),
    }
    .register_scope()
}

/// The KPI a finding's metric is about: a default new work breaks is about the KPI it holds
/// (`defaults.max_opus_share` → `model_mix.opus`); any other metric is its own.
pub fn kpi_of(metric: &str) -> &str {
    match metric {
        "defaults.max_opus_share" => "model_mix.opus",
        "defaults.min_cache_hit_rate" => "cache_hit_rate",
        "defaults.batch_apps" => "batch_share",
        m => m,
    }
}

/// Whether an open action on `action_metric` answers a finding on `finding_metric`: the same
/// metric, or the KPI a broken default is about (a backlog item's action answers it).
pub fn answers(action_metric: &str, finding_metric: &str) -> bool {
    action_metric == finding_metric || action_metric == kpi_of(finding_metric)
}

/// Whether an action of `action_scope` answers a finding of `finding_scope` on the same KPI: the
/// same scope, or, for a team's finding, one of the team's apps (a backlog item's action).
pub fn covers(action_scope: &str, finding_scope: &str) -> bool {
    action_scope == finding_scope
        || (finding_scope != "org"
            && !finding_scope.contains('/')
            && action_scope
                .strip_prefix(finding_scope)
                .is_some_and(|rest| rest.starts_with('/')))
}

/// An action for every finding: the team's owner for a team's (or its app's), the review owner
/// for the organisation's, whoever closed the action for a regression, due at the next review;
/// then one for every wave-1 item of the backlog (owner the team's, due the next review plus its
/// effort in whole weeks), which takes the place of a finding's action on the same KPI and scope
/// (or, for a team's finding, on one of its apps).
/// An organisation finding whose teams have findings of their own is followed up through them.
pub fn proposals(
    findings: &[Finding],
    instances: &[Option<(Instance, Who)>],
    cfg: &Config,
    commitment: Option<&CommitmentMetrics>,
    next_review: NaiveDate,
    backlog: &BacklogSection,
) -> Vec<ProposedAction> {
    let items: Vec<ProposedAction> = backlog
        .items
        .iter()
        .filter(|i| i.wave == Some(1))
        .map(|i| item_action(i, findings, next_review))
        .collect();
    let mut out: Vec<ProposedAction> = findings
        .iter()
        .zip(instances)
        .map(|(f, whose)| finding_action(f, whose.as_ref(), findings, cfg, commitment, next_review))
        .filter(|p| {
            !items
                .iter()
                .any(|i| answers(&i.metric, &p.metric) && covers(&i.scope, &p.scope))
        })
        .collect();
    out.extend(items);
    out
}

/// The action for a wave-1 backlog item.
fn item_action(i: &Item, findings: &[Finding], next_review: NaiveDate) -> ProposedAction {
    let scope = i.scope();
    let on_kpi = |f: &&Finding| answers(&i.kpi, &f.metric);
    let found = findings
        .iter()
        .filter(on_kpi)
        .find(|f| register_scope(f) == scope)
        .or_else(|| {
            findings
                .iter()
                .filter(on_kpi)
                .find(|f| covers(&scope, &register_scope(f)))
        });
    // A workload that went back the wrong way after an action was closed: its owner picks it up.
    let regressed = found.filter(|f| f.regressed_after.is_some() && register_scope(f) == scope);
    let weeks = i.effort_weeks.ceil().max(0.0) as i64;
    ProposedAction {
        finding: found.map_or_else(|| format!("B{}", i.rank.unwrap_or(0)), |f| f.id.clone()),
        metric: i.kpi.clone(),
        scope,
        title: format!(
            "{}Backlog B{}: {} for app {} (team {}): {}{}",
            regressed
                .and_then(|f| f.regressed_after.as_deref())
                .map_or(String::new(), |a| format!(
                    "Regressed after {a} was closed. "
                )),
            i.rank.unwrap_or(0),
            i.lever.as_str(),
            i.app,
            i.team,
            i.detail,
            if i.quality_check {
                "; check answer quality before it ships"
            } else {
                ""
            }
        ),
        owner: regressed
            .and_then(|f| f.owner.clone())
            .unwrap_or_else(|| i.owner.clone()),
        due: next_review + chrono::Duration::weeks(weeks),
        est_monthly_saving: Some(i.monthly),
        lever: Some(i.lever),
        kpi_then: Some(i.value),
    }
}

/// The action for one finding.
fn finding_action(
    f: &Finding,
    whose: Option<&(Instance, Who)>,
    findings: &[Finding],
    cfg: &Config,
    commitment: Option<&CommitmentMetrics>,
    next_review: NaiveDate,
) -> ProposedAction {
    let owner = f.owner.clone().unwrap_or_else(|| {
        f.team
            .as_ref()
            .and_then(|t| cfg.team_owners.get(t))
            .cloned()
            .unwrap_or_else(|| cfg.review_owner.clone())
    });
    let title = match whose {
        Some((inst, who)) => kpi_title(f, inst, who, findings, commitment),
        None => other_title(f, cfg),
    };
    ProposedAction {
        finding: f.id.clone(),
        metric: f.metric.clone(),
        scope: register_scope(f),
        title,
        owner,
        due: next_review,
        est_monthly_saving: f.est_monthly_saving,
        lever: Lever::of_kpi(&f.metric).filter(|_| f.scope != "org"),
        kpi_then: whose.map(|_| f.value),
    }
}

/// The title of a KPI finding's action.
fn kpi_title(
    f: &Finding,
    inst: &Instance,
    who: &Who,
    findings: &[Finding],
    commitment: Option<&CommitmentMetrics>,
) -> String {
    let team_ids: Vec<String> = findings
        .iter()
        .filter(|t| f.team.is_none() && t.team.is_some() && t.app.is_none() && t.metric == f.metric)
        .map(|t| t.team.clone().unwrap_or_default())
        .collect();
    if let Some(id) = &f.regressed_after {
        format!(
            "Find out why {}'s {} went back after {id} was closed and restore it ({}, target {})",
            who.in_sentence(),
            inst.label_in_sentence(),
            f.value_text,
            f.target_text
        )
    } else if !team_ids.is_empty() {
        format!(
            "Follow up the team actions on {} ({} {}): organisation at {}, target {}",
            inst.label_in_sentence(),
            if team_ids.len() == 1 { "team" } else { "teams" },
            team_ids.join(", "),
            f.value_text,
            f.target_text
        )
    } else if f.kind == "worsening_drift" {
        format!(
            "Find out why {}'s {} {} {} since last month and stop the slide ({}, target {} still met)",
            who.in_sentence(),
            inst.label_in_sentence(),
            moved(f.delta),
            magnitude(&f.delta_text),
            f.value_text,
            f.target_text
        )
    } else {
        (inst.kpi.action)(&Wording {
            scope: &who.in_sentence(),
            label: &inst.label_in_sentence(),
            value: &f.value_text,
            target: &f.target_text,
            commitment,
        })
    }
}

/// The title of a new-work or surge finding's action.
fn other_title(f: &Finding, cfg: &Config) -> String {
    let app = f.app.as_deref().unwrap_or_default();
    let team = f.team.as_deref().unwrap_or_default();
    match f.metric.as_str() {
        "defaults.max_opus_share" => format!(
            "Hold new workload {app} (team {team}) to the defaults: route its Opus work to {} where quality allows (Opus {} of spend, default {})",
            cfg.backlog.route_to, f.value_text, f.target_text
        ),
        "defaults.min_cache_hit_rate" => format!(
            "Turn on prompt caching for new workload {app} (team {team}): stable context first (hit rate {}, default {})",
            f.value_text, f.target_text
        ),
        "defaults.batch_apps" => format!(
            "Run batch app {app} (team {team}) through the Batch API (batch share {}, default {})",
            f.value_text, f.target_text
        ),
        "surge" => format!(
            "Explain app {app} (team {team})'s spend jump ({}, {}) and confirm it is planned, or fund its backlog items",
            f.value_text, f.delta_text
        ),
        _ => format!("Address {}", f.summary),
    }
}
