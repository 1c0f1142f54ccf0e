//! Builds the one [`ReportModel`] that every renderer reads.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::Config;
use crate::cube::Dataset;
use crate::error::{Error, Result};
use crate::fmt;
use crate::metrics::{self, CommitmentMetrics, Drift, Goal, Kpis, PricedRow, Totals, UNALLOCATED};
use crate::month::Month;

/// How a KPI is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// US dollars.
    Usd,
    /// A fraction shown as a percentage; changes in percentage points.
    Share,
    /// Tokens.
    Tokens,
    /// A plain ratio (pacing).
    Ratio,
}

/// Whether a KPI meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Target met.
    Met,
    /// Target missed.
    Missed,
    /// No target configured.
    NoTarget,
    /// No value this month (no tokens, no requests, ...).
    NoData,
}

/// One KPI of one scope with its target and drift, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiRow {
    /// Metric key (`cache_hit_rate`, `model_mix.opus`, ...).
    pub key: String,
    /// Human label.
    pub label: String,
    /// Unit.
    pub unit: Unit,
    /// Value this month.
    pub value: Option<f64>,
    /// Value, formatted.
    pub value_text: String,
    /// Target, when configured.
    pub goal: Option<Goal>,
    /// Target, formatted (`≥ 55%`), or `—`.
    pub target_text: String,
    /// Met / missed / no target / no data.
    pub status: Status,
    /// Drift against last month and the trailing mean.
    pub drift: Drift,
    /// Change since last month, formatted.
    pub delta_text: String,
    /// Trailing three-month mean, formatted.
    pub trailing_text: String,
    /// Change against the trailing mean, formatted.
    pub vs_trailing_text: String,
}

fn format_value(unit: Unit, v: Option<f64>) -> String {
    match (unit, v) {
        (_, None) => "—".to_owned(),
        (Unit::Usd, Some(v)) => fmt::usd(v),
        (Unit::Share, Some(v)) => fmt::pct(v),
        (Unit::Tokens, Some(v)) => fmt::int(v),
        (Unit::Ratio, Some(v)) => fmt::ratio(v),
    }
}

fn format_delta(unit: Unit, v: Option<f64>) -> String {
    match (unit, v) {
        (_, None) => "—".to_owned(),
        (Unit::Usd, Some(v)) => fmt::usd_signed(v),
        (Unit::Share, Some(v)) => fmt::pp(v),
        (Unit::Tokens, Some(v)) => {
            let s = fmt::int(v);
            if v > 0.5 { format!("+{s}") } else { s }
        }
        (Unit::Ratio, Some(v)) => format!("{v:+.2}"),
    }
}

impl KpiRow {
    fn new(
        key: &str,
        label: &str,
        unit: Unit,
        value: Option<f64>,
        prior: &[Option<f64>],
        goal: Option<Goal>,
        tolerance: f64,
    ) -> KpiRow {
        let drift = metrics::drift(value, prior, goal, tolerance);
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
            value_text: format_value(unit, value),
            goal,
            target_text: goal.map_or("—".to_owned(), |g| g.describe(unit == Unit::Share)),
            status,
            drift,
            // Dollar changes are taken between the amounts as shown, so they agree to the cent.
            delta_text: match (unit, value, prior.first().copied().flatten()) {
                (Unit::Usd, Some(v), Some(p)) => fmt::usd_change(v, p),
                _ => format_delta(unit, drift.delta),
            },
            trailing_text: format_value(unit, drift.trailing_mean),
            vs_trailing_text: match (unit, value, drift.trailing_mean) {
                (Unit::Usd, Some(v), Some(m)) => fmt::usd_change(v, fmt::cents(m)),
                _ => format_delta(unit, drift.vs_trailing),
            },
        }
    }

    /// Whether this KPI yields a finding: a missed target or a worsening drift.
    pub fn is_finding(&self) -> bool {
        self.status == Status::Missed || self.drift.worsening
    }
}

/// A missed target or a worsening drift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `F1`, `F2`, ... in report order.
    pub id: String,
    /// Metric key.
    pub metric: String,
    /// Metric label.
    pub label: String,
    /// `org` or `team`.
    pub scope: String,
    /// The team, for team findings.
    pub team: Option<String>,
    /// `missed_target`, `worsening_drift` or `missed_target_and_worsening_drift`.
    pub kind: String,
    /// Value this month.
    pub value: f64,
    /// Value, formatted.
    pub value_text: String,
    /// The target.
    pub target: Option<Goal>,
    /// Target, formatted.
    pub target_text: String,
    /// Change since last month.
    pub delta: Option<f64>,
    /// Change, formatted.
    pub delta_text: String,
    /// One sentence for the pack.
    pub summary: String,
    /// Estimated monthly saving if the target were met, where a lever applies.
    pub est_monthly_saving: Option<f64>,
    /// The register action that addresses it.
    pub action: Option<String>,
}

/// An action proposed for a finding, with its owner and due date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProposedAction {
    /// The finding it addresses.
    pub finding: String,
    /// Metric key.
    pub metric: String,
    /// `org` or the team name.
    pub scope: String,
    /// What to do.
    pub title: String,
    /// Who owns it: the team's owner, or the review owner for organisation-wide findings.
    pub owner: String,
    /// Due date: the next review.
    pub due: NaiveDate,
    /// Estimated monthly saving.
    pub est_monthly_saving: Option<f64>,
}

