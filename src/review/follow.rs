//! Closing the loop on actions (domain contract, "Closing the loop on actions"): for the actions
//! closed since the last review and those still open, the KPI and the estimated saving when they
//! were opened against now; and closed actions whose number went back the wrong way.

use chrono::NaiveDate;

use crate::actions::{Action, Status};
use crate::config::{Config, Lever};
use crate::kpi::Instance;
use crate::month::Month;
use crate::report::{BacklogSection, FollowUp, FollowUps, KpiRow};

use super::backlog::available_in;
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

/// The commitment's figures by month (the organisation's pacing row needs them).
pub type Commitments = std::collections::BTreeMap<Month, crate::metrics::CommitmentMetrics>;

/// The row of `metric` for a register scope in `month`, with its KPI and scope.
pub fn row_in<'r>(
    cfg: &Config,
    rollup: &'r Rollup,
    families: &[String],
    commitments: Option<&Commitments>,
    scope_key: &str,
    metric: &str,
    month: Month,
) -> Option<(Instance, KpiRow, Who<'r>)> {
    let (who, by_month) = scope(rollup, scope_key)?;
    let commitments = commitments.filter(|_| scope_key == "org");
    rows::scope_rows(who, by_month, month, &cfg.targets, families, commitments)
        .rows
        .into_iter()
        .find(|(i, _)| i.key() == super::findings::kpi_of(metric))
        .map(|(i, r)| (i, r, who))
}

/// A register scope's spend in `month`.
pub fn spend_in(rollup: &Rollup, scope_key: &str, month: Month) -> Option<f64> {
    scope(rollup, scope_key).and_then(|(_, bm)| bm.get(&month).map(|t| t.spend))
}

/// Whether a closed action is measured at the review of `month`: in the first two reviews whose
/// month ends on or after the day it closed (domain contract, part 3, "Closing the loop").
pub fn measured(closed: NaiveDate, month: Month, as_of: NaiveDate) -> bool {
    let first = Month::of(closed);
    closed <= as_of && (month == first || month == first.next())
}

/// The lever an action carries out: the one it names, else the one its KPI is moved by.
pub fn lever_of(a: &Action) -> Option<Lever> {
    a.lever.as_deref().and_then(Lever::parse).or_else(|| {
        a.finding
            .as_deref()
            .and_then(|m| Lever::of_kpi(super::findings::kpi_of(m)))
    })
}

/// The date of the last review: the review day of the review month, unless this is the
/// register's first review (nothing in it was opened before the review month).
pub fn last_review(actions: &[Action], month: Month, review_day: u32) -> Option<NaiveDate> {
    actions
        .iter()
        .any(|a| a.opened.is_some_and(|o| o < month))
        .then(|| month.day(review_day))
}

/// What the actions opened at earlier reviews did: those still open, and those closed (done or
/// dropped) measured at this review (see [`measured`]).
#[allow(clippy::too_many_arguments)]
pub fn follow_ups(
    cfg: &Config,
    rollup: &Rollup,
    families: &[String],
    commitments: Option<&Commitments>,
    backlog: &BacklogSection,
    actions: &[Action],
    month: Month,
    as_of: NaiveDate,
) -> FollowUps {
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
            Status::Done | Status::Dropped => a.closed.is_some_and(|c| measured(c, month, as_of)),
        };
        if !wanted {
            continue;
        }
        let Some((inst, row, _)) =
            row_in(cfg, rollup, families, commitments, &a.scope, metric, month)
        else {
            continue;
        };
        let unit = row.unit;
        let lever = lever_of(a);
        let saving_now = lever.map(|l| available_in(backlog, l, &a.scope));
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
            // A traffic drop is not a captured saving: the saving then is scaled by the scope's
            // spend now over its spend then.
            captured: a.saving_then.zip(saving_now).map(|(then, now)| {
                let spend_then = a
                    .spend_then
                    .or_else(|| a.opened.and_then(|o| spend_in(rollup, &a.scope, o)));
                let scale = match (spend_in(rollup, &a.scope, month), spend_then) {
                    (Some(n), Some(t)) if t > 0.0 => n / t,
                    _ => 1.0,
                };
                (then * scale - now).max(0.0)
            }),
            no_effect: false,
        });
    }
    out.sort_by_key(|f| (f.status != "open", f.id.clone()));
    FollowUps {
        captured: out.iter().filter_map(|f| f.captured).sum(),
        actions: out,
    }
}

/// An action closed as done whose KPI did not move at least half-way from its value then
/// towards its goal (or moved away): the owner is asked to follow it up.
#[derive(Debug, Clone)]
pub struct NoEffect<'r> {
    /// The KPI and its row in the review month.
    pub inst: Instance,
    /// Its row in the review month.
    pub row: KpiRow,
    /// The scope.
    pub who: Who<'r>,
    /// The action.
    pub action: String,
    /// Its owner.
    pub owner: String,
    /// The day it was closed.
    pub closed: NaiveDate,
    /// The KPI then and the goal, formatted.
    pub then_text: String,
    /// The goal, formatted.
    pub goal_text: String,
}

/// Done actions measured at this review whose KPI did not move at least half-way towards its
/// goal (domain contract, part 3, "No effect").
pub fn no_effect<'r>(
    cfg: &Config,
    rollup: &'r Rollup,
    families: &[String],
    commitments: Option<&Commitments>,
    actions: &[Action],
    month: Month,
    as_of: NaiveDate,
) -> Vec<NoEffect<'r>> {
    let mut out = Vec::new();
    for a in actions {
        let (Some(metric), Some(closed), Some(then)) = (a.finding.as_deref(), a.closed, a.kpi_then)
        else {
            continue;
        };
        if a.status != Status::Done || !measured(closed, month, as_of) {
            continue;
        }
        let Some((inst, row, who)) =
            row_in(cfg, rollup, families, commitments, &a.scope, metric, month)
        else {
            continue;
        };
        let Some(now) = row.value else { continue };
        // The goal then, else the scope's target now.
        let goal = a.goal_then.or_else(|| {
            row.goal.and_then(|g| {
                if g.badness(then) > 0.0 {
                    g.min().filter(|m| then < *m).or(g.max())
                } else {
                    None
                }
            })
        });
        let Some(goal) = goal else { continue };
        let gap = goal - then;
        if gap.abs() < 1e-12 {
            continue;
        }
        // How far it moved towards the goal, as a fraction of the way.
        let progress = (now - then) / gap;
        if progress >= 0.5 - 1e-9 {
            continue;
        }
        let unit = row.unit;
        out.push(NoEffect {
            inst,
            row,
            who,
            action: a.id.clone(),
            owner: a.owner.clone(),
            closed,
            then_text: unit.value(Some(then)),
            goal_text: unit.value(Some(goal)),
        });
    }
    out
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
        let Some((inst, row, who)) =
            row_in(cfg, rollup, families, None, &scope_key, &metric, month)
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
            None,
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
