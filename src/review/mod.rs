//! The governance engine: from priced usage to the review of a month.
//!
//! [`build`] rolls the priced rows up per scope ([`scopes`]), computes every catalogue KPI of the
//! organisation, each team and each app against its targets ([`rows`]), turns missed targets and
//! worsening drifts into findings and proposed actions ([`findings`]), finds the biggest movers
//! ([`movers`]) and writes the data notes ([`notes`]). [`backlog`] models the four levers of every
//! workload and ranks them; [`follow`] measures what earlier actions did and finds regressions;
//! [`newwork`] holds new work to the defaults and finds surges. [`register`] links the result to
//! the action register. The output is the [`ReportModel`] every renderer reads.

pub mod backlog;
pub mod bill;
pub mod cards;
pub mod commitment;
pub mod findings;
pub mod follow;
pub mod movers;
pub mod newwork;
pub mod notes;
pub mod register;
pub mod rows;
pub mod scopes;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::actions::Action;
use crate::config::{Config, Lever};
use crate::cube::Dataset;
use crate::error::{Error, Result};
use crate::fmt;
use crate::kpi::{self, BASE_FAMILIES, Instance, Scope};
use crate::metrics::{self, CommitmentMetrics, PricedRow, Totals, UNALLOCATED};
use crate::month::Month;
use crate::report::{
    AppRow, Column, CommitmentSection, Finding, MonthSummary, RegisterSection, ReportModel, TeamRow,
};

use rows::Who;
use scopes::{ByMonth, spend};