/// One team's row in the showback table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamRow {
    /// Team name.
    pub team: String,
    /// Owner from the config (empty when none).
    pub owner: String,
    /// Spend this month.
    pub spend: f64,
    /// Spend last month.
    pub prev_spend: Option<f64>,
    /// Change in dollars.
    pub delta: Option<f64>,
    /// Change relative to last month.
    pub delta_pct: Option<f64>,
    /// Share of the organisation's spend.
    pub share: f64,
    /// KPIs.
    pub kpis: Kpis,
    /// KPI rows with team targets.
    pub rows: Vec<KpiRow>,
    /// Number of findings.
    pub findings: usize,
}

/// A team or app whose spend moved most.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mover {
    /// `team` or `app`.
    pub kind: String,
    /// Team name, or `app (team)`.
    pub name: String,
    /// Spend last month.
    pub prev_spend: f64,
    /// Spend this month.
    pub spend: f64,
    /// Change in dollars.
    pub delta: f64,
    /// Relative change (None when last month had no spend).
    pub delta_pct: Option<f64>,
}

/// The organisation's KPIs in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthSummary {
    /// Month.
    pub month: Month,
    /// KPIs.
    #[serde(flatten)]
    pub kpis: Kpis,
    /// Spend by team.
    pub by_team: BTreeMap<String, f64>,
    /// Days with data.
    pub days_with_data: usize,
}

/// One input file in the data notes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileNote {
    /// Path as read.
    pub path: String,
    /// Format.
    pub format: String,
    /// Rows.
    pub rows: u64,
    /// First and last day.
    pub first_day: Option<NaiveDate>,
    /// Last day.
    pub last_day: Option<NaiveDate>,
}

/// Billed against computed cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reconciliation {
    /// Month.
    pub month: Month,
    /// Billed cost.
    pub billed: f64,
    /// Computed net cost of the same rows.
    pub computed: f64,
    /// billed - computed.
    pub difference: f64,
    /// difference / computed.
    pub difference_pct: Option<f64>,
}

/// Billed against computed cost for one workspace and model of the review month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReconCell {
    /// Workspace (`default` when none).
    pub workspace: String,
    /// Model (price-table prefix).
    pub model: String,
    /// Billed cost.
    pub billed: f64,
    /// Computed net cost of the usage it bills.
    pub computed: f64,
    /// billed - computed.
    pub difference: f64,
    /// difference / computed.
    pub difference_pct: Option<f64>,
}

/// What the data covered and anything the reader should know about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataNotes {
    /// Input files.
    pub files: Vec<FileNote>,
    /// Rows read in all.
    pub rows: u64,
    /// First day with data.
    pub first_day: Option<NaiveDate>,
    /// Last day with data.
    pub last_day: Option<NaiveDate>,
    /// Days in the review month.
    pub month_days: i64,
    /// Days of the review month with data.
    pub month_days_with_data: usize,
    /// Missing days of the review month, as ranges (`2026-10-05..2026-10-07`).
    pub missing_days: Vec<String>,
    /// Billed vs computed, per month with billed data.
    pub reconciliation: Vec<Reconciliation>,
    /// Billed vs computed in the review month, per workspace and model.
    pub reconciliation_cells: Vec<ReconCell>,
    /// Spend that no team could be assigned to, this month.
    pub unallocated_spend: f64,
    /// Contract discount applied to computed costs.
    pub discount: f64,
    /// Warnings (partial coverage, ignored months, ...).
    pub warnings: Vec<String>,
    /// The warnings that concern every team's numbers (missing days, usage without a tier); a
    /// team's email shows these, not the organisation's (unallocated spend, reconciliation).
    pub team_warnings: Vec<String>,
    /// Plain notes.
    pub notes: Vec<String>,
}

/// Commitment section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitmentSection {
    /// Name of the contract, if given.
    pub name: Option<String>,
    /// The figures.
    #[serde(flatten)]
    pub metrics: CommitmentMetrics,
    /// Pacing KPI with its band.
    pub pacing_row: KpiRow,
    /// A sentence on where the term is heading.
    pub outlook: String,
}

/// A chart of the pack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartRef {
    /// File name under `charts/`, without extension.
    pub name: String,
    /// Title.
    pub title: String,
    /// Alternative text that states the key number.
    pub alt: String,
}

/// Everything a renderer needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportModel {
    /// Organisation name.
    pub organization: String,
    /// Review month.
    pub month: Month,
    /// `October 2026`.
    pub month_label: String,
    /// The date the review is made on.
    pub as_of: NaiveDate,
    /// Date of the next review (due date of new actions).
    pub next_review: NaiveDate,
    /// Who runs the review.
    pub review_owner: String,
    /// `final`, or `draft` when an action lacks an owner or a due date.
    pub status: String,
    /// Organisation totals this month.
    pub totals: Totals,
    /// Spend last month.
    pub prev_spend: Option<f64>,
    /// Previous month label.
    pub prev_month: Month,
    /// Organisation KPI rows (spend, model mix, cache, batch, output per request).
    pub kpis: Vec<KpiRow>,
    /// Model mix rows, one per family.
    pub model_mix: Vec<KpiRow>,
    /// Spend by model this month, largest first: (model, family, spend, share).
    pub by_model: Vec<(String, String, f64, f64)>,
    /// Spend by tier this month: (tier, spend, share).
    pub by_tier: Vec<(String, f64, f64)>,
    /// Commitment, when configured.
    pub commitment: Option<CommitmentSection>,
    /// Team showback.
    pub teams: Vec<TeamRow>,
    /// Biggest movers.
    pub movers: Vec<Mover>,
    /// Findings.
    pub findings: Vec<Finding>,
    /// Actions proposed for findings that have no open action yet (before the register assigns
    /// them IDs).
    pub actions: Vec<ProposedAction>,
    /// The action register as it stands at this review.
    pub register: RegisterSection,
    /// Organisation KPIs by month, oldest first, up to the review month.
    pub history: Vec<MonthSummary>,
    /// Data notes.
    pub data: DataNotes,
    /// Charts.
    pub charts: Vec<ChartRef>,
}

