//! `[backlog]` and `[defaults]`: how the optimization backlog is modelled and ranked, and what new
//! work must meet.
//!
//! ```toml
//! [backlog]
//! route_to = "claude-sonnet-4-6"     # where routing moves the Opus excess
//! min_annual_saving = 1000           # items saving less a year wait
//! wave_weeks = 8                     # engineering weeks per wave
//! [backlog.effort]                   # engineering weeks per lever
//! routing = 2
//! caching = 1
//! batch = 1
//! output = 0.5
//! [backlog.effort.apps."growth/sales-assistant"]
//! routing = 4                        # an app's own estimate
//!
//! [defaults]                         # what new work is held to
//! max_opus_share = 0.3
//! min_cache_hit_rate = 0.3           # from a workload's second month
//! batch_apps = ["*-nightly", "bulk-*"]
//! batch_apps_min_share = 0.9
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diag::{Locator, Problem};
use crate::pricing::PriceTable;

/// Default routing destination.
pub const DEFAULT_ROUTE_TO: &str = "claude-sonnet-4-6";
/// Items that save less than this a year (USD) wait.
pub const DEFAULT_MIN_ANNUAL_SAVING: f64 = 1000.0;
/// Engineering weeks a wave holds.
pub const DEFAULT_WAVE_WEEKS: f64 = 8.0;
/// Batch share an app that must batch is held to.
pub const DEFAULT_BATCH_APPS_MIN_SHARE: f64 = 0.9;

/// The four levers of the backlog, in the order they are modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lever {
    /// The Opus excess routed to a cheaper model.
    Routing,
    /// Uncached input served from the prompt cache.
    Caching,
    /// Latency-tolerant work moved to the Batch API.
    Batch,
    /// Output trimmed to the target per request.
    Output,
}

impl Lever {
    /// Every lever, in modelling order.
    pub const ALL: [Lever; 4] = [Lever::Routing, Lever::Caching, Lever::Batch, Lever::Output];

