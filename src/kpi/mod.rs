//! The KPI catalogue: one entry per governed number.
//!
//! An entry says everything the tool needs to know about a KPI: its key and label, its unit, how
//! its value follows from a scope's monthly totals, which configuration key sets its target (and
//! whether a team inherits the organisation's), how the target reads, and how an action for it is
//! worded. Configuration parsing, the review engine, the JSON, the terminal table, the templates
//! and the charts loop over the catalogue; adding a KPI is one entry here (and its test).
//!
//! Model-mix shares are one entry instantiated per family (`model_mix.opus`, ...); see
//! [`instances`].

mod goal;

use serde::Serialize;

pub use goal::{Drift, Goal, drift};

use crate::fmt;
use crate::metrics::{CommitmentMetrics, Totals};

/// The built-in model families, in the order the pack shows them; others follow alphabetically.
pub const BASE_FAMILIES: [&str; 3] = ["opus", "sonnet", "haiku"];

/// How a KPI's value is formatted.
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
    /// US dollars of a small unit (a request): to four decimals below a dollar.
    UsdEach,
}

impl Unit {
    /// A value, formatted (`—` when there is none).
    pub fn value(self, v: Option<f64>) -> String {
        match (self, v) {
            (_, None) => "—".to_owned(),
            (Unit::Usd, Some(v)) => fmt::usd(v),
            (Unit::Share, Some(v)) => fmt::pct(v),
            (Unit::Tokens, Some(v)) => fmt::int(v),
            (Unit::Ratio, Some(v)) => fmt::ratio(v),
            (Unit::UsdEach, Some(v)) => fmt::usd_each(v),
        }
    }

    /// A change of a value, formatted with its sign.
    pub fn delta(self, v: Option<f64>) -> String {
        match (self, v) {
            (_, None) => "—".to_owned(),
            (Unit::Usd, Some(v)) => fmt::usd_signed(v),
            (Unit::Share, Some(v)) => fmt::pp(v),
            (Unit::Tokens, Some(v)) => {
                let s = fmt::int(v);
                if v > 0.5 { format!("+{s}") } else { s }
            }
            (Unit::Ratio, Some(v)) => format!("{v:+.2}"),
            (Unit::UsdEach, Some(v)) => {
                let s = fmt::usd_each(v.abs());
                if v < 0.0 {
                    format!("-{s}")
                } else {
                    format!("+{s}")
                }
            }
        }
    }

    /// A target bound, formatted (`30%`, `0.90`, `$50,000`, `400`).
    pub fn bound(self, v: f64) -> String {
        match self {
            Unit::Share => format!("{:.0}%", v * 100.0),
            Unit::Ratio => format!("{v:.2}"),
            Unit::Usd => fmt::usd_whole(v),
            Unit::Tokens => fmt::int(v),
            Unit::UsdEach => fmt::usd_each(v),
        }
    }
}

/// The scopes a review computes KPIs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The whole organisation.
    Org,
    /// A team.
    Team,
    /// An application of a team.
    App,
}

/// How a KPI's target is written in `[targets]` (and `[targets.teams.<team>]`,
/// `[targets.teams.<team>.apps.<app>]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKey {
    /// `key = value`: the highest acceptable value.
    Max(&'static str),
    /// `key = value`: the lowest acceptable value.
    Min(&'static str),
    /// `key = { min = .., max = .. }`, either bound optional.
    Band(&'static str),
    /// Per-family share bands, `model_mix.<family> = { min, max }`, with the shorthand
    /// `max_opus_share`.
    FamilyBands,
}

/// A KPI's target: where it is configured, what values it takes, who inherits it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetSpec {
    /// The configuration key.
    pub key: TargetKey,
    /// The unit of the configured value (shares are fractions 0..1).
    pub unit: Unit,
    /// The largest value that makes sense (shares 1.0, pacing 10); amounts have none.
    pub ceiling: Option<f64>,
    /// Whether a team without its own target takes the organisation's (and an app its team's).
    /// True for rates and shares; false for budgets, which are amounts of one scope.
    pub inherited: bool,
    /// The scopes the target may be set for.
    pub scopes: &'static [Scope],
}

/// What a KPI's value is computed from, for one scope and month.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The scope's totals in the month.
    pub totals: &'a Totals,
    /// The scope's configured target for this KPI, as written (a budget's amount, say).
    pub target: Option<Goal>,
    /// The commitment figures at the end of the month (organisation only, when configured).
    pub commitment: Option<&'a CommitmentMetrics>,
    /// The family, for a model-mix share.
    pub family: Option<&'a str>,
}

