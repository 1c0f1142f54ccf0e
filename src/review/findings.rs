//! Findings (a missed target or a worsening drift) and the actions proposed for them.

use chrono::NaiveDate;

use crate::config::Config;
use crate::kpi::{Input, Instance, Wording};
use crate::metrics::{CommitmentMetrics, Totals};
use crate::report::{Finding, KpiRow, ProposedAction, Status};

use super::rows::Who;

/// The finding a KPI row gives, if it gives one. `totals` are the scope's in the review month.
pub fn finding(
    inst: &Instance,
    row: &KpiRow,
    who: Who,
    totals: &Totals,
    commitment: Option<&CommitmentMetrics>,
    id: usize,
) -> Option<Finding> {
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
    let est = row.goal.and_then(|g| {
        (inst.kpi.saving)(
            &Input {
                totals,
                target: None,
                commitment,
                family: inst.family.as_deref(),
            },
            value,
            g,
        )
    });
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
        est_monthly_saving: est,
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

/// An action for every finding: the team's owner for a team's (or its app's), the review owner
/// for the organisation's, due at the next review. An organisation finding whose teams have
/// findings of their own is followed up through them.
pub fn proposals(
    findings: &[Finding],
    instances: &[(Instance, Who)],
    cfg: &Config,
    commitment: Option<&CommitmentMetrics>,
    next_review: NaiveDate,
) -> Vec<ProposedAction> {
    findings
        .iter()
        .zip(instances)
        .map(|(f, (inst, who))| {
            let team_ids: Vec<String> = findings
                .iter()
                .filter(|t| f.team.is_none() && t.team.is_some() && t.app.is_none() && t.metric == f.metric)
                .map(|t| t.team.clone().unwrap_or_default())
                .collect();
            let owner = f
                .team
                .as_ref()
                .and_then(|t| cfg.team_owners.get(t))
                .cloned()
                .unwrap_or_else(|| cfg.review_owner.clone());
            let title = if !team_ids.is_empty() {
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
            };
            ProposedAction {
                finding: f.id.clone(),
                metric: f.metric.clone(),
                scope: register_scope(f),
                title,
                owner,
                due: next_review,
                est_monthly_saving: f.est_monthly_saving,
            }
        })
        .collect()
}
