//! The one [`ReportModel`] every renderer reads: plain, serializable data. The review engine
//! (the `review` module) builds it; renderers and charts only read it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::kpi::{Drift, Goal, Unit};
use crate::metrics::{CommitmentMetrics, Kpis, Totals};
use crate::month::Month;

mod backlog;
mod commitment;

pub use backlog::{
    BacklogSection, Dropped, Floor, FollowUp, FollowUps, Item, NewWork, NewWorkload, Subtotal,
};
pub use commitment::{Ask, ForecastSection, NextCommitment, RampPeriod};

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
    /// The goal the value is held to, when a target is configured.
    pub goal: Option<Goal>,
    /// The target as configured (a budget's amount, where `goal` is its use held to 100%).
    pub configured: Option<Goal>,
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

impl KpiRow {
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
    /// `org`, `team` or `app`.
    pub scope: String,
    /// The team, for team (and app) findings.
    pub team: Option<String>,
    /// The app, for app findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
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
    /// Estimated monthly saving if the target were met: the backlog's items of its lever in its
    /// scope. None for the organisation (its teams' items carry the dollars).
    pub est_monthly_saving: Option<f64>,
    /// For an organisation finding: its teams' backlog items of the lever, summed.
    pub teams_saving: Option<f64>,
    /// Who owns its action, when not the scope's owner (a regression goes to whoever closed it).
    pub owner: Option<String>,
    /// The closed action after which the KPI went back the wrong way.
    pub regressed_after: Option<String>,
    /// The register action that addresses it (its own, or the first it links to).
    pub action: Option<String>,
    /// The actions it links to instead of opening one: the narrower actions that carry its
    /// drift, a workload's backlog items, or a dropped action that still holds.
    pub links: Vec<String>,
    /// The reason of the dropped action that holds it (`A-0003 dropped on 2026-11-03: ...`).
    pub held: Option<String>,
    /// For a follow-up (an action closed as done without effect): the KPI that action was on,
    /// so that the workload's backlog item on that KPI carries the follow-up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows: Option<String>,
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
    /// The backlog lever it carries out, for a backlog item.
    pub lever: Option<crate::config::Lever>,
    /// The KPI's value now, remembered in the register.
    pub kpi_then: Option<f64>,
    /// The scope's spend now, remembered in the register.
    pub spend_then: Option<f64>,
    /// The goal its KPI is to reach, remembered in the register.
    pub goal_then: Option<f64>,
    /// Actions it links to instead of opening one of its own (the narrower actions that carry
    /// its drift; a dropped action that still holds).
    pub links: Vec<String>,
}

/// A KPI card of the first screen: the value, its status against the target, how it moved, and
/// its last six months.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    /// Metric key (`spend`, `model_mix.opus`, ...).
    pub key: String,
    /// Label.
    pub label: String,
    /// The value, formatted.
    pub value_text: String,
    /// `met`, `missed`, `worsening` or `none` (no target).
    pub status: String,
    /// The target, formatted (`—` without one).
    pub target_text: String,
    /// The change since last month, formatted.
    pub delta_text: String,
    /// One more line (budget use, the commitment's projected unused), if any.
    pub note: Option<String>,
    /// The last six months' values, oldest first (None where a month has none).
    pub spark: Vec<Option<f64>>,
}

/// A KPI column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Metric key.
    pub key: String,
    /// Short label (`Cache hit`).
    pub label: String,
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
    /// The team's apps with usage this month or last, largest spend first.
    pub apps: Vec<AppRow>,
    /// The team's spend by app in every month of the data to the review month, oldest first.
    #[serde(skip)]
    pub by_month: Vec<(Month, BTreeMap<String, f64>)>,
}

impl TeamRow {
    /// The team's row of a KPI.
    pub fn row(&self, key: &str) -> Option<&KpiRow> {
        self.rows.iter().find(|r| r.key == key)
    }
}

/// One app of a team.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppRow {
    /// App name.
    pub app: String,
    /// Its team.
    pub team: String,
    /// Spend this month.
    pub spend: f64,
    /// Spend last month.
    pub prev_spend: Option<f64>,
    /// Share of the team's spend.
    pub share_of_team: f64,
    /// KPIs.
    pub kpis: Kpis,
    /// KPI rows, with the app's targets (its own, else its team's).
    pub rows: Vec<KpiRow>,
    /// Number of findings (an app has findings only for targets of its own).
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
    /// The totals, for anything computed from them (the trend charts).
    #[serde(skip)]
    pub totals: Totals,
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
    /// The credits within `billed` (negative), when the cost data marks any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<f64>,
    /// billed - credits - computed: what was charged against what the usage costs.
    pub difference: f64,
    /// difference / computed.
    pub difference_pct: Option<f64>,
}