/// Builds the review of `month`, made on `as_of`.
pub fn build(
    cfg: &Config,
    ds: &Dataset,
    priced: &[PricedRow],
    month: Month,
    as_of: NaiveDate,
    register: &[Action],
) -> Result<ReportModel> {
    let months: BTreeSet<Month> = priced.iter().map(|r| r.month).collect();
    if !months.contains(&month) {
        // Days of the month the data covers without usage (saved API pages of a quiet month).
        let quiet = ds.days.iter().filter(|d| Month::of(**d) == month).count();
        if quiet > 0 {
            return Err(Error::Input(format!(
                "{month} has no usage: the data covers {quiet} of its days and records none on them, so there is nothing to review. Review a month with usage (--month){}",
                match months.last() {
                    Some(m) => format!("; the latest is {m}"),
                    None => String::new(),
                }
            )));
        }
        let span = match (months.first(), months.last()) {
            (Some(a), Some(b)) => format!("the data covers {a}..{b}"),
            _ => "the data is empty".to_owned(),
        };
        return Err(Error::Input(format!(
            "no usage rows in {month}: {span}. Pick a month with data (--month) or add that month's files (data.paths or --data)"
        )));
    }
    let rollup = scopes::rollup(priced.iter().filter(|r| r.month <= month));
    let families = families(cfg, priced, month);
    let prev = month.prev();

    // Commitment figures at the end of each month of the term that has data.
    let commitments: Option<BTreeMap<Month, CommitmentMetrics>> =
        cfg.commitment.as_ref().map(|c| {
            let spend_by_month: BTreeMap<Month, f64> =
                rollup.org.iter().map(|(m, t)| (*m, t.spend)).collect();
            rollup
                .org
                .keys()
                .filter(|m| (**m >= Month::of(c.start) && **m <= month) || **m == month)
                .map(|m| {
                    (
                        *m,
                        metrics::commitment(c, *m, &rollup.in_term, &spend_by_month),
                    )
                })
                .collect()
        });
    let this_commitment = commitments.as_ref().and_then(|c| c.get(&month));
    // One model forecasts the rest of the term and the next one (contract, part 3).
    let growth = crate::forecast::Growth {
        max_monthly: cfg.renewal.max_monthly_growth,
        fixed_monthly: cfg.renewal.monthly_growth,
    };
    let days = if cfg.commitment.is_some() {
        crate::costing::daily_series(ds, cfg, &rollup.org)
    } else {
        Vec::new()
    };
    let growth_model = crate::forecast::Model::fit(&days, month.last_day(), growth);

    let org_rows = rows::scope_rows(
        Who::ORG,
        &rollup.org,
        month,
        &cfg.targets,
        &families,
        commitments.as_ref(),
    );
    let totals = rollup.org[&month].clone();
    let kpis = org_rows.headline();
    let kpis_for_cards: Vec<crate::report::KpiRow> =
        kpis.iter().chain(org_rows.mix().iter()).cloned().collect();
    let model_mix = org_rows.mix();

    let commitment = this_commitment.map(|m| {
        let pacing_row = kpis
            .iter()
            .find(|r| r.key == "commitment_pacing")
            .cloned()
            .expect("a configured commitment has a pacing row");
        CommitmentSection {
            name: cfg.commitment.as_ref().and_then(|c| c.name.clone()),
            metrics: m.clone(),
            pacing_row,
            outlook: outlook(m),
            forecast: commitment::forecast_section(
                m,
                growth_model.as_ref(),
                crate::forecast::backtest(&days, month.last_day(), growth),
                month,
            ),
        }
    });

    // Findings: organisation first, then teams by name, each team's apps after it.
    let mut found = Found::default();
    for (inst, row) in org_rows.each() {
        let f = findings::finding(row, Who::ORG, found.next_id());
        found.add(inst, f, Who::ORG);
    }
    let org_spend = totals.spend;
    let mut team_rows = Vec::new();
    for (team, by_month) in &rollup.teams {
        let (cur, prev_t) = (by_month.get(&month), by_month.get(&prev));
        if cur.is_none() && prev_t.is_none() {
            continue;
        }
        let who = Who {
            scope: Scope::Team,
            team: Some(team),
            app: None,
        };
        let r = rows::scope_rows(who, by_month, month, &cfg.targets, &families, None);
        let before = found.findings.len();
        // Unallocated spend is a data problem (warned in the data notes), not a team's KPI.
        if cur.is_some() && team != UNALLOCATED {
            for (inst, row) in r.each() {
                let f = findings::finding(row, who, found.next_id());
                found.add(inst, f, who);
            }
        }
        let n = found.findings.len() - before;
        let apps = app_rows(cfg, &rollup, team, month, &families, &mut found);
        let spend = cur.map_or(0.0, |t| t.spend);
        let prev_spend = prev_t.map(|t| t.spend);
        team_rows.push(TeamRow {
            team: team.clone(),
            owner: cfg.team_owners.get(team).cloned().unwrap_or_default(),
            spend,
            prev_spend,
            delta: prev_spend.map(|p| spend - p),
            delta_pct: prev_spend.filter(|p| *p > 0.0).map(|p| spend / p - 1.0),
            share: if org_spend > 0.0 {
                spend / org_spend
            } else {
                0.0
            },
            kpis: cur.map(Totals::kpis).unwrap_or_default(),
            rows: r.headline(),
            findings: n,
            apps,
            by_month: rollup
                .org
                .keys()
                .map(|m| {
                    let by_app = rollup
                        .apps
                        .range((team.clone(), String::new())..)
                        .take_while(|((t, _), _)| t == team)
                        .filter_map(|((_, a), bm)| bm.get(m).map(|t| (a.clone(), t.spend)))
                        .collect();
                    (*m, by_app)
                })
                .collect(),
        });
    }
    team_rows.sort_by(|a, b| {
        b.spend
            .total_cmp(&a.spend)
            .then_with(|| a.team.cmp(&b.team))
    });
    let team_columns = team_columns(&team_rows, &families);

    // The backlog of the review month, and everything that follows from it.
    let month_rows: Vec<&PricedRow> = priced.iter().filter(|r| r.month == month).collect();
    let backlog = backlog::backlog(cfg, priced, month, as_of, register);
    let next_commitment = commitment
        .as_ref()
        .and_then(|c| commitment::next_commitment(cfg, &c.metrics, &c.forecast, &backlog.floor));
    regressions(cfg, &rollup, &families, register, month, as_of, &mut found);
    let mut next = found.next_id();
    let mut id = || {
        next += 1;
        next - 1
    };
    let (new_work, new_findings) = newwork::new_work(cfg, priced, &rollup, month, &mut id);
    let surges = newwork::surges(cfg, &rollup, month, &mut id);
    for f in new_findings.into_iter().chain(surges) {
        found.findings.push(f);
        found.whose.push(None);
    }
    for f in &mut found.findings {
        price_finding(f, &backlog);
    }
    let mut follow_ups = follow::follow_ups(
        cfg,
        &rollup,
        &families,
        commitments.as_ref(),
        &backlog,
        register,
        month,
        as_of,
    );
    // Done without effect: a finding for the action's owner, its new action linked to the first.
    for n in follow::no_effect(
        cfg,
        &rollup,
        &families,
        commitments.as_ref(),
        register,
        month,
        as_of,
    ) {
        for fu in follow_ups.actions.iter_mut().filter(|f| f.id == n.action) {
            fu.no_effect = true;
        }
        // A regression finding already says so, and its owner picks it up.
        if found
            .findings
            .iter()
            .any(|f| f.regressed_after.as_deref() == Some(n.action.as_str()))
        {
            continue;
        }
        let Some(mut f) = findings::finding_any(&n.row, n.who, found.next_id()) else {
            continue;
        };
        f.metric = "follow_up".to_owned();
        f.kind = "follow_up".to_owned();
        f.summary = format!(
            "{} was closed as done on {}, but {}'s {} is {} (it was {} when the action was opened; goal {}): follow it up.",
            n.action,
            n.closed,
            n.who.in_sentence(),
            n.inst.label_in_sentence(),
            n.row.value_text,
            n.then_text,
            n.goal_text
        );
        f.owner = Some(n.owner.clone()).filter(|o| !o.trim().is_empty());
        f.links = vec![n.action.clone()];
        f.follows = Some(n.row.key.clone());
        // An open action already on the scope and KPI carries the follow-up: no second one.
        let scope = n.who.register_scope();
        if let Some(open) = register
            .iter()
            .filter(|a| {
                a.status == crate::actions::Status::Open
                    && a.opened.is_none_or(|o| o <= month)
                    && a.scope == scope
                    && a.finding.as_deref().is_some_and(|m| {
                        findings::kpi_of(m) == n.row.key.as_str() || m == "follow_up"
                    })
            })
            .map(|a| a.id.clone())
            .min_by_key(|id| (id.len(), id.clone()))
        {
            f.links.push(open.clone());
            f.action = Some(open);
        }
        found.findings.push(f);
        found.whose.push(None);
    }

    let next_review = month.plus(2).day(cfg.review_day);
    let spend_of = |scope: &str| follow::spend_in(&rollup, scope, month);
    let held_by = |f: &Finding| {
        held_by(
            cfg,
            &rollup,
            &families,
            commitments.as_ref(),
            register,
            f,
            month,
            as_of,
        )
        .or_else(|| held_within(&backlog, f))
    };
    let actions = findings::proposals(
        &mut found.findings,
        &found.whose,
        &findings::Proposing {
            cfg,
            commitment: this_commitment,
            next_review,
            spend_of: &spend_of,
            held_by: &held_by,
        },
        &backlog,
    );
    let findings = found.findings;
    let movers = movers::movers(&team_rows, &rollup, month);
    let history = history(ds, &rollup, month);
    let mut data = notes::data_notes(cfg, ds, priced, month, &rollup.teams)?;
    let bill = bill::explain(cfg, ds, &month_rows, month);
    data.warnings.extend(bill.warnings.iter().cloned());
    let share = |s: f64| if org_spend > 0.0 { s / org_spend } else { 0.0 };
    let mut by_model: Vec<(String, String, f64, f64)> = totals
        .by_model
        .iter()
        .map(|(m, s)| (m.clone(), cfg.family(m), *s, share(*s)))
        .collect();
    by_model.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let by_tier = totals
        .by_tier
        .iter()
        .map(|(t, s)| (t.clone(), *s, share(*s)))
        .collect();

    let the_cards = cards::cards(
        &kpis_for_cards,
        &rollup.org,
        month,
        commitments.as_ref(),
        commitment.as_ref(),
    );
    let commitment_risk = cards::commitment_risk(commitment.as_ref(), next_commitment.as_ref());
    Ok(ReportModel {
        organization: cfg.org_name.clone(),
        month,
        month_label: month.first_day().format("%B %Y").to_string(),
        as_of,
        next_review,
        review_owner: cfg.review_owner.clone(),
        // Final until the register shows an open action without a named owner or a due date.
        status: "final".to_owned(),
        prev_spend: rollup.org.get(&prev).map(|t| t.spend),
        totals,
        prev_month: prev,
        kpis,
        model_mix,
        by_model,
        by_tier,
        commitment,
        cards: the_cards,
        commitment_risk,
        pack_link: match &cfg.pack_url {
            Some(u) => format!("{}/{month}/review.html", u.trim_end_matches('/')),
            None => format!(
                "{}/{month}/review.html",
                cfg.out_dir
                    .file_name()
                    .map_or("reviews".into(), |n| n.to_string_lossy().into_owned())
            ),
        },
        next_commitment,
        teams: team_rows,
        team_columns,
        movers,
        findings,
        backlog,
        follow_ups,
        new_work,
        actions,
        register: RegisterSection::default(),
        history,
        bill,
        data,
    })
}

