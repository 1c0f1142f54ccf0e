//! The optimization backlog (domain contract, parts 2 and 3): for every workload (team × app) of
//! the review month, what each lever would free in dollars, ranked by dollars a year per week of
//! engineering, planned in dated waves; and the one optimized floor.
//!
//! Per workload, the levers run in order (fast mode, long prompts, routing, downshift, caching,
//! batch, output), each on the usage the ones before it left, so their savings add up without
//! counting a dollar twice. Each brings its KPI to its goal ([`goals`]): the stricter of its
//! target and, when the workload slipped from it, its own three-month median. A lever people
//! dropped stays off its workload while the decision holds; it is listed with what it would save
//! but counts nowhere. The floor applies only the items that count (no quality check and a
//! target's goal, or validated); the rest is upside.

pub mod chain;
pub mod goals;
pub mod plan;

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::actions::{Action, Status};
use crate::config::{Config, Lever};
use crate::metrics::PricedRow;
use crate::month::Month;
use crate::report::{BacklogSection, Dropped, Floor, Item, Subtotal};

use chain::{Context, Destination, Kpi, Row, apply, cost};

/// The monthly saving of a lever's items in a register scope: every workload's for `org`, a
/// team's workloads' for a team, one workload's for `team/app`.
pub fn saving_in(b: &BacklogSection, lever: Lever, scope: &str) -> f64 {
    b.items
        .iter()
        .filter(|i| i.lever == lever)
        .filter(|i| match scope.split_once('/') {
            _ if scope == "org" => true,
            Some((t, a)) => i.team == t && i.app == a,
            None => i.team == scope,
        })
        .map(|i| i.monthly)
        .sum()
}

/// What is still there to take in a scope: its items' savings and its dropped levers' (a
/// dropped lever's saving was declined, not captured).
pub fn available_in(b: &BacklogSection, lever: Lever, scope: &str) -> f64 {
    saving_in(b, lever, scope)
        + b.dropped
            .iter()
            .filter(|d| d.lever == lever)
            .filter(|d| match scope.split_once('/') {
                _ if scope == "org" => true,
                Some((t, a)) => d.team == t && d.app == a,
                None => d.team == scope,
            })
            .map(|d| d.would_save)
            .sum::<f64>()
}

/// A workload: its rows in the review month, in each of the three months before (oldest first,
/// for its baselines), and in every month a dropped decision may look back to.
struct Workload<'t> {
    now: Vec<Row<'t>>,
    before: Vec<(Month, Vec<Row<'t>>)>,
    history: BTreeMap<Month, Vec<Row<'t>>>,
}

/// A priced row as the levers see it (None for a row without usage, such as a billed amount
/// no usage explains).
fn lever_row<'t>(r: &PricedRow, cfg: &'t Config) -> Option<Row<'t>> {
    if r.tokens.total() == 0 {
        return None;
    }
    let model = cfg.prices.lookup(&r.model)?;
    Some(Row::new(
        model,
        r.family.clone(),
        r.premium,
        r.tier.clone(),
        r.variant.clone(),
        r.first_day,
        &r.tokens,
        r.requests as f64,
        r.output_with_requests as f64,
    ))
}

/// The first day of the month `n` months after `d`'s (calendar months; the day kept where the
/// month has it, else its last day).
fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(n)).unwrap_or(d)
}

/// A dropped action of a workload's lever, if one holds in the review month: closed `dropped`
/// with its reason, within `dropped_months` of the review month's end, and the workload's KPI
/// not worse than in the month it was dropped by more than the tolerance.
fn dropped_action<'a>(
    register: &'a [Action],
    lever: Lever,
    team: &str,
    app: &str,
    month: Month,
    months: u32,
) -> Option<&'a Action> {
    let scope = format!("{team}/{app}");
    register
        .iter()
        .filter(|a| a.status == Status::Dropped && a.scope == scope)
        .filter(|a| a.lever.as_deref() == Some(lever.as_str()))
        .filter(|a| {
            a.closed
                .is_some_and(|c| month.last_day() < add_months(c, months))
        })
        .max_by_key(|a| a.closed)
}

/// The action that carries out an item: the register's open (else done) action of its lever
/// and workload, opened at or before the review month.
fn item_action<'a>(register: &'a [Action], lever: Lever, scope: &str) -> Option<&'a Action> {
    let of = |a: &&Action| a.scope == scope && super::follow::lever_of(a) == Some(lever);
    register
        .iter()
        .filter(of)
        .filter(|a| a.status == Status::Open)
        .max_by_key(|a| a.opened)
        .or_else(|| {
            register
                .iter()
                .filter(of)
                .filter(|a| a.status == Status::Done)
                .max_by_key(|a| a.closed)
        })
}