/// A cost page's list amount against the price table, and the discount actually got, for one
/// workspace and model of the review month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListCell {
    /// Workspace (`default` when none).
    pub workspace: String,
    /// Model (price-table prefix; `(no model)` for cost not tied to one, such as code execution).
    pub model: String,
    /// Post-discount amount (the billed spend).
    pub net: f64,
    /// The API's amount at list price.
    pub list: f64,
    /// The same usage at the price table's list prices.
    pub computed_list: f64,
    /// (list - computed_list) / computed_list: how far the price table is from Anthropic's list.
    pub list_gap_pct: Option<f64>,
    /// 1 - net / list: the discount the organisation actually got.
    pub effective_discount: Option<f64>,
}

/// Why the review month is provisional.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provisional {
    /// The earliest day the month's Analytics API pages were read.
    pub fetched_on: NaiveDate,
    /// The first day its figures are final (30 days after the month's end).
    pub final_from: NaiveDate,
}

/// The bill explained: from list prices to what was billed, a step per reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bill {
    /// The steps, in order; their `cents` add up to `total_cents`.
    pub steps: Vec<BillStep>,
    /// The month's list cost (every modifier and the batch tier, before the contract discount).
    pub list: f64,
    /// The month's computed net cost.
    pub computed_net: f64,
    /// The month's spend (billed where billed).
    pub total: f64,
    /// The spend in whole cents.
    pub total_cents: i64,
    /// Whether billed amounts are part of the spend (then the last step is what they say beyond
    /// the price table).
    pub billed: bool,
    /// Values of price dimensions the table has no price for.
    pub warnings: Vec<String>,
}

/// One step of the bill explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BillStep {
    /// `base`, `dated`, `band`, `long_context`, `fast`, `geo`, `batch`, `discount`, `credits`,
    /// `unexplained`.
    pub key: String,
    /// What it is, in words.
    pub label: String,
    /// Its dollars, exactly.
    pub usd: f64,
    /// Its dollars in whole cents, rounded so that the steps add up to the total as shown.
    pub cents: i64,
    /// Where it comes from (the largest models and workloads), when it says.
    pub detail: Option<String>,
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
    /// The list amounts cost pages give (Analytics API) against the price table, and the discount
    /// the organisation actually got, by workspace and model, for the review month.
    pub list_cells: Vec<ListCell>,
    /// The review month's figures may still be revised: its Analytics API pages were read less
    /// than 30 days after it ended.
    pub provisional: Option<Provisional>,
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
    /// The forecast to the end of the term, with its uncertainty and backtest.
    pub forecast: ForecastSection,
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
    /// The first screen's KPI cards.
    pub cards: Vec<Card>,
    /// The commitment's risk in one sentence, for "needs a decision", when there is one.
    pub commitment_risk: Option<String>,
    /// Where the month's pack is read: `output.url` and the month, else its path in the review
    /// repository.
    pub pack_link: String,
    /// Model mix rows, one per family.
    pub model_mix: Vec<KpiRow>,
    /// Spend by model this month, largest first: (model, family, spend, share).
    pub by_model: Vec<(String, String, f64, f64)>,
    /// Spend by tier this month: (tier, spend, share).
    pub by_tier: Vec<(String, f64, f64)>,
    /// Commitment, when configured.
    pub commitment: Option<CommitmentSection>,
    /// Sizing the next commitment: when bands are configured or the term ends within 120 days.
    pub next_commitment: Option<NextCommitment>,
    /// Team showback.
    pub teams: Vec<TeamRow>,
    /// The KPI columns of the team tables: every headline KPI but spend that a team shows.
    pub team_columns: Vec<Column>,
    /// Biggest movers.
    pub movers: Vec<Mover>,
    /// Findings.
    pub findings: Vec<Finding>,
    /// The optimization backlog and the optimized floor.
    pub backlog: BacklogSection,
    /// What the actions closed since the last review and those still open did.
    pub follow_ups: FollowUps,
    /// Workloads, teams and models new this month.
    pub new_work: NewWork,
    /// Actions proposed for findings that have no open action yet (before the register assigns
    /// them IDs).
    pub actions: Vec<ProposedAction>,
    /// The action register as it stands at this review.
    pub register: RegisterSection,
    /// Organisation KPIs by month, oldest first, up to the review month.
    pub history: Vec<MonthSummary>,
    /// The bill explained: from list prices to the month's spend.
    pub bill: Bill,
    /// Data notes.
    pub data: DataNotes,
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