/// The findings so far, each with the KPI and scope it is of (none for new work and surges).
#[derive(Default)]
struct Found<'r> {
    findings: Vec<Finding>,
    whose: Vec<Option<(Instance, Who<'r>)>>,
}

impl<'r> Found<'r> {
    fn next_id(&self) -> usize {
        self.findings.len() + 1
    }

    fn add(&mut self, inst: &Instance, f: Option<Finding>, who: Who<'r>) {
        if let Some(f) = f {
            self.findings.push(f);
            self.whose.push(Some((inst.clone(), who)));
        }
    }
}

/// Marks the findings of KPIs that went back the wrong way after their action was closed (owned
/// by whoever closed it), adding a finding where the scope had none (an app without a target of
/// its own).
fn regressions<'r>(
    cfg: &Config,
    rollup: &'r scopes::Rollup,
    families: &[String],
    register: &[Action],
    month: Month,
    as_of: NaiveDate,
    found: &mut Found<'r>,
) {
    for r in follow::regressions(cfg, rollup, families, register, month, as_of) {
        let scope = r.who.register_scope();
        let at = found
            .findings
            .iter()
            .position(|f| f.metric == r.row.key && findings::register_scope(f) == scope);
        let at = match at {
            Some(i) => i,
            None => {
                let Some(f) = findings::finding(&r.row, r.who, found.next_id()) else {
                    continue;
                };
                found.add(&r.inst, Some(f), r.who);
                found.findings.len() - 1
            }
        };
        let f = &mut found.findings[at];
        f.summary = format!(
            "Regressed after {} was closed ({}; {} then): {}",
            r.action, r.closed, r.then_text, f.summary
        );
        f.owner = Some(r.owner).filter(|o| !o.trim().is_empty());
        f.regressed_after = Some(r.action);
    }
}

