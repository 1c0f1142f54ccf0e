//! KPI rows of a scope: value, target, status and drift of every catalogue KPI the scope has.

use std::collections::BTreeMap;

use crate::config::Targets;
use crate::fmt;
use crate::kpi::{self, Goal, Input, Instance, Scope, Shown, Unit};
use crate::metrics::{CommitmentMetrics, Totals};
use crate::month::Month;
use crate::report::{KpiRow, Status};

use super::scopes::ByMonth;

/// Which scope rows are for.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    /// Organisation, team or app.
    pub scope: Scope,
    /// The team (teams and apps).
    pub team: Option<&'a str>,
    /// The app (apps).
    pub app: Option<&'a str>,
}

impl Who<'_> {
    /// The organisation.
    pub const ORG: Who<'static> = Who {
        scope: Scope::Org,
        team: None,
        app: None,
    };

    /// How an action title names the scope.
    pub fn in_sentence(&self) -> String {
        match (self.team, self.app) {
            (Some(t), Some(a)) => format!("app {a} (team {t})"),
            (Some(t), None) => format!("team {t}"),
            _ => "the organisation".to_owned(),
        }
    }

    /// How a finding's summary names the scope.
    pub fn title(&self) -> String {
        match (self.team, self.app) {
            (Some(t), Some(a)) => format!("App {a} ({t})"),
            (Some(t), None) => format!("Team {t}"),
            _ => "Organisation".to_owned(),
        }
    }

    /// The register's scope (`org`, the team, or `team/app`).
    pub fn register_scope(&self) -> String {
        match (self.team, self.app) {
            (Some(t), Some(a)) => format!("{t}/{a}"),
            (Some(t), None) => t.to_owned(),
            _ => "org".to_owned(),
        }
    }
}

/// One KPI of a scope as a row: its value and how it moved, against its goal.
#[allow(clippy::too_many_arguments)]
pub fn row(
    key: &str,
    label: &str,
    unit: Unit,
    value: Option<f64>,
    prior: &[Option<f64>],
    goal: Option<Goal>,
    target_text: String,
    tolerance: f64,
) -> KpiRow {
    let drift = kpi::drift(value, prior, goal, tolerance);
    let status = match (value, goal) {
        (None, _) => Status::NoData,
        (Some(_), None) => Status::NoTarget,
        (Some(v), Some(g)) if g.met(v) => Status::Met,
        _ => Status::Missed,
    };
    KpiRow {
        key: key.to_owned(),
        label: label.to_owned(),
        unit,
        value,
        value_text: unit.value(value),
        goal,
        configured: None,
        target_text,
        status,
        drift,
        // Dollar changes are taken between the amounts as shown, so they agree to the cent.
        delta_text: match (unit, value, prior.first().copied().flatten()) {
            (Unit::Usd, Some(v), Some(p)) => fmt::usd_change(v, p),
            _ => unit.delta(drift.delta),
        },
        trailing_text: unit.value(drift.trailing_mean),
        vs_trailing_text: match (unit, value, drift.trailing_mean) {
            (Unit::Usd, Some(v), Some(m)) => fmt::usd_change(v, fmt::cents(m)),
            _ => unit.delta(drift.vs_trailing),
        },
    }
}

/// A scope's rows: every KPI it shows, in catalogue order, each with the instance it is of.
pub struct ScopeRows {
    /// (KPI, row), in catalogue order.
    pub rows: Vec<(Instance, KpiRow)>,
}

impl ScopeRows {
    /// The headline rows (every KPI but the model-mix shares other than Opus).
    pub fn headline(&self) -> Vec<KpiRow> {
        self.rows
            .iter()
            .filter(|(i, _)| i.headline())
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// The model-mix rows, one per family.
    pub fn mix(&self) -> Vec<KpiRow> {
        self.rows
            .iter()
            .filter(|(i, _)| i.family.is_some())
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// Every KPI once, in finding order: the headline rows, then the other model-mix shares.
    pub fn each(&self) -> impl Iterator<Item = &(Instance, KpiRow)> {
        self.rows
            .iter()
            .filter(|(i, _)| i.headline())
            .chain(self.rows.iter().filter(|(i, _)| !i.headline()))
    }
}

/// The rows of one scope for `month`, from its totals by month.
pub fn scope_rows(
    who: Who,
    by_month: &ByMonth,
    month: Month,
    targets: &Targets,
    families: &[String],
    commitment: Option<&BTreeMap<Month, CommitmentMetrics>>,
) -> ScopeRows {
    let empty = Totals::default();
    let mut rows = Vec::new();
    for inst in kpi::instances(who.scope, families) {
        let target = targets.get(&inst, who.team, who.app);
        match inst.kpi.shown {
            Shown::Targeted if target.is_none() => continue,
            Shown::Committed if commitment.is_none() => continue,
            _ => {}
        }
        let value_in = |m: Month, totals: &Totals| {
            (inst.kpi.value)(&Input {
                totals,
                target,
                commitment: commitment.and_then(|c| c.get(&m)),
                family: inst.family.as_deref(),
            })
        };
        let value = value_in(month, by_month.get(&month).unwrap_or(&empty));
        let prior: Vec<Option<f64>> = (1..=3)
            .map(|k| {
                let m = month.plus(-k);
                by_month.get(&m).and_then(|t| value_in(m, t))
            })
            .collect();
        let unit = inst.kpi.target.map_or(inst.kpi.unit, |t| t.unit);
        let goal = target.map(inst.kpi.goal);
        let target_text = target.map_or("—".to_owned(), |t| (inst.kpi.target_text)(t, unit));
        let mut r = row(
            &inst.key(),
            &inst.label(),
            inst.kpi.unit,
            value,
            &prior,
            goal,
            target_text,
            targets.drift_tolerance,
        );
        r.configured = target;
        rows.push((inst, r));
    }
    ScopeRows { rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpi_row_status_and_drift_text() {
        let r = row(
            "cache_hit_rate",
            "Cache hit rate",
            Unit::Share,
            Some(0.41),
            &[Some(0.62), Some(0.60), Some(0.61)],
            Some(Goal::AtLeast(0.55)),
            "≥ 55%".into(),
            0.02,
        );
        assert_eq!(r.status, Status::Missed);
        assert_eq!(r.value_text, "41.0%");
        assert_eq!(r.delta_text, "-21.0 pp");
        assert_eq!(r.trailing_text, "61.0%");
        assert!(r.drift.worsening);
    }
}
