//! The backlog and the loop around it, as the pack shows them: the ranked optimization items,
//! the optimized floor, what last reviews' actions did, and the new work of the month.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::Lever;
use crate::month::Month;

/// One lever of one workload, ranked.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Item {
    /// Rank among the items that do not wait (1 = fund first); None for a waiting item.
    pub rank: Option<usize>,
    /// Wave (1 = first): items in rank order, each wave up to `backlog.wave_items` items and
    /// `backlog.wave_weeks` of effort, its items in parallel.
    pub wave: Option<usize>,
    /// Below `backlog.min_annual_saving`: listed, not funded.
    pub waits: bool,
    /// Team.
    pub team: String,
    /// App.
    pub app: String,
    /// The team's owner (the review owner when the team has none).
    pub owner: String,
    /// The lever.
    pub lever: Lever,
    /// Monthly saving in USD (in its place in the full chain of the workload's levers).
    pub monthly: f64,
    /// Annual saving: 12 × monthly.
    pub annual: f64,
    /// Effort in engineering weeks.
    pub effort_weeks: f64,
    /// Annual saving per week of effort: the ranking ratio.
    pub per_week: f64,
    /// Whether the change needs a quality check before it ships (routing, downshift, output,
    /// long prompts).
    pub quality_check: bool,
    /// The KPI the lever moves (`model_mix.opus`, `premium_share`, `cache_hit_rate`, ...).
    pub kpi: String,
    /// The workload's value of that KPI before the lever (after the levers before it).
    pub value: f64,
    /// Its value after the lever: the goal, unless the move was capped.
    pub after: f64,
    /// The goal it is brought to.
    pub target: f64,
    /// What set the goal: `target` or `baseline`.
    pub goal_source: String,
    /// The goal in words (`to the 25.0% target`, `back to its Jul–Sep median 70.0%`).
    pub goal_text: String,
    /// The fraction moved.
    pub fraction: f64,
    /// What the lever does, in words.
    pub detail: String,
    /// Whether its saving counts in the optimized floor (no quality check and a target's goal,
    /// or validated); else it is upside, pending validation.
    pub counted: bool,
    /// Why it does not count yet, when it does not.
    pub pending: Option<String>,
    /// The day its change passed its quality check, when it did.
    pub validated: Option<NaiveDate>,
    /// The day its wave starts.
    pub wave_start: Option<NaiveDate>,
    /// The day it ships: ceil(7 × effort) days after its wave starts.
    pub ship: Option<NaiveDate>,
    /// The first day its saving counts.
    pub saving_from: Option<NaiveDate>,
    /// The register action that carries it out.
    pub action: Option<String>,
}

impl Item {
    /// The workload, as the register scopes it: `team/app`.
    pub fn scope(&self) -> String {
        format!("{}/{}", self.team, self.app)
    }
}

/// A lever a person decided against: kept off its workload while the decision holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dropped {
    /// Team.
    pub team: String,
    /// App.
    pub app: String,
    /// The lever.
    pub lever: Lever,
    /// The action that dropped it.
    pub action: String,
    /// Who dropped it.
    pub owner: String,
    /// When.
    pub closed: NaiveDate,
    /// Why (the action's notes).
    pub reason: String,
    /// The last review month it holds for (unless the KPI worsens beyond the tolerance).
    pub holds_through: crate::month::Month,
    /// What it would save a month, computed in its place in the chain (counted nowhere).
    pub would_save: f64,
    /// Its KPI in the month it was dropped, and now.
    pub kpi: String,
    /// The KPI then and now, formatted.
    pub then_text: String,
    /// The KPI now, formatted.
    pub now_text: String,
}

/// The run rate after the backlog: the honest number to size a commitment against. Money at the
/// price table's prices after the contract discount.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Floor {
    /// The review month's spend at the price table's prices (after the contract discount).
    pub spend: f64,
    /// What the counted items take off it: spend − floor.
    pub saving: f64,
    /// Monthly floor: the month's usage after the counted items' levers.
    pub monthly: f64,
    /// Annual floor: 12 × monthly.
    pub annual: f64,
    /// Upside: what the items pending validation would take off the floor too.
    pub upside: f64,
    /// The floor over the spend (φ).
    pub ratio: f64,
}

impl Floor {
    /// The floor of a spend, the cost after the counted levers, and the cost after every lever.
    pub fn of(spend: f64, counted: f64, all: f64) -> Floor {
        Floor {
            spend,
            saving: spend - counted,
            monthly: counted,
            annual: 12.0 * counted,
            upside: counted - all,
            ratio: if spend > 0.0 { counted / spend } else { 1.0 },
        }
    }
}