/// The dropped action that holds a finding, if one does (domain contract, part 3, "Dropped
/// levers"): of the finding's scope and KPI, closed `dropped` within `backlog.dropped_months` of
/// the review month's end, and the KPI not worse than in the month it was dropped by more than the
/// tolerance. Its ID and a line with its reason.
#[allow(clippy::too_many_arguments)]
fn held_by(
    cfg: &Config,
    rollup: &scopes::Rollup,
    families: &[String],
    commitments: Option<&follow::Commitments>,
    register: &[Action],
    f: &Finding,
    month: Month,
    as_of: NaiveDate,
) -> Option<(String, String)> {
    use crate::actions::Status;
    let scope = findings::register_scope(f);
    let months = cfg.backlog.dropped_months;
    let a = register
        .iter()
        .filter(|a| a.status == Status::Dropped && a.scope == scope)
        .filter(|a| {
            a.finding
                .as_deref()
                .is_some_and(|m| findings::answers(m, &f.metric))
                || follow::lever_of(a)
                    .is_some_and(|l| Lever::of_kpi(findings::kpi_of(&f.metric)) == Some(l))
        })
        .filter(|a| {
            a.closed.is_some_and(|c| {
                c <= as_of
                    && c.checked_add_months(chrono::Months::new(months))
                        .is_some_and(|until| month.last_day() < until)
            })
        })
        .max_by_key(|a| a.closed)?;
    let closed = a.closed?;
    let then_month = Month::of(closed).min(month);
    let metric = findings::kpi_of(&f.metric);
    if let Some((_, then_row, _)) = follow::row_in(
        cfg,
        rollup,
        families,
        commitments,
        &scope,
        metric,
        then_month,
    ) && let (Some(then), Some(goal)) = (then_row.value, f.target)
    {
        let now = f.value;
        let tol = cfg.targets.drift_tolerance;
        let margin = if metric == "output_per_request" {
            then.abs() * tol
        } else {
            tol
        };
        if goal.badness(now) > goal.badness(then) + margin {
            return None;
        }
    }
    let reason = crate::actions::last_note(&a.notes);
    Some((
        a.id.clone(),
        format!("{} dropped on {closed}: {reason}", a.id),
    ))
}

