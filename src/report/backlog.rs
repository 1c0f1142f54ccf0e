//! The backlog and the loop around it, as the pack shows them: the ranked optimization items,
//! the optimized floor, what last reviews' actions did, and the new work of the month.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::Lever;
use crate::month::Month;

/// One lever of one workload, ranked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// Rank among the items that do not wait (1 = fund first); None for a waiting item.
    pub rank: Option<usize>,
    /// Wave (1 = first): items in rank order, each wave up to `backlog.wave_weeks` of effort.
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
    /// Monthly saving in USD.
    pub monthly: f64,
    /// Annual saving: 12 × monthly.
    pub annual: f64,
    /// Effort in engineering weeks.
    pub effort_weeks: f64,
    /// Annual saving per week of effort: the ranking ratio.
    pub per_week: f64,
    /// Whether the change needs a quality check before it ships (routing, output).
    pub quality_check: bool,
    /// The KPI the lever moves (`model_mix.opus`, `cache_hit_rate`, ...).
    pub kpi: String,
    /// The workload's value of that KPI before the lever (after the levers before it).
    pub value: f64,
    /// The target it is brought to.
    pub target: f64,
    /// What the lever does, in words.
    pub detail: String,
    /// The open register action that carries it out.
    pub action: Option<String>,
}

impl Item {
    /// The workload, as the register scopes it: `team/app`.
    pub fn scope(&self) -> String {
        format!("{}/{}", self.team, self.app)
    }
}

/// The run rate after the backlog: the honest number to size a commitment against.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Floor {
    /// The review month's spend.
    pub spend: f64,
    /// Every item's monthly saving, waits included.
    pub saving: f64,
    /// Monthly floor: spend − saving.
    pub monthly: f64,
    /// Annual floor: 12 × monthly.
    pub annual: f64,
}

impl Floor {
    /// The floor of a spend and the savings against it.
    pub fn of(spend: f64, saving: f64) -> Floor {
        let monthly = spend - saving;
        Floor {
            spend,
            saving,
            monthly,
            annual: 12.0 * monthly,
        }
    }
}

/// The backlog of a review month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BacklogSection {
    /// Items to fund, by rank, then the waits.
    pub items: Vec<Item>,
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
    /// Items saving less a year wait (`backlog.min_annual_saving`).
    pub min_annual_saving: f64,
    /// Engineering weeks a wave holds (`backlog.wave_weeks`).
    pub wave_weeks: f64,
    /// Items of wave 1.
    pub wave_one: usize,
    /// Totals per lever, in lever order (waits included).
    pub levers: Vec<Subtotal>,
    /// Totals per wave, in wave order.
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
    /// Captured: then − now, never below 0.
    pub captured: Option<f64>,
}