/// What an action title is worded from.
#[derive(Debug, Clone, Copy)]
pub struct Wording<'a> {
    /// `team growth`, `app sales-assistant of team growth`, `the organisation`.
    pub scope: &'a str,
    /// The KPI's label inside a sentence (`cache hit rate`, `Opus share`).
    pub label: &'a str,
    /// The value, formatted.
    pub value: &'a str,
    /// The target, formatted.
    pub target: &'a str,
    /// The commitment figures (for the pacing KPI).
    pub commitment: Option<&'a CommitmentMetrics>,
}

/// One KPI of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Kpi {
    /// Metric key (`cache_hit_rate`; `model_mix` for the per-family entry).
    pub key: &'static str,
    /// Label (`Cache hit rate`; `{Family} share` for the per-family entry).
    pub label: &'static str,
    /// Short label for a table column (`Cache hit`; the family name for a share).
    pub short: &'static str,
    /// Drawn as a trend chart by month, with its target line.
    pub trend: bool,
    /// Unit of the value.
    pub unit: Unit,
    /// How its target is configured, if it has one.
    pub target: Option<TargetSpec>,
    /// The scopes it is computed for.
    pub scopes: &'static [Scope],
    /// Its value.
    pub value: fn(&Input) -> Option<f64>,
    /// The goal the value is held to, from the configured target (usually the target itself; a
    /// budget's value is its use, held to 100%).
    pub goal: fn(Goal) -> Goal,
    /// How the configured target reads in the pack.
    pub target_text: fn(Goal, Unit) -> String,
    /// When a scope shows it.
    pub shown: Shown,
    /// Instantiated per model family.
    pub per_family: bool,
    /// The action proposed when it misses its target.
    pub action: fn(&Wording) -> String,
}

/// When a scope shows a KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Always.
    Always,
    /// Only with a target (a budget means nothing without one).
    Targeted,
    /// Only when a commitment is configured.
    Committed,
}

fn same(g: Goal) -> Goal {
    g
}

fn described(g: Goal, unit: Unit) -> String {
    g.describe(|v| unit.bound(v))
}

const ALL: &[Scope] = &[Scope::Org, Scope::Team, Scope::App];

/// A minimum share or rate, inherited: `min_cache_hit_rate = 0.45`.
const fn min_share(key: &'static str) -> TargetSpec {
    TargetSpec {
        key: TargetKey::Min(key),
        unit: Unit::Share,
        ceiling: Some(1.0),
        inherited: true,
        scopes: ALL,
    }
}
const ORG: &[Scope] = &[Scope::Org];