/// The backlog of the review month, made on `as_of`, from every priced row (the months before
/// give the baselines) and the register as it stood then (dropped and validated items).
pub fn backlog(
    cfg: &Config,
    priced: &[PricedRow],
    month: Month,
    as_of: NaiveDate,
    register: &[Action],
) -> BacklogSection {
    // Actions this review opens (or opened, when a past month is reviewed again) do not decide
    // what counts: the first run could not see them.
    let register: Vec<Action> = register
        .iter()
        .filter(|a| a.opened.is_none_or(|o| o < month))
        .cloned()
        .collect();
    let register = register.as_slice();
    let s = &cfg.backlog;
    let d = cfg.discount;
    let back = 3.max(s.dropped_months as i32 + 1);
    let first = month.plus(-back);
    let mut workloads: BTreeMap<(String, String), Workload> = BTreeMap::new();
    for r in priced.iter().filter(|r| r.month == month) {
        if let Some(row) = lever_row(r, cfg) {
            workloads
                .entry((r.team.clone(), r.app.clone()))
                .or_insert_with(|| Workload {
                    now: Vec::new(),
                    before: Vec::new(),
                    history: BTreeMap::new(),
                })
                .now
                .push(row);
        }
    }
    for r in priced
        .iter()
        .filter(|r| r.month >= first && r.month < month)
    {
        if let Some(w) = workloads.get_mut(&(r.team.clone(), r.app.clone()))
            && let Some(row) = lever_row(r, cfg)
        {
            w.history.entry(r.month).or_default().push(row);
        }
    }
    for w in workloads.values_mut() {
        w.before = (1..=3)
            .rev()
            .map(|k| {
                let m = month.plus(-k);
                (m, w.history.get(&m).cloned().unwrap_or_default())
            })
            .collect();
    }
    fn dest<'t>(cfg: &'t Config, id: &'t str) -> Option<Destination<'t>> {
        cfg.prices.lookup(id).map(|model| Destination { id, model })
    }
    let cx = Context {
        discount: d,
        prices: &cfg.prices,
        route_to: dest(cfg, &s.route_to),
        downshift_to: dest(cfg, &s.downshift_to),
    };
    let mut items: Vec<Item> = Vec::new();
    let mut dropped: Vec<Dropped> = Vec::new();
    // Per workload: its cost now, after the counted levers, after every lever.
    let mut costs: BTreeMap<(String, String), (f64, f64, f64)> = BTreeMap::new();
    for ((team, app), w) in &workloads {
        let owner = cfg
            .team_owners
            .get(team)
            .cloned()
            .unwrap_or_else(|| cfg.review_owner.clone());
        let spend = cost(&w.now, d);
        let mut rows = w.now.clone();
        let mut planned: Vec<(Lever, Kpi, f64, bool)> = Vec::new();
        for lever in Lever::ALL {
            let kpi = goals::kpi_of(cfg, lever, team, app);
            let Some(goal) = goals::goal(cfg, lever, kpi, team, app, &w.now, &w.before) else {
                continue;
            };
            if let Some(a) = dropped_action(register, lever, team, app, month, s.dropped_months) {
                // The decision holds unless the KPI is now worse than in the month it was
                // dropped by more than the tolerance.
                let closed = a.closed.unwrap_or(month.first_day());
                let then_month = Month::of(closed).min(month);
                let then_rows: Vec<Row> = if then_month == month {
                    w.now.clone()
                } else {
                    w.history.get(&then_month).cloned().unwrap_or_default()
                };
                let now_v = kpi.of(&w.now, d);
                let then_v = kpi.of(&then_rows, d).or(now_v);
                let worse = match (now_v, then_v) {
                    (Some(n), Some(t)) => goals::regressed(kpi, n, t, cfg.targets.drift_tolerance),
                    _ => false,
                };
                if !worse {
                    // What it would save in its place in the chain, counted nowhere.
                    let mut trial = rows.clone();
                    if let Some(e) = apply(lever, kpi, &mut trial, goal.value, &cx) {
                        dropped.push(Dropped {
                            team: team.clone(),
                            app: app.clone(),
                            lever,
                            action: a.id.clone(),
                            owner: a.owner.clone(),
                            closed,
                            reason: crate::actions::last_note(&a.notes),
                            holds_through: Month::of(add_months(closed, s.dropped_months))
                                .prev()
                                .max(month),
                            would_save: e.saving,
                            kpi: kpi.key().to_owned(),
                            then_text: then_v.map_or("—".into(), |v| kpi.text(v)),
                            now_text: now_v.map_or("—".into(), |v| kpi.text(v)),
                        });
                    }
                    continue;
                }
            }
            let Some(e) = apply(lever, kpi, &mut rows, goal.value, &cx) else {
                continue;
            };
            // Less than a cent a month is rounding, not a lever.
            if e.saving < 0.01 {
                continue;
            }
            let scope = format!("{team}/{app}");
            let action = item_action(register, lever, &scope);
            let validated = action.and_then(|a| {
                a.validated
                    .filter(|v| *v <= as_of)
                    .or_else(|| (a.status == Status::Done).then_some(a.closed).flatten())
            });
            let by_target = goal.source == goals::Source::Target;
            let counted = (!lever.needs_quality_check() && by_target) || validated.is_some();
            let pending = (!counted).then(|| {
                if lever == Lever::FastMode {
                    "a check that standard speed is fast enough (actions validate)".to_owned()
                } else if lever.needs_quality_check() {
                    "its quality check (actions validate)".to_owned()
                } else {
                    "confirming its goal, the workload's own past level (actions validate)"
                        .to_owned()
                }
            });
            planned.push((lever, kpi, goal.value, counted));
            let effort = s.effort(lever, team, app);
            let annual = 12.0 * e.saving;
            items.push(Item {
                team: team.clone(),
                app: app.clone(),
                owner: owner.clone(),
                lever,
                monthly: e.saving,
                annual,
                effort_weeks: effort,
                per_week: annual / effort,
                quality_check: lever.needs_quality_check(),
                kpi: kpi.key().to_owned(),
                value: e.before,
                after: e.after,
                target: goal.value,
                goal_source: match goal.source {
                    goals::Source::Target => "target".into(),
                    goals::Source::Baseline { .. } => "baseline".into(),
                },
                goal_text: goal.text(kpi),
                fraction: e.fraction,
                detail: e.detail,
                counted,
                pending,
                validated,
                action: action
                    .filter(|a| a.status == Status::Open)
                    .map(|a| a.id.clone()),
                ..Item::default()
            });
        }
        let all = cost(&rows, d);
        // The floor: only the counted levers, each on what the counted levers before it left.
        let mut floor_rows = w.now.clone();
        for (lever, kpi, goal, counted) in &planned {
            if *counted {
                let _ = apply(*lever, *kpi, &mut floor_rows, *goal, &cx);
            }
        }
        costs.insert(
            (team.clone(), app.clone()),
            (spend, cost(&floor_rows, d), all),
        );
    }
    let items = plan::plan(items, s, as_of);
    section(cfg, items, dropped, &costs)
}