/// A team's or the organisation's finding whose lever the backlog dropped on a workload inside
/// it, while the drop holds (the backlog lists it under Dropped), and no item of that lever is
/// left inside it: the drift is that workload's, so the dropped action holds the finding too
/// instead of a new action asking for what its owner declined. The latest such drop.
fn held_within(backlog: &crate::report::BacklogSection, f: &Finding) -> Option<(String, String)> {
    let lever = Lever::of_kpi(findings::kpi_of(&f.metric))?;
    let scope = findings::register_scope(f);
    if f.scope == "app"
        || backlog
            .items
            .iter()
            .any(|i| i.lever == lever && findings::within(&i.scope(), &scope))
    {
        return None;
    }
    let d = backlog
        .dropped
        .iter()
        .filter(|d| d.lever == lever && findings::within(&format!("{}/{}", d.team, d.app), &scope))
        .max_by_key(|d| (d.closed, d.action.clone()))?;
    Some((
        d.action.clone(),
        format!("{} dropped on {}: {}", d.action, d.closed, d.reason),
    ))
}

/// A finding's dollars, from the backlog: a team's or an app's are its items of the KPI's lever;
/// the organisation's carry none of their own (they would count its teams' twice) but show the
/// sum of its teams' items.
fn price_finding(f: &mut Finding, backlog: &crate::report::BacklogSection) {
    let Some(lever) = Lever::of_kpi(&f.metric) else {
        return;
    };
    let scope = findings::register_scope(f);
    let saving = Some(backlog::saving_in(backlog, lever, &scope)).filter(|s| *s > 0.0);
    if f.scope == "org" {
        f.teams_saving = saving;
    } else {
        f.est_monthly_saving = saving;
    }
}

/// The team tables' KPI columns: the headline KPIs but spend, in catalogue order, that some team
/// shows (a budget column only when some team has a budget).
fn team_columns(teams: &[TeamRow], families: &[String]) -> Vec<Column> {
    kpi::instances(Scope::Team, families)
        .into_iter()
        .filter(|i| i.headline() && i.kpi.key != "spend")
        .filter(|i| teams.iter().any(|t| t.row(&i.key()).is_some()))
        .map(|i| Column {
            key: i.key(),
            label: i.short(),
        })
        .collect()
}

