//! The review's side of the action register: linking findings to open actions, proposing
//! actions for the rest, and the register as the pack shows it.

use crate::error::Result;
use std::collections::BTreeMap;

use crate::actions::{Action, NewAction, Register, Status};
use crate::config::Config;
use crate::report::{ActionLine, KpiRow, RegisterSection, ReportModel};

use super::findings::{answers, covers, kpi_of};

/// Appends an action for every finding that has no open action in the register as it stood on
/// the review's date; returns the new IDs. Findings are matched on metric and scope (`org`, the
/// team, or `team/app`); a team's finding is answered by an action on one of its apps too.
pub fn propose(register: &mut Register, model: &ReportModel) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let view = register.as_of(model.month, model.as_of);
    for p in &model.actions {
        let linked = view.iter().any(|a| {
            a.status == Status::Open
                && a.finding
                    .as_deref()
                    .is_some_and(|m| answers(m, &p.metric) || kpi_of(m) == kpi_of(&p.metric))
                && covers(&a.scope, &p.scope)
        });
        if linked {
            continue;
        }
        let team =
            (p.scope != "org").then(|| p.scope.split('/').next().unwrap_or_default().to_owned());
        ids.push(register.append(NewAction {
            title: p.title.clone(),
            finding: Some(p.metric.clone()),
            scope: p.scope.clone(),
            team,
            owner: p.owner.clone(),
            due: p.due,
            opened: model.month,
            notes: None,
            lever: p.lever.map(|l| l.as_str().to_owned()),
            kpi_then: p.kpi_then,
            saving_then: p.est_monthly_saving,
            spend_then: p.spend_then,
            goal_then: p.goal_then,
            links: p.links.clone(),
        })?);
    }
    Ok(ids)
}

