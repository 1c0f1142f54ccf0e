//! `[targets]`: what each KPI is held to, for the organisation, a team and an app.
//!
//! The keys come from the KPI catalogue ([`crate::kpi`]): each entry says which key sets its
//! target, what values it takes and whether a team inherits the organisation's. So this module
//! parses any KPI's target, and one merge rule (app → team → organisation, for inherited targets)
//! serves them all.
//!
//! ```toml
//! [targets]
//! max_opus_share = 0.30            # model_mix.opus.max
//! min_cache_hit_rate = 0.45
//! max_monthly_spend = 60_000       # the organisation's budget
//! drift_tolerance = 0.03
//! [targets.teams.growth]
//! min_cache_hit_rate = 0.35        # overrides the organisation's for this team
//! max_monthly_spend = 15_000
//! [targets.teams.growth.apps.sales-assistant]
//! max_monthly_spend = 5_000
//! ```

use std::collections::BTreeMap;

use crate::diag::{Locator, Problem};
use crate::kpi::{self, Goal, Instance, Scope, TargetKey};

/// Default drift tolerance: 2 percentage points.
pub const DEFAULT_DRIFT_TOLERANCE: f64 = 0.02;

/// The targets of one scope as configured, by metric key (`model_mix.opus`, `budget`).
pub type TargetSet = BTreeMap<String, Goal>;

/// All targets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Targets {
    /// The organisation's.
    pub org: TargetSet,
    /// Each team's own (before inheriting).
    pub teams: BTreeMap<String, TargetSet>,
    /// Each app's own, by (team, app).
    pub apps: BTreeMap<(String, String), TargetSet>,
    /// How far a KPI may move away from its target in a month before the drift is worsening.
    pub drift_tolerance: f64,
    /// How much a workload's spend may rise in a month before it is a finding.
    pub surge: Surge,
}

/// A workload's month-on-month rise that is a finding: more than `growth` (1.0 = +100%) and at
/// least `min_usd` dollars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Surge {
    /// Relative rise (1.0 = +100%).
    pub growth: f64,
    /// Smallest rise in USD that counts.
    pub min_usd: f64,
}

impl Default for Surge {
    fn default() -> Self {
        Surge {
            growth: 1.0,
            min_usd: 1000.0,
        }
    }
}

impl Targets {
    /// The target of a KPI for a scope (`team` None: the organisation; `app` needs its team):
    /// the scope's own; for inherited targets, else its team's, else the organisation's.
    pub fn get(&self, kpi: &Instance, team: Option<&str>, app: Option<&str>) -> Option<Goal> {
        let key = kpi.key();
        let own = |set: Option<&TargetSet>| set.and_then(|s| s.get(&key)).copied();
        let inherited = kpi.kpi.target.is_some_and(|t| t.inherited);
        let app_set = team
            .zip(app)
            .and_then(|(t, a)| self.apps.get(&(t.to_owned(), a.to_owned())));
        let team_set = team.and_then(|t| self.teams.get(t));
        match (team, app) {
            (Some(_), Some(_)) => own(app_set).or_else(|| {
                inherited
                    .then(|| own(team_set).or_else(|| own(Some(&self.org))))
                    .flatten()
            }),
            (Some(_), None) => {
                own(team_set).or_else(|| inherited.then(|| own(Some(&self.org))).flatten())
            }
            _ => own(Some(&self.org)),
        }
    }

    /// Whether an app has a target of its own for this KPI (apps raise findings only then).
    pub fn app_has_own(&self, kpi: &Instance, team: &str, app: &str) -> bool {
        self.apps
            .get(&(team.to_owned(), app.to_owned()))
            .is_some_and(|s| s.contains_key(&kpi.key()))
    }
}