/// The backlog of a review month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BacklogSection {
    /// Items to fund, by rank, then the waits.
    pub items: Vec<Item>,
    /// Levers people dropped that still hold.
    pub dropped: Vec<Dropped>,
    /// Monthly saving per lever (waits included).
    pub by_lever: BTreeMap<Lever, f64>,
    /// Monthly saving of the items to fund (not the waits).
    pub funded_monthly: f64,
    /// Monthly saving of every item.
    pub total_monthly: f64,
    /// Annual saving of every item.
    pub total_annual: f64,
    /// Effort of the items to fund, in weeks.
    pub funded_weeks: f64,
    /// Effort of every item, in weeks.
    pub total_weeks: f64,
    /// The organisation's optimized floor.
    pub floor: Floor,
    /// Each team's optimized floor.
    pub floor_by_team: BTreeMap<String, Floor>,
    /// The routing destination.
    pub route_to: String,
    /// The downshift destination.
    pub downshift_to: String,
    /// Items saving less a year wait (`backlog.min_annual_saving`).
    pub min_annual_saving: f64,
    /// Engineering weeks a wave holds (`backlog.wave_weeks`).
    pub wave_weeks: f64,
    /// Items a wave holds (`backlog.wave_items`).
    pub wave_items: usize,
    /// Items of wave 1.
    pub wave_one: usize,
    /// Totals per lever, in lever order (waits included).
    pub levers: Vec<Subtotal>,
    /// Totals per wave, in wave order, with their dates.
    pub waves: Vec<Subtotal>,
}

/// The items of one lever or one wave, summed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Subtotal {
    /// The lever (`routing`, ...) or the wave (`1`, ...).
    pub name: String,
    /// Items.
    pub items: usize,
    /// Monthly saving.
    pub monthly: f64,
    /// Annual saving.
    pub annual: f64,
    /// Effort in engineering weeks.
    pub effort_weeks: f64,
    /// A wave's start and ship dates.
    pub start: Option<NaiveDate>,
    /// The day its last item ships.
    pub ship: Option<NaiveDate>,
}

/// A workload seen for the first time in the review month or the month before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewWorkload {
    /// Team.
    pub team: String,
    /// App.
    pub app: String,
    /// The month it was first seen.
    pub first_month: Month,
    /// Its spend in the review month.
    pub spend: f64,
    /// Opus share of its spend.
    pub opus_share: Option<f64>,
    /// Cache hit rate.
    pub cache_hit_rate: Option<f64>,
    /// Batch share.
    pub batch_share: Option<f64>,
    /// How many defaults it breaks.
    pub breaks: usize,
}

/// What is new this month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewWork {
    /// Workloads first seen this month or last (the defaults hold them through their second
    /// month).
    pub workloads: Vec<NewWorkload>,
    /// Teams first seen this month.
    pub teams: Vec<String>,
    /// Models first seen this month.
    pub models: Vec<String>,
}

/// What the actions of earlier reviews did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FollowUps {
    /// Actions still open, then those closed since the last review.
    pub actions: Vec<FollowUp>,
    /// Monthly saving captured, summed over the actions that know theirs.
    pub captured: f64,
}

/// What an action made for a KPI or a lever did: the KPI and the saving when it was opened and
/// now (domain contract, "Closing the loop on actions").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUp {
    /// `A-0007`.
    pub id: String,
    /// What it was to do.
    pub title: String,
    /// Its scope: `org`, a team or `team/app`.
    pub scope: String,
    /// Owner.
    pub owner: String,
    /// `open`, `done` or `dropped`.
    pub status: String,
    /// The date it was closed, if closed.
    pub closed: Option<NaiveDate>,
    /// The review month it was opened in.
    pub opened: Option<Month>,
    /// The backlog lever it carries out, if any.
    pub lever: Option<Lever>,
    /// The KPI's key.
    pub metric: String,
    /// The KPI's label.
    pub label: String,
    /// The KPI when the action was opened.
    pub kpi_then: Option<f64>,
    /// The same, formatted.
    pub kpi_then_text: String,
    /// The KPI in the review month.
    pub kpi_now: Option<f64>,
    /// The same, formatted.
    pub kpi_now_text: String,
    /// The scope's target, formatted (`—` without one).
    pub target_text: String,
    /// Whether the KPI now meets its target (None without a target or a value).
    pub on_target: Option<bool>,
    /// `better`, `worse` or `unchanged` since it was opened, by the KPI's direction.
    pub moved: Option<String>,
    /// Estimated monthly saving when the action was opened.
    pub saving_then: Option<f64>,
    /// The saving still available now: the backlog's items of its lever in its scope.
    pub saving_now: Option<f64>,
    /// Captured: the saving then scaled by the scope's spend now over its spend then, less the
    /// saving still available now; never below 0 (a traffic drop is not a saving).
    pub captured: Option<f64>,
    /// Closed as done, but its KPI did not move half-way towards its goal.
    pub no_effect: bool,
}