/// The families the review shows: opus, sonnet, haiku, then any other the data or the
/// organisation's targets name, alphabetically.
fn families(cfg: &Config, priced: &[PricedRow], month: Month) -> Vec<String> {
    let extra: BTreeSet<String> = priced
        .iter()
        .filter(|r| r.month <= month)
        .map(|r| r.family.clone())
        .chain(
            cfg.targets
                .org
                .keys()
                .filter_map(|k| k.strip_prefix("model_mix.").map(str::to_owned)),
        )
        .filter(|f| !BASE_FAMILIES.contains(&f.as_str()))
        .collect();
    BASE_FAMILIES
        .iter()
        .map(|s| (*s).to_owned())
        .chain(extra)
        .collect()
}

/// A team's apps with spend this month or last, largest first; an app's findings come from the
/// targets it has of its own (its budget, say), not from those it inherits.
fn app_rows<'r>(
    cfg: &Config,
    rollup: &'r scopes::Rollup,
    team: &str,
    month: Month,
    families: &[String],
    found: &mut Found<'r>,
) -> Vec<AppRow> {
    let team_spend = rollup.teams.get(team).map_or(0.0, |b| spend(b, month));
    let mut out = Vec::new();
    for ((t, app), by_month) in rollup.apps.range((team.to_owned(), String::new())..) {
        if t != team {
            break;
        }
        let (cur, prev) = (by_month.get(&month), by_month.get(&month.prev()));
        if cur.is_none() && prev.is_none() {
            continue;
        }
        let who = Who {
            scope: Scope::App,
            team: Some(t),
            app: Some(app),
        };
        let r = rows::scope_rows(who, by_month, month, &cfg.targets, families, None);
        let before = found.findings.len();
        if cur.is_some() && t != UNALLOCATED {
            for (inst, row) in r.each() {
                if cfg.targets.app_has_own(inst, t, app) {
                    let f = findings::finding(row, who, found.next_id());
                    found.add(inst, f, who);
                }
            }
        }
        let s = cur.map_or(0.0, |c| c.spend);
        out.push(AppRow {
            app: app.clone(),
            team: t.clone(),
            spend: s,
            prev_spend: prev.map(|p| p.spend),
            share_of_team: if team_spend > 0.0 {
                s / team_spend
            } else {
                0.0
            },
            kpis: cur.map(Totals::kpis).unwrap_or_default(),
            rows: r.headline(),
            findings: found.findings.len() - before,
        });
    }
    out.sort_by(|a, b| b.spend.total_cmp(&a.spend).then_with(|| a.app.cmp(&b.app)));
    out
}

/// The organisation's KPIs by month, oldest first, up to the review month.
fn history(ds: &Dataset, rollup: &scopes::Rollup, _month: Month) -> Vec<MonthSummary> {
    let mut days_by_month: BTreeMap<Month, usize> = BTreeMap::new();
    for d in &ds.days {
        *days_by_month.entry(Month::of(*d)).or_default() += 1;
    }
    rollup
        .org
        .iter()
        .map(|(m, t)| MonthSummary {
            month: *m,
            kpis: t.kpis(),
            by_team: rollup
                .teams
                .iter()
                .filter_map(|(team, bm): (&String, &ByMonth)| {
                    bm.get(m).map(|t| (team.clone(), t.spend))
                })
                .collect(),
            days_with_data: days_by_month.get(m).copied().unwrap_or(0),
            totals: t.clone(),
        })
        .collect()
}

/// A sentence on where the commitment's term is heading at the current run rate.
fn outlook(m: &CommitmentMetrics) -> String {
    if m.projected_unused > 0.0 {
        format!(
            "At the 3-month average run rate the term ends at {} of the commitment: {} unused by {}.",
            fmt::pct(m.projected_utilization),
            fmt::usd(m.projected_unused),
            m.end
        )
    } else if m.projected_overage > 0.0 {
        format!(
            "At the 3-month average run rate the term ends at {} of the commitment: {} overage by {}.",
            fmt::pct(m.projected_utilization),
            fmt::usd(m.projected_overage),
            m.end
        )
    } else {
        "At the 3-month average run rate the commitment is used exactly.".to_owned()
    }
}