/// The catalogue, in the order the pack shows KPIs.
pub const CATALOGUE: &[Kpi] = &[
    Kpi {
        key: "spend",
        label: "Spend",
        short: "Spend",
        trend: false,
        unit: Unit::Usd,
        target: None,
        scopes: ALL,
        value: |i| Some(i.totals.spend),
        goal: same,
        target_text: described,
        shown: Shown::Always,
        per_family: false,
        action: |w| format!("Address {}'s {}: {}", w.scope, w.label, w.value),
    },
    Kpi {
        key: "budget",
        label: "Budget use",
        short: "Budget",
        trend: false,
        unit: Unit::Share,
        target: Some(TargetSpec {
            key: TargetKey::Max("max_monthly_spend"),
            unit: Unit::Usd,
            ceiling: None,
            inherited: false,
            scopes: ALL,
        }),
        scopes: ALL,
        // Use of the budget: spend / budget; met at 100% or less. A rise of spend by
        // `drift_tolerance` x budget is a rise of the use by `drift_tolerance`.
        value: |i| match i.target {
            Some(Goal::AtMost(b)) if b > 0.0 => Some(i.totals.spend / b),
            _ => None,
        },
        goal: |_| Goal::AtMost(1.0),
        target_text: |g, _| format!("≤ {}", fmt::usd_whole(g.max().unwrap_or(0.0))),
        shown: Shown::Targeted,
        per_family: false,
        action: |w| {
            format!(
                "Get {} back within budget ({} of the {} budget used): fund the backlog's items or agree a new budget",
                w.scope,
                w.value,
                w.target.trim_start_matches("≤ ")
            )
        },
    },
    Kpi {
        key: "model_mix",
        label: "share",
        short: "",
        trend: false,
        unit: Unit::Share,
        target: Some(TargetSpec {
            key: TargetKey::FamilyBands,
            unit: Unit::Share,
            ceiling: Some(1.0),
            inherited: true,
            scopes: ALL,
        }),
        scopes: ALL,
        value: |i| {
            let fam = i.family?;
            (i.totals.spend > 0.0)
                .then(|| i.totals.by_family.get(fam).copied().unwrap_or(0.0) / i.totals.spend)
        },
        goal: same,
        target_text: described,
        shown: Shown::Always,
        per_family: true,
        action: |w| {
            if w.label == "Opus share" {
                format!(
                    "Route {}'s Opus traffic to Sonnet or Haiku where quality allows (Opus {} of spend, target {})",
                    w.scope, w.value, w.target
                )
            } else {
                format!(
                    "Bring {}'s {} back to target ({}, target {})",
                    w.scope, w.label, w.value, w.target
                )
            }
        },
    },
    Kpi {
        key: "premium_share",
        label: "Premium share",
        short: "Premium",
        trend: false,
        unit: Unit::Share,
        target: Some(TargetSpec {
            key: TargetKey::Max("max_premium_share"),
            unit: Unit::Share,
            ceiling: Some(1.0),
            inherited: true,
            scopes: ALL,
        }),
        scopes: ALL,
        // Spend on the premium tier (Opus, Fable, Mythos by default: pricing.premium_families).
        value: |i| (i.totals.spend > 0.0).then(|| i.totals.premium_spend / i.totals.spend),
        goal: same,
        target_text: described,
        shown: Shown::Targeted,
        per_family: false,
        action: |w| {
            format!(
                "Route {}'s premium-model traffic (Opus, Fable, Mythos) to a cheaper model where quality allows (premium share {}, target {})",
                w.scope, w.value, w.target
            )
        },
    },
    Kpi {
        key: "fast_share",
        label: "Fast-mode share",
        short: "Fast",
        trend: false,
        unit: Unit::Share,
        target: Some(TargetSpec {
            key: TargetKey::Max("max_fast_share"),
            unit: Unit::Share,
            ceiling: Some(1.0),
            inherited: true,
            scopes: ALL,
        }),
        scopes: ALL,
        // Spend of usage in fast mode (billed at up to 6x).
        value: |i| (i.totals.spend > 0.0).then(|| i.totals.fast_spend / i.totals.spend),
        goal: same,
        target_text: described,
        shown: Shown::Targeted,
        per_family: false,
        action: |w| {
            format!(
                "Turn fast mode off for {} where latency allows (fast-mode share {}, target {})",
                w.scope, w.value, w.target
            )
        },
    },
    Kpi {
        key: "long_prompt_share",
        label: "Long-prompt share",
        short: "Long",
        trend: false,
        unit: Unit::Share,
        target: Some(TargetSpec {
            key: TargetKey::Max("max_long_prompt_share"),
            unit: Unit::Share,
            ceiling: Some(1.0),
            inherited: true,
            scopes: ALL,
        }),
        scopes: ALL,
        // Spend of requests billed extra for their prompt length (long context, a band).
        value: |i| (i.totals.spend > 0.0).then(|| i.totals.long_spend / i.totals.spend),
        goal: same,
        target_text: described,
        shown: Shown::Targeted,
        per_family: false,
        action: |w| {
            format!(
                "Keep {}'s prompts under the length that bills a premium: cache or trim the context (long-prompt share {}, target {})",
                w.scope, w.value, w.target
            )
        },
    },
    Kpi {
        key: "cache_hit_rate",
        label: "Cache hit rate",
        short: "Cache hit",
        trend: true,
        unit: Unit::Share,
        target: Some(min_share("min_cache_hit_rate")),
        scopes: ALL,
        value: |i| i.totals.cache_hit_rate(),
        goal: same,
        target_text: described,
        shown: Shown::Always,
        per_family: false,
        action: |w| {
            format!(
                "Restore prompt caching for {}: put stable context first and check recent prompt changes (hit rate {}, target {})",
                w.scope, w.value, w.target
            )
        },
    },
    Kpi {
        key: "batch_share",
        label: "Batch share",
        short: "Batch",
        trend: true,
        unit: Unit::Share,
        target: Some(min_share("min_batch_share")),
        scopes: ALL,
        value: |i| i.totals.batch_share(),
        goal: same,
        target_text: described,
        shown: Shown::Always,
        per_family: false,
        action: |w| {
            format!(
                "Move {}'s latency-tolerant jobs back to the Batch API (batch share {}, target {})",
                w.scope, w.value, w.target
            )
        },
    },
    Kpi {
        key: "output_per_request",
        label: "Output tokens / request",
        short: "Out/req",
        trend: false,
        unit: Unit::Tokens,
        target: Some(TargetSpec {
            key: TargetKey::Max("max_output_per_request"),
            unit: Unit::Tokens,
            ceiling: None,
            inherited: true,
            scopes: ALL,
        }),
        scopes: ALL,
        value: |i| i.totals.output_per_request(),
        goal: same,
        target_text: described,
        shown: Shown::Always,
        per_family: false,
        action: |w| {
            format!(
                "Trim {}'s output: cap max_tokens, ask for shorter answers and structured output ({} output tokens per request, target {})",
                w.scope, w.value, w.target
            )
        },
    },
    Kpi {
        key: "cost_per_request",
        label: "Cost per request",
        short: "$/req",
        trend: false,
        unit: Unit::UsdEach,
        target: Some(TargetSpec {
            key: TargetKey::Max("max_cost_per_request"),
            unit: Unit::UsdEach,
            ceiling: None,
            inherited: true,
            scopes: ALL,
        }),
        scopes: ALL,
        // Spend / requests, in months whose usage carries request counts.
        value: |i| i.totals.cost_per_request(),
        goal: same,
        target_text: described,
        shown: Shown::Always,
        per_family: false,
        action: |w| {
            format!(
                "Bring {}'s cost per request back down: route, cache, batch or trim what each request costs ({} a request, target {})",
                w.scope, w.value, w.target
            )
        },
    },
    Kpi {
        key: "commitment_pacing",
        label: "Commitment pacing",
        short: "Pacing",
        trend: false,
        unit: Unit::Ratio,
        target: Some(TargetSpec {
            key: TargetKey::Band("commitment_pacing"),
            unit: Unit::Ratio,
            ceiling: Some(10.0),
            inherited: false,
            scopes: ORG,
        }),
        scopes: ORG,
        value: |i| i.commitment.and_then(|c| c.pacing),
        goal: same,
        target_text: described,
        shown: Shown::Committed,
        per_family: false,
        action: |w| match w.commitment {
            Some(c) if c.projected_unused > 0.0 => format!(
                "Commitment pacing {}: {} projected unused by {}; bring planned usage forward or resize at renewal",
                w.value,
                fmt::usd(c.projected_unused),
                c.end
            ),
            Some(c) => format!(
                "Commitment pacing {}: {} projected overage by {}; cut spend or negotiate the overage rate",
                w.value,
                fmt::usd(c.projected_overage),
                c.end
            ),
            None => format!("Bring commitment pacing back within {}", w.target),
        },
    },
];

