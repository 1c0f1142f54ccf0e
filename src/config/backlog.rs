//! `[backlog]` and `[defaults]`: how the optimization backlog is modelled and ranked, and what new
//! work must meet.
//!
//! ```toml
//! [backlog]
//! route_to = "claude-sonnet-4-6"     # where routing moves the premium tier's excess
//! downshift_to = "claude-haiku-4-5"  # where downshift moves Sonnet work
//! min_annual_saving = 1000           # items saving less a year wait
//! wave_weeks = 8                     # engineering weeks per wave
//! wave_items = 3                     # items per wave (they run in parallel)
//! dropped_months = 6                 # how long a dropped lever stays off its workload
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
/// Default downshift destination.
pub const DEFAULT_DOWNSHIFT_TO: &str = "claude-haiku-4-5";
/// Items that save less than this a year (USD) wait.
pub const DEFAULT_MIN_ANNUAL_SAVING: f64 = 1000.0;
/// Engineering weeks a wave holds.
pub const DEFAULT_WAVE_WEEKS: f64 = 8.0;
/// Items a wave holds.
pub const DEFAULT_WAVE_ITEMS: usize = 3;
/// Calendar months a dropped lever stays off its workload.
pub const DEFAULT_DROPPED_MONTHS: u32 = 6;
/// Batch share an app that must batch is held to.
pub const DEFAULT_BATCH_APPS_MIN_SHARE: f64 = 0.9;

/// The levers of the backlog, in the order they are modelled: the price premiums a workload
/// pays first (fast mode, long prompts), then the contract's five (routing, downshift, caching,
/// batch, output).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lever {
    /// Fast mode turned off (standard speed).
    FastMode,
    /// Prompts kept under the length that bills a premium (long context, prompt-length bands).
    LongPrompts,
    /// The premium tier's (Opus's) excess routed to a cheaper model.
    #[default]
    Routing,
    /// Sonnet work moved to Haiku.
    Downshift,
    /// Uncached input served from the prompt cache.
    Caching,
    /// Latency-tolerant work moved to the Batch API.
    Batch,
    /// Output trimmed to the target per request.
    Output,
}

impl Lever {
    /// Every lever, in modelling order.
    pub const ALL: [Lever; 7] = [
        Lever::FastMode,
        Lever::LongPrompts,
        Lever::Routing,
        Lever::Downshift,
        Lever::Caching,
        Lever::Batch,
        Lever::Output,
    ];