/// Fills the register section from the register's actions, links findings to open actions, and
/// marks the review DRAFT when an open action lacks a named owner or a due date.
pub fn link_register(model: &mut ReportModel, actions: &[Action], cfg: &Config) {
    use crate::actions::Status as S;
    let month = model.month;
    let as_of = model.as_of;
    let last_review = super::follow::last_review(actions, month, cfg.review_day);
    let line = |a: &Action| ActionLine {
        id: a.id.clone(),
        title: a.title.clone(),
        finding: a.finding.clone(),
        scope: a.scope.clone(),
        owner: a.owner.clone(),
        due: a.due,
        status: a.status.as_str().to_owned(),
        opened: a.opened,
        closed: a.closed,
        days_overdue: a
            .overdue_on(as_of)
            .then(|| a.due.map(|d| (as_of - d).num_days()))
            .flatten(),
        reviews_carried: a
            .opened
            .map_or(0, |o| (month.index() - o.index()).max(0) as i64),
        needs: crate::actions::needs(a, &cfg.team_owners, &cfg.people),
        notes: a.notes.clone(),
        links: a.links.clone(),
        est_monthly_saving: None,
        // Only for actions of earlier reviews: a new action's title has this month's value.
        now_text: a
            .finding
            .as_deref()
            .filter(|_| a.opened != Some(month))
            .and_then(|metric| {
                let rows: Vec<&KpiRow> = match a.scope.split_once('/') {
                    _ if a.scope == "org" => {
                        model.kpis.iter().chain(model.model_mix.iter()).collect()
                    }
                    Some((team, app)) => model
                        .teams
                        .iter()
                        .filter(|t| t.team == team)
                        .flat_map(|t| t.apps.iter().filter(|x| x.app == app))
                        .flat_map(|x| x.rows.iter())
                        .collect(),
                    None => model
                        .teams
                        .iter()
                        .filter(|t| t.team == a.scope)
                        .flat_map(|t| t.rows.iter())
                        .collect(),
                };
                rows.into_iter()
                    .find(|r| r.key == metric && r.value.is_some())
                    .map(|r| r.value_text.clone())
            }),
    };
    let mut sec = RegisterSection {
        last_review,
        ..RegisterSection::default()
    };
    let mut sorted: Vec<&Action> = actions.iter().collect();
    sorted.sort_by_key(|a| (a.number().unwrap_or(u32::MAX), a.id.clone()));
    for a in sorted {
        // Actions opened after the review month belong to later reviews.
        if a.opened.is_some_and(|o| o > month) {
            continue;
        }
        let l = line(a);
        sec.all.push(l.clone());
        match a.status {
            S::Open => {
                if !l.needs.is_empty() {
                    sec.incomplete.push(l.clone());
                }
                if a.overdue_on(as_of) {
                    sec.overdue.push(l);
                } else if a.opened == Some(month) {
                    sec.new.push(l);
                } else {
                    sec.open.push(l);
                }
            }
            S::Done | S::Dropped => {
                if a.closed
                    .is_some_and(|c| last_review.is_none_or(|l| c > l) && c <= as_of)
                {
                    sec.closed.push(l);
                }
            }
        }
    }
    let open_action = |metric: &str, scope: &str| {
        actions
            .iter()
            .filter(|a| {
                a.status == S::Open && a.finding.as_deref() == Some(metric) && a.scope == scope
            })
            .map(|a| a.id.clone())
            .min()
    };
    // A finding's action: one of its own scope on its KPI; else the dropped action that holds it;
    // else the open actions that carry it (contract, part 3, "One root cause, one action"): a
    // budget or surge, the backlog items' and narrower budgets' actions inside its scope; a wider
    // scope's drift, the narrower scopes' actions on the same KPI.
    // Dropped actions that hold a narrower finding carry the wider ones too.
    let holding: std::collections::BTreeSet<String> = model
        .findings
        .iter()
        .filter(|f| f.held.is_some())
        .filter_map(|f| f.action.clone())
        .collect();
    let same_kpi = |a: &Action, metric: &str| {
        a.finding
            .as_deref()
            .is_some_and(|m| kpi_of(m) == kpi_of(metric))
    };
    let by_number = |ids: &mut Vec<String>| {
        ids.sort_by_key(|id| (id.len(), id.clone()));
        ids.dedup();
    };
    for f in &mut model.findings {
        let scope = super::findings::register_scope(f);
        // A follow-up carried by its workload's item is matched on the KPI it follows.
        if let Some(k) = f.follows.clone()
            && f.action.is_none()
            && let Some(carrier) = actions
                .iter()
                .filter(|a| a.status == S::Open && a.opened.is_none_or(|o| o <= month))
                .filter(|a| a.scope == scope && same_kpi(a, &k) && !f.links.is_empty())
                .filter(|a| a.links.iter().any(|l| f.links.contains(l)))
                .map(|a| a.id.clone())
                .min_by_key(|id| (id.len(), id.clone()))
        {
            f.action = Some(carrier);
            continue;
        }
        let open_now = |a: &&Action| a.status == S::Open && a.opened.is_none_or(|o| o <= month);
        let own = open_action(&f.metric, &scope).or_else(|| {
            let mut ids: Vec<String> = actions
                .iter()
                .filter(open_now)
                .filter(|a| a.scope == scope && same_kpi(a, &f.metric))
                .map(|a| a.id.clone())
                .collect();
            by_number(&mut ids);
            ids.into_iter().next()
        });
        if let Some(own) = own {
            f.action = Some(own);
            continue;
        }
        if f.held.is_some() {
            continue;
        }
        let budget = matches!(f.metric.as_str(), "budget" | "surge");
        let mut links: Vec<String> = actions
            .iter()
            .filter(|a| {
                (a.status == S::Open || holding.contains(&a.id))
                    && a.opened.is_none_or(|o| o <= month)
                    && super::findings::within(&a.scope, &scope)
            })
            .filter(|a| {
                if budget {
                    a.lever.is_some() || (a.scope != scope && same_kpi(a, &f.metric))
                } else {
                    a.scope != scope && same_kpi(a, &f.metric)
                }
            })
            .map(|a| a.id.clone())
            .collect();
        by_number(&mut links);
        if links.is_empty() {
            // Set before (a follow-up carried by its workload's open action), if still open.
            let open = |id: &String| actions.iter().any(|a| &a.id == id && a.status == S::Open);
            f.action = f.action.take().filter(open);
        } else {
            f.action = links.first().cloned();
            f.links = links;
        }
    }
    // An item's action: one on its workload and KPI (a new workload's defaults action too).
    for i in &mut model.backlog.items {
        let scope = i.scope();
        i.action = open_action(&i.kpi, &scope).or_else(|| {
            let mut ids: Vec<String> = actions
                .iter()
                .filter(|a| {
                    a.status == S::Open
                        && a.opened.is_none_or(|o| o <= month)
                        && a.scope == scope
                        && same_kpi(a, &i.kpi)
                })
                .map(|a| a.id.clone())
                .collect();
            by_number(&mut ids);
            ids.into_iter().next()
        });
    }
    // An action's saving now: its backlog item's, else its finding's.
    let mut savings: BTreeMap<String, f64> = model
        .findings
        .iter()
        .filter_map(|f| Some((f.action.clone()?, f.est_monthly_saving?)))
        .collect();
    for i in &model.backlog.items {
        if let Some(a) = &i.action {
            savings.insert(a.clone(), i.monthly);
        }
    }
    for l in sec
        .new
        .iter_mut()
        .chain(sec.open.iter_mut())
        .chain(sec.overdue.iter_mut())
        .chain(sec.all.iter_mut())
    {
        l.est_monthly_saving = savings.get(&l.id).copied();
    }
    model.status = if sec.incomplete.is_empty() {
        "final"
    } else {
        "draft"
    }
    .to_owned();
    model.register = sec;
}
