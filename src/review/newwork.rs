//! New work held to the defaults, and surges: workloads, teams and models seen for the first time,
//! new workloads that break what `[defaults]` says new work must meet, and workloads whose spend
//! jumped.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::fmt;
use crate::metrics::{PricedRow, Totals};
use crate::month::Month;
use crate::report::{Finding, NewWork, NewWorkload};

use super::scopes::{Rollup, spend};

/// The first month each workload, team and model appears, up to the review month.
#[derive(Default)]
struct FirstSeen {
    workloads: BTreeMap<(String, String), Month>,
    teams: BTreeMap<String, Month>,
    models: BTreeMap<String, Month>,
}

fn first_months(priced: &[PricedRow], month: Month) -> FirstSeen {
    let mut f = FirstSeen::default();
    for r in priced.iter().filter(|r| r.month <= month) {
        let first = |e: &mut Month| *e = (*e).min(r.month);
        first(
            f.workloads
                .entry((r.team.clone(), r.app.clone()))
                .or_insert(r.month),
        );
        first(f.teams.entry(r.team.clone()).or_insert(r.month));
        first(f.models.entry(r.model.clone()).or_insert(r.month));
    }
    f
}

/// New work and the findings of the defaults it breaks; `next_id` numbers findings.
pub fn new_work(
    cfg: &Config,
    priced: &[PricedRow],
    rollup: &Rollup,
    month: Month,
    next_id: &mut dyn FnMut() -> usize,
) -> (NewWork, Vec<Finding>) {
    let FirstSeen {
        workloads,
        teams,
        models,
    } = first_months(priced, month);
    // In the data's first month everything is first seen: new means not in a prior month there is.
    let data_start = priced.iter().map(|r| r.month).min();
    let is_first = |m: &Month| *m == month && Some(*m) != data_start;
    let mut out = NewWork {
        teams: teams
            .iter()
            .filter(|(_, m)| is_first(m))
            .map(|(t, _)| t.clone())
            .collect(),
        models: models
            .iter()
            .filter(|(_, m)| is_first(m))
            .map(|(t, _)| t.clone())
            .collect(),
        ..NewWork::default()
    };
    let mut findings = Vec::new();
    let d = &cfg.defaults;
    let empty = Totals::default();
    for ((team, app), first) in &workloads {
        if (*first != month && *first != month.prev()) || Some(*first) == data_start {
            continue;
        }
        let t = rollup
            .apps
            .get(&(team.clone(), app.clone()))
            .and_then(|b| b.get(&month))
            .unwrap_or(&empty);
        if t.spend <= 0.0 && t.tokens.total() == 0 {
            continue;
        }
        let opus =
            (t.spend > 0.0).then(|| t.by_family.get("opus").copied().unwrap_or(0.0) / t.spend);
        let mut w = NewWorkload {
            team: team.clone(),
            app: app.clone(),
            first_month: *first,
            spend: t.spend,
            opus_share: opus,
            cache_hit_rate: t.cache_hit_rate(),
            batch_share: t.batch_share(),
            breaks: 0,
        };
        let since = if *first == month {
            format!("first seen in {month}")
        } else {
            format!("first seen in {first}, its second month")
        };
        let mut raise = |rule: &str, label: &str, value: f64, target: String, what: String| {
            findings.push(Finding {
                id: format!("F{}", next_id()),
                metric: format!("defaults.{rule}"),
                label: label.to_owned(),
                scope: "app".to_owned(),
                team: Some(team.clone()),
                app: Some(app.clone()),
                kind: "new_work".to_owned(),
                value,
                value_text: fmt::pct(value),
                target: None,
                target_text: target.clone(),
                delta: None,
                delta_text: "—".to_owned(),
                summary: format!(
                    "New workload {app} (team {team}, {since}): {what}, where new work is held to {target}."
                ),
                est_monthly_saving: None,
                teams_saving: None,
                owner: None,
                regressed_after: None,
                action: None,
                links: Vec::new(),
                held: None,
                follows: None,
            });
        };
        if let (Some(max), Some(s)) = (d.max_opus_share, opus)
            && s > max
        {
            raise(
                "max_opus_share",
                "Opus share of new work",
                s,
                format!("≤ {}", fmt::pct(max)),
                format!("Opus is {} of its spend", fmt::pct(s)),
            );
            w.breaks += 1;
        }
        if let (Some(min), Some(h)) = (d.min_cache_hit_rate, w.cache_hit_rate)
            && *first == month.prev()
            && h < min
        {
            raise(
                "min_cache_hit_rate",
                "Cache hit rate of new work",
                h,
                format!("≥ {}", fmt::pct(min)),
                format!("its cache hit rate is {}", fmt::pct(h)),
            );
            w.breaks += 1;
        }
        if let Some(b) = w.batch_share
            && d.must_batch(app)
            && b < d.batch_apps_min_share
        {
            raise(
                "batch_apps",
                "Batch share of a batch app",
                b,
                format!("≥ {}", fmt::pct(d.batch_apps_min_share)),
                format!(
                    "it is a batch app with {} of its tokens through the Batch API",
                    fmt::pct(b)
                ),
            );
            w.breaks += 1;
        }
        out.workloads.push(w);
    }
    out.workloads.sort_by(|a, b| {
        b.spend
            .total_cmp(&a.spend)
            .then_with(|| (&a.team, &a.app).cmp(&(&b.team, &b.app)))
    });
    (out, findings)
}

/// Workloads whose spend rose more than `targets.surge` allows since last month (a workload new
/// this month is new work, not a surge).
pub fn surges(
    cfg: &Config,
    rollup: &Rollup,
    month: Month,
    next_id: &mut dyn FnMut() -> usize,
) -> Vec<Finding> {
    let s = cfg.targets.surge;
    let mut out = Vec::new();
    for ((team, app), by_month) in &rollup.apps {
        let (cur, prev) = (spend(by_month, month), spend(by_month, month.prev()));
        if prev <= 0.0 {
            continue;
        }
        let growth = cur / prev - 1.0;
        if growth > s.growth && cur - prev >= s.min_usd {
            out.push(Finding {
                id: format!("F{}", next_id()),
                metric: "surge".to_owned(),
                label: "Spend surge".to_owned(),
                scope: "app".to_owned(),
                team: Some(team.clone()),
                app: Some(app.clone()),
                kind: "surge".to_owned(),
                value: growth,
                value_text: fmt::pct_signed(growth),
                target: None,
                target_text: format!(
                    "≤ {} and {}",
                    fmt::pct_signed(s.growth),
                    fmt::usd_whole(s.min_usd)
                ),
                delta: Some(cur - prev),
                delta_text: fmt::usd_change(cur, prev),
                summary: format!(
                    "App {app} (team {team}): spend {} since last month, {} → {}.",
                    fmt::pct_signed(growth),
                    fmt::usd(prev),
                    fmt::usd(cur)
                ),
                est_monthly_saving: None,
                teams_saving: None,
                owner: None,
                regressed_after: None,
                action: None,
                links: Vec::new(),
                held: None,
                follows: None,
            });
        }
    }
    out
}