    /// The word in the configuration and the register.
    pub fn as_str(self) -> &'static str {
        match self {
            Lever::FastMode => "fast_mode",
            Lever::LongPrompts => "long_prompts",
            Lever::Routing => "routing",
            Lever::Downshift => "downshift",
            Lever::Caching => "caching",
            Lever::Batch => "batch",
            Lever::Output => "output",
        }
    }

    /// The lever in words, for titles (`fast mode`, `long prompts`).
    pub fn words(self) -> &'static str {
        match self {
            Lever::FastMode => "fast mode",
            Lever::LongPrompts => "long prompts",
            l => l.as_str(),
        }
    }

    /// The lever a word names.
    pub fn parse(s: &str) -> Option<Lever> {
        Lever::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The KPI the lever moves (routing moves the premium share where a workload has a premium
    /// target, else the Opus share).
    pub fn kpi(self) -> &'static str {
        match self {
            Lever::FastMode => "fast_share",
            Lever::LongPrompts => "long_prompt_share",
            Lever::Routing => "model_mix.opus",
            Lever::Downshift => "model_mix.haiku",
            Lever::Caching => "cache_hit_rate",
            Lever::Batch => "batch_share",
            Lever::Output => "output_per_request",
        }
    }

    /// The lever that moves a KPI, if one does.
    pub fn of_kpi(key: &str) -> Option<Lever> {
        if key == "premium_share" {
            return Some(Lever::Routing);
        }
        Lever::ALL.into_iter().find(|l| l.kpi() == key)
    }

    /// Whether its saving needs a check before it ships: a cheaper model, shorter answers or
    /// prompts change the answers; standard speed instead of fast mode changes what users wait
    /// for. Caching and batching change cost, not answers.
    pub fn needs_quality_check(self) -> bool {
        matches!(
            self,
            Lever::Routing
                | Lever::Downshift
                | Lever::Output
                | Lever::LongPrompts
                | Lever::FastMode
        )
    }

    /// Default effort in engineering weeks.
    pub fn default_effort(self) -> f64 {
        match self {
            Lever::Routing | Lever::Downshift => 2.0,
            Lever::Caching | Lever::Batch | Lever::LongPrompts => 1.0,
            Lever::Output | Lever::FastMode => 0.5,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBacklog {
    route_to: Option<String>,
    downshift_to: Option<String>,
    min_annual_saving: Option<f64>,
    wave_weeks: Option<f64>,
    wave_items: Option<i64>,
    dropped_months: Option<i64>,
    #[serde(default)]
    effort: RawEffort,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEffort {
    fast_mode: Option<f64>,
    long_prompts: Option<f64>,
    routing: Option<f64>,
    downshift: Option<f64>,
    caching: Option<f64>,
    batch: Option<f64>,
    output: Option<f64>,
    #[serde(default)]
    apps: BTreeMap<String, RawAppEffort>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppEffort {
    fast_mode: Option<f64>,
    long_prompts: Option<f64>,
    routing: Option<f64>,
    downshift: Option<f64>,
    caching: Option<f64>,
    batch: Option<f64>,
    output: Option<f64>,
}

impl RawAppEffort {
    fn by_lever(&self) -> [(Lever, Option<f64>); 7] {
        [
            (Lever::FastMode, self.fast_mode),
            (Lever::LongPrompts, self.long_prompts),
            (Lever::Routing, self.routing),
            (Lever::Downshift, self.downshift),
            (Lever::Caching, self.caching),
            (Lever::Batch, self.batch),
            (Lever::Output, self.output),
        ]
    }
}

/// How the backlog is modelled and ranked.
#[derive(Debug, Clone, PartialEq)]
pub struct Backlog {
    /// The model routing moves the Opus excess to.
    pub route_to: String,
    /// The model downshift moves Sonnet work to.
    pub downshift_to: String,
    /// Items saving less a year (USD) are listed as waits.
    pub min_annual_saving: f64,
    /// Engineering weeks per wave.
    pub wave_weeks: f64,
    /// Items per wave.
    pub wave_items: usize,
    /// Calendar months a dropped lever stays off its workload.
    pub dropped_months: u32,
    /// Effort per lever, in engineering weeks.
    pub effort: BTreeMap<Lever, f64>,
    /// An app's own efforts, by (team, app).
    pub app_effort: BTreeMap<(String, String), BTreeMap<Lever, f64>>,
}

impl Default for Backlog {
    fn default() -> Self {
        Backlog {
            route_to: DEFAULT_ROUTE_TO.to_owned(),
            downshift_to: DEFAULT_DOWNSHIFT_TO.to_owned(),
            min_annual_saving: DEFAULT_MIN_ANNUAL_SAVING,
            wave_weeks: DEFAULT_WAVE_WEEKS,
            wave_items: DEFAULT_WAVE_ITEMS,
            dropped_months: DEFAULT_DROPPED_MONTHS,
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

/// What an effort in weeks is: half a day at least, ten years at most.
const EFFORT: &str = "an effort in weeks";
/// The fewest weeks an effort is (half a day).
pub const MIN_EFFORT_WEEKS: f64 = 0.1;
/// The most weeks an effort is (ten years).
pub const MAX_EFFORT_WEEKS: f64 = 520.0;

fn positive(v: Option<f64>, key: &[&str], what: &str, loc: &Locator, problems: &mut Vec<Problem>) {
    if let Some(v) = v {
        if what == EFFORT && !(MIN_EFFORT_WEEKS..=MAX_EFFORT_WEEKS).contains(&v) {
            problems.push(loc.problem(
                key,
                format!(
                    "{} is not {what}; give {MIN_EFFORT_WEEKS} (half a day) to {MAX_EFFORT_WEEKS} (ten years)",
                    crate::fmt::num_or_raw(v)
                ),
            ));
        } else if !(v > 0.0 && v.is_finite()) {
            problems.push(loc.problem(
                key,
                format!(
                    "{} is not {what}; give a number above 0",
                    crate::fmt::num_or_raw(v)
                ),
            ));
        }
    }
}

fn share(v: Option<f64>, key: &[&str], loc: &Locator, problems: &mut Vec<Problem>) {
    if let Some(v) = v
        && !(0.0..=1.0).contains(&v)
    {
        problems.push(loc.problem(
            key,
            format!(
                "{} is outside 0..1; shares and rates are fractions (write 0.35 for 35%)",
                crate::fmt::num_or_raw(v)
            ),
        ));
    }
}

/// Validates `[backlog]`: among the rest, a destination must be priced and cheaper than the
/// models it replaces (`premium` names the families routing moves away from; `compare_prices`
/// is off when a price holds a stand-in for a mistyped value).
pub(super) fn backlog(
    raw: RawBacklog,
    prices: &PriceTable,
    premium: &[String],
    compare_prices: bool,
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> Backlog {
    let mut b = Backlog::default();
    let mut dest = |key: &str, given: Option<String>, default: &str, from: &[String]| {
        let m = given.clone().unwrap_or_else(|| default.to_owned());
        match prices.lookup(&m) {
            None => {
                if given.is_some() {
                    vec![loc.problem(
                        &["backlog", key],
                        format!(
                            "`{m}` has no price; name a priced model (e.g. {default}) or add it under [pricing.models]"
                        ),
                    )]
                } else {
                    Vec::new()
                }
            }
            Some(to) => compare_prices
                .then(|| pricier_than(prices, to, from))
                .flatten()
                .map(|(model, relation, what)| {
                    let effect = if relation == "costs more than" {
                        "would raise cost"
                    } else {
                        "would save nothing"
                    };
                    loc.problem(
                        &["backlog", key],
                        format!(
                            "`{m}` {relation} `{model}` ({what}), one of the models it would replace: moving work to it {effect}. Name a cheaper model{}",
                            if given.is_some() { "" } else { " (this is the default; set it)" }
                        ),
                    )
                })
                .into_iter()
                .collect(),
        }
        .into_iter()
        .for_each(|p| problems.push(p));
        m
    };
    b.route_to = dest("route_to", raw.route_to, DEFAULT_ROUTE_TO, premium);
    b.downshift_to = dest(
        "downshift_to",
        raw.downshift_to,
        DEFAULT_DOWNSHIFT_TO,
        &["sonnet".to_owned()],
    );
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
    if let Some(v) = raw.wave_items {
        match usize::try_from(v) {
            Ok(n) if (1..=100).contains(&n) => b.wave_items = n,
            _ => problems.push(loc.problem(
                &["backlog", "wave_items"],
                format!("{v} is not a number of items; a wave holds 1 to 100 items (default {DEFAULT_WAVE_ITEMS})"),
            )),
        }
    }
    if let Some(v) = raw.dropped_months {
        match u32::try_from(v) {
            Ok(n) if n <= 120 => b.dropped_months = n,
            _ => problems.push(loc.problem(
                &["backlog", "dropped_months"],
                format!("{v} is not a number of months; give 0 to 120 (default {DEFAULT_DROPPED_MONTHS}): how long a dropped lever stays off its workload"),
            )),
        }
    }
    let e = raw.effort;
    let levers = RawAppEffort {
        fast_mode: e.fast_mode,
        long_prompts: e.long_prompts,
        routing: e.routing,
        downshift: e.downshift,
        caching: e.caching,
        batch: e.batch,
        output: e.output,
    };
    for (lever, v) in levers.by_lever() {
        positive(
            v,
            &["backlog", "effort", lever.as_str()],
            EFFORT,
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
        for (lever, v) in a.by_lever() {
            positive(
                v,
                &["backlog", "effort", "apps", &key, lever.as_str()],
                EFFORT,
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

/// The first model of `families` in the table that `to` is not cheaper than, on input or output
/// (its prices scaled by the tokens its tokenizer counts for the same text), with whether it
/// costs more or as much, and on what.
fn pricier_than(
    prices: &PriceTable,
    to: &crate::pricing::Model,
    families: &[String],
) -> Option<(String, &'static str, String)> {
    prices
        .models()
        .filter(|m| families.contains(&m.family) && m.key != to.key)
        .find_map(|m| {
            let ratio = prices.token_ratio(m, to);
            let (a, b) = (m.price, to.price);
            let (side, x, y) = if b.input * ratio >= a.input {
                ("input", b.input, a.input)
            } else if b.output * ratio >= a.output {
                ("output", b.output, a.output)
            } else {
                return None;
            };
            let (more, less) = (b.input * ratio, b.output * ratio);
            let relation = if more > a.input || less > a.output {
                "costs more than"
            } else {
                "costs as much as"
            };
            Some((
                m.key.clone(),
                relation,
                format!("{side} ${x} against ${y} per million"),
            ))
        })
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