/// One KPI as a scope has it: a catalogue entry, and its family for a model-mix share.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// The catalogue entry.
    pub kpi: &'static Kpi,
    /// The family of a model-mix share.
    pub family: Option<String>,
}

impl PartialEq for Kpi {
    fn eq(&self, other: &Kpi) -> bool {
        self.key == other.key
    }
}

impl Instance {
    /// The metric key (`model_mix.opus`, `cache_hit_rate`).
    pub fn key(&self) -> String {
        match &self.family {
            Some(f) => format!("{}.{f}", self.kpi.key),
            None => self.kpi.key.to_owned(),
        }
    }

    /// The label (`Opus share`, `Cache hit rate`).
    pub fn label(&self) -> String {
        match &self.family {
            Some(f) => format!("{} {}", family_label(f), self.kpi.label),
            None => self.kpi.label.to_owned(),
        }
    }

    /// The short label of a table column (`Opus`, `Cache hit`).
    pub fn short(&self) -> String {
        match &self.family {
            Some(f) => family_label(f),
            None => self.kpi.short.to_owned(),
        }
    }

    /// The label inside a sentence: family names keep their capital, others are lower case.
    pub fn label_in_sentence(&self) -> String {
        if self.family.is_some() {
            self.label()
        } else {
            self.kpi.label.to_lowercase()
        }
    }