    /// The word in the configuration and the register.
    pub fn as_str(self) -> &'static str {
        match self {
            Lever::Routing => "routing",
            Lever::Caching => "caching",
            Lever::Batch => "batch",
            Lever::Output => "output",
        }
    }

    /// The lever a word names.
    pub fn parse(s: &str) -> Option<Lever> {
        Lever::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The KPI the lever moves.
    pub fn kpi(self) -> &'static str {
        match self {
            Lever::Routing => "model_mix.opus",
            Lever::Caching => "cache_hit_rate",
            Lever::Batch => "batch_share",
            Lever::Output => "output_per_request",
        }
    }

    /// The lever that moves a KPI, if one does.
    pub fn of_kpi(key: &str) -> Option<Lever> {
        Lever::ALL.into_iter().find(|l| l.kpi() == key)
    }

    /// Whether its saving needs a quality check before it ships (a cheaper model, shorter
    /// answers); caching and batching change cost, not answers.
    pub fn needs_quality_check(self) -> bool {
        matches!(self, Lever::Routing | Lever::Output)
    }

    /// Default effort in engineering weeks.
    pub fn default_effort(self) -> f64 {
        match self {
            Lever::Routing => 2.0,
            Lever::Caching | Lever::Batch => 1.0,
            Lever::Output => 0.5,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBacklog {
    route_to: Option<String>,
    min_annual_saving: Option<f64>,
    wave_weeks: Option<f64>,
    #[serde(default)]
    effort: RawEffort,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEffort {
    routing: Option<f64>,
    caching: Option<f64>,
    batch: Option<f64>,
    output: Option<f64>,
    #[serde(default)]
    apps: BTreeMap<String, RawAppEffort>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppEffort {
    routing: Option<f64>,
    caching: Option<f64>,
    batch: Option<f64>,
    output: Option<f64>,
}

/// How the backlog is modelled and ranked.
#[derive(Debug, Clone, PartialEq)]
pub struct Backlog {
    /// The model routing moves the Opus excess to.
    pub route_to: String,
    /// Items saving less a year (USD) are listed as waits.
    pub min_annual_saving: f64,
    /// Engineering weeks per wave.
    pub wave_weeks: f64,
    /// Effort per lever, in engineering weeks.
    pub effort: BTreeMap<Lever, f64>,
    /// An app's own efforts, by (team, app).
    pub app_effort: BTreeMap<(String, String), BTreeMap<Lever, f64>>,
}

impl Default for Backlog {
    fn default() -> Self {
        Backlog {
            route_to: DEFAULT_ROUTE_TO.to_owned(),
            min_annual_saving: DEFAULT_MIN_ANNUAL_SAVING,
            wave_weeks: DEFAULT_WAVE_WEEKS,
            effort: Lever::ALL.map(|l| (l, l.default_effort())).into(),
            app_effort: BTreeMap::new(),
        }
    }
}

impl Backlog {
    /// The effort of a lever for a workload: the app's own estimate, else the lever's.
    pub fn effort(&self, lever: Lever, team: &str, app: &str) -> f64 {
        self.app_effort
            .get(&(team.to_owned(), app.to_owned()))
            .and_then(|e| e.get(&lever))
            .or_else(|| self.effort.get(&lever))
            .copied()
            .unwrap_or_else(|| lever.default_effort())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    max_opus_share: Option<f64>,
    min_cache_hit_rate: Option<f64>,
    #[serde(default)]
    batch_apps: Vec<String>,
    batch_apps_min_share: Option<f64>,
}

/// What new work is held to (`[defaults]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Defaults {
    /// Highest Opus share a new workload may have.
    pub max_opus_share: Option<f64>,
    /// Lowest cache hit rate a workload must reach from its second month.
    pub min_cache_hit_rate: Option<f64>,
    /// App name patterns (globs) whose work must go through the Batch API.
    pub batch_apps: Vec<glob::Pattern>,
    /// The batch share those apps are held to.
    pub batch_apps_min_share: f64,
}

impl Defaults {
    /// Whether an app must batch.
    pub fn must_batch(&self, app: &str) -> bool {
        self.batch_apps.iter().any(|p| p.matches(app))
    }
}

fn positive(v: Option<f64>, key: &[&str], what: &str, loc: &Locator, problems: &mut Vec<Problem>) {
    if let Some(v) = v
        && !(v > 0.0 && v.is_finite())
    {
        problems.push(loc.problem(key, format!("{v} is not {what}; give a number above 0")));
    }
}

fn share(v: Option<f64>, key: &[&str], loc: &Locator, problems: &mut Vec<Problem>) {
    if let Some(v) = v
        && !(0.0..=1.0).contains(&v)
    {
        problems.push(loc.problem(
            key,
            format!("{v} is outside 0..1; shares and rates are fractions (write 0.35 for 35%)"),
        ));
    }
}

/// Validates `[backlog]`.
pub(super) fn backlog(
    raw: RawBacklog,
    prices: &PriceTable,
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> Backlog {
    let mut b = Backlog::default();
    if let Some(m) = raw.route_to {
        if prices.lookup(&m).is_none() {
            problems.push(loc.problem(
                &["backlog", "route_to"],
                format!(
                    "`{m}` has no price; name a priced model (e.g. {DEFAULT_ROUTE_TO}) or add it under [pricing.models]"
                ),
            ));
        }
        b.route_to = m;
    }
    if let Some(v) = raw.min_annual_saving {
        if let Some(why) = super::money_problem(v, "an amount per year") {
            problems.push(loc.problem(&["backlog", "min_annual_saving"], why));
        }
        b.min_annual_saving = v;
    }
    if let Some(v) = raw.wave_weeks {
        positive(
            Some(v),
            &["backlog", "wave_weeks"],
            "a number of weeks",
            loc,
            problems,
        );
        b.wave_weeks = v;
    }
    let e = raw.effort;
    for (lever, v) in [
        (Lever::Routing, e.routing),
        (Lever::Caching, e.caching),
        (Lever::Batch, e.batch),
        (Lever::Output, e.output),
    ] {
        positive(
            v,
            &["backlog", "effort", lever.as_str()],
            "an effort in weeks",
            loc,
            problems,
        );
        if let Some(v) = v {
            b.effort.insert(lever, v);
        }
    }
    for (key, a) in e.apps {
        let Some((team, app)) = key
            .split_once('/')
            .filter(|(t, a)| !t.is_empty() && !a.is_empty())
        else {
            problems.push(loc.key_problem(
                &["backlog", "effort", "apps", &key],
                "is not a workload; write it as \"team/app\" (e.g. \"growth/sales-assistant\")",
            ));
            continue;
        };
        let mut own = BTreeMap::new();
        for (lever, v) in [
            (Lever::Routing, a.routing),
            (Lever::Caching, a.caching),
            (Lever::Batch, a.batch),
            (Lever::Output, a.output),
        ] {
            positive(
                v,
                &["backlog", "effort", "apps", &key, lever.as_str()],
                "an effort in weeks",
                loc,
                problems,
            );
            if let Some(v) = v {
                own.insert(lever, v);
            }
        }
        b.app_effort.insert((team.to_owned(), app.to_owned()), own);
    }
    b
}

/// Validates `[defaults]`.
pub(super) fn defaults(raw: RawDefaults, loc: &Locator, problems: &mut Vec<Problem>) -> Defaults {
    share(
        raw.max_opus_share,
        &["defaults", "max_opus_share"],
        loc,
        problems,
    );
    share(
        raw.min_cache_hit_rate,
        &["defaults", "min_cache_hit_rate"],
        loc,
        problems,
    );
    share(
        raw.batch_apps_min_share,
        &["defaults", "batch_apps_min_share"],
        loc,
        problems,
    );
    let mut patterns = Vec::new();
    for (i, p) in raw.batch_apps.iter().enumerate() {
        match glob::Pattern::new(p) {
            Ok(g) => patterns.push(g),
            Err(e) => problems.push(loc.problem(
                &["defaults", "batch_apps", &i.to_string()],
                format!("`{p}` is not a pattern ({e}); use * and ? as in file names"),
            )),
        }
    }
    Defaults {
        max_opus_share: raw.max_opus_share,
        min_cache_hit_rate: raw.min_cache_hit_rate,
        batch_apps: patterns,
        batch_apps_min_share: raw
            .batch_apps_min_share
            .unwrap_or(DEFAULT_BATCH_APPS_MIN_SHARE),
    }
}