/// One action of the register, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionLine {
    /// `A-0007`.
    pub id: String,
    /// What to do.
    pub title: String,
    /// Finding metric, if any.
    pub finding: Option<String>,
    /// `org` or a team.
    pub scope: String,
    /// Owner as written.
    pub owner: String,
    /// Due date.
    pub due: Option<NaiveDate>,
    /// `open`, `done` or `dropped`.
    pub status: String,
    /// Review month it was opened in.
    pub opened: Option<Month>,
    /// Date closed.
    pub closed: Option<NaiveDate>,
    /// Days past due (overdue actions).
    pub days_overdue: Option<i64>,
    /// Reviews it has been carried through since it was opened.
    pub reviews_carried: i64,
    /// What it lacks before the review can be final (`a named owner`, `a due date`).
    pub needs: Vec<String>,
    /// Notes.
    pub notes: String,
    /// Links.
    pub links: Vec<String>,
    /// Estimated monthly saving of the finding it addresses, this month.
    pub est_monthly_saving: Option<f64>,
    /// This month's value of the KPI it addresses, formatted (the title keeps the value of the
    /// month it was opened in).
    pub now_text: Option<String>,
}

/// The register at this review, split the way the pack shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RegisterSection {
    /// Opened at this review.
    pub new: Vec<ActionLine>,
    /// Opened earlier, still open, not overdue.
    pub open: Vec<ActionLine>,
    /// Open and past due on the review date.
    pub overdue: Vec<ActionLine>,
    /// Closed since the last review.
    pub closed: Vec<ActionLine>,
    /// Every action, by ID (the snapshot).
    pub all: Vec<ActionLine>,
    /// Open actions that lack an owner or a due date.
    pub incomplete: Vec<ActionLine>,
    /// Date of the last review (closed-since cutoff).
    pub last_review: Option<NaiveDate>,
}