    /// Whether it is a headline KPI (its own row in the headline table, the terminal and the team
    /// tables): every KPI but the model-mix shares other than Opus, which the mix table shows.
    pub fn headline(&self) -> bool {
        self.family.as_deref().is_none_or(|f| f == "opus")
    }
}

/// `opus` → `Opus`.
pub fn family_label(f: &str) -> String {
    let mut c = f.chars();
    c.next()
        .map(|x| x.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The catalogue's KPIs for a scope, in the pack's order, with the model-mix share entry
/// instantiated for each of `families` in their order.
pub fn instances(scope: Scope, families: &[String]) -> Vec<Instance> {
    let mut out = Vec::new();
    for k in CATALOGUE.iter().filter(|k| k.scopes.contains(&scope)) {
        if k.per_family {
            out.extend(families.iter().map(|f| Instance {
                kpi: k,
                family: Some(f.clone()),
            }));
        } else {
            out.push(Instance {
                kpi: k,
                family: None,
            });
        }
    }
    out
}

/// The catalogue entry of a metric key (`model_mix.opus` is the per-family entry).
pub fn by_key(key: &str) -> Option<Instance> {
    let (base, family) = match key.split_once('.') {
        Some((b, f)) => (b, Some(f.to_owned())),
        None => (key, None),
    };
    CATALOGUE
        .iter()
        .find(|k| k.key == base && k.per_family == family.is_some())
        .map(|kpi| Instance { kpi, family })
}

/// The catalogue entry whose target is configured by `key` (`min_cache_hit_rate`,
/// `max_monthly_spend`, `model_mix`, `max_opus_share`).
pub fn by_target_key(key: &str) -> Option<&'static Kpi> {
    CATALOGUE.iter().find(|k| match k.target.map(|t| t.key) {
        Some(TargetKey::Max(n) | TargetKey::Min(n) | TargetKey::Band(n)) => n == key,
        Some(TargetKey::FamilyBands) => {
            key == "model_mix" || key == "max_opus_share" || key == "min_haiku_share"
        }
        None => false,
    })
}

/// Every target key the catalogue knows, for `scope` (for messages and typo suggestions).
pub fn target_keys(scope: Scope) -> Vec<&'static str> {
    let mut out = Vec::new();
    for k in CATALOGUE {
        let Some(t) = k.target.filter(|t| t.scopes.contains(&scope)) else {
            continue;
        };
        match t.key {
            TargetKey::Max(n) | TargetKey::Min(n) | TargetKey::Band(n) => out.push(n),
            TargetKey::FamilyBands => {
                out.extend(["max_opus_share", "min_haiku_share", "model_mix"])
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Totals;

    fn totals(spend: f64, opus: f64) -> Totals {
        let mut t = Totals {
            spend,
            ..Totals::default()
        };
        t.by_family.insert("opus".into(), opus);
        t
    }

    fn input(t: &Totals, target: Option<Goal>) -> Input<'_> {
        Input {
            totals: t,
            target,
            commitment: None,
            family: None,
        }
    }

    #[test]
    fn budget_use_is_spend_over_budget_held_to_100_percent() {
        // $57,500 spent against a $50,000 budget: 115% used, missed.
        let k = by_target_key("max_monthly_spend").unwrap();
        assert_eq!(k.key, "budget");
        let t = totals(57_500.0, 0.0);
        let v = (k.value)(&input(&t, Some(Goal::AtMost(50_000.0)))).unwrap();
        assert!((v - 1.15).abs() < 1e-12);
        let g = (k.goal)(Goal::AtMost(50_000.0));
        assert!(!g.met(v));
        assert!(g.met(1.0));
        // Without a budget there is no value, and the row is not shown.
        assert_eq!((k.value)(&input(&t, None)), None);
        assert_eq!(k.shown, Shown::Targeted);
        // A rise of $2,000 on a $50,000 budget with a 3-point tolerance: 4 points, worsening;
        // $1,000 (2 points) is not.
        assert!(g.worsening(1.11, 0.04, 0.03));
        assert!(!g.worsening(1.13, 0.02, 0.03));
        assert_eq!(
            (k.target_text)(Goal::AtMost(50_000.0), Unit::Usd),
            "≤ $50,000"
        );
    }

    #[test]
    fn family_shares_are_instantiated_per_family() {
        let fams: Vec<String> = ["opus", "sonnet", "mythos"].map(String::from).to_vec();
        let keys: Vec<String> = instances(Scope::Team, &fams)
            .iter()
            .map(Instance::key)
            .collect();
        assert_eq!(
            keys,
            [
                "spend",
                "budget",
                "model_mix.opus",
                "model_mix.sonnet",
                "model_mix.mythos",
                "premium_share",
                "fast_share",
                "long_prompt_share",
                "cache_hit_rate",
                "batch_share",
                "output_per_request",
                "cost_per_request"
            ]
        );
        let org: Vec<String> = instances(Scope::Org, &fams)
            .iter()
            .map(Instance::key)
            .collect();
        assert_eq!(org.last().unwrap(), "commitment_pacing");
        let opus = &instances(Scope::Org, &fams)[2];
        assert_eq!(opus.label(), "Opus share");
        assert!(opus.headline() && !instances(Scope::Org, &fams)[3].headline());
        let t = totals(200.0, 50.0);
        let v = (opus.kpi.value)(&Input {
            family: Some("opus"),
            ..input(&t, None)
        });
        assert_eq!(v, Some(0.25));
    }

    #[test]
    fn target_keys_name_their_kpi() {
        for (key, kpi) in [
            ("min_cache_hit_rate", "cache_hit_rate"),
            ("min_batch_share", "batch_share"),
            ("max_opus_share", "model_mix"),
            ("model_mix", "model_mix"),
            ("max_output_per_request", "output_per_request"),
            ("commitment_pacing", "commitment_pacing"),
            ("max_monthly_spend", "budget"),
        ] {
            assert_eq!(by_target_key(key).map(|k| k.key), Some(kpi), "{key}");
        }
        assert!(by_target_key("max_opus_shar").is_none());
        assert!(!target_keys(Scope::Team).contains(&"commitment_pacing"));
    }
}