/// Keys of `[targets]` that are not KPI targets.
const ORG_SETTINGS: [&str; 3] = ["drift_tolerance", "surge", "teams"];

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// Parses `[targets]`; every problem goes to `problems`, each at its key.
pub(super) fn parse(
    table: Option<&toml::Table>,
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> Targets {
    let mut t = Targets {
        drift_tolerance: DEFAULT_DRIFT_TOLERANCE,
        surge: Surge::default(),
        ..Targets::default()
    };
    let Some(table) = table else {
        return t;
    };
    let base = vec!["targets".to_owned()];
    t.org = scope_set(table, Scope::Org, &base, loc, problems);
    if let Some(v) = table.get("drift_tolerance") {
        let at = ["targets", "drift_tolerance"];
        match number(v) {
            Some(d) if (0.0..=1.0).contains(&d) => t.drift_tolerance = d,
            Some(d) => problems.push(loc.problem(
                &at,
                format!("{d} is outside 0..1; shares and rates are fractions (write 0.35 for 35%)"),
            )),
            None => problems.push(loc.problem(&at, wrong_type(v, "a number"))),
        }
    }
    if let Some(v) = table.get("surge") {
        let at = ["targets", "surge"];
        match v.as_table() {
            None => problems.push(loc.problem(
                &at,
                wrong_type(v, "a table such as { growth = 1.0, min_usd = 1000 }"),
            )),
            Some(s) => {
                for (k, x) in s {
                    let key = ["targets", "surge", k.as_str()];
                    let n = number(x);
                    match (k.as_str(), n) {
                        ("growth", Some(g)) if g > 0.0 && g.is_finite() => t.surge.growth = g,
                        ("min_usd", Some(m)) if super::money_problem(m, "").is_none() => {
                            t.surge.min_usd = m
                        }
                        ("growth" | "min_usd", Some(x)) => problems.push(loc.problem(
                            &key,
                            format!("{x} is out of range; growth is a fraction above 0 (1.0 = +100%), min_usd an amount of 0 or more"),
                        )),
                        ("growth" | "min_usd", None) => {
                            problems.push(loc.problem(&key, wrong_type(x, "a number")))
                        }
                        _ => problems.push(loc.key_problem(
                            &key,
                            "unknown key; a surge has `growth` and `min_usd` (the README's configuration reference lists every key)",
                        )),
                    }
                }
            }
        }
    }
    if let Some(teams) = table.get("teams") {
        let Some(teams) = teams.as_table() else {
            problems
                .push(loc.problem(&["targets", "teams"], wrong_type(teams, "a table of teams")));
            return t;
        };
        for (team, v) in teams {
            let path = vec!["targets".to_owned(), "teams".to_owned(), team.clone()];
            let Some(tt) = v.as_table() else {
                problems.push(loc.problem(&refs(&path), wrong_type(v, "a table of targets")));
                continue;
            };
            t.teams.insert(
                team.clone(),
                scope_set(tt, Scope::Team, &path, loc, problems),
            );
            let Some(apps) = tt.get("apps") else { continue };
            let mut apps_path = path.clone();
            apps_path.push("apps".to_owned());
            let Some(apps) = apps.as_table() else {
                problems.push(loc.problem(&refs(&apps_path), wrong_type(apps, "a table of apps")));
                continue;
            };
            for (app, v) in apps {
                let mut p = apps_path.clone();
                p.push(app.clone());
                match v.as_table() {
                    Some(at) => {
                        let set = scope_set(at, Scope::App, &p, loc, problems);
                        t.apps.insert((team.clone(), app.clone()), set);
                    }
                    None => {
                        problems.push(loc.problem(&refs(&p), wrong_type(v, "a table of targets")))
                    }
                }
            }
        }
    }
    t
}

fn refs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

fn wrong_type(v: &toml::Value, expected: &str) -> String {
    format!(
        "has the wrong type: {} {v}, expected {expected}",
        v.type_str()
    )
}

/// The KPI targets of one scope's table (`[targets]`, a team's, an app's).
fn scope_set(
    table: &toml::Table,
    scope: Scope,
    path: &[String],
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> TargetSet {
    let mut set = TargetSet::new();
    let structural: &[&str] = match scope {
        Scope::Org => &ORG_SETTINGS,
        Scope::Team => &["apps"],
        Scope::App => &[],
    };
    let at = |key: &str| {
        let mut p = path.to_vec();
        p.push(key.to_owned());
        p
    };
    let mut opus_max: Option<f64> = None;
    let mut haiku_min: Option<f64> = None;
    for (key, v) in table {
        if structural.contains(&key.as_str()) {
            continue;
        }
        let kpi =
            kpi::by_target_key(key).filter(|k| k.target.is_some_and(|t| t.scopes.contains(&scope)));
        let Some(kpi) = kpi else {
            problems.push(unknown(key, scope, structural, &at(key), loc));
            continue;
        };
        let spec = kpi.target.expect("a target key has a target");
        let p = at(key);
        match spec.key {
            TargetKey::Max(_) | TargetKey::Min(_) => {
                if let Some(x) = bound(v, spec, &p, loc, problems) {
                    let g = if matches!(spec.key, TargetKey::Max(_)) {
                        Goal::AtMost(x)
                    } else {
                        Goal::AtLeast(x)
                    };
                    set.insert(kpi.key.to_owned(), g);
                }
            }
            TargetKey::Band(_) => {
                if let Some(g) = band(v, spec, &p, loc, problems) {
                    set.insert(kpi.key.to_owned(), g);
                }
            }
            TargetKey::FamilyBands if key == "max_opus_share" => {
                opus_max = bound(v, spec, &p, loc, problems);
            }
            TargetKey::FamilyBands if key == "min_haiku_share" => {
                haiku_min = bound(v, spec, &p, loc, problems);
            }
            TargetKey::FamilyBands => {
                let Some(fams) = v.as_table() else {
                    problems.push(loc.problem(&refs(&p), wrong_type(v, "a table of families")));
                    continue;
                };
                for (fam, b) in fams {
                    let mut fp = p.clone();
                    fp.push(fam.clone());
                    if let Some(g) = band(b, spec, &fp, loc, problems) {
                        set.insert(format!("model_mix.{fam}"), g);
                    }
                }
            }
        }
    }
    if let Some(max) = opus_max {
        let key = "model_mix.opus".to_owned();
        if set.get(&key).is_some_and(|g| g.max().is_some()) {
            problems.push(loc.problem(
                &refs(&at("max_opus_share")),
                "is given twice (also as model_mix.opus.max); keep one",
            ));
        }
        let min = set.get(&key).and_then(Goal::min);
        if let Some(lo) = min.filter(|lo| *lo > max) {
            problems.push(loc.problem(
                &refs(&at("max_opus_share")),
                format!("{max} is below model_mix.opus.min {lo}: no share can meet both; drop one or swap them"),
            ));
        } else if let Some(g) = Goal::of_bounds(min, Some(max)) {
            set.insert(key, g);
        }
    }
    if let Some(min) = haiku_min {
        let key = "model_mix.haiku".to_owned();
        if set.get(&key).is_some_and(|g| g.min().is_some()) {
            problems.push(loc.problem(
                &refs(&at("min_haiku_share")),
                "is given twice (also as model_mix.haiku.min); keep one",
            ));
        }
        let max = set.get(&key).and_then(Goal::max);
        if let Some(hi) = max.filter(|hi| *hi < min) {
            problems.push(loc.problem(
                &refs(&at("min_haiku_share")),
                format!("{min} is above model_mix.haiku.max {hi}: no share can meet both; drop one or swap them"),
            ));
        } else if let Some(g) = Goal::of_bounds(Some(min), max) {
            set.insert(key, g);
        }
    }
    set
}

fn unknown(
    key: &str,
    scope: Scope,
    structural: &[&str],
    path: &[String],
    loc: &Locator,
) -> Problem {
    let known: Vec<&str> = kpi::target_keys(scope)
        .into_iter()
        .chain(structural.iter().copied())
        .collect();
    let near = known
        .iter()
        .map(|c| (strsim::jaro_winkler(key, c), *c))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(s, _)| *s >= 0.8);
    let text = match (near, kpi::by_target_key(key)) {
        (_, Some(_)) => format!(
            "cannot be set for {}; it is a target of {}",
            match scope {
                Scope::Org => "the organisation",
                Scope::Team => "a team",
                Scope::App => "an app",
            },
            if scope == Scope::Org {
                "teams or apps"
            } else {
                "the organisation only"
            }
        ),
        (Some((_, n)), None) => format!(
            "unknown key; did you mean `{n}`? (the README's configuration reference lists every key)"
        ),
        (None, None) => format!(
            "unknown key (keys here: {}); remove it or fix its spelling (the README's configuration reference lists every key)",
            known.join(", ")
        ),
    };
    loc.key_problem(&refs(path), text)
}

/// A single target value: a number within the target's range.
fn bound(
    v: &toml::Value,
    spec: kpi::TargetSpec,
    path: &[String],
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> Option<f64> {
    let Some(x) = number(v) else {
        problems.push(loc.problem(&refs(path), wrong_type(v, "a number")));
        return None;
    };
    let bad = match (spec.unit, spec.ceiling) {
        (kpi::Unit::Share, _) if !(0.0..=1.0).contains(&x) => Some(format!(
            "{x} is outside 0..1; shares and rates are fractions (write 0.35 for 35%)"
        )),
        (kpi::Unit::Ratio, Some(c)) if !(0.0..=c).contains(&x) => Some(format!(
            "{x} is not a pacing; pacing 1.0 means on pace (e.g. min = 0.9, max = 1.1)"
        )),
        (kpi::Unit::Usd, _) if !(x >= 1.0 && x.is_finite()) => Some(format!(
            "{} is not a budget; give the monthly amount in USD, a dollar or more",
            crate::fmt::num_or_raw(x)
        )),
        (kpi::Unit::Usd, _) => super::money_problem(x, "a budget"),
        (kpi::Unit::Tokens, _) if !(x > 0.0 && x.is_finite()) => {
            Some(format!("{x} is not a token count; give a number above 0"))
        }
        (kpi::Unit::UsdEach, _) if !(x > 0.0 && x <= 1000.0) => Some(format!(
            "{x} is not a cost per request; give US dollars above 0 (a cent is 0.01)"
        )),
        _ => None,
    };
    match bad {
        Some(msg) => {
            problems.push(loc.problem(&refs(path), msg));
            None
        }
        None => Some(x),
    }
}

/// A `{ min = .., max = .. }` band, either bound optional.
fn band(
    v: &toml::Value,
    spec: kpi::TargetSpec,
    path: &[String],
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> Option<Goal> {
    let Some(t) = v.as_table() else {
        problems.push(loc.problem(
            &refs(path),
            wrong_type(v, "a table such as { min = 0.9, max = 1.1 }"),
        ));
        return None;
    };
    let mut lo = None;
    let mut hi = None;
    let mut ok = true;
    for (k, x) in t {
        let mut p = path.to_vec();
        p.push(k.clone());
        match k.as_str() {
            "min" => lo = bound(x, spec, &p, loc, problems),
            "max" => hi = bound(x, spec, &p, loc, problems),
            _ => {
                ok = false;
                problems.push(loc.key_problem(
                    &refs(&p),
                    "unknown key; a band has `min` and `max` (the README's configuration reference lists every key)",
                ));
            }
        }
    }
    if let (Some(l), Some(h)) = (lo, hi)
        && l > h
    {
        problems.push(loc.problem(&refs(path), format!("min {l} is above max {h}; swap them")));
        return None;
    }
    ok.then(|| Goal::of_bounds(lo, hi)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::{Scope, instances};

    fn parse_str(text: &str) -> (Targets, Vec<Problem>) {
        let loc = Locator::new(text);
        let table: toml::Table = toml::from_str(text).unwrap();
        let mut problems = Vec::new();
        let t = parse(
            table.get("targets").and_then(|t| t.as_table()),
            &loc,
            &mut problems,
        );
        crate::diag::sort(&mut problems);
        (t, problems)
    }

    fn kpi(key: &str) -> Instance {
        let fams = vec!["opus".to_owned()];
        instances(Scope::App, &fams)
            .into_iter()
            .find(|i| i.key() == key)
            .unwrap()
    }

    #[test]
    fn one_merge_rule_app_team_org() {
        let (t, p) = parse_str(
            "[targets]\nmax_opus_share = 0.3\nmin_cache_hit_rate = 0.5\nmax_monthly_spend = 60000\n\
             [targets.teams.g]\nmin_cache_hit_rate = 0.35\nmax_monthly_spend = 15000\n\
             [targets.teams.g.apps.s]\nmax_monthly_spend = 5000\nmin_batch_share = 0.1\n",
        );
        assert!(p.is_empty(), "{p:?}");
        let cache = kpi("cache_hit_rate");
        assert_eq!(t.get(&cache, None, None), Some(Goal::AtLeast(0.5)));
        assert_eq!(t.get(&cache, Some("g"), None), Some(Goal::AtLeast(0.35)));
        assert_eq!(
            t.get(&cache, Some("g"), Some("s")),
            Some(Goal::AtLeast(0.35))
        );
        assert_eq!(
            t.get(&cache, Some("other"), Some("x")),
            Some(Goal::AtLeast(0.5))
        );
        // Budgets are each scope's own: never inherited.
        let budget = kpi("budget");
        assert_eq!(t.get(&budget, None, None), Some(Goal::AtMost(60000.0)));
        assert_eq!(
            t.get(&budget, Some("g"), Some("s")),
            Some(Goal::AtMost(5000.0))
        );
        assert_eq!(t.get(&budget, Some("g"), Some("other")), None);
        assert_eq!(t.get(&budget, Some("other"), None), None);
        assert!(t.app_has_own(&kpi("batch_share"), "g", "s"));
        assert!(!t.app_has_own(&cache, "g", "s"));
        assert_eq!(
            t.get(&kpi("model_mix.opus"), Some("g"), None),
            Some(Goal::AtMost(0.3))
        );
    }

    #[test]
    fn problems_are_located_and_all_reported() {
        let (_, p) = parse_str(
            "[targets]\nmin_cache_hit_rate = 55\nmax_monthly_spend = -1\nmax_opus_shar = 0.3\n\
             [targets.teams.g]\ncommitment_pacing = { min = 0.9 }\n\
             [targets.teams.g.apps.s]\nmodel_mix = { opus = { min = 0.5, max = 0.2 } }\n",
        );
        let keys: Vec<&str> = p.iter().filter_map(|x| x.key.as_deref()).collect();
        assert_eq!(
            keys,
            [
                "targets.min_cache_hit_rate",
                "targets.max_monthly_spend",
                "targets.max_opus_shar",
                "targets.teams.g.commitment_pacing",
                "targets.teams.g.apps.s.model_mix.opus"
            ],
            "{p:#?}"
        );
        assert!(p[2].message.contains("did you mean `max_opus_share`?"));
        assert!(p[3].message.contains("cannot be set for a team"));
        assert!(p[4].message.contains("min 0.5 is above max 0.2"));
    }
}
