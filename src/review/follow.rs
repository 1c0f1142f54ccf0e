//! Closing the loop on actions (domain contract, "Closing the loop on actions"): for the actions
//! closed since the last review and those still open, the KPI and the estimated saving when they
//! were opened against now; and closed actions whose number went back the wrong way.

use chrono::NaiveDate;

use crate::actions::{Action, Status};
use crate::config::{Config, Lever};
use crate::kpi::Instance;
use crate::month::Month;
use crate::report::{BacklogSection, FollowUp, FollowUps, KpiRow};

use super::backlog::saving_in;
use super::rows::{self, Who};
use super::scopes::{ByMonth, Rollup};

/// A register scope (`org`, a team, `team/app`) as the roll-up has it.
pub fn scope<'r>(rollup: &'r Rollup, scope: &str) -> Option<(Who<'r>, &'r ByMonth)> {
    use crate::kpi::Scope;
    if scope == "org" {
        return Some((Who::ORG, &rollup.org));
    }
    match scope.split_once('/') {
        Some((t, a)) => rollup
            .apps
            .get_key_value(&(t.to_owned(), a.to_owned()))
            .map(|((t, a), bm)| {
                (
                    Who {
                        scope: Scope::App,
                        team: Some(t.as_str()),
                        app: Some(a.as_str()),
                    },
                    bm,
                )
            }),
        None => rollup.teams.get_key_value(scope).map(|(t, bm)| {
            (
                Who {
                    scope: Scope::Team,
                    team: Some(t.as_str()),
                    app: None,
                },
                bm,
            )
        }),
    }
}

/// The row of `metric` for a register scope in `month`, with its KPI and scope.
pub fn row_in<'r>(
    cfg: &Config,
    rollup: &'r Rollup,
    families: &[String],
    scope_key: &str,
    metric: &str,
    month: Month,
) -> Option<(Instance, KpiRow, Who<'r>)> {
    let (who, by_month) = scope(rollup, scope_key)?;
    rows::scope_rows(who, by_month, month, &cfg.targets, families, None)
        .rows
        .into_iter()
        .find(|(i, _)| i.key() == metric)
        .map(|(i, r)| (i, r, who))
}

/// The lever an action carries out: the one it names, else the one its KPI is moved by.
pub fn lever_of(a: &Action) -> Option<Lever> {
    a.lever
        .as_deref()
        .and_then(Lever::parse)
        .or_else(|| a.finding.as_deref().and_then(Lever::of_kpi))
}

/// The date of the last review: the review day of the review month, unless this is the
/// register's first review (nothing in it was opened before the review month).
pub fn last_review(actions: &[Action], month: Month, review_day: u32) -> Option<NaiveDate> {
    actions
        .iter()
        .any(|a| a.opened.is_some_and(|o| o < month))
        .then(|| month.day(review_day))
}