/// Fills the register section from the register's actions, links findings to open actions, and
/// marks the review DRAFT when an open action lacks a named owner or a due date.
pub fn link_register(model: &mut ReportModel, actions: &[crate::actions::Action], cfg: &Config) {
    use crate::actions::Status as S;
    let month = model.month;
    let as_of = model.as_of;
    // The last review was held on the review day of this month, unless this is the register's
    // first review (nothing in it was opened before this month).
    let last_review = actions
        .iter()
        .any(|a| a.opened.is_some_and(|o| o < month))
        .then(|| month.day(cfg.review_day));
    let line = |a: &crate::actions::Action| ActionLine {
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
                let rows: Vec<&KpiRow> = if a.scope == "org" {
                    model.kpis.iter().chain(model.model_mix.iter()).collect()
                } else {
                    model
                        .teams
                        .iter()
                        .filter(|t| t.team == a.scope)
                        .flat_map(|t| t.rows.iter())
                        .collect()
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
    let mut sorted: Vec<&crate::actions::Action> = actions.iter().collect();
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
    for f in &mut model.findings {
        let scope = f.team.clone().unwrap_or_else(|| "org".into());
        f.action = actions
            .iter()
            .filter(|a| {
                a.status == S::Open
                    && a.finding.as_deref() == Some(f.metric.as_str())
                    && a.scope == scope
            })
            .map(|a| a.id.clone())
            .min();
    }
    let savings: BTreeMap<String, f64> = model
        .findings
        .iter()
        .filter_map(|f| Some((f.action.clone()?, f.est_monthly_saving?)))
        .collect();
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

/// The built-in families, in the order the pack shows them; others follow alphabetically.
pub const BASE_FAMILIES: [&str; 3] = ["opus", "sonnet", "haiku"];

fn month_label(m: Month) -> String {
    m.first_day().format("%B %Y").to_string()
}

/// `opus` → `Opus`.
pub fn family_label(f: &str) -> String {
    let mut c = f.chars();
    c.next()
        .map(|x| x.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// KPI rows of one scope for `month`, given its totals by month and its targets.
fn scope_rows(
    by_month: &BTreeMap<Month, Totals>,
    month: Month,
    targets: &crate::config::KpiTargets,
    tolerance: f64,
    families: &[String],
) -> (Vec<KpiRow>, Vec<KpiRow>) {
    let empty = Totals::default();
    let cur = by_month.get(&month).unwrap_or(&empty).kpis();
    let prior: Vec<Option<Kpis>> = (1..=3)
        .map(|k| by_month.get(&month.plus(-k)).map(Totals::kpis))
        .collect();
    let hist = |f: &dyn Fn(&Kpis) -> Option<f64>| -> Vec<Option<f64>> {
        prior.iter().map(|p| p.as_ref().and_then(f)).collect()
    };
    let mut mix = Vec::new();
    for fam in families {
        let goal = targets.model_mix.get(fam).and_then(Goal::of_band);
        let value = cur.model_mix.get(fam).copied().filter(|_| cur.spend > 0.0);
        mix.push(KpiRow::new(
            &format!("model_mix.{fam}"),
            &format!("{} share", family_label(fam)),
            Unit::Share,
            value,
            &hist(&|k: &Kpis| {
                (k.spend > 0.0).then(|| k.model_mix.get(fam).copied().unwrap_or(0.0))
            }),
            goal,
            tolerance,
        ));
    }
    let mut rows = vec![KpiRow::new(
        "spend",
        "Spend",
        Unit::Usd,
        Some(cur.spend),
        &hist(&|k: &Kpis| Some(k.spend)),
        None,
        tolerance,
    )];
    rows.extend(mix.iter().filter(|r| r.key == "model_mix.opus").cloned());
    rows.push(KpiRow::new(
        "cache_hit_rate",
        "Cache hit rate",
        Unit::Share,
        cur.cache_hit_rate,
        &hist(&|k: &Kpis| k.cache_hit_rate),
        targets.min_cache_hit_rate.map(Goal::AtLeast),
        tolerance,
    ));
    rows.push(KpiRow::new(
        "batch_share",
        "Batch share",
        Unit::Share,
        cur.batch_share,
        &hist(&|k: &Kpis| k.batch_share),
        targets.min_batch_share.map(Goal::AtLeast),
        tolerance,
    ));
    rows.push(KpiRow::new(
        "output_per_request",
        "Output tokens / request",
        Unit::Tokens,
        cur.output_per_request,
        &hist(&|k: &Kpis| k.output_per_request),
        None,
        tolerance,
    ));
    (rows, mix)
}

/// Every KPI of a scope once: its headline rows, then the model-mix rows except Opus, which the
/// headline rows already carry.
pub fn each_kpi<'a>(rows: &'a [KpiRow], mix: &'a [KpiRow]) -> impl Iterator<Item = &'a KpiRow> {
    rows.iter()
        .chain(mix.iter().filter(|r| r.key != "model_mix.opus"))
}

fn finding_for(row: &KpiRow, team: Option<&str>, totals: &Totals, id: usize) -> Finding {
    let kind = match (row.status == Status::Missed, row.drift.worsening) {
        (true, true) => "missed_target_and_worsening_drift",
        (true, false) => "missed_target",
        _ => "worsening_drift",
    };
    let who = team.map_or("Organisation".to_owned(), |t| format!("Team {t}"));
    let summary = if kind == "worsening_drift" {
        // The target is still met: say how far it moved, not that it missed.
        format!(
            "{who}: {} {} {} since last month, to {} (target {}, still met): a move the wrong way beyond the tolerance.",
            row.label,
            moved(row),
            magnitude(row),
            row.value_text,
            row.target_text
        )
    } else {
        let mut s = format!("{who}: {} is {}", row.label, row.value_text);
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
    let est = estimate_saving(row, value, totals);
    Finding {
        id: format!("F{id}"),
        metric: row.key.clone(),
        label: row.label.clone(),
        scope: if team.is_some() { "team" } else { "org" }.to_owned(),
        team: team.map(str::to_owned),
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
    }
}

/// `rose` or `fell`: the direction of a KPI's move since last month.
fn moved(row: &KpiRow) -> &'static str {
    if row.drift.delta.unwrap_or(0.0) >= 0.0 {
        "rose"
    } else {
        "fell"
    }
}

/// The size of a KPI's move since last month, without its sign (`16.2 pp`, `$1,234.00`).
fn magnitude(row: &KpiRow) -> String {
    row.delta_text
        .trim_start_matches(['+', '-', '±'])
        .to_owned()
}

/// A rough monthly saving if the KPI met its target, for ranking actions:
/// Opus excess routed to Sonnet saves 40% of it (Opus 4.5 → Sonnet 4.5 list prices), cache reads
/// cost 90% less than uncached input, batch costs 50% less than the standard tier.
fn estimate_saving(row: &KpiRow, value: f64, t: &Totals) -> Option<f64> {
    let goal = row.goal?;
    let s = match (row.key.as_str(), goal) {
        ("model_mix.opus", Goal::AtMost(max) | Goal::Between(_, max)) if value > max => {
            (value - max) * t.spend * 0.4
        }
        ("cache_hit_rate", Goal::AtLeast(min) | Goal::Between(min, _)) if value < min => {
            let uncached = t.tokens.uncached_input as f64;
            let shift = ((min - value) * t.tokens.input() as f64).min(uncached);
            if uncached > 0.0 {
                shift / uncached * t.uncached_input_net * 0.9
            } else {
                0.0
            }
        }
        ("batch_share", Goal::AtLeast(min) | Goal::Between(min, _)) if value < min => {
            let non_batch = 1.0 - value;
            if non_batch > 0.0 {
                (min - value) / non_batch * t.non_batch_spend * 0.5
            } else {
                0.0
            }
        }
        _ => return None,
    };
    (s > 0.0).then_some(s)
}

fn action_title(f: &Finding, c: Option<&CommitmentSection>) -> String {
    let scope = f
        .team
        .as_deref()
        .map_or("the organisation".to_owned(), |t| format!("team {t}"));
    if f.kind == "worsening_drift" {
        let verb = if f.delta.unwrap_or(0.0) >= 0.0 {
            "rose"
        } else {
            "fell"
        };
        return format!(
            "Find out why {scope}'s {} {verb} {} since last month and stop the slide ({}, target {} still met)",
            label_in_sentence(f),
            f.delta_text.trim_start_matches(['+', '-', '±']),
            f.value_text,
            f.target_text
        );
    }
    match f.metric.as_str() {
        "model_mix.opus" => format!(
            "Route {scope}'s Opus traffic to Sonnet or Haiku where quality allows (Opus {} of spend, target {})",
            f.value_text, f.target_text
        ),
        "cache_hit_rate" => format!(
            "Restore prompt caching for {scope}: put stable context first and check recent prompt changes (hit rate {}, target {})",
            f.value_text, f.target_text
        ),
        "batch_share" => format!(
            "Move {scope}'s latency-tolerant jobs back to the Batch API (batch share {}, target {})",
            f.value_text, f.target_text
        ),
        "commitment_pacing" => match c {
            Some(c) if c.metrics.projected_unused > 0.0 => format!(
                "Commitment pacing {}: {} projected unused by {}; bring planned usage forward or resize at renewal",
                f.value_text,
                fmt::usd(c.metrics.projected_unused),
                c.metrics.end
            ),
            Some(c) => format!(
                "Commitment pacing {}: {} projected overage by {}; cut spend or negotiate the overage rate",
                f.value_text,
                fmt::usd(c.metrics.projected_overage),
                c.metrics.end
            ),
            None => format!("Bring commitment pacing back within {}", f.target_text),
        },
        m if m.starts_with("model_mix.") => format!(
            "Bring {scope}'s {} back to target ({}, target {})",
            label_in_sentence(f),
            f.value_text,
            f.target_text
        ),
        _ => format!("Address {}: {}", label_in_sentence(f), f.summary),
    }
}

/// The finding's label inside a sentence: family names keep their capital.
fn label_in_sentence(f: &Finding) -> String {
    if f.metric.starts_with("model_mix.") {
        f.label.clone()
    } else {
        f.label.to_lowercase()
    }
}

/// Compresses sorted days into `a..b` ranges.
fn day_ranges(days: &[NaiveDate]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let start = days[i];
        let mut end = start;
        while i + 1 < days.len() && days[i + 1] == end.succ_opt().unwrap_or(end) {
            i += 1;
            end = days[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}..{end}")
        });
        i += 1;
    }
    out
}

/// Builds the report for `month`.
pub fn build(
    cfg: &Config,
    ds: &Dataset,
    priced: &[PricedRow],
    month: Month,
    as_of: NaiveDate,
) -> Result<ReportModel> {
    let months: BTreeSet<Month> = priced.iter().map(|r| r.month).collect();
    if !months.contains(&month) {
        let span = match (months.first(), months.last()) {
            (Some(a), Some(b)) => format!("the data covers {a}..{b}"),
            _ => "the data is empty".to_owned(),
        };
        return Err(Error::Input(format!(
            "no usage rows in {month}: {span}. Pick a month with data (--month) or add that month's files (data.paths or --data)"
        )));
    }
    let tol = cfg.targets.drift_tolerance;
    let rows: Vec<&PricedRow> = priced.iter().filter(|r| r.month <= month).collect();

    let mut org: BTreeMap<Month, Totals> = BTreeMap::new();
    let mut teams: BTreeMap<String, BTreeMap<Month, Totals>> = BTreeMap::new();
    let mut apps: BTreeMap<(String, String), BTreeMap<Month, f64>> = BTreeMap::new();
    let mut in_term: BTreeMap<Month, f64> = BTreeMap::new();
    for r in &rows {
        org.entry(r.month).or_default().add(r);
        teams
            .entry(r.team.clone())
            .or_default()
            .entry(r.month)
            .or_default()
            .add(r);
        *apps
            .entry((r.team.clone(), r.app.clone()))
            .or_default()
            .entry(r.month)
            .or_default() += r.spend();
        if r.in_term {
            *in_term.entry(r.month).or_default() += r.spend();
        }
    }
    let extra: BTreeSet<String> = rows
        .iter()
        .map(|r| r.family.clone())
        .chain(cfg.targets.org.model_mix.keys().cloned())
        .filter(|f| !BASE_FAMILIES.contains(&f.as_str()))
        .collect();
    let families: Vec<String> = BASE_FAMILIES
        .iter()
        .map(|s| (*s).to_owned())
        .chain(extra)
        .collect();

    let (mut kpis, model_mix) = scope_rows(&org, month, &cfg.targets.org, tol, &families);
    let totals = org[&month].clone();
    let prev = month.prev();
    let prev_spend = org.get(&prev).map(|t| t.spend);

    // Commitment.
    let spend_by_month: BTreeMap<Month, f64> = org.iter().map(|(m, t)| (*m, t.spend)).collect();
    let commitment = cfg.commitment.as_ref().map(|c| {
        let m = metrics::commitment(c, month, &in_term, &spend_by_month);
        let pacing_hist: Vec<Option<f64>> = (1..=3)
            .map(|k| {
                let pm = month.plus(-k);
                (pm >= Month::of(c.start) && org.contains_key(&pm))
                    .then(|| metrics::commitment(c, pm, &in_term, &spend_by_month).pacing)
                    .flatten()
            })
            .collect();
        let pacing_row = KpiRow::new(
            "commitment_pacing",
            "Commitment pacing",
            Unit::Ratio,
            m.pacing,
            &pacing_hist,
            cfg.targets
                .commitment_pacing
                .as_ref()
                .and_then(Goal::of_band),
            tol,
        );
        let outlook = if m.projected_unused > 0.0 {
            format!(
                "At the current run rate the term ends at {} of the commitment: {} unused by {}.",
                fmt::pct(m.projected_utilization),
                fmt::usd(m.projected_unused),
                m.end
            )
        } else if m.projected_overage > 0.0 {
            format!(
                "At the current run rate the term ends at {} of the commitment: {} overage by {}.",
                fmt::pct(m.projected_utilization),
                fmt::usd(m.projected_overage),
                m.end
            )
        } else {
            "At the current run rate the commitment is used exactly.".to_owned()
        };
        CommitmentSection {
            name: c.name.clone(),
            metrics: m,
            pacing_row,
            outlook,
        }
    });
    if let Some(c) = &commitment {
        kpis.push(c.pacing_row.clone());
    }

    // Findings: organisation first, then teams by name.
    let mut findings = Vec::new();
    for row in each_kpi(&kpis, &model_mix) {
        if row.is_finding() {
            findings.push(finding_for(row, None, &totals, findings.len() + 1));
        }
    }
    let mut team_rows = Vec::new();
    let org_spend = totals.spend;
    for (team, by_month) in &teams {
        let cur = by_month.get(&month);
        let prev_t = by_month.get(&prev);
        if cur.is_none() && prev_t.is_none() {
            continue;
        }
        let targets = cfg.targets.for_team(team);
        let (rows, mix) = scope_rows(by_month, month, targets, tol, &families);
        let mut n = 0;
        // Unallocated spend is a data problem (warned in the data notes), not a team's KPI.
        if cur.is_some() && team != UNALLOCATED {
            let t = cur.cloned().unwrap_or_default();
            for row in each_kpi(&rows, &mix) {
                if row.is_finding() {
                    findings.push(finding_for(row, Some(team), &t, findings.len() + 1));
                    n += 1;
                }
            }
        }
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
            rows,
            findings: n,
        });
    }
    team_rows.sort_by(|a, b| {
        b.spend
            .total_cmp(&a.spend)
            .then_with(|| a.team.cmp(&b.team))
    });

    // Movers.
    let mut movers: Vec<Mover> = Vec::new();
    for t in &team_rows {
        let p = t.prev_spend.unwrap_or(0.0);
        movers.push(Mover {
            kind: "team".into(),
            name: t.team.clone(),
            prev_spend: p,
            spend: t.spend,
            delta: t.spend - p,
            delta_pct: (p > 0.0).then(|| t.spend / p - 1.0),
        });
    }
    for ((team, app), by_month) in &apps {
        let s = by_month.get(&month).copied().unwrap_or(0.0);
        let p = by_month.get(&prev).copied().unwrap_or(0.0);
        if s == 0.0 && p == 0.0 {
            continue;
        }
        movers.push(Mover {
            kind: "app".into(),
            name: format!("{app} ({team})"),
            prev_spend: p,
            spend: s,
            delta: s - p,
            delta_pct: (p > 0.0).then(|| s / p - 1.0),
        });
    }
    movers.sort_by(|a, b| {
        b.delta
            .abs()
            .total_cmp(&a.delta.abs())
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut kept = Vec::new();
    for kind in ["team", "app"] {
        kept.extend(movers.iter().filter(|m| m.kind == kind).take(5).cloned());
    }
    let movers = kept;

    // Proposed actions.
    let next_review = month.plus(2).day(cfg.review_day);
    let actions: Vec<ProposedAction> = findings
        .iter()
        .map(|f| {
            let team_ids: Vec<String> = findings
                .iter()
                .filter(|t| f.team.is_none() && t.team.is_some() && t.metric == f.metric)
                .map(|t| t.team.clone().unwrap_or_default())
                .collect();
            let owner = f
                .team
                .as_ref()
                .and_then(|t| cfg.team_owners.get(t))
                .cloned()
                .unwrap_or_else(|| cfg.review_owner.clone());
            ProposedAction {
                finding: f.id.clone(),
                metric: f.metric.clone(),
                scope: f.team.clone().unwrap_or_else(|| "org".into()),
                title: if team_ids.is_empty() {
                    action_title(f, commitment.as_ref())
                } else {
                    format!(
                        "Follow up the team actions on {} ({} {}): organisation at {}, target {}",
                        label_in_sentence(f),
                        if team_ids.len() == 1 { "team" } else { "teams" },
                        team_ids.join(", "),
                        f.value_text,
                        f.target_text
                    )
                },
                owner,
                due: next_review,
                est_monthly_saving: f.est_monthly_saving,
            }
        })
        .collect();
    // Final until the register shows an open action without a named owner or a due date.
    let status = "final";

    // History.
    let days_by_month = {
        let mut m: BTreeMap<Month, usize> = BTreeMap::new();
        for d in &ds.days {
            *m.entry(Month::of(*d)).or_default() += 1;
        }
        m
    };
    let history: Vec<MonthSummary> = org
        .iter()
        .map(|(m, t)| MonthSummary {
            month: *m,
            kpis: t.kpis(),
            by_team: teams
                .iter()
                .filter_map(|(team, bm)| bm.get(m).map(|t| (team.clone(), t.spend)))
                .collect(),
            days_with_data: days_by_month.get(m).copied().unwrap_or(0),
        })
        .collect();

    let data = data_notes(cfg, ds, priced, month, &teams);
    let by_model = {
        let mut v: Vec<(String, String, f64, f64)> = totals
            .by_model
            .iter()
            .map(|(m, s)| {
                (
                    m.clone(),
                    cfg.families.family(m),
                    *s,
                    if org_spend > 0.0 { s / org_spend } else { 0.0 },
                )
            })
            .collect();
        v.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        v
    };
    let by_tier = totals
        .by_tier
        .iter()
        .map(|(t, s)| {
            (
                t.clone(),
                *s,
                if org_spend > 0.0 { s / org_spend } else { 0.0 },
            )
        })
        .collect();

    let mut model = ReportModel {
        organization: cfg.org_name.clone(),
        month,
        month_label: month_label(month),
        as_of,
        next_review,
        review_owner: cfg.review_owner.clone(),
        status: status.to_owned(),
        totals,
        prev_spend,
        prev_month: prev,
        kpis,
        model_mix,
        by_model,
        by_tier,
        commitment,
        teams: team_rows,
        movers,
        findings,
        actions,
        register: RegisterSection::default(),
        history,
        data,
        charts: Vec::new(),
    };
    model.charts = crate::charts::chart_refs(&model);
    Ok(model)
}

fn data_notes(
    cfg: &Config,
    ds: &Dataset,
    priced: &[PricedRow],
    month: Month,
    teams: &BTreeMap<String, BTreeMap<Month, Totals>>,
) -> DataNotes {
    let in_month: BTreeSet<NaiveDate> = ds
        .days
        .iter()
        .copied()
        .filter(|d| Month::of(*d) == month)
        .collect();
    let missing: Vec<NaiveDate> = month
        .first_day()
        .iter_days()
        .take(month.days() as usize)
        .filter(|d| !in_month.contains(d))
        .collect();
    let mut warnings = Vec::new();
    let mut team_warnings = Vec::new();
    let mut notes = Vec::new();
    if !missing.is_empty() {
        team_warnings.push(format!(
            "Partial coverage: {} of {} days of {month} have no data ({}). Spend and the run rate are understated.",
            missing.len(),
            month.days(),
            day_ranges(&missing).join(", ")
        ));
    }
    let later: BTreeSet<Month> = priced
        .iter()
        .map(|r| r.month)
        .filter(|m| *m > month)
        .collect();
    if !later.is_empty() {
        notes.push(format!(
            "Data after the review month ({}) was read but is not part of this review.",
            later
                .iter()
                .map(Month::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let this_month: Vec<&PricedRow> = priced.iter().filter(|r| r.month == month).collect();
    let unallocated_spend = teams
        .get(UNALLOCATED)
        .and_then(|m| m.get(&month))
        .map_or(0.0, |t| t.spend);
    if unallocated_spend > 0.0 {
        // Name where it came from, largest first, so the rule to add is obvious.
        let mut sources: BTreeMap<(String, String), f64> = BTreeMap::new();
        for r in this_month.iter().filter(|r| r.team == UNALLOCATED) {
            *sources
                .entry((
                    r.workspace.clone().unwrap_or_else(|| "(none)".to_owned()),
                    r.api_key.clone().unwrap_or_else(|| "(none)".to_owned()),
                ))
                .or_default() += r.spend();
        }
        let mut sources: Vec<((String, String), f64)> = sources.into_iter().collect();
        sources.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let shown: Vec<String> = sources
            .iter()
            .take(5)
            .map(|((ws, key), usd)| format!("workspace {ws}, API key {key} ({})", fmt::usd(*usd)))
            .collect();
        let more = sources.len().saturating_sub(5);
        warnings.push(format!(
            "{} of this month's spend is unallocated: {}{}. Add [[allocation]] rules that match them.",
            fmt::usd(unallocated_spend),
            shown.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    let ownerless: Vec<&str> = teams
        .iter()
        .filter(|(t, by_month)| {
            t.as_str() != UNALLOCATED
                && by_month.contains_key(&month)
                && !cfg.team_owners.contains_key(t.as_str())
        })
        .map(|(t, _)| t.as_str())
        .collect();
    if !ownerless.is_empty() {
        warnings.push(format!(
            "Teams without an owner in the config: {}. Their actions go to the review owner until you add [teams.<name>] owner = \"...\".",
            ownerless.join(", ")
        ));
    }
    let tierless: Vec<String> = ds
        .files
        .iter()
        .filter(|f| f.tier_missing)
        .map(|f| f.path.display().to_string())
        .collect();
    if !tierless.is_empty() {
        team_warnings.push(format!(
            "No service tier in {}: that usage is counted as standard, so batch share may be understated and batch usage priced at full rate. Export or fetch usage grouped by service tier.",
            tierless.join(", ")
        ));
    }
    let web: u64 = this_month.iter().map(|r| r.web_search_requests).sum();
    if web > 0 {
        notes.push(format!(
            "{} web search requests this month (about {} at $10 per 1,000) are not included in token spend.",
            fmt::int(web as f64),
            fmt::usd(web as f64 / 1000.0 * 10.0)
        ));
    }
    let odd_tiers: BTreeSet<&str> = this_month
        .iter()
        .map(|r| r.tier.as_str())
        .filter(|t| *t != "standard" && *t != "batch")
        .collect();
    let (known, unknown): (Vec<&str>, Vec<&str>) = odd_tiers
        .into_iter()
        .partition(|t| crate::anthropic::KNOWN_TIERS.contains(t));
    if !known.is_empty() {
        notes.push(format!(
            "Service tiers priced at standard list prices: {}.",
            known.join(", ")
        ));
    }
    if !unknown.is_empty() {
        warnings.push(format!(
            "Unknown service tier{} {}: priced at standard list prices; check how Anthropic bills it.",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", ")
        ));
    }
    for f in ds.files.iter().filter(|f| f.unterminated) {
        warnings.push(format!(
            "{} does not end with a line break: if it was cut short, its last row is incomplete. Check the last row against the source (a complete export ends with a line break).",
            f.path.display()
        ));
    }
    for f in ds.files.iter().filter(|f| !f.unknown_fields.is_empty()) {
        warnings.push(format!(
            "{} has fields govreview does not know ({}): accepted and not used.",
            f.path.display(),
            f.unknown_fields.join(", ")
        ));
    }
    if !cfg.configured_prices.is_empty() {
        notes.push(format!(
            "Prices from the configuration: {}.",
            cfg.configured_prices.join(", ")
        ));
    }
    let mut recon: BTreeMap<Month, (f64, f64)> = BTreeMap::new();
    for r in priced.iter().filter(|r| r.month <= month) {
        if let Some(b) = r.billed {
            let e = recon.entry(r.month).or_default();
            e.0 += b;
            e.1 += r.computed_net;
        }
    }
    let mut cells: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    for r in this_month.iter().filter(|r| r.billed.is_some()) {
        let e = cells
            .entry((
                r.workspace.clone().unwrap_or_else(|| "default".to_owned()),
                metrics::model_key(cfg, &r.model),
            ))
            .or_default();
        e.0 += r.billed.unwrap_or(0.0);
        e.1 += r.computed_net;
    }
    let reconciliation_cells: Vec<ReconCell> = cells
        .into_iter()
        .map(|((workspace, model), (billed, computed))| ReconCell {
            workspace,
            model,
            billed,
            computed,
            difference: billed - computed,
            difference_pct: (computed > 0.0).then(|| (billed - computed) / computed),
        })
        .collect();
    for c in &reconciliation_cells {
        match c.difference_pct {
            None if c.billed.abs() >= 0.005 => warnings.push(format!(
                "{} billed for {} in workspace {} has no usage in the data: add that usage (it is shown as unallocated).",
                fmt::usd(c.billed),
                c.model,
                c.workspace
            )),
            Some(p) if p.abs() > cfg.reconcile_tolerance => warnings.push(format!(
                "Billed cost for {} in workspace {} differs from the computed cost by {} ({} billed, {} computed): check prices, discount and tiers.",
                c.model,
                c.workspace,
                fmt::pct_signed(p),
                fmt::usd(c.billed),
                fmt::usd(c.computed)
            )),
            _ => {}
        }
    }
    if !ds.costs.is_empty() && this_month.iter().any(|r| r.tier.starts_with("priority")) {
        notes.push(
            "Priority Tier usage never appears in Anthropic's cost report; it is priced at list here.".to_owned(),
        );
    }
    let reconciliation = recon
        .into_iter()
        .map(|(m, (b, c))| Reconciliation {
            month: m,
            billed: b,
            computed: c,
            difference: b - c,
            difference_pct: (c > 0.0).then(|| (b - c) / c),
        })
        .collect();
    DataNotes {
        files: ds
            .files
            .iter()
            .map(|f| FileNote {
                path: f.path.display().to_string(),
                format: f.format.clone(),
                rows: f.rows,
                first_day: f.first_day,
                last_day: f.last_day,
            })
            .collect(),
        rows: ds.files.iter().map(|f| f.rows).sum(),
        first_day: ds.days.first().copied(),
        last_day: ds.days.last().copied(),
        month_days: month.days(),
        month_days_with_data: in_month.len(),
        missing_days: day_ranges(&missing),
        reconciliation,
        reconciliation_cells,
        unallocated_spend,
        discount: cfg.discount,
        warnings: team_warnings.iter().cloned().chain(warnings).collect(),
        team_warnings,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_ranges_compress() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let days = [
            d("2026-10-01"),
            d("2026-10-02"),
            d("2026-10-03"),
            d("2026-10-07"),
        ];
        assert_eq!(day_ranges(&days), ["2026-10-01..2026-10-03", "2026-10-07"]);
    }

    #[test]
    fn kpi_row_status_and_drift_text() {
        let r = KpiRow::new(
            "cache_hit_rate",
            "Cache hit rate",
            Unit::Share,
            Some(0.41),
            &[Some(0.62), Some(0.60), Some(0.61)],
            Some(Goal::AtLeast(0.55)),
            0.02,
        );
        assert_eq!(r.status, Status::Missed);
        assert_eq!(r.value_text, "41.0%");
        assert_eq!(r.target_text, "≥ 55%");
        assert_eq!(r.delta_text, "-21.0 pp");
        assert_eq!(r.trailing_text, "61.0%");
        assert!(r.drift.worsening && r.is_finding());
    }
}