/// The section: items, totals by lever and by wave, and the floors.
fn section(
    cfg: &Config,
    items: Vec<Item>,
    dropped: Vec<Dropped>,
    costs: &BTreeMap<(String, String), (f64, f64, f64)>,
) -> BacklogSection {
    let s = &cfg.backlog;
    let mut by_lever: BTreeMap<Lever, f64> = BTreeMap::new();
    for i in &items {
        *by_lever.entry(i.lever).or_default() += i.monthly;
    }
    let total_monthly: f64 = items.iter().map(|i| i.monthly).sum();
    let subtotal = |name: String, of: &mut dyn Iterator<Item = &Item>| {
        let mut t = Subtotal {
            name,
            ..Subtotal::default()
        };
        for i in of {
            t.items += 1;
            t.monthly += i.monthly;
            t.effort_weeks += i.effort_weeks;
            t.start = t.start.or(i.wave_start);
            t.ship = t.ship.max(i.ship);
        }
        t.annual = 12.0 * t.monthly;
        t
    };
    let levers = Lever::ALL
        .into_iter()
        .map(|l| {
            subtotal(
                l.as_str().to_owned(),
                &mut items.iter().filter(|i| i.lever == l),
            )
        })
        .filter(|t| t.items > 0)
        .collect();
    let last_wave = items.iter().filter_map(|i| i.wave).max().unwrap_or(0);
    let waves = (1..=last_wave)
        .map(|w| {
            subtotal(
                w.to_string(),
                &mut items.iter().filter(|i| i.wave == Some(w)),
            )
        })
        .collect();
    let mut org = (0.0, 0.0, 0.0);
    let mut by_team: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
    for ((team, _), (a, b, c)) in costs {
        org = (org.0 + a, org.1 + b, org.2 + c);
        let t = by_team.entry(team.clone()).or_default();
        *t = (t.0 + a, t.1 + b, t.2 + c);
    }
    let funded = items.iter().filter(|i| !i.waits);
    BacklogSection {
        funded_monthly: funded.clone().map(|i| i.monthly).sum(),
        funded_weeks: funded.map(|i| i.effort_weeks).sum(),
        wave_one: items.iter().filter(|i| i.wave == Some(1)).count(),
        total_weeks: items.iter().map(|i| i.effort_weeks).sum(),
        total_monthly,
        total_annual: 12.0 * total_monthly,
        floor: Floor::of(org.0, org.1, org.2),
        floor_by_team: by_team
            .into_iter()
            .map(|(t, (a, b, c))| (t, Floor::of(a, b, c)))
            .collect(),
        by_lever,
        levers,
        waves,
        route_to: s.route_to.clone(),
        downshift_to: s.downshift_to.clone(),
        min_annual_saving: s.min_annual_saving,
        wave_weeks: s.wave_weeks,
        wave_items: s.wave_items,
        dropped,
        items,
    }
}

#[cfg(test)]
mod tests;