/// What the actions opened at earlier reviews, still open or closed since the last review, did.
#[allow(clippy::too_many_arguments)]
pub fn follow_ups(
    cfg: &Config,
    rollup: &Rollup,
    families: &[String],
    backlog: &BacklogSection,
    actions: &[Action],
    month: Month,
    as_of: NaiveDate,
) -> FollowUps {
    let last = last_review(actions, month, cfg.review_day);
    let mut out = Vec::new();
    for a in actions {
        let Some(metric) = a.finding.as_deref() else {
            continue;
        };
        if a.opened.is_none_or(|o| o >= month) {
            continue;
        }
        let wanted = match a.status {
            Status::Open => true,
            Status::Done | Status::Dropped => a
                .closed
                .is_some_and(|c| last.is_none_or(|l| c > l) && c <= as_of),
        };
        if !wanted {
            continue;
        }
        let Some((inst, row, _)) = row_in(cfg, rollup, families, &a.scope, metric, month) else {
            continue;
        };
        let unit = row.unit;
        let lever = lever_of(a);
        let saving_now = lever.map(|l| saving_in(backlog, l, &a.scope));
        let moved = match (row.goal, a.kpi_then, row.value) {
            (Some(g), Some(then), Some(now)) => {
                let d = g.badness(now) - g.badness(then);
                let eps = 1e-9 * then.abs().max(now.abs()).max(1.0);
                Some(
                    if d < -eps {
                        "better"
                    } else if d > eps {
                        "worse"
                    } else {
                        "unchanged"
                    }
                    .to_owned(),
                )
            }
            _ => None,
        };
        out.push(FollowUp {
            id: a.id.clone(),
            title: a.title.clone(),
            scope: a.scope.clone(),
            owner: a.owner.clone(),
            status: a.status.as_str().to_owned(),
            closed: a.closed,
            opened: a.opened,
            lever,
            metric: metric.to_owned(),
            label: inst.label(),
            kpi_then: a.kpi_then,
            kpi_then_text: unit.value(a.kpi_then),
            kpi_now: row.value,
            kpi_now_text: row.value_text.clone(),
            target_text: row.target_text.clone(),
            on_target: row.goal.zip(row.value).map(|(g, v)| g.met(v)),
            moved,
            saving_then: a.saving_then,
            saving_now,
            captured: a
                .saving_then
                .zip(saving_now)
                .map(|(then, now)| (then - now).max(0.0)),
        });
    }
    out.sort_by_key(|f| (f.status != "open", f.id.clone()));
    FollowUps {
        captured: out.iter().filter_map(|f| f.captured).sum(),
        actions: out,
    }
}

/// A done action whose KPI went back the wrong way.
pub struct Regression<'r> {
    /// The KPI.
    pub inst: Instance,
    /// Its row in the review month.
    pub row: KpiRow,
    /// The scope.
    pub who: Who<'r>,
    /// The action (`A-0006`).
    pub action: String,
    /// Its owner.
    pub owner: String,
    /// The date it was closed.
    pub closed: NaiveDate,
    /// The KPI in the month it was closed, formatted.
    pub then_text: String,
}

/// Done actions, closed in a month before the review month, whose KPI now misses its target and
/// is worse than in the month they were closed in. Of several done actions on one KPI and scope,
/// the one closed last counts.
pub fn regressions<'r>(
    cfg: &Config,
    rollup: &'r Rollup,
    families: &[String],
    actions: &[Action],
    month: Month,
    as_of: NaiveDate,
) -> Vec<Regression<'r>> {
    let mut latest: std::collections::BTreeMap<(String, String), &Action> = Default::default();
    for a in actions {
        let (Some(metric), Some(closed)) = (a.finding.as_deref(), a.closed) else {
            continue;
        };
        if a.status != Status::Done || closed > as_of || Month::of(closed) >= month {
            continue;
        }
        let e = latest
            .entry((metric.to_owned(), a.scope.clone()))
            .or_insert(a);
        if (e.closed, &e.id) < (a.closed, &a.id) {
            *e = a;
        }
    }
    let mut out = Vec::new();
    for ((metric, scope_key), a) in latest {
        let closed = a.closed.expect("only closed actions are kept");
        let Some((inst, row, who)) = row_in(cfg, rollup, families, &scope_key, &metric, month)
        else {
            continue;
        };
        let (Some(goal), Some(now)) = (row.goal, row.value) else {
            continue;
        };
        if goal.met(now) {
            continue;
        }
        let Some((_, then_row, _)) = row_in(
            cfg,
            rollup,
            families,
            &scope_key,
            &metric,
            Month::of(closed),
        ) else {
            continue;
        };
        let Some(then) = then_row.value else {
            continue;
        };
        let eps = 1e-9 * then.abs().max(now.abs()).max(1.0);
        if goal.badness(now) > goal.badness(then) + eps {
            out.push(Regression {
                inst,
                row,
                who,
                action: a.id.clone(),
                owner: a.owner.clone(),
                closed,
                then_text: then_row.value_text,
            });
        }
    }
    out
}
